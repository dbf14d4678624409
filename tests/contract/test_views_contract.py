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

from verein.membership.domain_events import MembershipType
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


def all_pages(views: MemberViews, status: str, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = views.by_status(status, limit=limit, after=after)
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
