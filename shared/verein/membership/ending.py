"""The nightly run that ends memberships whose last day has passed (``ScheduledFunction``).

The directory view says whom to look at: every summary listed as ``terminating`` whose
``ends_on`` lies before ``today`` (``decider.has_ended``, the same rule every view "as of a
day" uses). The member's stream decides: ``lifecycle.end_membership`` runs the command on
the stream's state, so a view that lags behind (notice withdrawn meanwhile, ended already) is
harmless, and appends ``MembershipEnded`` conditionally on the stream's version, so two runs
at once, or a run repeated after a timeout, end each membership once. A second run finds the
same summaries (until the projector moved them to ``ended``) and has nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from verein.eventstore import CommandContext, EventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.decider import has_ended
from verein.membership.lifecycle import end_membership
from verein.membership.views.store import MemberViews

PAGE_SIZE = 100
LISTED = "terminating"


@dataclass(frozen=True)
class EndingReport:
    """What one run did; numbers only, no member ids (they go to the logs)."""

    checked: int
    """Summaries listed as ``terminating``."""
    ended: int
    """Memberships this run ended (``MembershipEnded`` appended)."""
    not_due: int
    """Listed ones whose last day is today or later (or not known): left alone."""
    unchanged: int = 0
    """Due by the view, but the stream had nothing to do: ended already (by another run, an
    exclusion) or the notice was withdrawn, and the view has not caught up yet."""
    failed: int = 0
    """Due ones whose command failed (an error of the store): tried again by the next run."""


class EndingIncomplete(Exception):
    """Some memberships could not be ended; the others were. ``report`` says how many."""

    def __init__(self, report: EndingReport, first_error: BaseException) -> None:
        super().__init__(
            f"{report.failed} of {report.checked} memberships failed: {type(first_error).__name__}"
        )
        self.report = report


def end_due_memberships(
    store: EventStore,
    keyed_hash: KeyedHash,
    views: MemberViews,
    today: date,
    context: CommandContext,
    *,
    page_size: int = PAGE_SIZE,
) -> EndingReport:
    """End every listed membership whose last day is before ``today`` (the association's day).

    One member's failure does not stop the others: the run goes on and then raises
    ``EndingIncomplete`` (with the report), so the caller sees the error and a retry, which
    finds the ended ones done, tries the rest again.
    """
    checked = ended = not_due = unchanged = failed = 0
    first_error: BaseException | None = None
    after: str | None = None
    while True:
        # The cursor is a position in the list: members this run moves to "ended" meanwhile
        # (the projector is asynchronous, in-memory views may be synchronous) do not shift it.
        page = views.by_status(LISTED, limit=page_size, after=after)
        for summary in page.members:
            checked += 1
            if summary.ends_on is None or not has_ended(summary.ends_on, today):
                not_due += 1
                continue
            try:
                done = end_membership(store, keyed_hash, summary.member_id, context, today)
            except Exception as error:  # reported after the others had their turn
                failed += 1
                first_error = first_error or error
                continue
            if done:
                ended += 1
            else:
                unchanged += 1
        if page.next_cursor is None:
            break
        after = page.next_cursor
    report = EndingReport(checked, ended, not_due, unchanged, failed)
    if first_error is not None:
        raise EndingIncomplete(report, first_error) from first_error
    return report
