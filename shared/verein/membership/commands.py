"""What can be asked of a membership. Input validation happens before (web layer)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from verein.membership.domain_events import MembershipType


class ApplyForMembership(BaseModel):
    """A person or company applies."""

    model_config = ConfigDict(frozen=True)

    applicant_name: str
    email: str
    organisation: str | None
    membership_type: MembershipType
    language: Literal["de", "en"]
    privacy_consent: bool
    consent_version: str
    """The version of the consent text the applicant was shown (``membership.web.consent``)."""


class AddMemberNote(BaseModel):
    """Staff add a note to a membership."""

    model_config = ConfigDict(frozen=True)

    text: str


MembershipCommand = ApplyForMembership | AddMemberNote
