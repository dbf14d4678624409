"""Domain events of the working-group registry (``working-groups``, ``groups.streams``).

No personal data: a group's name and description are the association's, not a person's.
Who belongs to a group is recorded on the members' streams (``JoinedWorkingGroup``,
``LeftWorkingGroup`` in ``verein.membership.domain_events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from verein.eventstore import DomainEvent
from verein.kernel.domain_events import Upcaster

GroupKind = Literal["working_group", "project_group"]
"""An *Arbeitskreis* (standing, on a topic) or a project group (for one project)."""


class WorkingGroupCreated(DomainEvent):
    """Staff created a group; it is open: members may join."""

    event_type = "WorkingGroupCreated"
    schema_version = 1

    group_id: str
    name: str
    kind: GroupKind
    description: str | None = None


class WorkingGroupChanged(DomainEvent):
    """Staff renamed a group or changed its description: the values it has from now on."""

    event_type = "WorkingGroupChanged"
    schema_version = 1

    group_id: str
    name: str
    description: str | None = None


class WorkingGroupClosed(DomainEvent):
    """Staff closed a group: it takes no new members and stays listed as closed (its members
    stay recorded; they may still leave it)."""

    event_type = "WorkingGroupClosed"
    schema_version = 1

    group_id: str


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}
"""Stored data of older schema versions -> the next version (none yet)."""

DOMAIN_EVENTS: tuple[type[DomainEvent], ...] = (
    WorkingGroupCreated,
    WorkingGroupChanged,
    WorkingGroupClosed,
)
"""Every domain event the registry stream holds (the decider must evolve each of them)."""
