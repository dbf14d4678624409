"""The local event source mapping: poll a table's stream and feed a function like Lambda.

moto's own event source mappings need Docker and drain the stream buffer, so the mapping is
emulated here against the ``dynamodbstreams`` API, honouring the template's BatchSize,
MaximumBatchingWindowInSeconds, ReportBatchItemFailures, BisectBatchOnFunctionError,
MaximumRetryAttempts and FilterCriteria:

- a batch goes out when it is full (``BatchSize`` records, or as many as fit Lambda's 6 MB
  invocation payload), or when the batching window has passed since its first record came;
- records that match none of the filter patterns are never delivered: like Lambda, the
  mapping moves past them (they count as done in ``delivered``);
- ``GetRecords`` asks for one batch's worth at a time (moto holds the backend's lock while it
  answers, so every write waits for it).
"""

from __future__ import annotations

import base64
import collections
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_aws.files import open_private_append, tighten
from local_aws.template import LOCAL_REGION, StreamMapping

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

DEAD_LETTER_FILE = "dead-letters.jsonl"
Invoke = Callable[[dict[str, Any]], Any]
#: Lambda's limit on a synchronous invocation's payload.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: ``GetRecords`` returns at most this many records per call.
MAX_GET_RECORDS = 1000
# Outcomes of one invocation besides "all done" (None) and "redeliver from index n > 0".
_WHOLE_BATCH = 0
_HEAD_FAILED = -1


# --- FilterCriteria: Lambda's event filtering -------------------------------------------------


class FilterPattern:
    """One ``FilterCriteria.Filters[].Pattern`` (a JSON object, or its text as in a template).

    As Lambda's event filtering: every field of the pattern must match (nested objects
    recurse); a field's list of conditions matches if any one does; a record field holding a
    list matches if any element does. Conditions: a literal (string, number, true, false,
    null), ``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but`` (a value, a list,
    or a ``prefix``), ``numeric`` (comparisons ANDed) and ``exists``. Anything else is refused
    when the pattern is read, so a pattern the emulator cannot honour never filters silently.
    """

    def __init__(self, pattern: str | Mapping[str, Any]) -> None:
        parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
        if not isinstance(parsed, Mapping) or not parsed:
            raise ValueError(f"a filter pattern is a non-empty JSON object, not {pattern!r}")
        _check_pattern(parsed)
        self.pattern: Mapping[str, Any] = parsed

    def matches(self, record: Mapping[str, Any]) -> bool:
        return _object_matches(self.pattern, record)


def _check_pattern(pattern: Mapping[str, Any]) -> None:
    for key, rule in pattern.items():
        if isinstance(rule, Mapping):
            _check_pattern(rule)
        elif not isinstance(rule, list) or not rule:
            raise ValueError(f"filter field {key!r}: a non-empty list of conditions, not {rule!r}")
        else:
            for condition in rule:
                _check_condition(key, condition)


_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"}


def _check_condition(key: str, condition: Any) -> None:
    if not isinstance(condition, Mapping):
        return  # a literal
    if len(condition) != 1 or next(iter(condition)) not in _OPERATORS:
        raise ValueError(f"filter field {key!r}: unsupported condition {condition!r}")
    if "numeric" in condition:
        _numeric_tests(condition["numeric"])  # raises on a malformed one


def _object_matches(pattern: Mapping[str, Any], data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    for key, rule in pattern.items():
        present = key in data
        if isinstance(rule, Mapping):
            if not (present and _object_matches(rule, data[key])):
                return False
        elif not _field_matches(rule, present, data.get(key)):
            return False
    return True


def _field_matches(conditions: Sequence[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for condition in conditions:
        if isinstance(condition, Mapping) and "exists" in condition:
            if bool(condition["exists"]) == present:
                return True
        elif present and any(_condition_matches(condition, v) for v in values):
            return True
    return False


def _condition_matches(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return _same(condition, value)
    ((operator, operand),) = condition.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(operand).casefold()
    if operator == "anything-but":
        return not _anything_but_excludes(operand, value)
    return _numeric_matches(operand, value)


def _same(literal: Any, value: Any) -> bool:
    if isinstance(literal, bool) or literal is None or isinstance(value, bool):
        return literal is value or (literal == value and type(literal) is type(value))
    if isinstance(literal, int | float) and isinstance(value, int | float):
        return Decimal(str(literal)) == Decimal(str(value))
    return bool(literal == value)


def _anything_but_excludes(operand: Any, value: Any) -> bool:
    if isinstance(operand, Mapping) and "prefix" in operand:
        return isinstance(value, str) and value.startswith(operand["prefix"])
    excluded = operand if isinstance(operand, list) else [operand]
    return any(_same(literal, value) for literal in excluded)


_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _numeric_tests(operand: Any) -> list[tuple[str, Decimal]]:
    if not isinstance(operand, list) or not operand or len(operand) % 2:
        raise ValueError(f"numeric filter: operator, number pairs, not {operand!r}")
    tests = list(zip(operand[::2], operand[1::2], strict=True))
    if any(op not in _COMPARE or not isinstance(n, int | float) for op, n in tests):
        raise ValueError(f"numeric filter: operator, number pairs, not {operand!r}")
    return [(op, Decimal(str(n))) for op, n in tests]


def _numeric_matches(operand: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False  # DynamoDB's N values are strings in a record: they never compare
    number = Decimal(str(value))
    return all(_COMPARE[op](number, limit) for op, limit in _numeric_tests(operand))


def passes(filters: Sequence[FilterPattern], record: Mapping[str, Any]) -> bool:
    """Whether Lambda would deliver ``record``: no filters, or any one of them matches."""
    return not filters or any(f.matches(record) for f in filters)


# --- records ----------------------------------------------------------------------------------


def _wire_value(value: Any) -> Any:
    """boto3 decodes binary attributes to bytes; Lambda's event carries them base64-encoded."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _wire_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    return value


def to_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One ``GetRecords`` record in the shape Lambda delivers it to a stream-triggered function."""
    stream = record["dynamodb"]
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        created_epoch: float = created.timestamp()
    else:
        created_epoch = float(created or time.time())
    data: dict[str, Any] = {
        # Lambda sends whole epoch seconds here.
        "ApproximateCreationDateTime": int(created_epoch),
        "Keys": _wire_value(stream.get("Keys", {})),
    }
    for image in ("NewImage", "OldImage"):
        if image in stream:
            data[image] = _wire_value(stream[image])
    data["SequenceNumber"] = stream["SequenceNumber"]
    data["SizeBytes"] = stream.get("SizeBytes", 0)
    data["StreamViewType"] = stream.get("StreamViewType", "NEW_IMAGE")
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        # moto always says us-east-1; the function would see the stack's own region.
        "awsRegion": region,
        "dynamodb": data,
        "eventSourceARN": stream_arn,
    }


@dataclass
class _Buffered:
    record: dict[str, Any]
    delivered: bool  # False: filtered out, the function never sees it
    size: int  # bytes in the invocation payload


class StreamPoller:
    """One background thread per mapping: read the stream in order, invoke, retry, dead-letter.

    ``filters`` are the mapping's ``FilterCriteria`` patterns; by default those the mapping
    carries (``mapping.filters``, if the template reader provides them).
    """

    def __init__(
        self,
        mapping: StreamMapping,
        stream_arn: str,
        client: DynamoDBStreamsClient,
        invoke: Invoke,
        dead_letter_path: Path,
        *,
        region: str = LOCAL_REGION,
        poll_interval: float = 0.1,
        retry_delay: float = 0.05,
        filters: Iterable[str | Mapping[str, Any]] | None = None,
    ) -> None:
        self.mapping = mapping
        self.stream_arn = stream_arn
        self._client = client
        self._invoke = invoke
        self._dead_letters = dead_letter_path
        self._region = region
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        patterns = getattr(mapping, "filters", ()) if filters is None else filters
        self.filters = tuple(FilterPattern(p) for p in patterns or ())
        self._window = float(mapping.maximum_batching_window_s)
        self._page = max(1, min(MAX_GET_RECORDS, mapping.batch_size))
        self._buffer: collections.deque[_Buffered] = collections.deque()
        self._waiting = 0  # records in the buffer the function is to get
        self._gathering_since: float | None = None  # when the next batch's first record came
        self._iterators: dict[str, str] = {}  # shard id -> next iterator
        self._closed_shards: set[str] = set()
        self._attempts = 0  # failed attempts of the record at the head of the buffer
        self._limit = mapping.batch_size  # shrinks while bisecting a failing batch
        self._caught_up_at = -1.0
        self._idle = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"stream-{mapping.function}", daemon=True
        )
        #: Records the mapping is finished with, in stream order: delivered and done,
        #: dead-lettered, or filtered out.
        self.delivered = 0

    def start(self) -> StreamPoller:
        tighten(self._dead_letters)  # an older stack made it 0644
        self._thread.start()
        return self

    def signal_stop(self) -> None:
        """Ask the thread to stop after what it is doing now, without waiting for it."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once a full poll that began after this call found nothing left to deliver."""
        since = time.monotonic()
        deadline = since + timeout
        with self._idle:
            while self._caught_up_at < since:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._idle.wait(min(remaining, 0.5))
        return True

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            cycle_start = time.monotonic()
            try:
                fetched = self._fetch()
            except Exception as error:  # the backend may be restarting or shutting down
                if not self._stop.is_set():
                    print(f"stream poller {self.mapping.function}: {error}", file=sys.stderr)
                self._stop.wait(1.0)
                continue
            if self._batch_due():
                self._deliver_one_batch()
                continue
            if not fetched and not self._waiting:
                with self._idle:
                    self._caught_up_at = cycle_start
                    self._idle.notify_all()
            self._stop.wait(self._pause())

    def _batch_due(self) -> bool:
        """Lambda invokes once the batch is full or the batching window has passed; a batch
        being retried or bisected goes again at once."""
        if not self._waiting:
            return False
        if self._waiting >= self._limit or self._attempts or self._limit < self.mapping.batch_size:
            return True
        if self._payload_full():
            return True
        started = self._gathering_since
        return started is None or time.monotonic() - started >= self._window

    def _pause(self) -> float:
        started = self._gathering_since
        if not self._waiting or started is None:
            return self._poll_interval
        return max(0.0, min(self._poll_interval, started + self._window - time.monotonic()))

    def _fetch(self) -> bool:
        """Top the buffer up to a batch from every open shard; True if any record arrived."""
        if not self._iterators:
            self._discover_shards()
        fetched = False
        for shard_id, iterator in list(self._iterators.items()):
            if self._waiting >= self.mapping.batch_size:
                break
            response = self._client.get_records(ShardIterator=iterator, Limit=self._page)
            records = response.get("Records", [])
            self._buffer_records(
                to_lambda_record(dict(r), self.stream_arn, self._region) for r in records
            )
            fetched = fetched or bool(records)
            next_iterator = response.get("NextShardIterator")
            if next_iterator:
                self._iterators[shard_id] = next_iterator
            else:  # the shard was closed and is fully read; its children carry on
                del self._iterators[shard_id]
                self._closed_shards.add(shard_id)
        self._skip_filtered()
        return fetched

    def _buffer_records(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            wanted = passes(self.filters, record)
            size = len(json.dumps(record, separators=(",", ":"))) if wanted else 0
            self._buffer.append(_Buffered(record, wanted, size))
            if wanted:
                if not self._waiting:
                    self._gathering_since = time.monotonic()
                self._waiting += 1

    def _skip_filtered(self) -> None:
        """Records filtered out at the head of the stream are done: the mapping moves on."""
        while self._buffer and not self._buffer[0].delivered:
            self._buffer.popleft()
            self.delivered += 1

    def _discover_shards(self) -> None:
        description = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._iterators or shard_id in self._closed_shards:
                continue
            # Shards found after the first one are children of read shards: read them whole.
            position = self.mapping.starting_position if not self._closed_shards else "TRIM_HORIZON"
            self._iterators[shard_id] = self._client.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType=position,  # type: ignore[arg-type]
            )["ShardIterator"]

    def _next_batch(self) -> list[dict[str, Any]]:
        """The records of the next invocation: up to the limit, within the payload limit."""
        batch: list[dict[str, Any]] = []
        size = 0
        for entry in self._buffer:
            if len(batch) >= self._limit:
                break
            if not entry.delivered:
                continue
            if batch and size + entry.size > MAX_PAYLOAD_BYTES:
                break
            batch.append(entry.record)
            size += entry.size
        return batch

    def _payload_full(self) -> bool:
        size = 0
        for entry in self._buffer:
            size += entry.size
            if size > MAX_PAYLOAD_BYTES:
                return True
        return False

    def _deliver_one_batch(self) -> None:
        batch = self._next_batch()
        outcome = self._call(batch)
        if outcome is None:
            self._done(len(batch))
            return
        if outcome > 0 or outcome == _HEAD_FAILED:
            # Reported item failures: records before the lowest failed one are done (Lambda
            # checkpoints there) and the batch is redelivered from the failed record.
            self._done(max(outcome, 0))
            casualties = 1
        elif self.mapping.bisect_on_error and len(batch) > 1:
            # The function failed as a whole: halving isolates the bad record and, as in
            # Lambda, does not spend the retry budget.
            self._limit = max(1, len(batch) // 2)
            return
        else:
            casualties = len(batch)
        self._attempts += 1
        retries = self.mapping.maximum_retry_attempts
        if retries is not None and self._attempts > retries:
            # Stand-in for the on-failure destination: record it, then let the stream move on.
            self._dead_letter(self._next_batch()[:casualties])
            self._done(casualties)
            return
        self._stop.wait(self._retry_delay * self._attempts)

    def _call(self, batch: list[dict[str, Any]]) -> int | None:
        """Invoke the function with ``batch``.

        None: all done. A positive index (or 0 with reported failures, as ``_HEAD_FAILED``):
        redeliver from that record. ``_WHOLE_BATCH``: the invocation failed as a whole.
        """
        try:
            response = self._invoke({"Records": batch})
        except Exception:
            print(
                f"stream poller {self.mapping.function}: batch of {len(batch)} failed\n"
                + traceback.format_exc(),
                file=sys.stderr,
            )
            return _WHOLE_BATCH
        if not self.mapping.report_batch_item_failures:
            return None
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return None
        positions = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in positions:
                return _WHOLE_BATCH  # Lambda treats a missing or unknown identifier so
            indexes.append(positions[identifier])
        first = min(indexes)
        return first if first > 0 else _HEAD_FAILED

    def _done(self, count: int) -> None:
        """The first ``count`` records the function gets are done (with the filtered-out
        records among and right after them)."""
        if count <= 0:
            return
        while count:
            entry = self._buffer.popleft()
            self.delivered += 1
            if entry.delivered:
                count -= 1
                self._waiting -= 1
        self._skip_filtered()
        self._attempts = 0
        self._limit = self.mapping.batch_size
        # The next batch gathers from now on, as Lambda's next one after this invocation.
        self._gathering_since = time.monotonic() if self._waiting else None

    def _dead_letter(self, records: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC).isoformat()
        # The records carry personal data: the file is the owner's only.
        with open_private_append(self._dead_letters) as out:
            for record in records:
                entry = {
                    "time": now,
                    "function": self.mapping.function,
                    "eventSourceARN": self.stream_arn,
                    "attempts": self._attempts,
                    "record": record,
                }
                out.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        print(
            f"stream poller {self.mapping.function}: {len(records)} record(s) dead-lettered "
            f"to {self._dead_letters}",
            file=sys.stderr,
        )
