"""Counts DynamoDB requests and capacity units per operation through botocore's event hooks.

moto returns no ``ConsumedCapacity`` for most calls, so units are computed from item sizes the
way DynamoDB bills them: writes 1 WCU per started KB per item (2 in a transaction), strongly
consistent reads 1 RCU per started 4 KB of the items read (a Query adds up its items first).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()


def attribute_size(value: dict[str, Any]) -> int:
    """Size of one attribute value in DynamoDB's wire form, following AWS's published rules."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(str(Decimal(inner)).replace("-", "").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    """Items from the resource API are Python values; from the client API wire values."""
    sample = next(iter(item.values()), None)
    if isinstance(sample, dict) and len(sample) == 1 and next(iter(sample)) in _KINDS:
        return item
    return {k: _serializer.serialize(v) for k, v in item.items()}


_KINDS = {"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"}


@dataclass
class Meter:
    requests: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    items_read: int = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def reset(self) -> None:
        self.requests.clear()
        self.write_units = self.read_units = 0.0
        self.items_read = 0

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        self.requests[name] += 1
        if name == "PutItem":
            self.write_units += math.ceil(item_size(_wire(params["Item"])) / 1024)
        elif name == "TransactWriteItems":
            for entry in params["TransactItems"]:
                put = entry.get("Put")
                size = item_size(_wire(put["Item"])) if put else 1024
                self.write_units += 2 * math.ceil(size / 1024)
        elif name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    put = request.get("PutRequest")
                    size = item_size(_wire(put["Item"])) if put else 1024
                    self.write_units += math.ceil(size / 1024)

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "GetItem":
            found = [parsed["Item"]] if "Item" in parsed else []
        elif name == "Query":
            found = parsed.get("Items", [])
        else:
            return
        self.items_read += len(found)
        total = sum(item_size(i) for i in found)
        self.read_units += max(1, math.ceil(total / 4096))
