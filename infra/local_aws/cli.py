"""``membership local``: the whole system on loopback; ``membership local token`` and
``membership local user`` (the local staff users who sign in through the local managed login).

``LocalStack`` is the same thing as a context manager for the end-to-end tests.
"""

from __future__ import annotations

import argparse
import errno
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from local_aws import views_cli
from local_aws.backend import (
    DEFAULT_SNAPSHOT_AFTER,
    BackendProcess,
    Supervision,
    aws_environment,
    ensure_tables,
)
from local_aws.files import create_private_file_once, private_dir
from local_aws.functions import FunctionRuntime, Overrides
from local_aws.gateway import HttpResponse, LocalGateway, LocalRoutes
from local_aws.jwt_auth import LocalCognito, check_group_name
from local_aws.lambda_api import LocalLambdaApi
from local_aws.mail import PREFIX as MAIL_PREFIX
from local_aws.mail import LocalSesApi, Outbox, OutboxPages
from local_aws.managed_login import PREFIX as LOGIN_PREFIX
from local_aws.managed_login import LocalManagedLogin, stack_origins
from local_aws.schedules import DEFAULT_INTERVAL_S as DEFAULT_SCHEDULE_INTERVAL_S
from local_aws.schedules import LOCAL_TWINS as SCHEDULE_TWINS
from local_aws.schedules import PREFIX as SCHEDULES_PREFIX
from local_aws.schedules import LocalSchedules
from local_aws.secret_values import secret_values
from local_aws.snapshot import code_fingerprint
from local_aws.streams import DEAD_LETTER_FILE, StreamPoller
from local_aws.template import LOCAL_REGION, load_template
from local_aws.users import UserStore, ensure_first_user, new_password
from local_aws.views_cli import STACK_FILE

EVENT_STORE_TABLE = "EventStoreTable"
STAFF_TOKEN_TTL_S = 12 * 3600
#: The staff app's entry (StaffWebFunction); it redirects to the local managed login.
STAFF_SIGN_IN_PATH = "/control"
#: What the local Cognito stands in for in the functions' environment: template variable ->
#: the variables a function that defines it gets from the local managed login instead. The
#: template's values name the deployed login domain and user pool, which nothing answers
#: locally, and the staff web client's id is found in AWS by name (ListUserPoolClients, not
#: emulated), so a function that signs staff in is given it as STAFF_WEB_CLIENT_ID.
LOCAL_COGNITO_TWINS: Mapping[str, tuple[str, ...]] = {
    "STAFF_LOGIN_URL": ("STAFF_LOGIN_URL", "STAFF_WEB_CLIENT_ID"),
    "STAFF_TOKEN_ISSUER": ("STAFF_TOKEN_ISSUER",),
}


def cognito_twins(login_url: str, issuer: str, client_id: str) -> Overrides:
    """``LOCAL_COGNITO_TWINS`` with the local managed login's values (``FunctionRuntime``)."""
    local = {
        "STAFF_LOGIN_URL": login_url,
        "STAFF_WEB_CLIENT_ID": client_id,
        "STAFF_TOKEN_ISSUER": issuer,
    }
    return {
        defined: {name: local[name] for name in names}
        for defined, names in LOCAL_COGNITO_TWINS.items()
    }


def first_answer(*handlers: LocalRoutes) -> LocalRoutes:
    """The gateway's local routes: the first handler that serves the path answers."""

    def handle(
        method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        for handler in handlers:
            answer = handler(method, path, query, headers, body)
            if answer is not None:
                return answer
        return None

    return handle


def default_template_path() -> Path:
    """infra/template.yaml next to this package (a source checkout or an editable install)."""
    beside_package = Path(__file__).resolve().parent.parent / "template.yaml"
    return beside_package if beside_package.exists() else Path.cwd() / "infra" / "template.yaml"


class LocalStack:
    """Backend, stream pollers, functions and gateway, started in dependency order.

    The constructor starts everything; ``close()`` (or leaving the ``with`` block) stops it.
    The gateway's port is bound first, so the functions' environments can name the local
    managed login (``LOCAL_COGNITO_TWINS``); it serves once everything behind it is ready.
    The backend is supervised: when its process dies it is restarted on the same port, and the
    gateway answers 503 until the views have caught up; if it cannot be restarted, ``failed``
    is set (with the reason in ``failure``) and the gateway keeps answering 503.

    The backend snapshots its tables every ``snapshot_after`` journaled writes (and on a clean
    stop); the views come back from the snapshot unless the code of the stream-fed functions
    or the views' table definitions changed since, or ``rebuild_views`` asks for it: then they
    are re-projected from the event store into an empty views table (no control item: the
    projector writes generation 1, see ``verein.changes.rebuild``). A snapshot's views come
    back with their control item, so the generation ``membership views rebuild`` switched to
    stays served.

    The template's schedules (``local_aws.schedules``) run once when everything is ready and
    then every ``schedule_interval`` seconds (0: only on ``POST /_local/schedules/<function>``).
    """

    def __init__(
        self,
        template_path: str | Path | None = None,
        data_dir: str | Path = ".local",
        port: int = 0,
        host: str = "127.0.0.1",
        dynamodb_endpoint: str | None = None,
        *,
        journaled_tables: Sequence[str] = (EVENT_STORE_TABLE,),
        pool_size: int = 8,
        access_log: bool = False,
        ready_timeout: float = 600.0,
        snapshot_after: int | None = DEFAULT_SNAPSHOT_AFTER,
        rebuild_views: bool = False,
        schedule_interval: float = DEFAULT_SCHEDULE_INTERVAL_S,
    ) -> None:
        self.template = load_template(template_path or default_template_path())
        self.data_dir = private_dir(Path(data_dir).resolve())
        self._saved_env: dict[str, str | None] = {}
        self._backend: BackendProcess | None = None
        self._pollers: list[StreamPoller] = []
        self._gateway: LocalGateway | None = None
        self._runtime: FunctionRuntime | None = None
        self._lambda_api: LocalLambdaApi | None = None
        self._ses_api: LocalSesApi | None = None
        self._ready_timeout = ready_timeout
        self._snapshot_after = snapshot_after
        self._rebuild_views = rebuild_views
        self._available = threading.Event()  # clear while the backend restarts
        self._lifecycle = threading.Lock()  # a restart's rebuild vs. close()
        self._closing = False
        self.failed = threading.Event()
        self.failure: str | None = None
        self.cognito = LocalCognito(self.data_dir)
        self.users = UserStore(self.data_dir)
        self.managed_login = LocalManagedLogin(
            self.cognito, self.users, lambda: stack_origins(self.base_url)
        )
        self.outbox = Outbox(self.data_dir)
        self.schedules = LocalSchedules(
            self.template.schedules,
            self._invoke,
            interval_s=schedule_interval,
            available=self._available.is_set,
            origins=lambda: stack_origins(self.base_url),
        )
        try:
            # Bound now (its port is in the local login's URL), served at the end.
            self._gateway = LocalGateway(
                self.template.routes,
                self._invoke,
                self.cognito.verify,
                host=host,
                port=port,
                access_log=access_log,
                available=self._available.is_set,
                local_routes=first_answer(
                    self.managed_login.handle,
                    OutboxPages(self.outbox).handle,
                    self.schedules.handle,
                ),
            )
            self._start_backend(host, dynamodb_endpoint, journaled_tables)
            self._lambda_api = LocalLambdaApi(self._invoke, self.template.functions.__contains__)
            self._lambda_api.start()
            self._set_env({"AWS_ENDPOINT_URL_LAMBDA": self._lambda_api.endpoint_url})
            # Mail goes to the outbox (GET /_local/mail), never out: SES v2 is emulated.
            self._ses_api = LocalSesApi(self.outbox, host="127.0.0.1").start()
            self._set_env({"AWS_ENDPOINT_URL_SESV2": self._ses_api.endpoint_url})
            self._runtime = FunctionRuntime(
                self.template.functions, pool_size, overrides=self.local_twins()
            )
            self._runtime.prepare()
            self._start_pollers()
            # What the stream holds after a start (the records the snapshot kept as not yet
            # handled, the replayed journal) is projected before the first request is served.
            if not self.wait_for_projections(ready_timeout):
                raise TimeoutError("the stream pollers did not catch up with the journal")
            self._available.set()
            self._gateway.start()
            self._announce()
            self.schedules.start()  # its first run now: the functions are ready
        except BaseException:
            self.close()
            raise

    def _start_backend(
        self, host: str, dynamodb_endpoint: str | None, journaled_tables: Sequence[str]
    ) -> None:
        tables = list(self.template.tables.values())
        secrets = secret_values(self.template.secrets.values(), self.data_dir)
        supervision = Supervision(self._backend_down, self._backend_up, self._backend_failed)
        secrets_endpoint = None
        if dynamodb_endpoint:
            self.dynamodb_endpoint = dynamodb_endpoint
            ensure_tables(dynamodb_endpoint, tables)
            if secrets:  # DynamoDB is elsewhere; Secrets Manager still needs a home
                self._backend = BackendProcess(
                    [],
                    None,
                    journaled_tables=(),
                    secrets=secrets,
                    host=host,
                    supervision=supervision,
                ).start()
                secrets_endpoint = self._backend.endpoint_url
        else:
            journaled = {self.template.table_name(t) for t in journaled_tables}
            self._backend = BackendProcess(
                tables,
                self.data_dir,
                journaled_tables=journaled,
                secrets=secrets,
                host=host,
                supervision=supervision,
                snapshot_after=self._snapshot_after,
                stream_positions=self._stream_positions,
                views_fingerprint=self._views_fingerprint(),
                rebuild_views=self._rebuild_views,
            ).start()
            self.dynamodb_endpoint = self._backend.endpoint_url
        self._set_env(
            aws_environment(self.dynamodb_endpoint, secrets_endpoint_url=secrets_endpoint)
        )

    def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        """A request through the gateway, or a function invoking another one through the
        Lambda API (``LocalLambdaApi``); both exist before the functions do."""
        if self._runtime is None:
            raise RuntimeError("the functions are not loaded")
        return self._runtime.invoke(function, event)

    def _start_pollers(self) -> None:
        """One poller per stream mapping, from the mapping's starting position (TRIM_HORIZON)."""
        import boto3  # noqa: PLC0415 - keeps `membership local token` quick
        from botocore.config import Config  # noqa: PLC0415

        assert self._runtime is not None
        runtime = self._runtime
        dynamodb = boto3.client("dynamodb", endpoint_url=self.dynamodb_endpoint)
        # No retries inside botocore: the poller retries itself, and a retry of a read that a
        # dying backend dropped would reach its successor with an iterator it never issued.
        streams = boto3.client(
            "dynamodbstreams",
            endpoint_url=self.dynamodb_endpoint,
            config=Config(retries={"total_max_attempts": 1}),
        )
        for mapping in self.template.stream_mappings:
            table = self.template.table_name(mapping.table)
            arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            self._pollers.append(
                StreamPoller(
                    mapping,
                    arn,
                    streams,
                    functools.partial(runtime.invoke, mapping.function),
                    self.data_dir / DEAD_LETTER_FILE,
                    region=LOCAL_REGION,
                ).start()
            )

    def _stop_pollers(self) -> None:
        for poller in self._pollers:
            poller.stop(timeout=self._ready_timeout)
        self._pollers.clear()

    # --- what a snapshot needs to know --------------------------------------------------------

    def _views_fingerprint(self) -> str:
        """A hash of the code that makes the views (the stream-fed functions, their layers
        and mappings): when it changes, the views in a snapshot are stale and are rebuilt
        from the event store instead. (The backend compares table definitions itself.)"""
        by_name = {
            m.function: self.template.functions[m.function] for m in self.template.stream_mappings
        }
        functions = [by_name[name] for name in sorted(by_name)]
        folders = [spec.code_dir for spec in functions]
        folders += [folder for spec in functions for folder in spec.layer_dirs]
        return code_fingerprint(
            folders,
            {
                "handlers": [(spec.logical_id, spec.handler) for spec in functions],
                "mappings": [repr(mapping) for mapping in self.template.stream_mappings],
            },
        )

    def _stream_positions(self) -> dict[str, Any]:
        """How far the stream consumers have come, per table, for the backend's snapshots.

        A poller reads its stream in order from ``TRIM_HORIZON`` (moto has one shard), so its
        first ``delivered`` records are done. Several pollers on one table: the least of them
        (the others get some records twice after a restart: at least once, as Lambda). A
        table whose stream no mapping reads from ``TRIM_HORIZON`` keeps no records (a
        ``LATEST`` mapping skips what was written before a start anyway). Whenever it is not
        clear (a mapping without a poller yet or any more, pollers of two backends during a
        restart) the table is left out: the backend then keeps every record of its stream.
        """
        pollers = list(self._pollers)
        positions: dict[str, Any] = {}
        for spec in self.template.tables.values():
            if spec.stream_view_type is None:
                continue
            mappings = [
                m
                for m in self.template.stream_mappings
                if self.template.table_name(m.table) == spec.name
                and m.starting_position == "TRIM_HORIZON"
            ]
            if not mappings:
                positions[spec.name] = "unread"
                continue
            readers = [p for p in pollers if any(p.mapping is m for m in mappings)]
            if {id(p.mapping) for p in readers} != {id(m) for m in mappings} or len(
                {p.stream_arn for p in readers}
            ) != 1:
                continue
            positions[spec.name] = {
                "stream_arn": readers[0].stream_arn,
                "delivered": min(p.delivered for p in readers),
            }
        return positions

    # --- backend supervision (called on the supervisor's thread) ------------------------------

    def _backend_down(self, reason: str) -> None:
        self._available.clear()
        # Their shard iterators died with the backend: no more reads with them.
        for poller in list(self._pollers):
            poller.signal_stop()

    def _backend_up(self) -> None:
        """Do what a normal start does: the new backend restored snapshot and journal.

        The old pollers are stopped and new ones read the new stream from TRIM_HORIZON (the
        records the snapshot kept as not yet handled, then the replayed journal) before
        requests are let in again. A batch an old poller was still delivering may have
        written to the restored views: it applied writes that are in the journal (a poller
        only sees a write once it is journaled), so it is one more delivery of records that
        come again anyway, as a Lambda invocation that outlives its timeout would be.
        """
        with self._lifecycle:
            if self._closing:
                return
            if self._serves_tables:  # else it only serves secrets, which it made itself
                self._stop_pollers()
                self._start_pollers()
        if not self.wait_for_projections(self._ready_timeout):
            if self._closing:
                return
            raise TimeoutError("the stream pollers did not catch up after the restart")
        print("local backend restarted; serving again", file=sys.stderr, flush=True)
        self._available.set()

    @property
    def _serves_tables(self) -> bool:
        backend = self._backend
        return backend is not None and backend.endpoint_url == self.dynamodb_endpoint

    def _backend_failed(self, message: str) -> None:
        if self._closing:
            return
        self.failure = message
        print(f"local stack: {message}; answering 503 from now on", file=sys.stderr, flush=True)
        self.failed.set()

    def _set_env(self, values: dict[str, str | None]) -> None:
        """Apply ``values`` (None = unset) and remember what to restore on close."""
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    @property
    def base_url(self) -> str:
        if self._gateway is None:
            raise RuntimeError("the stack is not running")
        return self._gateway.base_url

    @property
    def mail_outbox_url(self) -> str:
        """The captured mails (``GET``; JSON with ``Accept: application/json``)."""
        return self.base_url + MAIL_PREFIX

    @property
    def schedules_url(self) -> str:
        """``POST {schedules_url}/<FunctionLogicalId>`` runs that function's schedule now."""
        return self.base_url + SCHEDULES_PREFIX

    @property
    def login_base_url(self) -> str:
        """The local managed login: Cognito's endpoints (``/oauth2/authorize``, ...) below it."""
        return self.base_url + LOGIN_PREFIX

    def local_twins(self) -> Overrides:
        """What the functions get instead of template values that mean nothing locally."""
        twins = cognito_twins(self.login_base_url, self.cognito.issuer, self.cognito.client_id)
        # Links in mails lead to this stack, not to the deployed API's address.
        site = {"PUBLIC_BASE_URL": {"PUBLIC_BASE_URL": self.base_url}}
        return {**twins, **SCHEDULE_TWINS, **site}

    @property
    def replayed_writes(self) -> int:
        """Journal lines replayed at start-up (the writes after the snapshot)."""
        return self._backend.replayed if self._backend else 0

    @property
    def restored_writes(self) -> int:
        """Writes restored at start-up: those in the snapshot and those replayed."""
        return self._backend.restored if self._backend else 0

    @property
    def start_report(self) -> dict[str, Any]:
        """What the backend restored at its last start (snapshot, replayed, views)."""
        return dict(self._backend.start_report) if self._backend else {}

    def snapshot(self, min_writes: int = 0) -> dict[str, Any] | None:
        """Have the backend write a snapshot now (see ``BackendProcess.snapshot``)."""
        backend = self._backend
        if backend is None or not self._serves_tables:
            return None
        return backend.snapshot(min_writes)

    @property
    def backend_pid(self) -> int | None:
        """The backend child's process id (it changes when the child is restarted)."""
        return self._backend.pid if self._backend else None

    @property
    def backend_restarts(self) -> int:
        return self._backend.restarts if self._backend else 0

    @property
    def available(self) -> bool:
        """False while the backend restarts and after it failed for good."""
        return self._available.is_set()

    def issue_token(self, groups: Sequence[str] = ("staff",), ttl: float = 3600.0) -> str:
        return self.cognito.issue_token(groups=groups, ttl=ttl)

    def wait_for_projections(self, timeout: float = 10.0) -> bool:
        """True once every stream poller has delivered all records written so far."""
        return all(poller.wait_idle(timeout) for poller in self._pollers)

    def _announce(self) -> None:
        """Tell other commands (``membership views``) where this running stack is."""
        stack_file = self.data_dir / STACK_FILE
        tmp = stack_file.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        payload = {
            "dynamodb_endpoint": self.dynamodb_endpoint,
            "base_url": self.base_url,
            "cognito_base_url": self.login_base_url,
            "cognito_client_id": self.cognito.client_id,
            "cognito_issuer": self.cognito.issuer,
            "users_file": str(self.users.path),
        }
        create_private_file_once(tmp, json.dumps(payload).encode())
        tmp.replace(stack_file)

    def close(self) -> None:
        (self.data_dir / STACK_FILE).unlink(missing_ok=True)
        # Reverse start order: no new requests, no stream reads, then the data goes away.
        with self._lifecycle:
            self._closing = True
        self.schedules.stop()  # a run under way ends with the functions below
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        if self._lambda_api is not None:
            self._lambda_api.stop()
            self._lambda_api = None
        for poller in self._pollers:
            poller.stop()
        if self._ses_api is not None:  # after the pollers: a batch's mail still gets out
            self._ses_api.stop()
            self._ses_api = None
        if self._backend is not None:
            # Its last snapshot asks the (stopped) pollers how far they came.
            self._backend.stop()
            self._backend = None
        self._pollers.clear()
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- the command line -------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="membership", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    views_cli.add_parser(commands)
    local = commands.add_parser("local", help="run the whole system on this machine")
    local.add_argument("--port", type=int, default=3000, help="HTTP port (0: any free port)")
    local.add_argument("--host", default="127.0.0.1", help="address to listen on")
    local.add_argument("--data-dir", default=".local", help="where data and keys are kept")
    local.add_argument("--template", type=Path, default=None, help="SAM template to run")
    local.add_argument(
        "--dynamodb-endpoint",
        default=None,
        help="use this DynamoDB endpoint (e.g. DynamoDB Local) instead of the embedded one",
    )
    local.add_argument("--quiet", action="store_true", help="no access log")
    local.add_argument(
        "--schedule-interval",
        type=float,
        default=DEFAULT_SCHEDULE_INTERVAL_S,
        metavar="SECONDS",
        help="run the template's schedules at start and then this often (default 3600; "
        "0: only on POST /_local/schedules/<function>)",
    )
    local.add_argument(
        "--rebuild-views",
        action="store_true",
        help="re-project the views (as generation 1) from the event store instead of "
        "restoring them",
    )
    local_commands = local.add_subparsers(dest="local_command")
    token = local_commands.add_parser("token", help="print a staff token (JWT)")
    token.add_argument(
        "--group", action="append", dest="groups", help="Cognito group (repeatable; staff)"
    )
    token.add_argument(
        "--data-dir", dest="token_data_dir", default=None, help="where the signing key is kept"
    )
    token.add_argument("--hours", type=float, default=12.0, help="validity (default 12)")
    _add_user_parser(local_commands)
    return parser


def _add_user_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="local staff users of the local sign-in page")
    user.add_argument(
        "--data-dir", dest="user_data_dir", default=None, help="where users.json is kept"
    )
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create a user (works while the stack runs)")
    add.add_argument("email")
    add.add_argument(
        "--group", action="append", dest="groups", help="Cognito group (repeatable; staff)"
    )
    add.add_argument("--password", help="at least 12 characters; without it one is generated")
    actions.add_parser("list", help="the users and their groups")
    remove = actions.add_parser("remove", help="delete a user")
    remove.add_argument("email")
    for action in (add, remove, actions.choices["list"]):
        action.add_argument("--data-dir", dest="user_data_dir", default=argparse.SUPPRESS)


def _wait_for_signal(failed: threading.Event) -> bool:
    """Wait for Ctrl-C or SIGTERM (False) or for the stack to fail (True)."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handle)
    try:
        while not stop.wait(0.5):
            if failed.is_set():
                return True
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_user(args: argparse.Namespace) -> int:
    """``membership local user add|list|remove``."""
    store = UserStore(Path(args.user_data_dir or args.data_dir))
    try:
        if args.user_command == "add":
            password = args.password if args.password is not None else new_password()
            user = store.add(args.email, password, tuple(args.groups or ["staff"]))
            print(f"added {user.email} ({', '.join(user.groups)}) to {store.path}")
            if args.password is None:
                print(f"password: {password}")
        elif args.user_command == "list":
            for user in store.list():
                print(f"{user.email}\t{','.join(user.groups)}")
        elif not store.remove(args.email):
            print(f"membership local user: no user {args.email}", file=sys.stderr)
            return 1
    except ValueError as error:
        print(f"membership local user: {error}", file=sys.stderr)
        return 2
    return 0


def sign_in_banner(base_url: str, data_dir: Path) -> str:
    """What ``membership local`` prints about signing in; creates the first user if none.

    The first user's password is printed only by the start that created it.
    """
    users_file = UserStore(data_dir).path
    lines = [
        f"  Staff sign-in:    {base_url}{STAFF_SIGN_IN_PATH}",
        f"  Local login:      {base_url}{LOGIN_PREFIX}  (Cognito's managed-login endpoints)",
    ]
    first = ensure_first_user(data_dir)
    if first is not None:
        lines.append(
            f"  First staff user: {first.email}  password: {first.password}\n"
            "                    (shown once; only its hash is kept in "
            f"{users_file})"
        )
    else:
        lines.append(f"  Staff users:      {users_file}")
    lines.append(
        "                    (more: membership local user add EMAIL --group staff --password PW)"
    )
    return "\n".join(lines)


def _run_local(args: argparse.Namespace) -> int:
    print("Starting the local stack ...", flush=True)
    try:
        stack = LocalStack(
            args.template,
            args.data_dir,
            port=args.port,
            host=args.host,
            dynamodb_endpoint=args.dynamodb_endpoint,
            access_log=not args.quiet,
            rebuild_views=args.rebuild_views,
            schedule_interval=args.schedule_interval,
        )
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(
                f"membership local: port {args.port} on {args.host} is in use; "
                f"choose another with --port (make run PORT=...)",
                file=sys.stderr,
            )
        else:
            print(f"membership local: {error}", file=sys.stderr)
        return 1
    try:
        base = stack.base_url
        restored = stack.restored_writes
        print(
            f"Membership system running at {base}\n"
            f"  Application form: {base}/membership/apply\n"
            f"  Staff API:        {base}/staff/members  (Authorization: Bearer <token>)\n"
            f"  DynamoDB:         {stack.dynamodb_endpoint}\n"
            f"  Mail outbox:      {stack.mail_outbox_url}\n"
            f"  Schedules:        {stack.schedules_url}  (POST /<function> runs one now)\n"
            f"  Data:             {stack.data_dir} ({restored} stored writes restored)\n"
            f"{sign_in_banner(base, stack.data_dir)}\n"
            f"Staff token (valid 12 h):\n{stack.issue_token(ttl=STAFF_TOKEN_TTL_S)}\n"
            "ready - press Ctrl-C to stop",
            flush=True,
        )
        if _wait_for_signal(stack.failed):
            print(f"membership local: stopping: {stack.failure}", file=sys.stderr, flush=True)
            return 1
        print("Stopping ...", flush=True)
    finally:
        stack.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, "local")  # `local` is the default command
    args = _parser().parse_args(arguments)
    if args.command == "views":
        return views_cli.run(args, args.template or default_template_path())
    if args.local_command == "user":
        return _run_user(args)
    if args.local_command == "token":
        # `--data-dir` may come before or after `token`.
        data_dir = args.token_data_dir or args.data_dir
        groups = tuple(args.groups or ["staff"])
        try:
            for group in groups:
                check_group_name(group)  # before the key is made: a refused call leaves nothing
        except ValueError as error:
            print(f"membership local token: {error}", file=sys.stderr)
            return 2
        token = LocalCognito(Path(data_dir)).issue_token(groups=groups, ttl=args.hours * 3600)
        print(token)
        return 0
    return _run_local(args)


if __name__ == "__main__":
    raise SystemExit(main())
