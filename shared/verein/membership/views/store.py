"""Where member summaries live: the views table (DynamoDB) or memory (unit tests).

Views table layout: ``pk = member#<id>``, ``sk = summary``; the ``by_list`` index lists members
by status (``list_pk = members#<status>``, ``list_sk = <applied_at>#<id>``), so "all
applications" is one Query, never a Scan.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from verein.eventstore.dynamodb import from_attribute_values, to_attribute_values
from verein.membership.views.summary import MemberSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LIST_INDEX = "by_list"


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
    def get(self, member_id: str) -> MemberSummary | None: ...

    def save(self, summary: MemberSummary, expected_position: int) -> None:
        """Write the view if its stored ``position`` is ``expected_position`` (0: no view yet);
        otherwise ``ViewChangedConcurrently`` and nothing is written."""
        ...

    def by_status(self, status: str, limit: int = 100, after: str | None = None) -> MemberPage:
        """Members of ``status`` in application order (then member id), ``limit`` (>= 1) a page.

        ``next_cursor`` is None exactly on the last page: following the cursors never ends on
        an empty page. ``after`` takes only cursors handed out here (else ``InvalidCursor``).
        """
        ...


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")


def _key(member_id: str) -> dict[str, Any]:
    return {"pk": f"member#{member_id}", "sk": "summary"}


class DynamoDBMemberViews:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, member_id: str) -> MemberSummary | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_attribute_values(_key(member_id)), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        return MemberSummary.model_validate(from_attribute_values(response["Item"]))

    def save(self, summary: MemberSummary, expected_position: int) -> None:
        item = {
            **_key(summary.member_id),
            "list_pk": f"members#{summary.status}",
            "list_sk": _list_position(summary),
            **summary.model_dump(mode="json"),
        }
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

    def by_status(self, status: str, limit: int = 100, after: str | None = None) -> MemberPage:
        _check_limit(limit)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": LIST_INDEX,
            "KeyConditionExpression": "list_pk = :p",
            "ExpressionAttributeValues": to_attribute_values({":p": f"members#{status}"}),
        }
        if after is not None:
            position = _position(after)
            member_id = position.rsplit("#", 1)[1]
            request["ExclusiveStartKey"] = to_attribute_values(
                {**_key(member_id), "list_pk": f"members#{status}", "list_sk": position}
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


class InMemoryMemberViews:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.summaries: dict[str, MemberSummary] = {}

    def get(self, member_id: str) -> MemberSummary | None:
        with self._lock:
            return self.summaries.get(member_id)

    def save(self, summary: MemberSummary, expected_position: int) -> None:
        with self._lock:
            current = self.summaries.get(summary.member_id)
            if (current.position if current else 0) != expected_position:
                raise ViewChangedConcurrently(summary.member_id)
            self.summaries[summary.member_id] = summary

    def by_status(self, status: str, limit: int = 100, after: str | None = None) -> MemberPage:
        _check_limit(limit)
        with self._lock:
            found = [s for s in self.summaries.values() if s.status == status]
        ordered = sorted(found, key=_list_position)
        if after is not None:
            position = _position(after)
            ordered = [s for s in ordered if _list_position(s) > position]
        page = ordered[:limit]
        return MemberPage(page, _cursor(page[-1]) if len(ordered) > limit else None)
