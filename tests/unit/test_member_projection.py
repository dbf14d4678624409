"""The member directory projection is exact under redelivery and reordering."""

from hypothesis import given
from hypothesis import strategies as st

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext, NewEvent, RecordedEvent, RecordedStream
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import AddMemberNote
from verein.membership.domain_events import MemberNoteAdded
from verein.membership.usecases import add_member_note, apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import InMemoryMemberViews, ViewChangedConcurrently

CONTEXT = CommandContext(correlation_id="c", actor="test")
KEYS = KeyedHash(b"k" * 32)


@given(
    count=st.integers(min_value=1, max_value=6),
    deliveries=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=40),
)
def test_any_order_with_duplicates_gives_the_same_directory(count, deliveries):
    store = InMemoryEventStore(MAPPER)
    ids = [
        apply_for_membership(store, KEYS, application(n), CONTEXT).application_id
        for n in range(count)
    ]
    commits = [MAPPER.recorded_events(item) for item in store.appended]
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    # deliver in an arbitrary order, with repeats, then everything once more (at least once)
    for index in deliveries:
        projector.apply(commits[index % len(commits)])
    for commit in commits:
        projector.apply(commit)
    applied = views.by_status("applied").members
    assert sorted(s.member_id for s in applied) == sorted(ids)
    for summary in applied:
        assert summary.position == 1
        assert summary.email.startswith("p")


def test_foreign_streams_and_empty_commits_are_ignored():
    store = InMemoryEventStore(MAPPER)
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    note = NewEvent(MemberNoteAdded(text="x"), CONTEXT.metadata())
    foreign = RecordedEvent("gathering#1", 1, note.payload, note.metadata)
    projector.apply([foreign])
    projector.apply([])
    assert views.summaries == {}


def test_a_view_changed_by_a_concurrent_run_is_not_overwritten():
    store = InMemoryEventStore(MAPPER)
    apply_for_membership(store, KEYS, application(1), CONTEXT)
    views = InMemoryMemberViews()
    (item,) = store.appended
    MemberDirectoryProjector(store, views).apply(MAPPER.recorded_events(item))
    summary = next(iter(views.summaries.values()))
    try:
        views.save(summary, expected_position=0)
    except ViewChangedConcurrently:
        pass
    else:
        raise AssertionError("a stale save must fail")


@given(
    count=st.integers(min_value=1, max_value=5),
    notes=st.lists(st.integers(min_value=0, max_value=4), max_size=6),
    deliveries=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=40),
    building_from=st.integers(min_value=0, max_value=40),
)
def test_every_live_generation_ends_up_equal_whenever_a_build_began(
    count, notes, deliveries, building_from
):
    """The projector writes every domain event to the served and the building generation. The
    building one starts empty at any moment; a stream that gets a commit after that catches up
    there by the projector's own gap-fill (the others are the rebuild's to fill)."""
    store, commits = notes_on(count, notes)
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views, control_cache_s=0)  # reads every time
    touched: set[str] = set()
    for step, index in enumerate([*deliveries, *range(len(commits))]):
        if step == building_from:
            state = views.generations.read()
            views.generations.write(state, state.following(building=2, owner="rebuild"))
        commit = commits[index % len(commits)]
        projector.apply(commit)
        if step >= building_from:
            touched.add(commit[0].stream_id.removeprefix("member#"))
    served, building = views.stored(1), views.stored(2)
    assert set(building) == touched
    assert building == {member_id: served[member_id] for member_id in touched}
    assert sum(s.note_count for s in served.values()) == len(notes)


def test_a_generation_that_is_not_live_gets_nothing():
    store = InMemoryEventStore(MAPPER)
    apply_for_membership(store, KEYS, application(1), CONTEXT)
    views = InMemoryMemberViews()
    state = views.generations.read()
    views.generations.write(state, state.following(current=2, retired=1))
    (item,) = store.appended
    MemberDirectoryProjector(store, views).apply(MAPPER.recorded_events(item))
    assert len(views.stored(2)) == 1
    assert views.stored(1) == {} and views.stored(3) == {}


def test_the_summary_shows_which_consent_text_was_agreed_to():
    store = InMemoryEventStore(MAPPER)
    member_id = apply_for_membership(store, KEYS, application(1), CONTEXT).application_id
    views = InMemoryMemberViews()
    MemberDirectoryProjector(store, views).apply(MAPPER.recorded_events(store.appended[0]))
    assert views.get(member_id).consent_version == application(1).consent_version


class CountingViews(InMemoryMemberViews):
    """Counts the reads the projector makes, and can let a 'repair' write behind its back."""

    def __init__(self):
        super().__init__()
        self.gets = self.batch_gets = 0

    def get(self, member_id, generation=None):
        self.gets += 1
        return super().get(member_id, generation)

    def get_many(self, member_ids, generation):
        self.batch_gets += 1
        return super().get_many(member_ids, generation)


def notes_on(count, notes):
    store = InMemoryEventStore(MAPPER)
    ids = [
        apply_for_membership(store, KEYS, application(n), CONTEXT).application_id
        for n in range(count)
    ]
    for n in notes:
        add_member_note(store, KEYS, ids[n % count], AddMemberNote(text="x"), CONTEXT)
    return store, [MAPPER.recorded_events(item) for item in store.appended]


def test_a_batch_costs_one_read_per_generation_and_no_read_per_commit():
    store, commits = notes_on(5, [0, 1, 0, 2, 0, 4])
    views = CountingViews()
    projector = MemberDirectoryProjector(store, views)
    projector.begin_batch(commits)
    for commit in commits:
        projector.apply(commit)
    assert (views.batch_gets, views.gets) == (1, 0)
    assert sum(s.note_count for s in views.summaries.values()) == 6
    assert {s.position for s in views.summaries.values()} == {1, 2, 4}


def test_without_a_batch_every_commit_reads_its_view():
    store, commits = notes_on(2, [0, 1])
    views = CountingViews()
    projector = MemberDirectoryProjector(store, views)
    for commit in commits:
        projector.apply(commit)
    assert (views.batch_gets, views.gets) == (0, 4)


@given(
    count=st.integers(min_value=1, max_value=4),
    notes=st.lists(st.integers(min_value=0, max_value=3), max_size=8),
    deliveries=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=30),
    cuts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=10),
    repairs=st.sets(st.integers(min_value=0, max_value=30), max_size=6),
)
def test_batches_read_ahead_and_writes_behind_their_back_still_give_the_exact_views(
    count, notes, deliveries, cuts, repairs
):
    """Commits come in batches of any size, out of order and repeated; between two of them a
    rebuild's repair may rewrite a view from the whole stream, making what the projector read
    ahead stale. A stale guess fails its write (the record is redelivered, as Lambda does from
    the failed record on), never the view: at the end every view is exactly its stream's."""
    store, commits = notes_on(count, notes)
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    queue = [commits[i % len(commits)] for i in deliveries] + commits
    step = cut = 0
    while queue:
        size = cuts[cut % len(cuts)]
        cut += 1
        batch, queue = queue[:size], queue[size:]
        projector.begin_batch(batch)
        failed = []
        for position, commit in enumerate(batch):
            step += 1
            if step in repairs:
                projector.repair(stream_of(store, commit[0].stream_id))
            try:
                projector.apply(commit)
            except ViewChangedConcurrently:
                failed.append(position)
        if failed:  # Lambda redelivers from the first failed record on
            queue = batch[failed[0] :] + queue
    assert len(views.summaries) == count
    for member_id, summary in views.summaries.items():
        assert summary == projector.summarize(stream_of(store, f"member#{member_id}"))
    assert sum(s.note_count for s in views.summaries.values()) == len(notes)


def stream_of(store, stream_id):
    return RecordedStream(stream_id, tuple(store.load(stream_id)))


def test_decisions_move_the_summary_to_its_status_list_with_the_member_number():
    from verein.membership.commands import RejectApplication  # noqa: PLC0415
    from verein.membership.numbers import MemberNumbers  # noqa: PLC0415
    from verein.membership.usecases import approve_application, reject_application  # noqa: PLC0415

    store = InMemoryEventStore(MAPPER)
    approved, rejected = (
        apply_for_membership(store, KEYS, application(n), CONTEXT).application_id for n in (1, 2)
    )
    approve_application(store, KEYS, MemberNumbers(store), approved, CONTEXT)
    reject_application(store, KEYS, rejected, RejectApplication(reason="Satzung"), CONTEXT)
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    for item in store.appended:
        projector.apply(MAPPER.recorded_events(item))
    (active,) = views.by_status("active").members
    assert (active.member_id, active.member_number, active.position) == (approved, 1, 2)
    assert active.decided_at is not None
    assert [s.member_id for s in views.by_status("rejected").members] == [rejected]
    assert views.by_status("applied").members == []
