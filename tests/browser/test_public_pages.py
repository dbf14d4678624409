"""The public pages in a real browser: phone layout, the no-JavaScript flow with
Post/Redirect/Get, the error state (summary, focus, link to the field), and the staff API's
answer to a browser without a token.

Written against behaviour (roles, labels, visible text), not markup, so they hold while the
pages change. Every page a test visits is kept as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot, applications_from

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Wording:
    """What a person reads on the form, in one language (patterns, case-insensitive)."""

    path: str
    heading: str
    email: str
    individual: str
    consent: str
    submit: str
    thanks: str
    email_problem: str


WORDING = {
    "de": Wording(
        path="/membership/apply",
        heading="Mitgliedsantrag",
        email=r"E-?Mail",
        individual=r"Einzelperson",
        consent=r"willige|Einwilligung|einverstanden|Datenschutz",
        submit=r"absenden|senden",
        thanks=r"Vielen Dank",
        email_problem=r"E-?Mail",
    ),
    "en": Wording(
        path="/membership/apply?lang=en",
        heading="Membership application",
        email=r"e-?mail",
        individual=r"Individual",
        consent=r"agree|consent|privacy",
        submit=r"submit|send",
        thanks=r"Thank you",
        email_problem=r"e-?mail",
    ),
}
NAME = re.compile(r"^\s*(your |full |vor- und nach)?name\b", re.IGNORECASE)


def words(language: str) -> Wording:
    return WORDING[language]


def pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def open_form(page: Page, language: str) -> None:
    response = page.goto(words(language).path)
    assert response is not None
    assert response.status == 200, f"{words(language).path} answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(words(language).heading)


def fill_application(page: Page, language: str, *, name: str, email: str) -> None:
    """Fill the form as a person does: by the fields' labels."""
    wording = words(language)
    page.get_by_role("textbox", name=NAME).fill(name)
    page.get_by_role("textbox", name=pattern(wording.email)).fill(email)
    page.get_by_role("radio", name=pattern(wording.individual)).check()
    page.get_by_role("checkbox", name=pattern(wording.consent)).check()


def submit(page: Page, language: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=pattern(words(language).submit)).click()


def unique_email() -> str:
    return f"browser-{uuid.uuid4().hex[:12]}@example.org"


# Rendered elements partly outside the viewport's width: cut off or reachable only by scrolling
# sideways. Elements entirely outside (visually hidden skip links) and 1-pixel ones (screen-reader
# text) are meant to be unseen.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const cut = [...document.body.querySelectorAll('*')]
    .filter(e => e.getClientRects().length > 0)
    .filter(e => {
      const r = e.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return false;
      return (r.right > width + 0.5 && r.left < width) || (r.left < -0.5 && r.right > 0);
    })
    .map(e => e.outerHTML.slice(0, 160));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    cut: cut,
  };
}"""


def assert_no_horizontal_overflow(page: Page, what: str) -> None:
    measured = page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= measured["innerWidth"], (
        f"{what}: the page is {measured['scrollWidth']} px wide on a "
        f"{measured['innerWidth']} px screen (scrolls sideways)"
    )
    assert not measured["cut"], (
        f"{what}: elements reach past the {measured['innerWidth']} px screen: {measured['cut']}"
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_form_fits_a_phone_screen(new_page: NewPage, screenshot: Screenshot, language: str):
    page = new_page("phone", language)
    open_form(page, language)
    screenshot(page, f"form-{language}")
    assert_no_horizontal_overflow(page, f"the {language} form")

    # With its error messages, too (longer lines, an error summary).
    fill_application(page, language, name="Erika Mustermann", email="nicht-gueltig")
    submit(page, language)
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, f"form-with-errors-{language}")
    assert_no_horizontal_overflow(page, f"the {language} form with errors")


@pytest.mark.parametrize(
    ("language", "size"), [("de", "desktop"), ("de", "phone"), ("en", "desktop"), ("en", "phone")]
)
def test_without_javascript_an_application_is_thanked_once_and_a_reload_sends_nothing(
    new_page: NewPage,
    screenshot: Screenshot,
    staff_api: httpx.Client,
    stack: LocalStack,
    language: str,
    size: str,
):
    page = new_page(size, language, javascript=False)
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    email = unique_email()

    open_form(page, language)
    fill_application(page, language, name="Erika Mustermann", email=email)
    screenshot(page, f"filled-{language}")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=pattern(words(language).submit)).click()
    thanks = navigation.value
    assert thanks is not None
    expect(page.locator("body")).to_contain_text(pattern(words(language).thanks))
    screenshot(page, f"thanks-{language}")
    assert len(posts) == 1

    # Post/Redirect/Get: the thank-you page is fetched with GET after a redirect, so a reload
    # (or going back and forth) asks for that page again and sends nothing.
    assert thanks.request.method == "GET", (
        "the thank-you page is the answer to the POST itself (no Post/Redirect/Get): "
        "reloading it would send the application again"
    )
    page.reload()
    expect(page.locator("body")).to_contain_text(pattern(words(language).thanks))
    screenshot(page, f"thanks-reloaded-{language}")
    assert len(posts) == 1, f"reloading the thank-you page sent {len(posts) - 1} more POST(s)"

    applications = applications_from(staff_api, stack, email)
    assert len(applications) == 1, applications
    assert applications[0]["applicant_name"] == "Erika Mustermann"


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_invalid_address_is_named_marked_and_the_typed_name_kept(
    new_page: NewPage, screenshot: Screenshot, language: str
):
    page = new_page("desktop", language)
    wording = words(language)
    open_form(page, language)
    fill_application(page, language, name="Jürgen Groß-Übermann", email="jürgen.example.org")
    submit(page, language)
    screenshot(page, f"invalid-email-{language}")

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(pattern(wording.email_problem))
    email = page.get_by_role("textbox", name=pattern(wording.email))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("jürgen.example.org")
    name = page.get_by_role("textbox", name=NAME)
    expect(name).to_have_value("Jürgen Groß-Übermann")
    expect(name).not_to_have_attribute("aria-invalid", "true")


def test_the_staff_api_answers_401_to_a_browser_without_a_token(desktop: Page):
    """The browser's own requests (its cookies, none here), asking for JSON as scripts do.

    The pages' Content-Security-Policy forbids fetch() from a page, so the context's request
    API sends them. Whatever the staff pages later do for a page request (redirect to
    sign-in), the JSON API answers 401 without a token.
    """
    open_form(desktop, "de")
    for path in ("/staff/members?status=applied", f"/staff/members/{uuid.uuid4()}"):
        reply = desktop.context.request.get(path, headers={"Accept": "application/json"})
        assert reply.status == 401, f"{path}: {reply.status} {reply.text()[:200]}"
        assert "member_id" not in reply.text()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_public_address_at_desktop_and_phone_width(
    new_page: NewPage, screenshot: Screenshot, size: str
):
    """A look at each address a visitor may type (screenshots), none of them broken."""
    page = new_page(size, "de")
    for path, name in [
        ("/", "landing"),
        ("/membership/apply", "form-de"),
        ("/membership/apply?lang=en", "form-en"),
        ("/staff/members", "staff"),
    ]:
        response = page.goto(path)
        assert response is not None
        assert response.status < 500, f"{path} answered {response.status}"
        screenshot(page, name)
        if size == "phone":
            assert_no_horizontal_overflow(page, path)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_after_a_failed_post_focus_is_on_the_error_summary_and_it_leads_to_the_field(
    new_page: NewPage, screenshot: Screenshot, javascript: bool
):
    page = new_page("phone", "de", javascript=javascript)
    open_form(page, "de")
    fill_application(page, "de", name="Erika Mustermann", email="erika-at-example.org")
    submit(page, "de")
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    assert summary.evaluate("e => e.contains(document.activeElement)"), (
        "after a failed post the focus is not in the error summary"
    )
    screenshot(page, "focus-on-summary")
    summary.get_by_role("link", name=pattern(WORDING["de"].email_problem)).click()
    expect(page.get_by_role("textbox", name=pattern(WORDING["de"].email))).to_be_focused()
    screenshot(page, "focus-on-field")
