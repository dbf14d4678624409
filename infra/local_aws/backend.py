"""The embedded DynamoDB-compatible backend: moto's server, serialized and journaled.

It runs in a child process (``python -m local_aws.backend``) because moto keeps its state in
module globals: a second stack, or a test using ``moto.mock_aws`` in the same process, would
otherwise share or reset our tables. The child also gets its own interpreter lock, so moto's
CPU work does not slow the handlers down.

Two things are added in front of moto's WSGI app:

* one lock around every request -- moto checks a condition and then writes without a lock, so
  interleaved threads can both win a conditional write (measured, see the local-aws notes);
* a journal of successful writes to the journaled tables, appended and fsynced *before* the
  response leaves, so an HTTP 200 means the write survives a restart. On start the journal is
  replayed straight into moto before the port is announced.

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
import io
import itertools
import json
import logging
import os
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

from local_aws.files import open_private_append, private_dir, tighten
from local_aws.template import LOCAL_REGION, TableSpec

JOURNAL_FILE = "journal.jsonl"
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


class JournalingMiddleware:
    """Serializes requests into ``app`` and journals the writes that changed journaled tables."""

    def __init__(
        self,
        app: WsgiApp,
        journal_path: Path | None,
        journaled_tables: Iterable[str],
        region: str = LOCAL_REGION,
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

    def replay(self) -> int:
        """Apply the journal to moto; returns the number of writes replayed."""
        if self._journal_path is None or not self._journal_path.exists():
            return 0
        replayed = 0
        good_end = 0
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
                status, data = self.call(entry["target"], json.dumps(entry["body"]).encode())
                if status != 200:
                    raise RuntimeError(
                        f"{self._journal_path}:{number} does not replay "
                        f"(did the table definitions change?): {data[:500]!r}"
                    )
                replayed += 1
                good_end += len(line)
        if good_end != self._journal_path.stat().st_size:
            with self._journal_path.open("r+b") as journal:
                journal.truncate(good_end)
        return replayed

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
        request = restrict_to_tables(target, json.loads(body), self._tables)
        if request is None:
            return
        if self._journal is None:
            self._journal = open_private_append(self._journal_path)
        line = json.dumps({"target": target, "body": request}, separators=(",", ":"))
        self._journal.write(line.encode() + b"\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def close(self) -> None:
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None


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
    journal_path = None
    if data_dir is not None:
        journal_path = private_dir(data_dir) / JOURNAL_FILE
        tighten(journal_path)  # an older stack made it 0644
    middleware = JournalingMiddleware(
        DomainDispatcherApplication(create_backend_app),
        journal_path,
        config.get("journaled_tables", ()),
        config.get("region", LOCAL_REGION),
    )
    middleware.create_tables(config["tables"])
    middleware.create_secrets(config.get("secrets", {}))
    replayed = middleware.replay()
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
    # The parent waits for this line: the port is only announced once the journal is applied.
    print(json.dumps({"port": server.port, "replayed": replayed}), flush=True)
    # The parent holds our stdin; EOF means it is done with us (or died).
    sys.stdin.buffer.read()
    server.shutdown()
    thread.join(timeout=5)
    middleware.close()


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
    ) -> None:
        self._config: dict[str, Any] = {
            "tables": [spec.create_kwargs for spec in tables],
            "data_dir": str(data_dir) if data_dir is not None else None,
            "journaled_tables": sorted(journaled_tables),
            "secrets": dict(secrets or {}),
            "host": host,
            "region": region,
        }
        self._host = host
        self._requested_port = port
        self._timeout = startup_timeout
        self._supervision = supervision
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # guards _process against stop() during a restart
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self.port = 0
        self.replayed = 0
        self.restarts = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

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
            self._process = process
        announced = self._handshake(process)
        if announced is None:
            code = process.poll()
            raise RuntimeError(f"local backend failed to start (exit code {code}); see stderr")
        self.replayed = int(announced["replayed"])

    def _handshake(self, process: subprocess.Popen[bytes]) -> dict[str, Any] | None:
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(self._config).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            return None  # the child is already gone
        stdout = process.stdout
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self._timeout)
        try:
            announced = json.loads(result[0]) if result else None
        except ValueError:
            announced = None
        return announced if isinstance(announced, dict) else None

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
        self._stopping.set()
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            _shut_down(process)
        monitor = self._monitor
        if monitor is not None and monitor is not threading.current_thread():
            monitor.join(timeout=30)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> BackendProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _shut_down(process: subprocess.Popen[bytes]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()  # EOF: the child shuts its server down and exits
        process.wait(timeout=10)
    except (subprocess.TimeoutExpired, OSError):
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
