"""The member directory projection is exact under redelivery and reordering."""

from hypothesis import given
from hypothesis import strategies as st

from tests.samples import application
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.usecases import apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import InMemoryMemberViews, ViewChangedConcurrently

CONTEXT = CommandContext(correlation_id="c", actor="test")
KEYS = KeyedHash(b"k" * 32)


@given(
    count=st.integers(min_value=1, max_value=6),
    deliveries=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=40),
)
def test_any_order_with_duplicates_gives_the_same_directory(count, deliveries):
    store = InMemoryEventStore()
    ids = [
        apply_for_membership(store, KEYS, application(n), CONTEXT).application_id
        for n in range(count)
    ]
    items = store.appended
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    # deliver in an arbitrary order, with repeats, then everything once more (at least once)
    for index in deliveries:
        projector.apply_commit(items[index % len(items)])
    for item in items:
        projector.apply_commit(item)
    applied = views.by_status("applied").members
    assert sorted(s.member_id for s in applied) == sorted(ids)
    for summary in applied:
        assert summary.position == 1
        assert summary.email.startswith("p")


def test_claims_and_foreign_streams_are_ignored():
    store = InMemoryEventStore()
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    projector.apply_commit({"stream_id": "claim#x#y", "version": 0, "item_kind": "claim"})
    projector.apply_commit({"stream_id": "gathering#1", "version": 1, "item_kind": "commit"})
    assert views.summaries == {}


def test_a_view_changed_by_a_concurrent_run_is_not_overwritten():
    store = InMemoryEventStore()
    apply_for_membership(store, KEYS, application(1), CONTEXT)
    views = InMemoryMemberViews()
    (item,) = store.appended
    MemberDirectoryProjector(store, views).apply_commit(item)
    summary = next(iter(views.summaries.values()))
    try:
        views.save(summary, expected_position=0)
    except ViewChangedConcurrently:
        pass
    else:
        raise AssertionError("a stale save must fail")
