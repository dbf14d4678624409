"""The event store's port: what the command side and the projectors may ask of it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    ``ClaimTaken``. A claim is held until an append of its stream releases it
    (``append(..., release=[claim])``); then another stream can take it.
    """

    namespace: str
    key: str
    fingerprint: str | None = None

    @property
    def claim_id(self) -> str:
        return f"claim#{self.namespace}#{self.key}"


@dataclass(frozen=True)
class RecordedStream:
    """One stream as ``read_all`` found it: its id and its domain events in version order.

    The events are gap-free from version 1 (``version`` is the last one's); a commit appended
    while ``read_all`` runs may be missing, and the change stream delivers it.
    """

    stream_id: str
    events: tuple[RecordedEvent, ...]

    @property
    def version(self) -> int:
        return self.events[-1].version if self.events else 0


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


class ClaimNotHeld(Exception):
    """An append would release a claim that another stream holds: nothing was written.

    Deliberately not a ``ClaimTaken``: use cases answer ``ClaimTaken`` with the first result
    (a repeated command), whereas releasing another stream's claim means the use case named a
    claim its stream never took: a programming error, not a retry.
    """

    def __init__(self, claim: Claim, stream_id: str, owner_stream_id: str) -> None:
        super().__init__(f"{claim.claim_id} is held by {owner_stream_id}, not by {stream_id}")
        self.claim = claim
        self.stream_id = stream_id
        self.owner_stream_id = owner_stream_id


MAX_CLAIMS_PER_APPEND = 99
"""Claims taken and released by one append: DynamoDB writes at most 100 items per transaction."""


def check_claims(claims: Sequence[Claim], release: Sequence[Claim]) -> None:
    """Refuse what one DynamoDB transaction cannot do: too many items, or one item twice."""
    ids = [c.claim_id for c in (*claims, *release)]
    if len(ids) > MAX_CLAIMS_PER_APPEND:
        raise ValueError(f"at most {MAX_CLAIMS_PER_APPEND} claims per append")
    if len(set(ids)) != len(ids):
        raise ValueError("an append may take or release each claim only once")


MAX_SEGMENTS = 1_000_000
"""DynamoDB's largest ``TotalSegments``."""


def check_segment(segment: int, total_segments: int) -> None:
    """Refuse a segment that does not exist (DynamoDB: ``0 <= Segment < TotalSegments``)."""
    if not 1 <= total_segments <= MAX_SEGMENTS or not 0 <= segment < total_segments:
        raise ValueError(f"no segment {segment} of {total_segments}")


class EventStore(Protocol):
    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        snapshot: Snapshot | None = None,
        claims: Sequence[Claim] = (),
        release: Sequence[Claim] = (),
    ) -> int:
        """Append all ``events`` atomically after ``expected_version``; return the new version.

        ``expected_version`` must be a head version this store returned (``head().version``,
        the last version of ``load()``, or an earlier ``append``'s result; 0 for a new stream).
        A stale one fails. A made-up one is a programming error that DynamoDB cannot detect
        without an extra read: the command runner only ever passes versions read from the store.

        ``claims`` are taken and ``release`` claims are given up in the same all-or-nothing
        write (e.g. the rejection of an application frees its e-mail address). A released
        claim must be held by this stream or be absent (then releasing it is a no-op); its
        fingerprint is not compared. Each claim may appear once in ``claims`` and ``release``
        together (``ValueError``); at most 99 of them per append (one DynamoDB transaction).

        Raises ``ConcurrencyError``, ``ClaimTaken`` or ``ClaimNotHeld``, in that order of
        precedence; in every case nothing is written.
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

    def claim_holder(self, claim: Claim) -> ClaimTaken | None:
        """What an append taking ``claim`` now would fail with (who holds it, with which
        fingerprint), or None if it is free: lets a use case tell a retried request from a
        different one before deciding (a decision may refuse a retry for its own reasons)."""
        ...

    def read_all(self, segment: int = 0, total_segments: int = 1) -> Iterator[RecordedStream]:
        """Every stream of the store with its domain events, for rebuilding views.

        Reads the store itself (the change stream keeps records for 24 hours only). The
        streams are split into ``total_segments`` disjoint segments that can be read in
        parallel (workers ``segment = 0 .. total_segments - 1``): all segments together yield
        every stream exactly once (``ValueError`` at the call for a segment that does not
        exist). Claims are not streams and are left out. The order of the streams is
        unspecified; each one's events are gap-free from version 1. Commits appended while the
        read runs may be missing (the stream is then a prefix of its history): they reach the
        views through the change stream as usual.

        DynamoDB: one parallel Scan segment (strongly consistent, paginated); a segment is
        held in memory until its Scan ends, so choose ``total_segments`` to keep it small.
        """
        ...
