"""The command runner: snapshot reads, replay fallback, retries on lost races."""

import pytest

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext, ConcurrencyError, NewEvent, Snapshot
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.errors import CommandConflict
from verein.kernel.runner import execute, load_state
from verein.membership.commands import AddMemberNote
from verein.membership.decider import membership_decider
from verein.membership.domain_events import MembershipApplied

CONTEXT = CommandContext(correlation_id="c", actor="test")
COMMAND = application()


class CountingStore(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__(MAPPER)
        self.heads = 0
        self.loads = 0

    def head(self, stream_id):
        self.heads += 1
        return super().head(stream_id)

    def load(self, stream_id, after_version=0):
        self.loads += 1
        return super().load(stream_id, after_version)


def test_the_decision_state_comes_from_the_snapshot_without_replay():
    store = CountingStore()
    outcome = execute(store, membership_decider, "member#1", COMMAND, CONTEXT)
    assert outcome.version == 1
    state, version = load_state(store, membership_decider, "member#1")
    assert (state.status, version) == ("applied", 1)
    assert store.loads == 0


def test_without_a_current_snapshot_the_stream_is_replayed():
    store = CountingStore()
    store.append(
        "member#1",
        0,
        [NewEvent(MembershipApplied(**_applied()), CONTEXT.metadata())],
        snapshot=Snapshot("Membership.v0", "{}"),
    )
    state, version = load_state(store, membership_decider, "member#1")
    assert (state.status, version) == ("applied", 1)
    assert store.loads == 1


def test_a_new_stream_costs_no_read():
    store = CountingStore()
    execute(store, membership_decider, "member#2", COMMAND, CONTEXT, new_stream=True)
    assert store.heads == 0


def test_a_taken_new_stream_id_is_a_conflict_without_reading_the_stream():
    store = CountingStore()
    execute(store, membership_decider, "member#7", COMMAND, CONTEXT, new_stream=True)
    with pytest.raises(CommandConflict):
        execute(store, membership_decider, "member#7", COMMAND, CONTEXT, new_stream=True)
    assert (store.heads, store.loads) == (0, 0)
    assert len(store.load("member#7")) == 1


class LosingStore(InMemoryEventStore):
    """Loses the race ``losses`` times: another writer appends just before us."""

    def __init__(self, losses: int) -> None:
        super().__init__(MAPPER)
        self.losses = losses

    def append(self, stream_id, expected_version, events, **kwargs):
        if self.losses:
            self.losses -= 1
            raise ConcurrencyError(stream_id, expected_version)
        return super().append(stream_id, expected_version, events, **kwargs)


def test_a_lost_race_is_retried_on_fresh_state():
    store = LosingStore(losses=3)
    outcome = execute(store, membership_decider, "member#3", COMMAND, CONTEXT, sleep=lambda _: None)
    assert outcome.version == 1
    assert len(store.load("member#3")) == 1


def test_retries_are_bounded():
    store = LosingStore(losses=100)
    with pytest.raises(CommandConflict):
        execute(
            store,
            membership_decider,
            "member#4",
            COMMAND,
            CONTEXT,
            max_attempts=4,
            sleep=lambda _: None,
        )
    assert store.losses == 96
    assert store.load("member#4") == []


def _applied():
    return {
        "applicant_name": "A",
        "email": "a@example.org",
        "organisation": None,
        "membership_type": "company",
        "language": "de",
        "privacy_consent": True,
        "consent_version": "de-0123456789ab",
    }


def test_a_warm_head_cache_decides_without_reading():
    inner = CountingStore()
    store = HeadCachingEventStore(inner)
    execute(store, membership_decider, "member#5", COMMAND, CONTEXT, new_stream=True)
    for n in range(3):
        execute(store, membership_decider, "member#5", AddMemberNote(text=str(n)), CONTEXT)
    assert inner.heads == 0
    assert [e.version for e in inner.load("member#5")] == [1, 2, 3, 4]


def test_a_stale_head_cache_costs_a_retry_but_never_a_wrong_write():
    inner = InMemoryEventStore(MAPPER)
    ours, theirs = HeadCachingEventStore(inner), HeadCachingEventStore(inner)
    execute(ours, membership_decider, "member#6", COMMAND, CONTEXT, new_stream=True)
    # Another execution environment appends: our cached head is now stale.
    execute(theirs, membership_decider, "member#6", AddMemberNote(text="theirs"), CONTEXT)
    outcome = execute(
        ours,
        membership_decider,
        "member#6",
        AddMemberNote(text="ours"),
        CONTEXT,
        sleep=lambda _: None,
    )
    assert outcome.version == 3
    assert outcome.state.note_count == 2  # decided on the fresh state after the conflict
    assert [e.payload.text for e in inner.load("member#6")[1:]] == ["theirs", "ours"]
