"""Domain events of the fee-schedule stream (``fee-schedule``, ``fees.streams``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from verein.eventstore import DomainEvent
from verein.fees.schedule import FeeType
from verein.kernel.domain_events import Upcaster


class FeeScheduleSet(DomainEvent):
    """Staff set the membership types and yearly fees in force from ``effective_from``,
    replacing the version of that day if there was one. No personal data."""

    event_type = "FeeScheduleSet"
    schema_version = 1

    effective_from: date
    types: tuple[FeeType, ...]


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}
"""Stored data of older schema versions -> the next version (none yet)."""

DOMAIN_EVENTS: tuple[type[DomainEvent], ...] = (FeeScheduleSet,)
"""Every domain event the fee-schedule stream holds (the decider must evolve each of them)."""
