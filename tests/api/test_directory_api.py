"""The staff API's directory: ``GET /staff/members`` by name with filters and search, and its
CSV, through the staff function with API Gateway's events, on the views table."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from verein.kernel.clock import today
from verein.membership.views.store import DynamoDBMemberViews
from verein.membership.views.summary import MemberSummary

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
GROUP = str(uuid.UUID(int=500))


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def member(n: int, name: str, **fields) -> MemberSummary:
    values = {
        "member_id": str(uuid.UUID(int=n + 1)),
        "status": "active",
        "email": f"m{n}@example.org",
        "organisation": None,
        "membership_type": "individual",
        "language": "de",
        "applied_at": T0 + timedelta(minutes=n),
        "position": 1,
    }
    return MemberSummary(applicant_name=name, **(values | fields))


@pytest.fixture
def register(aws):
    views = DynamoDBMemberViews(aws.dynamodb, aws.views_table)
    members = [
        member(1, "Jürgen Müller", member_number=1, groups=[GROUP], street="Hauptstraße 1"),
        member(2, "Hans Mueller", member_number=2, phone="+49 30 1234"),
        member(3, "Petra Muller", status="applied"),
        member(4, "Erika Schmidt", organisation="Straßenbau GmbH", membership_type="company"),
        member(5, "Anna Alt", status="terminating", ends_on=today() - timedelta(days=1)),
        member(6, "Zoe Zander", status="withdrawn"),
    ]
    for m in members:
        views.save(m, expected_position=0)
    return members


def names(reply) -> list[str]:
    assert reply.status == 200, reply.text
    return [m["organisation"] or m["applicant_name"] for m in reply.json()["members"]]


def listed(api, **params) -> list[str]:
    return names(api.staff_get(f"/staff/members?{urlencode(params)}"))


def test_the_list_is_everyone_by_name_unless_asked_otherwise(api, register):
    reply = api.staff_get("/staff/members")
    assert names(reply) == [
        "Anna Alt",
        "Hans Mueller",
        "Jürgen Müller",
        "Petra Muller",
        "Straßenbau GmbH",
        "Zoe Zander",
    ]
    body = reply.json()
    assert (body["status"], body["count"], body["next_cursor"]) == (None, 6, None)
    # full summaries, as by status: the address too
    assert body["members"][2]["street"] == "Hauptstraße 1"


@pytest.mark.parametrize("q", ["Müller", "mueller", "MULLER"])
def test_a_search_finds_every_spelling(api, register, q):
    assert listed(api, q=q) == ["Hans Mueller", "Jürgen Müller", "Petra Muller"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "strasse"}, ["Straßenbau GmbH"]),
        ({"q": "m2@example"}, ["Hans Mueller"]),
        ({"status": "active", "q": "muller"}, ["Hans Mueller", "Jürgen Müller"]),
        ({"status": "ended"}, ["Anna Alt"]),  # notice taken effect: ended today
        ({"type": "company"}, ["Straßenbau GmbH"]),
        ({"group": GROUP}, ["Jürgen Müller"]),
        ({"status": "rejected"}, []),
        ({"q": "nobody"}, []),
    ],
)
def test_filters_and_search_combine(api, register, params, expected):
    assert listed(api, **params) == expected


def test_the_directory_pages_by_name_with_the_same_filters(api, register):
    seen, after, pages = [], None, 0
    while True:
        params = {"q": "example", "limit": 2} | ({"after": after} if after else {})
        page = api.staff_get(f"/staff/members?{urlencode(params)}").json()
        seen += [m["applicant_name"] for m in page["members"]]
        pages, after = pages + 1, page["next_cursor"]
        if after is None:
            break
    assert seen == [
        "Anna Alt",
        "Hans Mueller",
        "Jürgen Müller",
        "Petra Muller",
        "Erika Schmidt",  # Straßenbau GmbH
        "Zoe Zander",
    ]
    assert pages == 3


def test_the_queue_of_applications_is_still_by_date(api, register):
    assert listed(api, order="oldest") == ["Petra Muller"]
    assert listed(api, status="active", order="newest") == [
        "Straßenbau GmbH",
        "Hans Mueller",
        "Jürgen Müller",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=Company", "type"),
        ("type=" + "a" * 41, "type"),
        ("group=not-a-group", "group"),
        ("q=" + "x" * 201, "q"),
        ("after=" + "x" * 401, "after"),
        ("order=oldest&q=anna", "q"),
        ("order=newest&type=company", "type"),
        ("order=oldest&group=" + GROUP, "group"),
        ("after=" + "YW5uYSAj" + "x" * 10, "after"),  # not a cursor handed out
        ("status=applied&order=oldest&after=" + "YW5uYSAjMDAwMDAwMDAtMDAwMC0wMDAw", "after"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(api, register, query, field):
    reply = api.staff_get(f"/staff/members?{query}", headers=[("accept-language", "en")])
    assert reply.status == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in reply.json()["errors"]] == [field]


def test_a_cursor_of_one_order_is_refused_by_the_other(api, register, aws):
    views = DynamoDBMemberViews(aws.dynamodb, aws.views_table)
    views.save(member(7, "Paul Applied", status="applied"), expected_position=0)
    by_name = api.staff_get("/staff/members?limit=1").json()["next_cursor"]
    by_date = api.staff_get("/staff/members?order=oldest&limit=1").json()["next_cursor"]
    assert api.staff_get(f"/staff/members?order=oldest&after={by_name}").status == 422
    assert api.staff_get(f"/staff/members?after={by_date}").status == 422


def rows(reply) -> list[list[str]]:
    assert reply.status == 200, reply.text
    assert reply.text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(reply.text[1:], newline=""), delimiter=";"))


def test_the_csv_has_the_filter_applied_and_full_rows(api, register):
    reply = api.staff_get("/staff/members.csv?q=mueller")
    assert reply.headers["content-disposition"].startswith('attachment; filename="mitglieder-alle-')
    header, *body = rows(reply)
    assert header[:4] == ["Mitgliedsnummer", "Name", "Organisation", "E-Mail"]
    assert header[9:13] == ["Straße", "PLZ", "Ort", "Telefon"]
    assert [r[1] for r in body] == ["Hans Mueller", "Jürgen Müller", "Petra Muller"]
    assert body[0][12] == "'+49 30 1234"  # kept as text: a leading + is a formula to Excel
    assert body[1][9] == "Hauptstraße 1"
    active = rows(api.staff_get("/staff/members.csv?status=active&type=individual"))
    assert [r[1] for r in active[1:]] == ["Hans Mueller", "Jürgen Müller"]
    ended = api.staff_get("/staff/members.csv?status=ended")
    assert ended.headers["content-disposition"].startswith(
        'attachment; filename="mitglieder-ended-'
    )
    assert [(r[1], r[5]) for r in rows(ended)[1:]] == [("Anna Alt", "Beendet")]
    assert api.staff_get("/staff/members.csv?order=oldest&q=x").status == 422
    assert api.staff_get("/staff/members.csv?type=X").status == 422
