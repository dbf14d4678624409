"""The unique keys membership commands take with their domain events (see eventstore.Claim)."""

from __future__ import annotations

from pydantic import BaseModel

from verein.eventstore import Claim
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.mailbox import mailbox_key


def open_application_claim(email: str, keyed_hash: KeyedHash) -> Claim:
    """One open application per e-mail address; the key is a keyed hash, not the address."""
    key = keyed_hash.digest("membership-application", mailbox_key(email))
    return Claim("membership-application", key)


def idempotency_claim(scope: str, key: str, request: BaseModel, keyed_hash: KeyedHash) -> Claim:
    """A client-chosen ``Idempotency-Key`` within ``scope``: the same key never appends twice,
    and the fingerprint of ``request`` tells a retry from a different request under that key."""
    return Claim(
        "idempotency",
        keyed_hash.digest("idempotency", f"{scope}:{key}"),
        fingerprint=keyed_hash.digest("request", request.model_dump_json()),
    )


def member_number_claim(number: int) -> Claim:
    """A member number belongs to one membership, for good (never released, never reused)."""
    return Claim("member-number", str(number))
