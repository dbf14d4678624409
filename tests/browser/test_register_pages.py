"""The register in a real browser against the local stack: search with an umlaut variant,
filters, paging links, the CSV with the filters; at desktop and phone width, in German and
English, with and without JavaScript. Every page visited is kept as a screenshot."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from local_aws.cli import LocalStack
from tests.browser.conftest import NewPage, Screenshot, applications_from
from tests.browser.test_staff_pages import PASSWORD, no_horizontal_overflow, sign_in
from tests.samples import JSON_APPLICATION

pytestmark = pytest.mark.e2e

WORDS = {
    "de": {
        "search": "Suche",
        "status": "Status",
        "group": "Arbeitsgruppe",
        "show": "Anzeigen",
        "member": "Mitglied",
        "title": "Anträge und Mitglieder",
        "nobody": "Niemand passt zu dieser Suche.",
        "everyone": "Alle anzeigen",
        "csv": "CSV",
    },
    "en": {
        "search": "Search",
        "status": "Status",
        "group": "Working group",
        "show": "Show",
        "member": "Member",
        "title": "Applications and members",
        "nobody": "Nobody matches this search.",
        "everyone": "Show everyone",
        "csv": "CSV",
    },
}


@dataclass(frozen=True)
class Register:
    tag: str
    names: dict[str, str]


@pytest.fixture(scope="module")
def staff_email(stack: LocalStack) -> str:
    email = f"register-{uuid.uuid4().hex[:8]}@verein.example"
    stack.users.add(email, PASSWORD, ["staff"])
    return email


@pytest.fixture(scope="module")
def register(stack: LocalStack) -> Register:
    """Four applicants with names unique to this module; Jürgen Müller approved."""
    tag = "r" + uuid.uuid4().hex[:5]
    people = {
        "mueller": (f"Jürgen Müller {tag}", None, "individual"),
        "muller": (f"Hans Mueller {tag}", None, "individual"),
        "company": (f"Erika Schmidt {tag}", f"Straßenbau {tag} GmbH", "company"),
        "other": (f"Zoë Zander {tag}", None, "individual"),
    }
    token = stack.issue_token(groups=("staff",))
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as staff:
        for key, (name, organisation, kind) in people.items():
            body = {
                **JSON_APPLICATION,
                "name": name,
                "email": f"{key}-{tag}@example.org",
                "organisation": organisation or "",
                "membership_type": kind,
            }
            assert staff.post("/membership/applications", json=body).status_code == 202
        (applied,) = applications_from(staff, stack, f"mueller-{tag}@example.org")
        approved = staff.post(f"/staff/members/{applied['member_id']}/approve")
        assert approved.status_code == 200, approved.text
        group = {"name": f"AK Digitales {tag}", "kind": "working_group"}
        created = staff.post("/staff/working-groups", json=group)
        assert created.status_code == 201, created.text
        group_id = created.json()["group_id"]
        joined = staff.post(f"/staff/working-groups/{group_id}/members/{applied['member_id']}")
        assert joined.status_code == 200, joined.text
        assert stack.wait_for_projections(20)
    return Register(tag, {key: value[0] for key, value in people.items()})


def search(page: Page, language: str, text: str) -> None:
    page.get_by_label(WORDS[language]["search"]).fill(text)
    page.get_by_role("button", name=WORDS[language]["show"]).click()


def listed(page: Page) -> list[str]:
    return [
        t.split("\n")[0]
        for t in page.locator("table.members tbody td:first-child a").all_inner_texts()
    ]


@pytest.mark.parametrize(("size", "language"), [("desktop", "de"), ("phone", "en")])
def test_search_with_an_umlaut_variant_filter_and_download(
    new_page: NewPage, screenshot: Screenshot, staff_email, register, size, language, tmp_path
):
    words, tag = WORDS[language], register.tag
    page = new_page(size, language)
    sign_in(page, staff_email, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
    no_horizontal_overflow(page)
    screenshot(page, "register")

    search(page, language, f"muller {tag}")  # finds Müller and Mueller
    assert listed(page) == [register.names["muller"], register.names["mueller"]]
    expect(page.get_by_label(words["search"])).to_have_value(f"muller {tag}")
    no_horizontal_overflow(page)
    screenshot(page, "search-umlaut-variant")

    page.get_by_label(words["status"]).select_option("active")
    page.get_by_role("button", name=words["show"]).click()
    assert listed(page) == [register.names["mueller"]]
    row = page.locator("table.members tbody tr").first
    expect(row).to_contain_text(words["member"])
    expect(row).to_contain_text(re.compile(r"N[ro]\. \d+"))  # the member number
    screenshot(page, "search-and-status")

    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile(words["csv"])).click()
    download = started.value
    assert download.suggested_filename.startswith("mitglieder-active-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffMitgliedsnummer;") or text.startswith("\ufeffMember number;")
    assert register.names["mueller"] in text and register.names["muller"] not in text

    page.get_by_role("link", name=words["everyone"]).click()
    page.get_by_label(words["group"]).select_option(label=f"AK Digitales {tag}")
    page.get_by_role("button", name=words["show"]).click()
    assert listed(page) == [register.names["mueller"]]
    no_horizontal_overflow(page)
    screenshot(page, "working-group")

    page.get_by_label(words["status"]).select_option("active")
    search(page, language, f"STRASSE {tag}")  # Straße, with status and group chosen: none
    expect(page.get_by_text(words["nobody"])).to_be_visible()
    screenshot(page, "nobody")
    page.get_by_role("link", name=words["everyone"]).click()
    search(page, language, f"strasse {tag}")
    assert listed(page) == [f"Straßenbau {tag} GmbH"]
    no_horizontal_overflow(page)
    screenshot(page, "company-by-its-name")


def test_the_register_works_without_javascript(
    new_page: NewPage, screenshot: Screenshot, staff_email, register
):
    page = new_page("phone", "de", javascript=False)
    sign_in(page, staff_email, "de")
    search(page, "de", f"zoe {register.tag}")  # Zoë without the diaeresis
    assert listed(page) == [register.names["other"]]
    page.get_by_role("link", name=register.names["other"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(register.names["other"])
    page.go_back()
    page.get_by_role("link", name="Anträge", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Offene Anträge")
    expect(page.get_by_role("link", name=register.names["other"])).to_be_visible()
    no_horizontal_overflow(page)
    screenshot(page, "applications-without-javascript")
