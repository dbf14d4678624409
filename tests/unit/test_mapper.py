"""The mapper: the one place that knows the item layout, with the cipher hook for personal fields."""

import json
from datetime import UTC, datetime

import pytest

from tests.samples import MAPPER, application
from verein.bootstrap import EVENT_REGISTRY
from verein.eventstore import CommandContext, NewEvent
from verein.eventstore.mapper import Mapper, personal_fields
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.domain_events import UnknownEventType
from verein.membership.domain_events import DOMAIN_EVENTS, MemberNoteAdded, MembershipApplied

CONTEXT = CommandContext(correlation_id="c", actor="test")


class Rot13ForSubject:
    """A stand-in cipher: reversible, visibly different, and bound to the data subject."""

    def __init__(self) -> None:
        self.subjects: list[str | None] = []

    def encrypt(self, subject_id, plaintext):
        self.subjects.append(subject_id)
        return f"{subject_id}:" + plaintext[::-1]

    def decrypt(self, subject_id, ciphertext):
        prefix = f"{subject_id}:"
        assert ciphertext.startswith(prefix), "decrypted with another subject's key"
        return ciphertext.removeprefix(prefix)[::-1]


def applied(subject: str = "m-1") -> NewEvent:
    command = application(1)
    payload = MembershipApplied(
        applicant_name=command.applicant_name,
        email=command.email,
        organisation="Firma & Co",
        membership_type=command.membership_type,
        language="de",
        privacy_consent=True,
        consent_version=command.consent_version,
    )
    return NewEvent(payload, CONTEXT.metadata(subject))


def test_personal_fields_are_the_marked_ones():
    assert personal_fields(MembershipApplied) == {"applicant_name", "email", "organisation"}
    assert personal_fields(MemberNoteAdded) == {"text"}
    assert all(isinstance(personal_fields(model), frozenset) for model in DOMAIN_EVENTS)


def test_with_a_cipher_exactly_the_personal_fields_are_stored_sealed_and_read_back():
    cipher = Rot13ForSubject()
    mapper = Mapper(EVENT_REGISTRY, cipher=cipher)
    new = applied()
    item = mapper.commit_item("member#m-1", 1, [new], None, datetime.now(UTC))
    (stored,) = json.loads(item["events"])
    assert set(stored["data"]["email"]) == {"enc"}
    assert "p1@example.org" not in item["events"] and "Firma" not in item["events"]
    assert stored["data"]["membership_type"] == new.payload.membership_type.value
    assert cipher.subjects == ["m-1"] * 3
    (recorded,) = mapper.recorded_events(item)
    assert recorded.payload == new.payload and recorded.metadata == new.metadata


def test_without_a_cipher_values_are_stored_as_they_are_and_sealed_ones_are_refused():
    plain = MAPPER.commit_item("member#m-1", 1, [applied()], None, datetime.now(UTC))
    assert json.loads(plain["events"])[0]["data"]["organisation"] == "Firma & Co"
    assert (
        Mapper(EVENT_REGISTRY, cipher=Rot13ForSubject()).recorded_events(plain)[0].payload
        == applied().payload
    )
    sealed = Mapper(EVENT_REGISTRY, cipher=Rot13ForSubject()).commit_item(
        "member#m-1", 1, [applied()], None, datetime.now(UTC)
    )
    with pytest.raises(UnknownEventType):
        MAPPER.recorded_events(sealed)


def test_a_store_writes_and_reads_through_its_mapper():
    store = InMemoryEventStore(Mapper(EVENT_REGISTRY, cipher=Rot13ForSubject()))
    store.append("member#m-1", 0, [applied()])
    assert "Firma" not in store.appended[0]["events"]
    assert store.load("member#m-1")[0].payload.organisation == "Firma & Co"


def test_applications_are_stored_as_schema_2_with_their_consent_version():
    item = MAPPER.commit_item("member#m-1", 1, [applied()], None, datetime.now(UTC))
    (stored,) = json.loads(item["events"])
    assert stored["schema"] == 2
    assert stored["data"]["consent_version"] == application(1).consent_version


def test_a_stored_schema_1_application_is_read_with_an_unknown_consent_version():
    item = MAPPER.commit_item("member#m-1", 1, [applied()], None, datetime.now(UTC))
    (stored,) = json.loads(item["events"])
    del stored["data"]["consent_version"]  # what schema 1 wrote
    old = {**item, "events": json.dumps([{**stored, "schema": 1}])}
    (recorded,) = MAPPER.recorded_events(old)
    assert recorded.payload.consent_version is None
    assert recorded.payload.model_copy(update={"consent_version": "x"}) == (
        applied().payload.model_copy(update={"consent_version": "x"})
    )
