"""Make moto's DynamoDB keep its semantics at realistic table sizes.

moto is the embedded backend of the local stack, but two of its DynamoDB operations cost time
proportional to the whole table, where DynamoDB's cost is O(1) in the table's size:

- ``Query`` on a table's primary key sorts *every* item of the table (``Table.all_items``)
  before it picks the partition asked for;
- ``TransactWriteItems`` deep-copies every table it touches (items *and* the change-stream
  buffer) to be able to roll back.

With thousands of members and tens of thousands of domain events, that made one membership
application take most of a second. ``install()`` replaces the two with versions that touch
only the partition or the items concerned, and keep moto's results, errors and change records:
- a primary-key ``Query`` sorts only its partition;
- a transaction first checks every condition without writing (requests are serialized by the
  backend, so nothing can change in between), cancels without any write if one fails, and
  only then writes; if a write still fails, the touched items and the change-stream buffer
  are restored.

Two more costs grew with the work a request does rather than with its answer:

- a ``Query`` on a global secondary index scans and sorts the whole table (381 ms for a page
  of the staff list at ~600 members). ``install()`` keeps, per index, the table's items in the
  index's sort order (built at the first index Query, then kept up to date from the keys each
  write touched) and hands moto's own Query code only the items it can return: those of the
  asked partition after ``ExclusiveStartKey`` that meet the key condition, ``Limit`` + 1 of
  them (moto needs the one after the page to say ``LastEvaluatedKey``). moto still filters,
  sorts, pages and projects them, so its answers are unchanged; the cost is O(page);
- every answer goes through moto's generic, model-driven serializer, which costs more than
  the request itself (60% of a ``GetItem``; 0.5 ms per record of a ``GetRecords``, while the
  backend's lock is held). The data-plane answers of DynamoDB and DynamoDB Streams are plain
  JSON already; they are written with ``json.dumps`` after the same conversions the
  serializer makes (binary values base64-encoded, timestamps as epoch seconds).

``tests/local_stack/test_moto_speedups.py`` checks all of them against moto's own behaviour
(``moto_as_shipped()`` turns the patches off for such comparisons). Bulk loads that write
``Table.items`` directly (``moto_state.load_items``) must be followed by ``forget_indexes``.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from moto.core.responses import ActionContext, ActionResult
from moto.core.serialize import BaseJSONSerializer, ResponseSerializer, TimestampSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table
from moto.dynamodb.responses import DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_installed = False
_local = threading.local()  # per request: the partition or index window asked for
_shipped = threading.Event()  # set: behave as moto ships (for comparisons in tests)
#: Operations whose answers are written straight as JSON, with the keys they may carry.
_PLAIN_ANSWERS = {
    "GetItem": {"Item"},
    "Query": {"Count", "ScannedCount", "Items", "LastEvaluatedKey"},
    "Scan": {"Count", "ScannedCount", "Items", "LastEvaluatedKey"},
    "PutItem": {"Attributes"},
    "DeleteItem": {"Attributes"},
    "UpdateItem": {"Attributes"},
    "GetRecords": {"NextShardIterator", "Records"},
}


def install() -> None:
    """Patch moto in this process (idempotent)."""
    global _installed  # noqa: PLW0603 - a process-wide switch by nature
    if _installed:
        return
    _install_queries()
    _install_index_upkeep()
    DynamoDBBackend.transact_write_items = _unless_shipped(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items, _transact_write_items
    )
    DynamoResult.execute_result = _unless_shipped(  # type: ignore[method-assign]
        DynamoResult.execute_result, _plain_json_answer
    )
    original_get_records = DynamoDBStreamsHandler.get_records

    def get_records(self: DynamoDBStreamsHandler) -> ActionResult:
        result = original_get_records(self)
        return result if _shipped.is_set() else _PlainResult(result.result)

    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign]
    _installed = True


@contextlib.contextmanager
def moto_as_shipped() -> Iterator[None]:
    """Within the block, every patched operation runs moto's own code (tests compare both)."""
    _shipped.set()
    try:
        yield
    finally:
        _shipped.clear()


def _unless_shipped(original: Callable[..., Any], patched: Callable[..., Any]) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return (original if _shipped.is_set() else patched)(*args, **kwargs)

    return call


# --- Query: only the items it can return --------------------------------------------------


def _install_queries() -> None:
    original_query = Table.query
    original_all_items = Table.all_items
    signature = inspect.signature(original_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        if _shipped.is_set():
            return original_query(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs).arguments
        hash_key = bound.get("hash_key")
        if bound.get("index_name") is None and hash_key is not None and self.range_key_attr:
            _local.items = lambda: _partition(self, hash_key)
        elif bound.get("index_name") is not None:
            window = _index_window(self, bound)
            _local.items = None if window is None else lambda: window
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _local.items = None

    def all_items(self: Table) -> list[Any]:
        items: Callable[[], list[Any]] | None = getattr(_local, "items", None)
        return original_all_items(self) if items is None else items()

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _partition(table: Table, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key, {})
    return sorted(partition.values(), key=lambda item: item.range_key)


class _SortedIndex:
    """One global secondary index: per partition, the keys of its items in moto's order.

    moto orders an index by (index hash key, index range key, table hash key, table range
    key) -- ``Table._generate_attr_to_sort_by`` -- so the same tuple is kept here. Writes
    only note the primary keys they touched (``touched``); a Query first re-reads those
    items (an UpdateItem changes an item in place).
    """

    def __init__(self, table: Table, index: GlobalSecondaryIndex) -> None:
        self.hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        self.range_attr: str | None = ranges[0] if ranges else None
        # Without a range key of its own, moto sorts an index by the table's range key (or
        # hash key) first, then by the table's keys (see ``Table.query``).
        first = ranges[0] if ranges else (table.range_key_attr or table.hash_key_attr)
        range_attrs = [first, table.range_key_attr]
        self.sort_attrs = table._generate_attr_to_sort_by(
            [self.hash_attr, table.hash_key_attr], range_attrs
        )
        self.partitions: dict[DynamoType, list[tuple[Any, ...]]] = {}
        self.entries: dict[tuple[Any, Any], tuple[DynamoType, tuple[Any, ...]]] = {}
        self.touched: set[tuple[Any, Any]] = set()
        for item in _all_stored(table):
            self._add((item.hash_key, item.range_key), item)

    def refresh(self, table: Table) -> None:
        while self.touched:
            key = self.touched.pop()
            self._remove(key)
            item = _stored(table, key)
            if item is not None:
                self._add(key, item)

    def _add(self, key: tuple[Any, Any], item: Item) -> None:
        # As moto's index Query: an item is in the index when it has every key attribute.
        hash_value = item.attrs.get(self.hash_attr)
        if not hash_value or (self.range_attr is not None and not item.attrs.get(self.range_attr)):
            return
        if not all(attr in item.attrs for attr in self.sort_attrs):
            return
        sort_key = tuple(item.attrs[attr] for attr in self.sort_attrs)
        bisect.insort(self.partitions.setdefault(hash_value, []), sort_key)
        self.entries[key] = (hash_value, sort_key)

    def _remove(self, key: tuple[Any, Any]) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        hash_value, sort_key = entry
        keys = self.partitions[hash_value]
        del keys[bisect.bisect_left(keys, sort_key)]
        if not keys:
            del self.partitions[hash_value]


def _all_stored(table: Table) -> Iterator[Item]:
    for value in table.items.values():
        if table.range_key_attr is None:
            yield value  # type: ignore[misc]  # moto keys such a table by hash key alone
        else:
            yield from value.values()


def _stored(table: Table, key: tuple[Any, Any]) -> Item | None:
    partition = table.items.get(key[0])
    if table.range_key_attr is None:
        return partition  # type: ignore[return-value]
    return None if partition is None else partition.get(key[1])


def _sorted_index(table: Table, name: str) -> _SortedIndex | None:
    indexes: dict[str, _SortedIndex] = table.__dict__.setdefault("_speedups_indexes", {})
    if name not in indexes:
        index = next((i for i in table.global_indexes if i.name == name), None)
        if index is None or sum(k["KeyType"] == "HASH" for k in index.schema) != 1:
            return None  # a local index or a multi-attribute key: moto's own way
        if sum(k["KeyType"] == "RANGE" for k in index.schema) > 1:
            return None
        indexes[name] = _SortedIndex(table, index)
    sorted_index = indexes[name]
    sorted_index.refresh(table)
    return sorted_index


def forget_indexes(table: Table) -> None:
    """Drop ``table``'s sorted indexes (rebuilt at the next Query) after a bulk load."""
    table.__dict__.pop("_speedups_indexes", None)


def _index_window(table: Table, bound: dict[str, Any]) -> list[Item] | None:
    """The items moto's index Query can return, in its order; None: let moto scan it all."""
    if bound.get("filter_kwargs") or bound.get("consistent_read"):
        return None  # legacy QueryFilter, or an error moto raises itself
    index = _sorted_index(table, str(bound["index_name"]))
    hashes = bound.get("hash_key_conditions") or []
    ranges = bound.get("range_key_conditions") or []
    if index is None or len(hashes) != 1 or hashes[0][0] != index.hash_attr or len(ranges) > 1:
        return None
    if ranges and ranges[0][0] != index.range_attr:
        return None
    try:
        return _window(table, index, hashes[0][1], bound)
    except (TypeError, KeyError):
        return None  # a start key moto would treat its own way


def _window(
    table: Table, index: _SortedIndex, hash_value: Any, bound: dict[str, Any]
) -> list[Item]:
    keys = index.partitions.get(hash_value, [])
    forward = bound.get("scan_index_forward") is not False
    start_key = bound.get("exclusive_start_key")
    if start_key:
        position = tuple(DynamoType(start_key[attr]) for attr in index.sort_attrs)
        # moto skips what comes before the start key *or is it*, in the scan direction.
        stop = (
            bisect.bisect_right(keys, position) if forward else bisect.bisect_left(keys, position)
        )
        keys = keys[stop:] if forward else keys[:stop]
    limit = bound.get("limit")
    comparison, operands = bound.get("range_comparison"), bound.get("range_objs") or []
    # moto walks the partition in order, counts only the items that meet the range condition,
    # and answers a LastEvaluatedKey as soon as it meets *any* item after the page: so the
    # window is every item up to the page's last match, and the one after it.
    found: list[Item] = []
    matches = 0
    for sort_key in keys if forward else reversed(keys):
        item = _item_at(table, index, sort_key)
        found.append(item)
        if limit is not None and matches >= int(limit):
            break
        matches += _meets(item, index.range_attr, comparison, operands)
    return found if forward else found[::-1]


def _meets(item: Item, attr: str | None, comparison: str | None, operands: list[Any]) -> int:
    """1 if ``item`` meets the range key condition (as moto's Query loop applies it), else 0."""
    if not comparison or attr is None:
        return 1
    return int(bool(item.attrs[attr].compare(comparison, operands)))


def _item_at(table: Table, index: _SortedIndex, sort_key: tuple[Any, ...]) -> Item:
    attrs = dict(zip(index.sort_attrs, sort_key, strict=True))
    hash_value = attrs[table.hash_key_attr]
    range_value = attrs[table.range_key_attr] if table.range_key_attr else None
    item = _stored(table, (hash_value, range_value))
    if item is None:
        raise KeyError(sort_key)  # cannot happen after refresh; moto scans instead
    return item


def _install_index_upkeep() -> None:
    """Every write notes the key it touched for the table's sorted indexes (if any)."""
    original_put, original_delete = Table.put_item, Table.delete_item
    original_update = DynamoDBBackend.update_item

    def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return original_put(self, item_attrs, *args, **kwargs)
        finally:
            _touched(self, *_key_values(self, item_attrs))

    def delete_item(self: Table, hash_key: Any, range_key: Any) -> Any:
        try:
            return original_delete(self, hash_key, range_key)
        finally:
            _touched(self, hash_key, range_key)

    def update_item(
        self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            if table is not None:
                _touched(table, *_key_values(table, key))

    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def _key_values(table: Table, attrs: dict[str, Any]) -> tuple[Any, Any]:
    range_attr = table.range_key_attr
    return attrs.get(table.hash_key_attr), None if range_attr is None else attrs.get(range_attr)


def _touched(table: Table, hash_key: Any, range_key: Any) -> None:
    indexes: dict[str, _SortedIndex] | None = table.__dict__.get("_speedups_indexes")
    if not indexes or hash_key is None:
        return
    key = (
        _dynamo(hash_key),
        None if range_key is None or table.range_key_attr is None else _dynamo(range_key),
    )
    for index in indexes.values():
        index.touched.add(key)


def _dynamo(value: Any) -> DynamoType:
    return value if isinstance(value, DynamoType) else DynamoType(value)


# --- answers: plain JSON ------------------------------------------------------------------


class _PlainResult(ActionResult):
    def execute_result(self, context: ActionContext) -> Any:
        return _plain_json_answer(self, context)


def _plain_json_answer(result: ActionResult, context: ActionContext) -> Any:
    """What moto's JSON serializer answers, without walking the service model per value."""
    operation = context.operation_model
    allowed = _PLAIN_ANSWERS.get(str(operation.name))
    value = result.result
    if (
        allowed is None
        or not issubclass(context.serializer_class, BaseJSONSerializer)
        or operation.service_model.protocol != "json"
        or not isinstance(value, dict)
        or not set(value) <= allowed
    ):
        return ActionResult.execute_result(result, context)
    version = operation.service_model.metadata.get("jsonVersion", "1.0")
    status = operation.http.get("responseCode", ResponseSerializer.DEFAULT_RESPONSE_CODE)
    body = json.dumps(_wire(value))
    return status, {"Content-Type": f"application/x-amz-json-{version}"}, body


def _wire(value: Any, key: str = "") -> Any:
    """The serializer's conversions: binary values (B, BS) base64, timestamps epoch seconds,
    members without a value left out."""
    if isinstance(value, dict):
        return {k: _wire(v, k) for k, v in value.items() if v is not None}
    if key == "B" and isinstance(value, str | bytes):
        return _base64(value)
    if isinstance(value, list):
        if key == "BS":
            return [_base64(v) if isinstance(v, str | bytes) else _wire(v) for v in value]
        return [_wire(v) for v in value]
    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)
    return value


def _base64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


# --- TransactWriteItems: no deep copy of whole tables -------------------------------------


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


Planned = list[tuple[str, dict[str, Any], dict[str, Any]]]


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    planned = _plan(self, transact_items)
    reasons = [_check(self, op, key) for _, op, key in planned]
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _write(self, planned)


def _plan(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Planned:
    """Validate the shape of a transaction the way moto does, before anything is read."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    planned: Planned = []
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise MockValidationException("Unsupported transaction operation")
        key = _key_of(self, op_type, op)
        identity = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        planned.append((op_type, op, key))
    return planned


def _check(
    self: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]
) -> tuple[str | None, str | None, Any]:
    """One cancellation reason in moto's format: (code, message, old item) or all None."""
    current = self.get_item(op["TableName"], key)
    expression = op.get("ConditionExpression")
    if expression is None or get_filter_expression(
        expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    ).expr(current):
        return (None, None, None)
    old = None
    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", ConditionalCheckFailed().message, old)


def _write(self: DynamoDBBackend, planned: Planned) -> None:
    """Apply the writes, with an undo log of just the items concerned."""
    undo: list[tuple[Table, dict[str, Any], Any]] = []
    buffers: dict[str, tuple[Any, int]] = {}
    for _, op, key in planned:
        table = self.get_table(op["TableName"])
        if table.stream_shard is not None and table.name not in buffers:
            buffers[table.name] = (table.stream_shard, len(table.stream_shard.items))
        undo.append((table, key, copy.deepcopy(self.get_item(table.name, key))))
    try:
        for op_type, op, key in planned:
            common: dict[str, Any] = {
                "condition_expression": op.get("ConditionExpression"),
                "expression_attribute_names": op.get("ExpressionAttributeNames"),
                "expression_attribute_values": op.get("ExpressionAttributeValues"),
            }
            if op_type == "Put":
                self.put_item(op["TableName"], op["Item"], **common)
            elif op_type == "Delete":
                self.delete_item(op["TableName"], key, **common)
            elif op_type == "Update":
                self.update_item(
                    op["TableName"], key, update_expression=op["UpdateExpression"], **common
                )
    except Exception:
        for table, key, before in reversed(undo):
            _restore(table, key, before)
        for shard, length in buffers.values():
            del shard.items[length:]
        raise


def _restore(table: Table, key: dict[str, Any], before: Any) -> None:
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    _touched(table, hash_value, range_value)
    if range_value is None:
        if before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
    elif before is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = before
