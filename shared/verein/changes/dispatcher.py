"""Dispatch each commit from the change stream to the handlers registered for it.

The contract a handler (a projection or a reactor) signs: it is idempotent for a commit it has
applied already (projections by their position check, reactors by a claim or an outbox key),
because a record comes again whenever any handler failed on it. Failures are isolated: every
handler gets every commit, the record is reported failed if any of them raised, and only the
handlers that failed do work on the redelivery. Claims are not domain events: skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from verein.eventstore import RecordedEvent
from verein.eventstore.mapper import Mapper, is_commit


class CommitHandler(Protocol):
    name: str

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Apply one commit's domain events, exactly once in effect (see the module doc)."""
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
