"""The local event source mapping: poll a table's stream and feed a function like Lambda.

moto's own event source mappings need Docker and drain the stream buffer, so the mapping is
emulated here against the ``dynamodbstreams`` API, honouring the template's BatchSize,
ReportBatchItemFailures, BisectBatchOnFunctionError and MaximumRetryAttempts.
"""

from __future__ import annotations

import base64
import collections
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_aws.files import open_private_append, tighten
from local_aws.template import LOCAL_REGION, StreamMapping

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

DEAD_LETTER_FILE = "dead-letters.jsonl"
Invoke = Callable[[dict[str, Any]], Any]
# Outcomes of one invocation besides "all done" (None) and "redeliver from index n > 0".
_WHOLE_BATCH = 0
_HEAD_FAILED = -1


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


class StreamPoller:
    """One background thread per mapping: read the stream in order, invoke, retry, dead-letter."""

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
    ) -> None:
        self.mapping = mapping
        self.stream_arn = stream_arn
        self._client = client
        self._invoke = invoke
        self._dead_letters = dead_letter_path
        self._region = region
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()
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
        self.delivered = 0  # records the function has finished with (done or dead-lettered)

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
            if self._buffer:
                self._deliver_one_batch()
                continue
            if not fetched:
                with self._idle:
                    self._caught_up_at = cycle_start
                    self._idle.notify_all()
                self._stop.wait(self._poll_interval)

    def _fetch(self) -> bool:
        """Top the buffer up from every open shard; True if any record arrived."""
        if not self._iterators:
            self._discover_shards()
        fetched = False
        for shard_id, iterator in list(self._iterators.items()):
            if len(self._buffer) >= self.mapping.batch_size:
                break
            response = self._client.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            self._buffer.extend(
                to_lambda_record(dict(r), self.stream_arn, self._region) for r in records
            )
            fetched = fetched or bool(records)
            next_iterator = response.get("NextShardIterator")
            if next_iterator:
                self._iterators[shard_id] = next_iterator
            else:  # the shard was closed and is fully read; its children carry on
                del self._iterators[shard_id]
                self._closed_shards.add(shard_id)
        return fetched

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

    def _deliver_one_batch(self) -> None:
        batch = [self._buffer[i] for i in range(min(self._limit, len(self._buffer)))]
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
            self._dead_letter([self._buffer[i] for i in range(casualties)])
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
        if count <= 0:
            return
        for _ in range(count):
            self._buffer.popleft()
        self.delivered += count
        self._attempts = 0
        self._limit = self.mapping.batch_size

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
