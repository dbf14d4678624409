"""Run the Lambda handlers as the template wires them, each execution environment a process.

Lambda gives every concurrent execution environment of a function its own process, with its
own copy of everything (modules, the ``verein`` package and its cached clients and head cache,
Powertools' per-request state) and the function's own environment variables; an environment
handles one request at a time and is reused while warm. Here each environment is a worker
process (``local_aws.worker``), started when a request finds none of the function's
environments idle, up to the pool size, and kept for later requests. Its environment is the
stack's AWS variables (endpoints, credentials, region: what ``LocalStack`` put into
``os.environ``, read when the worker starts) with a few that Lambda defines, the function's
template environment on top, and last the stack's local twins (``Overrides``) of template
values that have no local meaning.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, cast

from local_aws import worker
from local_aws.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionSpec
from local_aws.worker import (
    LambdaContext,
    new_log_stream_name,
    receive_message,
    send_frame,
    send_message,
)

__all__ = [
    "INIT_TIMEOUT_S",
    "Environment",
    "FunctionError",
    "FunctionInitError",
    "FunctionPool",
    "FunctionRuntime",
    "LambdaContext",
    "Overrides",
    "worker_environment",
]

WORKER_SCRIPT = Path(worker.__file__).resolve()
#: How long a new environment may take to load its handler before it counts as failed (one
#: takes a third of a second on a quiet machine; eight at once on two cores, two seconds).
INIT_TIMEOUT_S = 120.0
#: How long a stopped environment may take to exit after its socket closed.
_STOP_GRACE_S = 2.0
#: Taken from the stack's own environment when a worker starts: the local AWS endpoints,
#: credentials and region (``aws_environment()``, ``AWS_ENDPOINT_URL_LAMBDA``) and no X-Ray.
_INHERITED_PREFIX = "AWS_"
_INHERITED_NAMES = ("POWERTOOLS_TRACE_DISABLED", "PATH")
#: Local twins of environment values that mean nothing locally (the deployed Cognito's URLs,
#: say): template variable -> the variables a function whose template environment defines it
#: gets instead, with their local values. A function that does not define the variable gets
#: none of them, so the other functions' environments stay exactly the template's.
Overrides = Mapping[str, Mapping[str, str]]
# How Lambda words a runtime that died of a signal (Go's names).
_SIGNAL_WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
}


# --- errors ------------------------------------------------------------------------------------


class FunctionError(Exception):
    """An error a function reported from its execution environment, as Lambda reports it.

    ``error_type`` is the handler's exception class (``ValueError``) or one of Lambda's own
    (``Runtime.ExitError`` when the environment died, ``Runtime.MarshalError``); the exception
    raised is a subclass of this class *named* after it, so ``type(error).__name__`` is what
    Lambda would put in ``errorType``. ``str(error)`` is the message, ``stack_trace`` the
    handler's frames (they are also in the function's log, on stderr).
    """

    def __init__(
        self, function: str, error_type: str, message: str, stack_trace: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.function = function
        self.error_type = error_type
        self.error_message = message
        self.stack_trace = list(stack_trace)


class FunctionInitError(FunctionError):
    """The environment did not start: importing the handler failed (or the process died)."""

    def __str__(self) -> str:
        return f"{self.function}: {self.error_message}"


_error_classes: dict[tuple[type[FunctionError], str], type[FunctionError]] = {}
_error_classes_lock = threading.Lock()


def _error_class(base: type[FunctionError], error_type: str) -> type[FunctionError]:
    with _error_classes_lock:
        cls = _error_classes.get((base, error_type))
        if cls is None:
            namespace = {"__module__": __name__, "__qualname__": f"{base.__name__}[{error_type}]"}
            cls = cast(type[FunctionError], type(error_type, (base,), namespace))
            _error_classes[base, error_type] = cls
        return cls


def _raise_reported(base: type[FunctionError], function: str, reply: Mapping[str, Any]) -> NoReturn:
    error_type = str(reply.get("errorType") or "Error")
    message = str(reply.get("errorMessage", ""))
    trace = [str(line) for line in reply.get("stackTrace") or ()]
    raise _error_class(base, error_type)(function, error_type, message, trace)


def _exit_description(code: int | None) -> str:
    if code is None:
        return "connection to the runtime lost"
    if code >= 0:
        return f"exit status {code}"
    try:
        number = signal.Signals(-code)
    except ValueError:
        return f"signal {-code}"
    return "signal: " + _SIGNAL_WORDS.get(number, number.name)


# --- one execution environment -----------------------------------------------------------------


def worker_environment(
    spec: FunctionSpec,
    stack_environment: Mapping[str, str],
    log_stream: str = "",
    overrides: Overrides | None = None,
) -> dict[str, str]:
    """The environment variables of one execution environment of ``spec``.

    The stack's AWS variables (its endpoints, fake credentials and region), the variables
    Lambda defines for every function, then the function's own from the template, then the
    local twins of ``overrides`` whose template variable the function defines.
    """
    environment = {
        name: value
        for name, value in stack_environment.items()
        if name.startswith(_INHERITED_PREFIX) or name in _INHERITED_NAMES
    }
    environment.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream or new_log_stream_name(),
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
        }
    )
    environment.update(spec.environment)
    for defined, twins in (overrides or {}).items():
        if defined in spec.environment:
            environment.update(twins)
    return environment


class Environment:
    """One execution environment of a function: a worker process and the socket to it.

    Used by one thread at a time (``FunctionPool`` sees to it); ``stop`` may come from another.
    """

    def __init__(
        self, spec: FunctionSpec, process: subprocess.Popen[bytes], sock: socket.socket
    ) -> None:
        self.spec = spec
        self.process = process
        self._sock = sock
        self._broken = False  # the conversation failed: this environment is not used again

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return not self._broken and self.process.poll() is None

    @classmethod
    def start(
        cls,
        spec: FunctionSpec,
        init_timeout: float = INIT_TIMEOUT_S,
        overrides: Overrides | None = None,
    ) -> Environment:
        """Start a worker and wait until it has loaded the handler (its cold start)."""
        ours, theirs = socket.socketpair()
        try:
            with theirs:
                process = subprocess.Popen(  # noqa: S603 - our interpreter, our script
                    [sys.executable, "-I", str(WORKER_SCRIPT), str(theirs.fileno())],
                    env=worker_environment(spec, os.environ.copy(), overrides=overrides),
                    cwd=spec.code_dir,  # Lambda's working directory is the task root
                    stdin=subprocess.DEVNULL,
                    pass_fds=(theirs.fileno(),),
                    # Own session: Ctrl-C reaches only the stack, which then stops us.
                    start_new_session=True,
                )
        except BaseException:
            ours.close()
            raise
        environment = cls(spec, process, ours)
        try:
            environment._handshake(init_timeout)
        except BaseException:
            environment.stop()
            raise
        return environment

    def _handshake(self, timeout: float) -> None:
        config = {
            "function_name": self.spec.logical_id,
            "handler": self.spec.handler,
            "path": [str(self.spec.code_dir), *map(str, self.spec.layer_dirs)],
            "memory_mb": self.spec.memory_mb,
            "timeout_s": self.spec.timeout_s,
            "region": LOCAL_REGION,
            "account_id": LOCAL_ACCOUNT_ID,
        }
        name = self.spec.logical_id
        self._sock.settimeout(timeout)
        try:
            send_message(self._sock, config)
            reply = receive_message(self._sock)
        except TimeoutError:
            self._broken = True
            message = f"{self.spec.handler} was not loaded within {timeout:.0f} s"
            raise _error_class(FunctionInitError, "Runtime.InitTimeout")(
                name, "Runtime.InitTimeout", message
            ) from None
        except (OSError, ValueError):
            reply = None
        finally:
            self._sock.settimeout(None)
        if reply is None:
            self._broken = True
            code = self._wait_for_exit()
            message = f"Runtime exited with error: {_exit_description(code)}"
            raise _error_class(FunctionInitError, "Runtime.ExitError")(
                name, "Runtime.ExitError", message
            )
        if not reply.get("ready"):
            self._broken = True
            _raise_reported(FunctionInitError, name, reply)

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's result, or ``FunctionError`` (a handler error; the environment died)."""
        request_id = str(uuid.uuid4())
        # An event that is not JSON is the caller's error: raised here, the worker untouched.
        message = json.dumps({"request_id": request_id, "event": event}).encode()
        try:
            send_frame(self._sock, message)
            reply = receive_message(self._sock)
        except (OSError, ValueError):
            reply = None
        if reply is None:
            # Lambda's answer when the runtime process dies during an invocation.
            self._broken = True
            code = self._wait_for_exit()
            error = (
                f"RequestId: {request_id} Error: Runtime exited with error: "
                f"{_exit_description(code)}"
            )
            raise _error_class(FunctionError, "Runtime.ExitError")(
                self.spec.logical_id, "Runtime.ExitError", error
            )
        if "result" in reply:
            return reply["result"]
        _raise_reported(FunctionError, self.spec.logical_id, reply)

    def _wait_for_exit(self) -> int | None:
        """The exit code of a worker whose socket failed (killed if it does not exit)."""
        try:
            return self.process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def signal_stop(self) -> None:
        """Close the conversation: an idle worker exits at once, a busy one after its call."""
        self._broken = True
        with contextlib.suppress(OSError):  # already closed, or the worker is gone
            self._sock.shutdown(socket.SHUT_RDWR)

    def stop(self, deadline: float | None = None) -> None:
        """Stop the worker and reap it (terminated, then killed, if it does not exit)."""
        self.signal_stop()
        if deadline is None:
            deadline = time.monotonic() + _STOP_GRACE_S
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._sock.close()


# --- the environments of one function ----------------------------------------------------------


class FunctionPool:
    """Up to ``size`` execution environments of one function, each one request at a time.

    A request takes an idle environment (the one used last: it is the warmest), or starts a
    new one while there are fewer than ``size``, or waits for one to become idle, like a
    request queued behind Lambda's concurrency limit. An environment found dead while idle is
    replaced; one that dies during a request fails that request (``Runtime.ExitError``) and is
    replaced on the next.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        size: int = 8,
        init_timeout: float = INIT_TIMEOUT_S,
        overrides: Overrides | None = None,
    ) -> None:
        self.spec = spec
        self._size = size
        self._init_timeout = init_timeout
        self._overrides = overrides
        self._idle: list[Environment] = []
        self._environments: set[Environment] = set()
        self._starting = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def pids(self) -> list[int]:
        """Process ids of the environments alive now."""
        with self._changed:
            return sorted(e.pid for e in self._environments if e.alive)

    def warm(self) -> None:
        """Start one environment now, so a broken handler fails at startup, not on a request."""
        self._release(self._acquire())

    def invoke(self, event: dict[str, Any]) -> Any:
        environment = self._acquire()
        try:
            return environment.invoke(event)
        finally:
            self._release(environment)

    def _acquire(self) -> Environment:
        dead: list[Environment] = []
        try:
            with self._changed:
                while True:
                    if self._closed:
                        raise RuntimeError(f"{self.spec.logical_id}: the functions are stopped")
                    while self._idle:
                        environment = self._idle.pop()
                        if environment.alive:
                            return environment
                        self._environments.discard(environment)
                        dead.append(environment)
                    if len(self._environments) + self._starting < self._size:
                        self._starting += 1
                        break
                    self._changed.wait()
        finally:
            for environment in dead:
                environment.stop()  # reaps it; it has exited already
        try:
            environment = Environment.start(self.spec, self._init_timeout, self._overrides)
        except BaseException:
            self._started()
            raise
        with self._changed:
            if not self._closed:
                self._environments.add(environment)
                self._starting -= 1
                self._changed.notify_all()
                return environment
        environment.stop()  # before close() stops waiting for it
        self._started()
        raise RuntimeError(f"{self.spec.logical_id}: the functions are stopped")

    def _started(self) -> None:
        with self._changed:
            self._starting -= 1
            self._changed.notify_all()

    def _release(self, environment: Environment) -> None:
        with self._changed:
            self._changed.notify()
            if not self._closed and environment.alive:
                self._idle.append(environment)
                return
            self._environments.discard(environment)
        environment.stop()

    def close(self) -> None:
        """Stop every environment, idle or busy (a request still running fails)."""
        _stop_all(self.signal_close())

    def signal_close(self) -> list[Environment]:
        """Take no more requests and tell every environment to stop; returns them."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            # One being started now stops itself when it is ready; wait for that.
            self._changed.wait_for(lambda: self._starting == 0, timeout=self._init_timeout)
            environments = list(self._environments)
            self._environments.clear()
            self._idle.clear()
        for environment in environments:
            environment.signal_stop()
        return environments


def _stop_all(environments: Iterable[Environment]) -> None:
    """Reap environments told to stop (all at once: each takes a moment to exit)."""
    deadline = time.monotonic() + _STOP_GRACE_S
    for environment in environments:
        environment.stop(deadline)


# --- all functions -----------------------------------------------------------------------------


class FunctionRuntime:
    """All functions of the template, callable by logical id.

    ``overrides``: the stack's local twins of template values (see ``Overrides``), given to
    every environment of every function that defines their template variable.
    """

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        pool_size: int = 8,
        *,
        overrides: Overrides | None = None,
    ) -> None:
        twins = {defined: dict(values) for defined, values in (overrides or {}).items()}
        self.pools = {
            logical_id: FunctionPool(spec, pool_size, overrides=twins)
            for logical_id, spec in functions.items()
        }

    def prepare(self, warm: bool = True) -> None:
        """Start one environment of each function (at once), after ``os.environ`` has the
        stack's AWS variables; raises the first function's error if a handler cannot load."""
        if not warm:
            return
        errors: dict[str, BaseException] = {}

        def warm_pool(name: str, pool: FunctionPool) -> None:
            try:
                pool.warm()
            except BaseException as error:
                errors[name] = error

        threads = [
            threading.Thread(target=warm_pool, args=item, name=f"warm-{item[0]}", daemon=True)
            for item in self.pools.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name in self.pools:
            if name in errors:
                raise errors[name]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.pools[function].invoke(event)

    def close(self) -> None:
        """Stop every environment of every function and reap them: no process is left."""
        _stop_all([e for pool in self.pools.values() for e in pool.signal_close()])
