"""The member directory view: one summary per membership stream. Pure, no AWS.

A summary depends on the domain events only, never on the day it is computed: the views
after a rebuild equal the live ones. What depends on the day (a notice that has taken effect,
a type change from a date) is worked out when reading, by ``on``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from verein.eventstore import RecordedEvent
from verein.kernel.clock import local_day
from verein.membership import streams
from verein.membership.decider import has_ended
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    ContactDetailsChanged,
    ContactPerson,
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

ListedStatus = Literal["applied", "active", "terminating", "ended", "rejected", "withdrawn"]
"""The statuses the directory lists."""


class MemberSummary(BaseModel):
    member_id: str
    status: str
    """One of ``ListedStatus`` as the projection writes it (the store lists any status)."""
    applicant_name: str
    email: str
    organisation: str | None
    membership_type: str
    """The type from ``type_since`` on: ``company`` or ``individual`` as applied for, or a
    code of the fee schedule (``verein.fees``) staff changed it to."""
    language: str
    applied_at: datetime
    consent_version: str | None = None
    """The consent text agreed to (None: applied before it was recorded)."""
    note_count: int = 0
    member_number: int | None = None
    """Given with the approval."""
    decided_at: datetime | None = None
    """When the application was approved, rejected or withdrawn."""
    member_since: date | None = None
    """The day of the approval."""
    ends_on: date | None = None
    """The last day of membership: under notice, or ended."""
    type_since: date | None = None
    """From when ``membership_type`` applies (None: since the application)."""
    previous_type: str | None = None
    """The type before ``type_since``."""
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    contacts: list[ContactPerson] = []
    groups: list[str] = []
    """Working group ids, in joining order."""
    position: int
    """Version of the last domain event applied: makes redelivered changes no-ops."""

    def type_on(self, day: date) -> str:
        """The membership type in force on ``day``."""
        if self.type_since is not None and day < self.type_since and self.previous_type:
            return self.previous_type
        return self.membership_type

    def status_on(self, day: date) -> str:
        """The status on ``day`` (a notice whose last day has passed counts as ended, as the
        scheduled function will record it)."""
        if self.status == "terminating" and self.ends_on and has_ended(self.ends_on, day):
            return "ended"
        return self.status


def apply(summary: MemberSummary | None, recorded: RecordedEvent) -> MemberSummary | None:
    payload = recorded.payload
    if isinstance(payload, MembershipApplied):
        return MemberSummary(
            member_id=streams.member_id(recorded.stream_id),
            status="applied",
            applicant_name=payload.applicant_name,
            email=payload.email,
            organisation=payload.organisation,
            membership_type=payload.membership_type,
            language=payload.language,
            applied_at=recorded.metadata.occurred_at,
            consent_version=payload.consent_version,
            position=recorded.version,
        )
    if summary is None:
        return None
    update = {"position": recorded.version, **_changes(summary, recorded)}
    return summary.model_copy(update=update)


def _changes(summary: MemberSummary, recorded: RecordedEvent) -> dict[str, object]:  # noqa: PLR0911 - a case per domain event
    payload, at = recorded.payload, recorded.metadata.occurred_at
    match payload:
        case MemberNoteAdded():
            return {"note_count": summary.note_count + 1}
        case MembershipApproved():
            number, since = payload.member_number, local_day(at)
            return {"status": "active", "member_number": number, "decided_at": at} | {
                "member_since": since
            }
        case ApplicationRejected():
            return {"status": "rejected", "decided_at": at}
        case ApplicationWithdrawn():
            return {"status": "withdrawn", "decided_at": at}
        case NoticeGiven():
            return {"status": "terminating", "ends_on": payload.ends_on}
        case NoticeWithdrawn():
            return {"status": "active", "ends_on": None}
        case MemberExcluded() | MembershipEnded():
            return {"status": "ended", "ends_on": payload.ended_on, "groups": []}
        case ContactDetailsChanged():
            return _contact(payload)
        case MembershipTypeChanged():
            return {
                "membership_type": payload.membership_type,
                "type_since": payload.effective,
                "previous_type": summary.type_on(payload.effective - timedelta(days=1)),
            }
        case JoinedWorkingGroup():
            return {"groups": [*summary.groups, payload.group_id]}
        case LeftWorkingGroup():
            return {"groups": [g for g in summary.groups if g != payload.group_id]}
    raise TypeError(f"the directory cannot apply {type(payload).__name__}")


def _contact(changed: ContactDetailsChanged) -> dict[str, object]:
    update: dict[str, object] = {}
    for name in ("applicant_name", "email"):
        if (value := getattr(changed, name)) is not None:
            update[name] = value
    for name in ("organisation", "street", "postal_code", "city", "phone"):
        if (value := getattr(changed, name)) is not None:
            update[name] = value or None  # "" clears
    if changed.contacts is not None:
        update["contacts"] = list(changed.contacts)
    return update


def summary_from(history: Iterable[RecordedEvent]) -> MemberSummary | None:
    summary: MemberSummary | None = None
    for recorded in history:
        summary = apply(summary, recorded)
    return summary


def summary_on(history: Iterable[RecordedEvent], day: date) -> MemberSummary | None:
    """The member as of the end of ``day`` (the association's calendar): the domain events
    recorded by then, with the status and type in force that day. None: not applied yet."""
    summary = summary_from(e for e in history if local_day(e.metadata.occurred_at) <= day)
    if summary is None:
        return None
    return summary.model_copy(
        update={"status": summary.status_on(day), "membership_type": summary.type_on(day)}
    )
