"""A person's page after the application, in a real browser against the local stack: the
notice and taking it back, contact details with a contact person, the type from a date, the
exclusion, and the page as of a day; at desktop and phone width, in German and English.

Every page a test visits is kept as a screenshot (see conftest.py).
"""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from playwright.sync_api import Page, expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot
from tests.browser.test_staff_pages import sign_in, staff_email  # noqa: F401 - a fixture
from tests.samples import JSON_APPLICATION
from verein.kernel.clock import today

pytestmark = pytest.mark.e2e

TEXTS = {
    "de": {
        "give_notice": "Kündigung erfassen",
        "ending": "Mitgliedschaft beenden",
        "change_type": "Mitgliedsart ändern",
        "notice_done": "Die Kündigung ist erfasst.",
        "under_notice": "Gekündigt",
        "take_back": "Kündigung zurücknehmen",
        "taken_back": "Die Kündigung ist zurückgenommen.",
        "edit": "Kontaktdaten bearbeiten",
        "street": "Straße und Hausnummer",
        "postal_code": "PLZ",
        "city": "Ort",
        "contact_name": "Name",
        "save_contact": "Kontaktdaten speichern",
        "contact_done": "Die Kontaktdaten sind gespeichert.",
        "from": "Gültig ab",
        "save_type": "Mitgliedsart ändern",
        "type_done": "Die Mitgliedsart ist geändert.",
        "reason": "Grund des Ausschlusses",
        "exclude": "Mitglied ausschließen",
        "excluded": "Das Mitglied ist ausgeschlossen.",
        "ended": "Beendet",
        "errors": "Bitte korrigieren",
        "as_of": "Stand am",
        "show": "Anzeigen",
        "not_yet": "An diesem Tag lag noch kein Antrag vor.",
    },
    "en": {
        "give_notice": "Record the notice",
        "ending": "Ending the membership",
        "change_type": "Change the membership type",
        "notice_done": "The notice is recorded.",
        "under_notice": "Under notice",
        "take_back": "Take the notice back",
        "taken_back": "The notice is taken back.",
        "edit": "Edit contact details",
        "street": "Street and number",
        "postal_code": "Postcode",
        "city": "Town",
        "contact_name": "Name",
        "save_contact": "Save contact details",
        "contact_done": "The contact details are saved.",
        "from": "From",
        "save_type": "Change the type",
        "type_done": "The membership type is changed.",
        "reason": "Reason for the exclusion",
        "exclude": "Exclude the member",
        "excluded": "The member is excluded.",
        "ended": "Ended",
        "errors": "Please correct",
        "as_of": "As of",
        "show": "Show",
        "not_yet": "There was no application yet on that day.",
    },
}


def a_member(stack: LocalStack, name: str) -> str:
    token = stack.issue_token(groups=("staff",))
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        body = {**JSON_APPLICATION, "name": name, "email": f"{uuid.uuid4().hex[:10]}@example.org"}
        member_id = client.post("/membership/applications", json=body).json()["application_id"]
        approved = client.post(f"/staff/members/{member_id}/approve", headers=headers)
        assert approved.status_code == 200, approved.text
    return member_id


def open_member(page: Page, member_id: str, email: str, language: str) -> None:
    sign_in(page, email, language, f"/control/members/{member_id}?lang={language}")
    expect(page.get_by_text(TEXTS[language]["ending"])).to_be_visible()


def open_section(page: Page, title: str) -> None:
    """Open a folded section of the person page (a <details> element, no JavaScript)."""
    page.locator("summary", has_text=title).click()


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["de", "en"])
def test_notice_contact_type_and_exclusion_on_the_person_page(
    stack: LocalStack,
    new_page: NewPage,
    screenshot: Screenshot,
    staff_email: str,  # noqa: F811 - the fixture imported above
    language: str,
    size: str,
) -> None:
    texts = TEXTS[language]
    page = new_page(size, language)
    member_id = a_member(stack, f"Clara Schröder {uuid.uuid4().hex[:4]}")
    open_member(page, member_id, staff_email, language)
    screenshot(page, "member")

    open_section(page, texts["ending"])
    page.get_by_role("button", name=texts["give_notice"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["notice_done"])
    expect(page.locator("dl.summary")).to_contain_text(texts["under_notice"])
    screenshot(page, "under-notice")
    open_section(page, texts["ending"])
    page.get_by_role("button", name=texts["take_back"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["taken_back"])

    page.get_by_text(texts["edit"]).click()
    page.get_by_label(texts["street"]).fill("Hauptstraße 1")
    page.get_by_label(texts["postal_code"]).fill("12345")
    page.get_by_label(texts["city"]).fill("Musterstadt")
    page.locator("#contact_0_name").fill("Eva Müller")
    screenshot(page, "contact-form")
    page.get_by_role("button", name=texts["save_contact"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["contact_done"])
    expect(page.locator("dl.summary")).to_contain_text("Hauptstraße 1")
    expect(page.locator("dl.summary")).to_contain_text("Eva Müller")

    start = date(today().year + 1, 1, 1)
    open_section(page, texts["change_type"])
    page.get_by_label("Art" if language == "de" else "Type", exact=True).select_option("individual")
    page.get_by_label(texts["from"]).fill(start.isoformat())
    page.get_by_role("button", name=texts["save_type"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["type_done"])

    open_section(page, texts["ending"])
    page.get_by_role("button", name=texts["exclude"]).click()
    expect(page.locator(".error-summary")).to_contain_text(texts["errors"])
    screenshot(page, "exclusion-error")
    page.get_by_label(texts["reason"]).fill("Beschluss des Vorstands")
    page.get_by_role("button", name=texts["exclude"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["excluded"])
    expect(page.locator("dl.summary")).to_contain_text(texts["ended"])
    screenshot(page, "ended")

    page.get_by_label(texts["as_of"]).fill("2020-01-01")
    page.get_by_role("button", name=texts["show"]).click()
    expect(page.get_by_text(texts["not_yet"])).to_be_visible()
    screenshot(page, "as-of")
