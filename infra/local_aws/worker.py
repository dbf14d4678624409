"""One emulated Lambda execution environment: a process that loads one handler and runs it.

``local_aws.functions`` starts this file as a script (``python -I worker.py FD``), one
process per execution environment, with the function's own environment variables and the
function's code folder as working directory. Over the socket ``FD`` it first receives the
function's configuration, imports the handler as Lambda does (code folder, then the layer
folders, first on ``sys.path``; ``import app``) and answers ``ready`` or the import error;
then it runs one invocation per message, one at a time, until the socket closes. stdout and
stderr are the parent's, as a function's log would be.

It imports nothing from ``local_aws`` (the parent imports this module for the framing and
``LambdaContext``): everything a handler sees in this process is its own, as in Lambda.

Messages are JSON, each preceded by its length (4 bytes, big-endian):

- parent -> worker, once: ``{"function_name", "handler", "path", "memory_mb", "timeout_s",
  "region", "account_id"}``; answer ``{"ready": true, "pid"}`` or ``{"ready": false,
  "errorType", "errorMessage", "stackTrace"}``
- parent -> worker, per invocation: ``{"request_id", "event"}``; answer ``{"result"}`` or
  ``{"errorType", "errorMessage", "stackTrace"}`` (the handler raised, or its result is not
  JSON: ``Runtime.MarshalError``, as Lambda reports them)
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

# The local stack's region and account (local_aws.template.LOCAL_REGION / LOCAL_ACCOUNT_ID);
# repeated here because this module imports nothing from local_aws. The parent sends its own.
DEFAULT_REGION = "eu-central-1"
DEFAULT_ACCOUNT_ID = "123456789012"

_LENGTH = struct.Struct("!I")


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    #: One per execution environment in Lambda; a new one per context when not given.
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = (
            f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        if not self.log_stream_name:
            self.log_stream_name = new_log_stream_name()
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_log_stream_name() -> str:
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"


# --- framing (used by both sides) --------------------------------------------------------------


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    send_frame(sock, json.dumps(message).encode())


def send_frame(sock: socket.socket, data: bytes) -> None:
    """One message already encoded as a JSON object."""
    sock.sendall(_LENGTH.pack(len(data)) + data)


def receive_message(sock: socket.socket) -> dict[str, Any] | None:
    """The next message, or None when the other side has gone (EOF, also mid-message)."""
    head = _receive_exactly(sock, _LENGTH.size)
    if head is None:
        return None
    data = _receive_exactly(sock, _LENGTH.unpack(head)[0])
    if data is None:
        return None
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = sock.recv_into(view[received:])
        if count == 0:
            return None
        received += count
    return bytes(buffer)


# --- the worker --------------------------------------------------------------------------------


def _to_json(value: object) -> Any:
    # Lambda's Python runtime serializes a handler's result with this fallback only.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def _log_error(error: dict[str, Any]) -> None:
    """Lambda writes an unhandled error to the function's log: do the same on stderr."""
    trace = "".join(error["stackTrace"])
    print(
        f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
        f"Traceback (most recent call last):\n{trace}",
        file=sys.stderr,
        end="",
        flush=True,
    )


def _load_handler(handler: str) -> Any:
    module_name, _, attribute = handler.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, attribute, None)
    if not callable(function):
        raise AttributeError(f"Handler '{attribute}' missing on module '{module_name}'")
    return function


def _invoke(handler: Any, config: dict[str, Any], message: dict[str, Any], stream: str) -> bytes:
    """The answer to one invocation message, encoded."""
    context = LambdaContext(
        config["function_name"],
        int(config["memory_mb"]),
        int(config["timeout_s"]),
        aws_request_id=message["request_id"],
        region=config.get("region", DEFAULT_REGION),
        account_id=config.get("account_id", DEFAULT_ACCOUNT_ID),
        log_stream_name=stream,
    )
    try:
        result = handler(message["event"], context)
    except Exception as error:
        reply = _error(error)
        _log_error(reply)
        return json.dumps(reply).encode()
    try:
        # Serialized here, as Lambda's runtime does: a result that is not JSON is an error.
        encoded = json.dumps(result, default=_to_json)
    except (TypeError, ValueError) as error:
        reply = {
            "errorType": "Runtime.MarshalError",
            "errorMessage": f"Unable to marshal response: {error}",
            "stackTrace": [],
        }
        _log_error(reply)
        return json.dumps(reply).encode()
    return b'{"result": ' + encoded.encode() + b"}"


def serve(sock: socket.socket) -> int:
    config = receive_message(sock)
    if config is None:
        return 0
    # Lambda's order: the task root (CodeUri), then the layers, then the runtime's packages.
    sys.path[:0] = [str(folder) for folder in config["path"]]
    try:
        handler = _load_handler(config["handler"])
    except Exception as error:
        reply = _error(error)
        _log_error(reply)
        send_message(sock, {"ready": False, **reply})
        return 1
    send_message(sock, {"ready": True, "pid": os.getpid()})
    stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or new_log_stream_name()
    while True:
        message = receive_message(sock)
        if message is None:
            return 0  # the stack closed us, or it is gone
        send_frame(sock, _invoke(handler, config, message, stream))


def main(argv: list[str]) -> NoReturn:
    # The parent stops us (Ctrl-C reaches only the parent: we run in our own session).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Each line out at once and whole (one write): the environments share the stack's stdout
    # and stderr, where Lambda gives each its own log stream.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)
    sock = socket.socket(fileno=int(argv[1]))
    try:
        code = serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        code = 0  # the parent went away mid-invocation
    # Stopped like Lambda stops an environment: no interpreter teardown (it takes a tenth of a
    # second with boto3 and Powertools loaded), no atexit handlers; the logs are out already.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv)
