"""The unique keys membership commands take with their domain events (see eventstore.Claim);
idempotency keys are the kernel's (``verein.kernel.idempotency``)."""

from __future__ import annotations

from verein.eventstore import Claim
from verein.kernel.idempotency import idempotency_claim
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.mailbox import mailbox_key


def open_application_claim(email: str, keyed_hash: KeyedHash) -> Claim:
    """One open application per e-mail address; the key is a keyed hash, not the address."""
    key = keyed_hash.digest("membership-application", mailbox_key(email))
    return Claim("membership-application", key)


def member_number_claim(number: int) -> Claim:
    """A member number belongs to one membership, for good (never released, never reused)."""
    return Claim("member-number", str(number))


__all__ = ["idempotency_claim", "member_number_claim", "open_application_claim"]
