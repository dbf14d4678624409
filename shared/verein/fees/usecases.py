"""Use cases of the fee schedule: read it, set a version. What routes (and other features'
use cases, through ``fee_schedule``) call."""

from __future__ import annotations

from dataclasses import dataclass

from verein.eventstore import Claim, ClaimTaken, CommandContext, EventStore
from verein.fees.commands import SetFeeSchedule
from verein.fees.decider import fee_decider
from verein.fees.schedule import FeeSchedule, ScheduleVersion
from verein.fees.streams import STREAM_ID
from verein.kernel.idempotency import IdempotencyKeyReused, idempotency_claim
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.runner import current_state, execute


def fee_schedule(store: EventStore) -> FeeSchedule:
    """The whole schedule: the stream's head (its snapshot is the schedule).

    The head may come from this execution environment's head cache, which only knows the
    commits this environment wrote or read; a version another environment set since would be
    missing. So the commits after that head are asked for too: nothing, almost always (a
    Query that finds no item), and the schedule stays exact for every reader."""
    schedule, _ = current_state(store, fee_decider, STREAM_ID)
    return schedule


@dataclass(frozen=True)
class ScheduleSet:
    """The answer to setting a version."""

    schedule: FeeSchedule
    """The schedule with the version set."""
    already_received: bool
    """True when the idempotency key had set this version before (nothing new stored)."""


def set_fee_schedule(
    store: EventStore,
    version: ScheduleVersion,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
    keyed_hash: KeyedHash | None = None,
) -> ScheduleSet:
    """Set ``version`` (replacing the one of its day). With ``idempotency_key`` (a client's
    header, a staff page's form id; needs ``keyed_hash``) a repeated request stores nothing
    and gets the schedule; the same key with another version raises ``IdempotencyKeyReused``.
    Rules broken: ``DomainRuleViolated`` (``fees.no_types``, ``fees.duplicate_code``)."""
    command = SetFeeSchedule.of(version)
    claims: list[Claim] = []
    if idempotency_key:
        if keyed_hash is None:
            raise ValueError("an idempotency key needs the keyed hash")
        claims.append(idempotency_claim(STREAM_ID, idempotency_key, command, keyed_hash))
    try:
        outcome = execute(store, fee_decider, STREAM_ID, command, context, claims=claims)
    except ClaimTaken as taken:
        if not taken.same_request:
            raise IdempotencyKeyReused(idempotency_key) from taken
        return ScheduleSet(fee_schedule(store), already_received=True)
    return ScheduleSet(outcome.state, already_received=False)


__all__ = ["IdempotencyKeyReused", "ScheduleSet", "fee_schedule", "set_fee_schedule"]
