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
)
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.dynamodb import DynamoDBEventStore, to_attribute_values
from verein.eventstore.mapper import Mapper
from verein.eventstore.memory import InMemoryEventStore
from verein.eventstore.port import ClaimNotHeld
from verein.kernel.domain_events import EventRegistry


class NoteTaken(DomainEvent):
    event_type = "test.NoteTaken"
    schema_version = 2
    text: str
    priority: int


def _note_v1_to_v2(data):
    return {**data, "priority": 0}


MAPPER = Mapper(EventRegistry([NoteTaken], {("test.NoteTaken", 1): _note_v1_to_v2}))


CONTEXT = CommandContext(correlation_id="corr-1", actor="tester", causation_id="cmd-1")


def notes(*texts: str) -> list[NewEvent]:
    return [NewEvent(NoteTaken(text=t, priority=1), CONTEXT.metadata("subject-1")) for t in texts]


@pytest.fixture(
    params=[
        "memory",
        pytest.param("dynamodb", marks=pytest.mark.backend),
        "cached-memory",
        pytest.param("cached-dynamodb", marks=pytest.mark.backend),
    ]
)
def store(request) -> Iterator[EventStore]:
    """Every implementation of the port, and the head cache in front of each."""
    if request.param.endswith("memory"):
        inner: EventStore = InMemoryEventStore(MAPPER)
    else:
        aws = request.getfixturevalue("aws")
        inner = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
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
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
    (recorded,) = store.load("old#1")
    assert recorded.payload == NoteTaken(text="old", priority=0)
    (stream,) = store.read_all()
    assert stream.events == (recorded,)


# --- releasing claims: atomically with the commit that ends the reason for them ----------------


def test_a_released_claim_is_free_for_another_stream(store):
    claim = Claim("email", "hash-1", fingerprint="f1")
    store.append("s#1", 0, notes("applied"), claims=[claim])
    # released by the commit that rejects the application, in the same write; the fingerprint
    # is not compared
    assert store.append("s#1", 1, notes("rejected"), release=[Claim("email", "hash-1")]) == 2
    assert store.claim_owner(claim) is None
    store.append("s#2", 0, notes("applied again"), claims=[claim])
    assert store.claim_owner(claim) == "s#2"
    assert [e.payload.text for e in store.load("s#1")] == ["applied", "rejected"]


def test_releasing_an_absent_claim_is_a_no_op(store):
    claim = Claim("email", "never-taken")
    assert store.append("s#1", 0, notes("a"), release=[claim]) == 1
    store.append("s#1", 1, notes("b"), claims=[Claim("email", "taken")])
    store.append("s#1", 2, notes("c"), release=[Claim("email", "taken")])
    # releasing again (a retried command) changes nothing but the commit
    assert store.append("s#1", 3, notes("d"), release=[Claim("email", "taken")]) == 4
    assert store.claim_owner(claim) is None
    assert store.claim_owner(Claim("email", "taken")) is None


def test_releasing_a_claim_of_another_stream_fails_and_writes_nothing(store):
    claim = Claim("email", "hash-1")
    store.append("s#1", 0, notes("a"), claims=[claim])
    store.append("s#2", 0, notes("b"))
    with pytest.raises(ClaimNotHeld) as not_held:
        store.append("s#2", 1, notes("c"), release=[Claim("email", "free"), claim])
    assert not isinstance(not_held.value, ClaimTaken)
    assert (not_held.value.claim, not_held.value.stream_id) == (claim, "s#2")
    assert not_held.value.owner_stream_id == "s#1"
    assert store.claim_owner(claim) == "s#1"
    assert store.head("s#2").version == 1
    assert [e.payload.text for e in store.load("s#2")] == ["b"]


def test_concurrency_error_beats_release_and_releases_nothing(store):
    claim = Claim("email", "hash-1")
    store.append("s#1", 0, notes("a"), claims=[claim])
    with pytest.raises(ConcurrencyError):
        store.append("s#1", 0, notes("b"), release=[claim])
    # a stale writer that also releases a claim of another stream still loses on concurrency
    store.append("s#2", 0, notes("x"), claims=[Claim("email", "other")])
    with pytest.raises(ConcurrencyError):
        store.append("s#1", 0, notes("b"), release=[Claim("email", "other")])
    assert store.claim_owner(claim) == "s#1"
    assert store.claim_owner(Claim("email", "other")) == "s#2"
    assert store.head("s#1").version == 1


def test_taking_and_releasing_claims_in_one_append_is_all_or_nothing(store):
    old, new, theirs = Claim("email", "old"), Claim("email", "new"), Claim("email", "theirs")
    store.append("s#1", 0, notes("a"), claims=[old])
    store.append("s#2", 0, notes("b"), claims=[theirs])
    with pytest.raises(ClaimTaken) as taken:
        store.append("s#1", 1, notes("c"), claims=[theirs], release=[old])
    assert taken.value.owner_stream_id == "s#2"
    store.append("s#3", 0, notes("d"), claims=[Claim("email", "third")])
    with pytest.raises(ClaimTaken):  # reported before ClaimNotHeld
        store.append("s#1", 1, notes("c"), claims=[theirs], release=[Claim("email", "third")])
    assert store.claim_owner(old) == "s#1"
    # a changed address: the new one is taken and the old one freed in the same commit
    assert store.append("s#1", 1, notes("c"), claims=[new], release=[old]) == 2
    assert (store.claim_owner(old), store.claim_owner(new)) == (None, "s#1")


def test_an_append_names_each_claim_once_and_at_most_99(store):
    claim = Claim("email", "hash-1")
    with pytest.raises(ValueError, match="once"):
        store.append("s#1", 0, notes("a"), claims=[claim], release=[claim])
    with pytest.raises(ValueError, match="once"):
        store.append("s#1", 0, notes("a"), claims=[claim, Claim("email", "hash-1", "f2")])
    with pytest.raises(ValueError, match="once"):
        store.append("s#1", 0, notes("a"), release=[claim, claim])
    many = [Claim("email", f"k{n}") for n in range(100)]
    with pytest.raises(ValueError, match="at most 99"):
        store.append("s#1", 0, notes("a"), claims=many[:60], release=many[60:])
    assert store.head("s#1").version == 0
    assert store.claim_owner(claim) is None
    # 99 claims and the commit: one full transaction
    assert store.append("s#1", 0, notes("a"), claims=many[:60], release=many[60:99]) == 1
    assert store.claim_owner(many[59]) == "s#1"


def test_threads_racing_for_a_released_claim_give_it_to_exactly_one(store):
    claim = Claim("email", "hash-1")
    store.append("s#0", 0, notes("applied"), claims=[claim])
    store.append("s#0", 1, notes("withdrawn"), release=[claim])
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def applicant(n: int) -> None:
        barrier.wait()
        try:
            store.append(f"s#{n + 1}", 0, notes("applied"), claims=[claim])
            winners.append(n)
        except ClaimTaken:
            pass

    threads = [threading.Thread(target=applicant, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert store.claim_owner(claim) == f"s#{winners[0] + 1}"


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),  # stream
            st.booleans(),  # stale expected version
            st.sets(st.integers(min_value=0, max_value=3), max_size=2),  # claims to take
            st.sets(st.integers(min_value=0, max_value=3), max_size=2),  # claims to release
        ),
        max_size=12,
    )
)
def test_any_sequence_of_takes_and_releases_matches_the_model(store, steps):
    """Claims behave like a dict from key to stream, changed only by appends that succeed."""
    run = uuid.uuid4().hex
    keys = [Claim("model", f"{run}-{k}") for k in range(4)]
    streams = [f"model#{run}-{s}" for s in range(3)]
    owner: dict[int, str] = {}
    versions = [0, 0, 0]
    for s, stale, take, release in steps:
        stream = streams[s]
        if take & release:
            continue  # refused before anything is sent: see test_an_append_names_each_claim_once_and_at_most_99
        taken = [k for k in sorted(take) if k in owner]
        foreign = [k for k in sorted(release) if owner.get(k, stream) != stream]
        claims = {
            "claims": [keys[k] for k in sorted(take)],
            "release": [keys[k] for k in sorted(release)],
        }
        if stale and versions[s] > 0:
            with pytest.raises(ConcurrencyError):
                store.append(stream, versions[s] - 1, notes("n"), **claims)
        elif taken:
            with pytest.raises(ClaimTaken) as error:
                store.append(stream, versions[s], notes("n"), **claims)
            assert error.value.claim == keys[taken[0]]
        elif foreign:
            with pytest.raises(ClaimNotHeld) as error:
                store.append(stream, versions[s], notes("n"), **claims)
            assert error.value.owner_stream_id == owner[foreign[0]]
        else:
            versions[s] = store.append(stream, versions[s], notes("n"), **claims)
            for k in release:
                owner.pop(k, None)
            owner.update(dict.fromkeys(take, stream))
        for k, claim in enumerate(keys):
            assert store.claim_owner(claim) == owner.get(k)
        assert [store.head(name).version for name in streams] == versions


# --- reading every stream, for rebuilding views -------------------------------------------------


def _fill(store) -> dict[str, list[str]]:
    """Streams of different shapes (one or many commits, several domain events per commit),
    claims taken and released beside them; returns the texts each stream must hold."""
    expected: dict[str, list[str]] = {}
    for n in range(12):
        stream = f"member#{n:02d}"
        texts: list[str] = []
        version = 0
        for c in range(n % 4 + 1):
            batch = [f"{n}.{c}.{i}" for i in range(c % 3 + 1)]
            version = store.append(
                stream,
                version,
                notes(*batch),
                snapshot=Snapshot("S.v1", "{}"),
                claims=[Claim("email", f"{n}-{c}")],
            )
            texts.extend(batch)
        expected[stream] = texts
    store.append("member#00", 1, notes("withdrawn"), release=[Claim("email", "0-0")])
    expected["member#00"].append("withdrawn")
    return expected


@pytest.mark.parametrize("total_segments", [1, 3, 4])
def test_read_all_segments_together_yield_every_stream_once_with_all_its_domain_events(
    store, total_segments
):
    expected = _fill(store)
    found = [
        stream
        for segment in range(total_segments)
        for stream in store.read_all(segment, total_segments)
    ]
    ids = [s.stream_id for s in found]
    assert sorted(ids) == sorted(expected)  # each stream exactly once, claims left out
    for stream in found:
        assert [e.payload.text for e in stream.events] == expected[stream.stream_id]
        assert [e.version for e in stream.events] == list(range(1, stream.version + 1))
        assert all(e.stream_id == stream.stream_id for e in stream.events)
        assert stream.version == store.head(stream.stream_id).version
        assert list(stream.events) == store.load(stream.stream_id)
    # a segment is the same segment every time it is read
    for segment in range(total_segments):
        first = [s.stream_id for s in store.read_all(segment, total_segments)]
        assert sorted(first) == sorted(s.stream_id for s in store.read_all(segment, total_segments))


def test_read_all_reads_streams_larger_than_a_scan_page(store):
    """DynamoDB answers a Scan in pages of at most 1 MB: a stream may span several pages."""
    texts = ["x" * 300_000 + str(n) for n in range(6)]  # 6 commits of 300 KB: 1.8 MB
    version = 0
    for text in texts:
        version = store.append("big#1", version, notes(text))
    store.append("small#1", 0, notes("s"))
    streams = {s.stream_id: s for seg in range(2) for s in store.read_all(seg, 2)}
    assert sorted(streams) == ["big#1", "small#1"]
    assert [e.payload.text for e in streams["big#1"].events] == texts
    assert [e.version for e in streams["big#1"].events] == [1, 2, 3, 4, 5, 6]


def test_read_all_of_an_empty_store_or_one_with_claims_only_yields_nothing(store):
    assert list(store.read_all()) == []
    store.append("s#1", 0, notes("a"), claims=[Claim("email", "k")])
    store.append("s#1", 1, notes("b"), release=[Claim("email", "k")])
    store.append("s#2", 0, notes("a"), claims=[Claim("idem", "k2")])
    assert sorted(s.stream_id for s in store.read_all()) == ["s#1", "s#2"]


@pytest.mark.parametrize(("segment", "total_segments"), [(3, 3), (-1, 2), (0, 0), (0, 1_000_001)])
def test_read_all_refuses_a_segment_that_does_not_exist(store, segment, total_segments):
    with pytest.raises(ValueError, match="segment"):
        store.read_all(segment, total_segments)


def test_read_all_gives_the_part_of_a_stream_before_a_gap(aws):
    """Only a Scan that read a growing stream out of order could see a gap; what it returns is
    then a prefix of the stream (the change stream delivers the rest)."""
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
    store.append("s#1", 0, notes("a", "b"))
    store.append("s#1", 2, notes("c"))
    store.append("s#1", 3, notes("d"))
    aws.dynamodb.delete_item(
        TableName=aws.event_store_table, Key=to_attribute_values({"stream_id": "s#1", "version": 3})
    )
    (stream,) = store.read_all()
    assert [e.payload.text for e in stream.events] == ["a", "b"]


def test_the_holder_of_a_claim_is_told_with_its_fingerprint_and_a_free_claim_is_none(store):
    store.append("s#1", 0, notes("a"), claims=[Claim("idem", "k", fingerprint="f1")])
    held = store.claim_holder(Claim("idem", "k", fingerprint="f1"))
    assert held is not None and (held.owner_stream_id, held.owner_fingerprint) == ("s#1", "f1")
    assert held.same_request
    assert not store.claim_holder(Claim("idem", "k", fingerprint="f2")).same_request
    assert store.claim_holder(Claim("idem", "free")) is None
