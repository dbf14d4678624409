"""Working groups' staff pages in a real browser against the local stack: the list, creating
a group, its page, editing and closing it, the error summary; at desktop and phone width, in
German and English, with and without JavaScript.

Every page a test visits is kept as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
import uuid

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
        "nav": "Arbeitsgruppen",
        "project_group": "Projektgruppe",
        "description": "Beschreibung (optional)",
        "create": "Gruppe anlegen",
        "created": "Die Arbeitsgruppe ist angelegt.",
        "save": "Änderungen speichern",
        "changed": "Die Änderungen sind gespeichert.",
        "close": "Gruppe schließen",
        "closed": "Die Arbeitsgruppe ist geschlossen.",
        "closed_status": "Geschlossen",
        "members": "Mitglieder anzeigen",
        "back": "Zurück zu den Arbeitsgruppen",
        "errors": "Bitte korrigieren",
        "name_missing": "Bitte geben Sie der Gruppe einen Namen.",
        "taken": "Eine offene Arbeitsgruppe mit diesem Namen gibt es schon.",
    },
    "en": {
        "email": "E-mail address",
        "password": "Password",
        "sign_in": "Sign in",
        "nav": "Working groups",
        "project_group": "Project group",
        "description": "Description (optional)",
        "create": "Create the group",
        "created": "The group is created.",
        "save": "Save changes",
        "changed": "The changes are saved.",
        "close": "Close the group",
        "closed": "The group is closed.",
        "closed_status": "Closed",
        "members": "Show members",
        "back": "Back to the groups",
        "errors": "Please correct",
        "name_missing": "Please give the group a name.",
        "taken": "There is an open group with this name already.",
    },
}


@pytest.fixture(scope="module")
def staff_email(stack: LocalStack) -> str:
    email = f"staff-{uuid.uuid4().hex[:8]}@verein.example"
    stack.users.add(email, PASSWORD, ["staff"])
    return email


def sign_in(page: Page, email: str, language: str, target: str = "/control") -> None:
    words = WORDS[language]
    page.goto(f"{target}?lang={language}")
    expect(page.get_by_label(words["email"])).to_be_visible()
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()


def name_field(page: Page):
    """The group's name (its label ends with the required mark, which is no part of it)."""
    return page.get_by_role("textbox", name=re.compile(r"^Name\b"))


def no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize(("size", "language"), [("desktop", "de"), ("phone", "en")])
def test_create_see_edit_and_close_a_group(
    new_page: NewPage, screenshot: Screenshot, staff_email, size, language
):
    words = WORDS[language]
    tag = uuid.uuid4().hex[:6]
    name = f"Marktplatz {tag}"
    page = new_page(size, language)
    sign_in(page, staff_email, language)
    page.get_by_role("link", name=words["nav"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["nav"])
    no_horizontal_overflow(page)
    screenshot(page, "list")

    name_field(page).fill(name)
    page.get_by_label(words["project_group"], exact=True).check()
    page.get_by_label(words["description"]).fill(
        "Der Wochenmarkt auf dem Rathausplatz,\njeden Samstag."
    )
    page.get_by_role("button", name=words["create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_have_text(words["created"])
    members = page.get_by_role("link", name=words["members"])
    expect(members).to_have_attribute(
        "href", re.compile(r"^/control/members\?group=[0-9a-f-]{36}&lang=")
    )
    expect(page.locator("dl.summary")).to_contain_text(words["project_group"])
    no_horizontal_overflow(page)
    screenshot(page, "created")

    name_field(page).fill(f"Projekt {name}")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Projekt {name}")
    expect(page.get_by_role("status")).to_have_text(words["changed"])
    screenshot(page, "changed")

    page.get_by_role("button", name=words["close"]).click()
    expect(page.get_by_role("status")).to_have_text(words["closed"])
    expect(page.get_by_role("button", name=words["close"])).to_have_count(0)
    expect(page.get_by_role("button", name=words["save"])).to_have_count(0)
    no_horizontal_overflow(page)
    screenshot(page, "closed")

    page.get_by_role("link", name=words["back"]).click()
    row = page.locator("tr", has=page.get_by_role("link", name=f"Projekt {name}"))
    expect(row).to_contain_text(words["closed_status"])
    no_horizontal_overflow(page)
    screenshot(page, "list-with-closed-group")


@pytest.mark.parametrize(("size", "language"), [("phone", "de"), ("desktop", "en")])
def test_errors_get_the_summary_with_focus_and_a_link_to_the_field(
    new_page: NewPage, screenshot: Screenshot, staff_email, size, language
):
    words = WORDS[language]
    page = new_page(size, language)
    sign_in(page, staff_email, language, "/control/working-groups")
    page.get_by_role("button", name=words["create"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(words["errors"])
    expect(summary).to_contain_text(words["name_missing"])
    expect(summary).to_be_focused()
    no_horizontal_overflow(page)
    screenshot(page, "name-missing")
    summary.get_by_role("link").first.click()
    expect(name_field(page)).to_be_focused()

    name = f"Arbeitskreis Wirtschaft {uuid.uuid4().hex[:6]}"
    name_field(page).fill(name)
    page.get_by_role("button", name=words["create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("link", name=words["back"]).click()
    name_field(page).fill(name.upper())
    page.get_by_role("button", name=words["create"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["taken"])
    expect(name_field(page)).to_have_value(name.upper())
    screenshot(page, "name-taken")


def test_the_group_pages_work_without_javascript(
    new_page: NewPage, screenshot: Screenshot, staff_email
):
    page = new_page("desktop", "de", javascript=False)
    sign_in(page, staff_email, "de", "/control/working-groups")
    name = f"Ohne JavaScript {uuid.uuid4().hex[:6]}"
    name_field(page).fill(name)
    page.get_by_role("button", name="Gruppe anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_label("Beschreibung (optional)").fill("Ohne Skripte beschrieben")
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.locator("dl.summary")).to_contain_text("Ohne Skripte beschrieben")
    expect(page.locator("dl.summary")).to_contain_text("Arbeitskreis")
    screenshot(page, "edited-without-javascript")
