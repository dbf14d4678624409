"""The member directory view: one summary per membership stream. Pure, no AWS."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from verein.eventstore import RecordedEvent
from verein.membership import streams
from verein.membership.domain_events import MemberNoteAdded, MembershipApplied, MembershipType


class MemberSummary(BaseModel):
    member_id: str
    status: str
    applicant_name: str
    email: str
    organisation: str | None
    membership_type: MembershipType
    language: str
    applied_at: datetime
    note_count: int = 0
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
            position=recorded.version,
        )
    if summary is None:
        return None
    if isinstance(payload, MemberNoteAdded):
        return summary.model_copy(
            update={"note_count": summary.note_count + 1, "position": recorded.version}
        )
    return summary.model_copy(update={"position": recorded.version})
