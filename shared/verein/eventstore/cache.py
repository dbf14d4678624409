"""A head cache in front of any event store: a warm container decides without reading.

After a successful append this container knows the stream's new head (version and snapshot).
The next command on that stream can decide on it and append at ``version + 1`` straight away:
if anyone else appended in between, their commit occupies exactly that key, the conditional
write fails with ``ConcurrencyError``, the entry is dropped and the command runner retries on a
fresh read. So the cache can make a decision stale but never a write wrong, and an
uncontended command costs one write request and no read.

Bounded (least recently used entries go first), per process; nothing else is cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence

from verein.eventstore.port import (
    Claim,
    ClaimTaken,
    ConcurrencyError,
    EventStore,
    RecordedStream,
    Snapshot,
    StreamHead,
)
from verein.kernel.domain_events import NewEvent, RecordedEvent


class HeadCachingEventStore:
    def __init__(self, store: EventStore, max_streams: int = 1024) -> None:
        self._store = store
        self._max = max_streams
        self._heads: OrderedDict[str, StreamHead] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

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
        try:
            version = self._store.append(
                stream_id,
                expected_version,
                events,
                snapshot=snapshot,
                claims=claims,
                release=release,
            )
        except ConcurrencyError:
            self._forget(stream_id)
            raise
        if snapshot is not None:
            self._remember(stream_id, StreamHead(version=version, snapshot=snapshot))
        else:
            self._forget(stream_id)
        return version

    def head(self, stream_id: str) -> StreamHead:
        with self._lock:
            cached = self._heads.get(stream_id)
            if cached is not None:
                self._heads.move_to_end(stream_id)
                self.hits += 1
                return cached
            self.misses += 1
        head = self._store.head(stream_id)
        if head.version > 0 and head.snapshot is not None:
            self._remember(stream_id, head)
        return head

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        return self._store.load(stream_id, after_version)

    def claim_owner(self, claim: Claim) -> str | None:
        return self._store.claim_owner(claim)

    def claim_holder(self, claim: Claim) -> ClaimTaken | None:
        return self._store.claim_holder(claim)

    def read_all(self, segment: int = 0, total_segments: int = 1) -> Iterator[RecordedStream]:
        # Not cached, and not used to fill the cache: a rebuild reads every stream once, and
        # its heads would only push this environment's own streams out.
        return self._store.read_all(segment, total_segments)

    def _remember(self, stream_id: str, head: StreamHead) -> None:
        with self._lock:
            current = self._heads.get(stream_id)
            if current is not None and current.version > head.version:
                return  # another thread of this process already saw a newer head
            self._heads[stream_id] = head
            self._heads.move_to_end(stream_id)
            while len(self._heads) > self._max:
                self._heads.popitem(last=False)

    def _forget(self, stream_id: str) -> None:
        with self._lock:
            self._heads.pop(stream_id, None)
