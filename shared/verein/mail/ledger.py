"""The mail ledger: which mails were sent, so that a redelivered change record sends none twice.

One entry per mail, under the key of the domain event that caused it (its ``event_id``): taken
with a conditional write before the send (``sending``), then marked ``sent`` (with SES's
message id) or ``failed``, or released when the send certainly did not happen
(``verein.mail.once.send_once`` is the algorithm). Adapters: in memory (tests) and DynamoDB,
in the views table (``pk = mail#<key>``, ``sk = ledger``).

Unlike the views, entries cannot be rebuilt from the event store; they only matter while the
change stream may still deliver the commit again (24 hours), and say afterwards what was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values
from verein.kernel.domain_events import utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PREFIX = "mail#"
ITEM_KIND = "mail"
"""Beside ``commit`` and ``claim`` in the event-store table (``verein.eventstore.mapper``)."""


class MailState(StrEnum):
    SENDING = "sending"
    """Taken for a send that has not reported back: under way, or its outcome is unknown."""
    SENT = "sent"
    FAILED = "failed"
    """The provider refused this mail for good (``MailNotSent.permanent``)."""


@dataclass(frozen=True)
class LedgerEntry:
    state: MailState
    updated_at: datetime
    message_id: str | None = None


class LedgerChanged(Exception):
    """The entry changed under our feet again and again (taken, then gone); try again later."""


class MailLedger(Protocol):
    def take(self, key: str) -> MailState | None:
        """Take ``key`` for a send (state ``sending``): None if this call took it, else the
        state the entry already has (nothing changed)."""
        ...

    def mark_sent(self, key: str, message_id: str) -> None: ...

    def mark_failed(self, key: str) -> None: ...

    def release(self, key: str) -> None:
        """Forget a ``sending`` entry (the mail certainly was not sent); any other stays."""
        ...

    def entry(self, key: str) -> LedgerEntry | None: ...


class InMemoryMailLedger:
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.entries: dict[str, LedgerEntry] = {}

    def take(self, key: str) -> MailState | None:
        with self._lock:
            if key in self.entries:
                return self.entries[key].state
            self.entries[key] = LedgerEntry(MailState.SENDING, self._clock())
            return None

    def mark_sent(self, key: str, message_id: str) -> None:
        with self._lock:
            self.entries[key] = LedgerEntry(MailState.SENT, self._clock(), message_id)

    def mark_failed(self, key: str) -> None:
        with self._lock:
            self.entries[key] = LedgerEntry(MailState.FAILED, self._clock())

    def release(self, key: str) -> None:
        with self._lock:
            entry = self.entries.get(key)
            if entry is not None and entry.state is MailState.SENDING:
                del self.entries[key]

    def entry(self, key: str) -> LedgerEntry | None:
        return self.entries.get(key)


class DynamoDBMailLedger:
    """Entries in the event-store table, beside the commits that caused the mails:
    ``stream_id = mail#<key>``, ``version = 0``, ``item_kind = mail``; ``state``,
    ``message_id``, ``updated_at``. There, not with the views: the table is retained and
    backed up, and the local stack journals it, so a restart that rebuilds the views does not
    forget what was sent (and send it again). The change stream's filter passes commits only,
    and ``read_all`` reads commits only. IAM lets the change-stream function touch ``mail#*``
    only, and never read an item back through a write (no ``ReturnValues``)."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def _key(self, key: str) -> Any:
        return to_attribute_values({"stream_id": PREFIX + key, "version": 0})

    def take(self, key: str) -> MailState | None:
        from botocore.exceptions import ClientError  # noqa: PLC0415 - with the client only

        item = {
            "stream_id": PREFIX + key,
            "version": 0,
            "item_kind": ITEM_KIND,
            "state": MailState.SENDING.value,
        }
        for _ in range(3):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=to_attribute_values({**item, "updated_at": self._now()}),
                    ConditionExpression="attribute_not_exists(stream_id)",
                )
                return None
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
            # Read separately: a failed put's ReturnValuesOnConditionCheckFailure would read
            # through a write, which IAM cannot restrict.
            entry = self.entry(key)
            if entry is not None:
                return entry.state
            # Released between our put and our read (a concurrent attempt's temporary
            # failure): the key is free again, so try to take it once more.
        raise LedgerChanged(key)

    def mark_sent(self, key: str, message_id: str) -> None:
        # Unconditional: should the entry be gone, writing it again still keeps a later
        # delivery from sending the mail a second time.
        self._set(key, MailState.SENT, message_id=message_id)

    def mark_failed(self, key: str) -> None:
        self._set(key, MailState.FAILED)

    def _set(self, key: str, state: MailState, **extra: str) -> None:
        values = {
            ":state": state.value,
            ":at": self._now(),
            **{f":{k}": v for k, v in extra.items()},
        }
        assignments = ["#state = :state", "updated_at = :at", *(f"{k} = :{k}" for k in extra)]
        self._client.update_item(
            TableName=self._table,
            Key=self._key(key),
            UpdateExpression="SET " + ", ".join(assignments),
            ExpressionAttributeNames={"#state": "state"},  # a reserved word
            ExpressionAttributeValues=to_attribute_values(values),
        )

    def release(self, key: str) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(key),
                ConditionExpression="#state = :sending",  # never forget a sent mail
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_attribute_values({":sending": "sending"}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def entry(self, key: str) -> LedgerEntry | None:
        answer = self._client.get_item(
            TableName=self._table, Key=self._key(key), ConsistentRead=True
        )
        if "Item" not in answer:
            return None
        item = from_attribute_values(answer["Item"])
        return LedgerEntry(
            state=MailState(item["state"]),
            updated_at=datetime.fromisoformat(item["updated_at"]),
            message_id=item.get("message_id"),
        )

    def _now(self) -> str:
        return self._clock().isoformat()
