"""The registry of domain events is explicit: built from lists, never filled by imports."""

import pytest

from verein.bootstrap import EVENT_REGISTRY
from verein.kernel.domain_events import EventRegistry, UnknownEventType
from verein.membership import domain_events as membership
from verein.membership.domain_events import MemberNoteAdded, MembershipApplied

NOTE = {"text": "Rückruf"}


def test_importing_a_feature_registers_nothing():
    assert membership.DOMAIN_EVENTS  # imported, and yet:
    with pytest.raises(UnknownEventType):
        EventRegistry().decode("MemberNoteAdded", 1, NOTE)


def test_the_composition_root_reads_every_features_domain_events():
    for model in membership.DOMAIN_EVENTS:
        assert model.event_type in EVENT_REGISTRY._models
    assert EVENT_REGISTRY.decode("MemberNoteAdded", 1, NOTE) == MemberNoteAdded(**NOTE)


def test_one_event_type_name_for_two_models_is_refused():
    class Impostor(MemberNoteAdded):
        pass

    with pytest.raises(ValueError, match="registered twice"):
        EventRegistry([MemberNoteAdded, Impostor])


def test_an_upcaster_for_an_event_type_nobody_registered_is_refused():
    with pytest.raises(ValueError, match="not registered"):
        EventRegistry([MembershipApplied], {("MembershipAplied", 1): dict})


def test_old_data_is_upcast_step_by_step_and_newer_data_refused():
    class NoteV3(MemberNoteAdded):
        schema_version = 3
        priority: int
        source: str

    steps = {
        ("MemberNoteAdded", 1): lambda d: {**d, "priority": 0},
        ("MemberNoteAdded", 2): lambda d: {**d, "source": "staff"},
    }
    registry = EventRegistry([NoteV3], steps)
    assert registry.decode("MemberNoteAdded", 1, NOTE) == NoteV3(**NOTE, priority=0, source="staff")
    with pytest.raises(UnknownEventType, match="newer"):
        registry.decode("MemberNoteAdded", 4, NOTE)


def test_the_composition_root_upcasts_schema_1_applications():
    v1 = {
        "applicant_name": "A",
        "email": "a@example.org",
        "organisation": None,
        "membership_type": "company",
        "language": "de",
        "privacy_consent": True,
    }
    assert MembershipApplied.schema_version == 2
    upcast = EVENT_REGISTRY.decode("MembershipApplied", 1, v1)
    assert upcast == MembershipApplied(**v1, consent_version=None)
    with pytest.raises(UnknownEventType):  # without the feature's upcasters: unreadable
        EventRegistry(membership.DOMAIN_EVENTS).decode("MembershipApplied", 1, v1)
