"""Strict input types for request bodies, whether a form or a JSON client sent them.

JSON is taken literally: a string field takes a string (not ``["a"]``), a boolean takes
``true``/``false`` (not ``"yes"``). A form post can only send strings, so ``WebInput`` turns
the form's encoding into those types first: one value per field, and a checked checkbox
(``on``, the browser's default value) as ``True``. Which encoding a request used is request
context, set by the resolver (``verein.web.resolver``) while it handles the request.
"""

from __future__ import annotations

import re
import unicodedata
from contextvars import ContextVar
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from verein.kernel.mailbox import InvalidAddress, canonical_address

form_input: ContextVar[bool] = ContextVar("form_input", default=False)
"""True while the resolver handles an ``application/x-www-form-urlencoded`` request."""

CHECKBOX_ON = "on"
_LINE_BREAKS = frozenset("\n\r\t")
_REPLACEMENT = "\ufffd"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean(value: str, *, multiline: bool) -> str:
    """NFC (one spelling of "ü"), and no control characters: they never belong in a name or a
    note, break CSV and logs, and bidi overrides can make a name read as something else.
    No U+FFFD either (below)."""
    for char in value:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            raise PydanticCustomError("control_characters", "control characters are not allowed")
        if char == _REPLACEMENT:
            # Nobody types U+FFFD: it stands where bytes were not UTF-8 (a proxy or API
            # Gateway replaced them), so the text is not what the person wrote.
            raise PydanticCustomError("broken_encoding", "text with undecodable characters")
    return unicodedata.normalize("NFC", value)


def _single_line(value: str) -> str:
    return _clean(value, multiline=False)


def _multi_line(value: str) -> str:
    return _clean(value, multiline=True)


def _email(value: str) -> str:
    try:
        return canonical_address(value)
    except InvalidAddress:
        raise PydanticCustomError("email_invalid", "not a valid e-mail address") from None


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


def _iso_date(value: Any) -> Any:
    """A day only as ``YYYY-MM-DD`` (what a date field of a form sends, and JSON spells): not
    a number of seconds, nor ``2026-1-5``, which pydantic's lax dates would take."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise PydanticCustomError("date_format", "a day as YYYY-MM-DD")


BlankIsNone = BeforeValidator(_blank_is_none)
"""An optional field left empty (a form sends ``""``) is absent."""
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
SingleLineText = Annotated[StrictStr, AfterValidator(_single_line)]
MultiLineText = Annotated[StrictStr, AfterValidator(_multi_line)]
EmailAddress = Annotated[StrictStr, AfterValidator(_email)]


class WebInput(BaseModel):
    """Base of request bodies that a plain HTML form may post as well as a JSON client."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    form_checkboxes: ClassVar[frozenset[str]] = frozenset()
    """Fields a form sends as a checkbox: present with ``on`` means True, absent False."""

    @model_validator(mode="before")
    @classmethod
    def _from_form(cls, data: Any) -> Any:
        if not (form_input.get() and isinstance(data, dict)):
            return data
        values: dict[str, Any] = {}
        for name, raw in data.items():
            # Powertools hands form fields over as lists; a repeated field stays a list and
            # fails the string type, as it should (none of our fields repeats).
            value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
            if name in cls.form_checkboxes and value == CHECKBOX_ON:
                value = True
            values[name] = value
        return values
