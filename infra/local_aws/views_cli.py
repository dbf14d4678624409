"""``membership views verify`` and ``membership views rebuild``.

Against the running local stack by default (its endpoint is in ``<data-dir>/stack.json``),
any DynamoDB endpoint with ``--dynamodb-endpoint``, or a deployed stack with ``--aws-stack
NAME`` (the AWS credentials of the shell; the table names come from the stack's outputs).
``rebuild`` builds a new generation of every view, verifies it and switches to it (see
``verein.changes.rebuild``); the staff API serves the old one until then.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from local_aws.backend import aws_environment
from local_aws.template import load_template
from verein.bootstrap import Adapters
from verein.changes import rebuild
from verein.changes.rebuild import Timing

if TYPE_CHECKING:
    from verein.changes.rebuild import Progress, RebuildableView
    from verein.eventstore import EventStore

STACK_FILE = "stack.json"
"""Written by a running ``membership local`` into its data dir: its endpoints."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    views = commands.add_parser(
        "views", help="verify the read views, or rebuild them into a new generation and switch"
    )
    views.add_argument("action", choices=("verify", "rebuild"))
    target = views.add_mutually_exclusive_group()
    target.add_argument("--data-dir", default=".local", help="the running local stack's data")
    target.add_argument("--dynamodb-endpoint", help="any DynamoDB endpoint (tables as local)")
    target.add_argument("--aws-stack", help="a deployed stack's name (real AWS)")
    views.add_argument("--segments", type=int, default=4, help="parallel scan segments")
    views.add_argument(
        "--retire-after",
        type=float,
        default=Timing.retire_after_s,
        help="seconds the replaced generation stays readable before it is deleted",
    )
    views.add_argument("--template", type=Path, default=None)


def run(args: argparse.Namespace, template_path: Path) -> int:
    try:
        point_at(args, template_path)
    except (OSError, ValueError, KeyError) as error:
        print(f"membership views: {error}", file=sys.stderr)
        return 2
    # Built only now: the settings and clients must see the environment just set.
    adapters = Adapters.from_environment()
    if args.action == "verify":
        return _verify(adapters.event_store, adapters.projections, args.segments)
    timing = Timing(retire_after_s=getattr(args, "retire_after", Timing.retire_after_s))
    return _rebuild(adapters.event_store, adapters.projections, args.segments, timing)


def _verify(store: EventStore, views: Sequence[RebuildableView], segments: int) -> int:
    for view in views:
        print(f"{view.name}: generation {view.generations.read().current} served")
    bar = _ProgressBar()
    report = rebuild.verify(store, views, segments, bar.show)
    bar.done(report.progress)
    _print_differences(report.differences)
    print(f"{len(report.differences)} views differ")
    return 1 if report.differences else 0


def _rebuild(
    store: EventStore, views: Sequence[RebuildableView], segments: int, timing: Timing
) -> int:
    bar = _ProgressBar()
    try:
        report = rebuild.rebuild(store, views, segments, bar.show, on_step=bar.step, timing=timing)
    except (rebuild.RebuildInProgress, rebuild.GenerationSwitchLost) as error:
        print(f"membership views rebuild: {error}", file=sys.stderr)
        return 1
    _print_differences(report.differences)
    print(f"{len(report.differences)} views differed from the generation served before")
    for switch in report.switches:
        print(
            f"{switch.view}: generation {switch.new} served (was {switch.old}); "
            f"{switch.repaired} views repaired in verification"
        )
    return 0


def _print_differences(differences: Sequence[rebuild.Difference]) -> None:
    for difference in differences[:20]:
        print(f"{difference.view}\t{difference.key}\t{difference.problem}")
    if len(differences) > 20:
        print(f"... and {len(differences) - 20} more")


def point_at(args: argparse.Namespace, template_path: Path) -> None:
    """Set the environment the functions would have, pointed at the chosen tables."""
    template = load_template(template_path)
    if args.aws_stack:
        import boto3  # noqa: PLC0415

        outputs = boto3.client("cloudformation").describe_stacks(StackName=args.aws_stack)
        values = {o["OutputKey"]: o["OutputValue"] for o in outputs["Stacks"][0]["Outputs"]}
        os.environ["EVENT_STORE_TABLE"] = values["EventStoreTableName"]
        os.environ["VIEWS_TABLE"] = values["ViewsTableName"]
        return
    endpoint = args.dynamodb_endpoint or _running_stack_endpoint(Path(args.data_dir))
    for name, value in aws_environment(endpoint).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.environ["EVENT_STORE_TABLE"] = template.table_name("EventStoreTable")
    os.environ["VIEWS_TABLE"] = template.table_name("ViewsTable")


def _running_stack_endpoint(data_dir: Path) -> str:
    path = data_dir / STACK_FILE
    if not path.exists():
        raise ValueError(f"no running local stack in {data_dir} (start it with `make run`)")
    return str(json.loads(path.read_text())["dynamodb_endpoint"])


class _ProgressBar:
    """Progress on a terminal's stderr, a line per finished phase; steps on stdout."""

    def __init__(self) -> None:
        self._last = 0.0
        self._phase: Progress | None = None
        self._lock = threading.Lock()  # the segments report from their own threads

    def show(self, progress: Progress) -> None:
        with self._lock:
            if self._phase is not None and self._phase is not progress:
                self._end(self._phase)
            self._phase = progress
            now = time.monotonic()
            if now - self._last >= 0.2 and sys.stderr.isatty():
                self._last = now
                print(f"\r{progress.line()}", end="", file=sys.stderr, flush=True)

    def step(self, message: str) -> None:
        with self._lock:
            if self._phase is not None:
                self._end(self._phase)
                self._phase = None
        print(message, flush=True)

    def done(self, progress: Progress) -> None:
        with self._lock:
            self._end(progress)
            self._phase = None

    def _end(self, progress: Progress) -> None:
        print(f"\r{progress.line()}", file=sys.stderr, flush=True)
