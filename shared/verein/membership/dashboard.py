"""The staff dashboard (pure, no AWS): members by status and type, joins and leaves per month,
the yearly fee income to expect, and the open applications with their age.

``compute`` works on the member summaries as the views store them, on the association's day
``today``: the status and type in force that day (``MemberSummary.status_on``/``type_on``), a
notice whose last day has passed counting as ended, as the scheduled function will record it.
Each member counts once, whichever way the summaries were read (see ``compute``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from verein.fees.schedule import FeeSchedule
from verein.kernel.clock import local_day
from verein.membership.views.summary import MemberSummary

MONTHS = 24
"""How many calendar months the joins and leaves cover, the current one included."""
MEMBER_STATUSES = ("active", "terminating")
"""Who is a member (and pays a fee): an active membership or one under notice."""
READ_ORDER = ("applied", "rejected", "withdrawn", "active", "terminating", "ended")
"""Every status the directory lists, in the order a membership passes through them: a member
who moves on while the dashboard reads is seen twice (and counted once), not missed."""

Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class StatusCounts(BaseModel):
    """How many memberships and applications are in each status today."""

    applied: int = 0
    active: int = 0
    terminating: int = 0
    """Under notice, the last day still ahead."""
    ended: int = 0
    rejected: int = 0
    withdrawn: int = 0


class TypeCount(BaseModel):
    membership_type: str
    """A code: ``company``/``individual`` as applied for, or a code of the fee schedule."""
    members: int


class MonthCount(BaseModel):
    month: Month
    """``YYYY-MM``, a month of the association's calendar."""
    joins: int
    """Memberships approved in the month (``member_since``)."""
    leaves: int
    """Memberships whose last day (``ends_on``) fell in the month and that have ended."""


class TypeIncome(BaseModel):
    membership_type: str
    members: int
    yearly_fee_cents: int
    """The type's fee in the schedule in force today."""
    expected_cents: int
    """``members`` times ``yearly_fee_cents``."""


class FeeIncome(BaseModel):
    """The yearly fees the members of today owe at today's fees. Honest about what is not
    known: no schedule in force, or types it does not list."""

    schedule_from: date | None
    """Since when the fee schedule in force today applies; null if none is in force, and then
    no fee is known (``total_cents`` null, every member under ``no_fee_known``)."""
    by_type: list[TypeIncome]
    """Every type of the schedule in force, in its order (types without members too)."""
    no_fee_known: list[TypeCount]
    """Members whose type has no fee in the schedule in force (or no schedule is), by type."""
    total_cents: int | None
    """The sum of ``by_type``; null when no schedule is in force."""


class OpenApplication(BaseModel):
    member_id: str
    applicant_name: str
    organisation: str | None
    membership_type: str
    applied_at: datetime
    """When the application came in."""
    applied_on: date
    """Its day in the association's calendar."""
    age_days: int
    """Days since ``applied_on`` (0: today)."""


class Dashboard(BaseModel):
    today: date
    """The association's day the numbers are of."""
    by_status: StatusCounts
    members: int
    """Active and under notice: who is a member today."""
    members_by_type: list[TypeCount]
    """Members by the type in force today, most first (then by code)."""
    months: list[MonthCount]
    """The 24 calendar months up to and including the current one, oldest first; months
    without joins or leaves included."""
    joins: int
    """All joins in ``months``."""
    leaves: int
    """All leaves in ``months``."""
    income: FeeIncome
    open_applications: list[OpenApplication]
    """Status ``applied``, oldest first."""


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window(today: date, months: int = MONTHS) -> list[str]:
    """The ``months`` calendar months up to and including ``today``'s, oldest first."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def latest(summaries: Iterable[MemberSummary]) -> list[MemberSummary]:
    """One summary per member: the furthest along (highest ``position``) of those given."""
    by_id: dict[str, MemberSummary] = {}
    for summary in summaries:
        seen = by_id.get(summary.member_id)
        if seen is None or summary.position > seen.position:
            by_id[summary.member_id] = summary
    return list(by_id.values())


def compute(summaries: Iterable[MemberSummary], schedule: FeeSchedule, today: date) -> Dashboard:
    """The dashboard of ``today`` from every member summary (any order; a member read twice,
    e.g. in two statuses while it moved on, counts once, as its furthest summary)."""
    members = latest(summaries)
    statuses = Counter(m.status_on(today) for m in members)
    current = [m for m in members if m.status_on(today) in MEMBER_STATUSES]
    types = Counter(m.type_on(today) for m in current)
    months = window(today)
    joins = Counter(month_of(m.member_since) for m in members if m.member_since is not None)
    leaves = Counter(
        month_of(m.ends_on)
        for m in members
        if m.ends_on is not None and m.status_on(today) == "ended"
    )
    open_applications = sorted(
        (m for m in members if m.status_on(today) == "applied"),
        key=lambda m: (m.applied_at, m.member_id),
    )
    return Dashboard(
        today=today,
        by_status=StatusCounts(**{s: statuses[s] for s in StatusCounts.model_fields}),
        members=len(current),
        members_by_type=_type_counts(types),
        months=[MonthCount(month=m, joins=joins[m], leaves=leaves[m]) for m in months],
        joins=sum(joins[m] for m in months),
        leaves=sum(leaves[m] for m in months),
        income=_income(types, schedule, today),
        open_applications=[_open(m, today) for m in open_applications],
    )


def _type_counts(types: Counter[str]) -> list[TypeCount]:
    ordered = sorted(types.items(), key=lambda item: (-item[1], item[0]))
    return [TypeCount(membership_type=code, members=count) for code, count in ordered]


def _income(types: Counter[str], schedule: FeeSchedule, today: date) -> FeeIncome:
    version = schedule.on(today)
    if version is None:
        return FeeIncome(
            schedule_from=None, by_type=[], no_fee_known=_type_counts(types), total_cents=None
        )
    by_type = [
        TypeIncome(
            membership_type=fee_type.code,
            members=types[fee_type.code],
            yearly_fee_cents=fee_type.yearly_fee_cents,
            expected_cents=types[fee_type.code] * fee_type.yearly_fee_cents,
        )
        for fee_type in version.types
    ]
    unknown = Counter({code: n for code, n in types.items() if version.type(code) is None})
    return FeeIncome(
        schedule_from=version.effective_from,
        by_type=by_type,
        no_fee_known=_type_counts(unknown),
        total_cents=sum(t.expected_cents for t in by_type),
    )


def _open(member: MemberSummary, today: date) -> OpenApplication:
    applied_on = local_day(member.applied_at)
    return OpenApplication(
        member_id=member.member_id,
        applicant_name=member.applicant_name,
        organisation=member.organisation,
        membership_type=member.membership_type,
        applied_at=member.applied_at,
        applied_on=applied_on,
        age_days=max(0, (today - applied_on).days),
    )
