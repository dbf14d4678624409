"""Verify views against the event store, and rebuild them from it into a new generation.

Views are disposable: the event-store table holds everything (the change stream only 24 h).
``verify`` recomputes each view from its stream (``read_all`` in parallel segments) and lists
what differs from the view served now (the ``current`` generation).

``rebuild`` never touches the served generation. Each view's control item names a
``current`` generation, which readers read, and at most one ``building`` generation; the live
projector writes every domain event to both (``Generations.live``), so nothing applied during
a rebuild is missing from the new generation. The rebuild:

1. takes the building generation ``current + 1`` with a lease (the control item is written
   conditionally on its ``revision``: a second rebuild fails with ``RebuildInProgress``; one
   whose lease ran out, after a crash, is taken over, its items are filled again);
2. fills it from ``read_all`` with unconditional batches, comparing with the served
   generation for the report on the way;
3. verifies it with a second ``read_all`` and repairs what differs under the projector's
   position condition. The batches of step 2 may have overwritten a view the projector had
   moved on meanwhile; every such view is behind its stream, and this pass starts after the
   last batch, so it finds and repairs them all;
4. switches ``current`` to it with a conditional write (``GenerationSwitchLost`` if another
   rebuild took over);
5. after ``retire_after_s`` (longer than any function that read the old ``current`` may still
   run) deletes the old generation's items, which the control item lists as ``retired`` until
   then: a rebuild that stopped before deleting them has the next rebuild delete them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from verein.eventstore import EventStore, RecordedStream

BATCH = 100
"""Streams handed to a view at once: one BatchGetItem reads up to 100 items."""


@dataclass(frozen=True)
class Difference:
    view: str
    key: str
    problem: str
    """``missing``, ``stale`` (behind the stream), or ``different`` (same position, other
    content)."""


@dataclass(frozen=True)
class Generations:
    """A view's control item. No item yet means generation 1 alone (revision 0)."""

    current: int = 1
    building: int | None = None
    owner: str | None = None
    """The rebuild that builds ``building``; it keeps it while ``lease_until`` lies ahead."""
    lease_until: float = 0.0
    retired: int | None = None
    """The generation ``current`` replaced, deleted once ``retired_until`` has passed."""
    retired_until: float = 0.0
    revision: int = 0
    """Counts writes of the control item: every write is conditional on the one it read."""

    @property
    def live(self) -> tuple[int, ...]:
        """The generations the projector keeps up to date."""
        return (self.current,) if self.building is None else (self.current, self.building)

    def following(self, **changes: object) -> Generations:
        """The next revision of this control item, with ``changes``."""
        return dataclasses.replace(self, revision=self.revision + 1, **changes)  # type: ignore[arg-type]


class GenerationsChanged(Exception):
    """The control item is no longer at the revision the write expected; nothing written."""


class RebuildInProgress(Exception):
    """Another rebuild holds the view's building generation (its lease has not run out)."""

    def __init__(self, view: str, generations: Generations) -> None:
        super().__init__(
            f"{view}: another rebuild is building generation {generations.building} "
            f"(lease until {time.strftime('%H:%M:%S', time.localtime(generations.lease_until))});"
            " try again when it is done, or after its lease ran out if it crashed"
        )
        self.generations = generations


class GenerationSwitchLost(Exception):
    """This rebuild no longer owns the building generation (another one took it over)."""

    def __init__(self, view: str, generations: Generations) -> None:
        super().__init__(
            f"{view}: generation {generations.building} is no longer this rebuild's to switch "
            f"to (current {generations.current}); nothing switched"
        )
        self.generations = generations


class GenerationControl(Protocol):
    def read(self) -> Generations:
        """The control item, strongly consistent."""
        ...

    def write(self, expected: Generations, new: Generations) -> None:
        """Replace the control item if it is still at ``expected.revision``, else
        ``GenerationsChanged``."""
        ...


class RebuildableView(Protocol):
    name: str
    control_cache_s: float
    """How long its live projector acts on one read of the generations (see ``rebuild``)."""

    @property
    def generations(self) -> GenerationControl: ...

    def differences(
        self, streams: Sequence[RecordedStream], generation: int | None = None
    ) -> list[Difference]:
        """How the stored views of ``streams`` (in ``generation``, else the current one)
        differ from those computed from them."""
        ...

    def fill(self, streams: Sequence[RecordedStream], generation: int) -> None:
        """Write the views computed from ``streams`` into a building generation, unconditionally
        (step 3 of the module doc repairs what this overwrote)."""
        ...

    def repair(self, stream: RecordedStream, generation: int | None = None) -> None:
        """Write the view computed from ``stream`` under the projector's position condition."""
        ...

    def drop(self, generation: int) -> int:
        """Delete every item of a generation that is not live; how many there were."""
        ...


@dataclass
class Progress:
    phase: str = ""
    streams: int = 0
    domain_events: int = 0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, streams: Iterable[RecordedStream]) -> None:
        with self._lock:
            for stream in streams:
                self.streams += 1
                self.domain_events += len(stream.events)

    def line(self) -> str:
        seconds = max(time.monotonic() - self.started, 1e-9)
        return (
            f"{self.phase + ': ' if self.phase else ''}"
            f"{self.streams} streams, {self.domain_events} domain events "
            f"({self.streams / seconds:,.0f} streams/s, "
            f"{self.domain_events / seconds:,.0f} domain events/s)"
        )


@dataclass(frozen=True)
class Switch:
    view: str
    old: int
    new: int
    repaired: int
    """Views the verification pass repaired (written meanwhile, or overwritten by the fill)."""
    deleted: int | None = None
    """Items of the old generation deleted; None while it is still retired."""


@dataclass
class Report:
    differences: list[Difference]
    """``verify``: what differs from the served views; ``rebuild``: what differed from the
    generation served before the switch."""
    progress: Progress
    switches: list[Switch] = field(default_factory=list)


@dataclass(frozen=True)
class Timing:
    lease_s: float = 60.0
    """How long a rebuild holds its building generation without renewing (every third)."""
    retire_after_s: float = 60.0
    """How long the old generation stays after the switch: longer than the functions that
    read views may run (their timeout, 10 s), as they read the control item per request."""
    projector_lag_s: float | None = None
    """How long after the build began a live projector may still act on an older read of the
    generations: None is their ``control_cache_s`` plus a second (clock skew); 0 where no
    projector runs meanwhile."""
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def verify(
    store: EventStore,
    views: Sequence[RebuildableView],
    segments: int = 4,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> Report:
    """What differs between the served views and the store."""
    progress = Progress("verify")

    def compare(batch: Sequence[RecordedStream]) -> list[Difference]:
        return [d for view in views for d in view.differences(batch)]

    found = _scan(store, segments, progress, on_progress, compare)
    return Report(_sorted(found), progress)


def rebuild(
    store: EventStore,
    views: Sequence[RebuildableView],
    segments: int = 4,
    on_progress: Callable[[Progress], None] = lambda _: None,
    *,
    on_step: Callable[[str], None] = lambda _: None,
    timing: Timing = Timing(),
) -> Report:
    """Build, verify and switch to a new generation of every view (module doc)."""
    owner = uuid.uuid4().hex
    builds: list[Generations] = []
    try:
        builds += [_begin(view, owner, timing, on_step) for view in views]
        began = timing.clock()
        with _Heartbeat(views, owner, timing):
            progress, found = _fill(store, views, builds, segments, on_progress)
            # A projector may still act on a read of the generations from before the build
            # began; every commit it applied that way was written before that read expired.
            if (wait := began + _projector_lag(views, timing) - timing.clock()) > 0:
                timing.sleep(wait)
            repaired = _check(store, views, builds, segments, on_progress)
    except BaseException:
        _release(views, owner)
        raise
    switches = [
        _switch(view, owner, timing, on_step, count)
        for view, count in zip(views, repaired, strict=True)
    ]
    switches = _retire_all(views, switches, timing, on_step)
    return Report(_sorted(found), progress, switches)


# --- the steps ---------------------------------------------------------------------------------


def _begin(
    view: RebuildableView, owner: str, timing: Timing, on_step: Callable[[str], None]
) -> Generations:
    state = view.generations.read()
    if state.retired is not None:  # a rebuild stopped before deleting what it replaced
        _retire(view, state.retired, state.retired_until, timing, on_step)
        state = view.generations.read()
    if state.building is not None and state.lease_until > timing.clock():
        raise RebuildInProgress(view.name, state)
    building = state.current + 1  # the same number when an abandoned build is taken over
    new = state.following(
        building=building, owner=owner, lease_until=timing.clock() + timing.lease_s
    )
    try:
        view.generations.write(state, new)
    except GenerationsChanged as error:  # another rebuild began between read and write
        raise RebuildInProgress(view.name, view.generations.read()) from error
    taking_over = " (taking over an abandoned build)" if state.building is not None else ""
    on_step(f"{view.name}: building generation {building}{taking_over}")
    return new


def _fill(
    store: EventStore,
    views: Sequence[RebuildableView],
    builds: Sequence[Generations],
    segments: int,
    on_progress: Callable[[Progress], None],
) -> tuple[Progress, list[Difference]]:
    progress = Progress("build")

    def fill(batch: Sequence[RecordedStream]) -> list[Difference]:
        found: list[Difference] = []
        for view, build in zip(views, builds, strict=True):
            found += view.differences(batch, build.current)  # for the report only
            view.fill(batch, _building(build))
        return found

    return progress, _scan(store, segments, progress, on_progress, fill)


def _check(
    store: EventStore,
    views: Sequence[RebuildableView],
    builds: Sequence[Generations],
    segments: int,
    on_progress: Callable[[Progress], None],
) -> list[int]:
    """Verify every building generation and repair it; how many views each needed."""
    progress = Progress("verify")

    def check(batch: Sequence[RecordedStream]) -> list[Difference]:
        by_key = {stream.stream_id: stream for stream in batch}
        found: list[Difference] = []
        for view, build in zip(views, builds, strict=True):
            for difference in view.differences(batch, _building(build)):
                view.repair(by_key[difference.key], _building(build))
                found.append(difference)
        return found

    found = _scan(store, segments, progress, on_progress, check)
    return [sum(1 for d in found if d.view == view.name) for view in views]


def _switch(
    view: RebuildableView,
    owner: str,
    timing: Timing,
    on_step: Callable[[str], None],
    repaired: int,
) -> Switch:
    state = view.generations.read()
    if state.owner != owner or state.building is None:
        raise GenerationSwitchLost(view.name, state)
    new = state.following(
        current=state.building,
        building=None,
        owner=None,
        lease_until=0.0,
        retired=state.current,
        retired_until=timing.clock() + timing.retire_after_s,
    )
    try:
        view.generations.write(state, new)
    except GenerationsChanged as error:
        raise GenerationSwitchLost(view.name, view.generations.read()) from error
    on_step(f"{view.name}: generation {new.current} verified and now served (was {state.current})")
    return Switch(view.name, state.current, new.current, repaired)


def _retire_all(
    views: Sequence[RebuildableView],
    switches: list[Switch],
    timing: Timing,
    on_step: Callable[[str], None],
) -> list[Switch]:
    done = []
    for view, switch in zip(views, switches, strict=True):
        until = view.generations.read().retired_until
        deleted = _retire(view, switch.old, until, timing, on_step)
        done.append(dataclasses.replace(switch, deleted=deleted))
    return done


def _retire(
    view: RebuildableView,
    generation: int,
    until: float,
    timing: Timing,
    on_step: Callable[[str], None],
) -> int:
    """Delete a retired generation once no reader can still be reading it."""
    wait = until - timing.clock()
    if wait > 0:
        on_step(f"{view.name}: deleting generation {generation} in {wait:.0f} s")
        timing.sleep(wait)
    deleted = view.drop(generation)
    while (state := view.generations.read()).retired == generation:
        try:
            view.generations.write(state, state.following(retired=None, retired_until=0.0))
        except GenerationsChanged:
            continue  # another rebuild wrote meanwhile: look again
    on_step(f"{view.name}: generation {generation} deleted ({deleted} items)")
    return deleted


def _release(views: Sequence[RebuildableView], owner: str) -> None:
    """A failed rebuild lets the next one take over its building generation at once."""
    for view in views:
        state = view.generations.read()
        if state.owner == owner:
            with contextlib.suppress(GenerationsChanged):  # taken over: not ours to release
                view.generations.write(state, state.following(lease_until=0.0))


def _projector_lag(views: Sequence[RebuildableView], timing: Timing) -> float:
    if timing.projector_lag_s is not None:
        return timing.projector_lag_s
    return max(view.control_cache_s for view in views) + 1.0


def _building(build: Generations) -> int:
    if build.building is None:
        raise ValueError("not a building generation")
    return build.building


class _Heartbeat:
    """Renews the rebuild's leases every third of their length while it builds."""

    def __init__(self, views: Sequence[RebuildableView], owner: str, timing: Timing) -> None:
        self._views = views
        self._owner = owner
        self._timing = timing
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rebuild-lease", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._timing.lease_s / 3):
            for view in self._views:
                # A missed renewal risks only a takeover, which the switch detects itself.
                try:
                    self._renew(view)
                except Exception:  # noqa: S112 - a network hiccup: try again next time
                    continue

    def _renew(self, view: RebuildableView) -> None:
        state = view.generations.read()
        if state.owner == self._owner:
            lease = self._timing.clock() + self._timing.lease_s
            view.generations.write(state, state.following(lease_until=lease))


# --- reading the store -------------------------------------------------------------------------


def _scan(
    store: EventStore,
    segments: int,
    progress: Progress,
    on_progress: Callable[[Progress], None],
    step: Callable[[Sequence[RecordedStream]], list[Difference]],
) -> list[Difference]:
    """``step`` on every stream, in batches, ``segments`` in parallel."""
    found: list[Difference] = []
    lock = threading.Lock()

    def work(segment: int) -> None:
        for batch in _batches(store.read_all(segment, segments)):
            result = step(batch)
            with lock:
                found.extend(result)
            progress.count(batch)
            on_progress(progress)

    with ThreadPoolExecutor(max_workers=segments) as pool:
        for outcome in [pool.submit(work, s) for s in range(segments)]:
            outcome.result()
    return found


def _batches(streams: Iterable[RecordedStream]) -> Iterator[list[RecordedStream]]:
    batch: list[RecordedStream] = []
    for stream in streams:
        batch.append(stream)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sorted(differences: Iterable[Difference]) -> list[Difference]:
    return sorted(differences, key=lambda d: (d.view, d.key))
