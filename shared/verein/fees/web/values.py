"""Reading a schedule version from what a script or a form sent, and showing amounts and days.

Both the JSON API and the staff page read a version here, so they accept exactly the same
versions; each maps an ``InputError`` to its own field names (``types[2].yearly_fee`` for a
script, the form's ``yearly_fee-2``). Amounts are euros with at most two decimals, kept as
cents; a number must be exactly representable that way (no rounding, ever).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from verein.fees.schedule import CODE_PATTERN, FeeType, ScheduleVersion
from verein.web.i18n import Language
from verein.web.inputs import SingleLineText

MAX_TYPES = 50
MAX_LABEL = 100
MAX_FEE_CENTS = 100_000_000
"""1,000,000.00 EUR: far above any yearly fee; a typo with a few zeros too many is caught."""
AMOUNT_PATTERN = "^[0-9]{1,7}([.,][0-9]{1,2})?$"
DAY_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TYPE_FIELDS = ("code", "label_de", "label_en", "yearly_fee")

_AMOUNT = re.compile(AMOUNT_PATTERN)
_DAY = re.compile(DAY_PATTERN)
_GERMAN_DAY = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_CODE = re.compile(CODE_PATTERN)
_TEXT: TypeAdapter[str] = TypeAdapter(SingleLineText)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class InputError:
    field: str
    """``effective_from``, ``types``, or a type's field (``code``, ``label_de``, …)."""
    key: str
    """The message's key in ``fees.web.messages``."""
    row: int | None = None
    """Which of the types (from 0) a type's field belongs to."""


# --- reading ---------------------------------------------------------------------------------


def read_version(
    effective_from: Any, types: Any, *, form: bool = False
) -> ScheduleVersion | list[InputError]:
    """A version, or everything wrong with the input. ``form``: the values come from the staff
    page (strings, trimmed; a day may also be written ``31.12.2026``)."""
    errors: list[InputError] = []
    day = read_day(effective_from, form=form)
    if isinstance(day, InputError):
        errors.append(day)
    fee_types: list[FeeType] = []
    if types is None:
        errors.append(InputError("types", "fees.error.types.missing"))
    elif not isinstance(types, list):
        errors.append(InputError("types", "fees.error.types.invalid"))
    elif not types:
        errors.append(InputError("types", "fees.no_types"))
    elif len(types) > MAX_TYPES:
        errors.append(InputError("types", "fees.error.types.too_many"))
    else:
        seen: set[str] = set()
        for row, item in enumerate(types):
            read = read_type(item, row)
            if isinstance(read, FeeType):
                fee_types.append(read)
            else:
                errors.extend(read)
            code = item.get("code") if isinstance(item, Mapping) else None
            if isinstance(code, str) and _CODE.fullmatch(code):
                if code in seen:
                    errors.append(InputError("code", "fees.duplicate_code", row))
                seen.add(code)
    if errors or isinstance(day, InputError):
        return errors
    return ScheduleVersion(effective_from=day, types=tuple(fee_types))


def read_day(value: Any, *, form: bool = False) -> date | InputError:
    if value is None or value == "":
        return InputError("effective_from", "fees.error.effective_from.missing")
    if isinstance(value, str):
        german = _GERMAN_DAY.fullmatch(value) if form else None
        if german:
            value = f"{german[3]}-{int(german[2]):02d}-{int(german[1]):02d}"
        if _DAY.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    return InputError("effective_from", "fees.error.effective_from.invalid")


def read_type(item: Any, row: int) -> FeeType | list[InputError]:
    if not isinstance(item, Mapping):
        return [InputError("types", "fees.error.types.item", row)]
    errors: list[InputError] = []
    code = item.get("code")
    if code is None or code == "":
        errors.append(InputError("code", "fees.error.code.missing", row))
    elif not isinstance(code, str) or not _CODE.fullmatch(code):
        errors.append(InputError("code", "fees.error.code.invalid", row))
    labels: dict[str, str] = {}
    for name in ("label_de", "label_en"):
        label, wrong = _label(item.get(name))
        if wrong is None:
            labels[name] = label
        else:
            errors.append(InputError(name, f"fees.error.label.{wrong}", row))
    cents: int | None = None
    fee = item.get("yearly_fee")
    if fee is None or fee == "":
        errors.append(InputError("yearly_fee", "fees.error.yearly_fee.missing", row))
    else:
        try:
            cents = cents_of(fee)
        except ValueError:
            errors.append(InputError("yearly_fee", "fees.error.yearly_fee.invalid", row))
    if errors or cents is None:
        return errors
    return FeeType(
        code=str(code),
        label_de=labels["label_de"],
        label_en=labels["label_en"],
        yearly_fee_cents=cents,
    )


def _label(value: Any) -> tuple[str, str | None]:
    """The label, trimmed, and what is wrong with it if anything (``missing``, ``too_long``,
    ``invalid``, ``control_characters``, ``broken_encoding``)."""
    if value is None:
        return "", "missing"
    if not isinstance(value, str):
        return "", "invalid"
    if len(value) > MAX_LABEL:
        return "", "too_long"
    try:
        text = _TEXT.validate_python(value).strip()
    except ValidationError as error:
        kind = str(error.errors()[0]["type"])
        return "", kind if kind in ("control_characters", "broken_encoding") else "invalid"
    return text, None if text else "missing"


def cents_of(value: Any) -> int:
    """Euros -> cents: a number or a string like ``120``, ``120.5`` or ``120,50``; at most two
    decimals, from 0 to 1,000,000. Anything else is a ``ValueError`` (never rounded)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite amount")
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        match = _AMOUNT.fullmatch(value)
        if not match:
            raise ValueError("not an amount")
        amount = Decimal(value.replace(",", "."))
    else:
        raise ValueError("not an amount")
    try:
        cents = amount * 100
        if cents != cents.to_integral_value():
            raise ValueError("more than two decimals")
    except InvalidOperation as error:
        raise ValueError("not an amount") from error
    if cents < 0 or cents > MAX_FEE_CENTS:
        raise ValueError("out of range")
    return int(cents)


def form_amount(text: str) -> str:
    """What a person typed as an amount, without a euro sign or spaces around it."""
    return text.replace("€", "").removesuffix("EUR").strip()


# --- showing ---------------------------------------------------------------------------------


def euros(cents: int, language: Language) -> str:
    """``1.200,00 €`` (German) or ``€1,200.00`` (English)."""
    whole, rest = divmod(cents, 100)
    grouped = f"{whole:,}"
    if language == "de":
        return f"{grouped.replace(',', '.')},{rest:02d}\u00a0€"
    return f"€{grouped}.{rest:02d}"


def amount(cents: int, language: Language = "en") -> str:
    """Plain, for a form field or the API: ``1200,00`` (German), ``1200.00``."""
    whole, rest = divmod(cents, 100)
    return f"{whole},{rest:02d}" if language == "de" else f"{whole}.{rest:02d}"


def day_text(day: date, language: Language) -> str:
    """``01.01.2027`` (German) or ``1 January 2027``."""
    if language == "de":
        return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
