"""``make bench``: does the local projection pipeline keep up, measured through the local stack.

Everything goes through ``membership local`` as a developer runs it (the supervised backend
child over HTTP, with its lock and journal; the stream poller; the functions in their worker
processes; the gateway), started once; on it, interleaved:

1. **Raw rate**: conditional ``PutItem`` requests from one client thread straight to the
   same backend, into the event-store table (journaled and fsynced, as a commit is) and into
   the views table (neither, as the projector's writes): what one serial consumer of this
   backend can write at best. Measured before every burst and once after the last.
2. **Burst**: ``POSTS`` applications posted by ``CLIENTS`` threads as fast as the stack takes
   them. Reported: the accepted rate (posts / time until the last was answered), the
   projected rate (posts / time until the stream poller had delivered everything, i.e. every
   new member is in the views) and the catch-up time (from the last answer until then).
   Every burst ends by checking that each new member is in the staff list.
3. **Drain**: ``POSTS`` applications' items (claim and commit, copied from a real
   application with fresh identifiers) written in bulk with ``BatchWriteItem``, so that the
   stream holds them all at once; the drain rate is how fast the poller and the
   change-stream function empty that backlog: the projection's sustained rate.
4. **Latency**: ``SEQUENTIAL`` single posts, each followed by polling the staff view of the
   member until it shows (issue 2: "within a second or two").
5. **List page**: ``GET /staff/members`` (100 members: one ``by_list`` index Query of 101)
   and the bare Query against the backend, at the table size the bursts left, next to a
   ``GetItem`` for scale.

Medians with (min-max) over ``RUNS`` bursts. Set ``BENCH_POSTS``, ``BENCH_RUNS``,
``BENCH_CLIENTS`` to change the sizes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from local_aws.cli import LocalStack

POSTS = int(os.environ.get("BENCH_POSTS", "600"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
RAW_PUTS = 200
SEQUENTIAL = 20
PAGE_SAMPLES = 10


@dataclass
class Burst:
    accepted_rate: float
    projected_rate: float
    catch_up_s: float
    members_after: int


def spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """``median (min-max)`` of ``values``."""
    low, high = min(values), max(values)
    return f"{fmt.format(statistics.median(values))} ({fmt.format(low)}-{fmt.format(high)})"


def raw_put_rate(client: Any, table: str, key: tuple[str, str], sort_value: Any) -> float:
    """Conditional PutItems of a small new item per second, one thread, as a commit is sent."""
    started = time.perf_counter()
    for _ in range(RAW_PUTS):
        client.put_item(
            TableName=table,
            Item={key[0]: {"S": f"bench-raw#{uuid.uuid4()}"}, key[1]: sort_value, "p": {"S": "x"}},
            ConditionExpression=f"attribute_not_exists({key[0]})",
        )
    return RAW_PUTS / (time.perf_counter() - started)


def application(tag: str) -> dict[str, Any]:
    return {
        "name": f"Person {tag}",
        "email": f"bench.{tag}@example.org",
        "membership_type": "individual",
        "privacy_consent": True,
    }


def post_all(base_url: str, count: int, prefix: str) -> tuple[list[str], float]:
    """Post ``count`` applications from ``CLIENTS`` threads; (member ids, seconds taken)."""
    numbers = iter(range(count))
    lock = threading.Lock()
    ids: list[str] = []
    errors: list[str] = []

    def client_thread() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                reply = client.post("/membership/applications", json=application(f"{prefix}{n}"))
                with lock:
                    if reply.status_code >= 300:
                        errors.append(f"{reply.status_code} {reply.text[:200]}")
                    else:
                        ids.append(reply.json()["application_id"])

    threads = [threading.Thread(target=client_thread) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} posts failed, e.g. {errors[0]}")
    return ids, time.perf_counter() - started


def listed_members(base_url: str, token: str) -> set[str]:
    """Every member id in the staff list of applicants (all pages)."""
    found: set[str] = set()
    after: str | None = None
    with httpx.Client(base_url=base_url, timeout=60) as client:
        while True:
            params: dict[str, Any] = {"status": "applied", "limit": 500}
            if after is not None:
                params["after"] = after
            page = client.get(
                "/staff/members", params=params, headers={"Authorization": f"Bearer {token}"}
            ).json()
            found.update(m["member_id"] for m in page["members"])
            after = page.get("next_cursor")
            if after is None:
                return found


def burst(stack: LocalStack, token: str, run: int, members_before: int) -> Burst:
    started = time.perf_counter()
    ids, accepting = post_all(stack.base_url, POSTS, f"r{run}-")
    if not stack.wait_for_projections(600):
        raise TimeoutError("the views did not catch up within 600 s")
    projecting = time.perf_counter() - started
    listed = listed_members(stack.base_url, token)
    missing = set(ids) - listed
    if missing:
        raise RuntimeError(f"{len(missing)} accepted applications are not in the staff list")
    return Burst(POSTS / accepting, POSTS / projecting, projecting - accepting, len(listed))


def latencies(stack: LocalStack, token: str) -> list[float]:
    """Seconds from posting one application until the staff view shows it."""
    measured: list[float] = []
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for n in range(SEQUENTIAL):
            started = time.perf_counter()
            reply = client.post("/membership/applications", json=application(f"latency{n}"))
            member_id = reply.json()["application_id"]
            while True:
                view = client.get(
                    f"/staff/members/{member_id}", headers={"Authorization": f"Bearer {token}"}
                )
                if view.json().get("summary"):
                    break
                time.sleep(0.01)
            measured.append(time.perf_counter() - started)
    return sorted(measured)


def median_ms(samples: int, step: Callable[[], Any]) -> float:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        step()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def a_listed_view(dynamodb: Any, table: str) -> dict[str, Any]:
    """One view item that is in the ``by_list`` index (its key layout is the product's)."""
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if "list_pk" in item and "list_sk" in item:
                return dict(item)
    raise RuntimeError("no listed view")


def list_page_costs(stack: LocalStack, token: str, dynamodb: Any) -> list[str]:
    views = stack.template.table_name("ViewsTable")
    item = a_listed_view(dynamodb, views)
    key = {name: item[name] for name in ("pk", "sk") if name in item}
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {token}"}
        page = median_ms(
            PAGE_SAMPLES,
            lambda: client.get("/staff/members", params={"status": "applied"}, headers=auth),
        )
    query = median_ms(
        PAGE_SAMPLES,
        lambda: dynamodb.query(
            TableName=views,
            IndexName="by_list",
            KeyConditionExpression="list_pk = :p",
            ExpressionAttributeValues={":p": item["list_pk"]},
            Limit=101,
        ),
    )
    get = median_ms(PAGE_SAMPLES, lambda: dynamodb.get_item(TableName=views, Key=key))
    return [
        f"- GET /staff/members (100 of them): median {page:.0f} ms over HTTP",
        f"- its by_list Query (Limit=101) straight to the backend: median {query:.1f} ms",
        f"- one GetItem on the views table, for scale: median {get:.1f} ms",
    ]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLAIM_KEY = re.compile(r"(claim#[a-z-]+#)[0-9a-f]{64}")


def application_items(dynamodb: Any, table: str, member_id: str) -> list[dict[str, Any]]:
    """The claim and commit items one application wrote, in that order."""
    commits = dynamodb.query(
        TableName=table,
        KeyConditionExpression="stream_id = :s",
        ExpressionAttributeValues={":s": {"S": f"member#{member_id}"}},
    )["Items"]
    claims = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
        if item.get("owner_stream_id") == {"S": f"member#{member_id}"}
    ]
    return [*claims, *commits]


def _fresh_uuid(fresh: dict[str, str], match: re.Match[str]) -> str:
    """The same new identifier for every occurrence of an old one within one copy."""
    return fresh.setdefault(match.group(), str(uuid.uuid4()))


def copies(items: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    """``count`` copies of ``items`` with fresh identifiers (uuids, claim keys) per copy."""
    text = json.dumps(items)
    for _ in range(count):
        copy = _UUID.sub(functools.partial(_fresh_uuid, {}), text)
        copy = _CLAIM_KEY.sub(lambda m: m.group(1) + uuid.uuid4().hex + uuid.uuid4().hex, copy)
        yield from json.loads(copy)


def drain(stack: LocalStack, token: str, dynamodb: Any, template_id: str) -> float:
    """Applications projected per second from a backlog of ``POSTS`` written at once."""
    table = stack.template.table_name("EventStoreTable")
    items = list(copies(application_items(dynamodb, table, template_id), POSTS))
    before = len(listed_members(stack.base_url, token))
    started = time.perf_counter()
    for start in range(0, len(items), 25):
        chunk = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={table: chunk})
    if not stack.wait_for_projections(600):
        raise TimeoutError("the backlog was not projected within 600 s")
    elapsed = time.perf_counter() - started
    after = len(listed_members(stack.base_url, token))
    if after - before != POSTS:
        raise RuntimeError(f"{after - before} of {POSTS} copied applications were projected")
    return POSTS / elapsed


@contextlib.contextmanager
def quiet_functions() -> Iterator[None]:
    """The functions' worker processes log to the stack's stdout: send that to /dev/null
    while the stack runs (the workers inherit it), and print the tables afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main() -> int:
    with (
        quiet_functions(),
        tempfile.TemporaryDirectory() as data,
        LocalStack(data_dir=data, port=0) as stack,
    ):
        token = stack.issue_token(groups=("staff",))
        dynamodb = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
        store = stack.template.table_name("EventStoreTable")
        views = stack.template.table_name("ViewsTable")
        warm_ids, _ = post_all(stack.base_url, 20, "warm-")  # every worker started, imports done
        stack.wait_for_projections(60)
        raw_store: list[float] = []
        raw_views: list[float] = []
        bursts: list[Burst] = []
        drains: list[float] = []

        def measure_raw() -> None:
            raw_store.append(raw_put_rate(dynamodb, store, ("stream_id", "version"), {"N": "1"}))
            raw_views.append(raw_put_rate(dynamodb, views, ("pk", "sk"), {"S": "bench"}))
            stack.wait_for_projections(60)  # the raw change records are not part of a run

        for run in range(RUNS):
            measure_raw()
            bursts.append(burst(stack, token, run, bursts[-1].members_after if bursts else 0))
            drains.append(drain(stack, token, dynamodb, warm_ids[0]))
        measure_raw()
        slow = latencies(stack, token)
        pages = list_page_costs(stack, token, dynamodb)
        members = len(listed_members(stack.base_url, token))
    report(raw_store, raw_views, bursts, drains, slow, pages, members)
    return 0


def report(
    raw_store: list[float],
    raw_views: list[float],
    bursts: list[Burst],
    drains: list[float],
    slow: list[float],
    pages: list[str],
    members: int,
) -> None:
    projected = [b.projected_rate for b in bursts]
    print(f"\n## projection through the local stack ({RUNS} runs of {POSTS} applications; ", end="")
    print(f"posts from {CLIENTS} client threads; median (min-max))\n")
    print("| measure | value |\n|---|---:|")
    print(
        f"| raw conditional PutItem, event-store table (journaled), 1 thread | {spread(raw_store)} /s |"
    )
    print(f"| raw conditional PutItem, views table, 1 thread | {spread(raw_views)} /s |")
    print(f"| burst: applications accepted | {spread([b.accepted_rate for b in bursts])} /s |")
    print(f"| burst: applications projected (until all in the views) | {spread(projected)} /s |")
    catch_up = spread([b.catch_up_s for b in bursts], "{:.2f}")
    print(f"| burst: catch-up after the last post was answered | {catch_up} s |")
    print(f"| drain: backlog projected (sustained projection rate) | {spread(drains)} /s |")
    for name, raw in (("event-store", raw_store), ("views", raw_views)):
        ratio = statistics.median(drains) / statistics.median(raw)
        print(f"| drain / raw conditional PutItem ({name} table) | {ratio:.2f}x |")
    print(f"\n## form post to staff view, one at a time ({SEQUENTIAL} posts)\n")
    print(
        f"- median {statistics.median(slow) * 1000:.0f} ms, "
        f"p95 {slow[int(0.95 * (len(slow) - 1))] * 1000:.0f} ms, "
        f"max {slow[-1] * 1000:.0f} ms (target: within 2 s; the template's batching window "
        "lets the stream gather records for up to 1 s, as Lambda does)"
    )
    print(f"\n## staff list page at {members:,} applicants\n")
    print("\n".join(pages))


if __name__ == "__main__":
    sys.exit(main())
