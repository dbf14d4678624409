"""How a commit (one append: one or more domain events) is laid out as one DynamoDB item.

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
from typing import Any

from verein.eventstore.port import CommitTooLarge, Snapshot
from verein.kernel.domain_events import EventMetadata, NewEvent, RecordedEvent, registry

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


def commit_item(
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
                    "data": e.payload.model_dump(mode="json"),
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


def is_commit(item: Mapping[str, Any]) -> bool:
    return item.get("item_kind") == COMMIT


def recorded_events(item: Mapping[str, Any]) -> list[RecordedEvent]:
    """The domain events of one commit item, upcast to the current models."""
    stream_id = str(item["stream_id"])
    first = int(item["version"])
    return [
        RecordedEvent(
            stream_id=stream_id,
            version=first + offset,
            payload=registry.decode(str(raw["type"]), int(raw["schema"]), raw["data"]),
            metadata=EventMetadata.model_validate(raw["meta"]),
        )
        for offset, raw in enumerate(json.loads(item["events"]))
    ]


def snapshot_of(item: Mapping[str, Any]) -> Snapshot | None:
    if "snapshot" not in item:
        return None
    return Snapshot(schema=str(item["snapshot_schema"]), data=str(item["snapshot"]))
