"""What staff send to create or change a group: the same models check the JSON API's bodies
and the staff pages' forms, and the same texts explain what is wrong.

The JSON routes take their body as ``GroupRequest``/``GroupChangeRequest`` (which document the
fields exactly, for the OpenAPI document) and read it here; Powertools does not check the
fields itself, because its messages are keyed by field name across all features, and
``error.name.missing`` is the applicant's name there ("Please enter your name").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from verein.groups.domain_events import GroupKind
from verein.groups.web.messages import MESSAGES
from verein.web.errors import FieldError, translate_errors
from verein.web.i18n import Catalogue, Language
from verein.web.inputs import MultiLineText, SingleLineText

MAX_NAME = 100
MAX_DESCRIPTION = 2000
KINDS: tuple[GroupKind, ...] = ("working_group", "project_group")


class GroupInput(BaseModel):
    """A new group."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: SingleLineText = Field(min_length=1, max_length=MAX_NAME)
    kind: GroupKind
    description: MultiLineText | None = Field(default=None, max_length=MAX_DESCRIPTION)


class GroupChangeInput(BaseModel):
    """A new name or description: what is not sent (or null) stays, an empty description
    clears it."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    name: SingleLineText | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: MultiLineText | None = Field(default=None, max_length=MAX_DESCRIPTION)


# --- the documented request bodies -----------------------------------------------------------

_NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_NAME,
    "description": "One line, unique among the open groups (case-insensitively), e.g. "
    "Arbeitskreis Wirtschaft",
}
_NEW_NAME: dict[str, Any] = {
    "anyOf": [{k: v for k, v in _NAME.items() if k != "description"}, {"type": "null"}],
    "description": "The new name (null or left out: unchanged)",
}
_KIND: dict[str, Any] = {
    "type": "string",
    "enum": list(KINDS),
    "description": "An Arbeitskreis (working_group) or a project group (project_group)",
}
_DESCRIPTION: dict[str, Any] = {
    "anyOf": [{"type": "string", "maxLength": MAX_DESCRIPTION}, {"type": "null"}],
    "description": "What the group does (optional)",
}


class GroupRequest(BaseModel):
    """A new group (``POST /staff/working-groups``): its name, unique among the open groups
    (case-insensitively), its kind, and what it does."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"required": ["name", "kind"]})

    name: Annotated[Any, WithJsonSchema(_NAME)] = None
    kind: Annotated[Any, WithJsonSchema(_KIND)] = None
    description: Annotated[Any, WithJsonSchema(_DESCRIPTION)] = None


class GroupChangeRequest(BaseModel):
    """A group's new name or description (``PATCH /staff/working-groups/{group_id}``): the
    fields sent change (left out or null: unchanged); an empty description clears it."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[Any, WithJsonSchema(_NEW_NAME)] = None
    description: Annotated[Any, WithJsonSchema(_DESCRIPTION)] = None


# --- reading ---------------------------------------------------------------------------------

INPUT_MESSAGES = MESSAGES.merged(
    Catalogue(
        {
            # Only for these models' errors: never merged into a resolver's catalogue, where
            # ``error.name.*`` belongs to the membership form.
            "error.name.missing": {
                "de": "Bitte geben Sie der Gruppe einen Namen.",
                "en": "Please give the group a name.",
            },
            "error.name.invalid": {
                "de": "Der Name ist eine Zeile Text.",
                "en": "The name is one line of text.",
            },
            "error.name.too_long": {
                "de": f"Der Name hat höchstens {MAX_NAME} Zeichen.",
                "en": f"The name has at most {MAX_NAME} characters.",
            },
            "error.kind.choice": {
                "de": "Bitte wählen Sie: Arbeitskreis oder Projektgruppe.",
                "en": "Please choose: working group or project group.",
            },
            "error.kind.missing": {
                "de": "Bitte wählen Sie: Arbeitskreis oder Projektgruppe.",
                "en": "Please choose: working group or project group.",
            },
            "error.description.invalid": {
                "de": "Die Beschreibung ist Text.",
                "en": "The description is text.",
            },
            "error.description.too_long": {
                "de": f"Die Beschreibung hat höchstens {MAX_DESCRIPTION} Zeichen.",
                "en": f"The description has at most {MAX_DESCRIPTION} characters.",
            },
        }
    )
)

M = TypeVar("M", bound=BaseModel)


def read(model: type[M], values: Mapping[str, object], language: Language) -> M | list[FieldError]:
    """``values`` (a JSON body's fields, or a form's) as ``model``, or what is wrong with them,
    one message per field, in ``language``."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        return translate_errors(error.errors(), language, INPUT_MESSAGES)


def sent(body: BaseModel) -> dict[str, Any]:
    """The fields a JSON body had (absent ones are not there, ``null`` ones are)."""
    return {name: getattr(body, name) for name in body.model_fields_set}
