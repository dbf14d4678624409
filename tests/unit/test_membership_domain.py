"""The membership decider: pure rules, no AWS."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.samples import application
from verein.kernel.decider import UnknownCommand, UnknownDomainEvent
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.claims import open_application_claim
from verein.membership.commands import AddMemberNote, ApplyForMembership, MembershipCommand
from verein.membership.decider import Membership, decide, evolve, membership_decider
from verein.membership.domain_events import (
    DOMAIN_EVENTS,
    MemberNoteAdded,
    MembershipApplied,
    MembershipType,
)

applications = st.builds(
    ApplyForMembership,
    applicant_name=st.text(min_size=1, max_size=50),
    email=st.emails(),
    organisation=st.none() | st.text(min_size=1, max_size=50),
    membership_type=st.sampled_from(MembershipType),
    language=st.sampled_from(["de", "en"]),
    privacy_consent=st.just(True),
    consent_version=st.text(min_size=1, max_size=20),
)


@given(applications)
def test_an_application_on_a_new_stream_records_exactly_what_was_applied(command):
    (applied,) = decide(command, Membership())
    assert isinstance(applied, MembershipApplied)
    assert applied.applicant_name == command.applicant_name
    assert applied.email == command.email
    assert applied.organisation == command.organisation
    assert applied.membership_type == command.membership_type
    assert applied.language == command.language
    assert applied.consent_version == command.consent_version


@given(applications)
def test_applying_twice_on_the_same_stream_is_refused(command):
    state = membership_decider.fold(Membership(), decide(command, Membership()))
    assert state.status == "applied"
    with pytest.raises(DomainRuleViolated) as refused:
        decide(command, state)
    assert refused.value.code == "membership.already_applied"


def test_no_consent_no_application():
    command = application(consent=False)
    with pytest.raises(DomainRuleViolated):
        decide(command, Membership())


class Stranger(DomainEvent):
    event_type = "test.Stranger"


def test_an_unknown_domain_event_or_command_is_an_error_not_a_fall_through():
    with pytest.raises(UnknownDomainEvent):
        evolve(Membership(status="applied"), Stranger())
    with pytest.raises(UnknownCommand):
        decide(object(), Membership())  # type: ignore[arg-type]


def test_the_decider_knows_every_command_and_every_domain_event_of_the_stream():
    assert set(membership_decider.deciders) == set(MembershipCommand.__args__)
    assert set(membership_decider.evolvers) == set(DOMAIN_EVENTS)


def test_the_snapshot_schema_changes_with_the_state_model():
    class Changed(Membership):
        extra: int = 0

    changed = type(membership_decider)(
        state_type=Changed,
        deciders=membership_decider.deciders,
        evolvers=membership_decider.evolvers,
    )
    digest = membership_decider.state_schema.rsplit(".", 1)[1]
    assert changed.state_schema.rsplit(".", 1)[1] != digest
    assert membership_decider.state_schema.startswith("Membership.r1.")


KEYS = KeyedHash(b"k" * 32)


@given(st.emails())
def test_the_application_claim_ignores_case_and_hides_the_address(email):
    claim = open_application_claim(email, KEYS)
    assert claim == open_application_claim(email.upper(), KEYS)
    assert email.lower() not in claim.claim_id.lower()
    # a keyed hash: an unkeyed hash of a guessed address does not find the claim
    assert hashlib.sha256(email.lower().encode()).hexdigest() not in claim.claim_id
    assert claim != open_application_claim(email, KeyedHash(b"other-secret" * 3))


def test_sharp_s_and_double_s_are_different_mailboxes():
    assert open_application_claim("x@straße.example", KEYS) != open_application_claim(
        "x@STRASSE.example", KEYS
    )
    assert open_application_claim("Erika@Example.ORG", KEYS) == open_application_claim(
        "erika@example.org", KEYS
    )


commands = st.lists(
    st.one_of(applications, st.builds(AddMemberNote, text=st.text(min_size=1, max_size=20))),
    max_size=12,
)


@given(commands)
def test_any_command_sequence_keeps_the_rules(sequence):
    """Notes need an application; a stream is applied for once; state counts what happened."""
    state = Membership()
    applied = notes = 0
    for command in sequence:
        try:
            new_events = decide(command, state)
        except DomainRuleViolated as violation:
            if isinstance(command, AddMemberNote):
                assert violation.code == "membership.unknown" and applied == 0
            else:
                assert violation.code == "membership.already_applied" and applied == 1
            continue
        state = membership_decider.fold(state, new_events)
        applied += sum(isinstance(e, MembershipApplied) for e in new_events)
        notes += sum(isinstance(e, MemberNoteAdded) for e in new_events)
    assert applied <= 1
    assert state.note_count == notes
    assert state.status == ("applied" if applied else "none")
