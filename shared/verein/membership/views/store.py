"""Where member summaries live: the views table (DynamoDB) or memory (unit tests).

Views table layout of generation ``n`` (see ``verein.changes.rebuild``), with ``<g>`` empty for
generation 1 and ``g<n>#`` after it: ``pk = <g>member#<id>``, ``sk = summary``; the ``by_list``
index lists members by status (``list_pk = <g>members#<status>``, ``list_sk =
<applied_at>#<id>``), so "all applications" is one Query, never a Scan; the ``by_name`` index
lists everyone by name (``name_pk = <g>directory``, ``name_sk = <sort name> #<id>``, with the
listing attributes and ``search``, see ``verein.membership.views.directory``), so a filtered
or searched directory page is one partition's Query with a filter, never a Scan. The control
item (``pk = views#control``, ``sk = membership.directory``) names the served generation.
"""

from __future__ import annotations

import base64
import math
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from verein.changes.rebuild import GenerationControl, Generations
from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values
from verein.membership.views import directory as named
from verein.membership.views.directory import (
    DirectoryEntry,
    DirectoryPage,
    DirectoryQuery,
    entry_of,
    position_of,
    search_text,
)
from verein.membership.views.generations import (
    DynamoDBGenerationControl,
    InMemoryGenerationControl,
)
from verein.membership.views.summary import MemberSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LIST_INDEX = "by_list"
NAME_INDEX = "by_name"
InvalidCursor = named.InvalidCursor
"""A paging cursor that this API did not hand out (the directory's and the lists' alike)."""
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

    def directory(
        self,
        query: DirectoryQuery,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
    ) -> DirectoryPage:
        """Every member and applicant that meets ``query``, by name (then member id; see
        ``verein.membership.views.directory``), ``limit`` (>= 1) a page.

        As ``by_status``: ``next_cursor`` is None exactly on the last page, ``after`` takes
        only cursors handed out here for a directory page (else ``InvalidCursor``), and they
        name no generation. A cursor is a position in the whole directory, so it goes on with
        any query; send the same one to page through its members.
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


def _name_pk(generation: int) -> str:
    return f"{_prefix(generation)}directory"


def _item(summary: MemberSummary, generation: int) -> dict[str, Any]:
    """The stored item: every write (projector, rebuild) goes through here, so every item of
    every generation is in both indexes."""
    return {
        **_key(summary.member_id, generation),
        "list_pk": _list_pk(summary.status, generation),
        "list_sk": _list_position(summary),
        "name_pk": _name_pk(generation),
        "name_sk": position_of(entry_of(summary)),
        "search": search_text(summary),
        **summary.model_dump(mode="json"),
    }


def _directory_filter(query: DirectoryQuery) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The query as a FilterExpression with its names and values ("": no filter); the same
    conditions as ``DirectoryQuery.matches``, on the attributes the index holds.

    Dates are stored as ISO strings (``2026-12-31``), which order as the days they name; a
    comparison with an absent or NULL attribute is false."""
    conditions: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    day = query.day.isoformat()
    if query.status is not None:
        names["#status"] = "status"
        if query.status in ("ended", "terminating"):
            names["#ends"] = "ends_on"
            values |= {":day": day, ":terminating": "terminating"}
            over = "(#status = :terminating AND #ends < :day)"
            if query.status == "ended":
                values[":ended"] = "ended"
                conditions.append(f"(#status = :ended OR {over})")
            else:
                conditions.append("(#status = :terminating AND NOT #ends < :day)")
        else:
            values[":status"] = query.status
            conditions.append("#status = :status")
    if query.membership_type is not None:
        names |= {"#type": "membership_type", "#since": "type_since", "#previous": "previous_type"}
        values |= {":day": day, ":type": query.membership_type, ":string": "S"}
        before = "(#since > :day AND attribute_type(#previous, :string))"
        conditions.append(f"((#type = :type AND NOT {before}) OR ({before} AND #previous = :type))")
    if query.group is not None:
        names["#groups"] = "groups"
        values[":group"] = query.group
        conditions.append("contains(#groups, :group)")
    for n, word in enumerate(query.words):
        names["#search"] = "search"
        values[f":word{n}"] = word
        conditions.append(f"contains(#search, :word{n})")
    return " AND ".join(conditions), names, values


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

    def directory(
        self,
        query: DirectoryQuery,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
    ) -> DirectoryPage:
        _check_limit(limit)
        served = self._resolve(generation)
        condition, names, values = _directory_filter(query)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": NAME_INDEX,
            "KeyConditionExpression": "name_pk = :p",
            "ExpressionAttributeValues": to_attribute_values({":p": _name_pk(served), **values}),
        }
        if condition:
            request |= {"FilterExpression": condition, "ExpressionAttributeNames": names}
        if after is not None:
            position = named.position(after)
            request["ExclusiveStartKey"] = to_attribute_values(
                {
                    **_key(named.member_id_at(position), served),
                    "name_pk": _name_pk(served),
                    "name_sk": position,
                }
            )
        # One entry more than the page tells whether a next page exists (see ``by_status``).
        # ``Limit`` caps the entries a Query reads, before the filter. The first reads a page's
        # worth: an unfiltered page is 1 Query. The next reads what the filter's hit rate so
        # far suggests will give the rest, and any after it at least twice as many as the one
        # before; once a Query found nothing, up to 1 MB (DynamoDB's cap) each. So however rare the
        # matches, a page takes a few Queries more than the index's size in MB (``make
        # bench`` reports the counts at 5,000 members).
        found: list[DirectoryEntry] = []
        read = matched = requests = 0
        cap: int | None = limit + 1
        while len(found) <= limit:
            if cap is None:
                request.pop("Limit", None)
            else:
                request["Limit"] = cap
            response = self._client.query(**request)
            requests += 1
            items = response["Items"]
            read += response.get("ScannedCount", len(items))
            matched += len(items)
            missing = limit + 1 - len(found)
            found.extend(
                DirectoryEntry.model_validate(from_attribute_values(i)) for i in items[:missing]
            )
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            missing = limit + 1 - len(found)
            if cap is None or not items:
                cap = None
            else:
                hit_rate = math.ceil(1.25 * missing * read / matched)
                cap = hit_rate if requests == 1 else max(hit_rate, 2 * cap)
        page = found[:limit]
        next_cursor = named.cursor(page[-1]) if len(found) > limit else None
        return DirectoryPage(page, next_cursor, requests)

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

    def directory(
        self,
        query: DirectoryQuery,
        limit: int = 100,
        after: str | None = None,
        generation: int | None = None,
    ) -> DirectoryPage:
        _check_limit(limit)
        stored = self.stored(self._resolve(generation))
        with self._lock:
            summaries = list(stored.values())
        entries = sorted(
            (
                (position_of(entry), entry)
                for summary in summaries
                if query.matches(entry := entry_of(summary), search_text(summary))
            ),
            key=lambda listed: listed[0],  # str order is UTF-8 byte order, as DynamoDB's
        )
        if after is not None:
            start = named.position(after)
            entries = [listed for listed in entries if listed[0] > start]
        page = [entry for _, entry in entries[:limit]]
        next_cursor = named.cursor(page[-1]) if len(entries) > limit else None
        return DirectoryPage(page, next_cursor, requests=1)

    def drop(self, generation: int) -> int:
        _check_not_live(self._generations.read(), generation)
        with self._lock:
            return len(self._stored.pop(generation, {}))
