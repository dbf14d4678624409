"""Dispatch each commit from the change stream to the handlers registered for it.

The contract a handler (a projection or a reactor) signs: it is idempotent for a commit it has
applied already (projections by their position check, reactors by a claim or an outbox key),
because a record comes again whenever any handler failed on it. Failures are isolated: every
handler gets every commit, the record is reported failed if any of them raised, and only the
handlers that failed do work on the redelivery. Claims are not domain events: skipped.

A handler may also look at a whole batch before its records are dispatched one by one
(``BatchAware.begin_batch``): the projector reads the views of every stream in the batch with
one request instead of one per commit. What it reads ahead is only a guess that saves a read;
its writes stay conditional, so a guess gone stale fails the record, never the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from verein.eventstore import RecordedEvent
from verein.eventstore.mapper import Mapper, is_commit


class CommitHandler(Protocol):
    name: str

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Apply one commit's domain events, exactly once in effect (see the module doc)."""
        ...


@runtime_checkable
class BatchAware(Protocol):
    def begin_batch(self, commits: Sequence[Sequence[RecordedEvent]]) -> None:
        """The commits of the batch about to be dispatched, in order; forgets the last batch."""
        ...


class HandlersFailed(Exception):
    """Some handlers failed on a commit; the others applied it. The record must come again."""

    def __init__(self, stream_id: str, failures: Mapping[str, BaseException]) -> None:
        names = ", ".join(sorted(failures))
        super().__init__(f"{stream_id}: {names} failed")
        self.failures = dict(failures)


class Dispatcher:
    def __init__(self, mapper: Mapper, handlers: Sequence[CommitHandler]) -> None:
        names = [h.name for h in handlers]
        if len(set(names)) != len(names):
            raise ValueError(f"handler names must be unique: {names}")
        self._mapper = mapper
        self._handlers = tuple(handlers)

    def begin_batch(self, items: Sequence[Mapping[str, Any]]) -> None:
        """The new images of a batch's records, before they are dispatched one by one.

        Only a saving: a handler that fails here reads for itself later, so nothing is lost.
        A record the mapper cannot read is left to ``dispatch``, which reports it.
        """
        aware = [h for h in self._handlers if isinstance(h, BatchAware)]
        if not aware:
            return
        commits = []
        for item in items:
            try:
                if is_commit(item):
                    commits.append(self._mapper.recorded_events(item))
            except Exception:  # noqa: S112 - dispatch reports this record itself
                continue
        for handler in aware:
            try:
                handler.begin_batch(commits)
            except Exception:  # noqa: S112 - it reads per commit instead
                continue

    def dispatch(self, item: Mapping[str, Any]) -> None:
        """One change record's new image."""
        if not is_commit(item):
            return
        commit = self._mapper.recorded_events(item)
        failures: dict[str, BaseException] = {}
        for handler in self._handlers:
            try:
                handler.apply(commit)
            except Exception as error:  # isolated: the next handler still gets the commit
                failures[handler.name] = error
        if failures:
            raise HandlersFailed(commit[0].stream_id, failures)
