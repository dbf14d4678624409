"""The membership decider: pure business rules, no AWS.

Statuses: ``applied`` (an open application), then ``active`` (approved, with a member
number), or ``rejected`` / ``withdrawn`` (closed applications: the address may apply again,
as a new membership stream). An active member may give notice (``terminating``: still a
member until the last day) and take it back; the membership is ``ended`` when the scheduled
function records that the last day has passed, or at once when staff exclude the member.
A command that does not fit the status breaks a rule named by its code (409, translated in
the web layer) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel

from verein.kernel.decider import Decider
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated
from verein.membership.commands import (
    AddMemberNote,
    ApplyForMembership,
    ApproveApplication,
    ChangeContactDetails,
    ChangeMembershipType,
    EndMembership,
    ExcludeMember,
    GiveNotice,
    JoinWorkingGroup,
    LeaveWorkingGroup,
    MembershipCommand,
    RejectApplication,
    WithdrawApplication,
    WithdrawNotice,
)
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

MembershipStatus = Literal[
    "none", "applied", "active", "terminating", "ended", "rejected", "withdrawn"
]
MEMBER_STATUSES = frozenset({"active", "terminating"})
"""Statuses that count as member (may join working groups, sign up for members' gatherings)."""
HOLDS_ADDRESS = frozenset({"applied", "active", "terminating"})
"""Statuses whose e-mail address is claimed: nobody else may apply with it meanwhile."""


class Membership(BaseModel):
    """Decision state of one membership stream: what the rules need, nothing more (and no
    personal data: the snapshot is stored unencrypted)."""

    status: MembershipStatus = "none"
    note_count: int = 0
    member_number: int | None = None
    ends_on: date | None = None
    """The last day of a membership under notice, or of an ended one."""
    groups: tuple[str, ...] = ()
    """Working groups the member belongs to, in joining order."""


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
    _reason(command.reason)
    return [ApplicationRejected(reason=command.reason)]


def _withdraw(command: WithdrawApplication, state: Membership) -> Sequence[DomainEvent]:
    _open(state)
    return [ApplicationWithdrawn(reason=command.reason)]


def _give_notice(command: GiveNotice, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if state.status != "active":
        raise DomainRuleViolated(f"membership.not_active.{state.status}")
    if command.ends_on < command.given_on:
        raise DomainRuleViolated("membership.ends_before_notice", status=422)
    return [
        NoticeGiven(
            ends_on=command.ends_on,
            given_on=command.given_on,
            by_member=command.by_member,
            reason=command.reason,
        )
    ]


def _withdraw_notice(command: WithdrawNotice, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if state.status != "terminating":
        raise DomainRuleViolated(f"membership.no_notice.{state.status}")
    return [NoticeWithdrawn(reason=command.reason)]


def _exclude(command: ExcludeMember, state: Membership) -> Sequence[DomainEvent]:
    _member(state)
    _reason(command.reason)
    return [MemberExcluded(ended_on=command.on, reason=command.reason)]


def _end(command: EndMembership, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if state.status != "terminating" or state.ends_on is None:
        raise DomainRuleViolated(f"membership.no_notice.{state.status}")
    if not has_ended(state.ends_on, command.today):
        raise DomainRuleViolated("membership.not_due")
    return [MembershipEnded(ended_on=state.ends_on)]


def has_ended(ends_on: date, day: date) -> bool:
    """Whether a membership whose last day is ``ends_on`` is over on ``day``: the one rule the
    scheduled function and every view "as of a day" share."""
    return ends_on < day


def _change_contact(command: ChangeContactDetails, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if command.applicant_name == "":
        raise DomainRuleViolated("membership.name_required", status=422)
    if command.email == "":
        raise DomainRuleViolated("membership.email_required", status=422)
    changed = command.model_dump(exclude_none=True)
    if not changed:
        return []
    return [ContactDetailsChanged.model_validate(changed)]


def _change_type(command: ChangeMembershipType, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if state.status not in HOLDS_ADDRESS:  # applied, or a member
        raise DomainRuleViolated(f"membership.not_member.{state.status}")
    return [
        MembershipTypeChanged(membership_type=command.membership_type, effective=command.effective)
    ]


def _join(command: JoinWorkingGroup, state: Membership) -> Sequence[DomainEvent]:
    _member(state)
    if command.group_id in state.groups:
        return []  # joining twice is being in the group: nothing to record
    return [JoinedWorkingGroup(group_id=command.group_id)]


def _leave(command: LeaveWorkingGroup, state: Membership) -> Sequence[DomainEvent]:
    _known(state)
    if command.group_id not in state.groups:
        return []
    return [LeftWorkingGroup(group_id=command.group_id)]


def _known(state: Membership) -> None:
    if state.status == "none":
        raise DomainRuleViolated("membership.unknown", status=404)


def _open(state: Membership) -> None:
    """Only an open application can be decided or withdrawn."""
    _known(state)
    if state.status != "applied":
        raise DomainRuleViolated(f"membership.not_open.{state.status}")


def _member(state: Membership) -> None:
    _known(state)
    if state.status not in MEMBER_STATUSES:
        raise DomainRuleViolated(f"membership.not_member.{state.status}")


def _reason(reason: str) -> None:
    if not reason.strip():
        raise DomainRuleViolated("membership.reason_required", status=422)


def _status(status: MembershipStatus) -> dict[str, object]:
    return {"status": status}


def _applied(state: Membership, _: MembershipApplied) -> Membership:
    return state.model_copy(update=_status("applied"))


def _noted(state: Membership, _: MemberNoteAdded) -> Membership:
    return state.model_copy(update={"note_count": state.note_count + 1})


def _approved(state: Membership, event: MembershipApproved) -> Membership:
    return state.model_copy(update={"status": "active", "member_number": event.member_number})


def _rejected(state: Membership, _: ApplicationRejected) -> Membership:
    return state.model_copy(update=_status("rejected"))


def _withdrawn(state: Membership, _: ApplicationWithdrawn) -> Membership:
    return state.model_copy(update=_status("withdrawn"))


def _notice_given(state: Membership, event: NoticeGiven) -> Membership:
    return state.model_copy(update={"status": "terminating", "ends_on": event.ends_on})


def _notice_withdrawn(state: Membership, _: NoticeWithdrawn) -> Membership:
    return state.model_copy(update={"status": "active", "ends_on": None})


def _ended(state: Membership, event: MemberExcluded | MembershipEnded) -> Membership:
    # Working groups are for members: an ended membership leaves them all.
    return state.model_copy(update={"status": "ended", "ends_on": event.ended_on, "groups": ()})


def _unchanged(state: Membership, _: DomainEvent) -> Membership:
    return state  # personal data or dates the rules do not need


def _joined(state: Membership, event: JoinedWorkingGroup) -> Membership:
    return state.model_copy(update={"groups": (*state.groups, event.group_id)})


def _left(state: Membership, event: LeftWorkingGroup) -> Membership:
    return state.model_copy(
        update={"groups": tuple(g for g in state.groups if g != event.group_id)}
    )


membership_decider: Decider[MembershipCommand, Membership] = Decider(
    state_type=Membership,
    deciders={
        ApplyForMembership: _apply,
        AddMemberNote: _add_note,
        ApproveApplication: _approve,
        RejectApplication: _reject,
        WithdrawApplication: _withdraw,
        GiveNotice: _give_notice,
        WithdrawNotice: _withdraw_notice,
        ExcludeMember: _exclude,
        EndMembership: _end,
        ChangeContactDetails: _change_contact,
        ChangeMembershipType: _change_type,
        JoinWorkingGroup: _join,
        LeaveWorkingGroup: _leave,
    },
    evolvers={
        MembershipApplied: _applied,
        MemberNoteAdded: _noted,
        MembershipApproved: _approved,
        ApplicationRejected: _rejected,
        ApplicationWithdrawn: _withdrawn,
        NoticeGiven: _notice_given,
        NoticeWithdrawn: _notice_withdrawn,
        MemberExcluded: _ended,
        MembershipEnded: _ended,
        ContactDetailsChanged: _unchanged,
        MembershipTypeChanged: _unchanged,
        JoinedWorkingGroup: _joined,
        LeftWorkingGroup: _left,
    },
)
decide = membership_decider.decide
evolve = membership_decider.evolve
