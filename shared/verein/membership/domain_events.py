"""Domain events of a membership stream (``member#<member_id>``)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field
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
)
"""Every domain event a membership stream holds (the decider must evolve each of them)."""
