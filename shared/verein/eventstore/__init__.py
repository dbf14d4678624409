"""The event store: the system's only source of truth.

Promises, each with the tests that prove it (ARCHITECTURE.md explains the design):

1. Optimistic concurrency: an append after a stale ``expected_version`` raises
   ``ConcurrencyError`` and writes nothing; the command runner re-decides on fresh state with
   jittered backoff and finally gives up with ``CommandConflict`` (HTTP 409).
   tests/contract/test_eventstore_contract.py
   (``test_stale_expected_version_fails_and_writes_nothing``,
   ``test_threads_racing_on_one_stream_never_share_a_version``, the hypothesis property
   ``test_any_sequence_of_appends_keeps_versions_gap_free``), tests/unit/test_decider.py,
   tests/e2e/test_end_to_end.py
   (``test_many_concurrent_commands_on_one_stream_lose_and_double_nothing``).
2. Atomic commits: all domain events of one append are one item (one conditional PutItem);
   the claims that go with them join in one TransactWriteItems: all or nothing. A commit
   that would not fit into one item (400 KB) is refused before anything is sent
   (``CommitTooLarge``); at most 99 claims go with one commit (100 items per transaction).
   ``test_claim_conflict_writes_nothing``,
   ``test_concurrency_error_beats_claims_and_writes_nothing``.
3. Idempotent commands: a claimed key (one open application per e-mail address, a client's
   Idempotency-Key) belongs to one stream; a repeated command fails as a whole with
   ``ClaimTaken`` and the use case answers with the first result.
   tests/api/test_api.py (double submission, repeated key),
   tests/e2e/test_end_to_end.py (the same application / note five times at once).
4. Cheap decisions: ``head`` reads one item, the latest commit, which carries the snapshot of
   the decision state written in the same put as the domain events; a missing or old-schema
   snapshot falls back to a full replay; in a warm execution environment the head cache
   (``cache.HeadCachingEventStore``) saves even that read, and a stale entry only costs a
   retry. tests/unit/test_decider.py; ``make bench`` counts the requests.
5. Schema evolution: stored domain events keep their ``schema_version``; older versions are
   upcast on read. ``test_old_schema_is_upcast``.
6. Metadata: event id, occurred-at, correlation id (the request id that Powertools' logger
   logs), causation id, actor and data subject are stored with every domain event.
   ``test_append_then_load_round_trips_payload_and_metadata``,
   tests/api/test_api.py::test_the_correlation_id_is_the_request_id_in_the_logs.
7. Rebuildable views and releasable claims: ``read_all(segment, total_segments)`` yields every
   stream with its domain events in version order, gap-free from version 1, never claims; all
   segments together yield each stream exactly once (on DynamoDB a strongly consistent
   parallel Scan), so views can be rebuilt from the table in parallel. A commit that ends the
   reason for a claim (rejection, withdrawal) releases it in the same write,
   ``append(..., release=[claim])``, all or nothing; releasing an absent claim is a no-op,
   releasing another stream's claim fails with ``ClaimNotHeld`` and writes nothing;
   ``ConcurrencyError`` takes precedence. tests/contract/test_eventstore_contract.py
   (``test_read_all_segments_together_yield_every_stream_once_with_all_its_domain_events``,
   ``test_a_released_claim_is_free_for_another_stream``,
   ``test_releasing_a_claim_of_another_stream_fails_and_writes_nothing``,
   ``test_concurrency_error_beats_release_and_releases_nothing``,
   ``test_any_sequence_of_takes_and_releases_matches_the_model``).
"""

from verein.eventstore.port import (
    Claim,
    ClaimNotHeld,
    ClaimTaken,
    CommitTooLarge,
    ConcurrencyError,
    EventStore,
    RecordedStream,
    Snapshot,
    StreamHead,
)
from verein.kernel.domain_events import (
    CommandContext,
    DomainEvent,
    EventMetadata,
    NewEvent,
    RecordedEvent,
)

__all__ = [
    "Claim",
    "ClaimNotHeld",
    "ClaimTaken",
    "CommandContext",
    "CommitTooLarge",
    "ConcurrencyError",
    "DomainEvent",
    "EventMetadata",
    "EventStore",
    "NewEvent",
    "RecordedEvent",
    "RecordedStream",
    "Snapshot",
    "StreamHead",
]
