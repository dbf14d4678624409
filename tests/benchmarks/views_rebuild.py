"""``make bench``: how fast views are rebuilt from the event store, next to the raw write rate.

On the backend the local stack really uses (moto's server in a child process, over HTTP,
with its lock), with the template's tables: 2,000 membership streams (an application each, a
note on every third), then ``membership views rebuild`` into an empty views table (a new
generation: filled with BatchWriteItem, then verified with a second read of the store and
BatchGetItem, switched to; see ``verein.changes.rebuild``), three runs interleaved with a raw
``BatchWriteItem`` of as many view-sized items into the same table (the fastest way to write
them at all) and of conditional PutItems (what the live projector's view write is). Reported:
median and spread of streams/s, domain events/s, and the rebuild's views/s as a fraction of
both raw rates.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid

import boto3

from local_aws.backend import BackendProcess, aws_environment
from local_aws.template import load_template
from tests.samples import application

STREAMS = 2_000
RUNS = 3


def main() -> int:
    template = load_template("infra/template.yaml")
    tables = list(template.tables.values())
    with BackendProcess(tables, data_dir=None) as backend:
        os.environ.update({k: v for k, v in aws_environment(backend.endpoint_url).items() if v})
        os.environ["EVENT_STORE_TABLE"] = template.table_name("EventStoreTable")
        os.environ["VIEWS_TABLE"] = template.table_name("ViewsTable")
        from verein.bootstrap import Adapters  # noqa: PLC0415 - after the environment is set
        from verein.changes.rebuild import Timing, rebuild  # noqa: PLC0415
        from verein.eventstore import CommandContext  # noqa: PLC0415
        from verein.kernel.keyed_hash import KeyedHash  # noqa: PLC0415
        from verein.membership.commands import AddMemberNote  # noqa: PLC0415
        from verein.membership.usecases import add_member_note, apply_for_membership  # noqa: PLC0415

        client = boto3.client("dynamodb", endpoint_url=backend.endpoint_url)
        context = CommandContext(correlation_id="bench", actor="bench")
        keys = KeyedHash(b"b" * 32)
        store = Adapters.from_environment().event_store
        ids = [
            apply_for_membership(store, keys, application(n), context).application_id
            for n in range(STREAMS)
        ]
        for member_id in ids[::3]:
            add_member_note(store, keys, member_id, AddMemberNote(text="bench"), context)
        views_table = template.table_name("ViewsTable")
        spec = template.tables["ViewsTable"]

        rebuilds: list[tuple[float, float]] = []
        raws: list[float] = []
        puts: list[float] = []
        for _ in range(RUNS):
            client.delete_table(TableName=views_table)
            client.create_table(**spec.create_kwargs)
            adapters = Adapters.from_environment()  # fresh, as a new `membership views` run
            started = time.monotonic()
            report = rebuild(
                adapters.event_store,
                adapters.projections,
                segments=4,
                timing=Timing(retire_after_s=0),  # no reader to wait for
            )
            assert [s.new for s in report.switches] == [2], report.switches
            seconds = time.monotonic() - started
            rebuilds.append(
                (report.progress.streams / seconds, report.progress.domain_events / seconds)
            )
            raws.append(raw_batch_write(client, views_table, STREAMS))
            puts.append(raw_conditional_puts(client, views_table, 300))
        streams_rate = [r[0] for r in rebuilds]
        events_rate = [r[1] for r in rebuilds]
        print(f"\nViews rebuild on the embedded backend over HTTP ({STREAMS} streams, {RUNS} runs)")
        print(
            f"  rebuild:  {_median(streams_rate)} streams/s, {_median(events_rate)} domain events/s"
        )
        print(f"  raw BatchWriteItem of {STREAMS} view items: {_median(raws)} items/s")
        print(f"  raw conditional PutItem (what a view write is): {_median(puts)} items/s")
        # A rebuilt view costs a 25th of a BatchWriteItem and two 100ths of a BatchGetItem (the
        # served generation for the report, the new one to verify), and the store is read twice.
        # Batches are unconditional; they may do so because the new generation is served to no
        # one until the verification pass has repaired whatever they overwrote.
        ratio = statistics.median(streams_rate) / statistics.median(raws)
        per_put = statistics.median(streams_rate) / statistics.median(puts)
        print(f"  rebuild views/s over raw batched items/s: {ratio:.2f}")
        print(f"  rebuild views/s over raw conditional puts/s: {per_put:.2f}")
    return 0


def raw_batch_write(client: object, table: str, count: int) -> float:
    items = [
        {
            "PutRequest": {
                "Item": {
                    "pk": {"S": f"raw#{uuid.uuid4()}"},
                    "sk": {"S": "summary"},
                    "list_pk": {"S": "raw#applied"},
                    "list_sk": {"S": f"2026-11-29T00:00:00#{n:06d}"},
                    "applicant_name": {"S": f"Person {n}"},
                    "position": {"N": "1"},
                }
            }
        }
        for n in range(count)
    ]
    started = time.monotonic()
    for start in range(0, count, 25):
        client.batch_write_item(RequestItems={table: items[start : start + 25]})  # type: ignore[attr-defined]
    return count / (time.monotonic() - started)


def raw_conditional_puts(client: object, table: str, count: int) -> float:
    started = time.monotonic()
    for n in range(count):
        client.put_item(  # type: ignore[attr-defined]
            TableName=table,
            Item={"pk": {"S": f"put#{uuid.uuid4()}"}, "sk": {"S": "summary"}, "n": {"N": str(n)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    return count / (time.monotonic() - started)


def _median(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f} (spread {min(rates):,.0f}-{max(rates):,.0f})"


if __name__ == "__main__":
    raise SystemExit(main())
