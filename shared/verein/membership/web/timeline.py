"""A person's history as staff read it: who did what, when, and the words that came with it.

Built from the member's recorded domain events; staff are named by the e-mail address the
staff directory recorded at their sign-in (``verein.staff_app.sessions``), the applicant as
such. A domain event this module does not know yet shows its type rather than nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from verein.eventstore import DomainEvent, RecordedEvent
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    ContactDetailsChanged,
    JoinedWorkingGroup,
    LeftWorkingGroup,
    MemberExcluded,
    MemberNoteAdded,
    MembershipApplied,
    MembershipApproved,
    MembershipEnded,
    MembershipTypeChanged,
    NoticeGiven,
    NoticeWithdrawn,
)
from verein.membership.web.messages import MESSAGES
from verein.staff_app.pages import local_date
from verein.staff_app.sessions import SessionStore
from verein.web.i18n import Language


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    what: str
    text: str | None = None


def timeline(
    history: Sequence[RecordedEvent], directory: SessionStore, language: Language
) -> list[TimelineEntry]:
    """The entries in the order they happened (one staff directory read for all)."""
    subjects = [
        e.metadata.actor.removeprefix("staff:")
        for e in history
        if e.metadata.actor.startswith("staff:")
    ]
    staff = directory.staff_by_subject(subjects) if subjects else {}

    def who(actor: str) -> str:
        if actor == "public":
            return MESSAGES.translate("control.actor.public", language)
        if actor == "system:schedule":
            return MESSAGES.translate("control.actor.schedule", language)
        if actor.startswith("staff:"):
            known = staff.get(actor.removeprefix("staff:"))
            return known.email if known else MESSAGES.translate("control.actor.staff", language)
        return actor

    return [_entry(e, who(e.metadata.actor), language) for e in history]


def _entry(recorded: RecordedEvent, who: str, language: Language) -> TimelineEntry:
    payload, at = recorded.payload, recorded.metadata.occurred_at

    def text(key: str, **values: str) -> str:
        return MESSAGES.translate(f"control.event.{key}", language, **values)

    if isinstance(payload, MembershipApplied):
        kind = MESSAGES.translate(f"membership_type.{payload.membership_type}", language)
        return TimelineEntry(at, who, text("applied", membership_type=kind))
    if isinstance(payload, MemberNoteAdded):
        return TimelineEntry(at, who, text("note"), payload.text)
    if isinstance(payload, MembershipApproved):
        return TimelineEntry(at, who, text("approved", member_number=str(payload.member_number)))
    if isinstance(payload, ApplicationRejected):
        return TimelineEntry(at, who, text("rejected"), payload.reason)
    if isinstance(payload, ApplicationWithdrawn):
        return TimelineEntry(at, who, text("withdrawn"), payload.reason)
    return _lifecycle_entry(payload, at, who, language)


def _lifecycle_entry(  # noqa: PLR0911 - a case per domain event
    payload: DomainEvent, at: datetime, who: str, language: Language
) -> TimelineEntry:
    def text(key: str, **values: str) -> str:
        return MESSAGES.translate(f"control.event.{key}", language, **values)

    def day(value: date) -> str:
        return local_date(value, language)

    match payload:
        case NoticeGiven():
            key = "notice_by_member" if payload.by_member else "notice"
            return TimelineEntry(at, who, text(key, day=day(payload.ends_on)), payload.reason)
        case NoticeWithdrawn():
            return TimelineEntry(at, who, text("notice_withdrawn"), payload.reason)
        case MemberExcluded():
            return TimelineEntry(at, who, text("excluded"), payload.reason)
        case MembershipEnded():
            return TimelineEntry(at, who, text("ended", day=day(payload.ended_on)))
        case ContactDetailsChanged():
            fields = ", ".join(
                MESSAGES.translate(f"control.changed.{name}", language)
                for name in payload.model_dump(exclude_none=True)
            )
            return TimelineEntry(at, who, text("contact_changed"), fields)
        case MembershipTypeChanged():
            return TimelineEntry(
                at,
                who,
                text("type_changed", type=payload.membership_type, day=day(payload.effective)),
            )
        case JoinedWorkingGroup() | LeftWorkingGroup():
            key = "joined" if isinstance(payload, JoinedWorkingGroup) else "left"
            return TimelineEntry(at, who, text(key), payload.group_id)
    return TimelineEntry(at, who, payload.event_type)  # a domain event this page does not know yet
