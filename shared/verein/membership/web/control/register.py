"""The register: everyone by name, searched and filtered (the directory), or the applications
(one status by application date); a page and its CSV.

A GET form: the filter is the URL, so a list can be bookmarked, shared and paged without
JavaScript. What the page offers to filter by: status (or all), type (the application form's
two and those of the fee schedule in force), working group (from the groups' registry), and a
search of names, organisations, e-mail addresses and member numbers that ignores case and
umlauts (``verein.membership.views.directory``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, get_args
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from verein.kernel.clock import today
from verein.membership.views.directory import DirectoryEntry, DirectoryQuery
from verein.membership.views.store import InvalidCursor
from verein.membership.views.summary import ListedStatus, MemberSummary
from verein.membership.web.control.common import (
    LIST,
    PAGES,
    Text,
    control_ports,
    member_href,
    router,
)
from verein.membership.web.directory import (
    GROUP_ID,
    MAX_CURSOR,
    MAX_SEARCH,
    TYPE_CODE,
    Choice,
    MembershipTypes,
    group_choices,
)
from verein.membership.web.messages import MESSAGES
from verein.membership.web.reference import reference
from verein.membership.web.staff import csv_response
from verein.web.errors import FieldError
from verein.web.i18n import Language
from verein.web.requests import request_language

PAGE_SIZE = 50
STATUSES: tuple[str, ...] = get_args(ListedStatus)
ORDERS = ("name", "oldest", "newest")
BY_DATE = ("oldest", "newest")
FILTERS = ("q", "status", "type", "group", "order")
"""The form's fields, in the order links spell them."""
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR)]


@dataclass(frozen=True)
class Row:
    """One line of the list: a directory entry or (by date) a summary."""

    name: str
    """The organisation where there is one, else the person's: what the order goes by."""
    person: str | None
    """The person's name under an organisation's."""
    applicant_name: str
    organisation: str | None
    email: str
    member_number: int | None
    status: str
    membership_type: str
    applied_at: datetime
    href: str
    reference: str


@dataclass(frozen=True)
class Filters:
    q: str
    status: str
    """"" for every status."""
    type: str
    group: str
    order: str

    @property
    def by_date(self) -> bool:
        return self.order in BY_DATE

    @property
    def filtered(self) -> bool:
        """Whether the directory is narrowed (the queue of applications is a list of its own)."""
        return bool(self.q or self.type or self.group or (self.status and not self.by_date))

    def link(self, language: Language, **more: str) -> str:
        """The list (or, with ``path``, its CSV) with these filters."""
        path = more.pop("path", LIST)
        values = {f: getattr(self, f) for f in FILTERS} | more | {"lang": language}
        return f"{path}?{urlencode({k: v for k, v in values.items() if v})}"


def _filters(
    q: str | None, status: str | None, type_: str | None, group: str | None, order: str | None
) -> Filters:
    chosen = Filters(
        q=(q or "").strip(),
        status=status or "",
        type=type_ or "",
        group=group or "",
        order=order or ORDERS[0],
    )
    if chosen.by_date and not chosen.status:
        # the queue of applications, unless another status is asked for
        return Filters(chosen.q, "applied", chosen.type, chosen.group, chosen.order)
    return chosen


def _errors(chosen: Filters, language: Language) -> list[FieldError]:
    errors = [
        FieldError(name, MESSAGES.field_error(name, "choice", language))
        for name, value, allowed in (
            ("status", chosen.status, ("", *STATUSES)),
            ("order", chosen.order, ORDERS),
        )
        if value not in allowed
    ]
    for name, value, pattern in (
        ("type", chosen.type, TYPE_CODE),
        ("group", chosen.group, GROUP_ID),
    ):
        if value and not re.fullmatch(pattern, value):
            errors.append(FieldError(name, MESSAGES.field_error(name, "invalid", language)))
    if chosen.by_date:
        message = MESSAGES.translate("error.by_name_only", language)
        errors += [FieldError(n, message) for n in ("q", "type", "group") if getattr(chosen, n)]
    return errors


# --- the list -------------------------------------------------------------------------------


@router.get(LIST, summary="The register: everyone by name, searched and filtered (page)")
def list_page(  # noqa: PLR0917 - the form's fields
    q: Annotated[str | None, Query(max_length=MAX_SEARCH)] = None,
    status: Text = None,
    type: Text = None,
    group: Text = None,
    order: Text = None,
    after: Cursor = None,
) -> Response[str]:
    language = request_language(router)
    ports = control_ports()
    day = today()
    chosen = _filters(q, status, type, group, order)
    errors = _errors(chosen, language)
    rows: list[Row] = []
    next_cursor: str | None = None
    types = MembershipTypes(ports.event_store, day)
    if not errors:
        try:
            rows, next_cursor = _rows(chosen, after, day, types, language)
        except InvalidCursor:
            errors = [FieldError("after", MESSAGES.translate("control.stale_page", language))]
    queue = chosen.by_date and chosen.status == "applied"
    title = "control.open_applications" if queue else "control.applications"
    return PAGES.render(
        router,
        "membership/members.html",
        MESSAGES.translate(title, language),
        status=422 if errors else 200,
        query={} if errors else {f: getattr(chosen, f) for f in FILTERS if getattr(chosen, f)},
        chosen=chosen,
        statuses=STATUSES,
        orders=ORDERS,
        types=_with_chosen(types.choices(language), chosen.type),
        # the search, type and group fields are shown by name only (and with their errors)
        groups=_with_chosen(group_choices(ports.event_store, language), chosen.group)
        if errors or not chosen.by_date
        else [],
        max_search=MAX_SEARCH,
        errors=errors,
        rows=rows,
        filtered=chosen.filtered,
        next_href=chosen.link(language, after=next_cursor) if next_cursor and not errors else None,
        first_href=chosen.link(language) if after else None,
        clear_href=f"{LIST}?lang={language}",
        csv_href=None if errors else chosen.link(language, path=f"{LIST}.csv"),
    )


def _rows(
    chosen: Filters, after: str | None, day: date, types: MembershipTypes, language: Language
) -> tuple[list[Row], str | None]:
    views = control_ports().member_views
    if chosen.by_date:
        page = views.by_status(
            chosen.status, PAGE_SIZE, after, newest_first=chosen.order == "newest"
        )
        listed: Sequence[MemberSummary] | Sequence[DirectoryEntry] = page.members
        next_cursor = page.next_cursor
    else:
        query = DirectoryQuery(
            chosen.status or None, chosen.type or None, chosen.group or None, chosen.q, day
        )
        directory = views.directory(query, PAGE_SIZE, after)
        listed, next_cursor = directory.entries, directory.next_cursor
    rows = [
        Row(
            name=m.organisation or m.applicant_name,
            person=m.applicant_name if m.organisation else None,
            applicant_name=m.applicant_name,
            organisation=m.organisation,
            email=m.email,
            member_number=m.member_number,
            status=m.status_on(day),
            membership_type=types.label(m.type_on(day), language),
            applied_at=m.applied_at,
            href=member_href(m.member_id, language),
            reference=reference(m.member_id),
        )
        for m in listed
    ]
    return rows, next_cursor


def _with_chosen(choices: list[Choice], chosen: str) -> list[Choice]:
    """The choices, and the chosen value too if it is none of them (a link from elsewhere)."""
    if chosen and all(c.value != chosen for c in choices):
        return [*choices, Choice(chosen, chosen)]
    return choices


@router.get(f"{LIST}.csv", summary="The register as CSV for Excel, with the page's filters")
def list_csv(
    q: Annotated[str | None, Query(max_length=MAX_SEARCH)] = None,
    status: Text = None,
    type: Text = None,
    group: Text = None,
    order: Text = None,
) -> Response[str]:
    """The list the page shows (same filters), whole, as a download; bad filters are the page
    with its message, as on the list itself."""
    language = request_language(router)
    chosen = _filters(q, status, type, group, order)
    if _errors(chosen, language):
        return list_page(q, status, type, group, order)
    from verein.membership.web import export  # noqa: PLC0415 - the csv module, for exports only

    ports = control_ports()
    day = today()
    if chosen.by_date:
        members = export.all_members(ports.member_views, chosen.status, chosen.order == "newest")
    else:
        query = DirectoryQuery(
            chosen.status or None, chosen.type or None, chosen.group or None, chosen.q, day
        )
        members = export.directory_members(ports.member_views, query)
    types = MembershipTypes(ports.event_store, day)
    body = export.directory_csv(members, language, day=day, types=types.label)
    return csv_response(body, chosen.status or None)
