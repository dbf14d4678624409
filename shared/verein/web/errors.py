"""Turn validation errors (pydantic's, via Powertools) into translated field messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from verein.web.i18n import COMMON, Catalogue, Language

_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})

_KIND_BY_PYDANTIC_TYPE = {
    "missing": "missing",
    "string_too_short": "missing",
    "string_too_long": "too_long",
    "json_invalid": "body",
    "model_attributes_type": "body",
    "dict_type": "body",
    "control_characters": "control_characters",
    "broken_encoding": "broken_encoding",
    "literal_error": "choice",
    "enum": "choice",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    """Field name, or ``""`` for the request as a whole."""
    message: str


def translate_errors(
    errors: Iterable[Mapping[str, Any]], language: Language, messages: Catalogue = COMMON
) -> list[FieldError]:
    """One message per field, from ``messages`` (a feature's texts for its own fields)."""
    result: list[FieldError] = []
    for error in errors:
        # Powertools puts where the value came from first: the field is what follows.
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in _SOURCES:
            location = location[1:]
        kind = _KIND_BY_PYDANTIC_TYPE.get(str(error.get("type")), "invalid")
        if kind == "body" or not location or location[0].isdigit():
            result.append(FieldError("", messages.translate("error.body", language)))
            continue
        field = location[0]
        if any(e.field == field for e in result):
            continue  # one message per field is enough for a person
        if kind == "choice":
            message = _choice(field, error, language, messages)
        else:
            message = messages.field_error(field, kind, language)
        result.append(FieldError(field, message))
    return result


def _choice(field: str, error: Mapping[str, Any], language: Language, messages: Catalogue) -> str:
    """A field's own words for a wrong choice (a form's radio buttons), else the allowed
    values (a script's query parameter): never just "not valid"."""
    for key in (f"error.{field}.choice", f"error.{field}.invalid"):
        if key in messages:
            return messages.translate(key, language)
    expected = str((error.get("ctx") or {}).get("expected", ""))
    # pydantic joins the values in English ("'a', 'b' or 'c'"): listed as they are instead.
    values = re.findall(r"'([^']*)'", expected)
    allowed = ", ".join(values) if values else expected
    return messages.translate("error.choice", language, allowed=allowed)
