"""The event store's port: what the command side and the projectors may ask of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from verein.kernel.domain_events import NewEvent, RecordedEvent


@dataclass(frozen=True)
class Claim:
    """A unique key that an append takes atomically with its domain events.

    Used for natural-key uniqueness and idempotency ("one open application per e-mail"):
    if another stream already holds the key, the whole append fails with ``ClaimTaken``.
    ``key`` should not contain personal data in clear text (use a keyed hash).
    ``fingerprint`` identifies the request that takes the claim (an idempotency key reused
    with another request is a client error); it is stored with the claim and handed back in
    ``ClaimTaken``.
    """

    namespace: str
    key: str
    fingerprint: str | None = None

    @property
    def claim_id(self) -> str:
        return f"claim#{self.namespace}#{self.key}"


@dataclass(frozen=True)
class Snapshot:
    """Decision state of a stream after its latest commit, stored in that commit's item."""

    schema: str
    data: str


@dataclass(frozen=True)
class StreamHead:
    """What a decision needs: the stream's version and, if present, its latest snapshot."""

    version: int
    snapshot: Snapshot | None


class ConcurrencyError(Exception):
    """The stream moved on since ``expected_version``: nothing was written."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


class CommitTooLarge(ValueError):
    """The domain events of one append do not fit into one item (DynamoDB: 400 KB)."""


class ClaimTaken(Exception):
    """A claimed unique key belongs to another stream: nothing was written."""

    def __init__(
        self, claim: Claim, owner_stream_id: str, owner_fingerprint: str | None = None
    ) -> None:
        super().__init__(f"{claim.claim_id} is held by {owner_stream_id}")
        self.claim = claim
        self.owner_stream_id = owner_stream_id
        self.owner_fingerprint = owner_fingerprint
        """The fingerprint stored with the claim by the append that took it."""

    @property
    def same_request(self) -> bool:
        """True when the claim was taken by the same request (a retry), not a different one."""
        return self.owner_fingerprint == self.claim.fingerprint


class EventStore(Protocol):
    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        snapshot: Snapshot | None = None,
        claims: Sequence[Claim] = (),
    ) -> int:
        """Append all ``events`` atomically after ``expected_version``; return the new version.

        ``expected_version`` must be a head version this store returned (``head().version``,
        the last version of ``load()``, or an earlier ``append``'s result; 0 for a new stream).
        A stale one fails. A made-up one is a programming error that DynamoDB cannot detect
        without an extra read: the command runner only ever passes versions read from the store.
        Raises ``ConcurrencyError`` or ``ClaimTaken``; in both cases nothing is written.
        """
        ...

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """All domain events of the stream with a version above ``after_version``, in order."""
        ...

    def head(self, stream_id: str) -> StreamHead:
        """The stream's current version and latest snapshot, reading one item."""
        ...

    def claim_owner(self, claim: Claim) -> str | None:
        """The stream that holds ``claim``, if any."""
        ...
