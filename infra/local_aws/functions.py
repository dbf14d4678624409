"""Load the Lambda handlers as the template wires them and invoke them like Lambda does.

Lambda runs one request per execution environment at a time, and handler modules keep
per-request state at module level (a Powertools resolver stores ``current_event`` on its
module-level app). So each function gets a pool of separately loaded module copies, each used
by one thread at a time -- the local version of Lambda's concurrent execution environments.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local_aws.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]

# Distinguishes module copies of different runtimes living in one process (tests restart stacks).
_runtime_ids = itertools.count(1)


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _load_copy(spec: FunctionSpec, module_name: str) -> Handler:
    module_spec = importlib.util.spec_from_file_location(module_name, spec.module_file)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{spec.logical_id}: cannot load {spec.module_file}")
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    # Registered before exec like a normal import, so dataclasses/pydantic can resolve the module.
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    handler = getattr(module, spec.handler_attribute, None)
    if not callable(handler):
        raise ImportError(f"{spec.logical_id}: {spec.handler} is not a callable")
    return handler  # type: ignore[no-any-return]


class FunctionPool:
    """Up to ``size`` independently loaded copies of one function, one thread per copy."""

    def __init__(self, spec: FunctionSpec, size: int = 8, namespace: str = "local_fn") -> None:
        self.spec = spec
        self._size = size
        self._namespace = namespace
        self._idle: queue.LifoQueue[Handler] = queue.LifoQueue()
        self._loaded = 0
        self._lock = threading.Lock()
        self._module_names: list[str] = []

    def warm(self) -> None:
        """Load one copy now, so a broken handler fails at startup, not on the first request."""
        handler = self._acquire()
        self._idle.put(handler)

    def _acquire(self) -> Handler:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            # Loading happens under the lock: module execution is not re-entrant for one name,
            # and it keeps the count of copies exact.
            if self._loaded < self._size:
                name = f"{self._namespace}_{self.spec.logical_id}_{self._loaded}"
                handler = _load_copy(self.spec, name)
                self._loaded += 1
                self._module_names.append(name)
                return handler
        # All copies busy: wait like a request queued behind Lambda's concurrency limit.
        return self._idle.get()

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = self._acquire()
        try:
            context = LambdaContext(self.spec.logical_id, self.spec.memory_mb, self.spec.timeout_s)
            return handler(event, context)
        finally:
            self._idle.put(handler)

    def unload(self) -> None:
        """Forget the loaded copies (a stopped stack must not keep its modules alive)."""
        with self._lock:
            for name in self._module_names:
                sys.modules.pop(name, None)
            self._module_names.clear()


def apply_environment(functions: Iterable[FunctionSpec]) -> dict[str, str | None]:
    """Put the functions' environment into ``os.environ``; returns the previous values.

    All functions share one process, so a name must mean the same for all of them.
    """
    wanted: dict[str, str] = {}
    for spec in functions:
        for name, value in spec.environment.items():
            if wanted.get(name, value) != value:
                raise ValueError(
                    f"environment variable {name} differs between functions; "
                    "the local stack runs them in one process"
                )
            wanted[name] = value
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    return previous


def _extend_import_path(functions: Iterable[FunctionSpec]) -> None:
    # Lambda's import path is the task root (CodeUri) then the layers (/opt/python); sibling
    # modules next to app.py resolve through it. They are shared between functions here, so
    # two functions must not ship different modules with the same name.
    for spec in functions:
        for folder in (spec.code_dir, *spec.layer_dirs):
            if str(folder) not in sys.path:
                sys.path.append(str(folder))


class FunctionRuntime:
    """All functions of the template, callable by logical id."""

    def __init__(self, functions: Mapping[str, FunctionSpec], pool_size: int = 8) -> None:
        namespace = f"local_fn{next(_runtime_ids)}"
        self.pools = {
            logical_id: FunctionPool(spec, pool_size, namespace)
            for logical_id, spec in functions.items()
        }
        self._functions = dict(functions)

    def prepare(self, warm: bool = True) -> None:
        """Extend the import path and load one copy of each function (after env is set)."""
        _extend_import_path(self._functions.values())
        if warm:
            for pool in self.pools.values():
                pool.warm()

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.pools[function].invoke(event)

    def close(self) -> None:
        for pool in self.pools.values():
            pool.unload()
