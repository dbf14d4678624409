"""The Lambda Invoke API on loopback, so one function can invoke another as in AWS.

moto cannot run Lambda without Docker; the local stack runs the handlers itself. A function
that invokes another (the public function hands applications to the intake function) calls
``lambda.invoke`` with boto3, whose endpoint (``AWS_ENDPOINT_URL_LAMBDA``) is this server: it
answers ``POST /2015-03-31/functions/<name>/invocations`` the way Lambda does (the function's
result as the payload; ``X-Amz-Function-Error: Unhandled`` when the handler raised; 404
``ResourceNotFoundException`` for an unknown function). It listens on its own port, apart
from the HTTP API, because in AWS the Invoke API is not reachable through the HTTP API either.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

Invoke = Callable[[str, dict[str, Any]], Any]
"""Calls the function with the given logical id (or name) and returns its result."""

_INVOCATIONS = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


def function_name(reference: str) -> str:
    """``name``, ``arn:aws:lambda:<region>:<account>:function:name[:qualifier]`` -> ``name``."""
    if reference.startswith("arn:"):
        return reference.split(":")[6]
    return reference.split(":", 1)[0]


class LocalLambdaApi:
    def __init__(
        self, invoke: Invoke, known: Callable[[str], bool], host: str = "127.0.0.1"
    ) -> None:
        self._invoke = invoke
        self._known = known
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalLambdaApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalLambdaApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one Invoke request."""
        match = _INVOCATIONS.match(urlsplit(path).path)
        if match is None:
            return _error(404, "UnknownOperationException", "unknown operation")
        name = function_name(unquote(match["name"]))
        if not self._known(name):
            return _error(404, "ResourceNotFoundException", f"Function not found: {name}")
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "InvalidRequestContentException", "Could not parse request body")
        try:
            result = self._invoke(name, event)
        except Exception as error:  # reported to the caller, as Lambda does
            payload = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            headers = {"X-Amz-Function-Error": "Unhandled"}
            return 200, headers, json.dumps(payload).encode()
        return 200, {"X-Amz-Executed-Version": "$LATEST"}, json.dumps(result).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, headers, body = api.answer(self.path, self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the functions log; one line per internal call would be noise

        return Handler


def _error(status: int, error_type: str, message: str) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amzn-ErrorType": error_type}
    body = json.dumps({"Type": "User", "message": message}).encode()
    return HTTPStatus(status).value, headers, body
