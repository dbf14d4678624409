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
from verein.kernel.errors import CommandConflict

S = TypeVar("S", bound=BaseModel)
C = TypeVar("C")


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
    after all it fails with ``CommandConflict``.
    """
    for attempt in range(max_attempts):
        if new_stream:
            state, version = decider.initial(), 0
        else:
            state, version = load_state(store, decider, stream_id)
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
            if new_stream:
                # The made-up stream id exists: deciding again there would be wrong, and the
                # public function may not read member streams at all (its IAM policy).
                raise CommandConflict(stream_id) from None
            # "Full jitter" backoff: spreads retrying writers apart instead of re-colliding.
            sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - not for security
            continue
        return Outcome(new_version, new_state, new_events)
    raise CommandConflict(stream_id)
