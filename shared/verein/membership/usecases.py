"""Use cases of the membership area: what the API functions call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from verein.eventstore import Claim, ClaimTaken, CommandContext, EventStore, RecordedEvent
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.runner import Outcome, execute
from verein.membership import streams
from verein.membership.claims import idempotency_claim, open_application_claim
from verein.membership.commands import AddMemberNote, ApplyForMembership, MembershipCommand
from verein.membership.decider import Membership, membership_decider


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


class IdempotencyKeyReused(Exception):
    """The ``Idempotency-Key`` was used before with a different request: nothing was stored."""


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


def member_history(store: EventStore, member_id: str) -> list[RecordedEvent]:
    return store.load(streams.stream_id(member_id))


def _on_member(
    store: EventStore,
    member_id: str,
    command: MembershipCommand,
    context: CommandContext,
    claims: list[Claim],
    *,
    new_stream: bool = False,
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
        new_stream=new_stream,
    )
