"""Applies one commit from the change stream to the views, exactly once.

Why exactly once holds although the change stream delivers at least once and orders only per
item: each view remembers the version (``position``) of the last domain event it applied.
- A commit at or below that position was applied before: skipped.
- A commit that starts right after it is applied.
- A commit that starts further on (an earlier commit of the stream has not arrived yet) makes
  the projector read the missing domain events from the store and apply them first.
The view is written with a condition on the position it was read at, so two concurrent runs
cannot both apply the same change.
"""

from __future__ import annotations

from collections.abc import Sequence

from verein.changes.rebuild import Difference
from verein.eventstore import EventStore, RecordedEvent, RecordedStream
from verein.membership import streams
from verein.membership.views import summary as members
from verein.membership.views.store import MemberViews, ViewChangedConcurrently
from verein.membership.views.summary import MemberSummary


class MemberDirectoryProjector:
    name = "membership.directory"

    def __init__(self, store: EventStore, views: MemberViews) -> None:
        self._store = store
        self._views = views

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Apply one commit's domain events (a change record, read by the mapper); domain
        events of other streams are not this view's business."""
        if not commit or not streams.is_membership(commit[0].stream_id):
            return
        stream_id = commit[0].stream_id
        current = self._views.get(streams.member_id(stream_id))
        position = current.position if current else 0
        first, last = commit[0].version, commit[-1].version
        if last <= position:
            return
        if first > position + 1:
            recorded = self._store.load(stream_id, after_version=position)
        else:
            recorded = [e for e in commit if e.version > position]
        summary = current
        for recorded_event in recorded:
            summary = members.apply(summary, recorded_event)
        if summary is not None:
            self._views.save(summary, expected_position=position)

    # --- rebuilding from the store (verein.changes.rebuild) ------------------------------

    def summarize(self, stream: RecordedStream) -> MemberSummary | None:
        """The summary computed from the whole stream, from scratch."""
        summary: MemberSummary | None = None
        for recorded_event in stream.events:
            summary = members.apply(summary, recorded_event)
        return summary

    def difference(self, stream: RecordedStream) -> Difference | None:
        if not streams.is_membership(stream.stream_id):
            return None
        expected = self.summarize(stream)
        stored = self._views.get(streams.member_id(stream.stream_id))
        key = stream.stream_id
        if expected is None or stored == expected:
            return None
        if stored is None:
            return Difference(self.name, key, "missing")
        if stored.position < expected.position:
            return Difference(self.name, key, "stale")
        if stored.position == expected.position:
            return Difference(self.name, key, "different")
        return None  # the live projector is ahead of what read_all saw: nothing to repair

    def repair(self, stream: RecordedStream, attempts: int = 5) -> None:
        for _ in range(attempts):
            expected = self.summarize(stream)
            if expected is None:
                return
            stored = self._views.get(expected.member_id)
            if stored is not None and stored.position > expected.position:
                return  # the live projector is ahead (and applies the current logic too)
            try:
                self._views.save(expected, expected_position=stored.position if stored else 0)
            except ViewChangedConcurrently:
                events = tuple(self._store.load(stream.stream_id))
                stream = RecordedStream(stream.stream_id, events)
                continue
            return
        raise ViewChangedConcurrently(stream.stream_id)
