"""A member's own notice by a signed link, as API Gateway calls the functions: the request
that answers the same for every address, the mail, the link's page and its button."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.samples import JSON_APPLICATION


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def _member(api, email="anna@example.org"):
    application = {**JSON_APPLICATION, "email": email}
    member_id = api.post_json("/membership/applications", application).json()["application_id"]
    assert (
        api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",)).status == 200
    )
    return member_id


def _mails_to(api, aws, address):
    api.project(api.change_records(aws.event_store_table))
    return [m for m in aws.mail.mails if m.to == address]


def _status(api, member_id):
    return api.staff_get(f"/staff/members/{member_id}").json()["status"]


def test_the_request_answers_the_same_and_only_a_members_mailbox_gets_the_link(api, aws):
    member_id = _member(api)
    before = len(_mails_to(api, aws, "anna@example.org"))
    known = api.post_json("/membership/termination-requests", {"email": "Anna@Example.org"})
    unknown = api.post_json("/membership/termination-requests", {"email": "nobody@example.org"})
    assert (
        (known.status, known.json())
        == (unknown.status, unknown.json())
        == (
            202,
            {"status": "requested"},
        )
    )
    mails = _mails_to(api, aws, "anna@example.org")[before:]
    assert len(mails) == 1 and not _mails_to(api, aws, "nobody@example.org")
    (link,) = [u for u in mails[0].links if "/membership/notice/" in u]
    assert "Link gilt bis" in mails[0].text
    again = api.post_json("/membership/termination-requests", {"email": "anna@example.org"})
    assert again.status == 202
    assert len(_mails_to(api, aws, "anna@example.org")[before:]) == 1  # one per hour
    assert _status(api, member_id) == "active"

    target = urlsplit(link)
    path = f"{target.path}?{target.query}"
    page = api.request("GET", path)
    assert page.status == 200 and "Kündigung bestätigen" in page.text
    assert _status(api, member_id) == "active"  # opening the link changes nothing
    given = api.post_form(target.path, {"lang": "de"})
    assert given.status == 303
    assert "Ihre Kündigung ist eingegangen" in api.request("GET", given.headers["location"]).text
    assert api.post_form(target.path, {"lang": "de"}).status == 303  # pressed twice
    detail = api.staff_get(f"/staff/members/{member_id}").json()
    notices = [e for e in detail["history"] if e["event_type"] == "NoticeGiven"]
    assert detail["status"] == "terminating" and len(notices) == 1
    assert notices[0]["data"]["by_member"] is True
    assert notices[0]["actor"] == f"member:{member_id}"


@pytest.mark.parametrize("token", ["abc.def", "eyJwIjoibWVtYmVyc2hpcC1ub3RpY2UifQ.AAAA"])
def test_a_tampered_link_gets_a_clear_page_and_changes_nothing(api, token):
    page = api.request("GET", f"/membership/notice/{token}?lang=en")
    assert page.status == 400 and "This link is not valid" in page.text
    posted = api.post_form(f"/membership/notice/{token}?lang=en", {"lang": "en"})
    assert posted.status == 400 and "This link is not valid" in posted.text


def test_a_bad_address_gets_the_form_with_its_message(api):
    refused = api.post_form("/membership/termination-requests", {"email": "kein-at", "lang": "en"})
    assert refused.status == 422 and "text/html" in refused.headers["content-type"]
    assert 'href="#email"' in refused.text
    as_json = api.post_json("/membership/termination-requests", {"email": 5})
    assert as_json.status == 422
    assert as_json.headers["content-type"] == "application/problem+json"


def test_the_form_and_the_next_steps_are_pages_in_both_languages(api):
    form = api.request("GET", "/membership/notice?lang=en")
    assert form.status == 200 and "Send me the link" in form.text
    done = api.post_form("/membership/termination-requests", {"email": "x@example.org"})
    assert done.status == 303 and done.headers["location"].startswith(
        "/membership/notice-requested"
    )
    steps = api.request("GET", done.headers["location"])
    assert "Bitte prüfen Sie Ihr Postfach" in steps.text
