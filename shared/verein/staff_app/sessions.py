"""Staff web sessions, pending sign-ins and the staff directory: the port and its adapters.

A session is a server-side item; the browser holds only a random id in an HttpOnly cookie
(``verein.staff_app.cookies``). The table stores the SHA-256 of that id, never the id itself,
so whoever reads the table (a backup, a log of items) cannot present a session. No token of
Cognito's is stored: the ID token is read once at sign-in and dropped.

Expiry: a session ends 8 hours after sign-in (a working day) or after 60 idle minutes,
whichever comes first. ``seen_at`` is written at most every 5 minutes, so browsing costs no
write per page. DynamoDB's TTL removes old items eventually (within days), so every read
checks the times itself.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb.client import DynamoDBClient

SESSION_LIFETIME = timedelta(hours=8)
IDLE_TIMEOUT = timedelta(minutes=60)
TOUCH_AFTER = timedelta(minutes=5)
SIGN_IN_LIFETIME = timedelta(minutes=10)
"""From leaving for the login page to coming back with a code."""


def same_secret(sent: str, expected: str) -> bool:
    """Constant-time comparison of what a request sent with what we hold. As bytes: ``str``
    comparison refuses non-ASCII text, which anyone can send."""
    return hmac.compare_digest(sent.encode(), expected.encode())


def secret_hash(value: str) -> str:
    """What the table keeps of a secret the browser holds (session id, sign-in state)."""
    return hashlib.sha256(value.encode()).hexdigest()


class StaffMember(BaseModel):
    """Who signed in, as the ID token named them (Cognito's ``sub``, e-mail, groups)."""

    model_config = ConfigDict(frozen=True)

    subject: str
    email: str
    groups: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        """How domain events record this person (the same as the JSON API's bearer tokens)."""
        return f"staff:{self.subject}"


class Session(BaseModel):
    model_config = ConfigDict(frozen=True)

    staff: StaffMember
    csrf_token: str
    """Sent back by every form of the session (``verein.staff_app.guard``)."""
    created_at: datetime
    seen_at: datetime

    def expires_at(self) -> datetime:
        return min(self.created_at + SESSION_LIFETIME, self.seen_at + IDLE_TIMEOUT)

    def is_valid(self, now: datetime) -> bool:
        return self.created_at <= now < self.expires_at()

    def wants_touch(self, now: datetime) -> bool:
        return now - self.seen_at >= TOUCH_AFTER


class PendingSignIn(BaseModel):
    """What a sign-in must come back with: PKCE's verifier, the ID token's nonce, where to go."""

    model_config = ConfigDict(frozen=True)

    code_verifier: str
    nonce: str
    return_to: str
    expires_at: datetime


class SessionStore(Protocol):
    def create(self, session_hash: str, session: Session) -> None: ...

    def get(self, session_hash: str, now: datetime) -> Session | None:
        """The session if it exists and has not expired."""
        ...

    def touch(self, session_hash: str, seen_at: datetime) -> None: ...

    def delete(self, session_hash: str) -> None: ...

    def begin_sign_in(self, state_hash: str, pending: PendingSignIn) -> None: ...

    def take_sign_in(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        """The pending sign-in, removed in the same step: a state is good for one callback."""
        ...

    def remember_staff(self, staff: StaffMember) -> None:
        """The staff directory: who a ``staff:<sub>`` actor is, for timelines."""
        ...

    def staff_by_subject(self, subjects: Iterable[str]) -> dict[str, StaffMember]: ...


class InMemorySessionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.sign_ins: dict[str, PendingSignIn] = {}
        self.staff: dict[str, StaffMember] = {}

    def create(self, session_hash: str, session: Session) -> None:
        with self._lock:
            self.sessions[session_hash] = session

    def get(self, session_hash: str, now: datetime) -> Session | None:
        session = self.sessions.get(session_hash)
        return session if session is not None and session.is_valid(now) else None

    def touch(self, session_hash: str, seen_at: datetime) -> None:
        with self._lock:
            session = self.sessions.get(session_hash)
            if session is not None:  # signed out meanwhile: stays signed out
                self.sessions[session_hash] = session.model_copy(update={"seen_at": seen_at})

    def delete(self, session_hash: str) -> None:
        with self._lock:
            self.sessions.pop(session_hash, None)

    def begin_sign_in(self, state_hash: str, pending: PendingSignIn) -> None:
        with self._lock:
            self.sign_ins[state_hash] = pending

    def take_sign_in(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        with self._lock:
            pending = self.sign_ins.pop(state_hash, None)
        return pending if pending is not None and now < pending.expires_at else None

    def remember_staff(self, staff: StaffMember) -> None:
        with self._lock:
            self.staff[staff.subject] = staff

    def staff_by_subject(self, subjects: Iterable[str]) -> dict[str, StaffMember]:
        return {s: self.staff[s] for s in set(subjects) if s in self.staff}


class DynamoDBSessionStore:
    """One item per session (``session#<hash>``), pending sign-in (``signin#<hash>``) and
    staff member (``staff#<sub>``) in the template's ``StaffTable``; ``expires`` is its TTL."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, pk: str) -> Any:
        return to_attribute_values({"pk": pk})

    def create(self, session_hash: str, session: Session) -> None:
        self._put(f"session#{session_hash}", session, session.created_at + SESSION_LIFETIME)

    def get(self, session_hash: str, now: datetime) -> Session | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(f"session#{session_hash}"), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        item = from_attribute_values(response["Item"])
        session = Session.model_validate_json(item["data"])
        if "seen_at" in item:  # written by touch, without rewriting the rest
            session = session.model_copy(
                update={"seen_at": datetime.fromisoformat(item["seen_at"])}
            )
        return session if session.is_valid(now) else None

    def touch(self, session_hash: str, seen_at: datetime) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:  # only while it exists: a sign-out in between stays a sign-out
            self._client.update_item(
                TableName=self._table,
                Key=self._key(f"session#{session_hash}"),
                UpdateExpression="SET seen_at = :seen_at",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_attribute_values({":seen_at": seen_at.isoformat()}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def delete(self, session_hash: str) -> None:
        self._client.delete_item(TableName=self._table, Key=self._key(f"session#{session_hash}"))

    def begin_sign_in(self, state_hash: str, pending: PendingSignIn) -> None:
        self._put(f"signin#{state_hash}", pending, pending.expires_at)

    def take_sign_in(self, state_hash: str, now: datetime) -> PendingSignIn | None:
        response = self._client.delete_item(
            TableName=self._table, Key=self._key(f"signin#{state_hash}"), ReturnValues="ALL_OLD"
        )
        if "Attributes" not in response:
            return None
        raw = from_attribute_values(response["Attributes"])["data"]
        pending = PendingSignIn.model_validate_json(raw)
        return pending if now < pending.expires_at else None

    def remember_staff(self, staff: StaffMember) -> None:
        self._put(f"staff#{staff.subject}", staff, None)

    def staff_by_subject(self, subjects: Iterable[str]) -> dict[str, StaffMember]:
        wanted = sorted(set(subjects))
        found: dict[str, StaffMember] = {}
        for start in range(0, len(wanted), 100):  # BatchGetItem's limit
            keys = [self._key(f"staff#{s}") for s in wanted[start : start + 100]]
            pending: Any = {self._table: {"Keys": keys}}
            while pending:  # what DynamoDB did not read (throttled) it returns: ask again
                response = self._client.batch_get_item(RequestItems=pending)
                for raw in response["Responses"].get(self._table, []):
                    staff = StaffMember.model_validate_json(from_attribute_values(raw)["data"])
                    found[staff.subject] = staff
                pending = response.get("UnprocessedKeys") or None
        return found

    def _put(self, pk: str, value: BaseModel, expires: datetime | None) -> None:
        item: dict[str, Any] = {"pk": pk, "data": value.model_dump_json()}
        if expires is not None:
            item["expires"] = int(expires.timestamp())
        self._client.put_item(TableName=self._table, Item=to_attribute_values(item))
