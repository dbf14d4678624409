"""The staff app in a real browser against the local stack: sign in at the (local) managed
login, the list, a person, a note, sign out; at desktop and phone width, in German and
English, with and without JavaScript; and the session's defences over real HTTP.

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
from tests.samples import JSON_APPLICATION

pytestmark = pytest.mark.e2e

PASSWORD = "ein langes Passwort 42"
TEXTS = {
    "de": {
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "sign_in": "Anmelden",
        "list": "Anträge und Mitglieder",
        "sign_out": "Abmelden",
        "note": "Notiz",
        "save": "Notiz speichern",
        "saved": "Die Notiz ist gespeichert.",
        "signed_out": "Abgemeldet",
        "errors": "Bitte korrigieren",
    },
    "en": {
        "email": "E-mail address",
        "password": "Password",
        "sign_in": "Sign in",
        "list": "Applications and members",
        "sign_out": "Sign out",
        "note": "Note",
        "save": "Save note",
        "saved": "The note is saved.",
        "signed_out": "Signed out",
        "errors": "Please correct",
    },
}


@pytest.fixture(scope="module")
def staff_email(stack: LocalStack) -> str:
    email = f"staff-{uuid.uuid4().hex[:8]}@verein.example"
    stack.users.add(email, PASSWORD, ["staff"])
    return email


@pytest.fixture(scope="module")
def applicants(stack: LocalStack) -> list[str]:
    """Three applicants, in the order they applied; their names are unique to this module."""
    tag = uuid.uuid4().hex[:6]
    names = [f"Erika Müller {tag}", f"Jörg Straße {tag}", f"Ada Lovelace {tag}"]
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for n, name in enumerate(names):
            body = {**JSON_APPLICATION, "name": name, "email": f"a{n}-{tag}@example.org"}
            assert client.post("/membership/applications", json=body).status_code == 202
    assert stack.wait_for_projections(20)
    return names


def sign_in(page: Page, email: str, language: str, target: str = "/control") -> None:
    texts = TEXTS[language]
    page.goto(f"{target}?lang={language}" if "?" not in target else target)
    expect(page.get_by_label(texts["email"])).to_be_visible()
    page.get_by_label(texts["email"]).fill(email)
    page.get_by_label(texts["password"]).fill(PASSWORD)
    page.get_by_role("button", name=texts["sign_in"]).click()


def no_horizontal_overflow(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize(("size", "language"), [("desktop", "de"), ("phone", "en")])
def test_sign_in_list_open_a_person_add_a_note_sign_out(
    new_page: NewPage, screenshot: Screenshot, staff_email, applicants, size, language
):
    texts = TEXTS[language]
    page = new_page(size, language)
    page.goto(f"/?lang={language}")
    screenshot(page, "landing")
    page.get_by_role("link", name=re.compile("Anmeldung|sign-in|Sign in", re.I)).click()
    expect(page.get_by_role("button", name=texts["sign_in"])).to_be_visible()
    screenshot(page, "login")
    page.get_by_label(texts["email"]).fill(staff_email)
    page.get_by_label(texts["password"]).fill(PASSWORD)
    page.get_by_role("button", name=texts["sign_in"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(texts["list"])
    expect(page.get_by_text(staff_email)).to_be_visible()
    for name in applicants:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    no_horizontal_overflow(page)
    screenshot(page, "list")

    page.get_by_label(re.compile("Reihenfolge|Order")).select_option("newest")
    page.get_by_role("button", name=re.compile("Anzeigen|Show")).click()
    links = page.get_by_role("link", name=re.compile("|".join(map(re.escape, applicants))))
    expect(links.first).to_have_text(applicants[-1])
    screenshot(page, "list-newest-first")

    page.get_by_role("link", name=applicants[0]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(applicants[0])
    no_horizontal_overflow(page)
    screenshot(page, "person")
    note = f"Rückruf vereinbart {uuid.uuid4().hex[:6]}"
    page.get_by_label(texts["note"], exact=True).fill(note)
    page.get_by_role("button", name=texts["save"]).click()
    expect(page.get_by_role("status")).to_have_text(texts["saved"])
    history = page.locator("ol.timeline li").first
    expect(history).to_contain_text(note)
    expect(history).to_contain_text(staff_email)
    screenshot(page, "person-with-note")

    page.get_by_role("button", name=texts["sign_out"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["signed_out"])
    screenshot(page, "signed-out")
    page.goto("/control/members")
    expect(page.get_by_role("button", name=texts["sign_in"])).to_be_visible()


def test_the_staff_app_works_without_javascript(
    new_page: NewPage, screenshot: Screenshot, staff_email, applicants
):
    page = new_page("desktop", "de", javascript=False)
    sign_in(page, staff_email, "de")
    page.get_by_role("link", name=applicants[1]).click()
    page.get_by_label("Notiz", exact=True).fill("Ohne JavaScript notiert")
    page.get_by_role("button", name="Notiz speichern").click()
    expect(page.get_by_role("status")).to_have_text("Die Notiz ist gespeichert.")
    expect(page.locator("ol.timeline li").first).to_contain_text("Ohne JavaScript notiert")
    screenshot(page, "note-without-javascript")


@pytest.mark.parametrize(("size", "language"), [("phone", "en"), ("desktop", "de")])
def test_an_empty_note_gets_the_error_summary_with_focus_and_a_link_to_the_field(
    new_page: NewPage, screenshot: Screenshot, staff_email, applicants, size, language
):
    texts = TEXTS[language]
    page = new_page(size, language)
    sign_in(page, staff_email, language)
    page.get_by_role("link", name=applicants[2]).click()
    page.get_by_role("button", name=texts["save"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(texts["errors"])
    expect(summary).to_be_focused()
    screenshot(page, "note-error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label(texts["note"], exact=True)).to_be_focused()
    no_horizontal_overflow(page)


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(
    new_page: NewPage, stack: LocalStack, staff_email, applicants
):
    page = new_page("desktop", "de")
    sign_in(page, staff_email, "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXTS["de"]["list"])
    (session,) = [c for c in page.context.cookies() if c["name"] == "__Host-verein-session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert session["path"] == "/"
    assert page.evaluate("() => document.cookie").find("verein-session") == -1
    cookie = f"__Host-verein-session={session['value']}"

    page.get_by_role("link", name=applicants[0]).click()
    csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
    member_path = page.url.split(stack.base_url, 1)[1].split("?", 1)[0]
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        # Over real HTTP: the cookie alone opens pages; another site cannot post with it.
        assert client.get("/control/members", headers={"cookie": cookie}).status_code == 200
        cross_site = client.post(
            f"{member_path}/notes",
            data={"csrf": csrf or "", "text": "from evil", "form_id": uuid.uuid4().hex},
            headers={"cookie": cookie, "origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403
        forged = client.get(
            "/control/members", headers={"cookie": "__Host-verein-session=" + "A" * 43}
        )
        assert forged.status_code == 303 and forged.headers["location"].startswith(
            "/control/sign-in"
        )
        assert client.get("/control/members").status_code == 303  # no cookie at all
        # The JSON API is not opened by a session: it wants its bearer token.
        assert client.get("/staff/members", headers={"cookie": cookie}).status_code == 401
    page.reload()
    expect(page.locator("ol.timeline")).not_to_contain_text("from evil")


@pytest.mark.parametrize(("size", "language"), [("desktop", "en"), ("phone", "de")])
def test_the_pages_that_turn_people_away_say_why(
    new_page: NewPage, screenshot: Screenshot, stack: LocalStack, size, language
):
    guest = f"gast-{uuid.uuid4().hex[:8]}@verein.example"
    stack.users.add(guest, PASSWORD, ["guests"])
    page = new_page(size, language)
    sign_in(page, guest, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        {"de": "Kein Zugang", "en": "No access"}[language]
    )
    no_horizontal_overflow(page)
    screenshot(page, "no-access")
    page.goto(f"/control/auth/callback?code=x&state=y&lang={language}")
    expect(page.get_by_role("link", name=re.compile("anmelden|sign in", re.I))).to_be_visible()
    screenshot(page, "sign-in-not-completed")


@pytest.mark.parametrize(("size", "language"), [("phone", "en"), ("desktop", "de")])
def test_an_unknown_person_is_a_page_in_the_staff_layout(
    new_page: NewPage, screenshot: Screenshot, staff_email, size, language
):
    page = new_page(size, language)
    sign_in(page, staff_email, language)
    page.goto(f"/control/members/00000000-0000-4000-8000-000000000000?lang={language}")
    heading = {"de": "Person nicht gefunden", "en": "Person not found"}[language]
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("button", name=TEXTS[language]["sign_out"])).to_be_visible()
    no_horizontal_overflow(page)
    screenshot(page, "person-not-found")


@pytest.mark.parametrize(("size", "language"), [("desktop", "de"), ("phone", "en")])
def test_deciding_applications_on_the_person_page(
    new_page: NewPage, screenshot: Screenshot, stack: LocalStack, staff_email, size, language
):
    tag = uuid.uuid4().hex[:6]
    names = {"approve": f"Anna Annahme {tag}", "reject": f"Rudi Ablehnung {tag}"}
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for n, name in enumerate(names.values()):
            body = {**JSON_APPLICATION, "name": name, "email": f"d{n}-{tag}@example.org"}
            assert client.post("/membership/applications", json=body).status_code == 202
    assert stack.wait_for_projections(20)
    words = {
        "de": ("Antrag annehmen", "Antrag ablehnen", "Grund der Ablehnung", "Mitglied Nr."),
        "en": (
            "Approve the application",
            "Reject the application",
            "Reason for rejecting",
            "member no.",
        ),
    }[language]
    approve, reject, reason, number = words
    page = new_page(size, language)
    sign_in(page, staff_email, language)
    page.get_by_role("link", name=names["approve"]).click()
    screenshot(page, "open-application")
    page.get_by_role("button", name=approve).click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("ol.timeline li").first).to_contain_text(number)
    expect(page.get_by_role("button", name=approve)).to_have_count(0)
    no_horizontal_overflow(page)
    screenshot(page, "approved")

    page.goto(f"/control/members?lang={language}")
    page.get_by_role("link", name=names["reject"]).click()
    page.get_by_role("button", name=reject).click()  # without a reason
    expect(page.get_by_role("alert")).to_be_focused()
    screenshot(page, "reject-without-reason")
    page.get_by_label(reason).fill("Kein Sitz im Stadtgebiet")
    page.get_by_role("button", name=reject).click()
    expect(page.locator("ol.timeline li").first).to_contain_text("Kein Sitz im Stadtgebiet")
    screenshot(page, "rejected")


def test_the_list_downloads_as_a_csv_file_for_excel(
    new_page: NewPage, staff_email, applicants, tmp_path
):
    page = new_page("desktop", "de")
    sign_in(page, staff_email, "de")
    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile("CSV")).click()
    download = started.value
    assert download.suggested_filename.startswith("mitglieder-alle-")  # the register: all
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffMitgliedsnummer;Name;")
    for name in applicants:
        assert name in text
