"""What can be asked of a membership. Input validation happens before (web layer)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from verein.membership.domain_events import ContactPerson, MembershipType


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


class GiveNotice(BaseModel):
    """The member ends the membership by notice, as of ``ends_on`` (its last day; the use case
    works out the default from the notice period, ``membership.notice``)."""

    model_config = ConfigDict(frozen=True)

    given_on: date
    ends_on: date
    by_member: bool = False
    reason: str | None = None


class WithdrawNotice(BaseModel):
    """The notice is taken back before it takes effect."""

    model_config = ConfigDict(frozen=True)

    reason: str | None = None


class ExcludeMember(BaseModel):
    """Staff exclude a member (the board decided, for a reason): the membership ends that day."""

    model_config = ConfigDict(frozen=True)

    on: date
    reason: str


class EndMembership(BaseModel):
    """The scheduled function ends a membership whose notice took effect before ``today``."""

    model_config = ConfigDict(frozen=True)

    today: date


class ChangeContactDetails(BaseModel):
    """New contact details; None leaves a field as it is, "" clears an optional one."""

    model_config = ConfigDict(frozen=True)

    applicant_name: str | None = None
    organisation: str | None = None
    email: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    contacts: tuple[ContactPerson, ...] | None = None


class ChangeMembershipType(BaseModel):
    """The member's type (a fee schedule code the use case checked) from ``effective`` on."""

    model_config = ConfigDict(frozen=True)

    membership_type: str
    effective: date


class JoinWorkingGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: str


class LeaveWorkingGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    group_id: str


MembershipCommand = (
    ApplyForMembership
    | AddMemberNote
    | ApproveApplication
    | RejectApplication
    | WithdrawApplication
    | GiveNotice
    | WithdrawNotice
    | ExcludeMember
    | EndMembership
    | ChangeContactDetails
    | ChangeMembershipType
    | JoinWorkingGroup
    | LeaveWorkingGroup
)
