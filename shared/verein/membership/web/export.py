"""The directory as CSV, the way German Excel opens it: UTF-8 with a byte-order mark (else
Excel reads it as Windows-1252 and umlauts break), semicolons (the list separator of a German
locale), CRLF line ends, dates as Excel reads them (``30.11.2026``).

Cells that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, tab, CR) get a
leading apostrophe: an applicant's name is input from the internet, and a cell such as
``=HYPERLINK(...)`` must stay text (CSV injection, OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from verein.kernel.clock import today
from verein.membership.views.directory import DirectoryQuery
from verein.membership.views.store import MemberViews
from verein.membership.views.summary import MemberSummary
from verein.membership.web.messages import MESSAGES
from verein.membership.web.reference import reference
from verein.web.i18n import Language
from verein.web.pages import LOCAL_TIME

BOM = "\ufeff"
COLUMNS = (
    "member_number",
    "name",
    "organisation",
    "email",
    "type",
    "status",
    "applied_at",
    "decided_at",
    "reference",
    "street",
    "postal_code",
    "city",
    "phone",
    "member_since",
    "ends_on",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAGE = 500

TypeLabel = Callable[[str, Language], str]
"""A membership type's name in a language, from its code."""


def all_members(
    views: MemberViews, status: str, newest_first: bool = False
) -> Iterator[MemberSummary]:
    """Every member of ``status``, page by page (one index Query per 500)."""
    after: str | None = None
    while True:
        page = views.by_status(status, PAGE, after, newest_first=newest_first)
        yield from page.members
        if page.next_cursor is None:
            return
        after = page.next_cursor


def directory_members(views: MemberViews, query: DirectoryQuery) -> Iterator[MemberSummary]:
    """Every member ``query`` finds, by name: the directory page by page (500 a page), each
    page's full summaries read with ``get_many`` (the index holds only what a list shows), all
    from the generation served when the export began."""
    generation = views.generations.read().current
    after: str | None = None
    while True:
        page = views.directory(query, PAGE, after, generation)
        found = views.get_many([e.member_id for e in page.entries], generation)
        yield from (found[e.member_id] for e in page.entries if e.member_id in found)
        if page.next_cursor is None:
            return
        after = page.next_cursor


def type_label(code: str, language: Language) -> str:
    """The application form's two types by name; any other code as it is."""
    key = f"membership_type.{code}"
    label = MESSAGES.translate(key, language)
    return code if label == key else label


def directory_csv(
    members: Iterable[MemberSummary],
    language: Language,
    *,
    day: date | None = None,
    types: TypeLabel = type_label,
) -> str:
    """The members as CSV: status and type as they are on ``day`` (default: today)."""
    day = day or today()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([MESSAGES.translate(f"export.{c}", language) for c in COLUMNS])
    for member in members:
        writer.writerow([_safe(value) for value in _row(member, language, day, types)])
    return BOM + out.getvalue()


def _row(member: MemberSummary, language: Language, day: date, types: TypeLabel) -> list[str]:
    decided = member.decided_at.astimezone(LOCAL_TIME) if member.decided_at else None
    return [
        str(member.member_number or ""),
        member.applicant_name,
        member.organisation or "",
        member.email,
        types(member.type_on(day), language),
        MESSAGES.translate(f"control.status.{member.status_on(day)}", language),
        member.applied_at.astimezone(LOCAL_TIME).strftime("%d.%m.%Y"),
        decided.strftime("%d.%m.%Y") if decided else "",
        reference(member.member_id),
        member.street or "",
        member.postal_code or "",
        member.city or "",
        member.phone or "",
        _day(member.member_since),
        _day(member.ends_on),
    ]


def _day(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def file_name(status: str | None, day: str) -> str:
    """``mitglieder-<status>-<day>.csv``, ``alle`` for every status."""
    return f"mitglieder-{status or 'alle'}-{day}.csv"
