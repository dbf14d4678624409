"""How long ``membership local`` takes to say ``ready``, with no data and with 10,000 writes.

Usage: ``python -m tests.benchmarks.local_startup [--writes N] [--runs 3] [--infra DIR]``

Each start is the real command (``python -m local_aws local``) in a subprocess, timed from the
moment it is launched until it prints ``ready``; then it is stopped with SIGINT, as Ctrl-C
does, and the stop is timed too (a clean stop may write a snapshot).

The stored writes are made fast, without one HTTP request each: the stack is started once and
sent one application and one staff note through the API, the two journal lines those writes
produced are read, and the journal of the measured data dir is written from copies of them
with fresh identifiers (member id, e-mail address, claim key, event ids): every member has an
application (a ``TransactWriteItems`` with its claim) and a note (a ``PutItem``). The journal
is written in the original format (no sequence numbers), which every version of the backend
reads, so ``--infra`` can point at an older copy of ``infra/`` to measure it the same way.

Reported: the first start on the synthesized journal (it is replayed write by write and
re-projected; the new backend then writes its snapshot), and the median of ``--runs`` restarts
of the same data dir after that.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"
JOURNAL_FILE = "journal.jsonl"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLAIM = re.compile(r"claim#membership-application#[0-9a-f]{64}")
TEMPLATE_NAME = "Bench Person"
TEMPLATE_EMAIL = "bench.person@example.org"


class Started:
    """One ``membership local`` subprocess, from launch to ``ready``."""

    def __init__(self, data_dir: Path, infra: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(infra), env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "local_aws", "local", "--port", "0", "--quiet"]
        command += ["--template", str(TEMPLATE), "--data-dir", str(data_dir)]
        self.launched = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.stderr: list[str] = []
        assert self.process.stderr is not None
        stderr = self.process.stderr
        self._drain = threading.Thread(target=lambda: self.stderr.extend(stderr), daemon=True)
        self._drain.start()
        self.lines: list[str] = []
        assert self.process.stdout is not None
        while not self.lines or not self.lines[-1].startswith("ready"):
            line = self.process.stdout.readline()
            if not line:
                self.process.wait()
                raise RuntimeError("".join(self.lines) + "".join(self.stderr[-30:]))
            self.lines.append(line)
        self.ready_s = time.perf_counter() - self.launched
        self.base_url = next(
            line.split()[-1] for line in self.lines if line.startswith("Membership system")
        )
        self.token = self.lines[self.lines.index("Staff token (valid 12 h):\n") + 1].strip()
        data_line = next(line for line in self.lines if "stored writes restored" in line)
        self.restored = int(data_line.rsplit("(", 1)[1].split()[0])
        # The functions log to stdout: keep reading it, or a full pipe blocks the command.
        stdout = self.process.stdout
        self._out = threading.Thread(target=lambda: self.lines.extend(stdout), daemon=True)
        self._out.start()

    def stop(self) -> float:
        """SIGINT (Ctrl-C) and wait; returns how long the stop took."""
        # ``ready`` is printed just before the command installs its signal handlers.
        time.sleep(max(0.0, self.launched + self.ready_s + 1.0 - time.perf_counter()))
        started = time.perf_counter()
        self.process.send_signal(signal.SIGINT)
        code: int | None = None
        try:
            code = self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._drain.join(5)
        self._out.join(5)
        if code != 0:
            raise RuntimeError(
                f"exit code {code} (None: did not stop within 600 s)\n"
                + "".join(self.stderr[-30:])
                + "".join(self.lines[-10:])
            )
        return time.perf_counter() - started


def record_journal_lines(infra: Path) -> list[str]:
    """The journal lines of one application and one staff note, made through the API."""
    with tempfile.TemporaryDirectory() as data:
        stack = Started(Path(data), infra)
        try:
            with httpx.Client(base_url=stack.base_url, timeout=60) as client:
                applied = client.post(
                    "/membership/applications",
                    json={
                        "name": TEMPLATE_NAME,
                        "email": TEMPLATE_EMAIL,
                        "membership_type": "individual",
                        "privacy_consent": True,
                    },
                )
                assert applied.status_code < 300, applied.text
                member_id = applied.json()["application_id"]
                noted = client.post(
                    f"/staff/members/{member_id}/notes",
                    json={"text": "Paid the fee in cash."},
                    headers={"Authorization": f"Bearer {stack.token}"},
                )
                assert noted.status_code < 300, noted.text
            # Each line is fsynced before the write is acknowledged: readable while running.
            lines = (Path(data) / JOURNAL_FILE).read_text().splitlines()
        finally:
            stack.stop()
    if len(lines) != 2:
        raise RuntimeError(f"expected two journal lines, got {len(lines)}: {lines}")
    return [json.dumps({"target": e["target"], "body": e["body"]}) for e in map(json.loads, lines)]


def _fresh_uuid(fresh: dict[str, str], match: re.Match[str]) -> str:
    """The same new identifier for every occurrence of an old one within one copy."""
    return fresh.setdefault(match.group(), str(uuid.uuid4()))


def synthesize(lines: list[str], writes: int) -> Iterator[str]:
    """``writes`` journal lines: copies of ``lines`` with fresh identifiers per copy."""
    for number in range(writes // len(lines) + 1):
        fresh: dict[str, str] = {}
        claim = hashlib.sha256(f"bench-{number}".encode()).hexdigest()
        for line in lines:
            if writes <= 0:
                return
            copy = _UUID.sub(functools.partial(_fresh_uuid, fresh), line)
            copy = _CLAIM.sub(f"claim#membership-application#{claim}", copy)
            copy = copy.replace(TEMPLATE_EMAIL, f"bench.person.{number}@example.org")
            copy = copy.replace(TEMPLATE_NAME, f"{TEMPLATE_NAME} {number}")
            yield copy + "\n"
            writes -= 1


def write_journal(data_dir: Path, lines: list[str], writes: int) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / JOURNAL_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as journal:
        journal.writelines(synthesize(lines, writes))


def measure(data_dir: Path, infra: Path, writes: int, runs: int) -> list[str]:
    report = []
    first = Started(data_dir, infra)
    if first.restored != writes:
        raise RuntimeError(f"{first.restored} writes restored, expected {writes}")
    first_stop = first.stop()
    report.append(
        f"- {writes:,} stored writes, first start (journal only): ready in "
        f"{first.ready_s:.2f} s; stop {first_stop:.2f} s"
    )
    ready, stops = [], []
    for _ in range(runs):
        started = Started(data_dir, infra)
        if started.restored != writes:
            raise RuntimeError(f"{started.restored} writes restored, expected {writes}")
        ready.append(started.ready_s)
        stops.append(started.stop())
    report.append(
        f"- {writes:,} stored writes, restart: ready in median {statistics.median(ready):.2f} s "
        f"({', '.join(f'{s:.2f}' for s in ready)}); stop median {statistics.median(stops):.2f} s"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.local_startup")
    parser.add_argument("--writes", type=int, default=10_000, help="stored writes (10,000)")
    parser.add_argument("--runs", type=int, default=3, help="restarts per size (median)")
    parser.add_argument(
        "--infra", type=Path, default=REPO / "infra", help="folder holding local_aws to measure"
    )
    args = parser.parse_args(argv)
    lines = record_journal_lines(args.infra)
    print(f"\n## membership local: time to ready ({args.infra})\n", flush=True)
    for writes in (0, args.writes):
        with tempfile.TemporaryDirectory() as root:
            data_dir = Path(root) / "data"
            write_journal(data_dir, lines, writes)
            for line in measure(data_dir, args.infra, writes, args.runs):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
