"""Signed links: what a mail lets its reader do without signing in (confirm, cancel, give
notice), and nothing else.

A token names what it is for (``purpose``), whom it is about (``subject``) and until when it
holds; an HMAC under the claim-key secret (``KeyedHash``, purpose ``link``) makes it
unforgeable and unchangeable. A link's GET only shows a page; its POST acts (mail scanners open
links). Tokens carry no personal data: the subject is an id.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import UTC, datetime

from verein.kernel.keyed_hash import KeyedHash

MAX_TOKEN_LENGTH = 400


class InvalidLink(ValueError):
    """Not a link this system made (tampered, truncated, another purpose)."""


class ExpiredLink(InvalidLink):
    """A genuine link whose time is up."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedLinks:
    def __init__(self, keyed_hash: KeyedHash) -> None:
        self._keyed_hash = keyed_hash

    def _signature(self, body: str) -> str:
        return _b64(bytes.fromhex(self._keyed_hash.digest("link", body))[:20])

    def issue(self, purpose: str, subject: str, expires_at: datetime) -> str:
        claims = {"p": purpose, "s": subject, "e": int(expires_at.timestamp())}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._signature(body)}"

    def subject(self, token: str, purpose: str, now: datetime | None = None) -> str:
        """The subject of a genuine, unexpired token for ``purpose``; else ``InvalidLink`` or
        ``ExpiredLink`` (checked after the signature: only a genuine link is "expired")."""
        body, _, signature = token.partition(".")
        if len(token) > MAX_TOKEN_LENGTH or not body or not signature:
            raise InvalidLink(purpose)
        if not hmac.compare_digest(signature.encode(), self._signature(body).encode()):
            raise InvalidLink(purpose)
        try:
            claims = json.loads(_unb64(body))
            found, subject, expires = claims["p"], claims["s"], claims["e"]
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise InvalidLink(purpose) from error
        if found != purpose or not isinstance(subject, str) or not isinstance(expires, int):
            raise InvalidLink(purpose)
        if (now or datetime.now(UTC)).timestamp() > expires:
            raise ExpiredLink(purpose)
        return subject
