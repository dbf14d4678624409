"""The member views port, checked against the in-memory fake and the views table (embedded backend).

Both implementations must pass the same contract: the projector and the staff API rely on the
fake behaving like the table.
"""

import base64
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.samples import MAPPER, application, populated_store
from verein.changes.rebuild import (
    Generations,
    GenerationsChanged,
    GenerationSwitchLost,
    RebuildInProgress,
    Timing,
    rebuild,
    verify,
)
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import AddMemberNote
from verein.membership.domain_events import MembershipType
from verein.membership.usecases import add_member_note, apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import (
    LIST_INDEX,
    DynamoDBMemberViews,
    InMemoryMemberViews,
    InvalidCursor,
    MemberViews,
    ViewChangedConcurrently,
)
from verein.membership.views.summary import MemberSummary

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CONTEXT = CommandContext(correlation_id="c", actor="test")
KEYS = KeyedHash(b"k" * 32)
NOW = 1_800_000_000.0


class PagesLikeDynamoDB:
    """A client whose Query pages end as DynamoDB's may: after at most ``page_size`` items (as
    if 1 MB were read), with a LastEvaluatedKey whenever the page stopped at its limit, also
    when no item follows. The embedded backend (moto) reports one only if more items follow.
    """

    def __init__(self, client, page_size: int = 2) -> None:
        self._client = client
        self._page_size = page_size

    def __getattr__(self, name):
        return getattr(self._client, name)

    def query(self, **request):
        cap = min(request.get("Limit", self._page_size), self._page_size)
        response = self._client.query(**{**request, "Limit": cap})
        items = response["Items"]
        if len(items) == cap and "LastEvaluatedKey" not in response:
            assert request["IndexName"] == LIST_INDEX
            keys = ("pk", "sk", "list_pk", "list_sk")
            response["LastEvaluatedKey"] = {k: items[-1][k] for k in keys}
        return response


@pytest.fixture(
    params=[
        "memory",
        pytest.param("dynamodb", marks=pytest.mark.backend),
        pytest.param("dynamodb-short-pages", marks=pytest.mark.backend),
    ]
)
def views(request) -> Iterator[MemberViews]:
    """Every implementation of the port (the views table comes from the template)."""
    if request.param == "memory":
        yield InMemoryMemberViews()
        return
    aws = request.getfixturevalue("aws")
    if request.param == "dynamodb":
        yield DynamoDBMemberViews(aws.dynamodb, aws.views_table)
    else:
        yield DynamoDBMemberViews(PagesLikeDynamoDB(aws.dynamodb), aws.views_table)


def summary(
    n: int = 0,
    *,
    member_id: str | None = None,
    status: str = "applied",
    applied_at: datetime | None = None,
    position: int = 1,
    note_count: int = 0,
) -> MemberSummary:
    return MemberSummary(
        member_id=member_id or str(uuid.UUID(int=n + 1)),
        status=status,
        applicant_name=f"Person {n}",
        email=f"p{n}@example.org",
        organisation=None if n % 2 else f"Firma {n}",
        membership_type=MembershipType.COMPANY if n % 2 else MembershipType.INDIVIDUAL,
        language="de",
        applied_at=applied_at or T0 + timedelta(minutes=n),
        note_count=note_count,
        position=position,
    )


def all_pages(
    views: MemberViews, status: str, limit: int, *, newest_first: bool = False
) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = views.by_status(status, limit=limit, after=after, newest_first=newest_first)
        pages.append([s.member_id for s in page.members])
        if page.next_cursor is None:
            return pages
        assert len(pages) < 100, "paging does not end"
        after = page.next_cursor


# --- get / save ------------------------------------------------------------------------------


def test_an_unknown_member_has_no_view(views):
    assert views.get(str(uuid.uuid4())) is None


def test_a_saved_view_reads_back_equal(views):
    saved = summary(1, applied_at=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC))
    views.save(saved, expected_position=0)
    assert views.get(saved.member_id) == saved
    plain = summary(2, applied_at=T0)  # no microseconds, organisation present
    views.save(plain, expected_position=0)
    assert views.get(plain.member_id) == plain


def test_a_save_with_the_position_read_replaces_the_view(views):
    first = summary(1)
    views.save(first, expected_position=0)
    second = first.model_copy(update={"note_count": 1, "position": 2})
    views.save(second, expected_position=1)
    third = second.model_copy(update={"note_count": 3, "position": 4})
    views.save(third, expected_position=2)
    assert views.get(first.member_id) == third


@pytest.mark.parametrize("stale", [0, 1, 3])
def test_a_save_with_a_stale_position_fails_and_keeps_the_view(views, stale):
    first = summary(1)
    views.save(first, expected_position=0)
    current = first.model_copy(update={"note_count": 1, "position": 2})
    views.save(current, expected_position=1)
    with pytest.raises(ViewChangedConcurrently):
        views.save(first.model_copy(update={"note_count": 9, "position": 5}), stale)
    assert views.get(first.member_id) == current


def test_a_save_expecting_a_view_that_does_not_exist_fails(views):
    missing = summary(1, position=3)
    with pytest.raises(ViewChangedConcurrently):
        views.save(missing, expected_position=2)
    assert views.get(missing.member_id) is None


def test_threads_racing_on_one_view_let_exactly_one_win(views):
    base = summary(1)
    views.save(base, expected_position=0)
    winners: list[int] = []
    losers: list[int] = []
    barrier = threading.Barrier(10)

    def projector_run(n: int) -> None:
        barrier.wait()
        try:
            views.save(base.model_copy(update={"note_count": n, "position": 2}), 1)
            winners.append(n)
        except ViewChangedConcurrently:
            losers.append(n)

    threads = [threading.Thread(target=projector_run, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(winners), len(losers)) == (1, 9)
    stored = views.get(base.member_id)
    assert stored is not None and stored.note_count == winners[0]


# --- by_status -------------------------------------------------------------------------------


def test_by_status_lists_the_members_of_that_status_in_application_order(views):
    # saved out of order; two applied in the same instant are ordered by member id;
    # whole seconds and microseconds mixed
    same = T0 + timedelta(hours=1)
    members = [
        summary(3, applied_at=T0 + timedelta(seconds=1)),
        summary(1, applied_at=T0),
        summary(2, applied_at=T0 + timedelta(microseconds=500_000)),
        summary(5, member_id="ffffffff-0000-4000-8000-000000000000", applied_at=same),
        summary(4, member_id="00000000-ffff-4000-8000-000000000000", applied_at=same),
        summary(6, status="member"),
    ]
    for m in members:
        views.save(m, expected_position=0)
    page = views.by_status("applied")
    assert [s.applicant_name for s in page.members] == [f"Person {n}" for n in (1, 2, 3, 4, 5)]
    assert page.members[0] == members[1]
    assert page.next_cursor is None
    assert [s.member_id for s in views.by_status("member").members] == [members[-1].member_id]
    assert views.by_status("rejected").members == []
    assert views.by_status("rejected").next_cursor is None


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6, 100])
def test_by_status_pages_through_all_members_and_ends_without_a_cursor(views, limit):
    members = [summary(n) for n in range(5)]
    for m in reversed(members):
        views.save(m, expected_position=0)
    views.save(summary(9, status="member"), expected_position=0)
    pages = all_pages(views, "applied", limit)
    assert [m for page in pages for m in page] == [m.member_id for m in members]
    # full pages, and no empty page after the last one (5 members with limit 1 or 5 included)
    assert [len(page) for page in pages] == [min(limit, 5 - i) for i in range(0, 5, limit)]


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 100])
def test_by_status_pages_newest_first_through_exactly_the_reverse_order(views, limit):
    # two pairs applied in the same instant: the member id breaks the tie both ways
    same = T0 + timedelta(hours=1)
    members = [
        *(summary(n) for n in range(4)),
        summary(4, member_id="ffffffff-0000-4000-8000-000000000000", applied_at=same),
        summary(5, member_id="00000000-ffff-4000-8000-000000000000", applied_at=same),
    ]
    for m in members[3:] + members[:3]:
        views.save(m, expected_position=0)
    views.save(summary(9, status="member"), expected_position=0)
    oldest_first = [m for page in all_pages(views, "applied", 100) for m in page]
    assert len(oldest_first) == 6
    pages = all_pages(views, "applied", limit, newest_first=True)
    assert [m for page in pages for m in page] == oldest_first[::-1]
    # full pages, and no empty page after the last one (6 members with limit 1 or 6 included)
    assert [len(page) for page in pages] == [min(limit, 6 - i) for i in range(0, 6, limit)]


def test_a_cursor_is_a_position_and_the_order_asked_for_goes_on_from_it(views):
    members = [summary(n) for n in range(5)]
    for m in members:
        views.save(m, expected_position=0)
    newest = views.by_status("applied", limit=2, newest_first=True)
    assert [s.applicant_name for s in newest.members] == ["Person 4", "Person 3"]
    more = views.by_status("applied", limit=2, after=newest.next_cursor, newest_first=True)
    assert [s.applicant_name for s in more.members] == ["Person 2", "Person 1"]
    assert more.next_cursor is not None
    # the same cursor with the other order turns back at that position
    back = views.by_status("applied", limit=2, after=newest.next_cursor)
    assert [s.applicant_name for s in back.members] == ["Person 4"]
    assert back.next_cursor is None
    oldest = views.by_status("applied", limit=2)
    ahead = views.by_status("applied", after=oldest.next_cursor, newest_first=True)
    assert [s.applicant_name for s in ahead.members] == ["Person 0"]
    assert ahead.next_cursor is None


def test_a_newest_first_cursor_stays_valid_while_the_list_changes(views):
    members = [summary(n) for n in range(4)]
    for m in members:
        views.save(m, expected_position=0)
    first = views.by_status("applied", limit=2, newest_first=True)
    assert [s.applicant_name for s in first.members] == ["Person 3", "Person 2"]
    # the last member on the page moves on, a later one and an earlier one join
    views.save(members[2].model_copy(update={"status": "member", "position": 2}), 1)
    views.save(summary(7, applied_at=T0 - timedelta(days=1)), expected_position=0)
    views.save(summary(8), expected_position=0)
    rest = views.by_status("applied", limit=10, after=first.next_cursor, newest_first=True)
    assert [s.applicant_name for s in rest.members] == ["Person 1", "Person 0", "Person 7"]
    assert rest.next_cursor is None


def test_a_cursor_stays_valid_while_the_list_changes(views):
    members = [summary(n) for n in range(4)]
    for m in members:
        views.save(m, expected_position=0)
    first = views.by_status("applied", limit=2)
    assert [s.member_id for s in first.members] == [m.member_id for m in members[:2]]
    # the last member on the page moves on, a later one and an earlier one join
    views.save(members[1].model_copy(update={"status": "member", "position": 2}), 1)
    views.save(summary(7, applied_at=T0 - timedelta(days=1)), expected_position=0)
    views.save(summary(8), expected_position=0)
    rest = views.by_status("applied", limit=10, after=first.next_cursor)
    assert [s.applicant_name for s in rest.members] == ["Person 2", "Person 3", "Person 8"]
    assert rest.next_cursor is None


def test_a_status_change_moves_the_member_to_the_other_list(views):
    applied = summary(1)
    views.save(applied, expected_position=0)
    views.save(applied.model_copy(update={"status": "member", "position": 2}), 1)
    assert views.by_status("applied").members == []
    assert [s.member_id for s in views.by_status("member").members] == [applied.member_id]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 at all!",
        "====",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"2026-03-01T09:30:00+00:00#m1").decode(),
        base64.urlsafe_b64encode(b"members#applied").decode(),
        base64.urlsafe_b64encode(f"x#{uuid.uuid4()}".encode()).decode(),
    ],
)
def test_by_status_refuses_a_cursor_it_did_not_hand_out(views, cursor):
    views.save(summary(1), expected_position=0)
    with pytest.raises(InvalidCursor):
        views.by_status("applied", after=cursor)


@pytest.mark.parametrize("limit", [0, -1])
def test_by_status_needs_a_positive_limit(views, limit):
    with pytest.raises(ValueError, match="limit"):
        views.by_status("applied", limit=limit)


# --- generations -----------------------------------------------------------------------------
#
# Readers (get, by_status without a generation) read the control item's ``current``; the
# projector writes every live generation; rebuild builds, verifies, switches, deletes.


def start_building(views: MemberViews, owner: str = "other", lease_until: float = NOW) -> int:
    state = views.generations.read()
    views.generations.write(
        state, state.following(building=state.current + 1, owner=owner, lease_until=lease_until)
    )
    return state.current + 1


def no_wait() -> Timing:
    return Timing(retire_after_s=0, projector_lag_s=0, clock=lambda: NOW, sleep=lambda _: None)


def test_a_table_without_a_control_item_serves_generation_1(views):
    assert views.generations.read() == Generations(current=1, building=None, revision=0)
    first = summary(1)
    views.save(first, expected_position=0)
    assert views.get(first.member_id, generation=1) == first
    assert views.by_status("applied", generation=1).members == [first]
    assert views.get(first.member_id, generation=2) is None


def test_generations_are_isolated_and_readers_see_only_the_current_one(views):
    old = summary(1)
    views.save(old, expected_position=0)
    building = start_building(views)
    new = old.model_copy(update={"applicant_name": "New logic"})
    views.save(new, expected_position=0, generation=building)
    other = summary(2, status="member")
    views.save(other, expected_position=0, generation=building)
    assert views.get(old.member_id) == old
    assert views.by_status("applied").members == [old]
    assert views.by_status("member").members == []
    assert views.get(old.member_id, generation=building) == new
    assert views.by_status("member", generation=building).members == [other]
    # positions are per generation: each generation's condition sees only its own view
    with pytest.raises(ViewChangedConcurrently):
        views.save(new, expected_position=0, generation=building)
    views.save(new.model_copy(update={"position": 2}), expected_position=1)
    assert views.get(old.member_id, generation=building) == new


def test_a_switch_makes_every_reader_see_the_new_generation_at_once(views):
    old = summary(1)
    views.save(old, expected_position=0)
    building = start_building(views)
    new = old.model_copy(update={"applicant_name": "New logic"})
    views.put_many([new], generation=building)
    state = views.generations.read()
    views.generations.write(state, state.following(current=building, building=None, owner=None))
    assert views.get(old.member_id) == new
    assert views.by_status("applied").members == [new]
    page = views.by_status("applied", limit=1)  # cursors carry no generation
    assert page.next_cursor is None


def test_a_control_write_at_a_stale_revision_fails_and_changes_nothing(views):
    start_building(views, owner="first")
    read_by_both = views.generations.read()
    switched = read_by_both.following(current=2, building=None, owner=None)
    views.generations.write(read_by_both, switched)
    with pytest.raises(GenerationsChanged):  # the second writer decided on the same state
        views.generations.write(read_by_both, read_by_both.following(owner="second"))
    assert views.generations.read() == switched
    with pytest.raises(GenerationsChanged):  # a first write expects no item at all
        views.generations.write(Generations(), Generations(current=7, revision=1))
    assert views.generations.read() == switched


def test_threads_racing_to_begin_a_build_let_exactly_one_win(views):
    state = views.generations.read()
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def begin(owner: str) -> None:
        barrier.wait()
        try:
            views.generations.write(state, state.following(building=2, owner=owner))
            winners.append(owner)
        except GenerationsChanged:
            pass

    threads = [threading.Thread(target=begin, args=(f"r{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert views.generations.read().owner == winners[0]


def test_put_many_writes_only_into_the_building_generation(views):
    members = [summary(n) for n in range(30)]  # more than one BatchWriteItem
    with pytest.raises(ValueError, match="not being built"):
        views.put_many(members, generation=1)
    assert views.by_status("applied").members == []
    building = start_building(views)
    views.put_many(members, generation=building)
    stored = views.get_many([m.member_id for m in members] + [str(uuid.uuid4())], building)
    assert stored == {m.member_id: m for m in members}
    assert views.get_many([m.member_id for m in members], 1) == {}


def test_drop_deletes_one_generation_and_refuses_live_ones(views):
    kept = summary(1)
    views.save(kept, expected_position=0)
    building = start_building(views)
    views.put_many([summary(n) for n in range(30)], generation=building)
    for generation in (1, building):
        with pytest.raises(ValueError, match="live"):
            views.drop(generation)
    state = views.generations.read()
    views.generations.write(state, state.following(building=None, owner=None))
    assert views.drop(building) == 30
    assert views.get_many([summary(n).member_id for n in range(30)], building) == {}
    assert views.by_status("applied", generation=building).members == []
    assert views.get(kept.member_id) == kept
    assert views.generations.read().current == 1


# --- the projector and rebuild on every adapter ----------------------------------------------


def populated(count: int = 5) -> tuple[InMemoryEventStore, list[str]]:
    return populated_store(count)


def project(store: InMemoryEventStore, views: MemberViews, items=None) -> MemberDirectoryProjector:
    projector = MemberDirectoryProjector(store, views)
    for item in store.appended if items is None else items:
        projector.apply(MAPPER.recorded_events(item))
    return projector


def expected_directory(store: InMemoryEventStore) -> dict[str, MemberSummary]:
    reference = InMemoryMemberViews()
    project(store, reference)
    return dict(reference.summaries)


def test_the_projector_writes_every_live_generation(views):
    store, ids = populated(2)
    project(store, views, store.appended[:1])
    building = start_building(views)
    project(store, views)  # the rest, and the first again: each generation by its position
    expected = expected_directory(store)
    assert views.get_many(ids, 1) == expected
    assert views.get_many(ids, building) == expected


def test_rebuild_fills_verifies_switches_and_deletes_the_old_generation(views):
    store, ids = populated()
    projector = project(store, views)
    tampered = views.get(ids[1])
    views.save(tampered.model_copy(update={"applicant_name": "Mallory"}), tampered.position)
    steps: list[str] = []
    report = rebuild(store, [projector], segments=2, on_step=steps.append, timing=no_wait())
    assert [(d.key, d.problem) for d in report.differences] == [(f"member#{ids[1]}", "different")]
    assert [(s.old, s.new, s.repaired, s.deleted) for s in report.switches] == [(1, 2, 0, 5)]
    assert views.generations.read() == Generations(current=2, revision=3)  # begin, switch, forget
    assert views.get_many(ids, 2) == expected_directory(store)
    assert views.get(ids[1]) == tampered
    assert views.get_many(ids, 1) == {}  # deleted
    assert verify(store, [projector]).differences == []
    assert steps == [
        "membership.directory: building generation 2",
        "membership.directory: generation 2 verified and now served (was 1)",
        "membership.directory: generation 1 deleted (5 items)",
    ]
    rebuild(store, [projector], timing=no_wait())  # and again: generation 3
    assert views.generations.read().current == 3
    assert views.get_many(ids, 3) == expected_directory(store)


def test_readers_get_the_old_generation_until_the_switch_and_nothing_live_is_lost(views):
    store, ids = populated()
    projector = project(store, views)
    old = views.get(ids[0])
    views.save(old.model_copy(update={"applicant_name": "Old logic"}), old.position)
    seen: list[tuple[str, list[str]]] = []
    late: list[str] = []

    one_at_a_time = threading.Lock()  # the segments report from their own threads

    def meanwhile(progress) -> None:
        with one_at_a_time:
            names = [s.applicant_name for s in views.by_status("applied").members]
            seen.append((progress.phase, names))
            if progress.phase == "build" and not late:  # the service goes on meanwhile
                before = len(store.appended)
                application_id = apply_for_membership(store, KEYS, application(9), CONTEXT)
                late.append(application_id.application_id)
                add_member_note(store, KEYS, ids[1], AddMemberNote(text="meanwhile"), CONTEXT)
                project(store, views, store.appended[before:])

    rebuild(store, [projector], segments=2, on_progress=meanwhile, timing=no_wait())
    assert seen and all("Old logic" in names for _, names in seen)
    assert all("Person 9" in names for _, names in seen[1:])
    assert views.get(ids[0]).applicant_name == "Person 0"
    assert views.get_many([*ids, *late], 2) == expected_directory(store)
    assert views.get(ids[1]).note_count == 1
    assert verify(store, [projector]).differences == []


def test_a_second_rebuild_fails_while_the_first_holds_its_lease(views):
    store, _ = populated(2)
    projector = project(store, views)
    start_building(views, owner="first", lease_until=NOW + 1)
    before = views.generations.read()
    with pytest.raises(RebuildInProgress, match="another rebuild is building generation 2"):
        rebuild(store, [projector], timing=no_wait())
    assert views.generations.read() == before


def test_an_abandoned_build_is_taken_over_and_its_leftovers_repaired(views):
    store, ids = populated()
    projector = project(store, views)
    building = start_building(views, owner="crashed", lease_until=NOW - 1)
    wrong = views.get(ids[0]).model_copy(update={"applicant_name": "half-built"})
    views.put_many([wrong], generation=building)
    steps: list[str] = []
    rebuild(store, [projector], on_step=steps.append, timing=no_wait())
    assert (
        steps[0] == "membership.directory: building generation 2 (taking over an abandoned build)"
    )
    assert views.generations.read().current == building
    assert views.get_many(ids, building) == expected_directory(store)


def test_a_switch_loses_cleanly_to_a_rebuild_that_took_over(views):
    store, ids = populated()
    projector = project(store, views)

    one_at_a_time = threading.Lock()

    def take_over(progress) -> None:
        with one_at_a_time:
            state = views.generations.read()
            if progress.phase == "verify" and state.owner != "thief":
                views.generations.write(state, state.following(owner="thief"))

    with pytest.raises(GenerationSwitchLost, match="no longer this rebuild's"):
        rebuild(store, [projector], on_progress=take_over, timing=no_wait())
    state = views.generations.read()
    assert (state.current, state.building, state.owner) == (1, 2, "thief")
    assert views.get_many(ids, 1) == expected_directory(store)  # still served, untouched


def test_a_failed_rebuild_lets_the_next_one_take_over_at_once(views):
    store, ids = populated()
    projector = project(store, views)

    def crash(progress) -> None:
        raise RuntimeError("the network went away")

    with pytest.raises(RuntimeError, match="network"):
        rebuild(store, [projector], on_progress=crash, timing=no_wait())
    state = views.generations.read()
    assert (state.current, state.building, state.lease_until) == (1, 2, 0.0)
    rebuild(store, [projector], timing=no_wait())
    assert views.generations.read().current == 2


def test_a_retired_generation_left_behind_is_deleted_by_the_next_rebuild(views):
    store, ids = populated()
    projector = project(store, views)
    state = views.generations.read()
    views.generations.write(state, state.following(building=2, owner="x"))
    for member_id in ids:  # built, switched to, then the rebuild stopped
        projector.repair(next(s for s in store.read_all() if s.stream_id.endswith(member_id)), 2)
    state = views.generations.read()
    views.generations.write(
        state,
        state.following(current=2, building=None, owner=None, retired=1, retired_until=NOW),
    )
    slept: list[float] = []
    clock = iter([NOW - 5, *[NOW + 1] * 20])
    timing = Timing(
        retire_after_s=0, projector_lag_s=0, clock=lambda: next(clock), sleep=slept.append
    )
    steps: list[str] = []
    rebuild(store, [projector], on_step=steps.append, timing=timing)
    assert slept == [5]  # the old generation's readers got their time
    assert steps[:2] == [
        "membership.directory: deleting generation 1 in 5 s",
        "membership.directory: generation 1 deleted (5 items)",
    ]
    assert views.generations.read().current == 3
    assert views.get_many(ids, 1) == {} and views.get_many(ids, 2) == {}
