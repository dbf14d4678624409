"""An in-memory event store with the same guarantees as the DynamoDB one: for unit tests."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from verein.eventstore.mapper import Mapper, snapshot_of
from verein.eventstore.port import (
    Claim,
    ClaimNotHeld,
    ClaimTaken,
    ConcurrencyError,
    RecordedStream,
    Snapshot,
    StreamHead,
    check_claims,
    check_segment,
)
from verein.kernel.domain_events import NewEvent, RecordedEvent, utc_now


class InMemoryEventStore:
    def __init__(self, mapper: Mapper) -> None:
        self._mapper = mapper
        self._lock = threading.Lock()
        self._commits: dict[str, list[dict[str, Any]]] = {}
        self._claims: dict[str, tuple[str, str | None]] = {}
        self.appended: list[dict[str, Any]] = []
        """Every commit item in append order: what a change stream would deliver."""

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
        if not events:
            raise ValueError("append needs at least one domain event")
        check_claims(claims, release)
        with self._lock:
            commits = self._commits.get(stream_id, [])
            current = int(commits[-1]["last_version"]) if commits else 0
            if current != expected_version:
                raise ConcurrencyError(stream_id, expected_version)
            for claim in claims:
                taken = self._claims.get(claim.claim_id)
                if taken is not None:
                    raise ClaimTaken(claim, *taken)
            for claim in release:
                held = self._claims.get(claim.claim_id)
                if held is not None and held[0] != stream_id:
                    raise ClaimNotHeld(claim, stream_id, held[0])
            item = self._mapper.commit_item(
                stream_id, expected_version + 1, events, snapshot, utc_now()
            )
            self._commits.setdefault(stream_id, []).append(item)
            for claim in claims:
                self._claims[claim.claim_id] = (stream_id, claim.fingerprint)
            for claim in release:
                self._claims.pop(claim.claim_id, None)
            self.appended.append(item)
            return int(item["last_version"])

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        with self._lock:
            commits = list(self._commits.get(stream_id, []))
        return [
            e
            for item in commits
            if int(item["last_version"]) > after_version
            for e in self._mapper.recorded_events(item)
            if e.version > after_version
        ]

    def head(self, stream_id: str) -> StreamHead:
        with self._lock:
            commits = self._commits.get(stream_id, [])
            if not commits:
                return StreamHead(version=0, snapshot=None)
            last = commits[-1]
        return StreamHead(version=int(last["last_version"]), snapshot=snapshot_of(last))

    def claim_owner(self, claim: Claim) -> str | None:
        with self._lock:
            taken = self._claims.get(claim.claim_id)
        return taken[0] if taken else None

    def claim_holder(self, claim: Claim) -> ClaimTaken | None:
        with self._lock:
            taken = self._claims.get(claim.claim_id)
        return ClaimTaken(claim, *taken) if taken else None

    def read_all(self, segment: int = 0, total_segments: int = 1) -> Iterator[RecordedStream]:
        """Streams split into segments by a stable hash of their id (CRC-32), as of the call."""
        check_segment(segment, total_segments)
        with self._lock:
            streams = [
                (stream_id, list(commits))
                for stream_id, commits in self._commits.items()
                if zlib.crc32(stream_id.encode()) % total_segments == segment
            ]
        return (
            RecordedStream(
                stream_id, tuple(e for item in commits for e in self._mapper.recorded_events(item))
            )
            for stream_id, commits in streams
        )
