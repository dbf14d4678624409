"""The fee schedule's staff page in a real browser against the local stack: the version in
force, upcoming and earlier versions, setting a version through the form (with and without
JavaScript), and the error summary; at desktop and phone width, in German and English.

Every page a test visits is kept as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "ein langes Passwort 42"
WORDS = {
    "de": {
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "sign_in": "Anmelden",
        "title": "Beitragsordnung",
        "in_force": "Zurzeit gültig",
        "upcoming": "Geplante Fassungen",
        "past": "Frühere Fassungen",
        "save": "Fassung speichern",
        "saved": "Die Fassung ist gespeichert.",
        "errors": "Bitte korrigieren",
        "fee_error": "Bitte geben Sie den Jahresbeitrag in Euro an",
    },
    "en": {
        "email": "E-mail address",
        "password": "Password",
        "sign_in": "Sign in",
        "title": "Fee schedule",
        "in_force": "In force now",
        "upcoming": "Upcoming versions",
        "past": "Earlier versions",
        "save": "Save version",
        "saved": "The version is saved.",
        "errors": "Please correct",
        "fee_error": "Please give the yearly fee in euros",
    },
}
SEEDED = [
    {
        "effective_from": "2019-01-01",
        "types": [
            {
                "code": "company-small",
                "label_de": "Unternehmen bis 10 Beschäftigte",
                "label_en": "Company up to 10 staff",
                "yearly_fee": "100.00",
            },
            {
                "code": "individual",
                "label_de": "Einzelperson",
                "label_en": "Individual",
                "yearly_fee": 50,
            },
        ],
    },
    {
        "effective_from": "2020-01-01",
        "types": [
            {
                "code": "company-small",
                "label_de": "Unternehmen bis 10 Beschäftigte",
                "label_en": "Company up to 10 staff",
                "yearly_fee": "120.00",
            },
            {
                "code": "company-large",
                "label_de": "Unternehmen ab 250 Beschäftigten (Großunternehmen mit Sitz in der "
                "Stadt)",
                "label_en": "Company from 250 staff (large company based in the city)",
                "yearly_fee": "1250.50",
            },
            {
                "code": "individual",
                "label_de": "Einzelperson",
                "label_en": "Individual",
                "yearly_fee": 60,
            },
            {
                "code": "honorary",
                "label_de": "Ehrenmitglied",
                "label_en": "Honorary member",
                "yearly_fee": 0,
            },
        ],
    },
]


@pytest.fixture(scope="module")
def staff_email(stack: LocalStack) -> str:
    email = f"fees-{uuid.uuid4().hex[:8]}@verein.example"
    stack.users.add(email, PASSWORD, ["staff"])
    return email


@pytest.fixture(scope="module")
def seeded(stack: LocalStack) -> None:
    """An earlier version and the one in force, set through the staff API as a script would."""
    token = stack.issue_token(groups=("staff",))
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        for version in SEEDED:
            reply = client.put("/staff/fees", json=version)
            assert reply.status_code == 200, reply.text


def open_fees(page: Page, email: str, language: str) -> None:
    words = WORDS[language]
    page.goto(f"/control/fees?lang={language}")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])


def no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize(
    ("size", "language", "javascript", "year"),
    [("desktop", "de", True, 2090), ("phone", "en", True, 2091), ("desktop", "de", False, 2092)],
    ids=["desktop-de", "phone-en", "desktop-de-no-javascript"],
)
def test_fees_the_schedule_is_shown_and_a_version_set_through_the_form(
    new_page: NewPage,
    screenshot: Screenshot,
    staff_email,
    seeded,
    size,
    language,
    javascript,
    year,
):
    words = WORDS[language]
    page = new_page(size, language, javascript)
    open_fees(page, staff_email, language)
    nav = page.get_by_role("link", name=words["title"])
    expect(nav).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=words["in_force"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["past"])).to_be_visible()
    in_force = page.locator("table.fees").first
    expect(in_force).to_contain_text({"de": "1.250,50\u00a0€", "en": "€1,250.50"}[language])
    expect(in_force).to_contain_text({"de": "Ehrenmitglied", "en": "Honorary member"}[language])
    # the form comes filled in with the types in force, and three empty rows
    expect(page.locator("#code-0")).to_have_value("company-small")
    expect(page.locator("#yearly_fee-0")).to_have_value({"de": "120,00", "en": "120.00"}[language])
    expect(page.locator("#code-6")).to_have_value("")
    expect(page.locator("#code-7")).to_have_count(0)
    no_horizontal_overflow(page)
    screenshot(page, "schedule")

    page.locator("#effective_from").fill(f"{year}-01-01")
    page.locator("#yearly_fee-0").fill({"de": "135,00", "en": "135.00"}[language])
    page.locator("#code-3").fill("")  # honorary: removed
    tag = uuid.uuid4().hex[:4]
    page.locator("#code-4").fill(f"startup-{tag}")
    page.locator("#label_de-4").fill(f"Gründung {tag}")
    page.locator("#label_en-4").fill(f"Start-up {tag}")
    page.locator("#yearly_fee-4").fill("30")
    screenshot(page, "form-filled")
    page.get_by_role("button", name=words["save"]).click()

    expect(page.get_by_role("status")).to_have_text(words["saved"])
    expect(page.get_by_role("heading", name=words["upcoming"])).to_be_visible()
    day = {"de": f"Ab 01.01.{year}", "en": f"From 1 January {year}"}[language]
    heading = page.get_by_role("heading", name=day)
    expect(heading).to_be_visible()
    listed = heading.locator("xpath=following-sibling::div[1]")
    expect(listed).to_contain_text(f"startup-{tag}")
    expect(listed).to_contain_text({"de": f"Gründung {tag}", "en": f"Start-up {tag}"}[language])
    expect(listed).to_contain_text({"de": "135,00\u00a0€", "en": "€135.00"}[language])
    expect(listed).not_to_contain_text("honorary")
    no_horizontal_overflow(page)
    screenshot(page, "version-set")


@pytest.mark.parametrize(("size", "language"), [("phone", "de"), ("desktop", "en")])
def test_fees_a_wrong_fee_gets_the_error_summary_with_focus_and_a_link_to_the_field(
    new_page: NewPage, screenshot: Screenshot, staff_email, seeded, size, language
):
    words = WORDS[language]
    page = new_page(size, language)
    open_fees(page, staff_email, language)
    page.locator("#yearly_fee-1").fill("1.250,505")
    page.locator("#code-2").fill("Einzel Person")
    page.get_by_role("button", name=words["save"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(words["errors"])
    expect(summary).to_contain_text(words["fee_error"])
    expect(summary).to_be_focused()
    no_horizontal_overflow(page)
    screenshot(page, "errors")
    summary.get_by_role("link", name=re.compile(words["fee_error"])).click()
    expect(page.locator("#yearly_fee-1")).to_be_focused()
    expect(page.locator("#yearly_fee-1")).to_have_value("1.250,505")  # what was typed
    expect(page.locator("#code-2")).to_have_attribute("aria-invalid", "true")
