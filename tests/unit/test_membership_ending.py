"""The nightly run that ends memberships (``verein.membership.ending``) and its function
(``functions/scheduled``): due ones end, others not; twice, concurrently or on a lagging view,
each membership ends once; the directory then says what it said "as of" that day."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functions.scheduled.app as scheduled
from local_aws.functions import LambdaContext
from tests.samples import MAPPER, application
from verein.bootstrap import Adapters
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.domain_events import MembershipEnded
from verein.membership.ending import EndingIncomplete, EndingReport, end_due_memberships
from verein.membership.lifecycle import give_notice, withdraw_notice
from verein.membership.notice import NoticePolicy
from verein.membership.numbers import MemberNumbers
from verein.membership.usecases import apply_for_membership, approve_application
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import InMemoryMemberViews
from verein.settings import Settings

KEYS = KeyedHash(b"k" * 32)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")
SCHEDULE = CommandContext(correlation_id="run", actor="system:schedule")
TODAY = date(2027, 1, 1)
GIVEN_ON = date(2026, 9, 1)


class Directory:
    """An in-memory store and its member directory, projected when asked (as the change
    stream would, later)."""

    def __init__(self) -> None:
        self.store = InMemoryEventStore(MAPPER)
        self.views = InMemoryMemberViews()
        self.projector = MemberDirectoryProjector(self.store, self.views)
        self.numbers = MemberNumbers(self.store)
        self._projected = 0
        self._people = 0

    def project(self) -> None:
        for item in self.store.appended[self._projected :]:
            self.projector.apply(MAPPER.recorded_events(item))
        self._projected = len(self.store.appended)

    def member(self, ends_on: date | None = None) -> str:
        """An active member; under notice until ``ends_on`` if given (projected)."""
        n = self._people
        self._people += 1
        member_id = apply_for_membership(self.store, KEYS, application(n), STAFF).application_id
        approve_application(self.store, KEYS, self.numbers, member_id, STAFF)
        if ends_on is not None:
            give_notice(
                self.store,
                KEYS,
                member_id,
                STAFF,
                today=min(GIVEN_ON, ends_on),
                policy=NoticePolicy(),
                ends_on=ends_on,
            )
        self.project()
        return member_id

    def run(self, today: date = TODAY, **options: Any) -> EndingReport:
        return end_due_memberships(self.store, KEYS, self.views, today, SCHEDULE, **options)

    def ended(self, member_id: str) -> list[MembershipEnded]:
        return [
            e.payload
            for e in self.store.load(f"member#{member_id}")
            if isinstance(e.payload, MembershipEnded)
        ]

    def status(self, member_id: str) -> str:
        summary = self.views.get(member_id)
        assert summary is not None
        return summary.status


@pytest.fixture
def directory() -> Directory:
    return Directory()


def test_a_membership_whose_last_day_was_yesterday_ends_one_ending_today_not(directory):
    yesterday, today, tomorrow = (directory.member(TODAY + timedelta(days=d)) for d in (-1, 0, 1))
    active = directory.member()
    report = directory.run()
    assert report == EndingReport(checked=3, ended=1, not_due=2)
    directory.project()
    assert directory.ended(yesterday) == [MembershipEnded(ended_on=TODAY - timedelta(days=1))]
    assert [directory.status(m) for m in (yesterday, today, tomorrow, active)] == [
        "ended",
        "terminating",
        "terminating",
        "active",
    ]
    # The end freed the address: the person may apply again (a new membership stream).
    assert not apply_for_membership(directory.store, KEYS, application(0), STAFF).already_received
    assert apply_for_membership(directory.store, KEYS, application(1), STAFF).already_received


def test_the_appended_end_names_the_schedule_as_its_actor(directory):
    member_id = directory.member(TODAY - timedelta(days=3))
    directory.run()
    last = directory.store.load(f"member#{member_id}")[-1]
    assert isinstance(last.payload, MembershipEnded)
    assert (last.metadata.actor, last.metadata.correlation_id) == ("system:schedule", "run")
    assert last.metadata.subject_id == member_id


def test_a_second_run_ends_nothing_again_whether_or_not_the_view_caught_up(directory):
    member_id = directory.member(TODAY - timedelta(days=1))
    assert directory.run().ended == 1
    # The view still lists the member under notice: the stream says it is done.
    assert directory.run() == EndingReport(checked=1, ended=0, not_due=0, unchanged=1)
    directory.project()
    assert directory.run() == EndingReport(checked=0, ended=0, not_due=0)
    assert len(directory.ended(member_id)) == 1


def test_a_view_behind_its_stream_appends_nothing(directory):
    """The summary still says "terminating"; the member took the notice back meanwhile."""
    member_id = directory.member(TODAY - timedelta(days=1))
    withdraw_notice(directory.store, KEYS, member_id, STAFF, reason="bleibt doch")
    before = len(directory.store.appended)
    assert directory.run() == EndingReport(checked=1, ended=0, not_due=0, unchanged=1)
    assert len(directory.store.appended) == before
    directory.project()
    assert directory.status(member_id) == "active"


def test_concurrent_runs_end_each_membership_once(directory):
    due = [directory.member(TODAY - timedelta(days=1)) for _ in range(12)]
    reports: list[EndingReport] = []
    lock = threading.Lock()

    def run() -> None:
        report = directory.run(page_size=5)
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.ended for r in reports) == 12
    assert all(r.failed == 0 and r.ended + r.unchanged == 12 for r in reports)
    assert all(len(directory.ended(m)) == 1 for m in due)


def test_every_page_is_read_even_when_the_view_changes_under_the_run(directory):
    """With the projector applying each end at once (in-memory views can be that quick), the
    list shrinks while the run pages through it: the cursor is a position, nothing is skipped."""
    due = [directory.member(TODAY - timedelta(days=1 + n % 3)) for n in range(7)]
    later = [directory.member(TODAY + timedelta(days=n)) for n in range(3)]
    original = directory.store.append

    def append_and_project(*args: Any, **kwargs: Any) -> int:
        version = original(*args, **kwargs)
        directory.project()
        return version

    directory.store.append = append_and_project  # type: ignore[method-assign]
    assert directory.run(page_size=2) == EndingReport(checked=10, ended=7, not_due=3)
    assert {directory.status(m) for m in due} == {"ended"}
    assert {directory.status(m) for m in later} == {"terminating"}


def test_one_failing_membership_does_not_stop_the_others_and_the_run_says_so(directory):
    due = [directory.member(TODAY - timedelta(days=1)) for _ in range(3)]
    broken = f"member#{due[1]}"
    original = directory.store.append

    def append(stream_id: str, *args: Any, **kwargs: Any) -> int:
        if stream_id == broken:
            raise ConnectionError("the store is unreachable")
        return original(stream_id, *args, **kwargs)

    directory.store.append = append  # type: ignore[method-assign]
    with pytest.raises(EndingIncomplete) as incomplete:
        directory.run()
    assert incomplete.value.report == EndingReport(checked=3, ended=2, not_due=0, failed=1)
    assert isinstance(incomplete.value.__cause__, ConnectionError)
    directory.store.append = original  # type: ignore[method-assign]
    assert directory.run().ended == 1  # the retry finds the rest done
    assert all(len(directory.ended(m)) == 1 for m in due)


@settings(max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.one_of(st.none(), st.integers(-40, 40)), min_size=1, max_size=6),
    day=st.integers(-3, 45),
)
def test_after_a_run_the_directory_says_what_it_said_as_of_that_day(offsets, day):
    """``MemberSummary.status_on(day)`` (views "as of" a day) and the run share one rule."""
    directory = Directory()
    today = TODAY + timedelta(days=day)
    ids = [directory.member(None if d is None else TODAY + timedelta(days=d)) for d in offsets]
    foreseen = {m: directory.views.get(m).status_on(today) for m in ids}
    directory.run(today)
    directory.project()
    assert {m: directory.status(m) for m in ids} == foreseen


# --- the function ---------------------------------------------------------------------------


def context() -> LambdaContext:
    return LambdaContext("ScheduledFunction", 512, 300)


def adapters_of(directory: Directory) -> Adapters:
    return Adapters(
        Settings.from_environment(),
        event_store=directory.store,
        member_views=directory.views,
        keyed_hash=KEYS,
    )


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The function's log records with their structured fields, as Powertools writes them."""
    return [
        {"level": r.levelname, "message": r.getMessage(), **vars(r)}
        for r in caplog.records
        if r.name == scheduled.logger.name
    ]


def test_the_function_runs_as_of_the_associations_day_and_logs_counts_only(directory, caplog):
    member_id = directory.member(TODAY - timedelta(days=1))
    handler = scheduled.lambda_handler(adapters_of(directory), today=lambda: TODAY)
    caplog.set_level("INFO", logger=scheduled.logger.name)
    # EventBridge Scheduler sends the template's Input; a "today" in it is not honoured here.
    result = handler({"detail": {"today": "2099-01-01"}}, context())
    assert result == {
        "today": "2027-01-01",
        "checked": 1,
        "ended": 1,
        "not_due": 0,
        "unchanged": 0,
        "failed": 0,
    }
    last = directory.store.load(f"member#{member_id}")[-1]
    assert last.metadata.actor == scheduled.ACTOR
    (info,) = [r for r in logged(caplog) if r["message"] == "memberships ended"]
    assert (info["today"], info["checked"], info["ended"]) == ("2027-01-01", 1, 1)
    everything = json.dumps(logged(caplog), default=str)
    summary = directory.views.get(member_id)
    for personal in (member_id, summary.email, summary.applicant_name):
        assert personal not in everything


def test_the_day_comes_from_the_event_only_where_the_local_stack_allows_it(directory):
    directory.member(TODAY + timedelta(days=10))
    local = scheduled.lambda_handler(
        adapters_of(directory), today=lambda: TODAY, today_from_event=True
    )
    assert local({}, context())["ended"] == 0  # no day named: the clock's
    later = {"detail": {"today": (TODAY + timedelta(days=11)).isoformat()}}
    assert local(later, context())["ended"] == 1
    for wrong in ("2027-13-01", "tomorrow", 20270101, "2027-01-01T00:00"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            local({"detail": {"today": wrong}}, context())


def test_a_failed_run_is_an_error_of_the_function_with_the_counts_logged(directory, caplog):
    directory.member(TODAY - timedelta(days=1))
    directory.store.append = _unreachable  # type: ignore[method-assign]
    handler = scheduled.lambda_handler(adapters_of(directory), today=lambda: TODAY)
    with pytest.raises(EndingIncomplete):
        handler({}, context())
    (error,) = [r for r in logged(caplog) if r["level"] == "ERROR"]
    assert (error["checked"], error["failed"], error["today"]) == (1, 1, "2027-01-01")


def _unreachable(*args: Any, **kwargs: Any) -> int:
    raise ConnectionError("the store is unreachable")
