"""``membership views verify`` and ``membership views rebuild``.

Against the running local stack by default (its endpoint is in ``<data-dir>/stack.json``),
any DynamoDB endpoint with ``--dynamodb-endpoint``, or a deployed stack with ``--aws-stack
NAME`` (the AWS credentials of the shell; the table names come from the stack's outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from local_aws.backend import aws_environment
from local_aws.template import load_template

if TYPE_CHECKING:
    from verein.changes.rebuild import Progress

STACK_FILE = "stack.json"
"""Written by a running ``membership local`` into its data dir: its endpoints."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    views = commands.add_parser("views", help="verify or rebuild the read views from the store")
    views.add_argument("action", choices=("verify", "rebuild"))
    target = views.add_mutually_exclusive_group()
    target.add_argument("--data-dir", default=".local", help="the running local stack's data")
    target.add_argument("--dynamodb-endpoint", help="any DynamoDB endpoint (tables as local)")
    target.add_argument("--aws-stack", help="a deployed stack's name (real AWS)")
    views.add_argument("--segments", type=int, default=4, help="parallel scan segments")
    views.add_argument("--template", type=Path, default=None)


def run(args: argparse.Namespace, template_path: Path) -> int:
    try:
        _point_at(args, template_path)
    except (OSError, ValueError, KeyError) as error:
        print(f"membership views: {error}", file=sys.stderr)
        return 2
    # Imported only now: the settings and clients must see the environment just set.
    from verein import runtime  # noqa: PLC0415
    from verein.changes import rebuild  # noqa: PLC0415

    runtime.reset()
    act = rebuild.rebuild if args.action == "rebuild" else rebuild.verify
    bar = _ProgressBar()
    report = act(runtime.event_store(), runtime.projections(), args.segments, bar.show)
    bar.done(report.progress)
    for difference in report.differences[:20]:
        print(f"{difference.view}\t{difference.key}\t{difference.problem}")
    if len(report.differences) > 20:
        print(f"... and {len(report.differences) - 20} more")
    verb = "repaired" if args.action == "rebuild" else "differ"
    print(f"{len(report.differences)} views {verb}")
    return 1 if args.action == "verify" and report.differences else 0


def _point_at(args: argparse.Namespace, template_path: Path) -> None:
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
    def __init__(self) -> None:
        self._last = 0.0

    def show(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last >= 0.2 and sys.stderr.isatty():
            self._last = now
            print(f"\r{progress.line()}", end="", file=sys.stderr, flush=True)

    def done(self, progress: Progress) -> None:
        print(f"\r{progress.line()}", file=sys.stderr, flush=True)
