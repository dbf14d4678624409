"""The template's schedules, run locally: a stand-in for EventBridge Scheduler (``ScheduleV2``
events) and EventBridge's scheduled rules (``Schedule``).

Nothing here reads the cron expression: a local stack runs for minutes or hours, not for the
nights a schedule waits for. ``LocalSchedules`` runs every schedule's function once when the
stack is ready and then every ``interval_s`` seconds (``membership local --schedule-interval``,
default an hour; 0: only when asked), in a thread of its own; a run that fails is logged on
stderr and the stack carries on. The functions must be idempotent anyway (Scheduler delivers
at least once, Lambda retries a failed asynchronous run), so running them more often than the
template says is harmless.

- ``POST /_local/schedules/<FunctionLogicalId>`` runs the function's schedule now and answers
  the handler's result as JSON (500 with ``errorType``/``errorMessage`` if it failed).
  ``?today=YYYY-MM-DD`` adds ``detail.today`` to the event: a function whose template
  environment has ``TODAY_FROM_EVENT`` gets it set to ``true`` locally (``LOCAL_TWINS``) and
  then runs as of that day, so tests can let a notice take effect without waiting for it.
  EventBridge never sends such a field, and the template keeps ``TODAY_FROM_EVENT`` false.
  ``?schedule=<EventName>`` picks one of several schedules of a function.
- ``GET /_local/schedules``: the schedules and how their last runs went (JSON).

The event is what AWS sends: for ``ScheduleV2`` the template's ``Input`` (``{}`` without one;
Scheduler's own default notification is not emulated), for ``Schedule`` its ``Input`` or
EventBridge's "Scheduled Event". A request from another site (``Sec-Fetch-Site``, ``Origin``)
is refused, so a web page cannot make a browser run a schedule on this machine.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

from local_aws.gateway import HttpResponse, Invoke
from local_aws.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, ScheduleSpec

PREFIX = "/_local/schedules"
DEFAULT_INTERVAL_S = 3600.0
#: Template variable -> what a function that defines it gets locally (``FunctionRuntime``'s
#: overrides): the day of a run may then be named by the event (``?today=``).
LOCAL_TWINS: Mapping[str, Mapping[str, str]] = {"TODAY_FROM_EVENT": {"TODAY_FROM_EVENT": "true"}}

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9]+$")  # a logical id


class ScheduleRequestError(ValueError):
    """A request the schedules route refuses (status and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def schedule_event(
    spec: ScheduleSpec, today: date | None = None, now: datetime | None = None
) -> Any:
    """The event AWS sends for ``spec``; with ``today``, ``detail.today`` added (local only)."""
    now = now or datetime.now(UTC)
    event: Any
    if spec.input is not None:
        event = json.loads(spec.input)
    elif spec.kind == "Schedule":
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": LOCAL_ACCOUNT_ID,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": LOCAL_REGION,
            "resources": [
                f"arn:aws:events:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:rule/local-{spec.function}"
                f"-{spec.event_name}"
            ],
            "detail": {},
        }
    else:
        event = {}
    if today is None:
        return event
    detail = event.get("detail", {}) if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        raise ScheduleRequestError(400, f"{spec.key}: its event has no place for detail.today")
    return {**event, "detail": {**detail, "today": today.isoformat()}}


class LocalSchedules:
    """Runs the schedules: at ``start()``, every ``interval_s``, and on ``POST`` requests."""

    def __init__(
        self,
        schedules: Sequence[ScheduleSpec],
        invoke: Invoke,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        available: Callable[[], bool] | None = None,
        origins: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.schedules = tuple(schedules)
        self.interval_s = interval_s
        self._invoke = invoke
        self._available = available
        self._origins = origins
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last: dict[str, dict[str, Any]] = {}
        self.runs = 0
        """Runs finished (either way), by the timer and on request."""

    # --- running -------------------------------------------------------------------------------

    def run(self, spec: ScheduleSpec, today: date | None = None) -> Any:
        """Invoke ``spec``'s function with its event now; its result, or the function's error."""
        event = schedule_event(spec, today)
        started = datetime.now(UTC).isoformat()
        try:
            result = self._invoke(spec.function, event)
        except Exception as error:
            self._record(spec, {"at": started, "ok": False, "error": _error_type(error)})
            raise
        self._record(spec, {"at": started, "ok": True, "result": result})
        return result

    def _record(self, spec: ScheduleSpec, outcome: dict[str, Any]) -> None:
        with self._lock:
            self._last[spec.key] = outcome
            self.runs += 1

    def run_all(self) -> None:
        """Every schedule once; failures are logged, never raised."""
        for spec in self.schedules:
            if self._stop.is_set():
                return
            if self._available is not None and not self._available():
                print(f"schedule {spec.key}: skipped, the stack is not available", file=sys.stderr)
                continue
            try:
                self.run(spec)
            except Exception:
                if not self._stop.is_set():  # a run cut short by the stack stopping is no news
                    print(
                        f"schedule {spec.key} failed:\n{traceback.format_exc()}",
                        file=sys.stderr,
                        flush=True,
                    )

    def start(self) -> LocalSchedules:
        """Run every schedule now and then every ``interval_s`` (0: never by itself)."""
        if self.schedules and self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="local-schedules", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while True:
            self.run_all()
            if self._stop.wait(self.interval_s):
                return

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # --- the gateway's local route ---------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return None
        name = path[len(PREFIX) :].strip("/")
        try:
            if not name:
                if method not in ("GET", "HEAD"):
                    raise _not_allowed("GET, HEAD")
                return _json(200, self.listing())
            if method != "POST":
                raise _not_allowed("POST")
            self._check_same_site(headers)
            spec, today = self._request(name, query)
            if self._available is not None and not self._available():
                return _json(503, {"message": "Service Unavailable"})
            try:
                return _json(200, self.run(spec, today))
            except ScheduleRequestError:
                raise
            except Exception as error:
                print(f"schedule {spec.key} failed:\n{traceback.format_exc()}", file=sys.stderr)
                return _json(500, {"errorType": _error_type(error), "errorMessage": str(error)})
        except ScheduleRequestError as refused:
            response = _json(refused.status, {"message": str(refused)})
            if isinstance(refused, _MethodNotAllowed):
                response.headers.append(("Allow", refused.allow))
            return response

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            last = dict(self._last)
        return [
            {
                "function": s.function,
                "event": s.event_name,
                "type": s.kind,
                "expression": s.expression,
                "timezone": s.timezone,
                "last_run": last.get(s.key),
            }
            for s in self.schedules
        ]

    def _request(self, name: str, query: str) -> tuple[ScheduleSpec, date | None]:
        if not _NAME.match(name):
            raise ScheduleRequestError(404, "Not Found")
        params = dict(parse_qsl(query, keep_blank_values=True))
        unknown = set(params) - {"today", "schedule"}
        if unknown:
            raise ScheduleRequestError(400, f"unknown parameter {sorted(unknown)[0]!r}")
        found = [s for s in self.schedules if s.function == name]
        if "schedule" in params:
            found = [s for s in found if s.event_name == params["schedule"]]
        if not found:
            raise ScheduleRequestError(404, f"no schedule of {name} in the template")
        if len(found) > 1:
            names = ", ".join(s.event_name for s in found)
            raise ScheduleRequestError(400, f"{name} has several schedules ({names}): ?schedule=")
        return found[0], _day(params.get("today"))

    def _check_same_site(self, headers: Mapping[str, str]) -> None:
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            raise ScheduleRequestError(403, "cross-site requests may not run schedules")
        origin = headers.get("origin")
        if origin is not None and self._origins is not None and origin not in self._origins():
            raise ScheduleRequestError(403, "cross-site requests may not run schedules")


class _MethodNotAllowed(ScheduleRequestError):
    def __init__(self, allow: str) -> None:
        super().__init__(405, "Method Not Allowed")
        self.allow = allow


def _not_allowed(allow: str) -> _MethodNotAllowed:
    return _MethodNotAllowed(allow)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ScheduleRequestError(400, "today must be a day, YYYY-MM-DD") from None


def _error_type(error: BaseException) -> str:
    return str(getattr(error, "error_type", type(error).__name__))


def _json(status: int, payload: Any) -> HttpResponse:
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return HttpResponse(status, headers, json.dumps(payload, ensure_ascii=False).encode())
