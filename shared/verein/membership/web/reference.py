"""The short reference a person sees for an application, instead of its UUID."""

from __future__ import annotations

import hashlib
import re

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so nothing is misread when it is read out or typed."""

PATTERN = re.compile(r"A-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
"""``A`` (Antrag, application), then 8 characters in two groups: ``A-7K3M-Q2XD``."""


def reference(application_id: str) -> str:
    """8 characters (40 bits) of a hash of the id: the same id always gives the same
    reference, and it tells nothing about the id's other bits. 40 bits are plenty for people
    telling applications apart; it is not a key (the id is)."""
    number = int.from_bytes(hashlib.sha256(application_id.encode()).digest()[:5], "big")
    chars = "".join(_CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"A-{chars[:4]}-{chars[4:]}"


def is_reference(text: str | None) -> bool:
    """Whether ``text`` has the shape of a reference (a page shows nothing else from a URL)."""
    return bool(text) and PATTERN.fullmatch(text or "") is not None
