"""The fee schedule in the staff app: the version in force, the upcoming and the earlier ones,
and a form to set a version from a date. Served by the staff web function behind the session
guard (``verein.staff_app``); the JSON staff API (``staff.py``) does the same for scripts.

The form works without JavaScript: it comes filled in with the types in force and three empty
rows; a row without a code is left out (how a type is removed), more types take one more save.
Its random ``form_id`` is the idempotency key, so a form sent twice sets the version once.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from verein.eventstore import CommandContext
from verein.fees.schedule import FeeSchedule, FeeType, ScheduleVersion
from verein.fees.usecases import IdempotencyKeyReused, fee_schedule, set_fee_schedule
from verein.fees.web.messages import MESSAGES
from verein.fees.web.staff import FeePorts, today
from verein.fees.web.values import (
    MAX_LABEL,
    TYPE_FIELDS,
    InputError,
    amount,
    day_text,
    euros,
    form_amount,
    read_version,
)
from verein.kernel.errors import DomainRuleViolated
from verein.staff_app.guard import current_session
from verein.staff_app.pages import StaffPages
from verein.web.errors import FieldError
from verein.web.i18n import Language
from verein.web.pages import Link
from verein.web.requests import form_values, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
PAGES = StaffPages(Path(__file__).parent / "templates", MESSAGES)
logger = Logger(child=True)

PAGE = "/control/fees"
EMPTY_ROWS = 3
"""Empty rows below the prefilled ones: room for new types without JavaScript."""
MAX_ROW = 100
"""Rows are numbered from 0 in the form's field names (``code-0``); higher ones are ignored."""
MAX_LENGTHS = {"code": 40, "label_de": MAX_LABEL, "label_en": MAX_LABEL, "yearly_fee": 20}
"""How much of a typed value is shown again (never more than the field takes)."""
_ROW_FIELD = re.compile(r"^(code|label_de|label_en|yearly_fee)-([0-9]{1,3})$")

Text = Annotated[str | None, Query(max_length=200)]
Row = dict[str, str]


def _ports() -> FeePorts:
    return cast(FeePorts, ports(router))


def sections(language: Language) -> list[Link]:
    """The fee schedule's entry in the staff navigation."""
    return [Link(MESSAGES.translate("fees.title", language), f"{PAGE}?lang={language}")]


@router.get(PAGE, summary="The fee schedule (page)")
def fees_page(done: Text = None) -> Response[str]:
    return _page(done=done == "set")


@router.post(PAGE, summary="Set a version of the fee schedule (form)")
def set_fees() -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    rows = posted_rows(values)
    filled = [n for n, row in rows.items() if row["code"]]
    types = [{**rows[n], "yearly_fee": form_amount(rows[n]["yearly_fee"])} for n in filled]
    read = read_version(values.get("effective_from", "").strip(), types, form=True)
    if not isinstance(read, ScheduleVersion):
        return _page(values=values, rows=rows, errors=_form_errors(read, filled, language))
    staff = current_session(router).staff
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor=staff.actor)
    form_id = values.get("form_id", "")[:100] or None
    ports = _ports()
    try:
        set_fee_schedule(
            ports.event_store,
            read,
            context,
            idempotency_key=form_id,
            keyed_hash=ports.keyed_hash if form_id else None,
        )
    except IdempotencyKeyReused:
        # Sent before with other entries (back button, changed, sent again): a new form id,
        # so that sending these entries once more is a new request.
        error = FieldError("", MESSAGES.translate("fees.form_reused", language))
        values = {**values, "form_id": uuid.uuid4().hex}
        return _page(values=values, rows=rows, errors=[error], status=409)
    except DomainRuleViolated as refused:  # read_version checks the rules first
        error = FieldError("", MESSAGES.translate(refused.code, language))
        return _page(values=values, rows=rows, errors=[error], status=refused.status)
    location = f"{PAGE}?lang={language}&done=set#top"
    return Response(303, "text/html; charset=utf-8", "", headers={"Location": location})


def posted_rows(values: dict[str, str]) -> dict[int, Row]:
    """The form's rows by number, each value trimmed; every field present (empty if not sent)."""
    rows: dict[int, Row] = {}
    for name, value in values.items():
        match = _ROW_FIELD.fullmatch(name)
        if match and int(match[2]) < MAX_ROW:
            row = rows.setdefault(int(match[2]), dict.fromkeys(TYPE_FIELDS, ""))
            row[match[1]] = value.strip()
    return dict(sorted(rows.items()))


def _form_errors(
    errors: list[InputError], filled: list[int], language: Language
) -> list[FieldError]:
    """Each error at its field in the form (``yearly_fee-2``); in the summary with its row."""
    found: list[FieldError] = []
    for error in errors:
        message = MESSAGES.translate(error.key, language)
        if error.row is None:
            field = "effective_from" if error.field == "effective_from" else _first_code(filled)
        else:
            number = filled[error.row]
            field = f"{'code' if error.field == 'types' else error.field}-{number}"
        found.append(FieldError(field, message))
    return found


def _first_code(filled: list[int]) -> str:
    return f"code-{filled[0] if filled else 0}"


def _page(
    *,
    done: bool = False,
    values: dict[str, str] | None = None,
    rows: dict[int, Row] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 422,
) -> Response[str]:
    language = request_language(router, (values or {}).get("lang"))
    day = today()
    schedule = fee_schedule(_ports().event_store)
    current = schedule.on(day)
    upcoming = schedule.upcoming(day)
    if rows is None:
        start = current or (upcoming[0] if upcoming else None)
        rows = _prefilled(start.types if start else (), language)
    elif not rows:  # a post without any row (not from our form): empty rows to fill in
        rows = _prefilled((), language)
    values = values or {"effective_from": date(day.year + 1, 1, 1).isoformat()}
    by_field = {e.field: e.message for e in reversed(errors or [])}
    return PAGES.render(
        router,
        "fees/schedule.html",
        MESSAGES.translate("fees.title", language),
        status=status if errors else 200,
        done=done,
        errors=[_in_summary(e, language) for e in errors or []],
        by_field=by_field,
        current=current,
        since=day_text(current.effective_from, language) if current else "",
        upcoming=[(day_text(v.effective_from, language), v) for v in upcoming],
        past=_past(schedule, day, language),
        values=values,
        rows=rows,
        max_lengths=MAX_LENGTHS,
        form_id=values.get("form_id") or uuid.uuid4().hex,
        action=PAGE,
        eur=lambda cents: euros(cents, language),
    )


def _in_summary(error: FieldError, language: Language) -> FieldError:
    """A row's error names its row in the summary: "Beitragsart 2: …"."""
    match = _ROW_FIELD.fullmatch(error.field)
    if not match:
        return error
    row = MESSAGES.translate("fees.row", language, n=str(int(match[2]) + 1))
    return FieldError(error.field, f"{row}: {error.message}")


def _prefilled(types: tuple[FeeType, ...], language: Language) -> dict[int, Row]:
    rows: dict[int, Row] = {
        n: {
            "code": t.code,
            "label_de": t.label_de,
            "label_en": t.label_en,
            "yearly_fee": amount(t.yearly_fee_cents, language),
        }
        for n, t in enumerate(types)
    }
    for n in range(len(types), len(types) + EMPTY_ROWS):
        rows[n] = dict.fromkeys(TYPE_FIELDS, "")
    return rows


def _past(schedule: FeeSchedule, day: date, language: Language) -> list[tuple[str, Any]]:
    """Earlier versions, newest first, each with the days it was in force."""
    shown: list[tuple[str, Any]] = []
    for version in schedule.past(day):
        until = schedule.until(version)
        start = day_text(version.effective_from, language)
        end = day_text(until - timedelta(days=1), language) if until else ""
        shown.append((MESSAGES.translate("fees.range", language, start=start, end=end), version))
    return shown
