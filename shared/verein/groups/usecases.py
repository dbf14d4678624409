"""Use cases of working groups: read the registry, create, change and close groups, and let a
member join or leave one. What routes call.

Reading the registry is ``kernel.runner.current_state``: its stream's head (whose snapshot is
the registry) and the commits after it, which a head from this execution environment's cache
may not know (a group another environment created since would be missing, and a join would
call it unknown). Commands are run by the runner, which answers a refusal only on the
current state, so a rule never refuses on a stale registry either.

Joining and leaving are the member's domain events, on the member's stream: these use cases
check the group, then ask ``verein.membership.lifecycle``, whose decider checks the membership.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel

from verein.eventstore import (
    ClaimTaken,
    CommandContext,
    EventStore,
)
from verein.groups.commands import (
    ChangeWorkingGroup,
    CloseWorkingGroup,
    CreateWorkingGroup,
    GroupCommand,
)
from verein.groups.decider import WorkingGroup, WorkingGroups, groups_decider
from verein.groups.domain_events import GroupKind
from verein.groups.streams import STREAM_ID
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.idempotency import IdempotencyKeyReused, idempotency_claim
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.runner import current_state, execute
from verein.membership import lifecycle
from verein.membership.usecases import Decided

__all__ = [
    "GroupSaved",
    "IdempotencyKeyReused",
    "change_working_group",
    "close_working_group",
    "create_working_group",
    "join",
    "leave",
    "registry",
    "working_group",
    "working_groups",
]


# --- reading ---------------------------------------------------------------------------------


def registry(store: EventStore) -> WorkingGroups:
    """The whole registry, exact (see the module's docstring)."""
    state, _ = _current(store)
    return state


def working_groups(store: EventStore) -> list[WorkingGroup]:
    """Every group, open and closed, sorted by name."""
    return registry(store).by_name()


def working_group(store: EventStore, group_id: str) -> WorkingGroup | None:
    return registry(store).get(group_id)


def _current(store: EventStore) -> tuple[WorkingGroups, int]:
    return current_state(store, groups_decider, STREAM_ID)


# --- changing the registry -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSaved:
    """The answer to creating, changing or closing a group."""

    group: WorkingGroup
    """The group as it is now."""
    version: int | None
    """The registry's version after the change; None when nothing was recorded (a repeated
    idempotency key, or a change to the values the group has)."""
    already_received: bool
    """True when the idempotency key had made this very request before."""


class _Creation(BaseModel):
    """What a creation request is, for its idempotency fingerprint (the id is made here)."""

    name: str
    kind: GroupKind
    description: str | None


def create_working_group(
    store: EventStore,
    keyed_hash: KeyedHash,
    name: str,
    kind: GroupKind,
    context: CommandContext,
    *,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> GroupSaved:
    """A new, open group with a new id (a uuid; derived from ``idempotency_key`` when there is
    one, so that a retry answers with the same group). ``groups.name_taken`` if an open group
    has that name."""
    request = _Creation(name=name, kind=kind, description=description or None)
    if idempotency_key:
        digest = keyed_hash.digest("working-group-id", idempotency_key)
        group_id = str(uuid.UUID(hex=digest[:32], version=4))
    else:
        group_id = str(uuid.uuid4())
    command = CreateWorkingGroup(group_id=group_id, **request.model_dump())
    return _run(store, keyed_hash, command, context, request=request, key=idempotency_key)


def change_working_group(
    store: EventStore,
    keyed_hash: KeyedHash,
    group_id: str,
    context: CommandContext,
    *,
    name: str | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> GroupSaved:
    """A new name or description (None leaves it, "" clears the description)."""
    command = ChangeWorkingGroup(group_id=group_id, name=name, description=description)
    return _run(store, keyed_hash, command, context, request=command, key=idempotency_key)


def close_working_group(
    store: EventStore,
    keyed_hash: KeyedHash,
    group_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> GroupSaved:
    """The group takes no new members from now on; it stays listed, as closed."""
    command = CloseWorkingGroup(group_id=group_id)
    return _run(store, keyed_hash, command, context, request=command, key=idempotency_key)


def _run(
    store: EventStore,
    keyed_hash: KeyedHash,
    command: GroupCommand,
    context: CommandContext,
    *,
    request: BaseModel,
    key: str | None,
) -> GroupSaved:
    claims = [idempotency_claim(STREAM_ID, key, request, keyed_hash)] if key else []
    # Asked before deciding: a retried creation would be refused by the rules (its name is
    # taken by now, by itself), a retried closing too (closed by now).
    if claims and (held := store.claim_holder(claims[0])) is not None:
        return _repeated(store, command.group_id, held)
    try:
        outcome = execute(store, groups_decider, STREAM_ID, command, context, claims=claims)
    except ClaimTaken as taken:
        return _repeated(store, command.group_id, taken)
    group = outcome.state.get(command.group_id)
    if group is None:  # the rules refuse every command on an unknown group; defensive
        raise DomainRuleViolated("groups.unknown", status=404)
    version = outcome.version if outcome.new_events else None
    return GroupSaved(group, version, already_received=False)


def _repeated(store: EventStore, group_id: str, taken: ClaimTaken) -> GroupSaved:
    if not taken.same_request:
        raise IdempotencyKeyReused(taken.claim.key)
    group = working_group(store, group_id)
    if group is None:
        raise DomainRuleViolated("groups.unknown", status=404)
    return GroupSaved(group, None, already_received=True)


# --- members -------------------------------------------------------------------------------


def join(
    store: EventStore,
    keyed_hash: KeyedHash,
    group_id: str,
    member_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    """The member joins an open group. ``groups.unknown`` (404), ``groups.closed`` (409);
    membership's rules: ``membership.unknown`` (404), ``membership.not_member.<status>`` (409).
    Joining a group the member is in records nothing (``version`` None)."""
    group = working_group(store, group_id)
    if group is None:
        raise DomainRuleViolated("groups.unknown", status=404)
    if not group.is_open:
        raise DomainRuleViolated("groups.closed")
    return lifecycle.join_working_group(
        store, keyed_hash, member_id, group_id, context, idempotency_key=idempotency_key
    )


def leave(
    store: EventStore,
    keyed_hash: KeyedHash,
    group_id: str,
    member_id: str,
    context: CommandContext,
    *,
    idempotency_key: str | None = None,
) -> Decided:
    """The member leaves the group (a closed one too). ``groups.unknown`` (404),
    ``membership.unknown`` (404); leaving a group the member is not in records nothing."""
    if working_group(store, group_id) is None:
        raise DomainRuleViolated("groups.unknown", status=404)
    return lifecycle.leave_working_group(
        store, keyed_hash, member_id, group_id, context, idempotency_key=idempotency_key
    )
