"""The directory as CSV for German Excel: BOM, semicolons, umlauts, formulas kept as text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from verein.membership.domain_events import MembershipType
from verein.membership.views.directory import DirectoryQuery
from verein.membership.views.store import InMemoryMemberViews
from verein.membership.views.summary import MemberSummary
from verein.membership.web.export import all_members, directory_csv, directory_members


def summary(n: int, **changes) -> MemberSummary:
    values = {
        "member_id": f"00000000-0000-4000-8000-{n:012d}",
        "status": "active",
        "applicant_name": f"Jörg Müller {n}",
        "email": f"p{n}@example.org",
        "organisation": "Bäckerei Straße GmbH",
        "membership_type": MembershipType.COMPANY,
        "language": "de",
        "applied_at": datetime(2026, 3, 1, 23, 30, tzinfo=UTC),  # 2 March in Berlin
        "decided_at": datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
        "member_number": n,
        "position": 2,
    }
    return MemberSummary(**{**values, **changes})


def rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_excel_gets_a_bom_semicolons_crlf_and_its_own_date_format():
    text = directory_csv([summary(1)], "de")
    assert "\r\n" in text and text.count("\r\n") == 2
    header, row = rows(text)
    assert header[:3] == ["Mitgliedsnummer", "Name", "Organisation"]
    assert row[:6] == [
        "1",
        "Jörg Müller 1",
        "Bäckerei Straße GmbH",
        "p1@example.org",
        "Unternehmen",
        "Mitglied",
    ]
    assert row[6:8] == ["02.03.2026", "04.03.2026"]
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_a_cell_that_excel_would_run_as_a_formula_stays_text():
    hostile = summary(
        2,
        applicant_name='=HYPERLINK("http://evil.example","klick")',
        organisation="+49 30 123",
        email="@x",
    )
    _, row = rows(directory_csv([hostile], "en"))
    assert row[1].startswith("'=HYPERLINK") and row[2] == "'+49 30 123" and row[3] == "'@x"


def test_semicolons_quotes_and_line_breaks_in_values_survive_a_round_trip():
    tricky = summary(3, applicant_name='Meier; "die Zweite"\nGmbH', organisation=None)
    _, row = rows(directory_csv([tricky], "en"))
    assert row[1] == 'Meier; "die Zweite"\nGmbH' and row[2] == ""


def test_every_member_of_the_status_is_exported_across_pages_and_in_the_asked_order():
    views = InMemoryMemberViews()
    for n in range(1, 1206):
        views.save(
            summary(
                n,
                applied_at=datetime(2026, 1, 1, tzinfo=UTC).replace(
                    second=n % 60, minute=n // 60 % 60, hour=n // 3600
                ),
            ),
            expected_position=0,
        )
    exported = [m.member_number for m in all_members(views, "active")]
    assert sorted(exported) == list(range(1, 1206)) and len(exported) == 1205
    assert [m.member_number for m in all_members(views, "active", newest_first=True)] == list(
        reversed(exported)
    )


def test_rows_carry_the_address_phone_and_membership_days_and_types_by_name():
    member = summary(
        4,
        street="Hauptstraße 1",
        postal_code="10115",
        city="Berlin",
        phone="030 1234",
        member_since=date(2026, 3, 4),
        ends_on=date(2026, 12, 31),
        status="terminating",
        membership_type="company-s",
    )
    names = {"company-s": "Firma klein"}
    text = directory_csv(
        [member], "de", day=date(2026, 6, 1), types=lambda code, _: names.get(code, code)
    )
    header, row = rows(text)
    assert header[9:] == ["Straße", "PLZ", "Ort", "Telefon", "Mitglied seit", "Mitglied bis"]
    assert row[9:] == ["Hauptstraße 1", "10115", "Berlin", "030 1234", "04.03.2026", "31.12.2026"]
    assert row[4:6] == ["Firma klein", "Gekündigt"]
    # on a day after the last one, the status the scheduled function will record
    _, later = rows(directory_csv([member], "de", day=date(2027, 1, 1)))
    assert later[4:6] == ["company-s", "Beendet"]  # an unknown code as it is


def test_the_directory_export_reads_every_member_the_query_finds_by_name():
    views = InMemoryMemberViews()
    for n in range(1, 1206):
        views.save(summary(n, applicant_name=f"Person {n:04d}", organisation=None), 0)
    views.save(summary(2000, applicant_name="Jörg Müller", organisation=None), 0)
    everyone = [m.applicant_name for m in directory_members(views, DirectoryQuery())]
    assert everyone == ["Jörg Müller"] + [f"Person {n:04d}" for n in range(1, 1206)]
    found = list(directory_members(views, DirectoryQuery(text="joerg mueller")))
    assert [m.member_number for m in found] == [2000]
