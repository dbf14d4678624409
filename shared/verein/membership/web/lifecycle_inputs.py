"""What staff send to change a membership after the application: notice, exclusion, contact
details, the type. The same models check the JSON API's bodies and the staff pages' forms."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from verein.membership.commands import ChangeContactDetails
from verein.membership.domain_events import ContactPerson
from verein.web.inputs import (
    BlankIsNone,
    EmailAddress,
    IsoDate,
    MultiLineText,
    SingleLineText,
    WebInput,
)

Name = SingleLineText
"""A person's or company's name."""
_PHONE = r"^\+?[0-9 ()/\-]{3,40}$"
_POSTAL_CODE = r"^[0-9A-Za-z \-]{3,10}$"
TYPE_CODE = r"^[a-z][a-z0-9-]{0,39}$"


class NoticeRequest(WebInput):
    effective: Annotated[IsoDate | None, BlankIsNone] = None
    """The membership's last day; default: the term end the notice period allows."""
    reason: Annotated[MultiLineText | None, BlankIsNone] = Field(default=None, max_length=2000)


class ReasonRequest(WebInput):
    """An exclusion: the reason is required (the member is told)."""

    reason: MultiLineText = Field(min_length=1, max_length=2000)


class OptionalReasonRequest(WebInput):
    """Taking a notice back: a note on why, if any."""

    reason: Annotated[MultiLineText | None, BlankIsNone] = Field(default=None, max_length=2000)


class ContactPersonInput(WebInput):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name = Field(min_length=1, max_length=200)
    role: Annotated[SingleLineText | None, BlankIsNone] = Field(default=None, max_length=100)
    email: Annotated[EmailAddress | None, BlankIsNone] = Field(default=None, max_length=254)
    phone: Annotated[SingleLineText | None, BlankIsNone] = Field(default=None, pattern=_PHONE)


class ContactChangeRequest(WebInput):
    """``PATCH /staff/members/{id}``: the fields sent change; an empty string clears an
    optional one; ``contacts`` replaces the list. Unknown fields are refused (a typo must not
    look like a change that did nothing)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    applicant_name: Name | None = Field(default=None, min_length=1, max_length=200)
    organisation: SingleLineText | None = Field(default=None, max_length=200)
    email: EmailAddress | None = Field(default=None, max_length=254)
    street: SingleLineText | None = Field(default=None, max_length=200)
    postal_code: SingleLineText | None = Field(default=None, max_length=10)
    city: SingleLineText | None = Field(default=None, max_length=100)
    phone: SingleLineText | None = Field(default=None, max_length=40)
    contacts: list[ContactPersonInput] | None = Field(default=None, max_length=10)

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str | None) -> str | None:
        return _matching(value, _POSTAL_CODE, "postal_code_invalid")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _matching(value, _PHONE, "phone_invalid")

    @model_validator(mode="after")
    def _something(self) -> ContactChangeRequest:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self

    def to_command(self) -> ChangeContactDetails:
        contacts = None
        if self.contacts is not None:
            contacts = tuple(ContactPerson(**c.model_dump()) for c in self.contacts)
        values = self.model_dump(exclude={"contacts"}, exclude_unset=True)
        return ChangeContactDetails(**values, contacts=contacts)


class TypeChangeRequest(WebInput):
    membership_type: str = Field(pattern=TYPE_CODE)
    """A code of the fee schedule in force on ``effective``."""
    effective: Annotated[IsoDate | None, BlankIsNone] = None
    """From when; default: today."""


def _matching(value: str | None, pattern: str, kind: str) -> str | None:
    if value and not re.match(pattern, value):
        raise PydanticCustomError(kind, "not valid")
    return value
