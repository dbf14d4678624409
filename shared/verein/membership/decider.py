"""The membership decider: pure business rules, no AWS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from verein.kernel.decider import Decider
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated
from verein.membership.commands import AddMemberNote, ApplyForMembership, MembershipCommand
from verein.membership.domain_events import MemberNoteAdded, MembershipApplied

MembershipStatus = Literal["none", "applied"]


class Membership(BaseModel):
    """Decision state of one membership stream: what the rules need, nothing more."""

    status: MembershipStatus = "none"
    note_count: int = 0


def _apply(command: ApplyForMembership, state: Membership) -> Sequence[DomainEvent]:
    if state.status != "none":
        raise DomainRuleViolated("membership.already_applied")
    if not command.privacy_consent:
        raise DomainRuleViolated("membership.consent_required", status=422)
    return [
        MembershipApplied(
            applicant_name=command.applicant_name,
            email=command.email,
            organisation=command.organisation,
            membership_type=command.membership_type,
            language=command.language,
            privacy_consent=True,
            consent_version=command.consent_version,
        )
    ]


def _add_note(command: AddMemberNote, state: Membership) -> Sequence[DomainEvent]:
    if state.status == "none":
        raise DomainRuleViolated("membership.unknown", status=404)
    return [MemberNoteAdded(text=command.text)]


def _applied(state: Membership, _: MembershipApplied) -> Membership:
    return state.model_copy(update={"status": "applied"})


def _noted(state: Membership, _: MemberNoteAdded) -> Membership:
    return state.model_copy(update={"note_count": state.note_count + 1})


membership_decider: Decider[MembershipCommand, Membership] = Decider(
    state_type=Membership,
    deciders={ApplyForMembership: _apply, AddMemberNote: _add_note},
    evolvers={MembershipApplied: _applied, MemberNoteAdded: _noted},
)
decide = membership_decider.decide
evolve = membership_decider.evolve
