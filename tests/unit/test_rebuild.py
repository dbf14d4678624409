"""Views verified against, and rebuilt from, the event store."""

from tests.samples import application
from verein.changes.rebuild import rebuild, verify
from verein.eventstore import CommandContext
from verein.eventstore.mapper import Mapper
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import AddMemberNote
from verein.membership.usecases import add_member_note, apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import InMemoryMemberViews, ViewChangedConcurrently

CONTEXT = CommandContext(correlation_id="c", actor="test")
KEYS = KeyedHash(b"k" * 32)


def populated(count: int = 7) -> tuple[InMemoryEventStore, list[str]]:
    store = InMemoryEventStore()
    ids = [
        apply_for_membership(store, KEYS, application(n), CONTEXT).application_id
        for n in range(count)
    ]
    for member_id in ids[::2]:
        add_member_note(store, KEYS, member_id, AddMemberNote(text="called"), CONTEXT)
    return store, ids


def live(store, views):
    projector = MemberDirectoryProjector(store, views)
    for item in store.appended:
        projector.apply(Mapper().recorded_events(item))
    return projector


def test_empty_views_are_all_missing_and_a_rebuild_makes_them_equal_to_live_projection():
    store, ids = populated()
    views = InMemoryMemberViews()
    projector = MemberDirectoryProjector(store, views)
    report = verify(store, [projector], segments=3)
    assert sorted(d.key for d in report.differences) == sorted(f"member#{i}" for i in ids)
    assert {d.problem for d in report.differences} == {"missing"}
    assert report.progress.streams == 7 and report.progress.domain_events == 11
    rebuild(store, [projector], segments=3)
    assert verify(store, [projector], segments=2).differences == []
    expected = InMemoryMemberViews()
    live(store, expected)
    assert views.summaries == expected.summaries


def test_tampered_and_stale_views_are_found_and_repaired():
    store, ids = populated()
    views = InMemoryMemberViews()
    projector = live(store, views)
    tampered = views.summaries[ids[1]]
    views.summaries[ids[1]] = tampered.model_copy(update={"applicant_name": "Mallory"})
    stale = views.summaries[ids[0]]
    views.summaries[ids[0]] = stale.model_copy(update={"position": 1, "note_count": 0})
    problems = {d.key: d.problem for d in verify(store, [projector]).differences}
    assert problems == {f"member#{ids[1]}": "different", f"member#{ids[0]}": "stale"}
    repaired = rebuild(store, [projector])
    assert len(repaired.differences) == 2
    assert views.summaries[ids[1]] == tampered and views.summaries[ids[0]] == stale
    assert verify(store, [projector]).differences == []


def test_a_view_the_live_projector_moved_on_meanwhile_is_recomputed_not_overwritten():
    store, ids = populated(1)  # an application and a note
    (stream,) = list(store.read_all())

    class MovesOnOnce(InMemoryMemberViews):
        moved = False

        def save(self, summary, expected_position):
            if not self.moved:
                self.moved = True  # a note arrives and the live projector applies it first
                add_member_note(store, KEYS, ids[0], AddMemberNote(text="meanwhile"), CONTEXT)
                live(store, self)
                raise ViewChangedConcurrently(summary.member_id)
            super().save(summary, expected_position)

    racing = MovesOnOnce()
    MemberDirectoryProjector(store, racing).repair(stream)
    assert racing.summaries[ids[0]].note_count == 2 and racing.summaries[ids[0]].position == 3
    assert verify(store, [MemberDirectoryProjector(store, racing)]).differences == []
