"""Client-chosen idempotency keys (the ``Idempotency-Key`` header, a staff page's form id):
the same key never appends twice, and a retry gets the first answer."""

from __future__ import annotations

from pydantic import BaseModel

from verein.eventstore import Claim
from verein.kernel.keyed_hash import KeyedHash


class IdempotencyKeyReused(Exception):
    """The ``Idempotency-Key`` was used before with a different request: nothing was stored."""


def idempotency_claim(scope: str, key: str, request: BaseModel, keyed_hash: KeyedHash) -> Claim:
    """``key`` within ``scope`` (a stream): a keyed hash of both, and the fingerprint of the
    request, its kind and its fields, which tells a retry from a different request under that
    key (a leave must not pass for the retry of a join: they have the same fields)."""
    return Claim(
        "idempotency",
        keyed_hash.digest("idempotency", f"{scope}:{key}"),
        fingerprint=keyed_hash.digest(
            "request", f"{type(request).__name__}:{request.model_dump_json()}"
        ),
    )
