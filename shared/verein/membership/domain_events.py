"""Domain events of a membership stream (``member#<member_id>``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field
from pydantic.config import JsonDict

from verein.eventstore import DomainEvent

PERSONAL: JsonDict = {"personal": True}
"""Marks payload fields with personal data: to be encrypted per data subject (crypto-shredding)."""


class MembershipType(StrEnum):
    COMPANY = "company"
    INDIVIDUAL = "individual"


class MembershipApplied(DomainEvent):
    """Someone applied for membership through the public form or API."""

    event_type = "MembershipApplied"
    schema_version = 1

    applicant_name: str = Field(json_schema_extra=PERSONAL)
    email: str = Field(json_schema_extra=PERSONAL)
    organisation: str | None = Field(default=None, json_schema_extra=PERSONAL)
    membership_type: MembershipType
    language: str
    privacy_consent: bool


class MemberNoteAdded(DomainEvent):
    """Staff wrote a note on a membership (a call, an agreement, a reminder)."""

    event_type = "MemberNoteAdded"
    schema_version = 1

    text: str = Field(json_schema_extra=PERSONAL)


DOMAIN_EVENTS: tuple[type[DomainEvent], ...] = (MembershipApplied, MemberNoteAdded)
"""Every domain event a membership stream holds (the decider must evolve each of them)."""
