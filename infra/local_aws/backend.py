"""The embedded DynamoDB-compatible backend: moto's server, serialized and journaled.

It runs in a child process (``python -m local_aws.backend``) because moto keeps its state in
module globals: a second stack, or a test using ``moto.mock_aws`` in the same process, would
otherwise share or reset our tables. The child also gets its own interpreter lock, so moto's
CPU work does not slow the handlers down.

Two things are added in front of moto's WSGI app:

* one lock around every request -- moto checks a condition and then writes without a lock, so
  interleaved threads can both win a conditional write (measured, see the local-aws notes);
* a journal of successful writes to the journaled tables, appended and fsynced *before* the
  response leaves, so an HTTP 200 means the write survives a restart. Each line carries a
  sequence number.

Every so many journaled writes the child writes a snapshot of all tables (see ``snapshot``)
and then cuts the journal down to the writes after it; on a clean stop too, if there is a
snapshot already and anything changed since. On start it loads the snapshot in bulk and
replays only the journal lines after it, then announces its port.

The same server answers Secrets Manager: the child creates the template's secrets, with values
the parent hands it, before it announces its port.

The parent owns the listening socket and hands it to the child, so the endpoint never changes:
when the child dies, a supervised ``BackendProcess`` starts a new one on the same socket (the
functions' cached clients and the stream pollers keep working), and requests that arrive
meanwhile wait in the socket's backlog instead of being refused.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import itertools
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local_aws import snapshot as snapshots
from local_aws.files import open_private_append, private_dir, tighten
from local_aws.snapshot import SNAPSHOT_FILE, Snapshot, SnapshotError
from local_aws.template import LOCAL_REGION, TableSpec

JOURNAL_FILE = "journal.jsonl"
#: A snapshot is due once it saves a start this many writes of work (see ``snapshot``): each
#: costs ~10 ms to replay and re-project, so ~2 s; writing a snapshot of 10,000 writes takes
#: ~0.4 s (requests wait meanwhile), loading it ~0.5 s.
DEFAULT_SNAPSHOT_AFTER = 200
_PREFIX = "DynamoDB_20120810."
WRITE_TARGETS = frozenset(
    _PREFIX + op
    for op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
)
# moto keeps every shard iterator it ever handed out; a poller makes ten a second.
_MAX_SHARD_ITERATORS = 1000

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def restrict_to_tables(
    target: str, request: Mapping[str, Any], tables: frozenset[str]
) -> dict[str, Any] | None:
    """The part of a write request that touches ``tables``; None when it touches none.

    Operations on other tables are dropped: their tables are not restored from the journal
    (the views are rebuilt from the event stream), so on replay a condition check against
    them could fail where it once succeeded.
    """
    if target == _PREFIX + "BatchWriteItem":
        items = {
            name: ops for name, ops in request.get("RequestItems", {}).items() if name in tables
        }
        return {**request, "RequestItems": items} if items else None
    if target == _PREFIX + "TransactWriteItems":
        kept = [
            op
            for op in request.get("TransactItems", [])
            if any(body.get("TableName") in tables for body in op.values())
        ]
        return {**request, "TransactItems": kept} if kept else None
    return dict(request) if request.get("TableName") in tables else None


def tables_written(target: str, request: Mapping[str, Any]) -> set[str]:
    """The tables a write request names."""
    if target == _PREFIX + "BatchWriteItem":
        return set(request.get("RequestItems", {}))
    if target == _PREFIX + "TransactWriteItems":
        return {
            str(body.get("TableName"))
            for op in request.get("TransactItems", [])
            for body in op.values()
        }
    return {str(request.get("TableName"))}


class JournalingMiddleware:
    """Serializes requests into ``app`` and journals the writes that changed journaled tables.

    With a ``snapshot_path`` it also restores from and writes snapshots (``restore``,
    ``snapshot``); those parts reach into moto's models and need the real moto app.
    """

    def __init__(
        self,
        app: WsgiApp,
        journal_path: Path | None,
        journaled_tables: Iterable[str],
        region: str = LOCAL_REGION,
        *,
        snapshot_path: Path | None = None,
        table_definitions: Iterable[Mapping[str, Any]] = (),
        views_fingerprint: str | None = None,
    ) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._tables = frozenset(journaled_tables)
        self._region = region
        self._journal_path = journal_path
        self._journal: IO[bytes] | None = None
        self._stream_reads = itertools.count()
        # Set when a journal append failed: moto then holds a write the disk does not, and
        # serving on would hand out 200s that a restart forgets. Every request fails instead.
        self._broken: str | None = None
        self._snapshot_path = snapshot_path
        self._definitions = {dict(d)["TableName"]: dict(d) for d in table_definitions}
        self._fingerprint = views_fingerprint
        self._seq = 0  # sequence number of the last journaled write
        self._snapshot_seq = 0  # the last write the snapshot on disk holds
        self._snapshot_pending = 0  # change records it holds as not yet consumed
        self._has_snapshot = False
        self._other_writes = 0  # writes to the other tables (views) since the snapshot
        self._snapshotting = threading.Lock()  # one snapshot at a time
        #: Called with the name of each step of a snapshot (the crash-safety tests die there).
        self.fault: Callable[[str], None] = lambda _step: None

    # --- in-process calls (table creation and replay; never journaled) ----------------------

    def call(
        self,
        target: str,
        body: bytes,
        service: str = "dynamodb",
        content_type: str = "application/x-amz-json-1.0",
    ) -> tuple[int, bytes]:
        """Send one JSON-protocol request to moto in-process; returns (HTTP status, body)."""
        environ = EnvironBuilder(
            method="POST",
            path="/",
            base_url="http://localhost/",
            data=body,
            headers=[
                ("X-Amz-Target", target),
                ("Content-Type", content_type),
                # moto routes by the credential scope (service and region) of the signature.
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential=local/20240101/{self._region}/{service}/"
                    "aws4_request, SignedHeaders=host, Signature=0",
                ),
            ],
        ).get_environ()
        with self._lock:
            app_iter, status, _ = run_wsgi_app(self._app, environ, buffered=True)
            data = b"".join(app_iter)
        return int(status.split()[0]), data

    def create_tables(self, tables: Iterable[Mapping[str, Any]]) -> None:
        for kwargs in tables:
            status, data = self.call(_PREFIX + "CreateTable", json.dumps(kwargs).encode())
            if status != 200:
                raise RuntimeError(f"CreateTable {kwargs['TableName']} failed: {data!r}")

    def create_secrets(self, values: Mapping[str, str]) -> None:
        """Create each secret (name -> value); never journaled, the parent keeps the values."""
        for name, value in values.items():
            status, data = self.call(
                "secretsmanager.CreateSecret",
                json.dumps({"Name": name, "SecretString": value}).encode(),
                service="secretsmanager",
                content_type="application/x-amz-json-1.1",
            )
            if status != 200:
                raise RuntimeError(f"CreateSecret {name} failed: {data[:500]!r}")

    # --- start: snapshot, then the journal after it -----------------------------------------

    def restore(self, *, rebuild_views: bool = False) -> dict[str, Any]:
        """Load the snapshot (if there is one), then replay the journal lines after it.

        Returns what was restored: ``snapshot`` (writes it held), ``replayed`` (journal lines
        applied after it), ``restored`` (both) and ``views`` ("snapshot", "rebuilt" or None).
        """
        loaded: Snapshot | None = None
        views: str | None = None
        if self._snapshot_path is not None:
            snapshots.remove_leftovers(self._snapshot_path.parent)
            tighten(self._snapshot_path)  # as every data-dir file
            loaded = snapshots.read(self._snapshot_path)
        if loaded is not None:
            views, self._snapshot_pending = self._load_snapshot(loaded, rebuild_views)
            self._seq = self._snapshot_seq = loaded.seq
            self._has_snapshot = True
        replayed = self.replay()
        covered = loaded.seq if loaded is not None else 0
        return {
            "snapshot": covered,
            "replayed": replayed,
            "restored": covered + replayed,
            "views": views,
        }

    def _load_snapshot(self, loaded: Snapshot, rebuild_views: bool) -> tuple[str, int]:
        """Put the snapshot into moto; returns where the views came from and how many change
        records now wait in the streams."""
        from local_aws import moto_speedups, moto_state  # noqa: PLC0415 - the child only

        backend = moto_state.backend(self._region)
        rebuild = rebuild_views or loaded.fingerprint != self._fingerprint
        for name in loaded.tables:
            if name not in self._tables:
                # Views made under another table definition are rebuilt, not reused.
                rebuild = rebuild or _canonical(loaded.definitions.get(name)) != _canonical(
                    self._definitions.get(name)
                )
                continue
            if name not in backend.tables:
                raise SnapshotError(f"the snapshot holds table {name}, the template does not")
            if _key_definition(loaded.definitions.get(name)) != _key_definition(
                self._definitions.get(name)
            ):
                raise SnapshotError(
                    f"the key schema of {name} changed since the snapshot; its items "
                    "cannot be restored"
                )
        waiting = 0
        with self._lock:
            for name, items in loaded.tables.items():
                table = backend.tables.get(name)
                if table is None or (rebuild and name not in self._tables):
                    continue
                moto_state.load_items(table, items)
                # Straight into moto's tables: sorted indexes built before would miss them.
                moto_speedups.forget_indexes(table)
            if rebuild:
                # The views start empty; every event-store item goes through the stream again.
                for name in self._tables:
                    if name in backend.tables:
                        waiting += moto_state.insert_records_for_all_items(backend.tables[name])
            else:
                for name, records in loaded.pending.items():
                    if name in backend.tables:
                        moto_state.append_records(backend.tables[name], records)
                        waiting += len(records)
        return ("rebuilt" if rebuild else "snapshot"), waiting

    def replay(self) -> int:
        """Apply the journal after the snapshot to moto; returns the number of writes replayed.

        Lines carry their sequence number (lines of an older journal do not: they count from
        1). Lines the snapshot holds (a crash came between writing it and cutting the journal)
        are skipped; a gap between the snapshot and the first line after it is refused.
        """
        if self._journal_path is None or not self._journal_path.exists():
            return 0
        replayed = 0
        good_end = 0
        previous: int | None = None
        with self._journal_path.open("rb") as journal:
            for number, line in enumerate(journal, start=1):
                try:
                    entry = json.loads(line)
                    complete = line.endswith(b"\n")
                except ValueError:
                    complete = False
                if not complete:
                    if journal.read(1):
                        raise RuntimeError(f"{self._journal_path}:{number} is corrupt")
                    # A crash mid-append leaves a torn last line. That write was never
                    # acknowledged (the fsync precedes the response), so dropping it is right.
                    print(
                        f"local backend: dropping torn last journal line {number}",
                        file=sys.stderr,
                    )
                    break
                seq = int(entry.get("seq", 1 if previous is None else previous + 1))
                if previous is not None and seq != previous + 1:
                    raise RuntimeError(
                        f"{self._journal_path}:{number} is corrupt (write {seq} follows "
                        f"write {previous})"
                    )
                previous = seq
                good_end += len(line)
                if seq <= self._snapshot_seq:
                    continue  # the snapshot holds it
                if seq != self._snapshot_seq + replayed + 1:
                    raise SnapshotError(
                        f"{self._journal_path}:{number} is write {seq}, but the snapshot "
                        f"ends at write {self._snapshot_seq}: writes in between are missing "
                        f"(was {SNAPSHOT_FILE} removed or replaced?)"
                    )
                status, data = self.call(entry["target"], json.dumps(entry["body"]).encode())
                if status != 200:
                    raise RuntimeError(
                        f"{self._journal_path}:{number} does not replay "
                        f"(did the table definitions change?): {data[:500]!r}"
                    )
                replayed += 1
                self._seq = seq
        if good_end != self._journal_path.stat().st_size:
            with self._journal_path.open("r+b") as journal:
                journal.truncate(good_end)
                journal.flush()
                os.fsync(journal.fileno())
        return replayed

    # --- snapshots ----------------------------------------------------------------------------

    def snapshot(
        self,
        streams: Mapping[str, Any] | None = None,
        *,
        min_writes: int = 1,
        keep_current: bool = False,
    ) -> dict[str, Any]:
        """Write a snapshot if it saves a restart at least ``min_writes`` writes of work.

        ``streams`` says, per table, how far its stream's consumers have come (see
        ``moto_state.pending_records``); records after that go into the snapshot, to be
        delivered again after a restart (at least once, as Lambda delivers them). The work
        a new snapshot saves: the journaled writes after the last one (replayed, then
        projected) and the change records the last one holds as pending that have been
        consumed since (projected again). ``min_writes`` 0 writes one in any case.
        ``keep_current`` (a clean stop): once there is a snapshot, any change since -- also to
        the views alone, as ``membership views rebuild`` makes -- is reason enough.

        The steps, and why a crash (kill -9, power cut) between any two loses nothing:

        1. Under the request lock: copy every table, the pending records and the sequence
           number ``seq`` of the last journaled write; note the journal's length. Nothing is
           on disk yet: old snapshot + full journal.
        2. Write the copy to a temporary file, fsync, rename it over the old snapshot, fsync
           the folder. Before the rename: old snapshot + full journal. After: new snapshot +
           full journal, whose lines up to ``seq`` are skipped on replay.
        3. Under the request lock again: the journal's bytes after the noted length (writes
           acknowledged meanwhile, all after ``seq``) go into a new journal file (fsync,
           rename, fsync the folder) before any other write is journaled. Before the rename:
           the full journal; after: exactly the writes after ``seq``.
        """
        if self._snapshot_path is None or self._journal_path is None:
            return {"written": False, "reason": "no data dir"}
        from local_aws import moto_state  # noqa: PLC0415 - the child only, it imports moto

        with self._snapshotting:
            started = time.perf_counter()
            with self._lock:
                if self._broken is not None:
                    raise RuntimeError(self._broken)
                seq = self._seq
                backend = moto_state.backend(self._region)
                streams = streams or {}
                waiting = sum(
                    moto_state.pending_count(table, streams.get(name))
                    for name, table in backend.tables.items()
                )
                saved = seq - self._snapshot_seq + max(0, self._snapshot_pending - waiting)
                due = saved >= min_writes and (saved > 0 or min_writes == 0)
                changed = saved > 0 or self._other_writes > 0
                if not due and not (keep_current and self._has_snapshot and changed):
                    return {"written": False, "saved": saved}
                journal_end = self._journal_size()
                self._other_writes = 0
                taken = Snapshot(
                    seq=seq,
                    fingerprint=self._fingerprint,
                    definitions={n: d for n, d in self._definitions.items() if n in backend.tables},
                    tables={
                        name: moto_state.table_items(table)
                        for name, table in backend.tables.items()
                    },
                    pending={
                        name: records
                        for name, table in backend.tables.items()
                        if (records := moto_state.pending_records(table, streams.get(name)))
                    },
                )
                # Serialized before the lock is released: the copy shares values with moto.
                data = snapshots.encode(taken, default=moto_state.json_default)
            locked = time.perf_counter() - started
            self.fault("snapshot:captured")
            snapshots.write_atomically(
                self._snapshot_path, data, before_rename=lambda: self.fault("snapshot:written")
            )
            self.fault("snapshot:renamed")
            with self._lock:
                self._cut_journal(journal_end)
                self._snapshot_seq = seq
                self._snapshot_pending = sum(len(records) for records in taken.pending.values())
                self._has_snapshot = True
            return {
                "written": True,
                "seq": seq,
                "bytes": len(data),
                "items": sum(len(items) for items in taken.tables.values()),
                "pending": sum(len(records) for records in taken.pending.values()),
                "locked_s": round(locked, 4),
                "seconds": round(time.perf_counter() - started, 4),
            }

    def _journal_size(self) -> int:
        assert self._journal_path is not None
        try:
            return self._journal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def _cut_journal(self, covered_end: int) -> None:
        """Replace the journal by its part after ``covered_end`` (held by the snapshot now)."""
        assert self._journal_path is not None
        try:
            with self._journal_path.open("rb") as journal:
                journal.seek(covered_end)
                rest = journal.read()
        except FileNotFoundError:
            rest = b""
        snapshots.write_atomically(
            self._journal_path, rest, before_rename=lambda: self.fault("journal:written")
        )
        if self._journal is not None:
            self._journal.close()  # it still points at the replaced file
            self._journal = None
        self.fault("journal:renamed")

    # --- the WSGI app -----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda _data: None  # moto never uses the legacy write() callable

        with self._lock:
            if self._broken is not None:
                return _internal_error(start_response, self._broken)
            app_iter = self._app(environ, capture)
            try:
                data = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
            status, headers = captured
            if target in WRITE_TARGETS and status.startswith("200"):
                try:
                    self._append(target, body)
                except OSError as error:
                    self._broken = f"journal append failed: {error}"
                    print(f"local backend: {self._broken}; refusing all requests", file=sys.stderr)
                    return _internal_error(start_response, self._broken)
            elif (
                target == "DynamoDBStreams_20120810.GetRecords"
                and next(self._stream_reads) % 100 == 0
            ):
                _prune_shard_iterators()
        start_response(status, headers)
        return [data]

    def _append(self, target: str, body: bytes) -> None:
        if self._journal_path is None or not self._tables:
            return
        parsed = json.loads(body)
        if tables_written(target, parsed) - self._tables:
            self._other_writes += 1
        request = restrict_to_tables(target, parsed, self._tables)
        if request is None:
            return
        if self._journal is None:
            created = not self._journal_path.exists()
            self._journal = open_private_append(self._journal_path)
            if created:
                snapshots.fsync_dir(self._journal_path.parent)  # the new name survives a crash
        seq = self._seq + 1
        line = json.dumps({"seq": seq, "target": target, "body": request}, separators=(",", ":"))
        self._journal.write(line.encode() + b"\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self._seq = seq

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _key_definition(kwargs: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """A table's key attributes with their key and attribute types."""
    if not kwargs:
        return []
    types = {a["AttributeName"]: a["AttributeType"] for a in kwargs.get("AttributeDefinitions", [])}
    return [
        (k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?"))
        for k in kwargs.get("KeySchema", [])
    ]


def _internal_error(start_response: StartResponse, message: str) -> list[bytes]:
    body = json.dumps(
        {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": message}
    ).encode()
    start_response(
        "500 Internal Server Error",
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _prune_shard_iterators() -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends  # noqa: PLC0415 - child only

    for account_backends in list(dynamodbstreams_backends.values()):
        for backend in list(account_backends.values()):
            iterators: dict[str, Any] = backend.shard_iterators
            excess = len(iterators) - _MAX_SHARD_ITERATORS
            if excess > 0:
                # Oldest first (insertion order); a poller only ever uses its newest one.
                for key in list(itertools.islice(iterators, excess)):
                    del iterators[key]


# --- the child process --------------------------------------------------------------------


def _cache_moto_module_list() -> None:
    # moto's server lists and stats its own package folder twice per request to route it
    # (a fifth of a replayed write's time); the folder does not change while we run.
    from moto import backends  # noqa: PLC0415 - child only

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _serve(config: Mapping[str, Any]) -> None:
    # moto is imported only in the child: the parent process never needs its ~0.3 s import.
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per DynamoDB call
    if config.get("speedups", True):
        # O(partition) Query and O(items) transactions instead of O(table); they rely on the
        # serialization this middleware provides.
        from local_aws import moto_speedups  # noqa: PLC0415 - child only

        moto_speedups.install()
    _cache_moto_module_list()
    data_dir = Path(config["data_dir"]) if config.get("data_dir") else None
    journal_path = snapshot_path = None
    if data_dir is not None:
        journal_path = private_dir(data_dir) / JOURNAL_FILE
        tighten(journal_path)  # an older stack made it 0644
        snapshot_path = data_dir / SNAPSHOT_FILE
    middleware = JournalingMiddleware(
        DomainDispatcherApplication(create_backend_app),
        journal_path,
        config.get("journaled_tables", ()),
        config.get("region", LOCAL_REGION),
        snapshot_path=snapshot_path,
        table_definitions=config["tables"],
        views_fingerprint=config.get("views_fingerprint"),
    )
    if config.get("crash_at"):
        middleware.fault = _crash_at(str(config["crash_at"]))
    middleware.create_tables(config["tables"])
    middleware.create_secrets(config.get("secrets", {}))
    restored = middleware.restore(rebuild_views=bool(config.get("rebuild_views")))
    server = make_server(
        config.get("host", "127.0.0.1"),
        int(config["port"]),
        middleware,
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=int(config["fd"]),  # the parent's listening socket (see the module docstring)
    )
    thread = threading.Thread(
        target=server.serve_forever, args=(0.1,), name="moto-server", daemon=True
    )
    thread.start()
    # The parent waits for this line: the port is only announced once the data is restored.
    print(json.dumps({"port": server.port, **restored}), flush=True)
    # The parent holds our stdin: commands, one JSON object a line; EOF means it is done with
    # us (or died). A "stop" asks for a last snapshot once no request can come in any more.
    stop = _serve_commands(middleware)
    server.shutdown()
    thread.join(timeout=5)
    if stop is not None:
        _reply(stop, functools.partial(_snapshot, middleware, stop))
    middleware.close()


def _serve_commands(middleware: JournalingMiddleware) -> dict[str, Any] | None:
    """Answer the parent's commands until EOF (None) or a ``stop`` (returned)."""
    for line in iter(sys.stdin.buffer.readline, b""):
        try:
            command = json.loads(line)
        except ValueError:
            continue
        if not isinstance(command, dict):
            continue
        if command.get("op") == "stop":
            return command
        if command.get("op") == "snapshot":
            _reply(command, functools.partial(_snapshot, middleware, command))
        else:
            _reply(command, functools.partial(_unknown, command))
    return None


def _snapshot(middleware: JournalingMiddleware, command: Mapping[str, Any]) -> dict[str, Any]:
    return middleware.snapshot(command.get("streams"), **_snapshot_args(command))


def _unknown(command: Mapping[str, Any]) -> dict[str, Any]:
    raise ValueError(f"unknown command {command.get('op')!r}")


def _snapshot_args(command: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "min_writes": int(command.get("min_writes", 1)),
        "keep_current": bool(command.get("keep_current", False)),
    }


def _reply(command: Mapping[str, Any], work: Callable[[], Mapping[str, Any]]) -> None:
    try:
        answer = {"ok": True, **work()}
    except Exception as error:
        # A snapshot that fails leaves the journal as it was: nothing is lost, say why.
        print(f"local backend: {command.get('op')} failed: {error}", file=sys.stderr)
        answer = {"ok": False, "error": str(error)}
    print(json.dumps({"id": command.get("id"), **answer}), flush=True)


def _crash_at(point: str) -> Callable[[str], None]:
    """For the crash-safety tests: die like ``kill -9`` when the snapshot reaches ``point``."""

    def fault(reached: str) -> None:
        if reached == point:
            os.kill(os.getpid(), signal.SIGKILL)

    return fault


def main() -> int:
    # The configuration comes as the first line on stdin, not in argv: it holds the secrets'
    # values, and a command line is readable by every user of the machine (ps).
    line = sys.stdin.buffer.readline()
    if not line:
        print("local backend: no configuration on stdin (internal module)", file=sys.stderr)
        return 2
    _serve(json.loads(line))
    return 0


# --- the parent's handle ------------------------------------------------------------------


@dataclass(frozen=True)
class Supervision:
    """What a supervised backend reports to its owner (called on the supervising thread)."""

    #: The child died; a new one is being started on the same socket. Argument: why.
    on_down: Callable[[str], None]
    #: The new child serves (journal replayed, secrets created).
    on_up: Callable[[], None]
    #: The backend is gone for good (restart failed, or it keeps dying). Argument: why.
    on_fatal: Callable[[str], None]
    #: More deaths than this within ``window_s`` mean something is wrong beyond a restart.
    max_restarts: int = 3
    window_s: float = 60.0


def _exit_description(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class BackendProcess:
    """Starts the backend child and knows its endpoint. Usable as a context manager.

    With ``supervision`` a thread watches the child and restarts it when it dies.

    With a ``data_dir``, a thread asks the child every ``snapshot_interval`` seconds to write a
    snapshot if that saves a start ``snapshot_after`` writes of work, and ``stop`` asks for one
    before the child exits, if that is due or the existing snapshot is out of date
    (``snapshot_after`` None: neither). ``stream_positions`` tells how far the stream
    consumers have come (see ``moto_state.pending_records``); without it every change record
    still in the child's stream is kept in the snapshot, as not yet consumed.
    """

    def __init__(
        self,
        tables: Sequence[TableSpec],
        data_dir: str | Path | None,
        *,
        journaled_tables: Iterable[str] = ("EventStoreTable",),
        secrets: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = LOCAL_REGION,
        startup_timeout: float = 600.0,
        supervision: Supervision | None = None,
        snapshot_after: int | None = DEFAULT_SNAPSHOT_AFTER,
        snapshot_interval: float = 5.0,
        stream_positions: Callable[[], Mapping[str, Any]] | None = None,
        views_fingerprint: str | None = None,
        rebuild_views: bool = False,
        stop_timeout: float = 300.0,
        crash_at: str | None = None,
    ) -> None:
        self._config: dict[str, Any] = {
            "tables": [spec.create_kwargs for spec in tables],
            "data_dir": str(data_dir) if data_dir is not None else None,
            "journaled_tables": sorted(journaled_tables),
            "secrets": dict(secrets or {}),
            "host": host,
            "region": region,
            "views_fingerprint": views_fingerprint,
            "rebuild_views": rebuild_views,
            # Tests only: the child dies (SIGKILL) when a snapshot reaches this step.
            "crash_at": crash_at,
        }
        self._host = host
        self._requested_port = port
        self._timeout = startup_timeout
        self._supervision = supervision
        self._snapshot_after = snapshot_after
        self._snapshot_interval = snapshot_interval
        self._stream_positions = stream_positions
        self._stop_timeout = stop_timeout
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._replies: queue.Queue[bytes | None] = queue.Queue()  # the child's stdout lines
        self._lock = threading.Lock()  # guards _process against stop() during a restart
        self._control = threading.Lock()  # one command to the child at a time
        self._command_ids = itertools.count(1)
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._snapshotter: threading.Thread | None = None
        self.port = 0
        #: Journal lines replayed at the last start (after the snapshot).
        self.replayed = 0
        #: Writes restored at the last start: those in the snapshot and those replayed.
        self.restored = 0
        #: What the child reported on its last start (see ``JournalingMiddleware.restore``).
        self.start_report: dict[str, Any] = {}
        self.restarts = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    @property
    def snapshots_enabled(self) -> bool:
        return self._config["data_dir"] is not None and bool(self._config["journaled_tables"])

    def start(self) -> BackendProcess:
        # Bound here and kept for the life of this handle: a restarted child serves the same
        # port, and connections made while no child runs wait in the backlog.
        self._socket = socket.create_server((self._host, self._requested_port), backlog=1024)
        self.port = int(self._socket.getsockname()[1])
        self._config["fd"] = self._socket.fileno()
        self._config["port"] = self.port
        try:
            self._spawn()
        except BaseException:
            self.stop()
            raise
        if self._supervision is not None:
            self._monitor = threading.Thread(
                target=self._supervise, name="backend-supervisor", daemon=True
            )
            self._monitor.start()
        if self.snapshots_enabled and self._snapshot_after:
            self._snapshotter = threading.Thread(
                target=self._snapshot_periodically, name="backend-snapshots", daemon=True
            )
            self._snapshotter.start()
        return self

    def _spawn(self) -> None:
        """Start a child on our socket and wait until it serves; raises if it does not."""
        assert self._socket is not None
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        with self._lock:
            if self._stopping.is_set():
                raise RuntimeError("the backend is stopping")
            process = subprocess.Popen(
                [sys.executable, "-m", "local_aws.backend"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                pass_fds=(self._socket.fileno(),),
                # Own session: Ctrl-C reaches only the parent, which then shuts us down in order.
                start_new_session=True,
            )
            # The configuration is the first line the child reads: written before anyone
            # else (a snapshot request) can find the process and write to it.
            configured = self._configure(process)
            self._process = process
            replies: queue.Queue[bytes | None] = queue.Queue()
            self._replies = replies
        assert process.stdout is not None
        threading.Thread(
            target=_read_lines, args=(process.stdout, replies), name="backend-out", daemon=True
        ).start()
        announced = self._handshake(replies) if configured else None
        if announced is None:
            code = process.poll()
            raise RuntimeError(f"local backend failed to start (exit code {code}); see stderr")
        self.start_report = announced
        self.replayed = int(announced["replayed"])
        self.restored = int(announced.get("restored", self.replayed))
        # A rebuild is asked for once; a restarted child uses the views it snapshots since.
        self._config["rebuild_views"] = False

    def _configure(self, process: subprocess.Popen[bytes]) -> bool:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(self._config).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            return False  # the child is already gone
        return True

    def _handshake(self, replies: queue.Queue[bytes | None]) -> dict[str, Any] | None:
        try:
            line = replies.get(timeout=self._timeout)
            announced = json.loads(line) if line else None
        except (queue.Empty, ValueError):
            announced = None
        return announced if isinstance(announced, dict) else None

    # --- snapshots ----------------------------------------------------------------------------

    def snapshot(self, min_writes: int = 0, timeout: float | None = None) -> dict[str, Any] | None:
        """Have the child write a snapshot if it saves a start ``min_writes`` writes of work
        (0: in any case; see ``JournalingMiddleware.snapshot``).

        Returns the child's answer (``written``, ``seq``, ``bytes``, ``seconds`` ... or ``ok``
        False and ``error``), or None if no child answered.
        """
        if not self.snapshots_enabled:
            return None
        command = {"op": "snapshot", "min_writes": min_writes}
        return self._command(command, self._stop_timeout if timeout is None else timeout)

    def _positions(self) -> Mapping[str, Any] | None:
        if self._stream_positions is None:
            return None
        try:
            return self._stream_positions()
        except Exception as error:  # unknown positions only make the snapshot keep more
            print(f"local backend: stream positions unknown: {error}", file=sys.stderr)
            return None

    def _command(self, command: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        with self._control:
            with self._lock:
                process, replies = self._process, self._replies
            if process is None or process.stdin is None:
                return None
            # Read only now: the child copies its tables after this, so the consumers can only
            # have come further than these positions say (records are delivered again, not lost).
            command = {**command, "streams": self._positions(), "id": next(self._command_ids)}
            try:
                process.stdin.write(json.dumps(command).encode() + b"\n")
                process.stdin.flush()
            except (OSError, ValueError):
                return None  # the child is gone (or going); the supervisor takes over
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    line = replies.get(timeout=remaining)
                except queue.Empty:
                    break
                if line is None:
                    replies.put(None)  # EOF stays visible
                    break
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue
                if isinstance(reply, dict) and reply.get("id") == command["id"]:
                    return reply
            return None

    def _snapshot_periodically(self) -> None:
        while not self._stopping.wait(self._snapshot_interval):
            reply = self.snapshot(min_writes=self._snapshot_after or 1)
            if reply is not None and not reply.get("ok", False):
                print(f"local backend: no snapshot: {reply.get('error')}", file=sys.stderr)

    # --- supervision --------------------------------------------------------------------------

    def _supervise(self) -> None:
        supervision = self._supervision
        assert supervision is not None
        deaths: collections.deque[float] = collections.deque()
        while True:
            process = self._process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            reason = f"local backend (pid {process.pid}) {_exit_description(code)}"
            deaths.append(time.monotonic())
            while deaths and deaths[0] < time.monotonic() - supervision.window_s:
                deaths.popleft()
            if len(deaths) > supervision.max_restarts:
                supervision.on_fatal(
                    f"{reason}; it died {len(deaths)} times within "
                    f"{supervision.window_s:.0f} s, so it is not restarted again"
                )
                return
            print(f"{reason}; restarting it on port {self.port}", file=sys.stderr, flush=True)
            supervision.on_down(reason)
            _close_pipes(process)
            try:
                self._spawn()
                self.restarts += 1
                supervision.on_up()
            except Exception as error:
                if not self._stopping.is_set():
                    supervision.on_fatal(f"{reason}; restarting it failed: {error}")
                return

    # --- stopping -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the child; with a data dir, it first writes a snapshot if one is due."""
        self._stopping.set()
        with self._control:  # a periodic snapshot in progress finishes first
            with self._lock:
                process, self._process = self._process, None
            if process is not None:
                last: dict[str, Any] | None = None
                if self.snapshots_enabled and self._snapshot_after:
                    last = {
                        "op": "stop",
                        "min_writes": self._snapshot_after,
                        "keep_current": True,
                        "streams": self._positions(),
                    }
                _shut_down(process, last, self._stop_timeout if last else 10.0)
        for thread in (self._monitor, self._snapshotter):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=30)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> BackendProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    """Forward the child's stdout lines; None at its end."""
    try:
        for line in iter(stream.readline, b""):
            lines.put(line)
    except (OSError, ValueError):
        pass  # closed under us: the child is gone
    lines.put(None)


def _shut_down(
    process: subprocess.Popen[bytes], last: Mapping[str, Any] | None = None, timeout: float = 10.0
) -> None:
    try:
        if process.stdin is not None:
            if last is not None:
                with contextlib.suppress(OSError, ValueError):
                    process.stdin.write(json.dumps(last).encode() + b"\n")
                    process.stdin.flush()
            process.stdin.close()  # EOF: the child shuts its server down and exits
        process.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        # Killing it mid-snapshot loses nothing (see JournalingMiddleware.snapshot).
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    finally:
        _close_pipes(process)


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            # A broken pipe to a dead child has nothing left to flush.
            with contextlib.suppress(OSError):
                pipe.close()


def ensure_tables(
    endpoint_url: str, tables: Iterable[TableSpec], region: str = LOCAL_REGION
) -> None:
    """Create the template's tables on an external endpoint (e.g. DynamoDB Local) if missing."""
    import boto3  # noqa: PLC0415 - the backend child never needs boto3

    client = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page.get("TableNames", []))
    for spec in tables:
        if spec.name not in existing:
            client.create_table(**spec.create_kwargs)
            client.get_waiter("table_exists").wait(TableName=spec.name)


def aws_environment(
    endpoint_url: str, region: str = LOCAL_REGION, *, secrets_endpoint_url: str | None = None
) -> dict[str, str | None]:
    """Environment that points every boto3 client in this process at the backend.

    None means "unset": a configured ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` or profile would
    otherwise send the functions' own clients to real AWS. ``secrets_endpoint_url`` serves
    Secrets Manager when DynamoDB is elsewhere (``--dynamodb-endpoint``).
    """
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",  # a fake credential, by design
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": endpoint_url,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets_endpoint_url or endpoint_url,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
        "AWS_EC2_METADATA_DISABLED": "true",
        # No X-Ray daemon locally; Tracing: Active would otherwise try to emit segments.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


if __name__ == "__main__":
    raise SystemExit(main())
