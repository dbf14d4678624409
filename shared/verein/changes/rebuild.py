"""Verify views against the event store, and rebuild them from it.

Views are disposable: the event-store table holds everything (the change stream only 24 h).
``verify`` recomputes each view from its stream (``read_all`` in parallel segments) and lists
what differs from the stored view; ``rebuild`` writes the recomputed view wherever it differs,
with the same position condition the live projector uses, so the two never overwrite each
other's newer work and the service keeps answering meanwhile (no empty or half-built lists:
each view is replaced, never removed first). A view that the live projector moved on while
the rebuild computed it is recomputed from the store and tried again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from verein.eventstore import EventStore, RecordedStream


@dataclass(frozen=True)
class Difference:
    view: str
    key: str
    problem: str
    """``missing``, ``stale`` (behind the stream), or ``different`` (same position, other
    content)."""


class RebuildableView(Protocol):
    name: str

    def difference(self, stream: RecordedStream) -> Difference | None:
        """How the stored view of ``stream`` differs from one computed from it, if at all."""
        ...

    def repair(self, stream: RecordedStream) -> None:
        """Write the view computed from ``stream`` where the stored one differs."""
        ...


@dataclass
class Progress:
    streams: int = 0
    domain_events: int = 0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, stream: RecordedStream) -> None:
        with self._lock:
            self.streams += 1
            self.domain_events += len(stream.events)

    def line(self) -> str:
        seconds = max(time.monotonic() - self.started, 1e-9)
        return (
            f"{self.streams} streams, {self.domain_events} domain events "
            f"({self.streams / seconds:,.0f} streams/s, "
            f"{self.domain_events / seconds:,.0f} domain events/s)"
        )


@dataclass
class Report:
    differences: list[Difference]
    progress: Progress


def verify(
    store: EventStore,
    views: Sequence[RebuildableView],
    segments: int = 4,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> Report:
    return _run(store, views, segments, on_progress, repair=False)


def rebuild(
    store: EventStore,
    views: Sequence[RebuildableView],
    segments: int = 4,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> Report:
    """Repair every view that differs; the report lists what was repaired."""
    return _run(store, views, segments, on_progress, repair=True)


def _run(
    store: EventStore,
    views: Sequence[RebuildableView],
    segments: int,
    on_progress: Callable[[Progress], None],
    *,
    repair: bool,
) -> Report:
    progress = Progress()
    differences: list[Difference] = []
    lock = threading.Lock()

    def work(segment: int) -> None:
        for stream in store.read_all(segment, segments):
            found = list(_differences(views, stream))
            if repair:
                for view in views:
                    if any(d.view == view.name for d in found):
                        view.repair(stream)
            with lock:
                differences.extend(found)
            progress.count(stream)
            on_progress(progress)

    with ThreadPoolExecutor(max_workers=segments) as pool:
        for outcome in [pool.submit(work, s) for s in range(segments)]:
            outcome.result()
    return Report(sorted(differences, key=lambda d: (d.view, d.key)), progress)


def _differences(views: Iterable[RebuildableView], stream: RecordedStream) -> Iterable[Difference]:
    for view in views:
        difference = view.difference(stream)
        if difference is not None:
            yield difference
