"""The one change-stream consumer: every commit to every handler, failures isolated."""

import pytest

from tests.samples import MAPPER, application
from verein.changes.dispatcher import Dispatcher, HandlersFailed
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.usecases import apply_for_membership

CONTEXT = CommandContext(correlation_id="c", actor="test")


class Recording:
    def __init__(self, name, fail_times=0):
        self.name, self.fail_times, self.seen = name, fail_times, []

    def apply(self, commit):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError(f"{self.name} is down")
        self.seen.append([(e.stream_id, e.version, e.payload.event_type) for e in commit])


def stored_items():
    store = InMemoryEventStore(MAPPER)
    apply_for_membership(store, KeyedHash(b"k" * 32), application(1), CONTEXT)
    return store.appended


def test_every_handler_gets_each_commit_as_recorded_domain_events():
    first, second = Recording("a"), Recording("b")
    (item,) = stored_items()
    Dispatcher(MAPPER, [first, second]).dispatch(item)
    assert first.seen == second.seen == [[(item["stream_id"], 1, "MembershipApplied")]]


def test_a_failing_handler_does_not_keep_the_commit_from_the_others_and_the_record_fails():
    failing, healthy = Recording("failing", fail_times=1), Recording("healthy")
    (item,) = stored_items()
    dispatcher = Dispatcher(MAPPER, [failing, healthy])
    with pytest.raises(HandlersFailed) as failed:
        dispatcher.dispatch(item)
    assert set(failed.value.failures) == {"failing"}
    assert len(healthy.seen) == 1 and failing.seen == []
    dispatcher.dispatch(item)  # the redelivery
    assert len(failing.seen) == 1


def test_claims_are_not_dispatched():
    seen = Recording("a")
    Dispatcher(MAPPER, [seen]).dispatch({"stream_id": "claim#x#y", "item_kind": "claim"})
    assert seen.seen == []


def test_handler_names_are_unique():
    with pytest.raises(ValueError, match="unique"):
        Dispatcher(MAPPER, [Recording("a"), Recording("a")])


class ReadingAhead(Recording):
    def __init__(self, name, fail=False):
        super().__init__(name)
        self.fail, self.batches = fail, []

    def begin_batch(self, commits):
        if self.fail:
            raise RuntimeError("the read ahead failed")
        self.batches.append([(c[0].stream_id, c[0].version) for c in commits])


def test_a_batch_is_shown_to_the_handlers_that_read_ahead_without_its_claims():
    store = InMemoryEventStore(MAPPER)
    keys = KeyedHash(b"k" * 32)
    for n in range(3):
        apply_for_membership(store, keys, application(n), CONTEXT)
    items = [*store.appended, {"stream_id": "claim#x#y", "item_kind": "claim"}]
    ahead, plain = ReadingAhead("ahead"), Recording("plain")
    Dispatcher(MAPPER, [ahead, plain]).begin_batch(items)
    assert ahead.batches == [[(item["stream_id"], 1) for item in store.appended]]
    assert plain.seen == []


def test_a_failed_read_ahead_leaves_each_record_to_its_dispatch():
    failing, healthy = ReadingAhead("failing", fail=True), ReadingAhead("healthy")
    (item,) = stored_items()
    dispatcher = Dispatcher(MAPPER, [failing, healthy])
    dispatcher.begin_batch([item, {"stream_id": "member#x", "item_kind": "commit"}])
    assert len(healthy.batches) == 1
    dispatcher.dispatch(item)
    assert len(failing.seen) == len(healthy.seen) == 1
