"""The staff dashboard for scripts (``GET /staff/dashboard``, the staff API) and what the staff
app's page (``control/dashboard.py``) shares with it: reading every summary once.

Every summary of the served generation is read with Queries on the ``by_list`` index, one
status after the other, page by page (never a Scan); the numbers are computed in memory
(``verein.membership.dashboard``). At 5,000 members that is about a dozen Queries and a few
megabytes read per view (ARCHITECTURE.md, "Dashboard").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import cast

from verein.fees.schedule import FeeSchedule
from verein.fees.usecases import fee_schedule
from verein.kernel.clock import today
from verein.membership.dashboard import READ_ORDER, Dashboard, compute
from verein.membership.feature import MembershipPorts
from verein.membership.views.store import MemberViews
from verein.membership.views.summary import MemberSummary
from verein.membership.web.messages import MESSAGES
from verein.web.openapi import problems
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)

PAGE = 1000
"""Summaries per page of a status (a Query returns at most 1 MB, so more Queries may serve
one page)."""


def every_summary(views: MemberViews) -> Iterator[MemberSummary]:
    """Every summary of the generation served when the reading starts, status by status: a
    rebuild's switch in the middle does not mix two generations."""
    generation = views.generations.read().current
    for status in READ_ORDER:
        after: str | None = None
        while True:
            page = views.by_status(status, PAGE, after, generation)
            yield from page.members
            if page.next_cursor is None:
                break
            after = page.next_cursor


def read_dashboard(
    ports: MembershipPorts, day: date | None = None
) -> tuple[Dashboard, FeeSchedule]:
    """The dashboard of ``day`` (today if None), with the schedule it used (for its labels)."""
    schedule = fee_schedule(ports.event_store)
    board = compute(every_summary(ports.member_views), schedule, day or today())
    return board, schedule


@router.get(
    "/staff/dashboard",
    summary="Members by status and type, joins and leaves per month for 24 months, the "
    "yearly fee income to expect, the open applications with their age",
    responses={
        200: {
            "description": "The dashboard of today (the association's day, Europe/Berlin)",
            "content": {"application/json": {"model": Dashboard}},
        },
        **problems(401, 403, 500),
    },
)
def get_dashboard() -> Dashboard:
    board, _ = read_dashboard(cast(MembershipPorts, ports(router)))
    return board
