"""The directory: every member and applicant by name, with filters and search. Pure, no AWS.

What the views store (``verein.membership.views.store``) keeps for it on each summary item,
and what both of its adapters match and order by, so that they cannot disagree:

- ``directory_position``: where a member stands, ``<sort name> #<member id>`` (the ``by_name``
  index's sort key ``name_sk``). The name is the organisation when there is one, else the
  person's: staff look a company member up by the company, and the list's first column shows
  that name, so the order is what they see. (The membership type does not say whether a
  member is a company: after a change it is any code of the fee schedule.) ``sort_name``
  never holds ``#`` and its words start with letters or digits, which sort after ``#``: so
  "Meier" comes before "Meier Anna", and equal names are ordered by member id;
- ``search_text``: what a search looks in, folded (``folding.fold``): the name, the
  organisation, the e-mail address, the contact persons' names and addresses, and the member
  number;
- ``DirectoryEntry``: the attributes the index holds besides its keys (``DIRECTORY_ATTRIBUTES``,
  the template's ``NonKeyAttributes``): what a list shows and what its filters look at.

Status and type are matched as they are on ``query.day`` (``DirectoryEntry.status_on`` and
``type_on``, the summary's rules): a notice whose last day has passed counts as ended, a type
change counts from its day.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from verein.kernel.clock import today
from verein.membership.decider import has_ended
from verein.membership.views.folding import SORT_NAME_LENGTH, fold, search_words, sort_name
from verein.membership.views.summary import MemberSummary

MAX_WORDS = 8
"""Words of a search beyond these are ignored (each is a condition on every entry read)."""


class DirectoryEntry(BaseModel):
    """A member as the directory lists it: the summary's listing fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    member_id: str
    status: str
    """As stored; ``status_on`` gives the status on a day."""
    applicant_name: str
    organisation: str | None
    email: str
    membership_type: str
    """As stored (from ``type_since`` on); ``type_on`` gives the type on a day."""
    member_number: int | None = None
    groups: list[str] = []
    applied_at: datetime
    member_since: date | None = None
    ends_on: date | None = None
    type_since: date | None = None
    previous_type: str | None = None

    @property
    def name(self) -> str:
        """The name the directory orders by and shows first (see the module)."""
        return self.organisation or self.applicant_name

    def type_on(self, day: date) -> str:
        """The type in force on ``day`` (``MemberSummary.type_on``'s rule)."""
        if self.type_since is not None and day < self.type_since and self.previous_type:
            return self.previous_type
        return self.membership_type

    def status_on(self, day: date) -> str:
        """The status on ``day`` (``MemberSummary.status_on``'s rule)."""
        if self.status == "terminating" and self.ends_on and has_ended(self.ends_on, day):
            return "ended"
        return self.status


DIRECTORY_ATTRIBUTES: tuple[str, ...] = (*DirectoryEntry.model_fields, "search")
"""What the ``by_name`` index holds besides the keys (the template's ``NonKeyAttributes``)."""


@dataclass(frozen=True)
class DirectoryQuery:
    """Which members a directory page lists: all of them, or those that meet every filter."""

    status: str | None = None
    membership_type: str | None = None
    group: str | None = None
    """A working group's id: members in that group."""
    text: str = ""
    """Words each of which the name, organisation, e-mail address, a contact or the member
    number must contain, in any case and with or without umlauts and accents."""
    day: date = field(default_factory=today)
    """Status and type as they are on this day."""

    @property
    def words(self) -> list[str]:
        return search_words(self.text)[:MAX_WORDS]

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.membership_type or self.group or self.words)

    def matches(self, entry: DirectoryEntry, search: str) -> bool:
        """Whether ``entry`` (whose ``search_text`` is ``search``) is listed."""
        return (
            (self.status is None or entry.status_on(self.day) == self.status)
            and (self.membership_type is None or entry.type_on(self.day) == self.membership_type)
            and (self.group is None or self.group in entry.groups)
            and all(word in search for word in self.words)
        )


@dataclass(frozen=True)
class DirectoryPage:
    entries: list[DirectoryEntry]
    next_cursor: str | None
    """Pass as ``after`` (with the same query) for the next page; None on the last page."""
    requests: int
    """Reads this page took (DynamoDB Queries; the in-memory adapter counts one)."""


def entry_of(summary: MemberSummary) -> DirectoryEntry:
    return DirectoryEntry.model_validate(summary.model_dump())


def directory_position(name: str, member_id: str) -> str:
    """The ``by_name`` index's sort key of a member called ``name``."""
    return f"{sort_name(name)} #{member_id}"


def position_of(entry: DirectoryEntry) -> str:
    return directory_position(entry.name, entry.member_id)


def search_text(summary: MemberSummary) -> str:
    """What a search looks in (see the module), folded."""
    parts = [summary.applicant_name, summary.organisation or "", summary.email]
    for contact in summary.contacts:
        parts += [contact.name, contact.email or ""]
    if summary.member_number is not None:
        parts.append(str(summary.member_number))
    return fold(" ".join(p for p in parts if p))


def cursor(entry: DirectoryEntry) -> str:
    return base64.urlsafe_b64encode(position_of(entry).encode()).decode().rstrip("=")


_POSITION = re.compile(r"^((?:\w+(?: \w+)*)?) #([0-9a-f-]{36})$")


class InvalidCursor(ValueError):
    """A paging cursor that this API did not hand out."""


def position(after: str) -> str:
    """The directory position a cursor stands for; ``InvalidCursor`` for anything not handed
    out by ``cursor`` (a list position by application date included)."""
    try:
        decoded = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor(after) from error
    found = _POSITION.match(decoded)
    if found is None or len(found[1]) > SORT_NAME_LENGTH or sort_name(found[1]) != found[1]:
        raise InvalidCursor(after)
    return decoded


def member_id_at(position: str) -> str:
    return position.rsplit("#", 1)[1]
