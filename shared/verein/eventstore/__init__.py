"""The event store: the system's only source of truth.

Promises (each proven by the named tests; ARCHITECTURE.md lists them too):

1. Optimistic concurrency: an append after a stale ``expected_version`` raises
   ``ConcurrencyError`` and writes nothing (``tests/test_eventstore_contract.py``,
   ``tests/test_races.py``).
2. Atomic commits: all domain events of one append, and the unique-key claims that go with
   them, are written together or not at all: one item per commit, a transaction when claims are
   taken (``test_eventstore_contract.py::test_claim_conflict_writes_nothing``).
3. Unique claims: a claimed key (e.g. one open application per e-mail address) belongs to one
   stream; a second append that claims it raises ``ClaimTaken`` and writes nothing, so a double
   submission yields the first result and no second domain event.
4. Cheap decisions: ``head`` reads one item (the latest commit, which carries the snapshot of
   the decision state written in the same put as the events), whatever the stream's length.
5. Schema evolution: stored domain events keep their ``schema_version``; older versions are
   upcast on read (``tests/test_eventstore_contract.py::test_old_schema_is_upcast``).
6. Metadata: event id, occurred-at, correlation id (the request's id, as in the logs),
   causation id, actor and data subject are stored with every domain event.
"""

from verein.eventstore.model import (
    CommandContext,
    DomainEvent,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    registry,
)
from verein.eventstore.port import (
    Claim,
    ClaimTaken,
    ConcurrencyError,
    EventStore,
    Snapshot,
    StreamHead,
)

__all__ = [
    "Claim",
    "ClaimTaken",
    "CommandContext",
    "ConcurrencyError",
    "DomainEvent",
    "EventMetadata",
    "EventStore",
    "NewEvent",
    "RecordedEvent",
    "Snapshot",
    "StreamHead",
    "registry",
]
