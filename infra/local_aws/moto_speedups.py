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
``tests/test_moto_speedups.py`` checks both against moto's own behaviour.
"""

from __future__ import annotations

import copy
import inspect
import threading
from typing import Any

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
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_installed = False
_partition = threading.local()


def install() -> None:
    """Patch moto in this process (idempotent)."""
    global _installed  # noqa: PLW0603 - a process-wide switch by nature
    if _installed:
        return
    original_query = Table.query
    original_all_items = Table.all_items

    signature = inspect.signature(original_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        hash_key = bound.get("hash_key")
        if bound.get("index_name") is None and hash_key is not None and self.range_key_attr:
            _partition.key = hash_key
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _partition.key = None

    def all_items(self: Table) -> list[Any]:
        key = getattr(_partition, "key", None)
        if key is None:
            return original_all_items(self)
        partition = self.items.get(key, {})
        return sorted(partition.values(), key=lambda item: item.range_key)

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    _installed = True


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
    if range_value is None:
        if before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
    elif before is None:
        table.items.get(hash_value, {}).pop(range_value, None)
    else:
        table.items[hash_value][range_value] = before
