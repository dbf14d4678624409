"""Turn validation errors (pydantic's, via Powertools) into translated field messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from verein.web.i18n import COMMON, Catalogue, Language

_KIND_BY_PYDANTIC_TYPE = {
    "missing": "missing",
    "string_too_short": "missing",
    "string_too_long": "too_long",
    "json_invalid": "body",
    "model_attributes_type": "body",
    "dict_type": "body",
    "control_characters": "control_characters",
    "broken_encoding": "broken_encoding",
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
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        kind = _KIND_BY_PYDANTIC_TYPE.get(str(error.get("type")), "invalid")
        if kind == "body" or not location or location[0].isdigit():
            result.append(FieldError("", messages.translate("error.body", language)))
            continue
        field = location[0]
        if any(e.field == field for e in result):
            continue  # one message per field is enough for a person
        result.append(FieldError(field, messages.field_error(field, kind, language)))
    return result
