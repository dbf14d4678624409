"""Where a view's control item lives (which generation is served, which is being built).

In the views table: ``pk = views#control``, ``sk = <view name>``, attributes as in
``verein.changes.rebuild.Generations``. Every write is conditional on the revision read, so
the transitions (begin, take over, renew, switch, forget the retired) are computed in
``verein.changes.rebuild`` once for every adapter, and two writers never both succeed.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from verein.changes.rebuild import Generations, GenerationsChanged
from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONTROL_PK = "views#control"


def _to_item(view: str, generations: Generations) -> dict[str, Any]:
    """Every field, so that what is read back equals what was written (absent: None)."""
    item: dict[str, Any] = {
        "pk": CONTROL_PK,
        "sk": view,
        "current": generations.current,
        "lease_until": Decimal(repr(generations.lease_until)),
        "retired_until": Decimal(repr(generations.retired_until)),
        "revision": generations.revision,
    }
    optional = {
        "building": generations.building,
        "owner": generations.owner,
        "retired": generations.retired,
    }
    return item | {name: value for name, value in optional.items() if value is not None}


def _from_item(item: dict[str, Any]) -> Generations:
    building = item.get("building")
    retired = item.get("retired")
    return Generations(
        current=int(item["current"]),
        building=None if building is None else int(building),
        owner=item.get("owner"),
        lease_until=float(item.get("lease_until", 0)),
        retired=None if retired is None else int(retired),
        retired_until=float(item.get("retired_until", 0)),
        revision=int(item["revision"]),
    )


class DynamoDBGenerationControl:
    def __init__(self, client: DynamoDBClient, table_name: str, view: str) -> None:
        self._client = client
        self._table = table_name
        self._view = view

    def read(self) -> Generations:
        # Strongly consistent: a reader after the switch must not see the old generation.
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attribute_values({"pk": CONTROL_PK, "sk": self._view}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return Generations()
        return _from_item(from_attribute_values(response["Item"]))

    def write(self, expected: Generations, new: Generations) -> None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(_to_item(self._view, new)),
        }
        if expected.revision == 0:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "revision = :revision"
            request["ExpressionAttributeValues"] = to_attribute_values(
                {":revision": expected.revision}
            )
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise GenerationsChanged(self._view) from error
            raise


class InMemoryGenerationControl:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = Generations()

    def read(self) -> Generations:
        with self._lock:
            return self._state

    def write(self, expected: Generations, new: Generations) -> None:
        with self._lock:
            if self._state.revision != expected.revision:
                raise GenerationsChanged()
            self._state = new
