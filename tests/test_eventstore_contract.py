"""The event store's promises, checked against the in-memory fake and against DynamoDB (moto).

Both implementations must pass the same contract: the fake is only useful if it behaves like
the real store.
"""

import json
import threading
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verein.eventstore import (
    Claim,
    ClaimTaken,
    CommandContext,
    CommitTooLarge,
    ConcurrencyError,
    DomainEvent,
    EventStore,
    NewEvent,
    Snapshot,
    registry,
)
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.dynamodb import DynamoDBEventStore, to_attribute_values
from verein.eventstore.memory import InMemoryEventStore


@registry.register
class NoteTaken(DomainEvent):
    event_type = "test.NoteTaken"
    schema_version = 2
    text: str
    priority: int


@registry.upcaster("test.NoteTaken", from_version=1)
def _note_v1_to_v2(data):
    return {**data, "priority": 0}


CONTEXT = CommandContext(correlation_id="corr-1", actor="tester", causation_id="cmd-1")


def notes(*texts: str) -> list[NewEvent]:
    return [NewEvent(NoteTaken(text=t, priority=1), CONTEXT.metadata("subject-1")) for t in texts]


@pytest.fixture(params=["memory", "dynamodb", "cached-memory", "cached-dynamodb"])
def store(request, aws) -> Iterator[EventStore]:
    """Every implementation of the port, and the head cache in front of each."""
    inner: EventStore = (
        InMemoryEventStore()
        if request.param.endswith("memory")
        else DynamoDBEventStore(aws.dynamodb, aws.event_store_table)
    )
    yield HeadCachingEventStore(inner) if request.param.startswith("cached") else inner


def test_append_then_load_round_trips_payload_and_metadata(store):
    assert store.append("s#1", 0, notes("a", "b")) == 2
    assert store.append("s#1", 2, notes("c")) == 3
    loaded = store.load("s#1")
    assert [(e.version, e.payload.text) for e in loaded] == [(1, "a"), (2, "b"), (3, "c")]
    meta = loaded[0].metadata
    assert (meta.correlation_id, meta.causation_id, meta.actor, meta.subject_id) == (
        "corr-1",
        "cmd-1",
        "tester",
        "subject-1",
    )
    assert len({e.metadata.event_id for e in loaded}) == 3
    assert [e.version for e in store.load("s#1", after_version=1)] == [2, 3]
    assert [e.version for e in store.load("s#1", after_version=3)] == []


def test_stale_expected_version_fails_and_writes_nothing(store):
    store.append("s#1", 0, notes("a"))
    with pytest.raises(ConcurrencyError):
        store.append("s#1", 0, notes("b"))
    store.append("s#1", 1, notes("c", "d"))
    with pytest.raises(ConcurrencyError):
        store.append("s#1", 1, notes("e"))
    assert [e.payload.text for e in store.load("s#1")] == ["a", "c", "d"]


def test_head_gives_the_version_and_snapshot_of_the_latest_commit(store):
    assert store.head("s#1").version == 0
    store.append("s#1", 0, notes("a", "b"), snapshot=Snapshot("S.v1", '{"n": 2}'))
    store.append("s#1", 2, notes("c"), snapshot=Snapshot("S.v1", '{"n": 3}'))
    head = store.head("s#1")
    assert head.version == 3
    assert head.snapshot == Snapshot("S.v1", '{"n": 3}')


def test_claim_conflict_writes_nothing(store):
    claim = Claim("email", "hash-1")
    store.append("s#1", 0, notes("a"), claims=[claim])
    with pytest.raises(ClaimTaken) as taken:
        store.append("s#2", 0, notes("b"), claims=[Claim("other", "x"), claim])
    assert taken.value.owner_stream_id == "s#1"
    assert store.load("s#2") == []
    assert store.head("s#2").version == 0
    # the other claim of the failed append was not taken either
    assert store.claim_owner(Claim("other", "x")) is None
    assert store.claim_owner(claim) == "s#1"


def test_claim_taken_hands_back_the_fingerprint_of_the_request_that_took_it(store):
    store.append("s#1", 0, notes("a"), claims=[Claim("idem", "k", fingerprint="f1")])
    with pytest.raises(ClaimTaken) as retry:
        store.append("s#1", 1, notes("a"), claims=[Claim("idem", "k", fingerprint="f1")])
    assert retry.value.owner_fingerprint == "f1" and retry.value.same_request
    with pytest.raises(ClaimTaken) as other:
        store.append("s#1", 1, notes("b"), claims=[Claim("idem", "k", fingerprint="f2")])
    assert other.value.owner_fingerprint == "f1" and not other.value.same_request
    assert store.head("s#1").version == 1


def test_a_commit_too_large_for_one_item_is_refused_and_writes_nothing(store):
    with pytest.raises(CommitTooLarge):
        store.append("big#1", 0, notes("x" * 200_000, "y" * 200_000))
    assert store.head("big#1").version == 0
    assert store.append("big#1", 0, notes("x" * 100_000)) == 1


def test_concurrency_error_beats_claims_and_writes_nothing(store):
    store.append("s#1", 0, notes("a"))
    with pytest.raises(ConcurrencyError):
        store.append("s#1", 0, notes("b"), claims=[Claim("email", "new")])
    assert store.claim_owner(Claim("email", "new")) is None


def test_threads_racing_on_one_stream_never_share_a_version(store):
    winners: list[int] = []
    losers: list[int] = []
    barrier = threading.Barrier(12)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.append("race#1", 0, notes(f"w{n}"))
            winners.append(n)
        except ConcurrencyError:
            losers.append(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert len(losers) == 11
    assert [e.payload.text for e in store.load("race#1")] == [f"w{winners[0]}"]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.lists(st.text(max_size=5), min_size=1, max_size=4), max_size=8),
    stale_picks=st.lists(st.integers(min_value=0, max_value=40), max_size=8),
)
def test_any_sequence_of_appends_keeps_versions_gap_free(store, batches, stale_picks):
    """Appends interleaved with stale writers (who read an earlier head) never break the stream."""
    stream = f"prop#{uuid.uuid4()}"
    expected: list[str] = []
    heads = [0]
    for i, batch in enumerate(batches):
        if i < len(stale_picks) and len(heads) > 1:
            stale = heads[stale_picks[i] % (len(heads) - 1)]
            with pytest.raises(ConcurrencyError):
                store.append(stream, stale, notes(*batch))
        heads.append(store.append(stream, heads[-1], notes(*batch)))
        expected.extend(batch)
    loaded = store.load(stream)
    assert [e.payload.text for e in loaded] == expected
    assert [e.version for e in loaded] == list(range(1, len(expected) + 1))
    assert store.head(stream).version == len(expected)


def test_old_schema_is_upcast(aws):
    """A v1 NoteTaken written by older code is read as the current (v2) model."""
    meta = CONTEXT.metadata().model_dump(mode="json")
    aws.dynamodb.put_item(
        TableName=aws.event_store_table,
        Item=to_attribute_values(
            {
                "stream_id": "old#1",
                "version": 1,
                "last_version": 1,
                "item_kind": "commit",
                "committed_at": "2026-01-01T00:00:00+00:00",
                "events": json.dumps(
                    [{"type": "test.NoteTaken", "schema": 1, "data": {"text": "old"}, "meta": meta}]
                ),
            }
        ),
    )
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table)
    (recorded,) = store.load("old#1")
    assert recorded.payload == NoteTaken(text="old", priority=0)
