"""The membership decider: pure business rules, no AWS.

Statuses so far: ``applied`` (an open application), ``active`` (approved, with a member
number), ``rejected`` and ``withdrawn`` (closed applications: the address may apply again,
as a new membership stream). A command that does not fit the status breaks a rule named by
its code (409, translated in the web layer) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from verein.kernel.decider import Decider
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated
from verein.membership.commands import (
    AddMemberNote,
    ApplyForMembership,
    ApproveApplication,
    MembershipCommand,
    RejectApplication,
    WithdrawApplication,
)
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    MemberNoteAdded,
    MembershipApplied,
    MembershipApproved,
)

MembershipStatus = Literal["none", "applied", "active", "rejected", "withdrawn"]


class Membership(BaseModel):
    """Decision state of one membership stream: what the rules need, nothing more."""

    status: MembershipStatus = "none"
    note_count: int = 0
    member_number: int | None = None


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
    _known(state)
    return [MemberNoteAdded(text=command.text)]


def _approve(command: ApproveApplication, state: Membership) -> Sequence[DomainEvent]:
    _open(state)
    if command.member_number < 1:
        raise DomainRuleViolated("membership.invalid_member_number", status=422)
    return [MembershipApproved(member_number=command.member_number)]


def _reject(command: RejectApplication, state: Membership) -> Sequence[DomainEvent]:
    _open(state)
    if not command.reason.strip():
        raise DomainRuleViolated("membership.reason_required", status=422)
    return [ApplicationRejected(reason=command.reason)]


def _withdraw(command: WithdrawApplication, state: Membership) -> Sequence[DomainEvent]:
    _open(state)
    return [ApplicationWithdrawn(reason=command.reason)]


def _known(state: Membership) -> None:
    if state.status == "none":
        raise DomainRuleViolated("membership.unknown", status=404)


def _open(state: Membership) -> None:
    """Only an open application can be decided or withdrawn."""
    _known(state)
    if state.status != "applied":
        raise DomainRuleViolated(f"membership.not_open.{state.status}")


def _applied(state: Membership, _: MembershipApplied) -> Membership:
    return state.model_copy(update={"status": "applied"})


def _noted(state: Membership, _: MemberNoteAdded) -> Membership:
    return state.model_copy(update={"note_count": state.note_count + 1})


def _approved(state: Membership, event: MembershipApproved) -> Membership:
    return state.model_copy(update={"status": "active", "member_number": event.member_number})


def _rejected(state: Membership, _: ApplicationRejected) -> Membership:
    return state.model_copy(update={"status": "rejected"})


def _withdrawn(state: Membership, _: ApplicationWithdrawn) -> Membership:
    return state.model_copy(update={"status": "withdrawn"})


membership_decider: Decider[MembershipCommand, Membership] = Decider(
    state_type=Membership,
    deciders={
        ApplyForMembership: _apply,
        AddMemberNote: _add_note,
        ApproveApplication: _approve,
        RejectApplication: _reject,
        WithdrawApplication: _withdraw,
    },
    evolvers={
        MembershipApplied: _applied,
        MemberNoteAdded: _noted,
        MembershipApproved: _approved,
        ApplicationRejected: _rejected,
        ApplicationWithdrawn: _withdrawn,
    },
)
decide = membership_decider.decide
evolve = membership_decider.evolve
