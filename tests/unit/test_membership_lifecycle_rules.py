"""The whole membership lifecycle under any sequence of commands (a property test): every
status change is an allowed one, a refused command writes nothing, the address is claimed
exactly while the membership holds it, member numbers stay unique and gap-free, and the
directory's summary agrees with the decision state."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership import lifecycle
from verein.membership.claims import member_number_claim, open_application_claim
from verein.membership.commands import ChangeContactDetails, RejectApplication, WithdrawApplication
from verein.membership.contact import current_email
from verein.membership.decider import HOLDS_ADDRESS, Membership, membership_decider
from verein.membership.notice import NoticePolicy
from verein.membership.numbers import MemberNumbers
from verein.membership.usecases import (
    apply_for_membership,
    approve_application,
    reject_application,
    withdraw_application,
)
from verein.membership.views.summary import summary_from

KEYS = KeyedHash(b"k" * 32)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")
TODAY = date(2026, 11, 30)
ALLOWED = {
    "approve": {("applied", "active")},
    "reject": {("applied", "rejected")},
    "withdraw": {("applied", "withdrawn")},
    "notice": {("active", "terminating")},
    "keep": {("terminating", "active")},
    "exclude": {("active", "ended"), ("terminating", "ended")},
    "end": {("terminating", "ended")},
    "join": {("active", "active"), ("terminating", "terminating")},
    "leave": {
        (s, s) for s in ("applied", "active", "terminating", "ended", "rejected", "withdrawn")
    },
    "email": {
        (s, s) for s in ("applied", "active", "terminating", "ended", "rejected", "withdrawn")
    },
}

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),
        st.sampled_from([*ALLOWED, "reapply"]),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=35,
)


def state(store: InMemoryEventStore, member_id: str) -> tuple[Membership, int]:
    history = store.load(f"member#{member_id}")
    return membership_decider.fold(Membership(), [e.payload for e in history]), len(history)


def run(store, numbers, member_id: str, action: str, arg: int) -> None:
    if action == "approve":
        approve_application(store, KEYS, numbers, member_id, STAFF)
    elif action == "reject":
        reject_application(store, KEYS, member_id, RejectApplication(reason="r"), STAFF)
    elif action == "withdraw":
        withdraw_application(store, KEYS, member_id, WithdrawApplication(), STAFF)
    elif action == "notice":
        ends_on = TODAY + timedelta(days=arg - 1)  # arg 0: yesterday, refused (422)
        lifecycle.give_notice(
            store, KEYS, member_id, STAFF, today=TODAY, policy=NoticePolicy(), ends_on=ends_on
        )
    elif action == "keep":
        lifecycle.withdraw_notice(store, KEYS, member_id, STAFF)
    elif action == "exclude":
        lifecycle.exclude_member(store, KEYS, member_id, STAFF, today=TODAY, reason="x")
    elif action == "end":
        if not lifecycle.end_membership(store, KEYS, member_id, STAFF, TODAY + timedelta(days=arg)):
            raise DomainRuleViolated("not due or not under notice")
    elif action in ("join", "leave"):
        use = lifecycle.join_working_group if action == "join" else lifecycle.leave_working_group
        use(store, KEYS, member_id, f"group-{arg}", STAFF)
    else:
        change = ChangeContactDetails(email=f"person{arg}@example.org")
        lifecycle.change_contact_details(store, KEYS, member_id, change, STAFF)


@settings(max_examples=80, deadline=None)
@given(steps)
def test_any_sequence_of_lifecycle_commands_keeps_the_rules(plan):
    store = InMemoryEventStore(MAPPER)
    numbers = MemberNumbers(store)
    people = {
        n: apply_for_membership(store, KEYS, application(n), STAFF).application_id for n in range(4)
    }
    everyone = set(people.values())
    for person, action, arg in plan:
        member_id = people[person]
        before, length = state(store, member_id)
        if action == "reapply":
            again = apply_for_membership(store, KEYS, application(person), STAFF)
            if not again.already_received:
                people[person] = again.application_id
                everyone.add(again.application_id)
            continue
        try:
            run(store, numbers, member_id, action, arg)
        except DomainRuleViolated:
            assert state(store, member_id) == (before, length)  # refused: nothing written
            continue
        after, _ = state(store, member_id)
        assert (before.status, after.status) in ALLOWED[action], (action, before, after)
    approvals = 0
    for member_id in everyone:
        decided, _ = state(store, member_id)
        history = store.load(f"member#{member_id}")
        summary = summary_from(history)
        assert summary is not None and summary.status == decided.status
        assert tuple(summary.groups) == decided.groups
        assert not decided.groups or decided.status in ("active", "terminating")
        email = current_email(e.payload for e in history)
        assert email is not None
        owner = store.claim_owner(open_application_claim(email, KEYS))
        holds = owner == f"member#{member_id}"
        assert holds == (decided.status in HOLDS_ADDRESS), (decided.status, owner)
        approvals += decided.member_number is not None
    taken = [n for n in range(1, approvals + 2) if store.claim_owner(member_number_claim(n))]
    assert taken == list(range(1, approvals + 1))
