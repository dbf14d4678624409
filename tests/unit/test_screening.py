"""Request screening (before Powertools parses a body) and the headers every answer carries."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verein.web.resolver import API_CSP, with_security_headers
from verein.web.screening import FORM, JSON, Limits, canonical_content_type, json_depth, screen
from verein.web.staff_auth import groups_from_claims, is_staff

LIMITS = Limits(max_body_bytes=1024, accepts=frozenset({JSON, FORM}))


def post(body, content_type=JSON, *, encoded=False, method="POST"):
    return {
        "headers": {"content-type": content_type} if content_type else {},
        "body": base64.b64encode(body).decode() if encoded else body,
        "isBase64Encoded": encoded,
        "requestContext": {"http": {"method": method}},
    }


def status(event, limits=LIMITS):
    rejection = screen(event, limits)
    return rejection.status if rejection else None


def test_a_plain_json_or_form_body_passes():
    assert status(post('{"name": "a"}')) is None
    assert status(post("name=Erika&privacy_consent=on", FORM)) is None
    assert status(post("", method="GET")) is None


def test_media_types_are_case_insensitive_and_rewritten_canonically():
    event = post('{"a": 1}', "APPLICATION/JSON; Charset=UTF-8")
    assert status(event) is None
    assert event["headers"]["content-type"] == "application/json; charset=UTF-8"
    assert canonical_content_type("Application/X-WWW-Form-URLEncoded") == FORM


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain"]
)
def test_media_types_we_do_not_read_get_415_even_without_a_body(content_type):
    assert status(post("a=b", content_type)) == 415
    assert status(post("", content_type)) == 415


def test_a_body_larger_than_the_limit_gets_413_before_it_is_decoded():
    assert status(post("a" * 1025)) == 413
    assert status(post(b"a" * 1025, encoded=True)) == 413
    assert status(post("ü" * 600)) == 413  # 1,200 bytes in UTF-8
    assert status(post("x" * 10_000_000, FORM)) == 413


def test_bytes_that_are_not_utf8_get_400():
    assert status(post(b'{"name": "\xff"}', encoded=True)) == 400
    assert status({**post(""), "body": "not base64!", "isBase64Encoded": True}) == 400
    assert status(post("name=%FF", FORM)) == 400
    assert status(post("name=%C3%BC", FORM)) is None  # a percent-encoded ü is fine


def test_json_nested_deeper_than_our_documents_gets_400_even_in_an_ignored_field():
    deep = '{"name": "a", "ignored": ' + "[" * 1000 + "]" * 1000 + "}"
    assert len(deep) < 2100
    assert status(post(deep), Limits(max_body_bytes=16 * 1024)) == 400
    assert status(post('{"a": ' + "[" * 15 + "]" * 15 + "}")) is None


def test_brackets_in_strings_do_not_count_as_nesting():
    assert json_depth(json.dumps({"text": "[[[[{{{{", "q": '\\"[[['})) == 1


@given(st.recursive(st.none() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_json_depth_is_the_nesting_of_the_parsed_value(value):
    def depth(v):
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    assert json_depth(json.dumps(value)) == depth(value)


def test_every_answer_carries_the_security_headers_and_pages_their_own_policy():
    page = with_security_headers({"headers": {"Content-Type": "text/html; charset=utf-8"}})
    api = with_security_headers({"headers": {"Content-Type": "application/json"}})
    for headers in (page["headers"], api["headers"]):
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page["headers"]["Content-Security-Policy"]
    assert "script-src" not in page["headers"]["Content-Security-Policy"]  # none: default-src
    assert api["headers"]["Content-Security-Policy"] == API_CSP
    own = with_security_headers({"headers": {"cache-control": "max-age=60"}})
    assert own["headers"]["cache-control"] == "max-age=60" and "Cache-Control" not in own["headers"]


@pytest.mark.parametrize(
    ("claim", "staff"),
    [
        ("[staff]", True),
        ("[board staff]", True),
        (["staff"], True),
        ("[a,staff]", False),
        ("[notstaff staff]", True),  # two groups: Cognito group names cannot hold a space
        (["notstaff staff"], False),  # one (impossible) group, as a direct invocation sends it
        (["a,staff"], False),
        ("staff", False),
        ("[staff", False),
        ("[[staff]]", False),
        ("[Staff]", False),
        ("[ staff]", True),
        ("[staff ]", True),
        ("[]", False),
        (None, False),
        (42, False),
    ],
)
def test_only_an_exact_staff_group_counts(claim, staff):
    assert is_staff({"cognito:groups": claim}) is staff


def test_groups_are_split_exactly_as_api_gateway_joins_them():
    assert groups_from_claims({"cognito:groups": "[a,b c]"}) == {"a,b", "c"}


def test_each_resolver_keeps_its_own_request_while_another_handles_one():
    """Powertools shares the current request between resolvers of one process; the local stack
    runs execution environments as threads of one process, where a note once stored another
    request's text. Here resolver ``a`` is interrupted by ``b`` in the middle of a request."""
    from verein.web.resolver import WebResolver

    a, b = WebResolver(LIMITS), WebResolver(LIMITS)

    @b.post("/x")
    def b_route() -> dict:
        return {"body": b.current_event.json_body}

    @a.post("/x")
    def a_route() -> dict:
        b.resolve(http_event('{"who": "b"}'), None)
        return {"body": a.current_event.json_body}

    answer = a.resolve(http_event('{"who": "a"}'), None)
    assert json.loads(answer["body"]) == {"body": {"who": "a"}}


def http_event(body: str) -> dict:
    return {
        "version": "2.0",
        "routeKey": "POST /x",
        "rawPath": "/x",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/x"}, "stage": "$default"},
        "body": body,
        "isBase64Encoded": False,
    }
