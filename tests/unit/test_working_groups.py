"""Working groups: the registry's rules (unique open names, unknown and closed groups), its
use cases on the in-memory store (idempotency, a stale head cache), and joining and leaving,
which check the group here and the membership in membership's decider."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.memory import InMemoryEventStore
from verein.groups.commands import ChangeWorkingGroup, CloseWorkingGroup, CreateWorkingGroup
from verein.groups.decider import WorkingGroup, WorkingGroups, decide, groups_decider, name_key
from verein.groups.domain_events import (
    DOMAIN_EVENTS,
    WorkingGroupChanged,
    WorkingGroupClosed,
    WorkingGroupCreated,
)
from verein.groups.streams import STREAM_ID
from verein.groups.usecases import (
    IdempotencyKeyReused,
    change_working_group,
    close_working_group,
    create_working_group,
    join,
    leave,
    registry,
    working_group,
    working_groups,
)
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.decider import Membership, membership_decider
from verein.membership.numbers import MemberNumbers
from verein.membership.usecases import apply_for_membership, approve_application

KEYS = KeyedHash(b"k" * 32)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")
A, B, C = (f"0000000{n}-0000-4000-8000-000000000000" for n in (1, 2, 3))


def registry_of(*commands) -> WorkingGroups:
    state = WorkingGroups()
    for command in commands:
        state = groups_decider.fold(state, decide(command, state))
    return state


def create(group_id: str, name: str, kind: str = "working_group") -> CreateWorkingGroup:
    return CreateWorkingGroup(group_id=group_id, name=name, kind=kind)


def refused(command, state) -> tuple[str, int]:
    with pytest.raises(DomainRuleViolated) as broken:
        decide(command, state)
    return broken.value.code, broken.value.status


# --- the rules ------------------------------------------------------------------------------


def test_a_new_group_is_open_and_listed_by_name():
    state = registry_of(
        create(A, "Projektgruppe Marktplatz", "project_group"),
        create(B, "Arbeitskreis Wirtschaft"),
    )
    assert [g.name for g in state.by_name()] == [
        "Arbeitskreis Wirtschaft",
        "Projektgruppe Marktplatz",
    ]
    assert state.get(A) == WorkingGroup(
        group_id=A, name="Projektgruppe Marktplatz", kind="project_group", status="open"
    )


@pytest.mark.parametrize(
    "same", ["arbeitskreis wirtschaft", "ARBEITSKREIS WIRTSCHAFT", " Arbeitskreis   Wirtschaft "]
)
def test_names_are_unique_among_open_groups_case_insensitively(same):
    state = registry_of(create(A, "Arbeitskreis Wirtschaft"))
    assert refused(create(B, same), state) == ("groups.name_taken", 409)
    other = registry_of(create(A, "Arbeitskreis Wirtschaft"), create(B, "Marktplatz"))
    assert refused(ChangeWorkingGroup(group_id=B, name=same), other) == ("groups.name_taken", 409)


def test_sharp_s_and_double_s_are_one_name():
    """casefold: "STRASSENFEST" is how "Straßenfest" is written in capitals."""
    assert name_key("Straßenfest") == name_key("STRASSENFEST")
    state = registry_of(create(A, "Straßenfest"))
    assert refused(create(B, "STRASSENFEST"), state) == ("groups.name_taken", 409)


def test_a_closed_groups_name_is_free_again_and_the_closed_group_stays_listed():
    state = registry_of(
        create(A, "Marktplatz"), CloseWorkingGroup(group_id=A), create(B, "marktplatz")
    )
    assert [(g.group_id, g.status) for g in state.by_name()] == [(A, "closed"), (B, "open")]


def test_a_group_renamed_in_another_spelling_of_its_own_name_is_fine():
    state = registry_of(create(A, "marktplatz"))
    (changed,) = decide(ChangeWorkingGroup(group_id=A, name="Marktplatz"), state)
    assert changed == WorkingGroupChanged(group_id=A, name="Marktplatz", description=None)


def test_a_change_keeps_what_it_does_not_name_and_an_empty_description_clears():
    state = registry_of(
        CreateWorkingGroup(group_id=A, name="AK Wirtschaft", kind="working_group", description="x")
    )
    renamed = registry_of(
        CreateWorkingGroup(group_id=A, name="AK Wirtschaft", kind="working_group", description="x"),
        ChangeWorkingGroup(group_id=A, name="Arbeitskreis Wirtschaft"),
    )
    assert renamed.get(A).description == "x"
    (cleared,) = decide(ChangeWorkingGroup(group_id=A, description=""), state)
    assert cleared == WorkingGroupChanged(group_id=A, name="AK Wirtschaft", description=None)
    assert decide(ChangeWorkingGroup(group_id=A, name="AK Wirtschaft"), state) == []
    assert decide(ChangeWorkingGroup(group_id=A), state) == []


@pytest.mark.parametrize(
    "command",
    [ChangeWorkingGroup(group_id=B, name="Neu"), CloseWorkingGroup(group_id=B)],
)
def test_an_unknown_group_is_404(command):
    assert refused(command, registry_of(create(A, "Marktplatz"))) == ("groups.unknown", 404)


@pytest.mark.parametrize(
    "command",
    [
        ChangeWorkingGroup(group_id=A, name="Neu"),
        ChangeWorkingGroup(group_id=A, description="anders"),
        CloseWorkingGroup(group_id=A),
    ],
)
def test_a_closed_group_cannot_be_changed_or_closed_again(command):
    state = registry_of(create(A, "Marktplatz"), CloseWorkingGroup(group_id=A))
    assert refused(command, state) == ("groups.closed", 409)


def test_creating_a_group_that_exists_is_the_same_request_again_and_records_nothing():
    state = registry_of(create(A, "Marktplatz"))
    assert decide(create(A, "Marktplatz"), state) == []


def test_the_decider_evolves_every_domain_event_of_the_stream():
    assert set(groups_decider.evolvers) == set(DOMAIN_EVENTS)
    assert {e.event_type for e in DOMAIN_EVENTS} == {
        "WorkingGroupCreated",
        "WorkingGroupChanged",
        "WorkingGroupClosed",
    }


# --- a property: whatever staff do, the registry keeps its promises --------------------------

IDS = [A, B, C]
NAMES = ["Marktplatz", "marktplatz", "AK Wirtschaft", "ak  wirtschaft", "Straße", "STRASSE"]
commands = st.one_of(
    st.builds(
        CreateWorkingGroup,
        group_id=st.sampled_from(IDS),
        name=st.sampled_from(NAMES),
        kind=st.sampled_from(["working_group", "project_group"]),
        description=st.none() | st.sampled_from(["", "Treffen monatlich"]),
    ),
    st.builds(
        ChangeWorkingGroup,
        group_id=st.sampled_from(IDS),
        name=st.none() | st.sampled_from(NAMES),
        description=st.none() | st.sampled_from(["", "neu"]),
    ),
    st.builds(CloseWorkingGroup, group_id=st.sampled_from(IDS)),
)


@settings(max_examples=300)
@given(st.lists(commands, max_size=25))
def test_any_sequence_of_commands_keeps_open_names_unique_and_closed_groups_closed(sequence):
    state = WorkingGroups()
    for command in sequence:
        before = state
        try:
            events = decide(command, state)
        except DomainRuleViolated as broken:
            assert broken.code in ("groups.name_taken", "groups.unknown", "groups.closed")
            continue
        state = groups_decider.fold(state, events)
        # Nothing is ever forgotten, and a closed group never opens again.
        assert [g.group_id for g in before.groups] == [g.group_id for g in state.groups][
            : len(before.groups)
        ]
        for group in before.groups:
            if not group.is_open:
                assert state.get(group.group_id) == group
        # The snapshot is the registry: it reads back as it was written.
        snapshot = state.model_dump_json()
        assert WorkingGroups.model_validate_json(snapshot) == state
    open_names = [name_key(g.name) for g in state.groups if g.is_open]
    assert len(open_names) == len(set(open_names))
    assert len({g.group_id for g in state.groups}) == len(state.groups)


# --- use cases on the store -----------------------------------------------------------------


@pytest.fixture
def store():
    return InMemoryEventStore(MAPPER)


def test_groups_are_created_changed_and_closed_on_one_stream(store):
    made = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF, description="Der Wochenmarkt"
    )
    assert (made.version, made.already_received) == (1, False)
    other = create_working_group(store, KEYS, "Arbeitskreis Wirtschaft", "working_group", STAFF)
    assert [g.name for g in working_groups(store)] == ["Arbeitskreis Wirtschaft", "Marktplatz"]
    group_id = made.group.group_id
    changed = change_working_group(store, KEYS, group_id, STAFF, name="Projekt Marktplatz")
    assert changed.version == 3 and changed.group.description == "Der Wochenmarkt"
    unchanged = change_working_group(store, KEYS, group_id, STAFF, name="Projekt Marktplatz")
    assert unchanged.version is None
    closed = close_working_group(store, KEYS, group_id, STAFF)
    assert closed.group.status == "closed" and closed.version == 4
    history = store.load(STREAM_ID)
    assert [type(e.payload) for e in history] == [
        WorkingGroupCreated,
        WorkingGroupCreated,
        WorkingGroupChanged,
        WorkingGroupClosed,
    ]
    assert {e.metadata.actor for e in history} == {"staff:anna"}
    assert all(e.metadata.subject_id is None for e in history)  # no personal data
    assert working_group(store, other.group.group_id).is_open


def test_a_repeated_idempotency_key_creates_one_group_with_the_same_id(store):
    first = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF, idempotency_key="k1"
    )
    again = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF, idempotency_key="k1"
    )
    assert again.group == first.group and again.already_received and again.version is None
    assert len(working_groups(store)) == 1
    with pytest.raises(IdempotencyKeyReused):
        create_working_group(store, KEYS, "Anders", "project_group", STAFF, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):  # one key, one request, whatever it was
        close_working_group(store, KEYS, first.group.group_id, STAFF, idempotency_key="k1")
    closed = close_working_group(store, KEYS, first.group.group_id, STAFF, idempotency_key="k2")
    retried = close_working_group(store, KEYS, first.group.group_id, STAFF, idempotency_key="k2")
    assert closed.version == 2 and retried.already_received  # not "groups.closed"
    assert len(store.load(STREAM_ID)) == 2


def test_a_stale_head_cache_neither_hides_a_group_nor_refuses_a_command(store):
    """Two execution environments, each with its own head cache, over one table."""
    first, second = HeadCachingEventStore(store), HeadCachingEventStore(store)
    create_working_group(first, KEYS, "Marktplatz", "project_group", STAFF)
    assert len(working_groups(second)) == 1  # second caches the head at version 1
    made = create_working_group(first, KEYS, "Arbeitskreis Wirtschaft", "working_group", STAFF)
    group_id = made.group.group_id
    assert working_group(second, group_id) is not None
    changed = change_working_group(second, KEYS, group_id, STAFF, description="monatlich")
    assert changed.version == 3
    with pytest.raises(DomainRuleViolated) as broken:  # decided on the current registry
        create_working_group(first, KEYS, "marktplatz", "working_group", STAFF)
    assert broken.value.code == "groups.name_taken"
    assert registry(first) == registry(second) == registry(store)


# --- joining and leaving --------------------------------------------------------------------


def member(store, n: int, *, approved: bool = True) -> str:
    member_id = apply_for_membership(store, KEYS, application(n), STAFF).application_id
    if approved:
        approve_application(store, KEYS, MemberNumbers(store), member_id, STAFF)
    return member_id


def groups_of(store, member_id: str) -> tuple[str, ...]:
    events = [e.payload for e in store.load(f"member#{member_id}")]
    return membership_decider.fold(Membership(), events).groups


def test_a_member_joins_and_leaves_on_the_members_stream(store):
    group_id = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF
    ).group.group_id
    member_id = member(store, 1)
    joined = join(store, KEYS, group_id, member_id, STAFF)
    assert joined.version == 3 and groups_of(store, member_id) == (group_id,)
    assert join(store, KEYS, group_id, member_id, STAFF).version is None  # in it already
    assert leave(store, KEYS, group_id, member_id, STAFF).version == 4
    assert leave(store, KEYS, group_id, member_id, STAFF).version is None
    assert groups_of(store, member_id) == ()
    assert len(store.load(STREAM_ID)) == 1  # the registry did not change


def test_nobody_joins_an_unknown_or_closed_group_but_members_may_leave_a_closed_one(store):
    group_id = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF
    ).group.group_id
    member_id = member(store, 1)
    join(store, KEYS, group_id, member_id, STAFF)
    close_working_group(store, KEYS, group_id, STAFF)
    for run, group, code, status in (
        (join, A, "groups.unknown", 404),
        (leave, A, "groups.unknown", 404),
        (join, group_id, "groups.closed", 409),
    ):
        with pytest.raises(DomainRuleViolated) as broken:
            run(store, KEYS, group, member_id, STAFF)
        assert (broken.value.code, broken.value.status) == (code, status)
    assert leave(store, KEYS, group_id, member_id, STAFF).version is not None
    assert groups_of(store, member_id) == ()


def test_only_members_join_and_unknown_people_are_404(store):
    group_id = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF
    ).group.group_id
    applicant = member(store, 2, approved=False)
    with pytest.raises(DomainRuleViolated) as broken:
        join(store, KEYS, group_id, applicant, STAFF)
    assert (broken.value.code, broken.value.status) == ("membership.not_member.applied", 409)
    with pytest.raises(DomainRuleViolated) as broken:
        join(store, KEYS, group_id, B, STAFF)
    assert (broken.value.code, broken.value.status) == ("membership.unknown", 404)


def test_a_retried_join_is_one_join_and_a_leave_under_its_key_is_refused(store):
    group_id = create_working_group(
        store, KEYS, "Marktplatz", "project_group", STAFF
    ).group.group_id
    member_id = member(store, 1)
    join(store, KEYS, group_id, member_id, STAFF, idempotency_key="j1")
    repeated = join(store, KEYS, group_id, member_id, STAFF, idempotency_key="j1")
    assert repeated.already_received and repeated.version is None
    # The fingerprint knows the request's kind: a leave is no retry of the join.
    with pytest.raises(IdempotencyKeyReused):
        leave(store, KEYS, group_id, member_id, STAFF, idempotency_key="j1")
    assert groups_of(store, member_id) == (group_id,)
    left = leave(store, KEYS, group_id, member_id, STAFF, idempotency_key="l1")
    assert not left.already_received and left.version is not None
    assert groups_of(store, member_id) == ()
