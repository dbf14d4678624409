"""The membership decider: pure business rules, no AWS."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from verein.eventstore import Claim, DomainEvent
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.mailbox import mailbox_key
from verein.kernel.runner import Decider, DomainRuleViolated
from verein.membership.domain_events import MemberNoteAdded, MembershipApplied, MembershipType


class ApplyForMembership(BaseModel):
    """Command: a person or company applies. Input validation happens before (web layer)."""

    model_config = ConfigDict(frozen=True)

    applicant_name: str
    email: str
    organisation: str | None
    membership_type: MembershipType
    language: Literal["de", "en"]
    privacy_consent: bool


class AddMemberNote(BaseModel):
    """Command: staff add a note to a membership."""

    model_config = ConfigDict(frozen=True)

    text: str


MembershipCommand = ApplyForMembership | AddMemberNote
MembershipStatus = Literal["none", "applied"]


class Membership(BaseModel):
    """Decision state of one membership stream."""

    status: MembershipStatus = "none"
    applied_at: datetime | None = None
    note_count: int = 0


def decide(command: MembershipCommand, state: Membership) -> Sequence[DomainEvent]:
    if isinstance(command, AddMemberNote):
        if state.status == "none":
            raise DomainRuleViolated("membership.unknown")
        return [MemberNoteAdded(text=command.text)]
    if state.status != "none":
        raise DomainRuleViolated("membership.already_applied")
    if not command.privacy_consent:
        raise DomainRuleViolated("membership.consent_required")
    return [
        MembershipApplied(
            applicant_name=command.applicant_name,
            email=command.email,
            organisation=command.organisation,
            membership_type=command.membership_type,
            language=command.language,
            privacy_consent=True,
        )
    ]


def evolve(state: Membership, domain_event: DomainEvent) -> Membership:
    if isinstance(domain_event, MembershipApplied):
        return state.model_copy(update={"status": "applied"})
    if isinstance(domain_event, MemberNoteAdded):
        return state.model_copy(update={"note_count": state.note_count + 1})
    return state


membership_decider: Decider[MembershipCommand, Membership] = Decider(
    state_type=Membership,
    state_schema="Membership.v2",
    initial=Membership,
    evolve=evolve,
    decide=decide,
)


def open_application_claim(email: str, keyed_hash: KeyedHash) -> Claim:
    """One open application per e-mail address; the key is a keyed hash, not the address."""
    key = keyed_hash.digest("membership-application", mailbox_key(email))
    return Claim("membership-application", key)


def idempotency_claim(scope: str, key: str, request: BaseModel, keyed_hash: KeyedHash) -> Claim:
    """A client-chosen ``Idempotency-Key`` within ``scope``: the same key never appends twice,
    and the fingerprint of ``request`` tells a retry from a different request under that key."""
    return Claim(
        "idempotency",
        keyed_hash.digest("idempotency", f"{scope}:{key}"),
        fingerprint=keyed_hash.digest("request", request.model_dump_json()),
    )


def member_stream_id(member_id: str) -> str:
    return f"member#{member_id}"
