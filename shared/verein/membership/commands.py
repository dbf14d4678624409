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


class ApproveApplication(BaseModel):
    """Staff approve an open application: the applicant becomes a member with this number
    (drawn by ``membership.numbers``, taken as a claim with the approval)."""

    model_config = ConfigDict(frozen=True)

    member_number: int


class RejectApplication(BaseModel):
    """Staff reject an open application, saying why (the applicant is told)."""

    model_config = ConfigDict(frozen=True)

    reason: str


class WithdrawApplication(BaseModel):
    """The applicant takes the application back (recorded by staff on the applicant's word)."""

    model_config = ConfigDict(frozen=True)

    reason: str | None = None


MembershipCommand = (
    ApplyForMembership
    | AddMemberNote
    | ApproveApplication
    | RejectApplication
    | WithdrawApplication
)
