"""When a notice takes effect: the association's statutes (Satzung) set a term end (by
default the end of the calendar year) and a deadline before it (by default 30 September).
A notice given by the deadline ends the membership at that term's end; a later one at the
next term's end. Both are settings (the template's NoticeDeadline and TermEnd)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from verein.kernel.clock import month_day

if TYPE_CHECKING:
    from verein.settings import Settings


@dataclass(frozen=True)
class NoticePolicy:
    deadline: tuple[int, int] = (9, 30)
    """The last day (month, day) a notice reaches the association to end at the term's end."""
    term_end: tuple[int, int] = (12, 31)
    """The last day (month, day) of a membership year."""

    @classmethod
    def of(cls, deadline: str, term_end: str) -> NoticePolicy:
        return cls(month_day(deadline), month_day(term_end))

    @classmethod
    def from_settings(cls, settings: Settings) -> NoticePolicy:
        """The template's ``NoticeDeadline`` and ``TermEnd`` (checked at cold start)."""
        return cls.of(settings.notice_deadline, settings.term_end)

    def last_day(self, given_on: date) -> date:
        """The last day of membership for a notice given on ``given_on``."""
        for year in range(given_on.year, given_on.year + 3):
            term_end = date(year, *self.term_end)
            # A deadline later in the year than the term end belongs to the term before.
            deadline_year = year if self.deadline <= self.term_end else year - 1
            if given_on <= date(deadline_year, *self.deadline):
                return term_end
        raise AssertionError("every year has a term end")  # pragma: no cover
