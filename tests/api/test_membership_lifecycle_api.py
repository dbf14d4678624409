"""The membership lifecycle after the application, through the staff API as API Gateway
calls it: notice, taking it back, exclusion, contact details, the type, ``as_of``."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.samples import JSON_APPLICATION
from verein.kernel.clock import today
from verein.membership.notice import NoticePolicy


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def _member(api, email="anna@example.org"):
    application = {**JSON_APPLICATION, "email": email}
    member_id = api.post_json("/membership/applications", application).json()["application_id"]
    approved = api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",))
    assert approved.status == 200, approved.text
    return member_id


def _post(api, path, body, key=None, language="de"):
    headers = [("idempotency-key", key)] if key else []
    return api.post_json(f"{path}?lang={language}", body, headers=headers, groups=("staff",))


def _detail(api, member_id, query=""):
    reply = api.staff_get(f"/staff/members/{member_id}{query}")
    assert reply.status == 200, reply.text
    return reply.json()


def test_notice_by_default_ends_at_the_term_end_and_a_second_notice_is_refused(api):
    member_id = _member(api)
    given = _post(api, f"/staff/members/{member_id}/terminate", {}, key="n-1")
    assert given.status == 200, given.text
    expected = NoticePolicy().last_day(today())
    assert given.json()["ends_on"] == expected.isoformat()
    again = _post(api, f"/staff/members/{member_id}/terminate", {}, key="n-1")
    assert again.json()["already_received"] is True
    twice = _post(api, f"/staff/members/{member_id}/terminate", {}, language="en")
    assert twice.status == 409
    assert twice.headers["content-type"] == "application/problem+json"
    assert (
        twice.json()["title"]
        == "Only an active member can give notice; this is a membership under notice."
    )
    detail = _detail(api, member_id)
    assert (detail["status"], detail["member_number"]) == ("terminating", 1)
    assert [e["event_type"] for e in detail["history"]][-1] == "NoticeGiven"


def test_a_notice_ending_before_today_is_refused_and_changes_nothing(api):
    member_id = _member(api)
    yesterday = (today() - timedelta(days=1)).isoformat()
    refused = _post(api, f"/staff/members/{member_id}/terminate", {"effective": yesterday})
    assert refused.status == 422
    assert _detail(api, member_id)["status"] == "active"


def test_a_notice_taken_back_leaves_an_active_member(api):
    member_id = _member(api)
    _post(api, f"/staff/members/{member_id}/terminate", {"reason": "Umzug"})
    taken_back = _post(api, f"/staff/members/{member_id}/withdraw-notice", {})
    assert taken_back.status == 200, taken_back.text
    assert _detail(api, member_id)["status"] == "active"
    nothing = _post(api, f"/staff/members/{member_id}/withdraw-notice", {})
    assert nothing.status == 409


def test_an_excluded_member_has_ended_and_the_address_may_apply_again(api):
    member_id = _member(api)
    missing = _post(api, f"/staff/members/{member_id}/exclude", {"reason": " "})
    assert missing.status == 422
    excluded = _post(
        api, f"/staff/members/{member_id}/exclude", {"reason": "Beitrag nicht gezahlt"}
    )
    assert excluded.status == 200, excluded.text
    assert _detail(api, member_id)["status"] == "ended"
    again = _post(api, f"/staff/members/{member_id}/exclude", {"reason": "nochmal"})
    assert again.status == 409
    reapplied = api.post_json("/membership/applications", JSON_APPLICATION)
    assert reapplied.status == 202 and reapplied.json()["application_id"] != member_id


def _send(api, method, target, body):
    return api.request(
        method,
        target,
        body=json.dumps(body).encode(),
        headers=[("content-type", "application/json")],
        groups=("staff",),
    )


def _patch(api, member_id, body, language="de"):
    return _send(api, "PATCH", f"/staff/members/{member_id}?lang={language}", body)


def test_contact_details_change_and_show_in_the_view(api, aws):
    member_id = _member(api)
    changed = _patch(
        api,
        member_id,
        {
            "organisation": "Müller & Söhne GmbH",
            "street": "Hauptstraße 1",
            "postal_code": "12345",
            "city": "Musterstadt",
            "phone": "+49 30 123456",
            "contacts": [{"name": "Eva Müller", "role": "Geschäftsführung"}],
        },
    )
    assert changed.status == 200, changed.text
    api.project(api.change_records(aws.event_store_table))
    summary = _detail(api, member_id)["summary"]
    assert summary["organisation"] == "Müller & Söhne GmbH"
    assert (summary["street"], summary["postal_code"], summary["city"]) == (
        "Hauptstraße 1",
        "12345",
        "Musterstadt",
    )
    assert summary["contacts"] == [
        {"name": "Eva Müller", "role": "Geschäftsführung", "email": None, "phone": None}
    ]
    cleared = _patch(api, member_id, {"phone": ""})
    assert cleared.status == 200
    api.project(api.change_records(aws.event_store_table))
    assert _detail(api, member_id)["summary"]["phone"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"name": "typo"}, {"applicant_name": ""}, {"email": "kein-at"}, {"postal_code": "<1>"}],
)
def test_bad_contact_changes_are_refused_and_change_nothing(api, body):
    member_id = _member(api)
    before = len(_detail(api, member_id)["history"])
    refused = _patch(api, member_id, body)
    assert refused.status == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert len(_detail(api, member_id)["history"]) == before


def test_a_new_address_moves_the_claim(api):
    member_id = _member(api)
    other = _member(api, email="bernd@example.org")
    taken = _patch(api, member_id, {"email": "Bernd@example.org"}, language="en")
    assert taken.status == 409
    assert "belongs to another application or member" in taken.json()["title"]
    moved = _patch(api, member_id, {"email": "anna.neu@example.org"})
    assert moved.status == 200, moved.text
    # The old address is free, the new one is held by this member.
    free = api.post_json("/membership/applications", JSON_APPLICATION)
    assert free.json()["application_id"] not in (member_id, other)
    assert _post(api, f"/staff/members/{member_id}/exclude", {"reason": "x"}).status == 200
    new_address = {**JSON_APPLICATION, "email": "anna.neu@example.org"}
    assert api.post_json("/membership/applications", new_address).status == 202


def test_the_type_changes_to_a_known_type_from_a_date(api):
    member_id = _member(api)
    unknown = _put_type(api, member_id, {"membership_type": "platinum"})
    assert unknown.status == 422
    start = date(today().year + 1, 1, 1)
    changed = _put_type(
        api, member_id, {"membership_type": "individual", "effective": start.isoformat()}
    )
    assert changed.status == 200, changed.text
    assert _detail(api, member_id, f"?as_of={start}")["summary"]["membership_type"] == "individual"
    before = (start - timedelta(days=1)).isoformat()
    assert _detail(api, member_id, f"?as_of={before}")["summary"]["membership_type"] == "company"


def _put_type(api, member_id, body):
    return _send(api, "PUT", f"/staff/members/{member_id}/type", body)


def test_as_of_answers_the_member_on_that_day(api):
    member_id = _member(api)
    _post(api, f"/staff/members/{member_id}/terminate", {})
    ends_on = NoticePolicy().last_day(today())
    on_last_day = _detail(api, member_id, f"?as_of={ends_on}")
    after = _detail(api, member_id, f"?as_of={ends_on + timedelta(days=1)}")
    assert (on_last_day["status"], after["status"]) == ("terminating", "ended")
    yesterday = _detail(api, member_id, f"?as_of={today() - timedelta(days=1)}")
    assert (yesterday["status"], yesterday["summary"], yesterday["history"]) == ("none", None, [])
    for bad in ("2026-13-01", "2026-02-30", "0", "1700000000"):
        refused = api.staff_get(f"/staff/members/{member_id}?as_of={bad}")
        assert refused.status == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("effective", [0, 1798675200, "2027-1-1", "31.12.2027", ["2027-12-31"]])
def test_a_day_is_only_ever_yyyy_mm_dd(api, effective):
    member_id = _member(api)
    refused = _post(api, f"/staff/members/{member_id}/terminate", {"effective": effective})
    assert refused.status == 422, refused.text
    assert _detail(api, member_id)["status"] == "active"
