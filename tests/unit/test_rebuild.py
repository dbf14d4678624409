"""Views verified against, and rebuilt from, the event store into a new generation."""

import threading

from tests.samples import MAPPER, application, populated_store
from verein.changes.rebuild import Generations, Timing, rebuild, verify
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import AddMemberNote
from verein.membership.usecases import add_member_note, apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import InMemoryMemberViews, ViewChangedConcurrently

CONTEXT = CommandContext(correlation_id="c", actor="test")
KEYS = KeyedHash(b"k" * 32)
NO_WAIT = Timing(retire_after_s=0, projector_lag_s=0)  # no live projector meanwhile


def populated(count: int = 7) -> tuple[InMemoryEventStore, list[str]]:
    return populated_store(count)


def live(store, views, items=None):
    projector = MemberDirectoryProjector(store, views)
    for item in store.appended if items is None else items:
        projector.apply(MAPPER.recorded_events(item))
    return projector


def reference(store) -> dict:
    expected = InMemoryMemberViews()
    live(store, expected)
    return dict(expected.summaries)


def test_generations_name_what_the_projector_keeps_up_to_date():
    assert Generations().live == (1,)
    building = Generations(current=3, building=4, owner="me", revision=7)
    assert building.live == (3, 4)
    assert building.following(owner="you") == Generations(3, 4, "you", revision=8)


def test_empty_views_are_all_missing_and_a_rebuild_makes_them_equal_to_live_projection():
    store, ids = populated()
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    report = verify(store, [projector], segments=3)
    assert sorted(d.key for d in report.differences) == sorted(f"member#{i}" for i in ids)
    assert {d.problem for d in report.differences} == {"missing"}
    assert report.progress.streams == 7 and report.progress.domain_events == 11
    rebuilt = rebuild(store, [projector], segments=3, timing=NO_WAIT)
    assert len(rebuilt.differences) == 7
    assert rebuilt.progress.phase == "build" and rebuilt.progress.domain_events == 11
    assert views.generations.read().current == 2
    assert verify(store, [projector], segments=2).differences == []
    assert views.summaries == reference(store)


def test_tampered_and_stale_views_are_found_and_replaced_by_a_new_generation():
    store, ids = populated()
    views = InMemoryMemberViews()
    projector = live(store, views)
    tampered = views.summaries[ids[1]]
    views.summaries[ids[1]] = tampered.model_copy(update={"applicant_name": "Mallory"})
    stale = views.summaries[ids[0]]
    views.summaries[ids[0]] = stale.model_copy(update={"position": 1, "note_count": 0})
    problems = {d.key: d.problem for d in verify(store, [projector]).differences}
    assert problems == {f"member#{ids[1]}": "different", f"member#{ids[0]}": "stale"}
    rebuilt = rebuild(store, [projector], timing=NO_WAIT)
    assert {d.key: d.problem for d in rebuilt.differences} == problems
    assert views.summaries[ids[1]] == tampered and views.summaries[ids[0]] == stale
    assert views.stored(1) == {}  # the old generation is gone
    assert verify(store, [projector]).differences == []


def test_a_view_the_live_projector_moved_on_meanwhile_is_recomputed_not_overwritten():
    store, ids = populated(1)  # an application and a note
    (stream,) = list(store.read_all())

    class MovesOnOnce(InMemoryMemberViews):
        moved = False

        def save(self, summary, expected_position, generation=None):
            if not self.moved:
                self.moved = True  # a note arrives and the live projector applies it first
                add_member_note(store, KEYS, ids[0], AddMemberNote(text="meanwhile"), CONTEXT)
                live(store, self)
                raise ViewChangedConcurrently(summary.member_id)
            super().save(summary, expected_position, generation)

    racing = MovesOnOnce()
    MemberDirectoryProjector(store, racing).repair(stream)
    assert racing.summaries[ids[0]].note_count == 2 and racing.summaries[ids[0]].position == 3
    assert verify(store, [MemberDirectoryProjector(store, racing)]).differences == []


def test_what_the_batched_fill_overwrote_of_the_projectors_work_is_repaired_before_the_switch():
    store, ids = populated(1)  # an application and a note: the fill computes position 2

    class ProjectorFirst(InMemoryMemberViews):
        def put_many(self, summaries, generation):
            # The note's commit reached the live projector between read_all and this batch.
            before = len(store.appended)
            add_member_note(store, KEYS, ids[0], AddMemberNote(text="meanwhile"), CONTEXT)
            live(store, self, store.appended[before:])
            assert self.stored(generation)[ids[0]].position == 3
            super().put_many(summaries, generation)  # unconditional: back to position 2

    views = ProjectorFirst()
    projector = live(store, views)
    report = rebuild(store, [projector], timing=NO_WAIT)
    assert [s.repaired for s in report.switches] == [1]
    assert views.summaries[ids[0]].note_count == 2 and views.summaries[ids[0]].position == 3
    assert verify(store, [projector]).differences == []


def test_commands_and_the_live_projector_going_on_during_a_rebuild_lose_nothing():
    store, ids = populated(20)
    views = InMemoryMemberViews()
    projector = live(store, views)
    stop = threading.Event()
    written = threading.Event()

    def service() -> None:  # applications and notes, each projected as the change stream would
        n = 100
        while not stop.is_set() or not written.is_set():
            before = len(store.appended)
            new = apply_for_membership(store, KEYS, application(n), CONTEXT).application_id
            add_member_note(store, KEYS, ids[n % len(ids)], AddMemberNote(text="x"), CONTEXT)
            add_member_note(store, KEYS, new, AddMemberNote(text="y"), CONTEXT)
            live(store, views, store.appended[before:])
            written.set()
            n += 1

    worker = threading.Thread(target=service)
    worker.start()
    try:
        written.wait(5)
        rebuild(store, [projector], segments=3, timing=NO_WAIT)
    finally:
        stop.set()
        worker.join()
    assert views.generations.read().current == 2
    assert views.summaries == reference(store)
    assert len(views.summaries) > 20


def late_note_during_the_check(lag: float | None) -> tuple[dict, dict]:
    """A live projector that read the generations just before the build began applies a note
    written after the check pass has checked its stream; what the switched-to generation
    shows, and what the store says."""
    store, (member_id,) = populated(1)
    views = InMemoryMemberViews()
    projector = live(store, views)  # read "generation 1 only" just now, kept for 0.5 s
    projector.control_cache_s = 0.5
    noted: list[bool] = []

    def meanwhile(progress) -> None:
        if progress.phase == "verify" and not noted:
            noted.append(True)
            add_member_note(store, KEYS, member_id, AddMemberNote(text="late"), CONTEXT)
            projector.apply(MAPPER.recorded_events(store.appended[-1]))

    timing = Timing(retire_after_s=0, projector_lag_s=lag)
    rebuild(store, [projector], segments=1, on_progress=meanwhile, timing=timing)
    return dict(views.summaries), reference(store)


def test_the_check_waits_until_no_projector_can_act_on_a_read_from_before_the_build():
    served, expected = late_note_during_the_check(lag=None)
    assert served == expected


def test_without_that_wait_a_late_commit_would_be_missing_from_the_new_generation():
    served, expected = late_note_during_the_check(lag=0)
    (member,) = expected.values()
    assert served[member.member_id].note_count == member.note_count - 1  # the late note
