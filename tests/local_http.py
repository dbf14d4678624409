"""Helpers for tests that talk real HTTP to one running local stack per test module.

``tests/e2e/test_hostile_inputs.py`` and ``tests/e2e/test_openapi_fuzz.py`` use them: start the stack
from the template, get staff and non-staff tokens, send requests byte for byte (a raw socket
where an HTTP client would refuse or repair the request), read what the event store holds,
and recognise leaked tracebacks.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from local_aws.cli import LocalStack
from local_aws.template import LocalTemplate, load_template

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"

PROBLEM_JSON = "application/problem+json"
HTML = "text/html"

#: What a leaked Python error looks like in a response body.
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+"
    r"|\b(Recursion|UnicodeDecode|UnicodeEncode|Key|Type|Value|Attribute|Index|Name)Error\b"
)


def load_routes_template() -> LocalTemplate:
    """The template, read at import time so tests can be parametrized by its routes."""
    return load_template(TEMPLATE_PATH)


@contextmanager
def running_stack(data_dir: Path) -> Iterator[LocalStack]:
    """The whole system as ``make run`` starts it, on a free port, with fresh data."""
    with LocalStack(data_dir=data_dir, port=0) as stack:
        yield stack


def bearer(stack: LocalStack, groups: tuple[str, ...] = ("staff",)) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.issue_token(groups=groups)}"}


@dataclass(frozen=True)
class StaffSession:
    """A signed-in staff app session, as a browser holds it: its cookie and its CSRF token."""

    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}


def _set_cookie(response: Any, name: str) -> str:
    # HTTP clients keep Secure cookies for https only; browsers also for loopback. By hand.
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return str(header.split(";", 1)[0])
    raise AssertionError(f"no {name} cookie in {response.status_code} {response.text[:200]!r}")


def staff_session(stack: LocalStack, email: str, password: str) -> StaffSession:
    """Sign in to the staff app at the stack's local login, over HTTP, as a browser does."""
    import html  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        start = client.get("/control/sign-in")
        sign_in_cookie = _set_cookie(start, "__Host-verein-signin")
        login_page = client.get(start.headers["location"])
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', login_page.text)
        form = {name: html.unescape(value) for name, value in fields}
        back = client.post(
            "/_local/cognito/login", data={**form, "email": email, "password": password}
        )
        callback = client.get(back.headers["location"], headers={"Cookie": sign_in_cookie})
        cookie = _set_cookie(callback, "__Host-verein-session")
        page = client.get("/control/members", headers={"Cookie": cookie})
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        return StaffSession(cookie, html.unescape(token.group(1)))


def event_store_items(stack: LocalStack) -> list[dict[str, Any]]:
    """Every item of the event-store table (commits and claims), in a stable order."""
    client = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    table = stack.template.table_name("EventStoreTable")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["stream_id"]["S"], i["version"]["N"]))


@dataclass
class RawResponse:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class NoResponse(AssertionError):
    """The server did not answer within the timeout (it is waiting for a body, say)."""


def raw_request(base_url: str, head: bytes, body: bytes = b"", timeout: float = 3.0) -> RawResponse:
    """Send ``head`` (request line and headers, without the blank line) and ``body`` as they
    are, and read one response. Needed for what HTTP clients will not send (Content-Length -1).
    """
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as conn:
        conn.sendall(head.rstrip(b"\r\n") + b"\r\n\r\n" + body)
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
            header_block, _, rest = received.partition(b"\r\n\r\n")
            if not header_block:
                raise NoResponse("the connection closed without a response")
            status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
            headers = Message()
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip()] = value.strip()
            length = int(headers.get("Content-Length", "0"))
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except TimeoutError as timeout_error:
            raise NoResponse(
                f"no response within {timeout} s (got {received[:200]!r})"
            ) from timeout_error
    return RawResponse(int(status_line.split()[1]), headers, rest[:length])


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()
