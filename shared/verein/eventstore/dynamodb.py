"""The event store on DynamoDB: one item per commit, conditional writes, claims in transactions.

Cost per operation (see ARCHITECTURE.md and ``make bench``):
- ``append`` without claims: one conditional ``PutItem`` (1 WCU per KB).
- ``append`` with claims: one ``TransactWriteItems`` (commit + claim items, 2 WCU per KB each).
- ``head``: one ``Query`` (descending, ``Limit=1``, strongly consistent) reading one item.
- ``load``: one paginated ``Query`` over the stream's commits.
- ``append`` that releases claims: the same ``TransactWriteItems``, with a conditional
  ``Delete`` per released claim (2 WCU per KB and claim).
- ``read_all``: one paginated parallel ``Scan`` segment over the whole table (strongly
  consistent), off the command path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from verein.eventstore.mapper import (
    CLAIM,
    COMMIT,
    HEAD_ATTRIBUTES,
    Mapper,
    is_commit,
    snapshot_of,
)
from verein.eventstore.port import (
    Claim,
    ClaimNotHeld,
    ClaimTaken,
    ConcurrencyError,
    RecordedStream,
    Snapshot,
    StreamHead,
    check_claims,
    check_segment,
)
from verein.kernel.domain_events import NewEvent, RecordedEvent, utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MAX_TRANSACTION_ITEMS = 100
HISTORY_ATTRIBUTES = ("stream_id", "version", "last_version", "item_kind", "events")
"""What ``read_all`` reads of a commit: everything but its snapshot."""
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def from_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class DynamoDBEventStore:
    def __init__(self, client: DynamoDBClient, table_name: str, mapper: Mapper) -> None:
        self._client = client
        self._table = table_name
        self._mapper = mapper

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        snapshot: Snapshot | None = None,
        claims: Sequence[Claim] = (),
        release: Sequence[Claim] = (),
    ) -> int:
        if not events:
            raise ValueError("append needs at least one domain event")
        check_claims(claims, release)  # at most MAX_TRANSACTION_ITEMS - 1, each once
        item = self._mapper.commit_item(
            stream_id, expected_version + 1, events, snapshot, utc_now()
        )
        put_commit: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(item),
            # The key is (stream, expected_version + 1): it exists iff someone else appended.
            "ConditionExpression": "attribute_not_exists(stream_id)",
        }
        if not claims and not release:
            try:
                self._client.put_item(**put_commit)
            except ClientError as error:
                if _code(error) == "ConditionalCheckFailedException":
                    raise ConcurrencyError(stream_id, expected_version) from error
                raise
            return int(item["last_version"])

        claim_puts: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_attribute_values(_claim_item(claim, stream_id)),
                    "ConditionExpression": "attribute_not_exists(stream_id)",
                }
            }
            for claim in claims
        ]
        claim_deletes: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": to_attribute_values({"stream_id": claim.claim_id, "version": 0}),
                    # Held by this stream, or absent (releasing twice is a no-op).
                    "ConditionExpression": (
                        "attribute_not_exists(stream_id) OR owner_stream_id = :owner"
                    ),
                    "ExpressionAttributeValues": to_attribute_values({":owner": stream_id}),
                }
            }
            for claim in release
        ]
        try:
            transaction: list[Any] = [{"Put": put_commit}, *claim_puts, *claim_deletes]
            self._client.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons: list[Any] = error.response.get("CancellationReasons", [])
            failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
            if not failed:
                raise
            if failed[0] == 0:
                raise ConcurrencyError(stream_id, expected_version) from error
            if failed[0] <= len(claims):
                claim = claims[failed[0] - 1]
                held = self._claim_item(claim) or {}
                raise ClaimTaken(
                    claim, str(held.get("owner_stream_id", "?")), held.get("fingerprint")
                ) from error
            claim = release[failed[0] - 1 - len(claims)]
            held = self._claim_item(claim) or {}
            raise ClaimNotHeld(claim, stream_id, str(held.get("owner_stream_id", "?"))) from error
        return int(item["last_version"])

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        items: list[dict[str, Any]] = []
        if after_version > 0:
            # A commit that starts at or before ``after_version`` may still reach past it.
            spanning = self._query(stream_id, "version <= :v", after_version, descending=True)
            if spanning and int(spanning[0]["last_version"]) > after_version:
                items.extend(spanning)
        items.extend(self._query(stream_id, "version > :v", after_version))
        return [
            e
            for item in items
            if is_commit(item)
            for e in self._mapper.recorded_events(item)
            if e.version > after_version
        ]

    def head(self, stream_id: str) -> StreamHead:
        found = self._query(
            stream_id, "version > :v", 0, descending=True, attributes=HEAD_ATTRIBUTES
        )
        if not found:
            return StreamHead(version=0, snapshot=None)
        latest = found[0]
        return StreamHead(version=int(latest["last_version"]), snapshot=snapshot_of(latest))

    def claim_owner(self, claim: Claim) -> str | None:
        held = self._claim_item(claim)
        return str(held["owner_stream_id"]) if held else None

    def claim_holder(self, claim: Claim) -> ClaimTaken | None:
        held = self._claim_item(claim)
        if not held:
            return None
        return ClaimTaken(claim, str(held["owner_stream_id"]), held.get("fingerprint"))

    def read_all(self, segment: int = 0, total_segments: int = 1) -> Iterator[RecordedStream]:
        check_segment(segment, total_segments)
        return self._read_segment(segment, total_segments)

    def _read_segment(self, segment: int, total_segments: int) -> Iterator[RecordedStream]:
        names = {f"#a{i}": name for i, name in enumerate(HISTORY_ATTRIBUTES)}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Segment": segment,
            "TotalSegments": total_segments,
            "ConsistentRead": True,
            "ProjectionExpression": ", ".join(names),
            "FilterExpression": f"#a{HISTORY_ATTRIBUTES.index('item_kind')} = :commit",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_attribute_values({":commit": COMMIT}),
        }
        # A stream's commits all fall into one segment (segments split the partition keys),
        # but need not arrive in order or on one page: group them until the segment is read.
        streams: dict[str, list[dict[str, Any]]] = {}
        for page in self._client.get_paginator("scan").paginate(**request):
            for raw in page.get("Items", []):
                item = from_attribute_values(raw)
                streams.setdefault(str(item["stream_id"]), []).append(item)
        for stream_id, items in streams.items():
            events = tuple(self._history(items))
            if events:
                yield RecordedStream(stream_id, events)

    def _history(self, items: list[dict[str, Any]]) -> Iterator[RecordedEvent]:
        """The domain events of a stream's commits, in order, up to the first gap.

        Commits are only ever added after a stream's last one, so a gap means the Scan read a
        growing stream out of order: what comes before it is the stream as it was (a prefix,
        as the port promises), and the change stream brings the rest.
        """
        expected = 1
        for item in sorted(items, key=lambda i: int(i["version"])):
            if int(item["version"]) != expected:
                return
            yield from self._mapper.recorded_events(item)
            expected = int(item["last_version"]) + 1

    def _claim_item(self, claim: Claim) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_attribute_values({"stream_id": claim.claim_id, "version": 0}),
            ConsistentRead=True,
        )
        return from_attribute_values(response["Item"]) if "Item" in response else None

    def _query(
        self,
        stream_id: str,
        condition: str,
        version: int,
        *,
        descending: bool = False,
        attributes: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """Items of one stream; ``descending`` reads only the newest matching item."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"stream_id = :s AND {condition}",
            "ExpressionAttributeValues": to_attribute_values({":s": stream_id, ":v": version}),
            "ConsistentRead": True,
        }
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        if descending:
            request.update(ScanIndexForward=False, Limit=1)
            response = self._client.query(**request)
            return [from_attribute_values(i) for i in response.get("Items", [])]
        items: list[dict[str, Any]] = []
        for page in self._client.get_paginator("query").paginate(**request):
            items.extend(from_attribute_values(i) for i in page.get("Items", []))
        return items


def _claim_item(claim: Claim, owner_stream_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "stream_id": claim.claim_id,
        "version": 0,
        "item_kind": CLAIM,
        "owner_stream_id": owner_stream_id,
    }
    if claim.fingerprint is not None:
        item["fingerprint"] = claim.fingerprint
    return item


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
