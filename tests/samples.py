"""Sample inputs shared by the tests."""

from verein.bootstrap import EVENT_REGISTRY
from verein.eventstore import CommandContext
from verein.eventstore.mapper import Mapper
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import AddMemberNote, ApplyForMembership
from verein.membership.domain_events import MembershipType
from verein.membership.usecases import add_member_note, apply_for_membership

FORM = {
    "name": "Erika Mustermann",
    "email": "erika@example.org",
    "organisation": "Muster GmbH",
    "membership_type": "company",
    "privacy_consent": "on",
}
"""The application form as a browser posts it."""

JSON_APPLICATION = {**FORM, "privacy_consent": True}
"""The same application as a page using fetch() sends it."""

CONSENT_VERSION = "de-0123456789ab"
"""A consent version as the form records one (``membership.web.consent``)."""

MAPPER = Mapper(EVENT_REGISTRY)
"""Reads and writes every feature's domain events, as the functions' mapper does."""


def application(n: int = 0, *, consent: bool = True) -> ApplyForMembership:
    """A valid membership application command; ``n`` varies name, address and type."""
    return ApplyForMembership(
        applicant_name=f"Person {n}",
        email=f"p{n}@example.org",
        organisation=None if n % 2 else f"Firma {n}",
        membership_type=MembershipType.COMPANY if n % 2 else MembershipType.INDIVIDUAL,
        language="de",
        privacy_consent=consent,
        consent_version=CONSENT_VERSION,
    )


def populated_store(count: int) -> tuple[InMemoryEventStore, list[str]]:
    """``count`` applications in a fresh in-memory store, every other one with a note."""
    store = InMemoryEventStore(MAPPER)
    keys, context = KeyedHash(b"k" * 32), CommandContext(correlation_id="c", actor="test")
    ids = [
        apply_for_membership(store, keys, application(n), context).application_id
        for n in range(count)
    ]
    for member_id in ids[::2]:
        add_member_note(store, keys, member_id, AddMemberNote(text="called"), context)
    return store, ids
