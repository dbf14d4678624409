"""Local stand-in for Amazon SES (API v2): every mail lands in an outbox, nothing leaves.

- ``LocalSesApi``: ``SendEmail`` (``POST /v2/email/outbound-emails``, REST-JSON) on its own
  loopback port; the stack points boto3's ``sesv2`` clients at it (``AWS_ENDPOINT_URL_SESV2``),
  as it does the Lambda API. A mail is appended to ``<data-dir>/outbox.jsonl`` (one line per
  recipient) before the answer ``{"MessageId": ...}`` goes out; a request SES would refuse gets
  SES's error shape (``x-amzn-ErrorType``, ``{"message"}``), 400. Only simple content is
  emulated (no raw or templated mail, no configuration sets, no sandbox, no quotas).
- ``OutboxPages``: ``GET /_local/mail`` on the gateway's port, newest first: JSON for scripts
  and tests, a page for people (``?to=`` filters by recipient, ``?limit=`` the newest n).

The outbox holds personal data (names, addresses): it is the owner's only, like every file in
the data dir, and it survives restarts (delete it to empty the outbox).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import html
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode

from local_aws.files import open_private_append, tighten
from local_aws.gateway import HttpResponse
from verein.mail.message import find_links

OUTBOX_FILE = "outbox.jsonl"
PREFIX = "/_local/mail"
SEND_EMAIL_PATH = "/v2/email/outbound-emails"
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # SES takes 40 MB; a local mail is never near this
MAX_RECIPIENTS = 50  # SES's limit per message (To, Cc and Bcc together)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

# An address SES would take: no spaces, one @, and an ASCII local part (SES cannot deliver to
# others; verein.kernel.mailbox refuses them too).
_ADDRESS = re.compile(r"[\x21-\x3f\x41-\x7e]+@[^@\s]+")
_DIGITS = re.compile(r"[0-9]+")


class SesError(Exception):
    """An error answer as SES gives it: status, ``x-amzn-ErrorType`` and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad_request(message: str) -> SesError:
    return SesError(400, "BadRequestException", message)


# --- the outbox file ----------------------------------------------------------------------------


class Outbox:
    """``<data-dir>/outbox.jsonl``: appended under a lock (threads and processes), fsynced."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / OUTBOX_FILE
        tighten(self.path)  # a looser file left by hand is made the owner's again
        self._lock = threading.Lock()

    def append(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append ``entries`` (one line each) in one write; durable when this returns."""
        data = b"".join(
            json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for entry in entries
        )
        with self._lock, open_private_append(self.path) as out, _flocked(out, fcntl.LOCK_EX):
            if not self._ends_a_line(os.fstat(out.fileno()).st_size):
                data = b"\n" + data  # a line a crash left torn stays apart from this one
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def _ends_a_line(self, size: int) -> bool:
        if size == 0:
            return True
        with self.path.open("rb") as source:
            source.seek(size - 1)
            return source.read(1) == b"\n"

    def read(self) -> list[dict[str, Any]]:
        """Every mail, oldest first; a line a crash left torn is skipped."""
        try:
            with self.path.open("rb") as source, _flocked(source, fcntl.LOCK_SH):
                lines = source.read().splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def newest(self, to: str | None = None, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
        """The newest ``limit`` mails, newest first; to ``to`` only (any case) if given."""
        wanted = (to or "").strip().lower()
        entries = [
            e for e in reversed(self.read()) if not wanted or str(e.get("to", "")).lower() == wanted
        ]
        return entries[:limit]


@contextmanager
def _flocked(file: IO[bytes], operation: int) -> Iterator[None]:
    fcntl.flock(file.fileno(), operation)
    try:
        yield
    finally:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)


# --- SendEmail ------------------------------------------------------------------------------------


def outbox_entries(body: bytes, message_id: str, sent_at: str) -> list[dict[str, Any]]:
    """The outbox lines for one ``SendEmail`` request body (one per recipient), or the
    ``SesError`` SES would answer."""
    try:
        request = json.loads(body or b"null")
    except ValueError:
        raise _bad_request("Could not parse the request body as JSON") from None
    if not isinstance(request, dict):
        raise _bad_request("The request body must be a JSON object")
    sender = _address(request.get("FromEmailAddress"), "FromEmailAddress")
    recipients = _recipients(request.get("Destination"))
    content = request.get("Content")
    if not isinstance(content, dict) or len(content) != 1:
        raise _bad_request("Content must have exactly one of Simple, Raw or Template")
    if "Simple" not in content:
        raise _bad_request(f"{next(iter(content))} content is not emulated locally: use Simple")
    subject, text, html_body = _simple(content["Simple"])
    links = list(find_links(text, html=html_body))
    return [
        {
            "message_id": message_id,
            "sent_at": sent_at,
            "from": sender,
            "to": recipient,
            "subject": subject,
            "text": text,
            "html": html_body,
            "links": links,
        }
        for recipient in recipients
    ]


def _address(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad_request(f"{field} is required")
    address = parseaddr(value)[1]  # "Verein <no-reply@verein.example>" as SES takes it
    if not _ADDRESS.fullmatch(address):
        raise _bad_request(f"Illegal address in {field}")
    return address


def _recipients(destination: Any) -> list[str]:
    if not isinstance(destination, dict):
        raise _bad_request("Destination is required")
    recipients = []
    for kind in ("ToAddresses", "CcAddresses", "BccAddresses"):
        addresses = destination.get(kind, [])
        if not isinstance(addresses, list):
            raise _bad_request(f"Destination.{kind} must be a list")
        recipients += [_address(a, f"Destination.{kind}") for a in addresses]
    if not recipients:
        raise _bad_request("Destination has no recipient")
    if len(recipients) > MAX_RECIPIENTS:
        raise _bad_request(f"Recipient count exceeds {MAX_RECIPIENTS}")
    return list(dict.fromkeys(recipients))


def _simple(simple: Any) -> tuple[str, str, str]:
    """Subject, text and HTML of simple content (a missing body part is empty)."""
    if not isinstance(simple, dict):
        raise _bad_request("Content.Simple must be an object")
    subject = _data(simple.get("Subject"), "Content.Simple.Subject")
    body = simple.get("Body")
    if not isinstance(body, dict) or not ({"Text", "Html"} & set(body)):
        raise _bad_request("Content.Simple.Body needs Text or Html")
    text = _data(body["Text"], "Content.Simple.Body.Text") if "Text" in body else ""
    html_body = _data(body["Html"], "Content.Simple.Body.Html") if "Html" in body else ""
    return subject, text, html_body


def _data(part: Any, field: str) -> str:
    if not isinstance(part, dict) or not isinstance(part.get("Data"), str):
        raise _bad_request(f"{field}.Data is required")
    if not isinstance(part.get("Charset", ""), str):
        raise _bad_request(f"{field}.Charset must be a string")
    return str(part["Data"])


class LocalSesApi:
    """SES v2's ``SendEmail`` on its own loopback port, writing to ``outbox``."""

    def __init__(
        self,
        outbox: Outbox,
        host: str = "127.0.0.1",
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox = outbox
        self._clock = clock
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="local-ses", daemon=True
        )

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalSesApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSesApi:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request."""
        try:
            if (method, path.split("?", 1)[0]) != ("POST", SEND_EMAIL_PATH):
                raise SesError(404, "UnknownOperationException", "unknown operation")
            message_id = f"local-{uuid.uuid4()}"
            sent_at = self._clock().isoformat(timespec="milliseconds")
            self.outbox.append(outbox_entries(body, message_id, sent_at))
        except SesError as error:
            headers = {"x-amzn-ErrorType": error.code}
            return error.status, headers, json.dumps({"message": error.message}).encode()
        return 200, {}, json.dumps({"MessageId": message_id}).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 (the default): a connection per request, so nothing is written to the
            # outbox through a kept-alive connection once the stack has stopped the server.
            timeout = 30  # a client that stops sending gives its thread back

            def do_POST(self) -> None:
                length = self.headers.get("Content-Length") or "0"
                if not _DIGITS.fullmatch(length) or int(length) > MAX_REQUEST_BYTES:
                    self.close_connection = True  # the body stays unread
                    error = _bad_request("Content-Length missing, invalid or too large")
                    self._send(
                        400,
                        {"x-amzn-ErrorType": error.code},
                        json.dumps({"message": error.message}).encode(),
                    )
                    return
                self._send(*api.answer(self.command, self.path, self.rfile.read(int(length))))

            do_GET = do_PUT = do_DELETE = do_PATCH = do_POST

            def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the functions log; one line per mail sent would be noise

        return Handler


# --- GET /_local/mail -----------------------------------------------------------------------------


class OutboxPages:
    """``handle``: the gateway's local route for ``/_local/mail``; None for any other path."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        if path not in (PREFIX, PREFIX + "/"):
            return _json(404, {"message": "Not Found"}) if path.startswith(PREFIX + "/") else None
        if method not in ("GET", "HEAD"):
            response = _json(405, {"message": "Method Not Allowed"})
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        params = dict(parse_qsl(query, keep_blank_values=True))
        limit_text = params.get("limit", str(DEFAULT_LIMIT))
        if not _DIGITS.fullmatch(limit_text) or not 1 <= int(limit_text) <= MAX_LIMIT:
            return _json(400, {"message": f"limit must be a number from 1 to {MAX_LIMIT}"})
        to = params.get("to", "").strip()
        mails = self.outbox.newest(to or None, int(limit_text))
        if _wants_json(params.get("format"), headers.get("accept", "")):
            fields = ("to", "subject", "text", "html", "links", "sent_at", "message_id", "from")
            return _json(200, [{k: mail.get(k) for k in fields} for mail in mails])
        return _page(mails, to)


def _wants_json(format_param: str | None, accept: str) -> bool:
    """``?format=json|html`` decides; else the better of the two in Accept (a tie: HTML)."""
    if format_param in ("json", "html"):
        return format_param == "json"
    best = {"json": 0.0, "html": 0.0}
    for part in accept.split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        for kind, names in (
            ("json", ("application/json", "application/*")),
            ("html", ("text/html", "text/*")),
        ):
            if media in (*names, "*/*"):
                best[kind] = max(best[kind], quality)
    return best["json"] > best["html"]


def _json(status: int, payload: Any) -> HttpResponse:
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return HttpResponse(status, headers, json.dumps(payload, ensure_ascii=False).encode())


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f4f4f4;color:#222}"
    "main{max-width:48rem;margin:0 auto}"
    "form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0}"
    "input{flex:1 1 14rem;padding:.5rem;font-size:1rem}"
    "button{padding:.5rem 1rem;font-size:1rem}"
    "article{background:#fff;padding:1rem;margin:1rem 0;border-radius:.5rem}"
    "h2{font-size:1.1rem;margin:0 0 .3rem;overflow-wrap:anywhere}"
    ".meta{color:#555;font-size:.9rem;margin:0;overflow-wrap:anywhere}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;padding:.5rem}"
    "ul{padding-left:1.2rem}li{margin:.3rem 0;overflow-wrap:anywhere}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# No script may run: only this one style block, forms (the filter) only to this origin.
_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _page(mails: list[dict[str, Any]], to: str) -> HttpResponse:
    e = html.escape
    json_link = f"{PREFIX}?{urlencode({'format': 'json', **({'to': to} if to else {})})}"
    shown = f"to {e(to)}" if to else "all recipients"
    articles = "".join(_article(mail) for mail in mails) or "<p>No mail yet.</p>"
    content = (
        "<h1>Mail outbox</h1>"
        f"<p>What the local stack sent (Amazon SES stand-in), newest first: {len(mails)} "
        f'mail(s), {shown}. <a href="{e(json_link)}">JSON</a></p>'
        f'<form method="get" action="{PREFIX}"><label for="to">Recipient</label>'
        f'<input id="to" name="to" type="email" value="{e(to)}">'
        f'<button type="submit">Filter</button><a href="{PREFIX}">All</a></form>'
        f"{articles}"
    )
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Mail outbox</title><style>{_STYLE}</style></head>"
        f"<body><main>{content}</main></body></html>"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", _CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]
    return HttpResponse(200, headers, document.encode())


def _article(mail: Mapping[str, Any]) -> str:
    e = html.escape
    sent_at = str(mail.get("sent_at", ""))
    links = "".join(
        f'<li><a href="{e(link)}" rel="noreferrer">{e(link)}</a></li>'
        for link in mail.get("links", [])
        if str(link).lower().startswith(("http://", "https://"))  # never javascript: et al.
    )
    return (
        f"<article><h2>{e(str(mail.get('subject', '')))}</h2>"
        f'<p class="meta">To {e(str(mail.get("to", "")))} from {e(str(mail.get("from", "")))}, '
        f'<time datetime="{e(sent_at)}">{e(_shown_time(sent_at))}</time></p>'
        f"<pre>{e(str(mail.get('text', '')))}</pre>"
        + (f"<ul>{links}</ul>" if links else "")
        + (
            f"<details><summary>HTML</summary><pre>{e(str(mail['html']))}</pre></details>"
            if mail.get("html")
            else ""
        )
        + "</article>"
    )


def _shown_time(sent_at: str) -> str:
    try:
        return datetime.fromisoformat(sent_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return sent_at
