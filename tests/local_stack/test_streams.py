"""The stream poller against a scripted stream: filters, batching, retries, positions.

The local stack's own tests (``test_local_gateway``) run the poller against the real backend;
these drive it with a fake ``dynamodbstreams`` client, so each Lambda rule is seen alone.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from local_aws.streams import FilterPattern, StreamPoller, passes
from local_aws.template import StreamMapping

ARN = "arn:aws:dynamodb:eu-central-1:123456789012:table/T/stream/2026"


class FakeStream:
    """One shard; ``add`` appends change records; GetRecords pages as DynamoDB Streams does."""

    def __init__(self, trickle: bool = False) -> None:
        self.trickle = trickle  # one record per GetRecords, as while they are being written
        self.records: list[dict[str, Any]] = []
        self.limits: list[int] = []
        self._lock = threading.Lock()

    def add(self, stream_id: str, version: int, **attributes: dict[str, Any]) -> None:
        image = {"stream_id": {"S": stream_id}, "version": {"N": str(version)}, **attributes}
        with self._lock:
            sequence = str(1000 + len(self.records))
            self.records.append(
                {
                    "eventID": sequence,
                    "eventName": "INSERT",
                    "dynamodb": {
                        "Keys": {"stream_id": image["stream_id"], "version": image["version"]},
                        "NewImage": image,
                        "SequenceNumber": sequence,
                        "SizeBytes": 10,
                        "StreamViewType": "NEW_IMAGE",
                        "ApproximateCreationDateTime": 1_800_000_000,
                    },
                }
            )

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        self.limits.append(Limit)
        start = int(ShardIterator)
        with self._lock:
            page = self.records[start : start + (1 if self.trickle else Limit)]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class Function:
    """Records each invocation's keys; fails the records it is told to."""

    def __init__(self, fail: set[str] | None = None, fail_whole: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail or set()  # reported as batch item failures
        self.fail_whole = fail_whole or set()  # the invocation raises

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        keys = [key(r) for r in event["Records"]]
        self.batches.append(keys)
        if self.fail_whole & set(keys):
            raise RuntimeError("boom")
        failed = [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in event["Records"]
            if key(r) in self.fail
        ]
        return {"batchItemFailures": failed}


def key(record: dict[str, Any]) -> str:
    image = record["dynamodb"]["NewImage"]
    return f"{image['stream_id']['S']}/{image['version']['N']}"


def delivered_keys(function: Function) -> list[str]:
    return [k for batch in function.batches for k in batch]


def run(
    stream: FakeStream,
    function: Function,
    tmp_path: Path,
    *,
    filters: list[Any] | None = None,
    **mapping: Any,
) -> StreamPoller:
    """A poller over ``stream`` run until it is idle, then stopped."""
    settings = {"batch_size": 10, "report_batch_item_failures": True, **mapping}
    poller = StreamPoller(
        StreamMapping(function="F", table="T", **settings),
        ARN,
        stream,  # type: ignore[arg-type]
        function,
        tmp_path / "dead-letters.jsonl",
        poll_interval=0.01,
        retry_delay=0.001,
        filters=filters,
    ).start()
    try:
        assert poller.wait_idle(20)
    finally:
        poller.stop()
    return poller


# --- filter patterns ------------------------------------------------------------------------

COMMIT = {"dynamodb": {"NewImage": {"item_kind": {"S": "commit"}, "n": 5, "tags": ["a", "b"]}}}
CLAIM = {"dynamodb": {"NewImage": {"item_kind": {"S": "claim"}}}, "eventName": "INSERT"}


@pytest.mark.parametrize(
    ("pattern", "commit", "claim"),
    [
        ({"dynamodb": {"NewImage": {"item_kind": {"S": ["commit"]}}}}, True, False),
        ({"dynamodb": {"NewImage": {"item_kind": {"S": ["commit", "claim"]}}}}, True, True),
        ({"dynamodb": {"NewImage": {"item_kind": {"S": [{"prefix": "cl"}]}}}}, False, True),
        ({"dynamodb": {"NewImage": {"item_kind": {"S": [{"suffix": "mit"}]}}}}, True, False),
        (
            {"dynamodb": {"NewImage": {"item_kind": {"S": [{"anything-but": "claim"}]}}}},
            True,
            False,
        ),
        (
            {"dynamodb": {"NewImage": {"item_kind": {"S": [{"anything-but": {"prefix": "c"}}]}}}},
            False,
            False,
        ),
        (
            {"dynamodb": {"NewImage": {"item_kind": {"S": [{"equals-ignore-case": "COMMIT"}]}}}},
            True,
            False,
        ),
        ({"dynamodb": {"NewImage": {"n": [{"numeric": [">", 4, "<=", 5]}]}}}, True, False),
        ({"dynamodb": {"NewImage": {"n": [{"numeric": [">", 5]}]}}}, False, False),
        ({"dynamodb": {"NewImage": {"tags": ["b"]}}}, True, False),  # any element of a list
        ({"eventName": [{"exists": True}]}, False, True),
        ({"eventName": [{"exists": False}]}, True, False),
        ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"n": [5]}}}, False, False),  # AND
        ({"dynamodb": {"NewImage": {"n": ["5"]}}}, False, False),  # a string is not a number
    ],
)
def test_filter_patterns_match_as_lambda_s(pattern: Any, commit: bool, claim: bool) -> None:
    for text_or_object in (pattern, json.dumps(pattern)):  # a template holds the JSON text
        compiled = FilterPattern(text_or_object)
        assert (compiled.matches(COMMIT), compiled.matches(CLAIM)) == (commit, claim)


def test_a_record_passes_if_any_filter_matches_and_always_without_filters() -> None:
    kinds = [
        FilterPattern({"dynamodb": {"NewImage": {"item_kind": {"S": [k]}}}}) for k in ("x", "claim")
    ]
    assert passes(kinds, CLAIM)
    assert not passes(kinds, COMMIT)
    assert passes((), COMMIT)


@pytest.mark.parametrize(
    "pattern",
    [
        "[]",
        {},
        {"a": "not a list"},
        {"a": []},
        {"a": [{"wildcard": "*"}]},
        {"a": [{"numeric": [">"]}]},
        {"a": [{"numeric": ["~", 1]}]},
    ],
)
def test_patterns_the_emulator_cannot_honour_are_refused(pattern: Any) -> None:
    with pytest.raises(ValueError):
        FilterPattern(pattern)


# --- the poller -------------------------------------------------------------------------------

ONLY_COMMITS = [json.dumps({"dynamodb": {"NewImage": {"item_kind": {"S": ["commit"]}}}})]


def test_filtered_records_never_reach_the_function_but_count_as_done(tmp_path: Path) -> None:
    stream = FakeStream()
    for n in range(1, 6):
        stream.add(f"claim#{n}", 0, item_kind={"S": "claim"})
        stream.add(f"member#{n}", 1, item_kind={"S": "commit"})
    stream.add("claim#last", 0, item_kind={"S": "claim"})  # the stream ends on a filtered one
    function = Function()
    poller = run(stream, function, tmp_path, filters=ONLY_COMMITS)
    assert delivered_keys(function) == [f"member#{n}/1" for n in range(1, 6)]
    assert poller.delivered == len(stream.records) == 11


def test_a_filtered_record_after_a_failing_one_is_not_done_before_it(tmp_path: Path) -> None:
    stream = FakeStream()
    stream.add("member#1", 1, item_kind={"S": "commit"})
    stream.add("member#2", 1, item_kind={"S": "commit"})
    stream.add("claim#3", 0, item_kind={"S": "claim"})
    stream.add("member#3", 1, item_kind={"S": "commit"})
    function = Function(fail={"member#2/1"})
    poller = run(stream, function, tmp_path, filters=ONLY_COMMITS, maximum_retry_attempts=2)
    # member#2 fails every time: retried twice, then dead-lettered; member#3 after it.
    assert delivered_keys(function) == [
        "member#1/1", "member#2/1", "member#3/1", "member#2/1", "member#3/1",
        "member#2/1", "member#3/1", "member#3/1",
    ]  # fmt: skip
    assert poller.delivered == 4
    letters = (tmp_path / "dead-letters.jsonl").read_text().splitlines()
    assert [key(json.loads(line)["record"]) for line in letters] == ["member#2/1"]


def test_the_batching_window_gathers_records_that_come_one_poll_after_another(
    tmp_path: Path,
) -> None:
    stream = FakeStream(trickle=True)
    for n in range(3):
        stream.add(f"member#{n}", 1)
    function = Function()
    run(stream, function, tmp_path, maximum_batching_window_s=1)
    assert function.batches == [["member#0/1", "member#1/1", "member#2/1"]]


def test_without_a_window_each_poll_s_records_go_at_once(tmp_path: Path) -> None:
    stream = FakeStream(trickle=True)
    for n in range(3):
        stream.add(f"member#{n}", 1)
    function = Function()
    run(stream, function, tmp_path)
    assert function.batches == [["member#0/1"], ["member#1/1"], ["member#2/1"]]


def test_a_full_batch_goes_without_waiting_for_the_window(tmp_path: Path) -> None:
    stream = FakeStream()
    for n in range(4):
        stream.add(f"member#{n}", 1)
    function = Function()
    # A window of five minutes: wait_idle(20) in ``run`` fails if a full batch waited for it.
    run(stream, function, tmp_path, batch_size=2, maximum_batching_window_s=300)
    assert function.batches == [["member#0/1", "member#1/1"], ["member#2/1", "member#3/1"]]


def test_get_records_asks_for_one_batch_at_a_time(tmp_path: Path) -> None:
    stream = FakeStream()
    for n in range(25):
        stream.add(f"member#{n}", 1)
    function = Function()
    run(stream, function, tmp_path, batch_size=10)
    assert stream.limits and max(stream.limits) == 10
    assert delivered_keys(function) == [f"member#{n}/1" for n in range(25)]
    assert [len(b) for b in function.batches] == [10, 10, 5]


def test_a_batch_stays_within_lambda_s_payload_limit(tmp_path: Path) -> None:
    stream = FakeStream()
    for n in range(3):
        stream.add(f"big#{n}", 1, blob={"S": "x" * 2_500_000})
    function = Function()
    run(stream, function, tmp_path)
    assert [len(b) for b in function.batches] == [2, 1]  # 2.5 MB each, 6 MB at most


def test_a_failing_invocation_is_bisected_down_to_the_bad_record(tmp_path: Path) -> None:
    stream = FakeStream()
    for n in range(4):
        stream.add(f"member#{n}", 1)
    function = Function(fail_whole={"member#2/1"})
    poller = run(stream, function, tmp_path, bisect_on_error=True, maximum_retry_attempts=1)
    # [0..3] fails, halves to [0, 1] (done), then [2, 3] fails, halves to [2]: that fails
    # once more (the retry), is dead-lettered, and [3] goes on. Order is never broken.
    assert function.batches == [
        ["member#0/1", "member#1/1", "member#2/1", "member#3/1"],
        ["member#0/1", "member#1/1"],
        ["member#2/1", "member#3/1"],
        ["member#2/1"],
        ["member#2/1"],
        ["member#3/1"],
    ]
    assert poller.delivered == 4
