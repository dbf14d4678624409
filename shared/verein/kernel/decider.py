"""The pure part of an aggregate: ``decide(command, state) -> domain events`` and
``evolve(state, domain event) -> state``.

Both dispatch on the exact type from tables the feature writes down, so an unknown command or
domain event is an error (``UnknownCommand``, ``UnknownDomainEvent``), never a silent
fall-through. The snapshot schema id is derived from the state model's JSON schema and a
``revision`` (bumped when evolve's logic changes while the state model stays the same), so a
changed state can never be read from an old snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from verein.kernel.domain_events import DomainEvent

S = TypeVar("S", bound=BaseModel)
C = TypeVar("C")


class UnknownCommand(TypeError):
    """A command this decider has no rule for: a programming error, never a user's."""


class UnknownDomainEvent(TypeError):
    """A domain event this decider cannot evolve its state with: a programming error."""


@dataclass(frozen=True)
class Decider(Generic[C, S]):
    state_type: type[S]
    deciders: Mapping[type[Any], Callable[[Any, S], Sequence[DomainEvent]]]
    """One rule per command type."""
    evolvers: Mapping[type[DomainEvent], Callable[[S, Any], S]]
    """One step per domain event type of the stream."""
    revision: int = 1

    def initial(self) -> S:
        return self.state_type()

    def decide(self, command: C, state: S) -> Sequence[DomainEvent]:
        rule = self.deciders.get(type(command))
        if rule is None:
            raise UnknownCommand(type(command).__name__)
        return rule(command, state)

    def evolve(self, state: S, domain_event: DomainEvent) -> S:
        step = self.evolvers.get(type(domain_event))
        if step is None:
            raise UnknownDomainEvent(type(domain_event).__name__)
        return step(state, domain_event)

    def fold(self, state: S, domain_events: Sequence[DomainEvent]) -> S:
        for domain_event in domain_events:
            state = self.evolve(state, domain_event)
        return state

    @cached_property
    def state_schema(self) -> str:
        """``<State>.r<revision>.<digest of the state's JSON schema>``."""
        schema = json.dumps(self.state_type.model_json_schema(), sort_keys=True)
        digest = hashlib.sha256(schema.encode()).hexdigest()[:12]
        return f"{self.state_type.__name__}.r{self.revision}.{digest}"
