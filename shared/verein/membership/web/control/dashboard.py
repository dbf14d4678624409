"""The dashboard page: the numbers as cards and small tables, joins and leaves per month as a
bar chart, the fee income to expect, the open applications with their age.

The chart is inline SVG drawn here, on the server (no JavaScript, nothing the page CSP would
refuse: presentation attributes and classes, no style attributes). Across, its positions are
percentages of the chart's width, so it fills a phone and a desktop alike while its text keeps
its size; the page hides every other month's label and the values on a narrow screen
(``STAFF_STYLE``). A table with the same numbers follows it, for screen readers and for
anyone who wants them exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response

from verein.fees.schedule import FeeSchedule
from verein.fees.web.values import euros
from verein.membership.dashboard import Dashboard, MonthCount
from verein.membership.web.control.common import (
    DASHBOARD,
    LIST,
    PAGES,
    control_ports,
    member_href,
    router,
)
from verein.membership.web.control.context import APPLICATION_KINDS, type_label
from verein.membership.web.dashboard import read_dashboard
from verein.membership.web.messages import MESSAGES
from verein.staff_app.pages import local_date
from verein.web.i18n import Language
from verein.web.requests import request_language

PAGE = DASHBOARD
OPEN_SHOWN = 20
"""Open applications on the page, the oldest; the list has them all."""

# The chart's geometry: across in percent of its width, down in pixels.
LEFT = 6.0
"""Room for the scale's numbers."""
RIGHT = 98.0
"""Room for the last month's label."""
HEIGHT = 240
TOP = 14
BASE = 194
"""The baseline: bars grow up from here."""
MONTH_Y = 212
YEAR_Y = 230
JOINS_COLOUR = "#0b4f9c"
LEAVES_COLOUR = "#d55e00"
"""Blue and vermilion: told apart with every common colour-vision deficiency, each with at
least 3:1 contrast to white; joins always left of leaves besides."""


@dataclass(frozen=True)
class Bar:
    x: str
    y: int
    width: str
    height: int
    value: int
    label_x: str


@dataclass(frozen=True)
class ChartMonth:
    title: str
    """What the month's bars say on hover: ``März 2026: 3 Beitritte, 1 Austritte``."""
    joins: Bar
    leaves: Bar
    label: str
    label_x: str
    minor: bool
    """A label hidden on narrow screens (all but January, April, July and October)."""
    year: str | None
    """Under January, and under the first month if a January is not right after it."""


@dataclass(frozen=True)
class Chart:
    months: list[ChartMonth]
    ticks: list[tuple[int, int]]
    """(value, y) of the scale's lines, from 0 up."""
    summary: str
    """What the chart shows, in a sentence (its accessible name)."""


def nice_scale(largest: int) -> tuple[int, int]:
    """(step, top) of a scale with at most 4 steps of 1, 2 or 5 times a power of ten that
    reaches ``largest``: 0-4 -> steps of 1, 7 -> 2 up to 8, 130 -> 50 up to 150."""
    largest = max(largest, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if -(-largest // step) <= 4:
                return step, step * -(-largest // step)
        magnitude *= 10


def _pct(value: float) -> str:
    return f"{value:.3f}%"


def month_name(month: str, language: Language, *, short: bool = False) -> str:
    year, number = month.split("-")
    kind = "month_short" if short else "month"
    return f"{MESSAGES.translate(f'dashboard.{kind}.{int(number)}', language)} {year}"


def chart(months: list[MonthCount], language: Language) -> Chart:
    step, top = nice_scale(max([m.joins for m in months] + [m.leaves for m in months] + [0]))
    slot = (RIGHT - LEFT) / len(months)

    def bar(value: int, start: float) -> Bar:
        height = round(value / top * (BASE - TOP))
        if value and height < 2:
            height = 2  # one join among hundreds still shows
        return Bar(
            x=_pct(start),
            y=BASE - height,
            width=_pct(slot * 0.36),
            height=height,
            value=value,
            label_x=_pct(start + slot * 0.18),
        )

    drawn: list[ChartMonth] = []
    for n, month in enumerate(months):
        left = LEFT + n * slot
        number = int(month.month[5:])
        first_year = n == 0 and number <= 10
        drawn.append(
            ChartMonth(
                title=MESSAGES.translate(
                    "dashboard.chart.bar",
                    language,
                    month=month_name(month.month, language),
                    joins=str(month.joins),
                    leaves=str(month.leaves),
                ),
                joins=bar(month.joins, left + slot * 0.12),
                leaves=bar(month.leaves, left + slot * 0.52),
                label=MESSAGES.translate(f"dashboard.month_short.{number}", language),
                label_x=_pct(left + slot / 2),
                minor=number not in (1, 4, 7, 10),
                year=month.month[:4] if number == 1 or first_year else None,
            )
        )
    ticks = [(v, BASE - round(v / top * (BASE - TOP))) for v in range(0, top + 1, step)]
    summary = MESSAGES.translate(
        "dashboard.chart.summary",
        language,
        first=month_name(months[0].month, language),
        last=month_name(months[-1].month, language),
        joins=str(sum(m.joins for m in months)),
        leaves=str(sum(m.leaves for m in months)),
    )
    return Chart(drawn, ticks, summary)


def type_labels(schedule: FeeSchedule, day: date, language: Language) -> dict[str, str]:
    """Each code's name: from the version in force, else the latest version that had it (a
    type since removed), else the kinds of the application form; else the code itself."""
    labels: dict[str, str] = {}
    in_force = schedule.on(day)
    for version in [*schedule.versions, *([in_force] if in_force else [])]:
        for fee_type in version.types:
            labels[fee_type.code] = fee_type.label(language)
    for kind in APPLICATION_KINDS:
        labels.setdefault(kind, type_label(kind, [], language))
    return labels


def age(days: int, language: Language) -> str:
    if days <= 1:
        return MESSAGES.translate(f"dashboard.age.{days}", language)
    return MESSAGES.translate("dashboard.age.n", language, days=str(days))


@router.get(PAGE, summary="The dashboard (page)")
def dashboard_page() -> Response[str]:
    language = request_language(router)
    board, schedule = read_dashboard(control_ports())
    return render(board, schedule, language)


def render(board: Dashboard, schedule: FeeSchedule, language: Language) -> Response[str]:
    labels = type_labels(schedule, board.today, language)
    shown = board.open_applications[:OPEN_SHOWN]
    return PAGES.render(
        router,
        "membership/dashboard.html",
        MESSAGES.translate("dashboard.title", language),
        board=board,
        chart=chart(board.months, language),
        period=MESSAGES.translate(
            "dashboard.chart.period",
            language,
            first=month_name(board.months[0].month, language),
            last=month_name(board.months[-1].month, language),
        ),
        months=[(month_name(m.month, language), m) for m in reversed(board.months)],
        colours={"joins": JOINS_COLOUR, "leaves": LEAVES_COLOUR},
        height=HEIGHT,
        geometry={"base": BASE, "month_y": MONTH_Y, "year_y": YEAR_Y, "left": _pct(LEFT)},
        scale_x=_pct(LEFT - 1),
        right=_pct(RIGHT),
        label=lambda code: labels.get(code, code),
        eur=lambda cents: euros(cents, language),
        age=lambda days: age(days, language),
        today_text=local_date(board.today, language),
        status_href=lambda status: f"{LIST}?{urlencode({'status': status, 'lang': language})}",
        open_rows=[
            (a, member_href(a.member_id, language), local_date(a.applied_on, language))
            for a in shown
        ],
        open_all_href=f"{LIST}?{urlencode({'status': 'applied', 'lang': language})}",
        fees_href=f"/control/fees?lang={language}",
    )
