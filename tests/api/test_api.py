"""The API functions on moto, called with API Gateway's exact events (routes from the template)."""

import base64
import hashlib
import io
import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.samples import FORM, JSON_APPLICATION
from verein.membership.web.reference import reference


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def stored_items(aws):
    return aws.dynamodb.scan(TableName=aws.event_store_table)["Items"]


def test_the_form_is_german_by_default_and_english_on_request(api):
    german = api.request("GET", "/membership/apply")
    assert german.status == 200
    assert german.headers["content-type"].startswith("text/html")
    assert 'lang="de"' in german.text and "Mitgliedsantrag" in german.text
    assert 'action="/membership/applications"' in german.text
    english = api.request("GET", "/membership/apply?lang=en")
    assert "Membership application" in english.text
    by_header = api.request("GET", "/membership/apply", headers=[("accept-language", "en-GB")])
    assert 'lang="en"' in by_header.text


REFERENCE = r"A-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


def test_a_form_post_redirects_to_the_thanks_page_and_stores_one_domain_event(api, aws):
    reply = api.post_form("/membership/applications", FORM)
    assert reply.status == 303, reply.text  # Post/Redirect/Get: a reload re-asks the GET
    location = reply.headers["location"]
    shown = re.fullmatch(rf"/membership/thanks\?ref=({REFERENCE})&lang=de", location).group(1)
    thanks = api.request("GET", location)
    assert thanks.status == 200 and thanks.headers["content-type"].startswith("text/html")
    assert "Vielen Dank" in thanks.text and shown in thanks.text
    assert "Wie es weitergeht" in thanks.text
    commits = [i for i in stored_items(aws) if i["item_kind"]["S"] == "commit"]
    assert len(commits) == 1
    assert reference(commits[0]["stream_id"]["S"].removeprefix("member#")) == shown
    assert len(stored_items(aws)) == 2  # reading the thanks page again stores nothing
    api.request("GET", location)
    assert len(stored_items(aws)) == 2


def test_the_thanks_page_shows_only_what_looks_like_a_reference(api):
    reply = api.request("GET", "/membership/thanks?ref=Bitte+0800+anrufen&lang=en")
    assert reply.status == 200 and "Thank you!" in reply.text
    assert "anrufen" not in reply.text and "Your reference" not in reply.text


def test_json_gets_202_with_the_application_id_and_a_reference(api):
    reply = api.post_json(
        "/membership/applications",
        {
            "name": "Max",
            "email": "max@example.org",
            "membership_type": "individual",
            "privacy_consent": True,
        },
    )
    assert reply.status == 202
    assert set(reply.json()) == {"application_id", "reference"}
    assert re.fullmatch(r"[0-9a-f-]{36}", reply.json()["application_id"])
    assert reply.json()["reference"] == reference(reply.json()["application_id"])


def test_a_double_submission_gets_the_same_answer_and_stores_nothing(api, aws):
    """No enumeration: nobody learns from the answer whether an address applied before."""
    first = api.post_json("/membership/applications", JSON_APPLICATION)
    again = api.post_json(
        "/membership/applications",
        {**FORM, "email": " ERIKA@example.org", "privacy_consent": True},
    )
    assert (first.status, again.status) == (202, 202)
    assert set(first.json()) == set(again.json()) == {"application_id", "reference"}
    assert again.json()["application_id"] != first.json()["application_id"]
    assert again.json()["reference"] != first.json()["reference"]
    assert len(stored_items(aws)) == 2  # one commit, one claim


def test_a_double_form_post_gets_the_same_pages(api, aws):
    pages = []
    for _ in range(2):
        reply = api.post_form("/membership/applications", FORM)
        assert reply.status == 303
        thanks = api.request("GET", reply.headers["location"])
        pages.append(re.sub(REFERENCE, "REF", thanks.text))
    assert pages[0] == pages[1]
    assert len(stored_items(aws)) == 2


def test_the_landing_page_names_the_association_and_links_form_and_staff_sign_in(api):
    german = api.request("GET", "/")
    assert german.status == 200 and german.headers["content-type"].startswith("text/html")
    assert "Stadtmarketing Musterstadt e.V." in german.text
    assert 'href="/membership/apply?lang=de"' in german.text
    assert 'href="/control?lang=de"' in german.text
    english = api.request("GET", "/?lang=en")
    assert 'lang="en"' in english.text and "Become a member" in english.text


@pytest.mark.parametrize("target", ["/", "/membership/apply", "/membership/thanks"])
def test_every_public_page_shows_who_runs_it(api, target):
    page = api.request("GET", target).text
    for shown in (
        "Stadtmarketing Musterstadt e.V.",
        "mailto:info@verein.example",
        'href="https://verein.example/datenschutz"',
        'href="https://verein.example/impressum"',
    ):
        assert shown in page, (target, shown)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Bitte geben Sie eine gültige E-Mail-Adresse an."),
        ("en", "Please enter a valid e-mail address."),
    ],
)
def test_invalid_form_input_reshows_the_form_with_messages_and_stores_nothing(
    api, aws, language, expected
):
    reply = api.post_form(
        "/membership/applications",
        {**FORM, "email": "kein-at-zeichen", "privacy_consent": "", "lang": language},
    )
    assert reply.status == 422
    assert reply.headers["content-type"].startswith("text/html")
    assert expected in reply.text
    assert 'value="Erika Mustermann"' in reply.text  # what was typed is kept
    # focus goes to the error summary (no JavaScript), whose items link to their fields
    assert re.search(r'<div class="error-summary"[^>]*tabindex="-1" autofocus', reply.text)
    assert 'href="#email"' in reply.text and 'href="#privacy_consent"' in reply.text
    assert stored_items(aws) == []


def test_invalid_json_gets_problem_details_in_the_requested_language(api, aws):
    reply = api.post_json(
        "/membership/applications",
        {"name": "", "email": "x@example.org", "membership_type": "club"},
        headers=[("accept-language", "en")],
    )
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == 422
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert fields["name"] == "Please enter your name."
    assert fields["membership_type"] == "Please choose company or individual."
    assert "privacy_consent" in fields
    assert stored_items(aws) == []


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"{not json", 422),
        ("application/json", b"[]", 422),
        ("application/json", b"", 422),
        ("text/plain", b"hello", 415),
        ("application/x-www-form-urlencoded", b"%%%", 422),
        ("application/x-www-form-urlencoded", b"name=\xff\xfe&email=a", 400),
        ("application/x-www-form-urlencoded", b"name=%ff%fe&email=a", 400),
        # API Gateway hands text types over as text: the byte arrives as U+FFFD, refused (400)
        ("application/json", b'{"name": "\xff"}', 400),
        ("", b"\xfa\x00", 400),
        ("multipart/form-data; boundary=x", b"--x--", 415),
        ("multipart/form-data", b"--x--", 415),
    ],
)
def test_malformed_bodies_get_a_4xx_problem_never_a_500(api, aws, content_type, body, status):
    reply = api.request(
        "POST", "/membership/applications", body=body, headers=[("content-type", content_type)]
    )
    assert reply.status == status, reply.text
    assert "Traceback" not in reply.text
    assert stored_items(aws) == []


def test_the_staff_list_and_detail_show_the_projected_application(api, aws):
    application_id = api.post_json("/membership/applications", JSON_APPLICATION).json()[
        "application_id"
    ]
    assert api.staff_get("/staff/members?status=applied").json()["count"] == 0
    result = api.project(api.change_records(aws.event_store_table))
    assert result == {"batchItemFailures": []}
    listing = api.staff_get("/staff/members?status=applied").json()
    assert listing["count"] == 1
    (member,) = listing["members"]
    assert (member["member_id"], member["email"], member["status"]) == (
        application_id,
        "erika@example.org",
        "applied",
    )
    detail = api.staff_get(f"/staff/members/{application_id}").json()
    assert detail["summary"]["applicant_name"] == "Erika Mustermann"
    (entry,) = detail["history"]
    assert entry["event_type"] == "MembershipApplied"
    assert entry["version"] == 1
    assert entry["actor"] == "public"
    assert entry["correlation_id"]  # the request id, as in the logs


def test_redelivered_change_records_do_not_change_the_view(api, aws):
    api.post_json("/membership/applications", JSON_APPLICATION)
    records = api.change_records(aws.event_store_table)
    assert api.project(records) == {"batchItemFailures": []}
    before = aws.dynamodb.scan(TableName=aws.views_table)["Items"]
    assert api.project(records + records) == {"batchItemFailures": []}
    assert aws.dynamodb.scan(TableName=aws.views_table)["Items"] == before


def test_a_record_that_cannot_be_projected_is_reported_alone(api, aws):
    api.post_json("/membership/applications", JSON_APPLICATION)
    (good, claim) = sorted(
        api.change_records(aws.event_store_table),
        key=lambda r: r["dynamodb"]["NewImage"]["item_kind"]["S"],
        reverse=True,
    )
    broken = {**good, "dynamodb": {**good["dynamodb"], "SequenceNumber": "999"}}
    broken["dynamodb"]["NewImage"] = {
        **good["dynamodb"]["NewImage"],
        "events": {"S": '[{"type": 1}]'},
    }
    result = api.project([claim, broken, good])
    assert result == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    assert api.staff_get("/staff/members").json()["count"] == 1


def test_staff_routes_need_the_staff_group(api):
    reply = api.staff_get("/staff/members", groups=("members",))
    assert reply.status == 403
    assert reply.headers["content-type"] == "application/problem+json"
    assert api.staff_get("/staff/members", groups=("staff", "board")).status == 200


def test_unknown_member_is_404_and_bad_parameters_are_422(api):
    assert api.staff_get("/staff/members/00000000-0000-0000-0000-000000000000").status == 404
    assert api.staff_get("/staff/members/not-an-id").status == 422
    assert api.staff_get("/staff/members?limit=0").status == 422
    assert api.staff_get("/staff/members?status=DROP%20TABLE").status == 422


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Erlaubt sind: applied, active, terminating, ended, rejected, withdrawn."),
        ("en", "Allowed values: applied, active, terminating, ended, rejected, withdrawn."),
    ],
)
def test_an_unknown_status_is_a_422_naming_the_allowed_ones_not_an_empty_list(
    api, language, message
):
    reply = api.staff_get("/staff/members?status=paid", headers=[("accept-language", language)])
    assert reply.status == 422
    assert reply.json()["errors"] == [{"field": "status", "message": message}]


def test_a_wrong_choice_on_the_form_keeps_its_own_words(api):
    reply = api.post_form("/membership/applications", {**FORM, "membership_type": "club"})
    assert reply.status == 422
    assert "Bitte wählen Sie Unternehmen oder Einzelperson." in reply.text
    assert "Erlaubt sind" not in reply.text


def test_openapi_documents_the_routes():
    import functions.public_api.app as public_api
    import functions.staff_api.app as staff_api

    public = public_api.app.get_openapi_schema().model_dump(by_alias=True)
    assert "/membership/applications" in public["paths"]
    staff = staff_api.app.get_openapi_schema().model_dump(by_alias=True)
    assert "/staff/members/{member_id}" in staff["paths"]


def test_staff_notes_append_to_the_member_stream_with_the_staff_actor(api, aws):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    for text in ("Telefonat am Montag", "Unterlagen erhalten"):
        reply = api.post_note(member_id, text)
        assert reply.status == 202, reply.text
    assert reply.json()["version"] == 3
    history = api.staff_get(f"/staff/members/{member_id}").json()["history"]
    assert [h["event_type"] for h in history] == [
        "MembershipApplied",
        "MemberNoteAdded",
        "MemberNoteAdded",
    ]
    assert history[2]["actor"] == "staff:anna"
    api.project(api.change_records(aws.event_store_table))
    assert api.staff_get(f"/staff/members/{member_id}").json()["summary"]["note_count"] == 2


def test_a_note_with_a_repeated_idempotency_key_is_stored_once(api):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]

    def send():
        return api.post_note(member_id, "x", headers=[("idempotency-key", "k-1")]).json()

    assert send() == {"member_id": member_id, "version": 2, "already_received": False}
    assert send() == {"member_id": member_id, "version": None, "already_received": True}
    assert len(api.staff_get(f"/staff/members/{member_id}").json()["history"]) == 2


def test_a_note_on_an_unknown_member_is_404_and_stores_nothing(api, aws):
    reply = api.post_note("00000000-0000-0000-0000-000000000000", "x")
    assert reply.status == 404
    assert stored_items(aws) == []


def test_the_correlation_id_is_the_request_id_in_the_logs(api, monkeypatch):
    import functions.public_api.app as public_api

    logs = io.StringIO()
    monkeypatch.setattr(public_api.logger.registered_handler, "stream", logs)
    level = public_api.logger.log_level
    public_api.logger.setLevel("INFO")
    try:
        member_id = api.post_json(
            "/membership/applications", JSON_APPLICATION, request_id="req-4711"
        ).json()["application_id"]
    finally:
        public_api.logger.setLevel(level)
    logged = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert any(
        entry.get("correlation_id") == "req-4711" and entry.get("application_id") == member_id
        for entry in logged
    ), logged
    (entry,) = api.staff_get(f"/staff/members/{member_id}").json()["history"]
    assert entry["correlation_id"] == "req-4711"


def test_when_retries_run_out_the_client_gets_a_409_problem(api, aws, monkeypatch):
    from verein.eventstore import ConcurrencyError

    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    store = aws.functions.adapters["StaffApiFunction"].event_store

    def always_behind(stream_id, expected_version, events, **kwargs):
        raise ConcurrencyError(stream_id, expected_version)

    monkeypatch.setattr(store, "append", always_behind)
    monkeypatch.setattr("verein.kernel.runner.time.sleep", lambda _: None)
    reply = api.post_note(member_id, "x", headers=[("accept-language", "en")])
    assert reply.status == 409
    assert reply.json()["title"].startswith("The data was changed concurrently")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
            "application/xml",
        ]
    ),
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(
            st.sampled_from(
                ["name", "email", "organisation", "membership_type", "privacy_consent", "lang", "x"]
            ),
            st.text(max_size=40),
        ).map(lambda d: urlencode(d).encode()),
    ),
)
def test_no_public_input_gets_a_500(api, content_type, body):
    reply = api.request(
        "POST", "/membership/applications", body=body, headers=[("content-type", content_type)]
    )
    assert reply.status in (200, 202, 400, 415, 422), (reply.status, reply.text)
    assert "Traceback" not in reply.text


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40), member_id=st.text(min_size=1, max_size=40))
def test_no_staff_query_gets_a_500(api, query, member_id):
    listing = api.staff_get(f"/staff/members?{quote(query, safe='=&')}")
    assert listing.status in (200, 422), listing.text
    detail = api.staff_get(f"/staff/members/{quote(member_id, safe='')}")
    assert detail.status in (404, 422), detail.text


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
    body=st.one_of(st.binary(max_size=100), json_values.map(lambda v: json.dumps(v).encode())),
    key=st.none() | st.text(max_size=120),
)
def test_no_note_input_gets_a_500(api, content_type, body, key):
    headers = [("content-type", content_type)]
    if key is not None:
        headers.append(("idempotency-key", quote(key)))
    reply = api.request(
        "POST",
        "/staff/members/00000000-0000-0000-0000-000000000000/notes",
        body=body,
        headers=headers,
        groups=("staff",),
    )
    assert reply.status in (400, 404, 415, 422), (reply.status, reply.text)


def test_the_member_list_pages_with_cursors(api, aws):
    for n in range(5):
        api.post_json(
            "/membership/applications", {**JSON_APPLICATION, "email": f"p{n}@example.org"}
        )
    api.project(api.change_records(aws.event_store_table))
    seen, after, pages = [], None, 0
    while True:
        query = "/staff/members?status=applied&limit=2" + (f"&after={after}" if after else "")
        page = api.staff_get(query).json()
        seen.extend(m["email"] for m in page["members"])
        pages += 1
        after = page["next_cursor"]
        if after is None:
            break
    assert sorted(seen) == [f"p{n}@example.org" for n in range(5)]
    assert len(seen) == 5  # no member twice
    assert pages == 3
    forged = api.staff_get("/staff/members?after=bm90LWEtY3Vyc29y")
    assert forged.status == 422
    assert forged.json()["errors"][0]["field"] == "after"


def test_the_member_list_pages_newest_first_when_asked(api, aws):
    for n in range(5):
        api.post_json(
            "/membership/applications", {**JSON_APPLICATION, "email": f"p{n}@example.org"}
        )
    api.project(api.change_records(aws.event_store_table))
    oldest = [m["email"] for m in api.staff_get("/staff/members?order=oldest").json()["members"]]
    explicit = api.staff_get("/staff/members?status=applied&order=oldest").json()["members"]
    assert [m["email"] for m in explicit] == oldest  # by date, applications unless told
    assert sorted(oldest) == [f"p{n}@example.org" for n in range(5)]
    seen, after, pages = [], None, 0
    while True:
        query = "/staff/members?order=newest&limit=2" + (f"&after={after}" if after else "")
        page = api.staff_get(query).json()
        seen.extend(m["email"] for m in page["members"])
        pages += 1
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == oldest[::-1]
    assert pages == 3


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Erlaubt sind: name, oldest, newest."),
        ("en", "Allowed values: name, oldest, newest."),
    ],
)
def test_an_unknown_order_is_a_422_naming_the_allowed_ones(api, language, message):
    reply = api.staff_get("/staff/members?order=latest", headers=[("accept-language", language)])
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["errors"] == [{"field": "order", "message": message}]


# --- Hardening: each case failed (500, 202, a leak or a missing header) before its fix. ---


def test_json_nested_a_thousand_levels_deep_gets_400_and_stores_nothing(api, aws):
    deep = {**JSON_APPLICATION, "ignored": "SENTINEL"}
    body = json.dumps(deep).replace('"SENTINEL"', "[" * 1000 + "]" * 1000).encode()
    assert len(body) < 2200
    reply = api.request(
        "POST",
        "/membership/applications",
        body=body,
        headers=[("content-type", "application/json")],
    )
    assert reply.status == 400 and reply.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in reply.text and "Recursion" not in reply.text
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()
    note = b'{"text": "a", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    reply = api.request(
        "POST",
        f"/staff/members/{member_id['application_id']}/notes",
        body=note,
        headers=[("content-type", "application/json")],
        groups=("staff",),
    )
    assert reply.status == 400
    assert len(stored_items(aws)) == 2  # the application and its claim, no note


def test_multipart_without_a_boundary_gets_415(api, aws):
    reply = api.request(
        "POST",
        "/membership/applications",
        body=b"name=x",
        headers=[("content-type", "multipart/form-data")],
    )
    assert reply.status == 415
    assert stored_items(aws) == []


def test_media_types_are_case_insensitive(api):
    reply = api.request(
        "POST",
        "/membership/applications",
        body=json.dumps(JSON_APPLICATION).encode(),
        headers=[("content-type", "APPLICATION/JSON; Charset=UTF-8")],
    )
    assert reply.status == 202, reply.text
    form = api.request(
        "POST",
        "/membership/applications",
        body=urlencode({**FORM, "email": "form@example.org"}).encode(),
        headers=[("content-type", "Application/X-WWW-Form-Urlencoded")],
    )
    assert form.status == 303 and form.headers["location"].startswith("/membership/thanks?")


def test_a_huge_form_value_gets_413_as_a_page_without_echoing_it(api, aws):
    reply = api.post_form("/membership/applications", {**FORM, "name": "x" * 10_000_000})
    assert reply.status == 413
    assert reply.headers["content-type"].startswith("text/html")
    assert len(reply.text) < 5000 and "xxxx" not in reply.text
    assert stored_items(aws) == []


def test_an_invalid_value_is_echoed_no_longer_than_its_field_takes(api, aws):
    reply = api.post_form("/membership/applications", {**FORM, "name": "y" * 5000})
    assert reply.status == 422
    assert "y" * 200 in reply.text and "y" * 201 not in reply.text
    assert stored_items(aws) == []


def test_pages_and_answers_carry_security_headers(api):
    page = api.request("GET", "/membership/apply")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    unknown = api.staff_get("/staff/members/00000000-0000-0000-0000-000000000000")
    assert unknown.status == 404
    for reply in (page, api.staff_get("/staff/members"), unknown):
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
    assert api.staff_get("/staff/members").headers["cache-control"] == "no-store"


def test_the_page_policy_admits_the_page_style(api):
    page = api.request("GET", "/membership/apply")
    style = re.search(r"<style>(.*?)</style>", page.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]


def test_an_idempotency_key_reused_with_another_note_gets_422_and_stores_nothing(api):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    key = [("idempotency-key", "k-2")]
    assert api.post_note(member_id, "first", headers=key).status == 202
    reused = api.post_note(member_id, "second", headers=key)
    assert reused.status == 422 and reused.headers["content-type"] == "application/problem+json"
    assert api.post_note(member_id, "first", headers=key).json()["already_received"] is True
    texts = [
        e["data"].get("text")
        for e in api.staff_get(f"/staff/members/{member_id}").json()["history"]
    ]
    assert texts == [None, "first"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ["a"]), ("privacy_consent", "yes"), ("email", "Name <x@example.org>")],
)
def test_lax_json_is_refused(api, aws, field, value):
    reply = api.post_json("/membership/applications", {**JSON_APPLICATION, field: value})
    assert reply.status == 422
    assert [e["field"] for e in reply.json()["errors"]] == [field]
    assert stored_items(aws) == []


@pytest.mark.parametrize("name", ["Eri\x00ka", "Eri%FFka"])
def test_control_characters_and_broken_utf8_in_a_form_are_refused(api, aws, name):
    body = urlencode({**FORM, "name": "PLACEHOLDER"}).replace("PLACEHOLDER", quote(name, safe="%"))
    reply = api.request(
        "POST",
        "/membership/applications",
        body=body.encode(),
        headers=[("content-type", "application/x-www-form-urlencoded")],
    )
    assert reply.status in (400, 422) and reply.headers["content-type"].startswith("text/html")
    assert "\ufffd" not in reply.text
    assert stored_items(aws) == []


def test_sharp_s_and_double_s_are_two_applicants(api, aws):
    def commits():
        return sum(i["item_kind"]["S"] == "commit" for i in stored_items(aws))

    api.post_json("/membership/applications", {**JSON_APPLICATION, "email": "x@straße.example"})
    api.post_json("/membership/applications", {**JSON_APPLICATION, "email": "x@STRASSE.example"})
    assert commits() == 2
    again = api.post_json(
        "/membership/applications", {**JSON_APPLICATION, "email": "X@Strasse.Example"}
    )
    assert again.status == 202 and commits() == 2


def test_the_claim_key_is_keyed_not_a_plain_hash_of_the_address(api, aws):
    api.post_json("/membership/applications", JSON_APPLICATION)
    claims = [i["stream_id"]["S"] for i in stored_items(aws) if i["item_kind"]["S"] == "claim"]
    plain = hashlib.sha256(JSON_APPLICATION["email"].encode()).hexdigest()
    assert len(claims) == 1 and plain not in claims[0]


def test_a_repeated_lang_parameter_still_gets_the_form(api):
    reply = api.request("GET", "/membership/apply?lang=en&lang=de")
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    assert 'lang="en"' in reply.text


def test_the_openapi_documents_are_served_the_staff_one_to_staff_only(api):
    public = api.request("GET", "/membership/openapi.json")
    assert public.status == 200 and "/membership/applications" in public.json()["paths"]
    assert api.request("GET", "/staff/openapi.json").status == 401
    assert api.staff_get("/staff/openapi.json", groups=("board",)).status == 403
    staff = api.staff_get("/staff/openapi.json").json()
    assert "/staff/members/{member_id}/notes" in staff["paths"]
    assert staff["components"]["securitySchemes"]["staffToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("target", ["/?lang=en&lang=de", "/membership/thanks?lang=en&lang=de"])
def test_a_repeated_lang_parameter_still_gets_the_page(api, target):
    reply = api.request("GET", target)
    assert reply.status == 200 and 'lang="en"' in reply.text


# --- deciding applications (the membership lifecycle) ---------------------------------------


def test_staff_approve_with_the_next_number_and_retries_get_the_same_answer(api):
    first = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    other = {**JSON_APPLICATION, "email": "zweite@example.org"}
    second = api.post_json("/membership/applications", other).json()["application_id"]
    key = [("idempotency-key", "approve-1")]
    done = api.request("POST", f"/staff/members/{first}/approve", headers=key, groups=("staff",))
    assert done.status == 200
    assert done.json() == {
        "member_id": first,
        "decision": "approved",
        "member_number": 1,
        "version": 2,
        "already_received": False,
    }
    again = api.request("POST", f"/staff/members/{first}/approve", headers=key, groups=("staff",))
    assert (again.json()["member_number"], again.json()["already_received"]) == (1, True)
    assert (
        api.request("POST", f"/staff/members/{second}/approve", groups=("staff",)).json()[
            "member_number"
        ]
        == 2
    )


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Über diesen Antrag ist schon entschieden: er wurde abgelehnt."),
        ("en", "This application was decided already: it was rejected."),
    ],
)
def test_approving_a_rejected_application_is_a_409_naming_the_rule(api, language, title):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    rejected = api.post_json(
        f"/staff/members/{member_id}/reject", {"reason": "Satzung"}, groups=("staff",)
    )
    assert rejected.status == 200 and rejected.json()["decision"] == "rejected"
    refused = api.request(
        "POST",
        f"/staff/members/{member_id}/approve?lang={language}",
        groups=("staff",),
    )
    assert refused.status == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == title
    history = api.staff_get(f"/staff/members/{member_id}").json()["history"]
    assert [h["event_type"] for h in history] == ["MembershipApplied", "ApplicationRejected"]


def test_a_rejection_without_reason_is_a_422_and_an_unknown_member_a_404(api):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    empty = api.post_json(f"/staff/members/{member_id}/reject", {"reason": " "}, groups=("staff",))
    assert empty.status == 422 and empty.json()["errors"][0]["field"] == "reason"
    unknown = api.request(
        "POST", "/staff/members/00000000-0000-4000-8000-000000000000/approve", groups=("staff",)
    )
    assert unknown.status == 404
    withdrawn = api.post_json(f"/staff/members/{member_id}/withdraw", {}, groups=("staff",))
    assert withdrawn.status == 200 and withdrawn.json()["decision"] == "withdrawn"
    again = api.post_json("/membership/applications", JSON_APPLICATION)  # the address is free
    assert again.status == 202


def test_the_directory_downloads_as_csv_for_excel_with_the_filter_applied(api, aws):
    api.post_json("/membership/applications", {**JSON_APPLICATION, "name": "Jörg Weiß"})
    api.project(api.change_records(aws.event_store_table))
    reply = api.staff_get("/staff/members.csv?status=applied")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.headers["content-disposition"].startswith(
        'attachment; filename="mitglieder-applied-'
    )
    assert reply.text.startswith("\ufeffMitgliedsnummer;Name;")
    assert "Jörg Weiß" in reply.text
    assert "Jörg Weiß" not in api.staff_get("/staff/members.csv?status=active").text
    assert api.staff_get("/staff/members.csv?status=foo").status == 422
    assert api.request("GET", "/staff/members.csv").status == 401
