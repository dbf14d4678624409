"""A member's own notice in a real browser against the local stack: from the landing page to
the form, the request, the link from the mail (the local outbox), its page, the button; and
a link that is no link. At desktop and phone width, in German and English, without
JavaScript too. Every page a test visits is kept as a screenshot (see conftest.py)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot
from tests.samples import JSON_APPLICATION

pytestmark = pytest.mark.e2e

TEXTS = {
    "de": {
        "link": "Mitgliedschaft kündigen",
        "email": "E-Mail-Adresse Ihrer Mitgliedschaft",
        "send": "Link anfordern",
        "check": "Bitte prüfen Sie Ihr Postfach",
        "confirm": "Kündigung bestätigen",
        "given": "Ihre Kündigung ist eingegangen",
        "invalid": "Dieser Link ist ungültig",
        "errors": "Bitte korrigieren",
    },
    "en": {
        "link": "End your membership",
        "email": "E-mail address of your membership",
        "send": "Send me the link",
        "check": "Please check your mailbox",
        "confirm": "Confirm my notice",
        "given": "Your notice has reached us",
        "invalid": "This link is not valid",
        "errors": "Please correct",
    },
}


def a_member(stack: LocalStack) -> str:
    address = f"{uuid.uuid4().hex[:10]}@example.org"
    token = stack.issue_token(groups=("staff",))
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        body = {**JSON_APPLICATION, "email": address}
        member_id = client.post("/membership/applications", json=body).json()["application_id"]
        approved = client.post(
            f"/staff/members/{member_id}/approve", headers={"Authorization": f"Bearer {token}"}
        )
        assert approved.status_code == 200, approved.text
    return address


def link_mailed_to(stack: LocalStack, address: str) -> str:
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        while time.monotonic() < deadline:
            mails = client.get("/_local/mail", params={"format": "json", "to": address}).json()
            links = [u for m in mails for u in m["links"] if "/membership/notice/" in u]
            if links:
                return links[0]
            time.sleep(0.2)
    raise AssertionError(f"no notice link mailed to {address}")


@pytest.mark.parametrize(
    ("size", "language", "javascript"),
    [("desktop", "de", True), ("phone", "en", True), ("phone", "de", False)],
)
def test_a_member_gives_notice_by_the_mailed_link(
    stack: LocalStack,
    new_page: NewPage,
    screenshot: Screenshot,
    size: str,
    language: str,
    javascript: bool,
) -> None:
    texts = TEXTS[language]
    address = a_member(stack)
    page = new_page(size, language, javascript)
    page.goto(f"/?lang={language}")
    page.get_by_role("link", name=texts["link"]).click()
    screenshot(page, "form")
    page.get_by_role("button", name=texts["send"]).click()  # empty: the error summary
    expect(page.get_by_text(texts["errors"])).to_be_visible()
    screenshot(page, "form-error")
    page.get_by_label(texts["email"]).fill(address)
    page.get_by_role("button", name=texts["send"]).click()
    expect(page.get_by_role("heading", name=texts["check"])).to_be_visible()
    screenshot(page, "requested")

    page.goto(link_mailed_to(stack, address))
    expect(page.get_by_role("button", name=texts["confirm"])).to_be_visible()
    screenshot(page, "link")
    page.get_by_role("button", name=texts["confirm"]).click()
    expect(page.get_by_role("status")).to_contain_text(texts["given"])
    screenshot(page, "given")

    page.goto(f"/membership/notice/not.a-link?lang={language}")
    expect(page.get_by_text(texts["invalid"])).to_be_visible()
    screenshot(page, "invalid")
