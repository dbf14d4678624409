"""Domain events: typed payloads, their metadata, and the registry that reads stored ones back.

A *domain event* is an immutable fact in the event store (never called just "event" in this
code base: that word belongs to a Lambda's input). Every domain event class declares a stable
``event_type`` name and a ``schema_version``. Stored events of an older schema version are
*upcast* on read, one version step at a time, so the rest of the code only ever sees the
current model.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


def utc_now() -> datetime:
    return datetime.now(UTC)


class DomainEvent(BaseModel):
    """Base class of every domain event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class EventMetadata(BaseModel):
    """Who and what caused a domain event; stored next to its payload.

    ``correlation_id`` is the id of the request that started the work (the one Powertools'
    logger puts in the logs); ``causation_id`` the id of the command or domain event that
    directly caused this one. ``subject_id`` names the data subject whose personal fields the
    payload carries: the key for per-subject encryption (crypto-shredding) later on.
    """

    model_config = ConfigDict(frozen=True)

    event_id: str
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = None
    actor: str
    subject_id: str | None = None


@dataclass(frozen=True)
class CommandContext:
    """The metadata every domain event of one command shares."""

    correlation_id: str
    actor: str
    causation_id: str | None = None

    def metadata(self, subject_id: str | None = None) -> EventMetadata:
        return EventMetadata(
            event_id=str(uuid.uuid4()),
            occurred_at=utc_now(),
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            actor=self.actor,
            subject_id=subject_id,
        )


@dataclass(frozen=True)
class NewEvent:
    """A domain event about to be appended."""

    payload: DomainEvent
    metadata: EventMetadata


@dataclass(frozen=True)
class RecordedEvent:
    """A domain event as stored: its stream, its version in that stream, payload and metadata."""

    stream_id: str
    version: int
    payload: DomainEvent
    metadata: EventMetadata


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventRegistry:
    """Maps stored ``(event_type, schema_version)`` to the current model, upcasting old data.

    Built from explicit lists (each feature's ``DOMAIN_EVENTS`` and upcasters, gathered by
    ``verein.bootstrap``), never filled by importing modules: what a process can read does
    not depend on what it happened to import first.
    """

    def __init__(
        self,
        models: Iterable[type[DomainEvent]] = (),
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        """``upcasters[(event_type, v)]`` turns version ``v`` data into version ``v + 1``."""
        self._models: dict[str, type[DomainEvent]] = {}
        for model in models:
            existing = self._models.setdefault(model.event_type, model)
            if existing is not model:
                raise ValueError(f"event type {model.event_type!r} registered twice")
        self._upcasters = dict(upcasters or {})
        unknown = sorted({name for name, _ in self._upcasters} - set(self._models))
        if unknown:
            raise ValueError(f"upcasters for event types not registered: {unknown}")

    def decode(self, event_type: str, schema_version: int, data: Mapping[str, Any]) -> DomainEvent:
        model = self._models.get(event_type)
        if model is None:
            raise UnknownEventType(event_type)
        payload = dict(data)
        version = schema_version
        while version < model.schema_version:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventType(f"{event_type} v{version} (no upcaster)")
            payload = step(payload)
            version += 1
        if version != model.schema_version:
            raise UnknownEventType(f"{event_type} v{version} is newer than this code")
        return model.model_validate(payload)


class UnknownEventType(LookupError):
    """A stored domain event this code cannot read (unknown type or schema version)."""
