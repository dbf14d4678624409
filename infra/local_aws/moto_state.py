"""Take the tables and pending change records out of moto, and put them back in bulk.

Only the backend child imports this (it imports moto). Restoring goes straight into moto's
table structures: no request parsing, no condition checks and, above all, no change records,
so the stream consumers do not see the restored items again -- except the records that were
pending when the snapshot was taken, which are put back at the head of the stream, with
sequence numbers of the new stream.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamRecord, Table

#: ``pending`` position of a table whose stream nobody reads: keep none of its records.
UNREAD = "unread"


def backend(region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> DynamoDBBackend:
    return dynamodb_backends[account_id][region]


def _items(table: Table) -> Iterator[Item]:
    stored: dict[Any, Any] = table.items
    if table.range_key_attr is None:
        yield from stored.values()
    else:
        for partition in stored.values():
            yield from partition.values()


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback for what moto keeps in items and change records."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"__datetime__": moment.timestamp()}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot snapshot a {type(value).__name__}")


def table_items(table: Table) -> list[dict[str, Any]]:
    """Every item of ``table`` in DynamoDB JSON (to be serialized before the lock is released:
    the dicts share sets and strings with moto's items)."""
    return [item.to_json()["Attributes"] for item in _items(table)]


def _first_pending(table: Table, position: Mapping[str, Any] | str | None) -> int | None:
    """Index of the first change record of ``table`` its consumers have not finished.

    ``position`` is what the parent knows of its stream consumers: ``{"stream_arn": ...,
    "delivered": n}`` (the first n records of that stream are done), ``UNREAD`` (nobody reads
    it: None, keep nothing), or None (unknown: 0, keep them all). A position for another
    stream (one of a backend that has since been restarted) says nothing about this one.
    """
    if table.stream_shard is None or position == UNREAD:
        return None
    if isinstance(position, Mapping) and position.get("stream_arn") == stream_arn(table):
        return min(len(table.stream_shard.items), max(0, int(position.get("delivered", 0))))
    return 0


def pending_count(table: Table, position: Mapping[str, Any] | str | None) -> int:
    start = _first_pending(table, position)
    shard = table.stream_shard
    return 0 if start is None or shard is None else len(shard.items) - start


def pending_records(table: Table, position: Mapping[str, Any] | str | None) -> list[dict[str, Any]]:
    """The change records of ``table`` that its consumers have not finished (see above)."""
    start = _first_pending(table, position)
    shard = table.stream_shard
    if start is None or shard is None:
        return []
    return [record.to_json() for record in shard.items[start:]]


def stream_arn(table: Table) -> str | None:
    if not table.latest_stream_label:
        return None
    return f"{table.table_arn}/stream/{table.latest_stream_label}"


def load_items(table: Table, items: list[dict[str, Any]]) -> None:
    """Put ``items`` into ``table`` without change records or checks (they passed them once)."""
    hash_attr, range_attr = table.hash_key_attr, table.range_key_attr
    store: dict[Any, Any] = table.items
    for attrs in items:
        item = cast(Item, Item.__new__(Item))
        item.hash_key = DynamoType(attrs[hash_attr])
        item.range_key = DynamoType(attrs[range_attr]) if range_attr is not None else None
        # moto re-measures the whole item on every attribute set (as its own deepcopy avoids):
        # these items were within the size limit when they were written.
        values = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.update(values, {name: DynamoType(value) for name, value in attrs.items()})
        item.attrs = values
        if range_attr is None:
            store[item.hash_key] = item
        else:
            store[item.hash_key][item.range_key] = item


def append_records(table: Table, records: list[dict[str, Any]]) -> None:
    """Put change records at the end of ``table``'s stream, numbered as this stream numbers."""
    shard = table.stream_shard
    if shard is None:
        return
    for record in records:
        copy = dict(record)
        data = dict(copy["dynamodb"])
        created = data.get("ApproximateCreationDateTime")
        if isinstance(created, dict) and "__datetime__" in created:
            # moto keeps naive UTC datetimes here.
            moment = datetime.fromtimestamp(float(created["__datetime__"]), UTC)
            data["ApproximateCreationDateTime"] = moment.replace(tzinfo=None)
        data["SequenceNumber"] = str(shard.starting_sequence_number + len(shard.items))
        copy["dynamodb"] = data
        entry = cast(StreamRecord, StreamRecord.__new__(StreamRecord))
        entry.record = copy
        shard.items.append(entry)


def insert_records_for_all_items(table: Table) -> int:
    """One INSERT change record per item (views rebuilt from the event store); returns how many."""
    shard = table.stream_shard
    if shard is None:
        return 0
    count = 0
    for item in list(_items(table)):
        shard.add(None, item)
        count += 1
    return count
