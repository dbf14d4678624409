"""The association's calendar: dates the rules speak of (notice periods, when a membership
ends, "as of" views) are days in the association's time zone, not in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ASSOCIATION_ZONE = ZoneInfo("Europe/Berlin")
"""A German Verein: a day starts at midnight in Berlin (an approval at 00:30 CET is that day's)."""


def local_day(moment: datetime) -> date:
    """The association's calendar day of ``moment`` (an aware datetime)."""
    return moment.astimezone(ASSOCIATION_ZONE).date()


def today() -> date:
    return local_day(datetime.now(UTC))


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def month_day(text: str) -> tuple[int, int]:
    """``MM-DD`` as (month, day): a day every year has (so never 02-29), else ``ValueError``."""
    found = _MONTH_DAY.match(text)
    if found is None:
        raise ValueError(f"not MM-DD: {text!r}")
    month, day = int(found[1]), int(found[2])
    date(2001, month, day)  # a common year: refuses 02-29 and 04-31 alike
    return month, day
