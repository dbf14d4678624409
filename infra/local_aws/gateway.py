"""The local API Gateway (HTTP API): HTTP in, payload format 2.0 event to the function, HTTP out.

Events are built the way API Gateway builds them, so handlers see locally exactly what they
will see deployed: lower-cased comma-joined headers, cookies split out, query parameters
comma-joined, base64 bodies for non-text content types, JWT claims as strings.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local_aws.jwt_auth import gateway_authorizer_context
from local_aws.template import LOCAL_ACCOUNT_ID, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
LOCAL_API_ID = "local"

Invoke = Callable[[str, dict[str, Any]], Any]
Verify = Callable[[str | None], dict[str, Any] | None]
Available = Callable[[], bool]
#: Endpoints the stack serves itself beside the API (the local managed login): method, path,
#: query, lower-cased headers and body in; None for a path they do not serve.
LocalRoutes = Callable[[str, str, str, Mapping[str, str], bytes], "HttpResponse | None"]

# Content-Length is 1*DIGIT (RFC 9110). int() alone would also take "-1" (and then read to EOF,
# holding a thread until the client gives up), "+5", " 5", "1_000" and non-ASCII digits.
_DECIMAL = re.compile(r"[0-9]+")
_HEXADECIMAL = re.compile(r"[0-9A-Fa-f]+")

_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|javascript|xml|[^;]*\+json|[^;]*\+xml))$", re.IGNORECASE
)


def is_text_content_type(content_type: str | None) -> bool:
    """Bodies of these types reach the function as text; all others (forms too) as base64."""
    if not content_type:
        return False
    return bool(_TEXT_TYPES.match(content_type.split(";", 1)[0].strip()))


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    pattern: re.Pattern[str] | None  # None for $default
    params: tuple[str, ...]
    rank: tuple[int, int, int]  # lower wins: literal paths, then {param}, then {proxy+}


def _compile(route: Route) -> _CompiledRoute:
    if route.path == "$default":
        return _CompiledRoute(route, None, (), (3, 0, 1))
    params: list[str] = []
    parts: list[str] = []
    greedy = 0
    for segment in route.path.strip("/").split("/"):
        match = re.fullmatch(r"\{([^}+]+)(\+?)\}", segment)
        if match is None:
            parts.append(re.escape(segment))
        elif match.group(2):
            params.append(match.group(1))
            parts.append("(.+)")
            greedy = 1
        else:
            params.append(match.group(1))
            parts.append("([^/]+)")
    pattern = re.compile("/" + "/".join(parts)) if parts != [""] else re.compile("/")
    rank = (greedy, len(params), 1 if route.method == "ANY" else 0)
    return _CompiledRoute(route, pattern, tuple(params), rank)


class RouteTable:
    """Picks the route API Gateway would pick for a method and path."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = sorted((_compile(r) for r in routes), key=lambda c: c.rank)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in ("ANY", method):
                continue
            if compiled.pattern is None:
                return compiled.route, {}
            found = compiled.pattern.fullmatch(path)
            if found:
                return compiled.route, {
                    name: unquote(value)
                    for name, value in zip(compiled.params, found.groups(), strict=True)
                }
        return None


def build_event(
    *,
    route: Route,
    path_parameters: Mapping[str, str],
    method: str,
    raw_path: str,
    raw_query: str,
    header_items: Sequence[tuple[str, str]],
    body: bytes,
    source_ip: str,
    claims: Mapping[str, Any] | None,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends for one request."""
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in header_items:
        key = name.lower()
        if key == "cookie":
            # Cookies are moved out of the headers into their own list.
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    # Headers API Gateway adds in front of every integration.
    headers.setdefault("x-forwarded-for", source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}")
    domain = headers.get("host", "localhost")
    request_id = request_id or base64.urlsafe_b64encode(uuid.uuid4().bytes[:12]).decode()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    request_context: dict[str, Any] = {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = gateway_authorizer_context(claims)
    event["requestContext"] = request_context
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        if is_text_content_type(headers.get("content-type")):
            event["body"] = body.decode("utf-8", errors="replace")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, message: str) -> HttpResponse:
    # Byte for byte what API Gateway sends, e.g. {"message":"Not Found"}.
    return HttpResponse(
        status,
        [("Content-Type", "application/json")],
        json.dumps({"message": message}, separators=(",", ":")).encode(),
    )


def translate_response(result: Any) -> HttpResponse:
    """Turn a handler's return value into HTTP the way API Gateway does for format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Anything else is taken as a JSON body with status 200.
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("Content-Type", "application/json")], text.encode())
    headers: list[tuple[str, str]] = [
        (str(name), str(value)) for name, value in (result.get("headers") or {}).items()
    ]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw_body)
    else:
        body = str(raw_body).encode()
    return HttpResponse(int(result["statusCode"]), headers, body)


class _BodyTooLarge(Exception):
    pass


class _BadRequest(ValueError):
    pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real endpoint
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # A client that stops sending (a body shorter than its Content-Length, an idle keep-alive
    # connection) gives its thread back after this many seconds, as API Gateway's own timeout.
    timeout = 30

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, made-up ones) is routed like the rest: API Gateway
        # answers it 404 as an unknown route; http.server would answer 501 with its own page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.gateway.access_log:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunks()
        length = self._content_length()
        if length > MAX_BODY_BYTES:
            raise _BodyTooLarge  # answered before reading a byte of it
        return self.rfile.read(length) if length else b""

    def _content_length(self) -> int:
        # "5, 5" or two equal headers are one length; lengths that disagree are an attempt to
        # make two HTTP parsers see different requests, and answered 400.
        values = {
            part.strip()
            for header in self.headers.get_all("Content-Length") or []
            for part in header.split(",")
        }
        if not values:
            return 0
        value = values.pop() if len(values) == 1 else "disagreeing lengths"
        if not _DECIMAL.fullmatch(value):
            raise _BadRequest(f"Content-Length {value!r}")
        return int(value)

    def _read_chunks(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_text = self.rfile.readline().split(b";", 1)[0].strip()
            if not _HEXADECIMAL.fullmatch(size_text.decode("ascii", "replace")):
                raise _BadRequest(f"chunk size {size_text!r}")  # "-1" too: read(-1) would block
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _handle(self) -> None:
        gateway = self.server.gateway
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True  # the unread body makes the connection unusable
            self._send(_json_response(413, "Request Entity Too Large"), "")
            return
        except ValueError:
            self.close_connection = True
            self._send(_json_response(400, "Bad Request"), "")
            return
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes[:12]).decode()
        response = gateway.router.dispatch(
            method=self.command,
            target=self.path,
            header_items=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            request_id=request_id,
        )
        self._send(response, request_id)

    def _send(self, response: HttpResponse, request_id: str) -> None:
        self.send_response(response.status)
        names = {name.lower() for name, _ in response.headers}
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        if request_id:
            self.send_header("apigw-requestid", request_id)
        if "content-type" not in names and response.body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib's backlog of 5 resets connections when a form rush arrives at once.
    request_queue_size = 256
    gateway: LocalGateway


class ApiRouter:
    """What API Gateway does with one request: route, authorize, build the event, invoke."""

    def __init__(
        self,
        routes: Sequence[Route],
        invoke: Invoke,
        verify: Verify,
        available: Available | None = None,
        local_routes: LocalRoutes | None = None,
    ) -> None:
        self.routes = RouteTable(routes)
        self._invoke = invoke
        self._verify = verify
        self._available = available
        self._local_routes = local_routes

    def dispatch(
        self,
        *,
        method: str,
        target: str,
        header_items: Sequence[tuple[str, str]],
        body: bytes,
        source_ip: str,
        request_id: str,
    ) -> HttpResponse:
        raw_path, _, raw_query = target.partition("?")
        if self._local_routes is not None:
            # Before the 503 check: signing in does not need the backend.
            headers: dict[str, str] = {}
            for name, value in header_items:
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            answer = self._local_routes(method, raw_path, raw_query, headers, body)
            if answer is not None:
                return answer
        if self._available is not None and not self._available():
            # The backend is restarting (or gone): say so rather than fail inside a function.
            return _json_response(503, "Service Unavailable")
        matched = self.routes.match(method, raw_path)
        if matched is None:
            return _json_response(404, "Not Found")
        route, params = matched
        claims = None
        if route.requires_jwt:
            authorization = next((v for k, v in header_items if k.lower() == "authorization"), None)
            claims = self._verify(authorization)
            if claims is None:
                return _json_response(401, "Unauthorized")
        event = build_event(
            route=route,
            path_parameters=params,
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            header_items=header_items,
            body=body,
            source_ip=source_ip,
            claims=claims,
            request_id=request_id,
        )
        try:
            return translate_response(self._invoke(route.function, event))
        except Exception:
            # API Gateway hides function errors behind a generic 500; the trace goes to the log.
            print(
                f"{route.function} failed on {route.route_key}:\n{traceback.format_exc()}",
                file=sys.stderr,
            )
            return _json_response(500, "Internal Server Error")


class LocalGateway:
    """HTTP server on loopback that routes requests to the functions like API Gateway."""

    def __init__(
        self,
        routes: Sequence[Route],
        invoke: Invoke,
        verify: Verify,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = False,
        available: Available | None = None,
        local_routes: LocalRoutes | None = None,
    ) -> None:
        self.router = ApiRouter(routes, invoke, verify, available, local_routes)
        self.access_log = access_log
        self._server = _Server((host, port), _Handler)
        self._server.gateway = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="local-gateway", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}"

    def start(self) -> LocalGateway:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
