"""``make bench``: what the event store costs per command, and how fast it is, on the backend
the local stack really uses -- and, for comparison, on in-process moto.

Backends:
- **local backend**: ``local_aws.backend.BackendProcess``, the child process ``membership
  local`` runs: moto's server over HTTP, one lock around every request, the event-store table
  journaled (appended and fsynced before the answer), moto patched by ``moto_speedups``;
- **in-process moto**: ``mock_aws`` in this process with the same patches, no HTTP, no lock,
  no journal (what most unit-level benchmarks of moto measure: 2-3x faster).

On each backend, ``ROUNDS`` rounds; each round measures every row once, raw requests and
commands interleaved, so that drift (table growth, a busy machine) hits all rows alike.
Rates are median (min-max) over the rounds. Every row is compared with the **raw rate of
the requests it really sends**: the meter counts them per operation, and "vs raw" is the
operation's rate over the rate of sending that request mix bare (1.00x: no overhead beyond
the requests themselves).

Rows: raw PutItem (unconditional, conditional), TransactWriteItems (claim + commit sized),
BatchWriteItem (25 items), GetItem, Query (Limit=1, descending); create a stream with its
claim in one transaction, as an application is; load-decide-append at the stream lengths
members have (1, 5, 10, 20 domain events) and at 100; the same with a warm head cache; a full
load of 100 commits. The projector's cost per command (what the change-stream function
spends to keep the member directory current) is metered around the real dispatcher. The
``eventsourcing`` library with its DynamoDB extension runs the same scenarios on the same
backend, without and with its own snapshots (one every 10 versions, taken with
``take_snapshot``: its ``snapshotting_intervals`` fail on this extension, see
``peer_apps``), and two
concurrent writers show what each library keeps.

Sizes: ``BENCH_PREFILL`` items per table (2,000), ``BENCH_OPS`` per row and round (40),
``BENCH_ROUNDS`` (3).
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="eu-central-1"
)
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy, None)

import boto3  # noqa: E402
from boto3.dynamodb.types import TypeDeserializer  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from local_aws.backend import BackendProcess, aws_environment  # noqa: E402
from local_aws.template import load_template  # noqa: E402
from tests.benchmarks.dynamodb_meter import Meter  # noqa: E402
from verein.eventstore import (  # noqa: E402
    Claim,
    CommandContext,
    ConcurrencyError,
    DomainEvent,
    NewEvent,
)
from verein.eventstore.cache import HeadCachingEventStore  # noqa: E402
from verein.eventstore.dynamodb import DynamoDBEventStore, to_attribute_values  # noqa: E402
from verein.eventstore.mapper import Mapper  # noqa: E402
from verein.kernel.decider import Decider  # noqa: E402
from verein.kernel.domain_events import EventRegistry  # noqa: E402
from verein.kernel.runner import execute  # noqa: E402

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
PREFILL = int(os.environ.get("BENCH_PREFILL", "2000"))
OPS = int(os.environ.get("BENCH_OPS", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LONG_OPS = max(4, OPS // 4)  # rows on 100-event streams (each stream takes 100 commands)
LENGTHS = (1, 5, 10, 20, 100)  # members' streams: 1 to ~20 domain events; 100 for scale
SNAPSHOT_INTERVAL = 10  # eventsourcing: a snapshot every 10 versions
CONTEXT = CommandContext(correlation_id="bench", actor="bench")
PEER_TABLE, PEER_SNAPSHOTS = "eventsourcing_events", "eventsourcing_snapshots"


class NoteTaken(DomainEvent):
    event_type = "bench.NoteTaken"
    text: str


BENCH_EVENTS = EventRegistry((NoteTaken,))


def bench_store(client: Any, table: str) -> DynamoDBEventStore:
    return DynamoDBEventStore(client, table, Mapper(BENCH_EVENTS))


class Notes(BaseModel):
    count: int = 0


class TakeNote(BaseModel):
    text: str


notes_decider: Decider[TakeNote, Notes] = Decider(
    state_type=Notes,
    deciders={TakeNote: lambda c, s: [NoteTaken(text=c.text)]},
    evolvers={NoteTaken: lambda s, e: Notes(count=s.count + 1)},
)


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Row:
    """One operation: per-op costs (from the last round; they do not vary) and its rates."""

    operation: str
    requests: dict[str, float] = field(default_factory=dict)
    write_units: float = 0.0
    read_units: float = 0.0
    items_read: float = 0.0
    rates: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


class Rows:
    """Rows by key, in the order first measured."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.rows: dict[str, Row] = {}

    def measure(self, key: str, operation: str, count: int, step: Callable[[int], Any]) -> None:
        self.meter.reset()
        started = time.perf_counter()
        for i in range(count):
            step(i)
        elapsed = time.perf_counter() - started
        row = self.rows.setdefault(key, Row(operation))
        row.requests = {name: n / count for name, n in sorted(self.meter.requests.items())}
        row.write_units = self.meter.write_units / count
        row.read_units = self.meter.read_units / count
        row.items_read = self.meter.items_read / count
        row.rates.append(count / elapsed)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


RAW_OF_REQUEST = {
    "PutItem": "raw cond put",
    "TransactWriteItems": "raw transact",
    "BatchWriteItem": "raw batch 1",
    "GetItem": "raw get",
    "Query": "raw query",
}


def versus_raw(row: Row, raw: dict[str, Row]) -> str:
    """The row's rate over the rate of sending the same requests bare."""
    if row.operation.startswith("raw ") or not row.requests:
        return ""
    seconds = 0.0
    for request, count in row.requests.items():
        reference = raw.get(RAW_OF_REQUEST.get(request, ""))
        if reference is None:
            return ""
        seconds += count / reference.rate
    return f"{row.rate * seconds:.2f}x"


def print_rows(title: str, rows: dict[str, Row], raw: dict[str, Row]) -> None:
    print(f"\n### {title}\n")
    print(
        "| operation | requests per op | WCU/op | RCU/op | items read/op "
        "| ops/s, median (min-max) | vs raw |\n|---|---|---:|---:|---:|---:|---:|"
    )
    for r in rows.values():
        requests = ", ".join(f"{n:g} {name}" for name, n in r.requests.items()) or "-"
        print(
            f"| {r.operation} | {requests} | {r.write_units:.2f} | {r.read_units:.2f} | "
            f"{r.items_read:.2f} | {spread(r.rates)} | {versus_raw(r, raw)} |"
        )


# --- tables ---------------------------------------------------------------------------------


def peer_tables() -> list[dict[str, Any]]:
    def table(name: str) -> dict[str, Any]:
        return {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "originator_id", "AttributeType": "S"},
                {"AttributeName": "originator_version", "AttributeType": "N"},
            ],
            "KeySchema": [
                {"AttributeName": "originator_id", "KeyType": "HASH"},
                {"AttributeName": "originator_version", "KeyType": "RANGE"},
            ],
        }

    return [table(PEER_TABLE), table(PEER_SNAPSHOTS)]


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


# --- the raw requests -----------------------------------------------------------------------


def raw_rows(rows: Rows, client: Any, table: str) -> None:
    def item(prefix: str, version: int, size: int) -> dict[str, Any]:
        return to_attribute_values(
            {"stream_id": f"{prefix}#{uuid.uuid4()}", "version": version, "p": "x" * size}
        )

    def transaction(_: int) -> None:
        # The shape of an application: a commit and a claim, each conditional.
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": item("rawtx", version, size),
                        "ConditionExpression": "attribute_not_exists(stream_id)",
                    }
                }
                for version, size in ((1, 600), (0, 120))
            ]
        )

    def batch(_: int) -> None:
        requests = [{"PutRequest": {"Item": item("rawb", 1, 300)}} for _ in range(25)]
        client.batch_write_item(RequestItems={table: requests})

    rows.measure(
        "raw put",
        "raw PutItem",
        OPS,
        lambda i: client.put_item(TableName=table, Item=item("raw", 1, 300)),
    )
    rows.measure(
        "raw cond put",
        "raw conditional PutItem",
        OPS,
        lambda i: client.put_item(
            TableName=table,
            Item=item("rawc", 1, 300),
            ConditionExpression="attribute_not_exists(stream_id)",
        ),
    )
    rows.measure("raw transact", "raw TransactWriteItems (commit + claim)", OPS, transaction)
    rows.measure("raw batch", "raw BatchWriteItem (25 items a request)", max(4, OPS // 4), batch)
    rows.measure(
        "raw batch 1",
        "raw BatchWriteItem (1 item)",
        OPS,
        lambda i: client.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": item("rawb1", 1, 300)}}]}
        ),
    )
    rows.measure(
        "raw get",
        "raw GetItem",
        OPS,
        lambda i: client.get_item(
            TableName=table,
            Key=to_attribute_values({"stream_id": f"filler#{i}", "version": 1}),
            ConsistentRead=True,
        ),
    )
    rows.measure(
        "raw query",
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


# --- ours -----------------------------------------------------------------------------------


def our_streams(store: Any, length: int, count: int) -> list[str]:
    """``count`` streams of ``length`` domain events, each event its own command (commit)."""
    streams = [f"note#{length}-{uuid.uuid4()}" for _ in range(count)]
    for stream in streams:
        execute(store, notes_decider, stream, TakeNote(text="0"), CONTEXT, new_stream=True)
        for n in range(1, length):
            execute(store, notes_decider, stream, TakeNote(text=str(n)), CONTEXT)
    return streams


def our_round(rows: Rows, client: Any, table: str) -> None:
    store = bench_store(client, table)

    def create(claimed: bool) -> Callable[[int], None]:
        def step(_: int) -> None:
            claims = [Claim("bench-application", uuid.uuid4().hex)] if claimed else []
            stream = f"note#{uuid.uuid4()}"
            execute(store, notes_decider, stream, TakeNote(text="a"), CONTEXT, new_stream=True,
                    claims=claims)  # fmt: skip

        return step

    rows.measure(
        "create claim", "create a stream with its claim (an application)", OPS, create(True)
    )
    rows.measure("create", "create a stream, no claim", OPS, create(False))
    for length in LENGTHS:
        count = LONG_OPS if length == 100 else OPS
        streams = our_streams(store, length, count)
        rows.measure(
            f"decide {length}",
            f"load-decide-append, {length}-event stream",
            count,
            lambda i, s=streams: execute(store, notes_decider, s[i], TakeNote(text="b"), CONTEXT),  # type: ignore[misc]
        )
        if length == 100:
            # Each of these streams now has 101 commits: load the first 100 of them.
            rows.measure(
                "load 100",
                "load a 100-event stream (100 commits)",
                count,
                lambda i, s=streams: store.load(s[i])[:100],  # type: ignore[misc]
            )
    # A warm execution environment that wrote the stream last: the head cache saves the read.
    cached = HeadCachingEventStore(store)
    warm = our_streams(cached, 1, OPS)
    rows.measure(
        "decide warm",
        "load-decide-append, 1-event stream, warm cache",
        OPS,
        lambda i: execute(cached, notes_decider, warm[i], TakeNote(text="b"), CONTEXT),
    )


# --- the projector --------------------------------------------------------------------------


def projector_rows(endpoint: str, template_env: dict[str, str]) -> tuple[dict[str, Row], str]:
    """What the change-stream function spends per command, metered around its dispatcher."""
    try:
        from verein.bootstrap import Adapters  # noqa: PLC0415 - reads the environment set here
        from verein.mail.memory import InMemoryMailSender  # noqa: PLC0415
        from verein.membership.domain_events import (  # noqa: PLC0415
            MemberNoteAdded,
            MembershipApplied,
        )

        with environment({**aws_environment(endpoint), **template_env}):
            # As the change-stream function builds them, but mail goes nowhere (no SES here):
            # the rows count what projecting and the mail ledger cost, not sending.
            settings = Adapters.from_environment().settings
            adapters = Adapters(settings, mail_sender=InMemoryMailSender())
            table = adapters.settings.event_store_table
            store = DynamoDBEventStore(adapters.dynamodb, table, adapters.mapper)
            meter = Meter()
            meter.attach(adapters.dynamodb)
            rows = Rows(meter)
            members = [str(uuid.uuid4()) for _ in range(OPS)]
            commits = []
            for member in members:
                stream = f"member#{member}"
                applied = MembershipApplied(
                    applicant_name="Bench Person",
                    email=f"{member}@example.org",
                    membership_type="individual",  # type: ignore[arg-type]
                    language="de",
                    privacy_consent=True,
                    consent_version="de-bench",
                )
                store.append(stream, 0, [NewEvent(applied, CONTEXT.metadata(member))])
                note = MemberNoteAdded(text="Called, will pay by transfer.")
                store.append(stream, 1, [NewEvent(note, CONTEXT.metadata(member))])
                commits.append([commit_image(adapters.dynamodb, store, stream, v) for v in (1, 2)])
            dispatch = adapters.dispatcher.dispatch
            rows.measure("project applied", "project an application (first commit)", OPS,
                         lambda i: dispatch(commits[i][0]))  # fmt: skip
            rows.measure("project note", "project a note (second commit)", OPS,
                         lambda i: dispatch(commits[i][1]))  # fmt: skip
            return rows.rows, ""
    except Exception as error:  # the product's wiring moves; say so instead of failing
        return {}, f"projector not measured: {type(error).__name__}: {error}"


def commit_image(
    client: Any, store: DynamoDBEventStore, stream: str, version: int
) -> dict[str, Any]:
    """A commit item as the change-stream function gets it (Powertools' NewImage)."""
    table = store._table  # noqa: SLF001 - the bench reads the item the store just wrote
    item = client.get_item(
        TableName=table, Key=to_attribute_values({"stream_id": stream, "version": version})
    )["Item"]
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}


@contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- theirs ---------------------------------------------------------------------------------


@functools.cache
def peer_classes() -> tuple[type, type]:
    """The peer's aggregate and factory, defined once (eventsourcing registers each class by
    its topic and refuses a second class of the same name)."""
    from eventsourcing.domain import Aggregate, event  # noqa: PLC0415 - bench extra only
    from eventsourcing_dynamodb.factory import Factory  # noqa: PLC0415

    class Note(Aggregate):  # type: ignore[misc]
        @event("Created")
        def __init__(self) -> None:
            self.count = 0

        @event("Taken")
        def take(self, text: str) -> None:
            self.count += 1

    class SnapshotsApart(Factory):  # type: ignore[misc]
        """The extension's factory writes snapshots into the events table, under the same
        keys as the events they follow (overwriting them): here they get their own table."""

        def aggregate_recorder(self, purpose: str = "events") -> Any:
            recorder = super().aggregate_recorder(purpose)
            if purpose == "snapshots":
                recorder.dynamo_table_name = PEER_SNAPSHOTS
            return recorder

    return Note, SnapshotsApart


def peer_apps(endpoint: str | None) -> tuple[Any, Any, Any, type]:
    """The eventsourcing applications: plain, with snapshots, with an aggregate cache."""
    from eventsourcing.application import Application  # noqa: PLC0415 - bench extra only

    note_type, factory = peer_classes()
    base = {"PERSISTENCE_MODULE": "eventsourcing_dynamodb", "DYNAMO_TABLE": PEER_TABLE}
    if endpoint:
        base["DYNAMO_ENDPOINT_URL"] = endpoint

    class Plain(Application):  # type: ignore[misc]
        env = base

    class Snapshotting(Application):  # type: ignore[misc]
        # eventsourcing finds a factory by its topic (module:attribute). Not
        # ``snapshotting_intervals``: the automatic snapshot at save reads the aggregate at a
        # version, which this extension queries with two conditions on the sort key (gt and
        # lte) -- DynamoDB refuses that, moto answers every event -- so it fails. Snapshots
        # are taken with ``take_snapshot(id)`` where the interval would have taken them.
        env = {**base, "PERSISTENCE_MODULE": f"{__name__}:_snapshots_apart_factory"}
        is_snapshotting_enabled = True

    class Cached(Application):  # type: ignore[misc]
        env = {**base, "AGGREGATE_CACHE_MAXSIZE": "10000"}

    global _snapshots_apart_factory  # noqa: PLW0603 - eventsourcing finds factories by topic
    _snapshots_apart_factory = factory
    return Plain(), Snapshotting(), Cached(), note_type


_snapshots_apart_factory: Any = None


def their_streams(app: Any, note_type: type, length: int, count: int) -> list[Any]:
    """``count`` aggregates of ``length`` domain events (saved once: their item count is the
    same however many saves made them)."""
    ids = []
    for _ in range(count):
        note = note_type()
        for n in range(length - 1):
            note.take(str(n))
        app.save(note)
        ids.append(note.id)
    return ids


def their_round(rows: Rows, apps: tuple[Any, Any, Any, type]) -> None:
    plain, snapshotting, cached, note_type = apps

    def load_decide_append(app: Any, ids: list[Any]) -> Callable[[int], None]:
        def step(i: int) -> None:
            note = app.repository.get(ids[i])
            note.take("b")
            app.save(note)

        return step

    rows.measure("create claim", "create a stream (no claim: they have none)", OPS,
                 lambda i: plain.save(note_type()))  # fmt: skip
    for length in LENGTHS:
        count = LONG_OPS if length == 100 else OPS
        ids = their_streams(plain, note_type, length, count)
        rows.measure(f"decide {length}", f"load-decide-append, {length}-event stream", count,
                     load_decide_append(plain, ids))  # fmt: skip
        if length == 100:
            rows.measure("load 100", "load a 100-event stream", count,
                         lambda i, ids=ids: plain.repository.get(ids[i], version=100))  # type: ignore[misc]  # fmt: skip
    for length in (n for n in LENGTHS if n >= SNAPSHOT_INTERVAL):
        count = LONG_OPS if length == 100 else OPS
        ids = their_streams(snapshotting, note_type, length, count)
        for note_id in ids:  # the snapshot an interval of 10 takes at these versions
            snapshotting.take_snapshot(note_id)
        rows.measure(
            f"snap {length}",
            f"load-decide-append, {length}-event stream, snapshot every {SNAPSHOT_INTERVAL}",
            count,
            load_decide_append(snapshotting, ids),
        )
    warm = their_streams(cached, note_type, 1, OPS)
    for note_id in warm:
        cached.repository.get(note_id)  # into the cache
    rows.measure("decide warm", "load-decide-append, 1-event stream, warm cache", OPS,
                 load_decide_append(cached, warm))  # fmt: skip


def their_race(plain: Any, note_type: type) -> str:
    race = note_type()
    plain.save(race)
    first, second = plain.repository.get(race.id), plain.repository.get(race.id)
    first.take("writer 1")
    second.take("writer 2")
    plain.save(first)
    plain.save(second)
    count = plain.repository.get(race.id).count
    return f"{count} of 2 notes kept ({'one write LOST' if count < 2 else 'both kept'})"


def our_race(client: Any, table: str) -> str:
    store = bench_store(client, table)
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
    kept = ", ".join(texts[1:])
    return f"{len(texts) - 1} of 2 notes kept ({kept}; {'; '.join(sorted(outcomes.values()))})"


# --- one backend ----------------------------------------------------------------------------


@dataclass
class Results:
    name: str
    raw: Rows
    ours: Rows
    theirs: Rows
    projector: dict[str, Row]
    projector_note: str
    races: tuple[str, str]


def bench_backend(name: str, client: Any, endpoint: str | None, table: str) -> Results:
    prefill(client, table, ("stream_id", "version"), PREFILL)
    prefill(client, PEER_TABLE, ("originator_id", "originator_version"), PREFILL)
    raw, ours, theirs = Rows(Meter()), Rows(Meter()), Rows(Meter())
    for rows in (raw, ours):
        rows.meter.attach(client)
    apps = peer_apps(endpoint)
    emitters = {id(app.factory.dynamo_resource.meta.client.meta.events): app for app in apps[:3]}
    for app in emitters.values():  # clients of one session share their event hooks
        theirs.meter.attach(app.factory.dynamo_resource.meta.client)
    for _ in range(ROUNDS):
        raw_rows(raw, client, table)
        our_round(ours, client, table)
        their_round(theirs, apps)
    raw_rows(raw, client, table)  # and once more after the last round
    projector: dict[str, Row] = {}
    note = "projector metered on the local backend only"
    if endpoint is not None:
        template = load_template(TEMPLATE)
        env = dict(template.functions["ChangeStreamFunction"].environment)
        projector, note = projector_rows(endpoint, env)
    return Results(name, raw, ours, theirs, projector, note,
                   (our_race(client, table), their_race(apps[0], apps[3])))  # fmt: skip


def report(results: Results) -> None:
    raw = results.raw.rows
    print(f"\n## {results.name}\n")
    print_rows("raw requests (interleaved with the rows below)", raw, raw)
    print_rows("verein event store", results.ours.rows, raw)
    if results.projector:
        print_rows("the projector, per command (change-stream function)", results.projector, raw)
    if results.projector_note:
        print(f"\n{results.projector_note}")
    print_rows(
        "eventsourcing 9 + eventsourcing-dynamodb 0.1 (same backend)", results.theirs.rows, raw
    )
    print("\n### ours over theirs (median rates)\n")
    for key, row in results.theirs.rows.items():
        if key in results.ours.rows:
            mine = results.ours.rows[key]
            print(f"- {mine.operation} / {row.operation}: {mine.rate / row.rate:.2f}x")
    for key, row in results.theirs.rows.items():
        base = f"decide {key.split()[-1]}"
        if key.startswith("snap") and base in results.ours.rows:
            mine = results.ours.rows[base]
            print(f"- {mine.operation} / theirs with snapshots: {mine.rate / row.rate:.2f}x")
    print("\n### two concurrent writers on one stream\n")
    print(f"- verein: {results.races[0]}")
    print(f"- eventsourcing-dynamodb: {results.races[1]}")


def main() -> int:
    template = load_template(TEMPLATE)
    spec = template.tables["EventStoreTable"]
    tables = list(template.tables.values())  # the views too: the projector writes them
    print(
        f"# Event store benchmark ({PREFILL:,} items per table before the first round, "
        f"{ROUNDS} rounds, {OPS} ops per row and round; rates: median (min-max) of the rounds)"
    )
    with tempfile.TemporaryDirectory() as data:
        backend = BackendProcess(tables, data, journaled_tables=(spec.name,), snapshot_after=None)
        with backend:
            client = boto3.client("dynamodb", endpoint_url=backend.endpoint_url)
            for kwargs in peer_tables():
                client.create_table(**kwargs)
            results = bench_backend(
                "local backend: the local stack's child process over HTTP (lock, journal)",
                client,
                backend.endpoint_url,
                spec.name,
            )
    report(results)
    sys.stdout.flush()
    from moto import mock_aws  # noqa: PLC0415

    from local_aws import moto_speedups  # noqa: PLC0415 - imports moto: only for this part

    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb")
        for table_spec in tables:
            client.create_table(**table_spec.create_kwargs)
        for kwargs in peer_tables():
            client.create_table(**kwargs)
        results = bench_backend(
            "in-process moto (no HTTP, no lock, no journal)", client, None, spec.name
        )
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
