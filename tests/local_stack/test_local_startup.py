"""Start-up of the local stack from a snapshot plus the journal after it (infra/local_aws).

Self-contained: a throwaway template with an event store, a views table and a projector that
keeps, per stream, the versions it has seen, the latest image, and (not idempotent on purpose)
a count of every record it was handed, so a record delivered twice shows.

- a restart from the snapshot gives back every item and view exactly, without handing the
  projector a record again; records the projector had not finished come again;
- a crash (SIGKILL) at every step of writing a snapshot loses no acknowledged write;
- leftovers and broken files: a torn journal tail is still dropped, a partial snapshot or a
  journal that does not continue the snapshot is refused, temporary files are removed;
- everything is owner-only; stale views (projector code changed) are rebuilt.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_aws.backend import JOURNAL_FILE, BackendProcess
from local_aws.cli import LocalStack
from local_aws.snapshot import SNAPSHOT_FILE, code_fingerprint
from local_aws.template import LOCAL_REGION, load_template

TEMPLATE = """
Globals:
  Function:
    Timeout: 30
    Environment:
      Variables:
        VIEWS_TABLE: !Ref ViewsTable
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: stream_id, AttributeType: S}
        - {AttributeName: version, AttributeType: N}
      KeySchema:
        - {AttributeName: stream_id, KeyType: HASH}
        - {AttributeName: version, KeyType: RANGE}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  ViewsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  ProjectorFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/projector/
      Handler: app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt EventStoreTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 7
"""

# While the file "closed" exists next to the template, every batch fails (and is retried:
# no MaximumRetryAttempts), so records stay unconsumed for as long as a test wants.
PROJECTOR = """
import os
from pathlib import Path

import boto3

_dynamodb = boto3.client("dynamodb")
_GATE = Path(__file__).resolve().parents[2] / "closed"
REVISION = "1"


def handler(event, context):
    if _GATE.exists():
        raise RuntimeError("projection held back by the test")
    table = os.environ["VIEWS_TABLE"]
    for record in event["Records"]:
        keys = record["dynamodb"]["Keys"]
        key = {"pk": {"S": keys["stream_id"]["S"]}}
        version = {":v": {"NS": [keys["version"]["N"]]}}
        if record["eventName"] == "REMOVE":
            _dynamodb.update_item(
                TableName=table, Key=key, UpdateExpression="DELETE versions :v",
                ExpressionAttributeValues=version,
            )
        else:
            _dynamodb.update_item(
                TableName=table, Key=key,
                UpdateExpression="ADD versions :v SET latest = :image, revision = :r",
                ExpressionAttributeValues={
                    **version,
                    ":image": {"S": repr(sorted(record["dynamodb"]["NewImage"].items()))},
                    ":r": {"S": REVISION},
                },
            )
    _dynamodb.update_item(
        TableName=table, Key={"pk": {"S": "#deliveries"}}, UpdateExpression="ADD n :n",
        ExpressionAttributeValues={":n": {"N": str(len(event["Records"]))}},
    )
"""

EVENTS = "EventStoreTable"
VIEWS = "ViewsTable"
CRASH_POINTS = [
    "snapshot:captured",
    "snapshot:written",
    "snapshot:renamed",
    "journal:written",
    "journal:renamed",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project" / "fn" / "projector"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(PROJECTOR)
    template = tmp_path / "project" / "template.yaml"
    template.write_text(TEMPLATE)
    return template


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def hold_projection(project: Path, held: bool) -> None:
    gate = project.parent / "closed"
    if held:
        gate.touch()
    else:
        gate.unlink(missing_ok=True)


def client(endpoint: str) -> Any:
    # Explicit: the tests that run a bare backend have no stack to set the environment.
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # a fake credential, as the stack's own
        aws_session_token=None,
    )


def put(dynamodb: Any, stream: str, version: int, **extra: Any) -> None:
    dynamodb.put_item(
        TableName=EVENTS,
        Item={"stream_id": {"S": stream}, "version": {"N": str(version)}, **extra},
    )


def write_everything(dynamodb: Any, prefix: str = "s") -> int:
    """Every kind of journaled write and attribute type; returns how many writes were made."""
    writes = 0
    for number in range(12):
        put(
            dynamodb,
            f"{prefix}-{number % 4}",
            number,
            text={"S": f"Grüße {number} ✓"},
            amount={"N": "12.50"},
            blob={"B": bytes([0, 255, number])},
            tags={"SS": ["a", f"t{number}"]},
            scores={"NS": ["1", "2.5"]},
            blobs={"BS": [b"\x00", b"\x01"]},
            nested={"M": {"list": {"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}]}}},
            flag={"BOOL": number % 2 == 0},
        )
        writes += 1
    dynamodb.update_item(
        TableName=EVENTS,
        Key={"stream_id": {"S": f"{prefix}-0"}, "version": {"N": "0"}},
        UpdateExpression="SET nested.#l[0] = :v ADD tags :t",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={":v": {"S": "changed"}, ":t": {"SS": ["added"]}},
    )
    dynamodb.delete_item(
        TableName=EVENTS, Key={"stream_id": {"S": f"{prefix}-1"}, "version": {"N": "1"}}
    )
    dynamodb.batch_write_item(
        RequestItems={
            EVENTS: [
                {
                    "PutRequest": {
                        "Item": {"stream_id": {"S": f"{prefix}-b"}, "version": {"N": "1"}}
                    }
                },
                {
                    "DeleteRequest": {
                        "Key": {"stream_id": {"S": f"{prefix}-2"}, "version": {"N": "2"}}
                    }
                },
            ]
        }
    )
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": EVENTS,
                    "Item": {"stream_id": {"S": f"{prefix}-t"}, "version": {"N": "1"}},
                }
            },
            {
                "Update": {
                    "TableName": EVENTS,
                    "Key": {"stream_id": {"S": f"{prefix}-3"}, "version": {"N": "3"}},
                    "UpdateExpression": "SET amount = :a",
                    "ExpressionAttributeValues": {":a": {"N": "99"}},
                }
            },
        ]
    )
    return writes + 4


def scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))


def dump(endpoint: str) -> dict[str, list[dict[str, Any]]]:
    dynamodb = client(endpoint)
    return {EVENTS: scan(dynamodb, EVENTS), VIEWS: scan(dynamodb, VIEWS)}


def deliveries(endpoint: str) -> int:
    item = client(endpoint).get_item(TableName=VIEWS, Key={"pk": {"S": "#deliveries"}})
    return int(item.get("Item", {}).get("n", {}).get("N", "0"))


def journal_seqs(data_dir: Path) -> list[int]:
    path = data_dir / JOURNAL_FILE
    if not path.exists():
        return []
    return [json.loads(line)["seq"] for line in path.read_text().splitlines()]


def read_snapshot(data_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((data_dir / SNAPSHOT_FILE).read_bytes())
    return document


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stack(project: Path, data_dir: Path, **options: Any) -> LocalStack:
    return LocalStack(project, data_dir, ready_timeout=120, **options)


# --- restart equals before -----------------------------------------------------------------------


def test_a_restart_from_the_snapshot_gives_back_every_item_and_view_without_projecting_again(
    project: Path, data_dir: Path, tmp_path: Path
) -> None:
    # Session 0: the data is made live, without snapshots (the journal holds all of it).
    with stack(project, data_dir, snapshot_after=None) as live:
        writes = write_everything(client(live.dynamodb_endpoint))
        assert live.wait_for_projections(60)
        made = dump(live.dynamodb_endpoint)
    assert not (data_dir / SNAPSHOT_FILE).exists()
    assert journal_seqs(data_dir) == list(range(1, writes + 1))
    journal_only = tmp_path / "journal-only"
    journal_only.mkdir(mode=0o700)
    (journal_only / JOURNAL_FILE).write_bytes((data_dir / JOURNAL_FILE).read_bytes())

    # Session 1: replays the journal (re-projects), and writes a snapshot when it stops.
    with stack(project, data_dir, snapshot_after=1) as replayed:
        assert replayed.start_report["replayed"] == writes
        assert replayed.start_report["views"] is None
        assert dump(replayed.dynamodb_endpoint) == made
    snapshot = read_snapshot(data_dir)
    assert snapshot["seq"] == writes
    assert snapshot["pending"] == {}  # the projector had caught up
    assert (data_dir / JOURNAL_FILE).read_bytes() == b""

    # Session 2: from the snapshot alone; the projector is not handed a single record.
    # (No snapshot at all this time, not even on the stop: the journal keeps the new writes.)
    with stack(project, data_dir, snapshot_after=None) as restored:
        assert restored.start_report == {
            "port": restored.start_report["port"],
            "snapshot": writes,
            "replayed": 0,
            "restored": writes,
            "views": "snapshot",
        }
        assert restored.restored_writes == writes
        assert dump(restored.dynamodb_endpoint) == made
        assert deliveries(restored.dynamodb_endpoint) == deliveries_made(made)
        # The restored stream carries on: new writes are projected, once.
        more = write_everything(client(restored.dynamodb_endpoint), prefix="later")
        assert restored.wait_for_projections(60)
        later = dump(restored.dynamodb_endpoint)
    assert journal_seqs(data_dir) == list(range(writes + 1, writes + more + 1))  # no snapshot
    # The same writes again, each change record handed over once (18 records: a batch and a
    # transaction change two items each).
    assert deliveries_made(later) == 2 * deliveries_made(made) == 36

    # Session 3: snapshot plus the journal after it is the same as what session 2 ended with.
    with stack(project, data_dir, snapshot_after=None) as again:
        assert again.start_report["snapshot"] == writes
        assert again.start_report["replayed"] == more
        assert dump(again.dynamodb_endpoint) == later

    # And the journal alone, replayed by a new data dir, gives what the snapshot gave.
    with stack(project, journal_only, snapshot_after=None) as from_journal:
        assert dump(from_journal.dynamodb_endpoint) == made


def deliveries_made(tables: dict[str, list[dict[str, Any]]]) -> int:
    (counter,) = [item for item in tables[VIEWS] if item["pk"]["S"] == "#deliveries"]
    return int(counter["n"]["N"])


def test_records_the_projector_had_not_finished_are_delivered_after_a_restart(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=None) as first:
        dynamodb = client(first.dynamodb_endpoint)
        for number in range(10):
            put(dynamodb, "done", number)
        assert first.wait_for_projections(60)
        hold_projection(project, held=True)
        for number in range(5):
            put(dynamodb, "held", number)
        positions = first._stream_positions()
        assert positions[EVENTS]["delivered"] == 10
        reply = first.snapshot()
        assert reply is not None and reply["written"], reply
        # Only what the projector had not finished, not the 10 it had.
        assert reply["pending"] == 5
        # While the pollers are being replaced (a backend restart), nothing is known: the
        # backend would keep every record rather than guess.
        pollers = list(first._pollers)
        first._pollers.clear()
        assert first._stream_positions() == {}
        first._pollers.extend(pollers)
        for number in range(3):
            put(dynamodb, "after", number)  # journal only
    snapshot = read_snapshot(data_dir)
    pending = snapshot["pending"][EVENTS]
    assert [r["dynamodb"]["Keys"]["stream_id"]["S"] for r in pending] == ["held"] * 5
    assert journal_seqs(data_dir) == [16, 17, 18]

    hold_projection(project, held=False)
    with stack(project, data_dir, snapshot_after=None) as second:
        assert second.start_report["snapshot"] == 15
        assert second.start_report["replayed"] == 3
        views = {item["pk"]["S"]: item for item in dump(second.dynamodb_endpoint)[VIEWS]}
        for stream, count in (("done", 10), ("held", 5), ("after", 3)):
            assert sorted(views[stream]["versions"]["NS"], key=int) == [
                str(n) for n in range(count)
            ]
        # Each record was handed over exactly once across both runs.
        assert deliveries(second.dynamodb_endpoint) == 18


def test_a_killed_backend_comes_back_from_snapshot_and_journal_with_the_same_views(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=None) as running:
        dynamodb = client(running.dynamodb_endpoint)
        write_everything(dynamodb)
        assert running.wait_for_projections(60)
        reply = running.snapshot()
        assert reply is not None and reply["written"]
        write_everything(dynamodb, prefix="tail")
        assert running.wait_for_projections(60)
        before = dump(running.dynamodb_endpoint)
        pid = running.backend_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert eventually(lambda: running.backend_restarts == 1 and running.available, 120)
        assert running.start_report["views"] == "snapshot"
        assert running.start_report["replayed"] > 0
        # Views from the snapshot, the tail projected again: the same, counter included.
        assert dump(running.dynamodb_endpoint) == before


# --- crash safety of snapshotting --------------------------------------------------------------


def backend(project: Path, data_dir: Path, **options: Any) -> BackendProcess:
    tables = list(load_template(project).tables.values())
    return BackendProcess(tables, data_dir, snapshot_after=None, **options)


def stored(endpoint: str) -> set[tuple[str, str]]:
    return {
        (item["stream_id"]["S"], item["version"]["N"]) for item in scan(client(endpoint), EVENTS)
    }


def leftovers(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_crash_at_any_step_of_a_snapshot_loses_no_acknowledged_write(
    project: Path, data_dir: Path, point: str
) -> None:
    expected: set[tuple[str, str]] = set()

    def write(endpoint: str, stream: str) -> None:
        for number in range(5):
            put(client(endpoint), stream, number)
            expected.add((stream, str(number)))

    with backend(project, data_dir) as first:
        write(first.endpoint_url, "a")
        reply = first.snapshot()
        assert reply is not None and reply["written"] and reply["seq"] == 5
        write(first.endpoint_url, "b")

    with backend(project, data_dir, crash_at=point) as crashing:
        write(crashing.endpoint_url, "c")  # acknowledged: must survive
        process = crashing._process
        assert process is not None
        assert crashing.snapshot() is None  # it died on the way
        assert process.wait(30) == -signal.SIGKILL

    # What the crash left behind, step by step.
    seq = read_snapshot(data_dir)["seq"]
    renamed = point in ("snapshot:renamed", "journal:written", "journal:renamed")
    assert seq == (15 if renamed else 5)
    journal = journal_seqs(data_dir)
    assert journal == ([] if point == "journal:renamed" else list(range(6, 16)))
    if point == "snapshot:written":
        assert any(name.startswith(f".tmp-{SNAPSHOT_FILE}") for name in leftovers(data_dir))
    if point == "journal:written":
        assert any(name.startswith(f".tmp-{JOURNAL_FILE}") for name in leftovers(data_dir))

    with backend(project, data_dir) as restarted:
        assert stored(restarted.endpoint_url) == expected
        assert restarted.restored == 15
        assert restarted.replayed == (0 if renamed else 10)
        assert leftovers(data_dir) == []  # temporary files removed
        write(restarted.endpoint_url, "d")
        reply = restarted.snapshot()
        assert reply is not None and reply["written"] and reply["seq"] == 20
    for path in (data_dir / SNAPSHOT_FILE, data_dir / JOURNAL_FILE):
        assert mode(path) == 0o600, path

    with backend(project, data_dir) as last:
        assert stored(last.endpoint_url) == expected
        assert (last.restored, last.replayed) == (20, 0)


def test_a_backend_that_does_not_know_its_consumers_keeps_every_change_record(
    project: Path, data_dir: Path
) -> None:
    with backend(project, data_dir) as first:
        for number in range(3):
            put(client(first.endpoint_url), "unread", number)
        reply = first.snapshot()
        assert reply is not None and reply["pending"] == 3
    # Restored at the head of the new stream, with its numbering.
    with backend(project, data_dir) as second:
        streams = boto3.client(
            "dynamodbstreams",
            endpoint_url=second.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        arn = client(second.endpoint_url).describe_table(TableName=EVENTS)["Table"][
            "LatestStreamArn"
        ]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        assert [r["dynamodb"]["Keys"]["version"]["N"] for r in records] == ["0", "1", "2"]
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == list(range(numbers[0], numbers[0] + 3))
        assert all(r["eventName"] == "INSERT" for r in records)


def test_a_torn_journal_tail_after_a_snapshot_is_still_dropped(
    project: Path, data_dir: Path
) -> None:
    with backend(project, data_dir) as first:
        for number in range(3):
            put(client(first.endpoint_url), "kept", number)
        reply = first.snapshot()
        assert reply is not None and reply["written"]
        for number in range(3, 5):
            put(client(first.endpoint_url), "kept", number)
    with (data_dir / JOURNAL_FILE).open("a") as journal:
        journal.write('{"seq":6,"target":"DynamoDB_20120810.PutItem","bo')
    with backend(project, data_dir) as second:
        assert (second.restored, second.replayed) == (5, 2)
        assert stored(second.endpoint_url) == {("kept", str(n)) for n in range(5)}
    assert (data_dir / JOURNAL_FILE).read_text().endswith("}\n")
    assert journal_seqs(data_dir) == [4, 5]

    # A torn line that is all the journal holds (the journal was cut by a snapshot).
    with backend(project, data_dir) as third:
        reply = third.snapshot()
        assert reply is not None and reply["written"]
    assert (data_dir / JOURNAL_FILE).read_bytes() == b""
    (data_dir / JOURNAL_FILE).write_text('{"seq":6,"tar')
    with backend(project, data_dir) as fourth:
        assert (fourth.restored, fourth.replayed) == (5, 0)
    assert (data_dir / JOURNAL_FILE).read_bytes() == b""


def test_a_partial_snapshot_is_refused_and_a_temporary_one_ignored(
    project: Path, data_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with backend(project, data_dir) as first:
        put(client(first.endpoint_url), "x", 1)
        reply = first.snapshot()
        assert reply is not None and reply["written"]
        put(client(first.endpoint_url), "x", 2)
    complete = (data_dir / SNAPSHOT_FILE).read_bytes()

    # A temporary file of an interrupted snapshot is not data: removed, the real one used.
    leftover = data_dir / f".tmp-{SNAPSHOT_FILE}.123.abc"
    leftover.write_bytes(complete[: len(complete) // 2])
    with backend(project, data_dir) as second:
        assert stored(second.endpoint_url) == {("x", "1"), ("x", "2")}
    assert not leftover.exists()

    # A snapshot cut short (copied by hand, a disk error) is refused, never half used.
    (data_dir / SNAPSHOT_FILE).write_bytes(complete[: len(complete) // 2])
    with pytest.raises(RuntimeError, match="failed to start"):
        backend(project, data_dir).start()
    assert "is not a complete snapshot" in capfd.readouterr().err

    # Without the snapshot, the cut journal does not hold everything: refused, not guessed.
    (data_dir / SNAPSHOT_FILE).unlink()
    with pytest.raises(RuntimeError, match="failed to start"):
        backend(project, data_dir).start()
    assert "writes in between are missing" in capfd.readouterr().err


def test_a_journal_of_an_older_stack_without_sequence_numbers_is_replayed_and_snapshotted(
    project: Path, data_dir: Path
) -> None:
    data_dir.mkdir(mode=0o700)
    lines = [
        {
            "target": "DynamoDB_20120810.PutItem",
            "body": {
                "TableName": EVENTS,
                "Item": {"stream_id": {"S": "old"}, "version": {"N": str(n)}},
            },
        }
        for n in range(4)
    ]
    (data_dir / JOURNAL_FILE).write_text("".join(json.dumps(line) + "\n" for line in lines))
    with backend(project, data_dir) as first:
        assert (first.restored, first.replayed) == (4, 4)
        put(client(first.endpoint_url), "new", 1)  # numbered on from the old lines
    assert json.loads((data_dir / JOURNAL_FILE).read_text().splitlines()[-1])["seq"] == 5
    with backend(project, data_dir) as second:
        assert second.replayed == 5
        reply = second.snapshot()
        assert reply is not None and reply["seq"] == 5
    with backend(project, data_dir) as third:
        assert (third.restored, third.replayed) == (5, 0)
        assert len(stored(third.endpoint_url)) == 5


# --- when snapshots are written ------------------------------------------------------------------


def test_a_snapshot_is_written_on_its_own_once_enough_writes_came(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=3) as running:
        dynamodb = client(running.dynamodb_endpoint)
        put(dynamodb, "p", 1)
        time.sleep(6)  # one periodic check (every 5 s): too few writes
        assert not (data_dir / SNAPSHOT_FILE).exists()
        for number in range(2, 5):
            put(dynamodb, "p", number)
        assert eventually((data_dir / SNAPSHOT_FILE).exists, 30)
        assert eventually(lambda: journal_seqs(data_dir) == [], 10)
        assert read_snapshot(data_dir)["seq"] == 4
    # A clean stop keeps an existing snapshot current, however little changed...
    with stack(project, data_dir, snapshot_after=3) as again:
        put(client(again.dynamodb_endpoint), "p", 5)
    assert read_snapshot(data_dir)["seq"] == 5
    assert journal_seqs(data_dir) == []
    # ... and leaves it alone when nothing did.
    written = (data_dir / SNAPSHOT_FILE).stat().st_mtime_ns
    with stack(project, data_dir, snapshot_after=3):
        pass
    assert (data_dir / SNAPSHOT_FILE).stat().st_mtime_ns == written


def test_without_a_snapshot_a_stop_below_the_threshold_keeps_the_journal_and_rebuilds_views(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=3) as first:
        dynamodb = client(first.dynamodb_endpoint)
        put(dynamodb, "small", 1)
        dynamodb.put_item(TableName=VIEWS, Item={"pk": {"S": "by-hand"}})
    assert not (data_dir / SNAPSHOT_FILE).exists()
    assert journal_seqs(data_dir) == [1]
    with stack(project, data_dir, snapshot_after=3) as second:
        assert second.start_report["replayed"] == 1
        views = {item["pk"]["S"] for item in dump(second.dynamodb_endpoint)[VIEWS]}
        assert views == {"small", "#deliveries"}  # re-projected; the hand-made one is gone


def test_a_view_changed_by_hand_is_kept_by_the_snapshot_of_a_clean_stop(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=1) as first:
        put(client(first.dynamodb_endpoint), "kept", 1)
    with stack(project, data_dir, snapshot_after=1) as second:
        # As ``membership views rebuild`` repairs a view: a write to the views table alone.
        client(second.dynamodb_endpoint).put_item(
            TableName=VIEWS, Item={"pk": {"S": "kept"}, "repaired": {"BOOL": True}}
        )
    with stack(project, data_dir, snapshot_after=1) as third:
        view = client(third.dynamodb_endpoint).get_item(TableName=VIEWS, Key={"pk": {"S": "kept"}})[
            "Item"
        ]
        assert view["repaired"] == {"BOOL": True}


def test_views_are_rebuilt_when_the_projector_changed_or_when_asked(
    project: Path, data_dir: Path
) -> None:
    with stack(project, data_dir, snapshot_after=1) as first:
        write_everything(client(first.dynamodb_endpoint))
        assert first.wait_for_projections(60)
        before = dump(first.dynamodb_endpoint)
    assert {i.get("revision", {}).get("S") for i in before[VIEWS] if "versions" in i} == {"1"}

    code = project.parent / "fn" / "projector" / "app.py"
    code.write_text(code.read_text().replace('REVISION = "1"', 'REVISION = "2"'))
    with stack(project, data_dir, snapshot_after=1) as changed:
        assert changed.start_report["views"] == "rebuilt"
        rebuilt = dump(changed.dynamodb_endpoint)
        assert rebuilt[EVENTS] == before[EVENTS]
        assert {i["revision"]["S"] for i in rebuilt[VIEWS] if "versions" in i} == {"2"}
        # One INSERT record per stored item, nothing else.
        assert deliveries(changed.dynamodb_endpoint) == len(before[EVENTS])
    # The snapshot written on that stop has views of the new code: no rebuild next time.
    with stack(project, data_dir, snapshot_after=1) as unchanged:
        assert unchanged.start_report["views"] == "snapshot"
        assert dump(unchanged.dynamodb_endpoint) == rebuilt
    with stack(project, data_dir, snapshot_after=1, rebuild_views=True) as asked:
        assert asked.start_report["views"] == "rebuilt"
        assert dump(asked.dynamodb_endpoint)[VIEWS] == rebuilt[VIEWS]


# --- files -----------------------------------------------------------------------------------------


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o000)
    try:
        yield
    finally:
        os.umask(previous)


def test_snapshot_and_journal_are_the_owners_only_and_nothing_else_is_left(
    project: Path, data_dir: Path, permissive_umask: None
) -> None:
    with stack(project, data_dir, snapshot_after=1) as running:
        put(client(running.dynamodb_endpoint), "m", 1)
    assert mode(data_dir / SNAPSHOT_FILE) == 0o600
    assert mode(data_dir / JOURNAL_FILE) == 0o600
    assert mode(data_dir) == 0o700
    for path in data_dir.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert leftovers(data_dir) == []
    (data_dir / SNAPSHOT_FILE).chmod(0o644)  # as a careless copy would leave it
    with stack(project, data_dir, snapshot_after=1) as again:
        assert mode(data_dir / SNAPSHOT_FILE) == 0o600
        put(client(again.dynamodb_endpoint), "m", 2)
    assert mode(data_dir / SNAPSHOT_FILE) == 0o600
    assert mode(data_dir / JOURNAL_FILE) == 0o600


def test_the_views_fingerprint_follows_the_code_and_ignores_caches(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "app.py").write_text("x = 1\n")
    first = code_fingerprint([folder])
    (folder / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".hidden").write_text("editor state")
    assert code_fingerprint([folder]) == first
    (folder / "app.py").write_text("x = 2\n")
    assert code_fingerprint([folder]) != first
    assert code_fingerprint([folder], {"handler": "a"}) != code_fingerprint([folder])
