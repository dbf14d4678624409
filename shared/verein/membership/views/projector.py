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

from verein.eventstore import EventStore, RecordedEvent
from verein.membership import streams
from verein.membership.views import summary as members
from verein.membership.views.store import MemberViews


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
