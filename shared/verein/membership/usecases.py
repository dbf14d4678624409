"""Use cases of the membership area: what the API functions call."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from verein.eventstore import Claim, ClaimTaken, CommandContext, EventStore, RecordedEvent
from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.kernel.idempotency import IdempotencyKeyReused
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.runner import Outcome, execute, load_state
from verein.membership import streams
from verein.membership.claims import (
    idempotency_claim,
    member_number_claim,
    open_application_claim,
)
from verein.membership.commands import (
    AddMemberNote,
    ApplyForMembership,
    ApproveApplication,
    MembershipCommand,
    RejectApplication,
    WithdrawApplication,
)
from verein.membership.contact import current_email
from verein.membership.decider import Membership, membership_decider
from verein.membership.numbers import MemberNumbers


@dataclass(frozen=True)
class ApplicationReceived:
    application_id: str
    """This submission's id: the new membership's, or for a double submission one that was
    never stored. Never the first application's, so the answer to a submission cannot tell
    anyone whether (or under which id) an address applied before."""
    already_received: bool
    """True when this e-mail address had an open application already (a double submission).
    For the system only (logs, and the mail to that address in issue 10), never for the
    submitter's screen: the public answer must not enumerate who applied."""


def apply_for_membership(
    store: EventStore, keyed_hash: KeyedHash, command: ApplyForMembership, context: CommandContext
) -> ApplicationReceived:
    member_id = str(uuid.uuid4())
    claim = open_application_claim(command.email, keyed_hash)
    try:
        _on_member(store, member_id, command, context, [claim], new_stream=True)
    except ClaimTaken:
        # Nothing is stored: the first application stands. What differs for the address's
        # owner (a reminder that an application is open) goes to that mailbox with issue 10.
        return ApplicationReceived(member_id, already_received=True)
    return ApplicationReceived(member_id, already_received=False)


@dataclass(frozen=True)
class NoteAdded:
    version: int | None
    """The note's version in the member's stream; None for a repeated idempotency key."""
    already_received: bool


def add_member_note(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: AddMemberNote,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> NoteAdded:
    claims = (
        [idempotency_claim(member_id, idempotency_key, command, keyed_hash)]
        if idempotency_key
        else []
    )
    try:
        outcome = _on_member(store, member_id, command, context, claims)
    except ClaimTaken as taken:
        if not taken.same_request:
            raise IdempotencyKeyReused(idempotency_key) from taken
        return NoteAdded(version=None, already_received=True)
    return NoteAdded(version=outcome.version, already_received=False)


@dataclass(frozen=True)
class Decided:
    """The answer to a decision on an application."""

    version: int | None
    """The decision's version in the member's stream; None for a repeated idempotency key,
    or when the command changed nothing (joining a group the member is in)."""
    already_received: bool
    member_number: int | None = None
    """The number an approval gave (also on a repeated request)."""


class _Approval(BaseModel):
    """What an approval request is, for its idempotency fingerprint (the number is drawn)."""

    decision: Literal["approve"] = "approve"


def approve_application(
    store: EventStore,
    keyed_hash: KeyedHash,
    numbers: MemberNumbers,
    member_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
    max_attempts: int = 50,
) -> Decided:
    """Approve an open application with the next member number (see ``membership.numbers``):
    a concurrent approval that took the same number makes this one take the next."""
    repeat = _idempotency(member_id, idempotency_key, _Approval(), keyed_hash)
    if (earlier := _earlier(store, repeat, idempotency_key)) is not None:
        return earlier
    for _ in range(max_attempts):
        number = numbers.next_free()
        claims = [member_number_claim(number), *repeat]
        try:
            outcome = _on_member(
                store, member_id, ApproveApplication(member_number=number), context, claims
            )
        except ClaimTaken as taken:
            if taken.claim.namespace == "member-number":
                numbers.remember(number)
                continue
            return _repeated(store, member_id, taken, idempotency_key)
        numbers.remember(number)
        return Decided(outcome.version, already_received=False, member_number=number)
    raise CommandConflict(streams.stream_id(member_id))


def reject_application(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: RejectApplication,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    """Reject an open application; its e-mail address may apply again (claim released)."""
    return _close(store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key)


def withdraw_application(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: WithdrawApplication,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    """The applicant takes the application back; the address may apply again."""
    return _close(store, keyed_hash, member_id, command, context, idempotency_key=idempotency_key)


def _close(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: RejectApplication | WithdrawApplication,
    context: CommandContext,
    *,
    idempotency_key: str | None,
) -> Decided:
    # Released with the decision, in the same write: the address is free exactly when the
    # application is closed.
    return change_member(
        store,
        keyed_hash,
        member_id,
        command,
        context,
        idempotency_key=idempotency_key,
        release_address=True,
    )


def change_member(
    store: EventStore,
    keyed_hash: KeyedHash,
    member_id: str,
    command: MembershipCommand,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
    take: Sequence[Claim] = (),
    release: Sequence[Claim] = (),
    release_address: bool = False,
    expected_version: int | None = None,
) -> Decided:
    """Run ``command`` on an existing membership, with an optional ``Idempotency-Key``.

    ``take`` and ``release`` claims go with the command's write; ``release_address`` adds the
    membership's e-mail address to ``release`` (the command closes an application or ends a
    membership). A taken address claim is the rule ``membership.email_taken``. With
    ``expected_version`` (the version ``take``/``release`` were derived at) a moved stream
    raises ``StreamMoved`` (``kernel.runner``).
    """
    history = member_history(store, member_id)
    if not history:
        raise DomainRuleViolated("membership.unknown", status=404)
    released = list(release)
    if release_address and (email := current_email(e.payload for e in history)):
        released.append(open_application_claim(email, keyed_hash))
    repeat = _idempotency(member_id, idempotency_key, command, keyed_hash)
    if (earlier := _earlier(store, repeat, idempotency_key)) is not None:
        return earlier
    try:
        outcome = _on_member(store, member_id, command, context, [*take, *repeat], release=released)
    except ClaimTaken as taken:
        if taken.claim.namespace == "membership-application":
            raise DomainRuleViolated("membership.email_taken") from taken
        return _repeated(store, member_id, taken, idempotency_key)
    return Decided(outcome.version if outcome.new_events else None, already_received=False)


def _idempotency(
    member_id: str, key: str | None, request: BaseModel, keyed_hash: KeyedHash
) -> list[Claim]:
    return [idempotency_claim(member_id, key, request, keyed_hash)] if key else []


def _earlier(store: EventStore, repeat: list[Claim], idempotency_key: str | None) -> Decided | None:
    """The answer to a request made before under this key. Asked before deciding: a retried
    decision would be refused by the rules (the application is closed by now)."""
    held = store.claim_holder(repeat[0]) if repeat else None
    if held is None:
        return None
    return _repeated(store, streams.member_id(held.owner_stream_id), held, idempotency_key)


def _repeated(
    store: EventStore, member_id: str, taken: ClaimTaken, idempotency_key: str | None
) -> Decided:
    """The idempotency key was used before: by this very request (a retry), or not."""
    if not taken.same_request:
        raise IdempotencyKeyReused(idempotency_key) from taken
    state, _ = load_state(store, membership_decider, streams.stream_id(member_id))
    return Decided(None, already_received=True, member_number=state.member_number)


def member_history(store: EventStore, member_id: str) -> list[RecordedEvent]:
    return store.load(streams.stream_id(member_id))


def _on_member(
    store: EventStore,
    member_id: str,
    command: MembershipCommand,
    context: CommandContext,
    claims: list[Claim],
    *,
    release: list[Claim] | None = None,
    new_stream: bool = False,
    expected_version: int | None = None,
) -> Outcome[Membership]:
    """Run a command on one membership stream; the member is the data subject of its events."""
    return execute(
        store,
        membership_decider,
        streams.stream_id(member_id),
        command,
        context,
        subject_id=member_id,
        claims=claims,
        release=release or [],
        new_stream=new_stream,
        expected_version=expected_version,
    )
