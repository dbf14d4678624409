"""Where member summaries live: the views table (DynamoDB) or memory (unit tests).

Views table layout of generation ``n`` (see ``verein.changes.rebuild``), with ``<g>`` empty for
generation 1 and ``g<n>#`` after it: ``pk = <g>member#<id>``, ``sk = summary``; the ``by_list``
index lists members by status (``list_pk = <g>members#<status>``, ``list_sk =
<applied_at>#<id>``), so "all applications" is one Query, never a Scan. The control item
(``pk = views#control``, ``sk = membership.directory``) names the served generation.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from verein.changes.rebuild import GenerationControl, Generations
from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values
from verein.membership.views.generations import (
    DynamoDBGenerationControl,
    InMemoryGenerationControl,
)
from verein.membership.views.summary import MemberSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LIST_INDEX = "by_list"
VIEW = "membership.directory"
"""The view's name: its projector's, and the sort key of its control item."""


@dataclass(frozen=True)
class MemberPage:
    members: list[MemberSummary]
    next_cursor: str | None
    """Pass as ``after`` to get the next page; None on the last page."""


_CURSOR = re.compile(r"^[0-9T:.+\-]{10,40}#[0-9a-f-]{36}$")


def _list_position(summary: MemberSummary) -> str:
    """Where a member stands in its status list: the index's sort key ``list_sk``."""
    return f"{summary.applied_at.isoformat()}#{summary.member_id}"


def _cursor(summary: MemberSummary) -> str:
    return base64.urlsafe_b64encode(_list_position(summary).encode()).decode().rstrip("=")


def _position(cursor: str) -> str:
    """The list position a cursor stands for; ``InvalidCursor`` for anything we did not issue."""
    try:
        position = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor(cursor) from error
    if not _CURSOR.match(position):
        raise InvalidCursor(cursor)
    return position


class InvalidCursor(ValueError):
    """A paging cursor that this API did not hand out."""


class ViewChangedConcurrently(Exception):
    """Another projector run moved the view on first; the change will be redelivered."""


class MemberViews(Protocol):
    """Member summaries by generation (``verein.changes.rebuild``); ``generation`` None means
    the one served now (``current``), read from the control item on each call."""

    @property
    def generations(self) -> GenerationControl: ...

    def get(self, member_id: str, generation: int | None = None) -> MemberSummary | None: ...

    def get_many(self, member_ids: Sequence[str], generation: int) -> dict[str, MemberSummary]:
        """The stored summaries of these (distinct) members, by member id."""
        ...

    def save(
        self, summary: MemberSummary, expected_position: int, generation: int | None = None
    ) -> None:
        """Write the view if its stored ``position`` is ``expected_position`` (0: no view yet);
        otherwise ``ViewChangedConcurrently`` and nothing is written."""
        ...

    def put_many(self, summaries: Sequence[MemberSummary], generation: int) -> None:
        """Write summaries unconditionally, into the ``building`` generation only (else
        ``ValueError``): readers never see it, and the rebuild repairs what this overwrote."""
        ...

    def by_status(
        self,
        status: str,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
        *,
        newest_first: bool = False,
    ) -> MemberPage:
        """Members of ``status`` in application order (then member id), ``limit`` (>= 1) a page;
        ``newest_first`` reverses the order.

        ``next_cursor`` is None exactly on the last page: following the cursors never ends on
        an empty page. ``after`` takes only cursors handed out here (else ``InvalidCursor``);
        they name no generation, so paging goes on across a switch. Nor do they name an order:
        a cursor is a position in the list, and the page goes on from there in the order asked
        for, so pass the same ``newest_first`` to continue (the other one turns back at that
        position: the members before it, nearest first).
        """
        ...

    def drop(self, generation: int) -> int:
        """Delete every summary of a generation that is not live (else ``ValueError``); how
        many there were."""
        ...


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")


def _check_building(generations: Generations, generation: int) -> None:
    if generation != generations.building:
        raise ValueError(f"generation {generation} is not being built ({generations})")


def _check_not_live(generations: Generations, generation: int) -> None:
    if generation in generations.live:
        raise ValueError(f"generation {generation} is live ({generations}): not deleted")


def _prefix(generation: int) -> str:
    """Generation 1 keeps the keys views had before generations: no migration needed."""
    return "" if generation == 1 else f"g{generation}#"


def _key(member_id: str, generation: int) -> dict[str, Any]:
    return {"pk": f"{_prefix(generation)}member#{member_id}", "sk": "summary"}


def _list_pk(status: str, generation: int) -> str:
    return f"{_prefix(generation)}members#{status}"


def _item(summary: MemberSummary, generation: int) -> dict[str, Any]:
    return {
        **_key(summary.member_id, generation),
        "list_pk": _list_pk(summary.status, generation),
        "list_sk": _list_position(summary),
        **summary.model_dump(mode="json"),
    }


class DynamoDBMemberViews:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._generations = DynamoDBGenerationControl(client, table_name, VIEW)

    @property
    def generations(self) -> DynamoDBGenerationControl:
        return self._generations

    def _resolve(self, generation: int | None) -> int:
        return self._generations.read().current if generation is None else generation

    def get(self, member_id: str, generation: int | None = None) -> MemberSummary | None:
        key = _key(member_id, self._resolve(generation))
        response = self._client.get_item(
            TableName=self._table, Key=to_attribute_values(key), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        return MemberSummary.model_validate(from_attribute_values(response["Item"]))

    def get_many(self, member_ids: Sequence[str], generation: int) -> dict[str, MemberSummary]:
        found: dict[str, MemberSummary] = {}
        for start in range(0, len(member_ids), 100):  # BatchGetItem's limit
            keys = [
                to_attribute_values(_key(m, generation)) for m in member_ids[start : start + 100]
            ]
            for raw in self._batch_get(keys):
                summary = MemberSummary.model_validate(from_attribute_values(raw))
                found[summary.member_id] = summary
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        pending: Any = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(_BATCH_ATTEMPTS):
            response = self._client.batch_get_item(RequestItems=pending)
            yield from response["Responses"].get(self._table, [])
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return
            time.sleep(_backoff(attempt))  # throttled: DynamoDB returns what it did not read
        raise RuntimeError(f"BatchGetItem on {self._table} kept returning unprocessed keys")

    def save(
        self, summary: MemberSummary, expected_position: int, generation: int | None = None
    ) -> None:
        item = _item(summary, self._resolve(generation))
        if expected_position == 0:
            condition, values = "attribute_not_exists(pk)", None
        else:
            condition, values = "#position = :expected", {":expected": expected_position}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(item),
            "ConditionExpression": condition,
        }
        if values is not None:
            request["ExpressionAttributeNames"] = {"#position": "position"}
            request["ExpressionAttributeValues"] = to_attribute_values(values)
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ViewChangedConcurrently(summary.member_id) from error
            raise

    def put_many(self, summaries: Sequence[MemberSummary], generation: int) -> None:
        _check_building(self._generations.read(), generation)
        self._batch_write(
            [{"PutRequest": {"Item": to_attribute_values(_item(s, generation))}} for s in summaries]
        )

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):  # BatchWriteItem's limit
            pending: Any = {self._table: requests[start : start + 25]}
            for attempt in range(_BATCH_ATTEMPTS):
                pending = self._client.batch_write_item(RequestItems=pending).get(
                    "UnprocessedItems"
                )
                if not pending:
                    break
                time.sleep(_backoff(attempt))
            else:
                raise RuntimeError(f"BatchWriteItem on {self._table} kept items unprocessed")

    def by_status(
        self,
        status: str,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
        *,
        newest_first: bool = False,
    ) -> MemberPage:
        _check_limit(limit)
        served = self._resolve(generation)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :p",
            "ExpressionAttributeValues": to_attribute_values({":p": _list_pk(status, served)}),
            "ScanIndexForward": not newest_first,
        }
        if after is not None:
            position = _position(after)
            member_id = position.rsplit("#", 1)[1]
            request["ExclusiveStartKey"] = to_attribute_values(
                {
                    **_key(member_id, served),
                    "list_pk": _list_pk(status, served),
                    "list_sk": position,
                }
            )
        # One member more than the page: DynamoDB hands out a LastEvaluatedKey whenever it
        # stopped at ``Limit`` (or 1 MB), also when nothing follows, so only that extra member
        # tells whether there is a next page.
        found: list[MemberSummary] = []
        while len(found) <= limit:
            request["Limit"] = limit + 1 - len(found)
            response = self._client.query(**request)
            found.extend(
                MemberSummary.model_validate(from_attribute_values(i)) for i in response["Items"]
            )
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        page = found[:limit]
        return MemberPage(page, _cursor(page[-1]) if len(found) > limit else None)

    def drop(self, generation: int) -> int:
        _check_not_live(self._generations.read(), generation)
        # A Scan, not the index: it also finds items the index has not caught up with.
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "pk, sk",
            "FilterExpression": "begins_with(pk, :family)",
            "ExpressionAttributeValues": to_attribute_values(
                {":family": f"{_prefix(generation)}member#"}
            ),
        }
        keys = [
            item
            for page in self._client.get_paginator("scan").paginate(**request)
            for item in page.get("Items", [])
        ]
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in keys])
        return len(keys)


_BATCH_ATTEMPTS = 8


def _backoff(attempt: int) -> float:
    return float(min(0.05 * 2**attempt, 2.0))


class InMemoryMemberViews:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generations = InMemoryGenerationControl()
        self._stored: dict[int, dict[str, MemberSummary]] = {}

    @property
    def generations(self) -> InMemoryGenerationControl:
        return self._generations

    @property
    def summaries(self) -> dict[str, MemberSummary]:
        """The served generation's summaries by member id (tests read and tamper with it)."""
        return self.stored(self._generations.read().current)

    def stored(self, generation: int) -> dict[str, MemberSummary]:
        with self._lock:
            return self._stored.setdefault(generation, {})

    def _resolve(self, generation: int | None) -> int:
        return self._generations.read().current if generation is None else generation

    def get(self, member_id: str, generation: int | None = None) -> MemberSummary | None:
        return self.stored(self._resolve(generation)).get(member_id)

    def get_many(self, member_ids: Sequence[str], generation: int) -> dict[str, MemberSummary]:
        stored = self.stored(generation)
        return {m: stored[m] for m in member_ids if m in stored}

    def save(
        self, summary: MemberSummary, expected_position: int, generation: int | None = None
    ) -> None:
        stored = self.stored(self._resolve(generation))
        with self._lock:
            current = stored.get(summary.member_id)
            if (current.position if current else 0) != expected_position:
                raise ViewChangedConcurrently(summary.member_id)
            stored[summary.member_id] = summary

    def put_many(self, summaries: Sequence[MemberSummary], generation: int) -> None:
        _check_building(self._generations.read(), generation)
        stored = self.stored(generation)
        with self._lock:
            stored.update((s.member_id, s) for s in summaries)

    def by_status(
        self,
        status: str,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
        *,
        newest_first: bool = False,
    ) -> MemberPage:
        _check_limit(limit)
        stored = self.stored(self._resolve(generation))
        with self._lock:
            found = [s for s in stored.values() if s.status == status]
        # ``list_sk`` is ASCII: str order is DynamoDB's byte order
        ordered = sorted(found, key=_list_position, reverse=newest_first)
        if after is not None:
            position = _position(after)
            ordered = [
                s
                for s in ordered
                if (_list_position(s) < position if newest_first else _list_position(s) > position)
            ]
        page = ordered[:limit]
        return MemberPage(page, _cursor(page[-1]) if len(ordered) > limit else None)

    def drop(self, generation: int) -> int:
        _check_not_live(self._generations.read(), generation)
        with self._lock:
            return len(self._stored.pop(generation, {}))
