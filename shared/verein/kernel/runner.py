"""Running a command: load the decision state, decide, append; retry on a lost race.

A *decider* is the pure part of an aggregate: ``decide(command, state) -> domain events`` and
``evolve(state, domain event) -> state``. ``execute`` is the impure shell around it. It reads the
stream's head (one item: the latest commit with its snapshot) instead of replaying the stream,
falls back to a full replay when there is no snapshot of the current schema, and appends with
the new snapshot in the same item as the domain events, so the two can never disagree.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from verein.eventstore import (
    Claim,
    CommandContext,
    ConcurrencyError,
    DomainEvent,
    EventStore,
    NewEvent,
    Snapshot,
)
from verein.kernel.decider import Decider
from verein.kernel.errors import CommandConflict, DomainRuleViolated

S = TypeVar("S", bound=BaseModel)
C = TypeVar("C")


class StreamMoved(CommandConflict):
    """The stream is no longer at the version the caller's claims were derived from."""


@dataclass(frozen=True)
class Outcome(Generic[S]):
    version: int
    state: S
    new_events: tuple[DomainEvent, ...]


def load_state(store: EventStore, decider: Decider[C, S], stream_id: str) -> tuple[S, int]:
    head = store.head(stream_id)
    if head.version == 0:
        return decider.initial(), 0
    if head.snapshot is not None and head.snapshot.schema == decider.state_schema:
        return decider.state_type.model_validate_json(head.snapshot.data), head.version
    history = store.load(stream_id)
    state = decider.fold(decider.initial(), [e.payload for e in history])
    return state, history[-1].version


def current_state(store: EventStore, decider: Decider[C, S], stream_id: str) -> tuple[S, int]:
    """The stream's state as it is now: its head, and the commits after it that the head
    (possibly this environment's cached one, ``eventstore.cache``) does not know yet. For
    reading a small stream's state as a view; one more Query than ``load_state``."""
    state, version = load_state(store, decider, stream_id)
    return _caught_up(store, decider, stream_id, state, version)


def _caught_up(
    store: EventStore, decider: Decider[C, S], stream_id: str, state: S, version: int
) -> tuple[S, int]:
    later = store.load(stream_id, after_version=version)
    if not later:
        return state, version
    return decider.fold(state, [e.payload for e in later]), later[-1].version


def _decided(
    store: EventStore, decider: Decider[C, S], stream_id: str, command: C
) -> tuple[S, int, tuple[DomainEvent, ...]]:
    """Decide on the head; if the rules refuse or find nothing to do, first make sure the head
    was current. A cached head (``eventstore.cache``) may miss another environment's commit,
    and a write on it would fail and be retried, but a refusal writes nothing: without this
    check a stale head could refuse what the stream allows."""
    state, version = load_state(store, decider, stream_id)
    try:
        new_events = tuple(decider.decide(command, state))
    except DomainRuleViolated:
        new_events = None
    if new_events:
        return state, version, new_events
    fresh, fresh_version = _caught_up(store, decider, stream_id, state, version)
    if fresh_version == version and new_events is not None:
        return state, version, new_events  # nothing to do, on the current state
    # Decided again on the current state (a refusal there is the answer).
    return fresh, fresh_version, tuple(decider.decide(command, fresh))


def execute(
    store: EventStore,
    decider: Decider[C, S],
    stream_id: str,
    command: C,
    context: CommandContext,
    *,
    subject_id: str | None = None,
    claims: Sequence[Claim] = (),
    release: Sequence[Claim] = (),
    new_stream: bool = False,
    expected_version: int | None = None,
    max_attempts: int = 6,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome[S]:
    """Decide ``command`` on the stream's current state and append the result.

    On ``ConcurrencyError`` the command is decided again on fresh state, up to ``max_attempts``
    times with jittered exponential backoff; then ``CommandConflict``. ``ClaimTaken`` and
    ``DomainRuleViolated`` pass through to the caller. ``claims`` are taken and ``release``
    claims given up in the same write as the domain events, whatever the decision emits (the
    caller names them for the decision it expects; a rule that refuses writes nothing).
    ``new_stream`` says the caller just made up the stream id (a fresh uuid), so the command
    never reads the head: it costs one write request and no read, and if the id is taken
    after all it fails with ``CommandConflict``. ``expected_version`` says the caller derived
    ``claims`` or ``release`` from the stream at that version: if the stream has moved on,
    ``StreamMoved`` and nothing is written (the caller reads again and derives them anew).
    A refusal (or nothing to do) is only answered on the stream's current state
    (``_decided``): one more Query then, none on the usual path.
    """
    for attempt in range(max_attempts):
        if new_stream:
            state, version = decider.initial(), 0
            new_events = tuple(decider.decide(command, state))
        else:
            state, version, new_events = _decided(store, decider, stream_id, command)
        if expected_version is not None and version != expected_version:
            # A cached head may be behind the history the caller read: catch up first.
            state, version = _caught_up(store, decider, stream_id, state, version)
            if version != expected_version:
                raise StreamMoved(stream_id)
            new_events = tuple(decider.decide(command, state))
        if not new_events:
            return Outcome(version, state, ())
        new_state = decider.fold(state, new_events)
        try:
            new_version = store.append(
                stream_id,
                version,
                [NewEvent(e, context.metadata(subject_id)) for e in new_events],
                snapshot=Snapshot(decider.state_schema, new_state.model_dump_json()),
                claims=claims,
                release=release,
            )
        except ConcurrencyError:
            if expected_version is not None:
                raise StreamMoved(stream_id) from None
            if new_stream:
                # The made-up stream id exists: deciding again there would be wrong, and the
                # public function may not read member streams at all (its IAM policy).
                raise CommandConflict(stream_id) from None
            # "Full jitter" backoff: spreads retrying writers apart instead of re-colliding.
            sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - not for security
            continue
        return Outcome(new_version, new_state, new_events)
    raise CommandConflict(stream_id)
