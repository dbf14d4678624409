"""Use cases of a membership after the application: notice, exclusion, the end, contact
details, the membership type, working groups. Each runs one command on the member's stream
(``usecases.change_member``), with an optional ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from verein.eventstore import CommandContext, EventStore
from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.mailbox import mailbox_key
from verein.kernel.runner import StreamMoved
from verein.membership import streams
from verein.membership.claims import open_application_claim
from verein.membership.commands import (
    ChangeContactDetails,
    ChangeMembershipType,
    EndMembership,
    ExcludeMember,
    GiveNotice,
    JoinWorkingGroup,
    LeaveWorkingGroup,
    WithdrawNotice,
)
from verein.membership.contact import current_email
from verein.membership.decider import HOLDS_ADDRESS, membership_decider
from verein.membership.notice import NoticePolicy
from verein.membership.usecases import Decided, change_member, member_history


def give_notice(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    context: CommandContext,
    *,
    today: date,
    policy: NoticePolicy,
    ends_on: date | None = None,
    reason: str | None = None,
    by_member: bool = False,
    idempotency_key: str | None = None,
) -> Decided:
    """Notice given today; the membership's last day is ``ends_on`` or, by default, the term
    end the notice period allows (``membership.notice``)."""
    command = GiveNotice(
        given_on=today,
        ends_on=ends_on or policy.last_day(today),
        by_member=by_member,
        reason=reason,
    )
    return change_member(
        store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key
    )


def withdraw_notice(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    context: CommandContext,
    *,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> Decided:
    command = WithdrawNotice(reason=reason)
    return change_member(
        store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key
    )


def exclude_member(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    context: CommandContext,
    *,
    today: date,
    reason: str,
    idempotency_key: str | None = None,
) -> Decided:
    """The membership ends today; the address is free to apply again (staff decide then)."""
    command = ExcludeMember(on=today, reason=reason)
    return change_member(
        store,
        keyed_hash,
        member_id,
        command,
        context,
        idempotency_key=idempotency_key,
        release_address=True,
    )


def end_membership(
    store: EventStore, keyed_hash: KeyedHash, member_id: str, context: CommandContext, today: date
) -> bool:
    """End a membership whose last day has passed; False when it is not due (or ended)."""
    try:
        change_member(
            store,
            keyed_hash,
            member_id,
            EndMembership(today=today),
            context,
            release_address=True,
        )
    except DomainRuleViolated:
        return False  # not due yet, notice withdrawn meanwhile, ended by exclusion
    return True


def change_contact_details(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: ChangeContactDetails,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
    attempts: int = 6,
) -> Decided:
    """Change contact details. A new e-mail address of an application or a membership moves
    its claim in the same write: an address another application or member holds is refused
    (``membership.email_taken``), and the old one is free."""
    for _ in range(attempts):
        history = member_history(store, member_id)
        if not history:
            raise DomainRuleViolated("membership.unknown", status=404)
        state = membership_decider.fold(membership_decider.initial(), [e.payload for e in history])
        old = current_email(e.payload for e in history)
        moves = bool(command.email and old and mailbox_key(command.email) != mailbox_key(old))
        take, release = [], []
        if moves and state.status in HOLDS_ADDRESS and command.email and old:
            take = [open_application_claim(command.email, keyed_hash)]
            release = [open_application_claim(old, keyed_hash)]
        try:
            return change_member(
                store,
                keyed_hash,
                member_id,
                command,
                context,
                idempotency_key=idempotency_key,
                take=take,
                release=release,
                expected_version=history[-1].version,
            )
        except StreamMoved:
            continue  # changed meanwhile: the claims follow the address it has now
    raise CommandConflict(streams.stream_id(member_id))


def change_membership_type(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: ChangeMembershipType,
    context: CommandContext,
    *,
    known: Callable[[str, date], bool],
    idempotency_key: str | None = None,
) -> Decided:
    """Change the type from a date; ``known`` says whether the fee schedule in force on that
    date has the type (``verein.fees``)."""
    if not known(command.membership_type, command.effective):
        raise DomainRuleViolated("membership.unknown_type", status=422)
    return change_member(
        store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key
    )


def join_working_group(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    group_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    """The member joins the group (the caller checked the group exists); joining a group the
    member is in changes nothing."""
    command = JoinWorkingGroup(group_id=group_id)
    return change_member(
        store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key
    )


def leave_working_group(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    group_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    command = LeaveWorkingGroup(group_id=group_id)
    return change_member(
        store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key
    )
