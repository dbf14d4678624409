"""The staff dashboard's numbers (``verein.membership.dashboard``): by status and type, joins
and leaves per month, the fee income to expect, the open applications; and, for any set of
summaries, that every member counts exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from verein.fees.schedule import FeeSchedule, FeeType, ScheduleVersion
from verein.membership.dashboard import (
    MONTHS,
    compute,
    month_of,
    window,
)
from verein.membership.views.summary import MemberSummary

TODAY = date(2026, 3, 15)
SMALL = FeeType(code="company-s", label_de="Firma", label_en="Company", yearly_fee_cents=12000)
SINGLE = FeeType(code="individual", label_de="Einzel", label_en="Single", yearly_fee_cents=6000)
HONORARY = FeeType(code="honorary", label_de="Ehren", label_en="Honorary", yearly_fee_cents=0)
SCHEDULE = FeeSchedule(
    versions=(
        ScheduleVersion(effective_from=date(2025, 1, 1), types=(SMALL, SINGLE)),
        ScheduleVersion(effective_from=date(2026, 1, 1), types=(SMALL, SINGLE, HONORARY)),
        ScheduleVersion(
            effective_from=date(2027, 1, 1),
            types=(SMALL.model_copy(update={"yearly_fee_cents": 99_999}),),
        ),
    )
)


def member(n: int, status: str = "active", **fields) -> MemberSummary:
    values = {
        "member_id": str(uuid.UUID(int=n)),
        "status": status,
        "applicant_name": f"Person {n}",
        "email": f"p{n}@example.org",
        "organisation": None,
        "membership_type": "individual",
        "language": "de",
        "applied_at": datetime(2024, 1, 1, 9, tzinfo=UTC) + timedelta(days=n),
        "position": 2,
    }
    if status in ("active", "terminating", "ended"):
        values["member_since"] = date(2024, 1, 2)
    return MemberSummary(**(values | fields))


def test_an_empty_association_has_24_empty_months_and_no_known_income_without_a_schedule():
    board = compute([], FeeSchedule(), TODAY)
    assert board.members == 0
    assert board.by_status.model_dump() == dict.fromkeys(
        ("applied", "active", "terminating", "ended", "rejected", "withdrawn"), 0
    )
    assert [m.month for m in board.months][:2] == ["2024-04", "2024-05"]
    assert board.months[-1].month == "2026-03"
    assert len(board.months) == MONTHS
    assert all(m.joins == m.leaves == 0 for m in board.months)
    assert board.income.schedule_from is None
    assert board.income.total_cents is None
    assert board.open_applications == []


def test_the_window_crosses_years_and_ends_with_the_current_month():
    assert window(date(2026, 1, 31), 3) == ["2025-11", "2025-12", "2026-01"]
    assert window(date(2026, 12, 1), 1) == ["2026-12"]
    assert len(set(window(TODAY))) == 24


def test_statuses_are_the_ones_in_force_today():
    summaries = [
        member(1, "applied"),
        member(2, "active"),
        member(3, "terminating", ends_on=date(2026, 12, 31)),
        member(4, "terminating", ends_on=date(2026, 3, 14)),  # last day yesterday: ended
        member(5, "terminating", ends_on=date(2026, 3, 15)),  # last day today: still a member
        member(6, "ended", ends_on=date(2025, 6, 30)),
        member(7, "rejected"),
        member(8, "withdrawn"),
    ]
    board = compute(summaries, SCHEDULE, TODAY)
    assert board.by_status.model_dump() == {
        "applied": 1,
        "active": 1,
        "terminating": 2,
        "ended": 2,
        "rejected": 1,
        "withdrawn": 1,
    }
    assert board.members == 3


def test_joins_and_leaves_fall_into_their_months_and_older_ones_are_left_out():
    summaries = [
        member(1, member_since=date(2026, 3, 1)),
        member(2, member_since=date(2026, 3, 15)),
        member(3, member_since=date(2024, 4, 1)),  # the first month of the window
        member(4, member_since=date(2024, 3, 31)),  # just before it
        member(5, "ended", member_since=date(2025, 2, 1), ends_on=date(2025, 12, 31)),
        member(6, "terminating", member_since=date(2025, 2, 3), ends_on=date(2026, 2, 28)),
        member(7, "terminating", member_since=date(2025, 2, 3), ends_on=date(2026, 12, 31)),
        member(8, "ended", ends_on=date(2020, 12, 31)),  # left long ago
    ]
    board = compute(summaries, SCHEDULE, TODAY)
    by_month = {m.month: (m.joins, m.leaves) for m in board.months}
    assert by_month["2026-03"] == (2, 0)
    assert by_month["2024-04"] == (1, 0)
    assert by_month["2025-02"] == (3, 0)
    assert by_month["2025-12"] == (0, 1)
    assert by_month["2026-02"] == (0, 1)  # a notice that has taken effect is a leave
    assert (board.joins, board.leaves) == (6, 2)  # member 7 has not left yet


def test_members_by_type_use_the_type_in_force_today():
    summaries = [
        member(1, membership_type="company-s"),
        member(2, membership_type="company-s"),
        # changed to honorary from next month: still individual today
        member(
            3, membership_type="honorary", type_since=date(2026, 4, 1), previous_type="individual"
        ),
        # changed last month
        member(
            4, membership_type="honorary", type_since=date(2026, 2, 1), previous_type="individual"
        ),
        member(5, "applied", membership_type="company"),  # not a member: not counted
        member(6, "ended", membership_type="company-s", ends_on=date(2025, 1, 1)),
    ]
    board = compute(summaries, SCHEDULE, TODAY)
    assert [(t.membership_type, t.members) for t in board.members_by_type] == [
        ("company-s", 2),
        ("honorary", 1),
        ("individual", 1),
    ]


def test_income_is_members_times_the_fee_in_force_and_unknown_types_are_listed_apart():
    summaries = [
        member(1, membership_type="company-s"),
        member(2, "terminating", membership_type="company-s", ends_on=date(2026, 12, 31)),
        member(3, membership_type="individual"),
        member(4, membership_type="honorary"),
        member(5, membership_type="company"),  # as applied for: the schedule has no such code
        member(6, membership_type="retired-code"),
        member(7, membership_type="retired-code"),
    ]
    income = compute(summaries, SCHEDULE, TODAY).income
    assert income.schedule_from == date(2026, 1, 1)
    assert [(t.membership_type, t.members, t.expected_cents) for t in income.by_type] == [
        ("company-s", 2, 24000),
        ("individual", 1, 6000),
        ("honorary", 1, 0),
    ]
    assert income.total_cents == 30000
    assert [(t.membership_type, t.members) for t in income.no_fee_known] == [
        ("retired-code", 2),
        ("company", 1),
    ]


def test_without_a_schedule_in_force_no_fee_is_known():
    later = FeeSchedule(
        versions=(ScheduleVersion(effective_from=date(2027, 1, 1), types=(SMALL,)),)
    )
    income = compute([member(1, membership_type="company-s")], later, TODAY).income
    assert income.schedule_from is None
    assert income.by_type == []
    assert income.total_cents is None
    assert [(t.membership_type, t.members) for t in income.no_fee_known] == [("company-s", 1)]


def test_open_applications_oldest_first_with_their_age_in_the_associations_days():
    summaries = [
        member(1, "applied", applied_at=datetime(2026, 3, 10, 12, tzinfo=UTC)),
        # 23:30 UTC on 28 Feb is 1 March in Berlin
        member(2, "applied", applied_at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC)),
        member(3, "applied", applied_at=datetime(2026, 3, 15, 6, tzinfo=UTC)),
        member(4, "active"),
    ]
    board = compute(summaries, SCHEDULE, TODAY)
    assert [(a.member_id[-1], a.applied_on, a.age_days) for a in board.open_applications] == [
        ("2", date(2026, 3, 1), 14),
        ("1", date(2026, 3, 10), 5),
        ("3", date(2026, 3, 15), 0),
    ]


def test_a_member_read_twice_counts_once_as_the_summary_furthest_along():
    applied = member(1, "applied", position=1, member_since=None)
    approved = member(1, "active", position=2, member_since=date(2026, 3, 15))
    for order in ([applied, approved], [approved, applied], [approved, approved]):
        board = compute(order, SCHEDULE, TODAY)
        assert board.by_status.active == 1
        assert board.by_status.applied == 0
        assert board.joins == 1
        assert board.open_applications == []


def test_the_dashboard_is_json_with_months_as_text():
    document = compute([member(1)], SCHEDULE, TODAY).model_dump(mode="json")
    assert document["today"] == "2026-03-15"
    assert document["months"][-1] == {"month": "2026-03", "joins": 0, "leaves": 0}


# --- for any summaries -----------------------------------------------------------------------

STATUSES = ("applied", "active", "terminating", "ended", "rejected", "withdrawn")
TYPES = ("company", "individual", "company-s", "honorary", "gone")
days = st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def summaries(draw) -> MemberSummary:
    status = draw(st.sampled_from(STATUSES))
    applied_on = draw(st.dates(min_value=date(2022, 1, 1), max_value=TODAY))
    since = ends = None
    if status in ("active", "terminating", "ended"):
        since = draw(st.dates(min_value=applied_on, max_value=TODAY))
    if status in ("terminating", "ended"):
        ends = draw(days.filter(lambda d, s=since: d >= s))
    changed = draw(st.one_of(st.none(), days))
    return member(
        draw(st.integers(1, 40)),
        status,
        applied_at=datetime(applied_on.year, applied_on.month, applied_on.day, 10, tzinfo=UTC),
        member_since=since,
        ends_on=ends,
        membership_type=draw(st.sampled_from(TYPES)),
        type_since=changed,
        previous_type=draw(st.sampled_from(TYPES)) if changed else None,
        position=draw(st.integers(1, 9)),
    )


def distinct(items: list[MemberSummary]) -> list[MemberSummary]:
    best: dict[str, MemberSummary] = {}
    for s in items:
        if s.member_id not in best or s.position > best[s.member_id].position:
            best[s.member_id] = s
    return list(best.values())


@given(st.lists(summaries(), max_size=60), st.sampled_from([SCHEDULE, FeeSchedule()]))
def test_every_member_counts_once_and_the_parts_add_up(items, schedule):
    board = compute(items, schedule, TODAY)
    members = distinct(items)
    assert sum(board.by_status.model_dump().values()) == len(members)
    assert board.members == board.by_status.active + board.by_status.terminating
    assert sum(t.members for t in board.members_by_type) == board.members

    months = set(window(TODAY))
    in_window = [m for m in members if m.member_since and month_of(m.member_since) in months]
    assert sum(m.joins for m in board.months) == board.joins == len(in_window)
    left = [
        m
        for m in members
        if m.status_on(TODAY) == "ended" and m.ends_on and month_of(m.ends_on) in months
    ]
    assert sum(m.leaves for m in board.months) == board.leaves == len(left)
    assert board.leaves <= board.by_status.ended

    income = board.income
    paying = sum(t.members for t in income.by_type)
    assert paying + sum(t.members for t in income.no_fee_known) == board.members
    if schedule.on(TODAY) is None:
        assert income.total_cents is None and income.by_type == []
    else:
        assert income.total_cents == sum(t.members * t.yearly_fee_cents for t in income.by_type)

    assert len(board.open_applications) == board.by_status.applied
    assert len({a.member_id for a in board.open_applications}) == board.by_status.applied
    ages = [a.age_days for a in board.open_applications]
    assert ages == sorted(ages, reverse=True)
    assert all(a >= 0 for a in ages)


@given(st.lists(summaries(), max_size=40), st.randoms())
def test_reading_a_summary_again_or_in_another_order_changes_nothing(items, random):
    # One summary per member and position, as the views hold them.
    items = list({(s.member_id, s.position): s for s in items}.values())
    again = items + random.sample(items, len(items) // 2)
    random.shuffle(again)
    assert compute(again, SCHEDULE, TODAY) == compute(items, SCHEDULE, TODAY)


# --- the page's chart (server-side SVG) ------------------------------------------------------


def test_the_scale_has_at_most_four_round_steps():
    from verein.membership.web.control.dashboard import nice_scale

    assert nice_scale(0) == (1, 1)
    assert nice_scale(3) == (1, 3)
    assert nice_scale(4) == (1, 4)
    assert nice_scale(7) == (2, 8)
    assert nice_scale(10) == (5, 10)
    assert nice_scale(130) == (50, 150)
    for largest in range(0, 2000, 7):
        step, top = nice_scale(largest)
        assert top >= largest and top // step <= 4 and top % step == 0


def test_the_chart_draws_bars_to_scale_and_labels_months_and_years():
    from verein.membership.web.control.dashboard import BASE, TOP, chart

    board = compute(
        [member(1, member_since=date(2026, 3, 1)), member(2, member_since=date(2026, 3, 2))]
        + [member(3, "ended", member_since=date(2020, 1, 1), ends_on=date(2025, 1, 31))],
        SCHEDULE,
        TODAY,
    )
    drawn = chart(board.months, "de")
    assert len(drawn.months) == 24
    last = drawn.months[-1]
    assert (last.joins.value, last.joins.height, last.joins.y) == (2, BASE - TOP, TOP)
    january = next(m for m in drawn.months if m.title.startswith("Januar 2025"))
    assert january.leaves.value == 1 and january.leaves.height == (BASE - TOP) // 2
    assert january.year == "2025" and not january.minor
    assert last.label == "Mär" and last.minor
    assert drawn.months[0].year == "2024"  # April 2024: the first month names its year
    assert [v for v, _ in drawn.ticks] == [0, 1, 2]
    assert "insgesamt Beitritte: 2, Austritte: 1" in drawn.summary
    assert chart(board.months, "en").months[-1].title == "March 2026: joins 2, leaves 0"


def test_types_are_named_by_the_schedule_then_the_application_form_then_their_code():
    from verein.membership.web.control.dashboard import type_labels

    retired = FeeSchedule(
        versions=(
            ScheduleVersion(
                effective_from=date(2020, 1, 1),
                types=(FeeType(code="old", label_de="Alt", label_en="Old", yearly_fee_cents=1),),
            ),
            *SCHEDULE.versions,
        )
    )
    labels = type_labels(retired, TODAY, "en")
    assert labels["company-s"] == "Company"
    assert labels["old"] == "Old"  # no longer in force: still its name
    assert labels["individual"] == "Single"  # the schedule's name wins over the form's
    assert labels["company"] == "Company"
    assert "nothing" not in labels
