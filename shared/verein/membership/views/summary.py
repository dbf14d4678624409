"""The member directory view: one summary per membership stream. Pure, no AWS."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from verein.eventstore import RecordedEvent
from verein.membership import streams
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    MemberNoteAdded,
    MembershipApplied,
    MembershipApproved,
    MembershipType,
)

ListedStatus = Literal["applied", "active", "rejected", "withdrawn"]
"""The statuses the directory lists."""


class MemberSummary(BaseModel):
    member_id: str
    status: str
    """One of ``ListedStatus`` as the projection writes it (the store lists any status)."""
    applicant_name: str
    email: str
    organisation: str | None
    membership_type: MembershipType
    language: str
    applied_at: datetime
    consent_version: str | None = None
    """The consent text agreed to (None: applied before it was recorded)."""
    note_count: int = 0
    member_number: int | None = None
    """Given with the approval."""
    decided_at: datetime | None = None
    """When the application was approved, rejected or withdrawn."""
    position: int
    """Version of the last domain event applied: makes redelivered changes no-ops."""


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
    update: dict[str, object] = {"position": recorded.version}
    if isinstance(payload, MemberNoteAdded):
        update["note_count"] = summary.note_count + 1
    elif isinstance(payload, MembershipApproved):
        update |= {"status": "active", "member_number": payload.member_number}
    elif isinstance(payload, ApplicationRejected | ApplicationWithdrawn):
        update["status"] = "rejected" if isinstance(payload, ApplicationRejected) else "withdrawn"
    if "status" in update:
        update["decided_at"] = recorded.metadata.occurred_at
    # Any other domain event (none yet) moves only the position.
    return summary.model_copy(update=update)
