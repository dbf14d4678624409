"""The membership application: request model (form and JSON) and its HTML form."""

from __future__ import annotations

from html import escape
from typing import Literal

from pydantic import Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from verein.membership.commands import ApplyForMembership
from verein.membership.domain_events import MembershipType
from verein.membership.web.messages import MESSAGES
from verein.web.errors import FieldError
from verein.web.html import error_summary, page
from verein.web.i18n import Language
from verein.web.inputs import EmailAddress, SingleLineText, WebInput

FORM_ACTION = "/membership/applications"
MAX_LENGTH = {"name": 200, "email": 254, "organisation": 200}
"""Longest value each text field takes; the form never echoes more than this."""


class MembershipApplicationRequest(WebInput):
    """What the public form (``application/x-www-form-urlencoded``) or a JSON client sends."""

    form_checkboxes = frozenset({"privacy_consent"})

    name: SingleLineText = Field(min_length=1, max_length=MAX_LENGTH["name"])
    email: EmailAddress = Field(max_length=MAX_LENGTH["email"])
    organisation: SingleLineText | None = Field(default=None, max_length=MAX_LENGTH["organisation"])
    membership_type: MembershipType
    privacy_consent: StrictBool = Field(
        default=False, validate_default=True, json_schema_extra={"const": True}
    )
    lang: Literal["de", "en"] | None = None

    @field_validator("organisation")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("privacy_consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if not value:
            raise PydanticCustomError("consent_required", "consent is required")
        return value

    def to_command(self, language: Language) -> ApplyForMembership:
        return ApplyForMembership(
            applicant_name=self.name,
            email=str(self.email),
            organisation=self.organisation,
            membership_type=self.membership_type,
            language=language,
            privacy_consent=self.privacy_consent,
        )


def render_form(
    language: Language,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> str:
    values = values or {}
    errors = errors or []
    by_field = {e.field: e.message for e in errors if e.field}

    def field_note(name: str) -> str:
        message = by_field.get(name)
        return (
            f'<span class="field-error" id="{name}-error">{escape(message)}</span>'
            if message
            else ""
        )

    def invalid(name: str) -> str:
        return f' aria-invalid="true" aria-describedby="{name}-error"' if name in by_field else ""

    def text_input(name: str, kind: str, required: bool) -> str:
        longest = MAX_LENGTH[name]
        return (
            f'<label for="{name}">{escape(MESSAGES.translate("field." + name, language))}'
            f"{field_note(name)}</label>"
            f'<input type="{kind}" id="{name}" name="{name}" maxlength="{longest}" '
            f'value="{escape(values.get(name, "")[:longest])}"{" required" if required else ""}'
            f"{invalid(name)}>"
        )

    chosen = values.get("membership_type", "")
    options = "".join(
        f'<label class="choice"><input type="radio" name="membership_type" value="{t.value}"'
        f"{' checked' if chosen == t.value else ''} required> "
        f"{escape(MESSAGES.translate('membership_type.' + t.value, language))}</label>"
        for t in MembershipType
    )
    consent_checked = " checked" if values.get("privacy_consent") in ("on", "true", "1") else ""
    body = (
        f"<p>{escape(MESSAGES.translate('form.intro', language))}</p>"
        + error_summary([e.message for e in errors], language)
        + f'<form method="post" action="{FORM_ACTION}" accept-charset="utf-8" novalidate>'
        f'<input type="hidden" name="lang" value="{language}">'
        + text_input("name", "text", required=True)
        + text_input("email", "email", required=True)
        + text_input("organisation", "text", required=False)
        + f"<fieldset{invalid('membership_type')}><legend><strong>"
        f"{escape(MESSAGES.translate('field.membership_type', language))}</strong>"
        f"{field_note('membership_type')}</legend>{options}</fieldset>"
        f'<label class="choice"><input type="checkbox" name="privacy_consent" value="on"'
        f"{consent_checked} required{invalid('privacy_consent')}> "
        f"{escape(MESSAGES.translate('field.privacy_consent', language))}"
        f"{field_note('privacy_consent')}</label>"
        f'<button type="submit">{escape(MESSAGES.translate("form.submit", language))}</button>'
        "</form>"
    )
    return page(MESSAGES.translate("form.title", language), body, language)
