"""Domain events of a membership stream (``member#<member_id>``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from verein.eventstore import DomainEvent
from verein.kernel.domain_events import Upcaster

PERSONAL: JsonDict = {"personal": True}
"""Marks payload fields with personal data: to be encrypted per data subject (crypto-shredding)."""


class MembershipType(StrEnum):
    COMPANY = "company"
    INDIVIDUAL = "individual"


class MembershipApplied(DomainEvent):
    """Someone applied for membership through the public form or API."""

    event_type = "MembershipApplied"
    schema_version = 2

    applicant_name: str = Field(json_schema_extra=PERSONAL)
    email: str = Field(json_schema_extra=PERSONAL)
    organisation: str | None = Field(default=None, json_schema_extra=PERSONAL)
    membership_type: MembershipType
    language: str
    privacy_consent: bool
    consent_version: str | None
    """Which consent text the applicant agreed to (``membership.web.consent``): the proof
    DSGVO Art. 7(1) asks for. None for applications stored before it was recorded (schema 1)."""


class MemberNoteAdded(DomainEvent):
    """Staff wrote a note on a membership (a call, an agreement, a reminder)."""

    event_type = "MemberNoteAdded"
    schema_version = 1

    text: str = Field(json_schema_extra=PERSONAL)


class MembershipApproved(DomainEvent):
    """Staff approved the application: the applicant is a member with this number from now on.
    Numbers are unique, never reused and without gaps (``membership.numbers``)."""

    event_type = "MembershipApproved"
    schema_version = 1

    member_number: int


class ApplicationRejected(DomainEvent):
    """Staff rejected the application; the e-mail address may apply again."""

    event_type = "ApplicationRejected"
    schema_version = 1

    reason: str = Field(json_schema_extra=PERSONAL)
    """Written to the applicant: may name them or their company."""


class ApplicationWithdrawn(DomainEvent):
    """The applicant took the application back; the e-mail address may apply again."""

    event_type = "ApplicationWithdrawn"
    schema_version = 1

    reason: str | None = Field(default=None, json_schema_extra=PERSONAL)


class NoticeGiven(DomainEvent):
    """The member gave notice (by signed link, or staff recorded a letter): still a member
    until ``ends_on`` (the last day), then the membership ends (``MembershipEnded``)."""

    event_type = "NoticeGiven"
    schema_version = 1

    ends_on: date
    given_on: date
    by_member: bool
    """True when the member gave notice themselves through the signed link."""
    reason: str | None = Field(default=None, json_schema_extra=PERSONAL)


class NoticeWithdrawn(DomainEvent):
    """The notice was taken back before it took effect: the member stays active."""

    event_type = "NoticeWithdrawn"
    schema_version = 1

    reason: str | None = Field(default=None, json_schema_extra=PERSONAL)


class MemberExcluded(DomainEvent):
    """Staff excluded the member (by the board's decision, with its reason): ended that day."""

    event_type = "MemberExcluded"
    schema_version = 1

    ended_on: date
    reason: str = Field(json_schema_extra=PERSONAL)


class MembershipEnded(DomainEvent):
    """A membership under notice reached its end: ``ended_on`` is its last day. Recorded by the
    scheduled function on the first run after that day."""

    event_type = "MembershipEnded"
    schema_version = 1

    ended_on: date


class ContactPerson(BaseModel):
    """Someone the association speaks to at a company member."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class ContactDetailsChanged(DomainEvent):
    """Staff changed contact details. A field that is None did not change; an empty string
    clears an optional field (organisation, address, phone); ``contacts`` replaces the list."""

    event_type = "ContactDetailsChanged"
    schema_version = 1

    applicant_name: str | None = Field(default=None, json_schema_extra=PERSONAL)
    organisation: str | None = Field(default=None, json_schema_extra=PERSONAL)
    email: str | None = Field(default=None, json_schema_extra=PERSONAL)
    street: str | None = Field(default=None, json_schema_extra=PERSONAL)
    postal_code: str | None = Field(default=None, json_schema_extra=PERSONAL)
    city: str | None = Field(default=None, json_schema_extra=PERSONAL)
    phone: str | None = Field(default=None, json_schema_extra=PERSONAL)
    contacts: tuple[ContactPerson, ...] | None = Field(default=None, json_schema_extra=PERSONAL)


class MembershipTypeChanged(DomainEvent):
    """The member's type (a code of the fee schedule, ``verein.fees``) changes from
    ``effective`` on: the fee of that type applies from then."""

    event_type = "MembershipTypeChanged"
    schema_version = 1

    membership_type: str
    effective: date


class JoinedWorkingGroup(DomainEvent):
    """The member joined a working group (``verein.groups``)."""

    event_type = "JoinedWorkingGroup"
    schema_version = 1

    group_id: str


class LeftWorkingGroup(DomainEvent):
    """The member left a working group."""

    event_type = "LeftWorkingGroup"
    schema_version = 1

    group_id: str


def _applied_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # Schema 1 did not record which text was consented to; no guess is better than a wrong one.
    return {**data, "consent_version": None}


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {("MembershipApplied", 1): _applied_v1_to_v2}
"""Stored data of older schema versions -> the next version (``EventRegistry``)."""

DOMAIN_EVENTS: tuple[type[DomainEvent], ...] = (
    MembershipApplied,
    MemberNoteAdded,
    MembershipApproved,
    ApplicationRejected,
    ApplicationWithdrawn,
    NoticeGiven,
    NoticeWithdrawn,
    MemberExcluded,
    MembershipEnded,
    ContactDetailsChanged,
    MembershipTypeChanged,
    JoinedWorkingGroup,
    LeftWorkingGroup,
)
"""Every domain event a membership stream holds (the decider must evolve each of them)."""
