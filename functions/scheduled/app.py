"""Scheduled: ends the memberships whose last day has passed (EventBridge Scheduler, daily at
00:15 Europe/Berlin; see ``verein.membership.ending``). No HTTP route.

"Today" is the association's calendar day (``verein.kernel.clock``), never taken from the
event: EventBridge Scheduler sends the template's fixed ``Input`` and nothing else. Only where
``TODAY_FROM_EVENT`` is ``true``, which the template never sets and the local stack does
(``POST /_local/schedules/ScheduledFunction?today=YYYY-MM-DD``), may an invocation name the
day in ``detail.today``, so tests can run the schedule as of a later day.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.eventstore import CommandContext
from verein.kernel import clock
from verein.membership.ending import EndingIncomplete, EndingReport, end_due_memberships
from verein.tracing import handler_tracer

NEEDS = ("CLAIM_KEY_SECRET_ARN",)
"""Settings this function cannot start without (checked at cold start)."""
ACTOR = "system:schedule"
"""Who the domain events this function appends name as their actor."""
TODAY_FROM_EVENT = os.environ.get("TODAY_FROM_EVENT", "false") == "true"
"""Whether ``detail.today`` of the event is honoured: only in the local stack."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def the_day(event: Any, today_from_event: bool, fallback: Callable[[], date]) -> date:
    """The day to run as of: ``detail.today`` where allowed and given, else ``fallback()``."""
    detail = event.get("detail") if isinstance(event, dict) else None
    named = detail.get("today") if isinstance(detail, dict) else None
    if named is None or not today_from_event:
        return fallback()
    try:
        if not isinstance(named, str) or not _DAY.match(named):
            raise ValueError(named)
        return date.fromisoformat(named)
    except ValueError:
        raise ValueError("detail.today must be a day, YYYY-MM-DD") from None


def lambda_handler(
    adapters: Adapters,
    *,
    today: Callable[[], date] = clock.today,
    today_from_event: bool = TODAY_FROM_EVENT,
) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, working with ``adapters`` (tests pass their own, and a clock)."""

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        day = the_day(event, today_from_event, today)
        logger.set_correlation_id(context.aws_request_id)
        command_context = CommandContext(correlation_id=context.aws_request_id, actor=ACTOR)
        try:
            report = end_due_memberships(
                adapters.event_store,
                adapters.keyed_hash,
                adapters.member_views,
                day,
                command_context,
            )
        except EndingIncomplete as incomplete:
            # Counts only: no member ids, names or addresses in the logs. The error makes
            # Lambda retry the invocation; the memberships ended already are done then.
            logger.error("memberships not all ended", extra=_fields(day, incomplete.report))
            raise
        logger.info("memberships ended", extra=_fields(day, report))
        return _fields(day, report)

    return handler


def _fields(day: date, report: EndingReport) -> dict[str, Any]:
    return {"today": day.isoformat(), **asdict(report)}


handler = lambda_handler(adapters)
