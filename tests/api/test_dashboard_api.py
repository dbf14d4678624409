"""The dashboard through the functions on moto, called with API Gateway's exact events: the
staff API (``GET /staff/dashboard``) and the staff app's page (``GET /control/dashboard``), on
summaries written straight into the views table (so that joins and leaves fall into earlier
months, which the API cannot backdate)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.staff_browser import (
    PASSWORD,
    InProcessTokenEndpoint,
    StaffBrowser,
    local_login,
    login_service,
)
from verein.kernel.clock import ASSOCIATION_ZONE, today
from verein.membership.views.store import DynamoDBMemberViews
from verein.membership.views.summary import MemberSummary
from verein.membership.web import dashboard as dashboard_route
from verein.web.html import PAGE_CSP

STAFF_EMAIL = "anna@verein.example"
SCHEDULE = {
    "effective_from": "2020-01-01",
    "types": [
        {
            "code": "company-small",
            "label_de": "Unternehmen bis 10 Beschäftigte",
            "label_en": "Company up to 10 staff",
            "yearly_fee": "120.00",
        },
        {
            "code": "individual",
            "label_de": "Einzelperson",
            "label_en": "Individual",
            "yearly_fee": 60,
        },
        {"code": "honorary", "label_de": "Ehrenmitglied", "label_en": "Honorary", "yearly_fee": 0},
    ],
}


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


@pytest.fixture
def browser(aws, template, tmp_path) -> StaffBrowser:
    cognito, users, login = local_login(tmp_path)
    users.add(STAFF_EMAIL, PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    assert browser.sign_in(STAFF_EMAIL).status == 200
    return browser


def months_ago(n: int, day: int = 1) -> date:
    this = today()
    index = this.year * 12 + this.month - 1 - n
    return date(index // 12, index % 12 + 1, day)


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), ASSOCIATION_ZONE)


def summary(n: int, status: str, membership_type: str = "individual", **fields) -> MemberSummary:
    values = {
        "member_id": str(uuid.UUID(int=n)),
        "status": status,
        "applicant_name": f"Erika Muster {n}",
        "email": f"p{n}@example.org",
        "organisation": f"Muster {n} GmbH" if n % 2 else None,
        "membership_type": membership_type,
        "language": "de",
        "applied_at": noon(months_ago(40)),
        "position": 2,
    }
    return MemberSummary(**(values | fields))


def seed(aws) -> list[MemberSummary]:
    summaries = [
        summary(1, "active", "company-small", member_since=today()),
        summary(2, "active", member_since=months_ago(3)),
        summary(
            3,
            "terminating",
            "company-small",
            member_since=months_ago(5, 17),
            ends_on=today() + timedelta(days=200),
        ),
        summary(4, "ended", member_since=months_ago(20), ends_on=months_ago(2, 28)),
        summary(5, "active", "company", member_since=months_ago(30)),  # joined before the window
        summary(6, "applied", "company", applied_at=noon(today() - timedelta(days=10))),
        summary(7, "applied", applied_at=noon(today() - timedelta(days=2))),
        summary(8, "rejected"),
        summary(9, "withdrawn"),
    ]
    views = DynamoDBMemberViews(aws.dynamodb, aws.views_table)
    for s in summaries:
        views.save(s, 0)
    return summaries


def put_schedule(api: ApiClient) -> None:
    reply = api.request(
        "PUT",
        "/staff/fees",
        body=json.dumps(SCHEDULE).encode(),
        headers=[("content-type", "application/json")],
        groups=("staff",),
    )
    assert reply.status == 200, reply.text


def test_the_dashboard_counts_statuses_types_months_income_and_open_applications(api, aws):
    seed(aws)
    put_schedule(api)
    reply = api.staff_get("/staff/dashboard")
    assert reply.status == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    assert "no-store" in reply.headers["cache-control"]
    board = reply.json()
    assert board["today"] == today().isoformat()
    assert board["by_status"] == {
        "applied": 2,
        "active": 3,
        "terminating": 1,
        "ended": 1,
        "rejected": 1,
        "withdrawn": 1,
    }
    assert board["members"] == 4
    assert board["members_by_type"] == [
        {"membership_type": "company-small", "members": 2},
        {"membership_type": "company", "members": 1},
        {"membership_type": "individual", "members": 1},
    ]
    months = {m["month"]: (m["joins"], m["leaves"]) for m in board["months"]}
    assert len(board["months"]) == 24 and board["months"][-1]["month"] == month(today())
    assert months[month(today())] == (1, 0)
    assert months[month(months_ago(3))] == (1, 0)
    assert months[month(months_ago(5))] == (1, 0)
    assert months[month(months_ago(20))] == (1, 0)
    assert months[month(months_ago(2))] == (0, 1)
    assert (board["joins"], board["leaves"]) == (4, 1)
    income = board["income"]
    assert income["schedule_from"] == "2020-01-01"
    assert [
        (t["membership_type"], t["members"], t["expected_cents"]) for t in income["by_type"]
    ] == [
        ("company-small", 2, 24000),
        ("individual", 1, 6000),
        ("honorary", 0, 0),
    ]
    assert income["total_cents"] == 30000
    assert income["no_fee_known"] == [{"membership_type": "company", "members": 1}]
    assert [(a["member_id"][-1], a["age_days"]) for a in board["open_applications"]] == [
        ("6", 10),
        ("7", 2),
    ]


def test_every_page_of_every_status_is_read_once(api, aws, monkeypatch):
    seed(aws)
    whole = api.staff_get("/staff/dashboard").json()
    monkeypatch.setattr(dashboard_route, "PAGE", 1)  # a Query page per summary
    assert api.staff_get("/staff/dashboard").json() == whole


def test_without_a_schedule_in_force_the_income_is_unknown(api, aws):
    seed(aws)
    income = api.staff_get("/staff/dashboard").json()["income"]
    assert income["schedule_from"] is None and income["total_cents"] is None
    assert income["by_type"] == []
    assert sum(t["members"] for t in income["no_fee_known"]) == 4


def test_only_staff_get_the_dashboard(api, aws):
    assert api.request("GET", "/staff/dashboard").status == 401
    refused = api.staff_get("/staff/dashboard", groups=("members",))
    assert refused.status == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_dashboard_is_in_the_staff_document(api, aws):
    paths = api.staff_get("/staff/openapi.json").json()["paths"]
    schema = paths["/staff/dashboard"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/Dashboard")


# --- the staff app's page -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ("<h1>Kennzahlen</h1>", "300,00\u00a0€", "seit 10 Tagen", "Einzelperson")),
        ("en", ("<h1>Dashboard</h1>", "€300.00", "10 days", "Individual")),
    ],
)
def test_the_page_shows_cards_chart_tables_and_the_queue(api, aws, browser, language, words):
    seed(aws)
    put_schedule(api)
    page = browser.get(f"/control/dashboard?lang={language}")
    assert page.status == 200, page.text
    assert page.header("content-security-policy") == PAGE_CSP
    for word in words:
        assert word in page.text, word
    assert f'href="/control/dashboard?lang={language}" aria-current="page"' in page.text
    # the chart: an image with a name, a group per month, bars of both kinds, the table too
    assert re.search(r'<svg class="bars" role="img" aria-label="[^"]+"', page.text)
    assert page.text.count("<g>") == 24
    assert page.text.count('<rect class="joins"') == 4
    assert page.text.count('<rect class="leaves"') == 1
    assert page.text.count('<tr><th scope="row">') >= 24
    # nothing the page CSP would refuse
    assert " style=" not in page.text and "<script" not in page.text
    # the queue links to the people, oldest first
    first, second = (f"/control/members/{uuid.UUID(int=n)}?lang={language}" for n in (6, 7))
    assert page.text.index(first) < page.text.index(second)
    assert f'href="/control/members?status=ended&amp;lang={language}"' in page.text


def test_the_page_says_so_when_no_fee_is_known(aws, browser):
    seed(aws)
    page = browser.get("/control/dashboard?lang=de")
    assert page.status == 200, page.text
    assert "Heute gilt keine Beitragsordnung" in page.text
    assert "unbekannt" in page.text
    assert "Ohne bekannten Beitrag" in page.text


def test_the_page_of_an_empty_association(browser):
    page = browser.get("/control/dashboard?lang=en")
    assert page.status == 200, page.text
    assert "No open applications." in page.text and "No members yet." in page.text
    assert page.text.count("<g>") == 24 and "<rect class=" not in page.text


def test_the_page_needs_a_session(aws, template, tmp_path):
    _, _, login = local_login(tmp_path)
    stranger = StaffBrowser(template, aws.functions.invoke, login)
    page = stranger.get("/control/dashboard", follow=False)
    assert page.status == 303 and page.location.startswith("/control/sign-in")
