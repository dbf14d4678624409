"""Each emulated execution environment is its own process, as Lambda gives them.

Stand-in handlers written to tmp_path; most tests drive ``FunctionRuntime`` directly (no
backend), one starts a whole ``LocalStack`` on a small template.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_aws import worker
from local_aws.cli import LocalStack
from local_aws.functions import (
    Environment,
    FunctionError,
    FunctionInitError,
    FunctionRuntime,
    LambdaContext,
)
from local_aws.lambda_api import LocalLambdaApi
from local_aws.template import LOCAL_ACCOUNT_ID, LOCAL_REGION, FunctionSpec

# Reports its process, its environment, its import path, its context and its module-level
# state; "wait_for" makes calls meet across processes (each writes a file, then waits until
# there are that many), "cache" keeps a value at module level as verein.bootstrap's Adapters do.
PROBE = """
import json, os, sys, time, pathlib

CALLS = 0
CACHE = {}

def handler(event, context):
    global CALLS
    CALLS += 1
    if "put" in event:
        CACHE.update(event["put"])
    if "wait_for" in event:
        meeting = pathlib.Path(event["meeting"])
        (meeting / str(os.getpid())).touch()
        deadline = time.monotonic() + 20
        while len(list(meeting.iterdir())) < event["wait_for"]:
            if time.monotonic() > deadline:
                return {"met": False}
            time.sleep(0.01)
    if "sleep" in event:
        pathlib.Path(event["started"]).touch()
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("not_json"):
        return {"when": object()}
    if "exit" in event:
        sys.exit(event["exit"])
    import helper  # from the layer folder
    return {
        "pid": os.getpid(),
        "calls": CALLS,
        "cache": CACHE,
        "env": dict(os.environ),
        "path": sys.path[:2],
        "cwd": os.getcwd(),
        "layer": helper.WHERE,
        "met": True,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
"""


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    folder = tmp_path / "layer"
    folder.mkdir()
    (folder / "helper.py").write_text("WHERE = __file__\n")
    return folder


def function(
    root: Path,
    name: str,
    layer: Path,
    code: str = PROBE,
    environment: dict[str, str] | None = None,
    timeout_s: int = 7,
) -> FunctionSpec:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(textwrap.dedent(code))
    return FunctionSpec(
        logical_id=name,
        code_dir=folder.resolve(),
        handler="app.handler",
        environment=environment or {},
        timeout_s=timeout_s,
        memory_mb=256,
        layer_dirs=(layer.resolve(),),
    )


@pytest.fixture
def make_runtime() -> Iterator[Callable[..., FunctionRuntime]]:
    runtimes: list[FunctionRuntime] = []

    def make(*specs: FunctionSpec, pool_size: int = 8) -> FunctionRuntime:
        runtime = FunctionRuntime({spec.logical_id: spec for spec in specs}, pool_size)
        runtimes.append(runtime)
        return runtime

    yield make
    for runtime in runtimes:
        runtime.close()


def child_pids() -> set[int]:
    """This process's children (Linux /proc)."""
    children: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return children


def gone(pid: int) -> bool:
    """No such process, or only its zombie (exited, not yet reaped by its new parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


# --- environment variables and import path -----------------------------------------------------


def test_two_functions_with_different_values_of_one_variable_each_see_their_own(
    tmp_path: Path, layer: Path, make_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("NOT_FOR_FUNCTIONS", "stack only")
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    public = function(tmp_path, "Public", layer, environment={"POWERTOOLS_SERVICE_NAME": "public"})
    staff = function(tmp_path, "Staff", layer, environment={"POWERTOOLS_SERVICE_NAME": "staff"})
    runtime = make_runtime(public, staff)
    runtime.prepare()

    seen = {name: runtime.invoke(name, {}) for name in ("Public", "Staff")}
    assert seen["Public"]["env"]["POWERTOOLS_SERVICE_NAME"] == "public"
    assert seen["Staff"]["env"]["POWERTOOLS_SERVICE_NAME"] == "staff"
    assert "POWERTOOLS_SERVICE_NAME" not in os.environ  # the stack's own is untouched
    env = seen["Public"]["env"]
    # The stack's AWS variables, read from its environment when the worker started ...
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:9"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
    # ... and nothing else of it.
    assert "NOT_FOR_FUNCTIONS" not in env
    assert not {"PYTEST_CURRENT_TEST", "HOME", "PYTHONPATH"} & set(env)
    # What Lambda defines for every function.
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Public"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["LAMBDA_TASK_ROOT"] == str(public.code_dir)
    assert env["TZ"] == ":UTC"
    # Lambda's import path: the code folder, then the layers; its working dir: the code folder.
    assert seen["Public"]["path"] == [str(public.code_dir), str(layer.resolve())]
    assert seen["Public"]["layer"] == str(layer.resolve() / "helper.py")
    assert seen["Public"]["cwd"] == str(public.code_dir)


def test_the_context_is_lambdas(tmp_path: Path, layer: Path, make_runtime: Any) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer, timeout_s=7))
    first = runtime.invoke("Fn", {})["context"]
    second = runtime.invoke("Fn", {})["context"]
    assert first["function_name"] == "Fn"
    assert first["memory_limit_in_mb"] == 256
    assert first["invoked_function_arn"] == (
        f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:Fn"
    )
    assert first["log_group_name"] == "/aws/lambda/Fn"
    assert 6000 < first["remaining_ms"] <= 7000
    assert first["aws_request_id"] != second["aws_request_id"]
    # One log stream per execution environment, as in Lambda.
    assert first["log_stream_name"] == second["log_stream_name"]
    assert "[$LATEST]" in first["log_stream_name"]
    # The context for handlers called in this process (tests) agrees with the stack's.
    local = LambdaContext("Fn", 256, 7)
    assert local.invoked_function_arn == first["invoked_function_arn"]
    assert (worker.DEFAULT_REGION, worker.DEFAULT_ACCOUNT_ID) == (LOCAL_REGION, LOCAL_ACCOUNT_ID)


# --- one process per execution environment -----------------------------------------------------


def test_concurrent_invocations_run_in_different_processes_with_their_own_state(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer))
    runtime.prepare()
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    event = {"wait_for": 2, "meeting": str(meeting)}
    first, second = concurrently([lambda: runtime.invoke("Fn", event)] * 2)
    # Both were running at the same time (each waited for the other), in two processes.
    assert first["met"] and second["met"]
    assert first["pid"] != second["pid"]
    assert {first["pid"], second["pid"]} == set(runtime.pools["Fn"].pids)
    assert os.getpid() not in (first["pid"], second["pid"])
    # Module-level state is per environment: each counted its own first call.
    assert first["calls"] == second["calls"] == 1
    # Warm: the next call reuses an environment (and its module state), it starts none.
    third = runtime.invoke("Fn", {})
    assert third["pid"] in (first["pid"], second["pid"])
    assert third["calls"] == 2
    assert len(runtime.pools["Fn"].pids) == 2


def test_a_module_level_cache_in_one_environment_is_not_seen_by_another(
    tmp_path: Path, layer: Path
) -> None:
    """What makes a stale head cache possible, as in AWS: each environment has its own."""
    spec = function(tmp_path, "Fn", layer)
    one = Environment.start(spec)
    two = Environment.start(spec)
    try:
        assert one.invoke({"put": {"head": 1}})["cache"] == {"head": 1}
        assert two.invoke({})["cache"] == {}
        assert two.invoke({"put": {"head": 2}})["cache"] == {"head": 2}
        assert one.invoke({})["cache"] == {"head": 1}  # still its own (stale) value
    finally:
        one.stop()
        two.stop()
    assert gone(one.pid) and gone(two.pid)


def test_at_most_pool_size_environments_and_the_rest_wait(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer), pool_size=2)
    started = tmp_path / "started"
    replies = concurrently(
        [lambda: runtime.invoke("Fn", {"sleep": 0.3, "started": str(started)})] * 5
    )
    calls: dict[int, int] = {}
    for reply in replies:
        calls[reply["pid"]] = max(calls.get(reply["pid"], 0), reply["calls"])
    assert len(calls) == 2
    assert sum(calls.values()) == 5  # the other three waited for one of the two


# --- failures ----------------------------------------------------------------------------------


def test_an_exception_in_a_handler_reaches_the_caller_with_its_type(
    tmp_path: Path, layer: Path, make_runtime: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer))
    pid = runtime.invoke("Fn", {})["pid"]
    with pytest.raises(FunctionError) as caught:
        runtime.invoke("Fn", {"raise": "bad value"})
    error = caught.value
    assert type(error).__name__ == "ValueError"
    assert error.error_type == "ValueError"
    assert str(error) == "bad value"
    assert error.function == "Fn"
    assert any("app.py" in line and "handler" in line for line in error.stack_trace)
    # In the function's log (stderr), as Lambda logs it.
    assert "[ERROR] ValueError: bad value" in capfd.readouterr().err
    # The environment survives a handled error, as in Lambda.
    assert runtime.invoke("Fn", {})["pid"] == pid
    # An event that is not JSON is the caller's error; the environment is not touched.
    with pytest.raises(TypeError):
        runtime.invoke("Fn", {"body": b"bytes"})
    assert runtime.invoke("Fn", {})["pid"] == pid
    # The Invoke API reports it as Lambda does.
    with LocalLambdaApi(runtime.invoke, runtime.pools.__contains__) as api:
        status, headers, body = api.answer(
            "/2015-03-31/functions/Fn/invocations", json.dumps({"raise": "again"}).encode()
        )
    assert (status, headers["X-Amz-Function-Error"]) == (200, "Unhandled")
    assert json.loads(body)["errorType"] == "ValueError"
    assert json.loads(body)["errorMessage"] == "again"


def test_a_result_that_is_not_json_is_lambdas_marshal_error(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer))
    with pytest.raises(FunctionError) as caught:
        runtime.invoke("Fn", {"not_json": True})
    assert caught.value.error_type == "Runtime.MarshalError"
    assert "Unable to marshal response" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "error_type", "message"),
    [
        ("import no_such_module\n", "ModuleNotFoundError", "No module named 'no_such_module'"),
        ("raise RuntimeError('EVENT_STORE_TABLE is not set')\n", "RuntimeError", "is not set"),
        ("def handler(:\n", "SyntaxError", "invalid syntax"),
        ("handler = 42\n", "AttributeError", "Handler 'handler' missing on module 'app'"),
        ("import os\nos._exit(3)\n", "Runtime.ExitError", "exit status 3"),
    ],
)
def test_a_handler_that_cannot_be_loaded_fails_prepare_with_its_error(
    tmp_path: Path,
    layer: Path,
    make_runtime: Any,
    code: str,
    error_type: str,
    message: str,
) -> None:
    before = child_pids()
    good = function(tmp_path, "Good", layer)
    bad = function(tmp_path, "Bad", layer, code=code)
    runtime = make_runtime(good, bad)
    with pytest.raises(FunctionInitError) as caught:
        runtime.prepare()
    assert type(caught.value).__name__ == error_type
    assert caught.value.function == "Bad"
    assert message in caught.value.error_message
    assert str(caught.value).startswith("Bad: ")  # which function could not start
    runtime.close()
    assert child_pids() <= before


def test_a_worker_killed_while_idle_is_replaced(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer))
    runtime.prepare()
    (old,) = runtime.pools["Fn"].pids
    os.kill(old, signal.SIGKILL)
    assert eventually(lambda: gone(old) or old not in child_pids())
    reply = runtime.invoke("Fn", {})
    assert reply["pid"] != old
    assert reply["calls"] == 1  # a cold start
    assert runtime.pools["Fn"].pids == [reply["pid"]]


def test_a_worker_killed_during_an_invocation_fails_it_and_is_replaced(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    runtime = make_runtime(function(tmp_path, "Fn", layer))
    runtime.prepare()
    (old,) = runtime.pools["Fn"].pids
    started = tmp_path / "started"
    killer = threading.Thread(
        target=lambda: eventually(started.exists) and os.kill(old, signal.SIGKILL)
    )
    killer.start()
    with pytest.raises(FunctionError) as caught:
        runtime.invoke("Fn", {"sleep": 30, "started": str(started)})
    killer.join()
    assert type(caught.value).__name__ == "Runtime.ExitError"
    assert "Runtime exited with error: signal: killed" in str(caught.value)
    assert str(caught.value).startswith("RequestId: ")
    reply = runtime.invoke("Fn", {})
    assert reply["pid"] != old
    assert runtime.pools["Fn"].pids == [reply["pid"]]
    # sys.exit in a handler ends its environment too, and the next call gets a new one.
    with pytest.raises(FunctionError, match="exit status 4"):
        runtime.invoke("Fn", {"exit": 4})
    assert runtime.invoke("Fn", {})["pid"] not in (old, reply["pid"])


# --- stopping ----------------------------------------------------------------------------------


def test_close_leaves_no_child_process_even_with_a_busy_one(
    tmp_path: Path, layer: Path, make_runtime: Any
) -> None:
    before = child_pids()
    runtime = make_runtime(function(tmp_path, "A", layer), function(tmp_path, "B", layer))
    runtime.prepare()
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    event = {"wait_for": 3, "meeting": str(meeting)}
    concurrently([lambda: runtime.invoke("A", event)] * 3)
    pids = runtime.pools["A"].pids + runtime.pools["B"].pids
    assert len(pids) == 4
    assert set(pids) <= child_pids()
    started = tmp_path / "started"
    busy = Background(lambda: runtime.invoke("B", {"sleep": 60, "started": str(started)}))
    assert eventually(started.exists)
    begun = time.monotonic()
    runtime.close()
    assert time.monotonic() - begun < 10
    assert child_pids() <= before
    assert all(gone(pid) for pid in pids)
    busy.join(10)
    assert isinstance(busy.result, FunctionError)
    with pytest.raises(RuntimeError, match="stopped"):
        runtime.invoke("A", {})


class Background(threading.Thread):
    """Runs ``call`` at once; ``result`` is its value or exception."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._call = call
        self.result: Any = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self._call()
        except Exception as error:
            self.result = error


def test_workers_exit_when_the_stack_process_dies(tmp_path: Path, layer: Path) -> None:
    """kill -9 of the stack: its workers see their socket close and exit (no orphans)."""
    spec = function(tmp_path, "Fn", layer)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from local_aws.functions import FunctionRuntime
        from local_aws.template import FunctionSpec
        spec = FunctionSpec("Fn", Path({str(spec.code_dir)!r}), "app.handler", {{}},
                            layer_dirs=(Path({str(layer.resolve())!r}),))
        runtime = FunctionRuntime({{"Fn": spec}})
        runtime.prepare()
        print(runtime.pools["Fn"].pids[0], flush=True)
        time.sleep(60)
        """
    )
    stack = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert stack.stdout is not None
        pid = int(stack.stdout.readline())
        assert not gone(pid)
        stack.kill()
        stack.wait()
        assert eventually(lambda: gone(pid), timeout=10)
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()


# --- the whole stack ---------------------------------------------------------------------------

TEMPLATE = """
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        SHARED: same for all
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: stream_id, AttributeType: S}]
      KeySchema: [{AttributeName: stream_id, KeyType: HASH}]
  Api:
    Type: AWS::Serverless::HttpApi
  PublicFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/public/
      Handler: app.handler
      Environment:
        Variables:
          POWERTOOLS_SERVICE_NAME: public
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /public, Method: GET}
  StaffFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/staff/
      Handler: app.handler
      Environment:
        Variables:
          POWERTOOLS_SERVICE_NAME: staff
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /staff, Method: GET}
"""

SERVICE = """
import json, os

def handler(event, context):
    names = ("POWERTOOLS_SERVICE_NAME", "SHARED", "AWS_ENDPOINT_URL_DYNAMODB",
             "AWS_ENDPOINT_URL_LAMBDA", "AWS_REGION", "AWS_ACCESS_KEY_ID")
    return {"statusCode": 200, "body": json.dumps({n: os.environ.get(n) for n in names})}
"""


def test_a_stack_whose_functions_set_one_variable_differently_starts(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("public", "staff"):
        folder = project / "fn" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(SERVICE)
    (project / "template.yaml").write_text(TEMPLATE)
    before = child_pids()
    with LocalStack(project / "template.yaml", tmp_path / "data") as stack:
        public = httpx.get(f"{stack.base_url}/public", timeout=30).json()
        staff = httpx.get(f"{stack.base_url}/staff", timeout=30).json()
        endpoint = stack.dynamodb_endpoint
        lambda_endpoint = os.environ["AWS_ENDPOINT_URL_LAMBDA"]
    assert public["POWERTOOLS_SERVICE_NAME"] == "public"
    assert staff["POWERTOOLS_SERVICE_NAME"] == "staff"
    for seen in (public, staff):
        assert seen["SHARED"] == "same for all"
        assert seen["AWS_ENDPOINT_URL_DYNAMODB"] == endpoint
        assert seen["AWS_ENDPOINT_URL_LAMBDA"] == lambda_endpoint
        assert seen["AWS_REGION"] == LOCAL_REGION
        assert seen["AWS_ACCESS_KEY_ID"] == "local"
    assert child_pids() <= before
