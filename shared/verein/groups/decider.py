"""The working-group registry's decider: pure rules, no AWS. Its state is the whole registry.

Rules (all of them):

- a name is unique among the open groups, compared case-insensitively and with runs of spaces
  as one (``groups.name_taken``, 409); a closed group's name is free again;
- a group that does not exist cannot be changed or closed (``groups.unknown``, 404);
- a closed group cannot be changed or closed again (``groups.closed``, 409), and takes no new
  members (checked by ``usecases.join`` before it asks membership).

Creating a group whose id is in the registry already records nothing: ids are fresh uuids, or
derived from an idempotency key, so that is the same request again (a retry that raced its
first attempt). A change to the values a group has records nothing either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from verein.groups.commands import (
    ChangeWorkingGroup,
    CloseWorkingGroup,
    CreateWorkingGroup,
    GroupCommand,
)
from verein.groups.domain_events import (
    GroupKind,
    WorkingGroupChanged,
    WorkingGroupClosed,
    WorkingGroupCreated,
)
from verein.kernel.decider import Decider
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated

GroupStatus = Literal["open", "closed"]


def name_key(name: str) -> str:
    """What makes two names the same name: case (``casefold``: "STRASSE" is "Straße"),
    Unicode spelling (NFC) and spaces do not count."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


class WorkingGroup(BaseModel):
    """One group as the registry knows it."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    name: str
    kind: GroupKind
    description: str | None = None
    status: GroupStatus = "open"

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class WorkingGroups(BaseModel):
    """Decision state of the registry stream, and the registry itself: every group ever
    created, in the order they were created (closed ones included)."""

    model_config = ConfigDict(frozen=True)

    groups: tuple[WorkingGroup, ...] = ()

    def get(self, group_id: str) -> WorkingGroup | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def by_name(self) -> list[WorkingGroup]:
        """Every group, sorted by name (case-insensitively), then id."""
        return sorted(self.groups, key=lambda g: (name_key(g.name), g.group_id))

    def name_taken(self, name: str, *, other_than: str | None = None) -> bool:
        """Whether an open group other than ``other_than`` has this name."""
        key = name_key(name)
        return any(
            g.is_open and g.group_id != other_than and name_key(g.name) == key for g in self.groups
        )

    def replaced(self, group: WorkingGroup) -> WorkingGroups:
        return WorkingGroups(
            groups=tuple(group if g.group_id == group.group_id else g for g in self.groups)
        )


def _create(command: CreateWorkingGroup, state: WorkingGroups) -> Sequence[DomainEvent]:
    if state.get(command.group_id) is not None:
        return []  # the same request again (see the module's docstring)
    if state.name_taken(command.name):
        raise DomainRuleViolated("groups.name_taken")
    return [
        WorkingGroupCreated(
            group_id=command.group_id,
            name=command.name,
            kind=command.kind,
            description=command.description or None,
        )
    ]


def _change(command: ChangeWorkingGroup, state: WorkingGroups) -> Sequence[DomainEvent]:
    group = _open_group(state, command.group_id)
    name = group.name if command.name is None else command.name
    description = _new_description(group.description, command.description)
    if (name, description) == (group.name, group.description):
        return []
    if state.name_taken(name, other_than=group.group_id):
        raise DomainRuleViolated("groups.name_taken")
    return [WorkingGroupChanged(group_id=group.group_id, name=name, description=description)]


def _new_description(old: str | None, sent: str | None) -> str | None:
    """None leaves the description as it is, "" clears it."""
    if sent is None:
        return old
    return sent or None


def _close(command: CloseWorkingGroup, state: WorkingGroups) -> Sequence[DomainEvent]:
    group = _open_group(state, command.group_id)
    return [WorkingGroupClosed(group_id=group.group_id)]


def _open_group(state: WorkingGroups, group_id: str) -> WorkingGroup:
    group = state.get(group_id)
    if group is None:
        raise DomainRuleViolated("groups.unknown", status=404)
    if not group.is_open:
        raise DomainRuleViolated("groups.closed")
    return group


def _created(state: WorkingGroups, event: WorkingGroupCreated) -> WorkingGroups:
    group = WorkingGroup(
        group_id=event.group_id, name=event.name, kind=event.kind, description=event.description
    )
    return WorkingGroups(groups=(*state.groups, group))


def _changed(state: WorkingGroups, event: WorkingGroupChanged) -> WorkingGroups:
    group = state.get(event.group_id)
    if group is None:
        return state  # the rules never record this; a stream edited by hand might
    update = {"name": event.name, "description": event.description}
    return state.replaced(group.model_copy(update=update))


def _closed(state: WorkingGroups, event: WorkingGroupClosed) -> WorkingGroups:
    group = state.get(event.group_id)
    if group is None:
        return state
    return state.replaced(group.model_copy(update={"status": "closed"}))


groups_decider: Decider[GroupCommand, WorkingGroups] = Decider(
    state_type=WorkingGroups,
    deciders={
        CreateWorkingGroup: _create,
        ChangeWorkingGroup: _change,
        CloseWorkingGroup: _close,
    },
    evolvers={
        WorkingGroupCreated: _created,
        WorkingGroupChanged: _changed,
        WorkingGroupClosed: _closed,
    },
)
decide = groups_decider.decide
evolve = groups_decider.evolve
