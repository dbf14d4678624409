"""What the staff API's list and the register page share about the directory: the input
patterns of its filters, full summaries for a page, and the names of types and groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from verein.eventstore import EventStore
from verein.membership.views.directory import DirectoryQuery
from verein.membership.views.store import MemberViews
from verein.membership.views.summary import MemberSummary
from verein.web.i18n import Language

TYPE_CODE = "^[a-z][a-z0-9-]{0,39}$"
"""A membership type: ``company``, ``individual`` or a code of the fee schedule (the same
pattern as ``verein.fees.schedule.CODE_PATTERN``; a unit test keeps them equal)."""
GROUP_ID = "^[0-9a-f-]{36}$"
"""A working group's id (a uuid, ``verein.groups``)."""
MAX_SEARCH = 200
"""The longest search accepted (characters)."""
MAX_CURSOR = 400
"""The longest cursor accepted: a directory cursor holds up to 60 characters of a name."""
APPLICATION_TYPES = ("company", "individual")
"""The types the application form offers: there before any fee schedule, always."""


class ByNameOnly(Exception):
    """Filters that only the order by name takes were sent with an order by date."""

    def __init__(self, fields: Sequence[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = tuple(fields)


def by_date_only(**filters: str | None) -> None:
    """``ByNameOnly`` for each of ``filters`` that is set (the list by application date is
    one status's, unfiltered: the queue of applications)."""
    sent = [name for name, value in filters.items() if value]
    if sent:
        raise ByNameOnly(sent)


@dataclass(frozen=True)
class Members:
    members: list[MemberSummary]
    next_cursor: str | None


def members_by_name(
    views: MemberViews, query: DirectoryQuery, limit: int, after: str | None
) -> Members:
    """A directory page with each member's full summary (the index holds only what a list
    shows): the page's Queries, then one strongly consistent BatchGetItem per 100 members,
    both from the generation served when the page began. A member whose summary is gone
    meanwhile (a generation dropped) is left out."""
    generation = views.generations.read().current
    page = views.directory(query, limit, after, generation)
    found = views.get_many([e.member_id for e in page.entries], generation)
    return Members(
        [found[e.member_id] for e in page.entries if e.member_id in found], page.next_cursor
    )


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


class MembershipTypes:
    """The names of membership types, from the fee schedule (read once, when made)."""

    def __init__(self, store: EventStore, day: date) -> None:
        from verein.fees.usecases import fee_schedule  # noqa: PLC0415 - another feature's

        self._schedule = fee_schedule(store)
        self._day = day

    def label(self, code: str, language: Language) -> str:
        """The application form's two types by their names; a fee-schedule code by its name
        on the day (else in the latest version that has it); any other code as it is."""
        from verein.membership.web.export import type_label  # noqa: PLC0415

        if code in APPLICATION_TYPES:
            return type_label(code, language)
        found = self._schedule.label(code, language, self._day)
        if found is None:
            versions = reversed(self._schedule.versions)
            fee_type = next((t for v in versions if (t := v.type(code)) is not None), None)
            found = fee_type.label(language) if fee_type else None
        return found or code

    def choices(self, language: Language) -> list[Choice]:
        """The types staff filter by: the application form's two, then those of the fee
        schedule in force on the day."""
        version = self._schedule.on(self._day)
        codes = [*APPLICATION_TYPES, *(version.codes if version else ())]
        return [Choice(code, self.label(code, language)) for code in dict.fromkeys(codes)]


def group_choices(store: EventStore, language: Language) -> list[Choice]:
    """Every working group (closed ones marked), by name. Reads the groups' registry."""
    from verein.groups.usecases import working_groups  # noqa: PLC0415 - another feature's
    from verein.membership.web.messages import MESSAGES  # noqa: PLC0415

    return [
        Choice(
            g.group_id,
            g.name
            if g.is_open
            else MESSAGES.translate("control.closed_group", language, name=g.name),
        )
        for g in working_groups(store)
    ]
