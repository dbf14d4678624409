"""The membership application: request model (form and JSON) and its HTML form."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from verein.membership.commands import ApplyForMembership
from verein.membership.domain_events import MembershipType
from verein.membership.web.consent import consent_link_text, consent_text, consent_version
from verein.membership.web.messages import MESSAGES
from verein.web.errors import FieldError
from verein.web.i18n import Language
from verein.web.inputs import EmailAddress, SingleLineText, WebInput
from verein.web.pages import Templates, association, switch_href

TEMPLATES = Templates(Path(__file__).parent / "templates", MESSAGES)
"""Membership's pages (``templates/membership/``) on the shared layout."""

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
        """The command, with the version of the consent text this language's form shows."""
        return ApplyForMembership(
            applicant_name=self.name,
            email=str(self.email),
            organisation=self.organisation,
            membership_type=self.membership_type,
            language=language,
            privacy_consent=self.privacy_consent,
            consent_version=consent_version(language, association()),
        )


_ANCHORS = {"membership_type": f"membership_type-{MembershipType.COMPANY.value}"}
"""Where the error summary's link for a field points when the field's id is not its name."""


def render_form(
    language: Language,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> str:
    """The form page (the router's form page: also shown again with ``errors``)."""
    errors = errors or []
    return TEMPLATES.render(
        "membership/form.html",
        language,
        title=MESSAGES.translate("form.title", language),
        switch_href=switch_href("/membership/apply", language),
        action=FORM_ACTION,
        values=values or {},
        errors=errors,
        by_field={e.field: e.message for e in errors if e.field},
        anchors=_ANCHORS,
        max_length=MAX_LENGTH,
        membership_types=[t.value for t in MembershipType],
        consent_text=consent_text(language, association()),
        consent_link_text=consent_link_text(language),
    )
