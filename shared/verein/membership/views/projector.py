"""Applies one commit from the change stream to the views, exactly once.

Why exactly once holds although the change stream delivers at least once and orders only per
item: each view remembers the version (``position``) of the last domain event it applied.
- A commit at or below that position was applied before: skipped.
- A commit that starts right after it is applied.
- A commit that starts further on (an earlier commit of the stream has not arrived yet) makes
  the projector read the missing domain events from the store and apply them first.
The view is written with a condition on the position it was read at, so two concurrent runs
cannot both apply the same change. All of this happens once per live generation (the served
one, and the one a rebuild is building), each with its own position.

Which generations are live is read from the control item at most every ``control_cache_s``
(a batch of the change stream shares one read, not one per commit); a rebuild waits that long
after it began building before it verifies, so a commit applied on an older read is still
found (``verein.changes.rebuild``).

Before a batch of the change stream, the projector reads the views of all its streams with one
``BatchGetItem`` per generation (``begin_batch``) and keeps what it saved since, so a commit
costs one conditional write instead of a read and a write. What it kept is never trusted
beyond the condition: a view changed by someone else (a rebuild's repair) fails the write, the
entry is forgotten, and the redelivered record reads afresh.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from verein.changes.rebuild import Difference, GenerationControl
from verein.eventstore import EventStore, RecordedEvent, RecordedStream
from verein.membership import streams
from verein.membership.views import summary as members
from verein.membership.views.store import VIEW, MemberViews, ViewChangedConcurrently
from verein.membership.views.summary import MemberSummary

CONTROL_CACHE_S = 1.0
"""How long a projector acts on one read of the live generations."""


class MemberDirectoryProjector:
    name = VIEW

    def __init__(
        self, store: EventStore, views: MemberViews, control_cache_s: float = CONTROL_CACHE_S
    ) -> None:
        self._store = store
        self._views = views
        self.control_cache_s = control_cache_s
        self._live: tuple[float, tuple[int, ...]] = (float("-inf"), ())
        self._batch: dict[tuple[int, str], MemberSummary | None] = {}
        """Views of this batch's members by (generation, member id); None: known missing."""

    def begin_batch(self, commits: Sequence[Sequence[RecordedEvent]]) -> None:
        self._batch = {}
        member_ids = sorted(
            {streams.member_id(c[0].stream_id) for c in commits if self._is_ours(c)}
        )
        if not member_ids:
            return
        for generation in self._live_generations():
            found = self._views.get_many(member_ids, generation)
            for member_id in member_ids:
                self._batch[(generation, member_id)] = found.get(member_id)

    @staticmethod
    def _is_ours(commit: Sequence[RecordedEvent]) -> bool:
        return bool(commit) and streams.is_membership(commit[0].stream_id)

    @property
    def generations(self) -> GenerationControl:
        return self._views.generations

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Apply one commit's domain events (a change record, read by the mapper) to every live
        generation (the served one and one being built); domain events of other streams are
        not this view's business."""
        if not self._is_ours(commit):
            return
        # Each generation has its own position: one that failed is redone on redelivery,
        # while the other skips the commit.
        for generation in self._live_generations():
            self._apply(commit, generation)

    def _live_generations(self) -> tuple[int, ...]:
        read_at, live = self._live
        if time.monotonic() - read_at >= self.control_cache_s:
            read_at = time.monotonic()  # before the read: the cache never outlives its promise
            live = self._views.generations.read().live
            self._live = (read_at, live)
        return live

    def _apply(self, commit: Sequence[RecordedEvent], generation: int) -> None:
        stream_id = commit[0].stream_id
        key = (generation, streams.member_id(stream_id))
        # Read ahead for this batch, or read now. Forgotten until the write succeeds, so a
        # failed write makes the redelivered record read afresh.
        prefetched = key in self._batch
        current = self._batch.pop(key) if prefetched else self._views.get(key[1], generation)
        summary = self._applied(commit, current)
        if summary is not current and summary is not None:
            position = current.position if current else 0
            self._views.save(summary, expected_position=position, generation=generation)
        if prefetched:
            self._batch[key] = summary

    def _applied(
        self, commit: Sequence[RecordedEvent], current: MemberSummary | None
    ) -> MemberSummary | None:
        """The view with the commit applied; ``current`` itself if it had it already."""
        position = current.position if current else 0
        first, last = commit[0].version, commit[-1].version
        if last <= position:
            return current
        if first > position + 1:
            recorded = self._store.load(commit[0].stream_id, after_version=position)
        else:
            recorded = [e for e in commit if e.version > position]
        summary = current
        for recorded_event in recorded:
            summary = members.apply(summary, recorded_event)
        return summary

    # --- rebuilding from the store (verein.changes.rebuild) ------------------------------

    def summarize(self, stream: RecordedStream) -> MemberSummary | None:
        """The summary computed from the whole stream, from scratch."""
        summary: MemberSummary | None = None
        for recorded_event in stream.events:
            summary = members.apply(summary, recorded_event)
        return summary

    def differences(
        self, streams_read: Sequence[RecordedStream], generation: int | None = None
    ) -> list[Difference]:
        expected = self._expected(streams_read)
        served = self._views.generations.read().current if generation is None else generation
        stored = self._views.get_many([s.member_id for s in expected.values()], served)
        found = (
            self._compare(key, summary, stored.get(summary.member_id))
            for key, summary in expected.items()
        )
        return [d for d in found if d is not None]

    def difference(
        self, stream: RecordedStream, generation: int | None = None
    ) -> Difference | None:
        found = self.differences([stream], generation)
        return found[0] if found else None

    def _expected(self, streams_read: Sequence[RecordedStream]) -> dict[str, MemberSummary]:
        """The summaries computed from the membership streams among these, by stream id."""
        computed = {
            s.stream_id: self.summarize(s)
            for s in streams_read
            if streams.is_membership(s.stream_id)
        }
        return {key: summary for key, summary in computed.items() if summary is not None}

    def _compare(
        self, key: str, expected: MemberSummary, stored: MemberSummary | None
    ) -> Difference | None:
        if stored == expected:
            return None
        if stored is None:
            return Difference(self.name, key, "missing")
        if stored.position < expected.position:
            return Difference(self.name, key, "stale")
        if stored.position == expected.position:
            return Difference(self.name, key, "different")
        return None  # the live projector is ahead of what read_all saw: nothing to repair

    def fill(self, streams_read: Sequence[RecordedStream], generation: int) -> None:
        self._views.put_many(list(self._expected(streams_read).values()), generation)

    def repair(
        self, stream: RecordedStream, generation: int | None = None, attempts: int = 5
    ) -> None:
        target = self._views.generations.read().current if generation is None else generation
        for _ in range(attempts):
            expected = self.summarize(stream)
            if expected is None:
                return
            stored = self._views.get(expected.member_id, target)
            if stored is not None and stored.position > expected.position:
                return  # the live projector is ahead (and applies the current logic too)
            try:
                position = stored.position if stored else 0
                self._views.save(expected, expected_position=position, generation=target)
            except ViewChangedConcurrently:
                events = tuple(self._store.load(stream.stream_id))
                stream = RecordedStream(stream.stream_id, events)
                continue
            return
        raise ViewChangedConcurrently(stream.stream_id)

    def drop(self, generation: int) -> int:
        return self._views.drop(generation)
