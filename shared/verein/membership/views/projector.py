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

from collections.abc import Mapping
from typing import Any

from verein.eventstore import EventStore
from verein.eventstore import mapper as codec
from verein.membership.views import summary as members
from verein.membership.views.store import MemberViews


class MemberDirectoryProjector:
    def __init__(self, store: EventStore, views: MemberViews) -> None:
        self._store = store
        self._views = views

    def apply_commit(self, item: Mapping[str, Any]) -> None:
        """Apply one commit item (a change record's ``NewImage``); ignore other items."""
        stream_id = str(item.get("stream_id", ""))
        if not codec.is_commit(item) or not stream_id.startswith("member#"):
            return
        member_id = stream_id.removeprefix("member#")
        current = self._views.get(member_id)
        position = current.position if current else 0
        first, last = int(item["version"]), int(item["last_version"])
        if last <= position:
            return
        if first > position + 1:
            recorded = self._store.load(stream_id, after_version=position)
        else:
            recorded = [e for e in codec.recorded_events(item) if e.version > position]
        summary = current
        for recorded_event in recorded:
            summary = members.apply(summary, recorded_event)
        if summary is not None:
            self._views.save(summary, expected_position=position)
