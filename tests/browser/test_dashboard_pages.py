"""The dashboard in a real browser against the local stack: the cards, the chart of joins and
leaves per month (inline SVG, its legend and month labels, the table behind it), the members
by status and type, the fee income and the queue of open applications; at desktop and phone
width, in German and English, and without JavaScript.

Joins and leaves of earlier months cannot be made through the API (it records today), so the
module writes backdated member summaries straight into the stack's views table; two real
applications come through the public API, so that the queue links to real people.

Every page a test visits is kept as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

import boto3
import httpx
import pytest
from playwright.sync_api import Page, expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot
from tests.browser.test_staff_pages import (  # noqa: F401 - a fixture
    no_horizontal_overflow,
    sign_in,
    staff_email,
)
from tests.samples import JSON_APPLICATION
from verein.kernel.clock import ASSOCIATION_ZONE, today
from verein.membership.views.store import DynamoDBMemberViews
from verein.membership.views.summary import MemberSummary

pytestmark = pytest.mark.e2e

JOINS = [2, 3, 1, 0, 4, 2, 1, 3, 5, 2, 0, 1, 2, 4, 3, 1, 2, 6, 3, 2, 1, 4, 2, 1]
LEAVES = [0, 1, 0, 0, 1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 0, 3, 0, 1, 0, 0, 1, 0, 0, 1]
"""Per month, oldest first; the last is the current month."""
LONG_STANDING = 40
"""Members since before the chart's 24 months."""
TYPES = ["company-small", "individual", "company-small", "honorary", "company"]
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
            "yearly_fee": "60.00",
        },
        {
            "code": "honorary",
            "label_de": "Ehrenmitglied",
            "label_en": "Honorary member",
            "yearly_fee": 0,
        },
    ],
}
WORDS = {
    "de": {
        "title": "Kennzahlen",
        "members": "Mitglieder",
        "joins": "Beitritte",
        "leaves": "Austritte",
        "chart": "Beitritte und Austritte je Monat",
        "table": "Die Zahlen je Monat als Tabelle",
        "income": "Erwartete Beitragseinnahmen",
        "no_fee": "Ohne bekannten Beitrag",
        "open": "Offene Anträge",
        "waiting": "seit 12 Tagen",
    },
    "en": {
        "title": "Dashboard",
        "members": "Members",
        "joins": "Joins",
        "leaves": "Leaves",
        "chart": "Joins and leaves per month",
        "table": "The numbers per month as a table",
        "income": "Expected fee income",
        "no_fee": "No fee known",
        "open": "Open applications",
        "waiting": "12 days",
    },
}


def months_ago(n: int, day: int = 1) -> date:
    this = today()
    index = this.year * 12 + this.month - 1 - n
    return date(index // 12, index % 12 + 1, day)


def backdated(n: int, status: str, **fields: object) -> MemberSummary:
    values: dict[str, object] = {
        "member_id": str(uuid.UUID(int=n)),
        "status": status,
        "applicant_name": f"Mitglied {n}",
        "email": f"m{n}@example.org",
        "organisation": f"Firma {n} GmbH",
        "membership_type": TYPES[n % len(TYPES)],
        "language": "de",
        "applied_at": datetime.combine(months_ago(30), time(10), ASSOCIATION_ZONE),
        "position": 2,
    }
    return MemberSummary(**(values | fields))


@pytest.fixture(scope="module")
def association(stack: LocalStack) -> dict[str, object]:
    """Members who joined and left over two years, a fee schedule, three open applications
    (the oldest 12 days old, written like the members; two real ones from today)."""
    summaries: list[MemberSummary] = []
    n = 1
    for back, count in enumerate(reversed(JOINS)):
        for k in range(count):
            summaries.append(backdated(n, "active", member_since=months_ago(back, 1 + k)))
            n += 1
    for back, count in enumerate(reversed(LEAVES)):
        for _ in range(count):
            since = months_ago(30)
            summaries.append(backdated(n, "ended", member_since=since, ends_on=months_ago(back)))
            n += 1
    for _ in range(LONG_STANDING):
        summaries.append(backdated(n, "active", member_since=months_ago(30)))
        n += 1
    applied = datetime.combine(today() - timedelta(days=12), time(10), ASSOCIATION_ZONE)
    summaries.append(backdated(n, "applied", applied_at=applied, applicant_name="Frühe Anfrage"))
    client = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    views = DynamoDBMemberViews(client, stack.template.table_name("ViewsTable"))
    for summary in summaries:
        views.save(summary, 0)

    tag = uuid.uuid4().hex[:6]
    names = [f"Greta Übermuth {tag}", f"Hans Zöllner {tag}"]
    token = stack.issue_token(groups=("staff",))
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        for k, name in enumerate(names):
            body = {**JSON_APPLICATION, "name": name, "email": f"d{k}-{tag}@example.org"}
            assert http.post("/membership/applications", json=body).status_code == 202
        fees = http.put("/staff/fees", json=SCHEDULE, headers={"Authorization": f"Bearer {token}"})
        assert fees.status_code == 200, fees.text
    assert stack.wait_for_projections(20)
    return {"applicants": names, "members": sum(JOINS) + LONG_STANDING}


def open_dashboard(page: Page, email: str, language: str) -> None:
    sign_in(page, email, language, f"/control/dashboard?lang={language}")
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[language]["title"])


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_dashboard_reads_at_a_glance(
    new_page: NewPage,
    screenshot: Screenshot,
    staff_email: str,  # noqa: F811 - the fixture imported above
    association: dict,
    language: str,
    size: str,
) -> None:
    words = WORDS[language]
    page = new_page(size, language)
    open_dashboard(page, staff_email, language)
    no_horizontal_overflow(page)

    cards = page.locator("ul.cards li")
    expect(cards.nth(0)).to_contain_text(str(association["members"]))
    expect(cards.nth(0)).to_contain_text(words["members"])
    expect(cards.nth(1)).to_contain_text("3")
    expect(cards.nth(2)).to_contain_text(str(sum(JOINS)))
    expect(cards.nth(3)).to_contain_text(str(sum(LEAVES)))

    chart = page.get_by_role("img", name=re.compile(words["joins"], re.IGNORECASE))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    main = page.locator("main").bounding_box()
    assert box and main and box["width"] > main["width"] * 0.85, (box, main)
    legend = page.locator("ul.legend")
    expect(legend).to_contain_text(words["joins"])
    expect(legend).to_contain_text(words["leaves"])
    assert page.locator("svg.bars rect.joins").count() == sum(1 for j in JOINS if j)
    assert page.locator("svg.bars rect.leaves").count() == sum(1 for v in LEAVES if v)
    # the months are labelled: all of them on a desktop, every third on a phone; and years
    labels = page.locator("svg.bars text.month")
    assert labels.count() == 24
    visible = [labels.nth(i).is_visible() for i in range(24)]
    assert sum(visible) == (24 if size == "desktop" else 8), visible
    assert page.locator("svg.bars text.year").count() >= 2
    # the tallest join bar is the month with the most joins
    heights = [
        float(page.locator("svg.bars g").nth(i).locator("rect.joins").get_attribute("height"))
        if JOINS[i]
        else 0.0
        for i in range(24)
    ]
    assert heights.index(max(heights)) == JOINS.index(max(JOINS))
    screenshot(page, "dashboard")

    page.get_by_text(words["table"]).click()
    table = page.locator("table.numbers").first
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(24)
    expect(table.locator("tfoot")).to_contain_text(str(sum(JOINS)))
    no_horizontal_overflow(page)
    screenshot(page, "dashboard-with-table")

    expect(page.get_by_role("heading", name=words["income"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["no_fee"])).to_be_visible()
    queue = page.locator("table.open tbody tr")
    expect(queue).to_have_count(3)
    expect(queue.first).to_contain_text(words["waiting"])
    page.get_by_role("link", name=association["applicants"][0]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(association["applicants"][0])


def test_the_dashboard_works_without_javascript(
    new_page: NewPage,
    screenshot: Screenshot,
    staff_email: str,  # noqa: F811
    association: dict,
) -> None:
    page = new_page("desktop", "de", javascript=False)
    open_dashboard(page, staff_email, "de")
    expect(page.locator("svg.bars")).to_be_visible()
    page.get_by_text(WORDS["de"]["table"]).click()  # <details>: no script needed
    expect(page.locator("table.numbers").first).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Kennzahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen")
    screenshot(page, "dashboard-without-javascript")
