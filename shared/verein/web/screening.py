"""The first look at a request, before anything parses its body.

Powertools validates the body before any middleware of ours runs, so limits that keep parsing
cheap and safe must apply earlier: body size (413), media type (415), undecodable bytes and
JSON nested deeper than any of our documents (400; Python's JSON parser recurses and would
fail with ``RecursionError``). Media types are case-insensitive (RFC 9110): the content type is
rewritten in its canonical lower-case form, so that Powertools recognises ``APPLICATION/JSON``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    """Largest decoded body a route of this function takes (API Gateway allows 10 MB)."""
    accepts: frozenset[str] = frozenset({JSON})
    """Media types this function's routes read (a body of another type gets 415)."""
    max_json_depth: int = 16


@dataclass(frozen=True)
class Rejection:
    status: int
    message_key: str
    media_type: str
    """The request's media type: a form post is answered with a page, others with a problem."""


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def canonical_content_type(content_type: str) -> str:
    """``APPLICATION/JSON; Charset=UTF-8`` -> ``application/json; charset=UTF-8``."""
    kind, _, parameters = content_type.partition(";")
    canonical = [kind.strip().lower()]
    for parameter in parameters.split(";"):
        name, equals, value = parameter.strip().partition("=")
        if name:
            canonical.append(f"{name.strip().lower()}{equals}{value.strip()}")
    return "; ".join(canonical)


def screen(event: dict[str, Any], limits: Limits) -> Rejection | None:
    """Check the request's body against ``limits``; normalise its content type in place."""
    headers = event.get("headers") or {}
    if "content-type" in headers:
        headers["content-type"] = canonical_content_type(str(headers["content-type"]))
    kind = media_type(str(headers.get("content-type", ""))) or JSON  # Powertools' default
    body = str(event.get("body") or "")
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET"))
    if not body and method in ("GET", "HEAD", "OPTIONS"):
        return None
    text = _decoded(body, bool(event.get("isBase64Encoded")), limits)
    if isinstance(text, int):
        return Rejection(text, _MESSAGE_BY_STATUS[text], kind)
    if kind not in limits.accepts:
        return Rejection(415, _MESSAGE_BY_STATUS[415], kind)
    if not _readable(kind, text, limits):
        return Rejection(400, _MESSAGE_BY_STATUS[400], kind)
    return None


def _readable(kind: str, text: str, limits: Limits) -> bool:
    """Whether a body of a media type the route takes can be read at all."""
    if kind == JSON:
        # API Gateway hands a body that is not UTF-8 over as text, each bad byte turned into
        # U+FFFD: JSON must be UTF-8 (RFC 8259), and nobody types U+FFFD. Refused as a whole,
        # as a form with such bytes is, whether or not a route reads the field it is in.
        return json_depth(text) <= limits.max_json_depth and _REPLACEMENT not in text
    if kind == FORM:
        return _decodes_strictly(text)
    return True


_REPLACEMENT = "\ufffd"

_MESSAGE_BY_STATUS = {
    400: "error.body",
    413: "problem.too_large",
    415: "problem.unsupported_media_type",
}


def _decoded(body: str, base64_encoded: bool, limits: Limits) -> str | int:
    """The body as text, or the status that refuses it (413 too large, 400 not UTF-8)."""
    # Checked before decoding: the length of the text bounds the size of what it encodes.
    bound = limits.max_body_bytes * 4 // 3 + 4 if base64_encoded else limits.max_body_bytes * 4
    if len(body) > bound:
        return 413
    try:
        raw = base64.b64decode(body, validate=True) if base64_encoded else body.encode()
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeError):
        return 400
    return 413 if len(raw) > limits.max_body_bytes else text


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it.

    Brackets inside strings do not count; the text need not be valid JSON (the parser judges
    that afterwards, on a text now known to be shallow).
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _decodes_strictly(text: str) -> bool:
    """Percent-encoded bytes that are not UTF-8 (``name=%FF``) would otherwise be turned into
    U+FFFD by the form parser and stored as such."""
    try:
        parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True
