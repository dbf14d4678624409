"""``make bench``: what a page of the register's directory costs at 5,000 members.

On the backend the local stack really uses (moto's server in a child process, over HTTP),
with the template's views table: 5,000 member summaries as the projector writes them (German
names with umlauts, a third companies with contacts, addresses, phones, working groups, every
status), written as a rebuild does (a building generation, then the switch). Then each kind of
directory request (``MemberViews.directory`` on the ``by_name`` index, the staff API's full
summaries, the CSV) several times, with botocore hooks counting requests.

Reported per request kind: DynamoDB requests (Queries, and BatchGetItems where full summaries
are read), entries the Queries read before the filter (what DynamoDB bills), read units
estimated from the index's item sizes (eventually consistent, 0.5 per 4 KB read), and the
median time on this backend. moto ends a Query page after 1,000,000 bytes of *whole* items;
DynamoDB after 1 MB of the index's projected items, so DynamoDB needs at most as many Queries
as counted here (the index's size is printed for the comparison).
"""

from __future__ import annotations

import math
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3

from local_aws.backend import BackendProcess, aws_environment
from local_aws.template import load_template
from tests.benchmarks.dynamodb_meter import item_size

MEMBERS = 5_000
RUNS = 3
PAGE = 50  # the register page's
API_PAGE = 100  # the staff API's default

FIRST = [
    "Anna", "Jürgen", "Sören", "Björn", "Käthe", "Jörg", "Lena", "Max", "Sophie", "Paul",
    "Marie", "Lukas", "Hannah", "Felix", "Mia", "Jonas", "Emma", "Leon", "Zoë", "Özlem",
]  # fmt: skip
LAST = [
    "Müller", "Mueller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
    "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert",
]  # fmt: skip
TRADES = ["Bäckerei", "Straßenbau", "Druckerei", "Gärtnerei", "Software", "Steuerbüro"]
STATUSES = ["active"] * 80 + ["applied"] * 5 + ["terminating"] * 5 + ["ended"] * 5
STATUSES += ["rejected"] * 3 + ["withdrawn"] * 2
GROUPS = [str(uuid.UUID(int=9000 + n)) for n in range(8)]
RARE = "Quirinus Zwiebelfisch"  # one member of 5,000


def summaries() -> list[Any]:
    from verein.membership.domain_events import ContactPerson  # noqa: PLC0415
    from verein.membership.views.summary import MemberSummary  # noqa: PLC0415

    rng = random.Random(10)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    result = []
    for n in range(MEMBERS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = RARE if n == 2_345 else f"{first} {last}"
        company = n % 3 == 0
        status = rng.choice(STATUSES)
        approved = status in ("active", "terminating", "ended")
        result.append(
            MemberSummary(
                member_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                status=status,
                applicant_name=name,
                email=f"{first}.{last}{n}@example.org".lower(),
                organisation=f"{rng.choice(TRADES)} {last} GmbH" if company else None,
                membership_type=("company" if company else "individual"),
                language="de",
                applied_at=start + timedelta(hours=n),
                consent_version="de-0123456789ab",
                note_count=rng.randrange(4),
                member_number=n + 1 if approved else None,
                decided_at=start + timedelta(hours=n + 30) if status != "applied" else None,
                member_since=(start + timedelta(hours=n + 30)).date() if approved else None,
                ends_on=date(2025, 12, 31) if status in ("terminating", "ended") else None,
                street=f"{rng.choice(LAST)}straße {n % 120 + 1}",
                postal_code=f"{10000 + n % 89999:05d}",
                city=rng.choice(["Berlin", "München", "Köln", "Düsseldorf", "Nürnberg"]),
                phone=f"+49 30 {rng.randrange(10**7):07d}",
                contacts=[
                    ContactPerson(
                        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        role="Geschäftsführung",
                        email=f"kontakt{n}@example.org",
                        phone="+49 30 1234567",
                    )
                ]
                if company
                else [],
                groups=rng.sample(GROUPS, rng.choice([0, 0, 0, 1, 2])),
                position=rng.randrange(1, 8),
            )
        )
    return result


@dataclass
class Counter:
    requests: dict[str, int]
    scanned: int = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def reset(self) -> None:
        self.requests = {}
        self.scanned = 0

    def _before(self, model: Any, **_: Any) -> None:
        self.requests[model.name] = self.requests.get(model.name, 0) + 1

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            self.scanned += parsed.get("ScannedCount", len(parsed.get("Items", [])))


def main() -> int:  # noqa: PLR0915 - one report
    template = load_template("infra/template.yaml")
    with BackendProcess(list(template.tables.values()), data_dir=None) as backend:
        os.environ.update({k: v for k, v in aws_environment(backend.endpoint_url).items() if v})
        from verein.membership.views.directory import DIRECTORY_ATTRIBUTES, DirectoryQuery  # noqa: PLC0415
        from verein.membership.views.store import DynamoDBMemberViews, _item  # noqa: PLC0415
        from verein.membership.web import export  # noqa: PLC0415
        from verein.membership.web.directory import members_by_name  # noqa: PLC0415

        client = boto3.client("dynamodb", endpoint_url=backend.endpoint_url)
        views_table = template.table_name("ViewsTable")
        counter = Counter({})
        counter.attach(client)
        views = DynamoDBMemberViews(client, views_table)
        members = summaries()
        state = views.generations.read()
        views.generations.write(state, state.following(building=2, owner="bench", lease_until=0))
        views.put_many(members, generation=2)
        state = views.generations.read()
        views.generations.write(state, state.following(current=2, building=None, owner=None))

        projected = [
            {
                k: v
                for k, v in item.items()
                if k in {"pk", "sk", "name_pk", "name_sk", *DIRECTORY_ATTRIBUTES}
            }
            for item in (_item(m, 2) for m in members)
        ]
        from verein.eventstore.dynamodb import to_attribute_values  # noqa: PLC0415

        index_bytes = sum(item_size(to_attribute_values(i)) for i in projected)
        full_bytes = sum(item_size(to_attribute_values(_item(m, 2))) for m in members)
        per_entry = index_bytes / MEMBERS

        middle = views.directory(DirectoryQuery(), PAGE * 40).next_cursor
        common = "müller"
        kinds: list[tuple[str, Callable[[], int]]] = [
            ("first page, everyone", lambda: _count(views.directory(DirectoryQuery(), PAGE))),
            ("a page in the middle", lambda: _count(views.directory(DirectoryQuery(), PAGE, middle))),
            ("status active (80 %)", lambda: _count(views.directory(DirectoryQuery("active"), PAGE))),
            ("status applied (5 %)", lambda: _count(views.directory(DirectoryQuery("applied"), PAGE))),
            ("a working group (~7 %)", lambda: _count(views.directory(DirectoryQuery(group=GROUPS[0]), PAGE))),
            (f"search hit, common ({common!r})", lambda: _count(views.directory(DirectoryQuery(text=common), PAGE))),
            ("search hit, one of 5,000", lambda: _count(views.directory(DirectoryQuery(text="zwiebelfisch"), PAGE))),
            ("search miss", lambda: _count(views.directory(DirectoryQuery(text="xyzzy"), PAGE))),
            ("API page (100, full summaries)", lambda: len(members_by_name(views, DirectoryQuery(), API_PAGE, None).members)),
            ("API search hit (full summaries)", lambda: len(members_by_name(views, DirectoryQuery(text=common), API_PAGE, None).members)),
            ("CSV, everyone", lambda: sum(1 for _ in export.directory_members(views, DirectoryQuery()))),
            ("CSV, search hit", lambda: sum(1 for _ in export.directory_members(views, DirectoryQuery(text=common)))),
        ]  # fmt: skip
        print(f"\nThe register's directory at {MEMBERS:,} members (embedded backend over HTTP)")
        print(
            f"  by_name index: {index_bytes / 1e6:.2f} MB ({per_entry:.0f} bytes an entry), whole "
            f"items {full_bytes / 1e6:.2f} MB: reading the whole partition takes "
            f"{math.ceil(index_bytes / 2**20)} Queries on DynamoDB (1 MB each), "
            f"{math.ceil(full_bytes / 1e6)} on this backend"
        )
        print(
            f"\n  {'request':<36} {'found':>6} {'Get':>4} {'Query':>6} {'BatchGet':>8} "
            f"{'read':>6} {'~RCU':>6} {'ms':>7}"
        )
        for name, run in kinds:
            times = []
            for _ in range(RUNS):
                counter.reset()
                started = time.perf_counter()
                found = run()
                times.append((time.perf_counter() - started) * 1000)
            count = counter.requests
            # GSI Queries are eventually consistent: 0.5 units per 4 KB read, before the filter
            units = 0.5 * math.ceil(counter.scanned * per_entry / 4096)
            print(
                f"  {name:<36} {found:>6} {count.get('GetItem', 0):>4} {count.get('Query', 0):>6} "
                f"{count.get('BatchGetItem', 0):>8} {counter.scanned:>6} {units:>6.0f} "
                f"{statistics.median(times):>7.1f}"
            )
        print(
            "\n  Get: the control item (which generation is served), 0.5 RCU. read: index entries"
            "\n  the Queries read before the filter (what DynamoDB bills; ~RCU from the index's"
            "\n  entry size). Query: DynamoDB needs at most as many (see above). ms: this backend's"
            "\n  median; it evaluates filters in Python and is no measure of DynamoDB's speed."
        )
    return 0


def _count(page: Any) -> int:
    return len(page.entries)


if __name__ == "__main__":
    raise SystemExit(main())
