"""Deciding applications: approve (with a member number), reject, withdraw; the rules, the
numbers (unique, without gaps, also under concurrent approvals) and the freed address."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.claims import member_number_claim
from verein.membership.commands import (
    AddMemberNote,
    ApproveApplication,
    RejectApplication,
    WithdrawApplication,
)
from verein.membership.decider import Membership, decide, membership_decider
from verein.membership.numbers import MemberNumbers
from verein.membership.usecases import (
    IdempotencyKeyReused,
    add_member_note,
    apply_for_membership,
    approve_application,
    reject_application,
    withdraw_application,
)

KEYS = KeyedHash(b"k" * 32)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")


def applied(store, n: int) -> str:
    received = apply_for_membership(store, KEYS, application(n), STAFF)
    assert not received.already_received
    return received.application_id


def status(store, member_id: str) -> str:
    events = [e.payload for e in store.load(f"member#{member_id}")]
    return membership_decider.fold(Membership(), events).status


# --- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "code"),
    [
        (ApproveApplication(member_number=1), "membership.not_open.active"),
        (RejectApplication(reason="Kein Gewerbe in der Stadt"), "membership.not_open.rejected"),
        (WithdrawApplication(), "membership.not_open.withdrawn"),
    ],
)
def test_a_decided_application_cannot_be_decided_again(closed, code):
    state = membership_decider.fold(
        Membership(),
        [*decide(application(1), Membership()), *decide(closed, Membership(status="applied"))],
    )
    for command in (
        ApproveApplication(member_number=2),
        RejectApplication(reason="x"),
        WithdrawApplication(),
    ):
        with pytest.raises(DomainRuleViolated) as refused:
            decide(command, state)
        assert (refused.value.code, refused.value.status) == (code, 409)
    assert decide(AddMemberNote(text="still possible"), state)  # notes stay possible


def test_nothing_can_be_decided_on_a_membership_that_does_not_exist():
    for command in (ApproveApplication(member_number=1), RejectApplication(reason="x")):
        with pytest.raises(DomainRuleViolated) as refused:
            decide(command, Membership())
        assert refused.value.status == 404


def test_a_rejection_needs_a_reason():
    with pytest.raises(DomainRuleViolated) as refused:
        decide(RejectApplication(reason="  "), Membership(status="applied"))
    assert (refused.value.code, refused.value.status) == ("membership.reason_required", 422)


# --- use cases on the store ------------------------------------------------------------------


def test_approvals_number_members_from_one_without_gaps():
    store = InMemoryEventStore(MAPPER)
    numbers = MemberNumbers(store)
    ids = [applied(store, n) for n in range(4)]
    got = [approve_application(store, KEYS, numbers, m, STAFF).member_number for m in ids]
    assert got == [1, 2, 3, 4]
    assert {status(store, m) for m in ids} == {"active"}


def test_a_rejected_or_withdrawn_address_may_apply_again_an_active_one_not():
    store = InMemoryEventStore(MAPPER)
    numbers = MemberNumbers(store)
    rejected, withdrawn, active = applied(store, 1), applied(store, 2), applied(store, 3)
    reject_application(store, KEYS, rejected, RejectApplication(reason="Satzung"), STAFF)
    withdraw_application(store, KEYS, withdrawn, WithdrawApplication(reason="Telefon"), STAFF)
    approve_application(store, KEYS, numbers, active, STAFF)
    assert not apply_for_membership(store, KEYS, application(1), STAFF).already_received
    assert not apply_for_membership(store, KEYS, application(2), STAFF).already_received
    assert apply_for_membership(store, KEYS, application(3), STAFF).already_received


def test_a_refused_decision_writes_nothing_and_keeps_the_claim():
    store = InMemoryEventStore(MAPPER)
    member_id = applied(store, 1)
    approve_application(store, KEYS, MemberNumbers(store), member_id, STAFF)
    before = len(store.appended)
    with pytest.raises(DomainRuleViolated):
        reject_application(store, KEYS, member_id, RejectApplication(reason="zu spät"), STAFF)
    assert len(store.appended) == before
    assert apply_for_membership(store, KEYS, application(1), STAFF).already_received


def test_a_retried_approval_gets_the_same_number_and_a_reused_key_is_refused():
    store = InMemoryEventStore(MAPPER)
    numbers = MemberNumbers(store)
    first, second = applied(store, 1), applied(store, 2)
    done = approve_application(store, KEYS, numbers, first, STAFF, idempotency_key="k1")
    again = approve_application(store, KEYS, numbers, first, STAFF, idempotency_key="k1")
    assert (done.member_number, again.member_number, again.already_received) == (1, 1, True)
    assert len(store.load(f"member#{first}")) == 2
    reject_application(
        store, KEYS, second, RejectApplication(reason="a"), STAFF, idempotency_key="k2"
    )
    with pytest.raises(IdempotencyKeyReused):
        reject_application(
            store, KEYS, second, RejectApplication(reason="b"), STAFF, idempotency_key="k2"
        )
    assert approve_application(store, KEYS, numbers, applied(store, 3), STAFF).member_number == 2


def test_concurrent_approvals_in_many_environments_get_distinct_numbers_without_gaps():
    store = InMemoryEventStore(MAPPER)
    ids = [applied(store, n) for n in range(24)]
    results: list[int] = []
    lock = threading.Lock()

    def approve(chunk: list[str]) -> None:
        numbers = MemberNumbers(store)  # each thread its own execution environment
        for member_id in chunk:
            number = approve_application(store, KEYS, numbers, member_id, STAFF).member_number
            with lock:
                results.append(number)

    threads = [threading.Thread(target=approve, args=(ids[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 25))


def test_a_cold_environment_finds_the_next_number_in_logarithmic_reads():
    store = InMemoryEventStore(MAPPER)
    warm = MemberNumbers(store)
    for n in range(300):
        approve_application(store, KEYS, warm, applied(store, n), STAFF)
    reads = 0
    original = store.claim_owner

    def counting(claim):
        nonlocal reads
        reads += 1
        return original(claim)

    store.claim_owner = counting  # type: ignore[method-assign]
    assert MemberNumbers(store).next_free() == 301
    assert reads <= 2 * 9 + 2  # 2 * log2(300) + 2
    reads = 0
    assert warm.next_free() == 301 and reads <= 2


# --- any sequence keeps the rules -----------------------------------------------------------

commands = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4),
        st.sampled_from(["approve", "reject", "withdraw", "note", "reapply"]),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(commands)
def test_any_sequence_of_decisions_keeps_the_rules(steps):
    store = InMemoryEventStore(MAPPER)
    numbers = MemberNumbers(store)
    people = {n: applied(store, n) for n in range(5)}
    streams = set(people.values())
    approvals = 0
    for person, action in steps:
        member_id = people[person]
        before = status(store, member_id)
        try:
            if action == "approve":
                approve_application(store, KEYS, numbers, member_id, STAFF)
                approvals += 1
            elif action == "reject":
                reject_application(store, KEYS, member_id, RejectApplication(reason="r"), STAFF)
            elif action == "withdraw":
                withdraw_application(store, KEYS, member_id, WithdrawApplication(), STAFF)
            elif action == "note":
                add_member_note(store, KEYS, member_id, AddMemberNote(text="n"), STAFF)
            else:
                again = apply_for_membership(store, KEYS, application(person), STAFF)
                if not again.already_received:
                    assert before in ("rejected", "withdrawn")  # only a closed one frees it
                    people[person] = again.application_id
                    streams.add(again.application_id)
                else:
                    assert before in ("applied", "active")
                continue
        except DomainRuleViolated as refused:
            assert before != "applied" and refused.status == 409
            assert status(store, member_id) == before
            continue
        assert before == "applied" or action == "note"
    taken = sorted(n for n in range(1, approvals + 2) if store.claim_owner(member_number_claim(n)))
    assert taken == list(range(1, approvals + 1))  # unique and without gaps
    states = [status(store, m) for m in streams]
    assert states.count("active") == approvals
