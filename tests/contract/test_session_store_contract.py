"""The staff app's session store, checked against the in-memory fake and StaffTable (embedded
backend): sessions expire, sign-ins are good once, signed-out stays signed out."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from verein.staff_app.sessions import (
    IDLE_TIMEOUT,
    SESSION_LIFETIME,
    DynamoDBSessionStore,
    InMemorySessionStore,
    PendingSignIn,
    Session,
    SessionStore,
    StaffMember,
    secret_hash,
)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ANNA = StaffMember(subject="sub-anna", email="anna@verein.example", groups=("staff",))


@pytest.fixture(params=["memory", "dynamodb"])
def store(request, template) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield InMemorySessionStore()
        return
    aws = request.getfixturevalue("aws")
    yield DynamoDBSessionStore(aws.dynamodb, template.table_name("StaffTable"))


def session(created_at: datetime = T0) -> Session:
    return Session(staff=ANNA, csrf_token="t" * 43, created_at=created_at, seen_at=created_at)


def test_a_session_is_found_by_its_hash_until_it_expires(store):
    store.create("h1", session())
    assert store.get("h1", T0 + timedelta(minutes=1)) == session()
    assert store.get("h2", T0) is None
    assert store.get("h1", T0 + IDLE_TIMEOUT) is None


def test_touching_keeps_a_session_alive_but_never_past_its_lifetime(store):
    store.create("h1", session())
    for minutes in range(50, int(SESSION_LIFETIME.total_seconds() // 60), 50):
        store.touch("h1", T0 + timedelta(minutes=minutes))
        assert store.get("h1", T0 + timedelta(minutes=minutes + 10)) is not None
    store.touch("h1", T0 + SESSION_LIFETIME - timedelta(minutes=1))
    assert store.get("h1", T0 + SESSION_LIFETIME) is None


def test_a_deleted_session_stays_deleted_when_touched_afterwards(store):
    store.create("h1", session())
    store.delete("h1")
    store.touch("h1", T0 + timedelta(minutes=6))
    assert store.get("h1", T0 + timedelta(minutes=7)) is None
    store.delete("h1")  # twice is fine


def test_a_pending_sign_in_is_taken_once_and_not_after_it_expired(store):
    pending = PendingSignIn(
        code_verifier="v" * 43, nonce="n", return_to="/control/members", expires_at=T0
    )
    store.begin_sign_in("s1", pending)
    assert store.take_sign_in("s1", T0 - timedelta(seconds=1)) == pending
    assert store.take_sign_in("s1", T0 - timedelta(seconds=1)) is None
    store.begin_sign_in("s2", pending)
    assert store.take_sign_in("s2", T0) is None
    assert store.take_sign_in("s2", T0 - timedelta(minutes=1)) is None  # expired is gone


def test_the_staff_directory_names_who_signed_in(store):
    assert store.staff_by_subject(["sub-anna"]) == {}
    store.remember_staff(ANNA)
    others = [StaffMember(subject=f"s{n}", email=f"s{n}@verein.example") for n in range(120)]
    for member in others:
        store.remember_staff(member)
    found = store.staff_by_subject(["sub-anna", "unknown", *(m.subject for m in others)])
    assert found["sub-anna"] == ANNA and len(found) == 121


def test_the_table_keeps_hashes_not_the_secrets_themselves():
    assert secret_hash("abc") != "abc" and len(secret_hash("abc")) == 64
