"""``make bench``: what the event store costs per operation, and how fast it is against moto.

Prints two tables:
1. Per operation: DynamoDB requests, write/read capacity units, items read, and the rate,
   next to the raw PutItem / TransactWriteItems / GetItem / Query rates of the same run on a
   table of the same size (moto's Query and transactions slow down as a table grows, so rates
   are only comparable at equal sizes). Ratios to the raw rates show our overhead.
2. The same scenarios with the ``eventsourcing`` library's DynamoDB extension (a bench-only
   dependency) on the same backend, our rate over theirs, and what each stored when two
   writers append to one stream at the same time.

Targets (issue 3): a command costs at most 1 read + 1 write request whatever the stream's
length; loading for a decision reads one item; at least twice eventsourcing's load+append rate
with nothing lost.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-central-1"
)
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy, None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from local_aws import moto_speedups  # noqa: E402
from local_aws.template import load_template  # noqa: E402
from tests.benchmarks.dynamodb_meter import Meter  # noqa: E402
from verein.eventstore import (  # noqa: E402
    CommandContext,
    ConcurrencyError,
    DomainEvent,
    NewEvent,
    registry,  # noqa: E402
)
from verein.eventstore.cache import HeadCachingEventStore  # noqa: E402
from verein.eventstore.dynamodb import DynamoDBEventStore, to_attribute_values  # noqa: E402
from verein.kernel.decider import Decider  # noqa: E402
from verein.kernel.runner import execute  # noqa: E402

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
PREFILL = int(os.environ.get("BENCH_PREFILL", "2000"))
OPS = int(os.environ.get("BENCH_OPS", "200"))
LONG_OPS = max(10, OPS // 4)
CONTEXT = CommandContext(correlation_id="bench", actor="bench")


@registry.register
class NoteTaken(DomainEvent):
    event_type = "bench.NoteTaken"
    text: str


class Notes(BaseModel):
    count: int = 0


class TakeNote(BaseModel):
    text: str


notes_decider: Decider[TakeNote, Notes] = Decider(
    state_type=Notes,
    deciders={TakeNote: lambda c, s: [NoteTaken(text=c.text)]},
    evolvers={NoteTaken: lambda s, e: Notes(count=s.count + 1)},
)


@dataclass
class Row:
    operation: str
    requests: str
    write_units: float
    read_units: float
    items_read: float
    rate: float
    reference: str = ""


def measure(meter: Meter, operation: str, count: int, step: Callable[[int], Any]) -> Row:
    meter.reset()
    started = time.perf_counter()
    for i in range(count):
        step(i)
    elapsed = time.perf_counter() - started
    per_op = ", ".join(f"{n / count:g} {name}" for name, n in sorted(meter.requests.items()))
    return Row(
        operation,
        per_op,
        meter.write_units / count,
        meter.read_units / count,
        meter.items_read / count,
        count / elapsed,
    )


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}\n")
    print(
        "| operation | requests per op | WCU/op | RCU/op | items read/op | ops/s | vs |\n"
        "|---|---|---:|---:|---:|---:|---|"
    )
    for r in rows:
        print(
            f"| {r.operation} | {r.requests} | {r.write_units:.2f} | {r.read_units:.2f} | "
            f"{r.items_read:.2f} | {r.rate:,.0f} | {r.reference} |"
        )


def create_tables(client: Any) -> tuple[str, str]:
    spec = load_template(TEMPLATE).tables["EventStoreTable"]
    client.create_table(**spec.create_kwargs)
    client.create_table(
        TableName="eventsourcing_events",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "originator_id", "AttributeType": "S"},
            {"AttributeName": "originator_version", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "originator_id", "KeyType": "HASH"},
            {"AttributeName": "originator_version", "KeyType": "RANGE"},
        ],
    )
    return spec.name, "eventsourcing_events"


def prefill(client: Any, table: str, key: tuple[str, str], count: int) -> None:
    """Fill a table to ``count`` items so that rates are compared at equal table sizes."""
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": to_attribute_values(
                                {key[0]: f"filler#{n}", key[1]: 1, "payload": "x" * 200}
                            )
                        }
                    }
                    for n in range(start, min(start + 25, count))
                ]
            }
        )


def ours(client: Any, meter: Meter, table: str) -> dict[str, Row]:
    store = DynamoDBEventStore(client, table)
    rows: dict[str, Row] = {}

    def raw_put(i: int) -> None:
        client.put_item(
            TableName=table,
            Item=to_attribute_values(
                {"stream_id": f"raw#{uuid.uuid4()}", "version": 1, "p": "x" * 300}
            ),
            ConditionExpression="attribute_not_exists(stream_id)",
        )

    def raw_transaction(i: int) -> None:
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_attribute_values(
                            {"stream_id": f"rawtx#{uuid.uuid4()}", "version": v, "p": "x" * 150}
                        ),
                        "ConditionExpression": "attribute_not_exists(stream_id)",
                    }
                }
                for v in (1, 2)
            ]
        )

    rows["raw PutItem"] = measure(meter, "raw conditional PutItem", OPS, raw_put)
    rows["raw Transact"] = measure(meter, "raw TransactWriteItems (2 puts)", OPS, raw_transaction)
    rows["raw GetItem"] = measure(
        meter,
        "raw GetItem",
        OPS,
        lambda i: client.get_item(
            TableName=table,
            Key=to_attribute_values({"stream_id": f"filler#{i}", "version": 1}),
            ConsistentRead=True,
        ),
    )
    rows["raw Query"] = measure(
        meter,
        "raw Query Limit=1 (descending)",
        OPS,
        lambda i: client.query(
            TableName=table,
            KeyConditionExpression="stream_id = :s",
            ExpressionAttributeValues=to_attribute_values({":s": f"filler#{i}"}),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        ),
    )

    def create(i: int) -> None:
        execute(
            store,
            notes_decider,
            f"note#{uuid.uuid4()}",
            TakeNote(text="a"),
            CONTEXT,
            new_stream=True,
        )

    rows["create"] = measure(meter, "create a stream (1 domain event)", OPS, create)

    # Each measured op works on its own stream of the stated length, so lengths stay put.
    shorts = [f"note#short-{i}" for i in range(OPS)]
    for stream in shorts:
        execute(store, notes_decider, stream, TakeNote(text="a"), CONTEXT, new_stream=True)
    longs = [f"note#long-{i}" for i in range(LONG_OPS)]
    for stream in longs:
        for n in range(100):
            execute(store, notes_decider, stream, TakeNote(text=str(n)), CONTEXT)

    rows["decide short"] = measure(
        meter,
        "load-decide-append, 1-event stream",
        OPS,
        lambda i: execute(store, notes_decider, shorts[i], TakeNote(text="b"), CONTEXT),
    )
    rows["decide long"] = measure(
        meter,
        "load-decide-append, 100-event stream",
        LONG_OPS,
        lambda i: execute(store, notes_decider, longs[i], TakeNote(text="b"), CONTEXT),
    )
    # Built by 100 commands: 100 commit items, the worst case for a full load.
    rows["load 100"] = measure(
        meter, "load a 100-event stream (100 commits)", LONG_OPS, lambda i: store.load(longs[i])
    )

    # A warm execution environment that wrote the stream last: the head cache saves the read.
    cached = HeadCachingEventStore(store)
    warm = [f"note#warm-{i}" for i in range(OPS)]
    for stream in warm:
        execute(cached, notes_decider, stream, TakeNote(text="a"), CONTEXT, new_stream=True)
    rows["decide warm"] = measure(
        meter,
        "load-decide-append, 1-event stream, warm cache",
        OPS,
        lambda i: execute(cached, notes_decider, warm[i], TakeNote(text="b"), CONTEXT),
    )
    return rows


def theirs(client: Any, meter: Meter, table: str) -> tuple[dict[str, Row], str]:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Note(Aggregate):
        @event("Created")
        def __init__(self) -> None:
            self.texts: list[str] = []

        @event("Taken")
        def take(self, text: str) -> None:
            self.texts.append(text)

    class NotesApp(Application):
        env = {"PERSISTENCE_MODULE": "eventsourcing_dynamodb", "DYNAMO_TABLE": table}

    app = NotesApp()
    meter.attach(app.factory.dynamo_resource.meta.client)  # type: ignore[attr-defined]
    rows: dict[str, Row] = {}

    rows["create"] = measure(
        meter, "create a stream (1 domain event)", OPS, lambda i: app.save(Note())
    )
    shorts = [Note() for _ in range(OPS)]
    app.save(*shorts)
    longs = []
    for _ in range(LONG_OPS):
        note = Note()
        for n in range(99):
            note.take(str(n))
        app.save(note)
        longs.append(note.id)

    def load_decide_append(ids: list[Any]) -> Callable[[int], None]:
        def step(i: int) -> None:
            note = app.repository.get(ids[i])
            note.take("b")
            app.save(note)

        return step

    rows["decide short"] = measure(
        meter, "load-decide-append, 1-event stream", OPS, load_decide_append([n.id for n in shorts])
    )
    rows["decide long"] = measure(
        meter, "load-decide-append, 100-event stream", LONG_OPS, load_decide_append(longs)
    )
    # The streams are 101 events long now: load the next ones' worth (same length as ours).
    rows["load 100"] = measure(
        meter,
        "load a 100-event stream (100 commits)",
        LONG_OPS,
        lambda i: app.repository.get(longs[i], version=100),
    )

    # Their aggregate cache (with fast-forward: it still asks for newer domain events).
    class CachedNotesApp(Application):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing_dynamodb",
            "DYNAMO_TABLE": table,
            "AGGREGATE_CACHE_MAXSIZE": "10000",
        }

    cached_app = CachedNotesApp()
    meter.attach(cached_app.factory.dynamo_resource.meta.client)  # type: ignore[attr-defined]
    warm = [Note() for _ in range(OPS)]
    cached_app.save(*warm)

    def warm_step(i: int) -> None:
        note = cached_app.repository.get(warm[i].id)
        note.take("b")
        cached_app.save(note)

    rows["decide warm"] = measure(
        meter, "load-decide-append, 1-event stream, warm cache", OPS, warm_step
    )

    # Two writers decide on the same version and append.
    race = Note()
    app.save(race)
    first, second = app.repository.get(race.id), app.repository.get(race.id)
    first.take("writer 1")
    second.take("writer 2")
    app.save(first)
    app.save(second)
    stored = app.repository.get(race.id).texts
    return rows, f"stored {stored}: {'writer 1 LOST' if 'writer 1' not in stored else 'both kept'}"


def our_two_writers(client: Any, table: str) -> str:
    store = DynamoDBEventStore(client, table)
    stream = f"note#{uuid.uuid4()}"
    execute(store, notes_decider, stream, TakeNote(text="created"), CONTEXT)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def writer(name: str) -> None:
        version = store.head(stream).version
        barrier.wait()
        try:
            store.append(stream, version, [NewEvent(NoteTaken(text=name), CONTEXT.metadata())])
            outcomes[name] = "appended"
        except ConcurrencyError:
            # What the command runner does: decide again on fresh state.
            execute(store, notes_decider, stream, TakeNote(text=name), CONTEXT)
            outcomes[name] = "conflict, retried"

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("writer 1", "writer 2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = [e.payload.text for e in store.load(stream)]  # type: ignore[attr-defined]
    return f"stored {texts[1:]} ({'; '.join(f'{k}: {v}' for k, v in sorted(outcomes.items()))})"


def main() -> int:
    # The local stack's backend: moto with partition-local Query and transactions.
    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb")
        ours_table, theirs_table = create_tables(client)
        prefill(client, ours_table, ("stream_id", "version"), PREFILL)
        prefill(client, theirs_table, ("originator_id", "originator_version"), PREFILL)
        meter = Meter()
        meter.attach(client)
        our_rows = ours(client, meter, ours_table)
        their_rows, their_race = theirs(client, meter, theirs_table)
        our_race = our_two_writers(client, ours_table)

    raw_put, raw_tx = our_rows["raw PutItem"].rate, our_rows["raw Transact"].rate
    raw_get, raw_query = our_rows["raw GetItem"].rate, our_rows["raw Query"].rate
    for key in ("create",):
        our_rows[key].reference = f"{our_rows[key].rate / raw_put:.2f}x raw PutItem"
    for key in ("decide short", "decide long", "decide warm"):
        r = our_rows[key]
        r.reference = f"{r.rate / raw_put:.2f}x raw PutItem, {r.rate / raw_query:.2f}x raw Query"
    our_rows["load 100"].reference = f"{our_rows['load 100'].rate / raw_query:.2f}x raw Query"
    print(
        f"# Event store benchmark (in-process moto as the local stack runs it, {PREFILL:,} items per table, {OPS} ops each)"
    )
    print(
        f"\nraw rates: PutItem {raw_put:,.0f}/s, TransactWriteItems {raw_tx:,.0f}/s, "
        f"GetItem {raw_get:,.0f}/s, Query {raw_query:,.0f}/s"
    )
    print_table("verein event store", list(our_rows.values()))
    print_table("eventsourcing + eventsourcing-dynamodb", list(their_rows.values()))
    print("\n## ours over theirs\n")
    for key in ("create", "decide short", "decide long", "decide warm", "load 100"):
        print(f"- {our_rows[key].operation}: {our_rows[key].rate / their_rows[key].rate:.2f}x")
    print("\n## two concurrent writers on one stream\n")
    print(f"- verein: {our_race}")
    print(f"- eventsourcing-dynamodb: {their_race}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
