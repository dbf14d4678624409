"""The register page (``/control/members``) and its CSV in the staff app, in-process on the
in-memory adapters: search with and without umlauts, filters by status, type and working
group, paging by name, the CSV link with the same filters, bad filters as a page saying so."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.unit.test_staff_app import App, signed_in
from verein.eventstore import CommandContext
from verein.fees.schedule import FeeType, ScheduleVersion
from verein.fees.usecases import set_fee_schedule
from verein.groups.usecases import create_working_group
from verein.membership.views.summary import MemberSummary
from verein.membership.web.directory import TYPE_CODE

CONTEXT = CommandContext(correlation_id="c", actor="test")


@pytest.fixture
def app(template, tmp_path) -> App:
    return App(template, tmp_path)


def seed(app: App, n: int, name: str, **fields) -> str:
    values = {
        "member_id": str(uuid.UUID(int=n + 1)),
        "status": "active",
        "email": f"m{n}@example.org",
        "organisation": None,
        "membership_type": "individual",
        "language": "de",
        "applied_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        "position": 1,
    }
    summary = MemberSummary(applicant_name=name, **(values | fields))
    app.adapters.member_views.save(summary, expected_position=0)
    return summary.member_id


@pytest.fixture
def register(app):
    store = app.adapters.event_store
    group = create_working_group(
        store, app.adapters.keyed_hash, "AK Digitales", "working_group", CONTEXT
    ).group.group_id
    set_fee_schedule(
        store,
        ScheduleVersion(
            effective_from=date(2020, 1, 1),
            types=(
                FeeType(
                    code="company-s",
                    label_de="Firma klein",
                    label_en="Small company",
                    yearly_fee_cents=12000,
                ),
                FeeType(
                    code="student", label_de="Studierende", label_en="Student", yearly_fee_cents=0
                ),
            ),
        ),
        CONTEXT,
    )
    seed(app, 1, "Jürgen Müller", member_number=1, groups=[group])
    seed(app, 2, "Hans Mueller", member_number=2, membership_type="student")
    seed(app, 3, "Petra Muller", status="applied")
    seed(app, 4, "Erika Schmidt", organisation="Straßenbau GmbH", membership_type="company-s")
    seed(app, 5, "Zoe Zander", status="withdrawn")
    return group


def linked_names(page) -> list[str]:
    """The first line of each row's link: the name the list is ordered by."""
    pattern = r'<a href="/control/members/[0-9a-f-]{36}\?lang=\w\w">([^<]+)(?:<br>[^<]*)?</a>'
    return re.findall(pattern, page.text)


def test_the_register_lists_everyone_by_name_with_status_type_and_number(app, register):
    browser, page = signed_in(app)
    assert page.status == 200
    assert "<h1>Anträge und Mitglieder</h1>" in page.text
    assert linked_names(page) == [
        "Hans Mueller",
        "Jürgen Müller",
        "Petra Muller",
        "Straßenbau GmbH",  # a company by its name, the person under it
        "Zoe Zander",
    ]
    assert "Straßenbau GmbH<br>Erika Schmidt</a>" in page.text  # the person in the link
    assert "Nr. 1 · m1@example.org" in page.text
    assert "Studierende" in page.text and "Firma klein" in page.text  # types by their names
    assert "Zurückgezogen" in page.text  # every status
    # both ways into the register in the navigation; the applications oldest first
    assert 'href="/control/members?lang=de"' in page.text
    assert 'href="/control/members?status=applied&amp;order=oldest&amp;lang=de"' in page.text
    queue = browser.get("/control/members?status=applied&order=oldest")
    assert "<h1>Offene Anträge</h1>" in queue.text and linked_names(queue) == ["Petra Muller"]


@pytest.mark.parametrize("q", ["Müller", "mueller", "MULLER", "müll"])
def test_a_search_finds_every_spelling(app, register, q):
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members?q={q}")
    assert linked_names(page) == ["Hans Mueller", "Jürgen Müller", "Petra Muller"]
    assert f'value="{q}"' in page.text  # the search box keeps it


def test_the_filters_offer_statuses_types_and_groups_and_narrow_the_list(app, register):
    browser, page = signed_in(app)
    assert '<option value="" selected>Alle</option>' in page.text
    assert '<option value="student">Studierende</option>' in page.text
    assert f'<option value="{register}">AK Digitales</option>' in page.text
    assert linked_names(browser.get("/control/members?q=strasse")) == ["Straßenbau GmbH"]
    assert linked_names(browser.get("/control/members?type=student")) == ["Hans Mueller"]
    assert linked_names(browser.get(f"/control/members?group={register}")) == ["Jürgen Müller"]
    filtered = browser.get("/control/members?status=active&q=m%C3%BCller&lang=en")
    assert linked_names(filtered) == ["Hans Mueller", "Jürgen Müller"]
    assert '<option value="active" selected>' in filtered.text
    assert "Show everyone" in filtered.text
    nobody = browser.get("/control/members?q=nobody&lang=en")
    assert nobody.status == 200 and "Nobody matches this search." in nobody.text


def test_the_register_pages_by_name_keeping_the_filters(app, register, monkeypatch):
    import verein.membership.web.control.register as control  # noqa: PLC0415

    monkeypatch.setattr(control, "PAGE_SIZE", 2)
    for n in range(6, 11):
        seed(app, n, f"Person {n}", status="applied")
    browser, _ = signed_in(app)
    page = browser.get("/control/members?status=applied&q=p")
    seen = []
    while True:
        seen += linked_names(page)
        next_link = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        if not next_link:
            break
        href = next_link.group(1).replace("&amp;", "&")
        assert "status=applied" in href and "q=p" in href
        page = browser.get(href)
    assert seen == ["Person 10", "Person 6", "Person 7", "Person 8", "Person 9", "Petra Muller"]


def test_the_csv_link_downloads_the_list_with_its_filters(app, register):
    browser, _ = signed_in(app)
    page = browser.get("/control/members?q=mueller&status=active")
    link = re.search(r'<a href="([^"]+\.csv[^"]*)" download>', page.text)
    assert link and "q=mueller" in link.group(1) and "status=active" in link.group(1)
    download = browser.get(link.group(1).replace("&amp;", "&"))
    assert download.status == 200
    assert download.header("content-type") == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(download.text[1:], newline=""), delimiter=";"))
    assert [(r[1], r[4]) for r in rows[1:]] == [
        ("Hans Mueller", "Studierende"),
        ("Jürgen Müller", "Einzelperson"),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=Company", "type"),
        ("group=no-group", "group"),
        ("status=paid", "status"),
        ("order=oldest&q=anna", "q"),
        ("order=newest&type=company", "type"),
    ],
)
def test_a_bad_filter_is_the_page_saying_what_is_wrong(app, register, query, field):
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members?{query}&lang=en")
    assert page.status == 422
    assert f'<a href="#{field}">' in page.text
    assert "<select" in page.text
    assert browser.get(f"/control/members.csv?{query}").status == 422


def test_the_type_pattern_is_the_fee_schedules():
    from verein.fees.schedule import CODE_PATTERN  # noqa: PLC0415

    assert TYPE_CODE == CODE_PATTERN
