"""The mapper: how a commit (one append: one or more domain events) is laid out as one item,
and the only code that knows that layout. Stores write and read items through it; the
change-stream consumers get recorded domain events from it, never raw items.

Personal fields (marked ``json_schema_extra={"personal": True}`` on a domain event's model)
pass through the mapper's cipher hook on the way in and out: with a ``Cipher`` each such value
is stored as ``{"enc": <ciphertext>}`` under the data subject's key (``metadata.subject_id``).
Without one (today) values are stored as they are. Reading decrypts whatever is marked, so a
store may hold both.

Item layout in the event store table (see ARCHITECTURE.md, "Key design"):

- ``stream_id`` (partition key) and ``version`` (sort key) = the version of the commit's first
  domain event. A commit after ``expected_version`` always lands on ``expected_version + 1``,
  so two writers deciding on the same state collide on the same key, and the conditional put
  lets exactly one of them in.
- ``last_version``: version of the commit's last domain event.
- ``events``: one JSON string holding the list of ``{type, schema, data, meta}``, so payloads
  round-trip exactly (no Decimal conversion, no empty-string rules) and the item stays flat,
  which keeps (de)serialization cheap on every read and change record.
- ``snapshot`` / ``snapshot_schema``: the decision state after this commit (optional).
- ``item_kind`` = ``commit`` (claims are ``claim``), so change-stream readers can tell them apart.

The same functions read items from a table query and from a change-stream ``NewImage``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from verein.eventstore.port import CommitTooLarge, Snapshot
from verein.kernel.domain_events import (
    DomainEvent,
    EventMetadata,
    EventRegistry,
    NewEvent,
    RecordedEvent,
    UnknownEventType,
)

MAX_COMMIT_BYTES = 380 * 1024
"""DynamoDB items hold at most 400 KB; what is left covers keys and attribute names."""
COMMIT = "commit"
HEAD_ATTRIBUTES = (
    "stream_id",
    "version",
    "last_version",
    "item_kind",
    "snapshot",
    "snapshot_schema",
)
"""What a decision reads of the latest commit: everything but its domain events."""
CLAIM = "claim"


class Cipher(Protocol):
    """Encrypts one personal value for one data subject (per-subject keys: crypto-shredding)."""

    def encrypt(self, subject_id: str | None, plaintext: str) -> str: ...

    def decrypt(self, subject_id: str | None, ciphertext: str) -> str: ...


ENCRYPTED = "enc"


def personal_fields(model: type[DomainEvent]) -> frozenset[str]:
    """The fields of a domain event model that carry personal data."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("personal")
    )


class Mapper:
    def __init__(self, events: EventRegistry, cipher: Cipher | None = None) -> None:
        self._registry = events
        self._cipher = cipher

    def commit_item(
        self,
        stream_id: str,
        first_version: int,
        events: Sequence[NewEvent],
        snapshot: Snapshot | None,
        committed_at: datetime,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "stream_id": stream_id,
            "version": first_version,
            "last_version": first_version + len(events) - 1,
            "item_kind": COMMIT,
            "committed_at": committed_at.isoformat(),
            "events": json.dumps(
                [
                    {
                        "type": e.payload.event_type,
                        "schema": e.payload.schema_version,
                        "data": self._sealed(e),
                        "meta": e.metadata.model_dump(mode="json"),
                    }
                    for e in events
                ],
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        }
        if snapshot is not None:
            item["snapshot"] = snapshot.data
            item["snapshot_schema"] = snapshot.schema
        size = len(item["events"].encode()) + len(item.get("snapshot", "").encode())
        if size > MAX_COMMIT_BYTES:
            raise CommitTooLarge(f"{stream_id}: {size} bytes of domain events and snapshot")
        return item

    def recorded_events(self, item: Mapping[str, Any]) -> list[RecordedEvent]:
        """The domain events of one commit item, decrypted and upcast to the current models."""
        stream_id = str(item["stream_id"])
        first = int(item["version"])
        recorded = []
        for offset, raw in enumerate(json.loads(item["events"])):
            metadata = EventMetadata.model_validate(raw["meta"])
            data = self._opened(raw["data"], metadata.subject_id)
            payload = self._registry.decode(str(raw["type"]), int(raw["schema"]), data)
            recorded.append(RecordedEvent(stream_id, first + offset, payload, metadata))
        return recorded

    def _sealed(self, new: NewEvent) -> dict[str, Any]:
        data: dict[str, Any] = new.payload.model_dump(mode="json")
        if self._cipher is None:
            return data
        for name in personal_fields(type(new.payload)):
            plaintext = json.dumps(data[name], ensure_ascii=False)
            data[name] = {ENCRYPTED: self._cipher.encrypt(new.metadata.subject_id, plaintext)}
        return data

    def _opened(self, data: dict[str, Any], subject_id: str | None) -> dict[str, Any]:
        sealed = [k for k, v in data.items() if isinstance(v, dict) and set(v) == {ENCRYPTED}]
        if not sealed:
            return data
        if self._cipher is None:
            raise UnknownEventType("encrypted personal data, and no cipher to read it")
        opened = dict(data)
        for name in sealed:
            opened[name] = json.loads(self._cipher.decrypt(subject_id, data[name][ENCRYPTED]))
        return opened


def is_commit(item: Mapping[str, Any]) -> bool:
    return item.get("item_kind") == COMMIT


def snapshot_of(item: Mapping[str, Any]) -> Snapshot | None:
    if "snapshot" not in item:
        return None
    return Snapshot(schema=str(item["snapshot_schema"]), data=str(item["snapshot"]))
