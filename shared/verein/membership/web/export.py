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
from collections.abc import Iterable, Iterator

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
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAGE = 500


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


def directory_csv(members: Iterable[MemberSummary], language: Language) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([MESSAGES.translate(f"export.{c}", language) for c in COLUMNS])
    for member in members:
        writer.writerow([_safe(value) for value in _row(member, language)])
    return BOM + out.getvalue()


def _row(member: MemberSummary, language: Language) -> list[str]:
    decided = member.decided_at.astimezone(LOCAL_TIME) if member.decided_at else None
    return [
        str(member.member_number or ""),
        member.applicant_name,
        member.organisation or "",
        member.email,
        MESSAGES.translate(f"membership_type.{member.membership_type}", language),
        MESSAGES.translate(f"control.status.{member.status}", language),
        member.applied_at.astimezone(LOCAL_TIME).strftime("%d.%m.%Y"),
        decided.strftime("%d.%m.%Y") if decided else "",
        reference(member.member_id),
    ]


def _safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def file_name(status: str, today: str) -> str:
    return f"mitglieder-{status}-{today}.csv"
