"""The mail ledger (verein.mail.ledger), checked against the in-memory fake and the views table
(embedded backend): a key is taken once, says what became of it, and is released only while
it is ``sending``; the table keeps it as ``mail#<key>`` beside the views, touching nothing else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.samples import MAPPER, application
from verein.eventstore import CommandContext
from verein.eventstore.dynamodb import DynamoDBEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.mail.ledger import (
    DynamoDBMailLedger,
    InMemoryMailLedger,
    LedgerChanged,
    MailLedger,
    MailState,
)
from verein.mail.memory import InMemoryMailSender
from verein.mail.message import Mail
from verein.mail.once import Outcome, send_once
from verein.mail.port import MailNotSent
from verein.membership.usecases import apply_for_membership

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
KEY = "0b5c2f7e-1d1f-4b8e-9a51-3f3c1f0d9a11"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["memory", "dynamodb"])
def ledger(request) -> Iterator[MailLedger]:
    if request.param == "memory":
        yield InMemoryMailLedger(clock=Clock())
        return
    aws = request.getfixturevalue("aws")
    yield DynamoDBMailLedger(aws.dynamodb, aws.event_store_table, clock=Clock())


def test_a_key_is_taken_once_and_then_tells_its_state(ledger):
    assert ledger.entry(KEY) is None
    assert ledger.take(KEY) is None
    taken = ledger.entry(KEY)
    assert taken is not None and taken.state is MailState.SENDING and taken.message_id is None
    assert ledger.take(KEY) is MailState.SENDING
    assert ledger.take("other") is None


def test_sent_keeps_the_message_id_and_failed_keeps_the_key(ledger):
    ledger.take(KEY)
    first = ledger.entry(KEY)
    ledger.mark_sent(KEY, "0100018c-msg")
    sent = ledger.entry(KEY)
    assert (sent.state, sent.message_id) == (MailState.SENT, "0100018c-msg")
    assert sent.updated_at > first.updated_at
    assert ledger.take(KEY) is MailState.SENT

    ledger.take("refused")
    ledger.mark_failed("refused")
    assert ledger.entry("refused").state is MailState.FAILED
    assert ledger.take("refused") is MailState.FAILED


def test_only_a_sending_key_is_released(ledger):
    ledger.take(KEY)
    ledger.release(KEY)
    assert ledger.entry(KEY) is None
    ledger.release(KEY)  # twice is fine
    assert ledger.take(KEY) is None, "a released key can be taken again"

    ledger.mark_sent(KEY, "m-1")
    ledger.release(KEY)
    assert ledger.entry(KEY).state is MailState.SENT, "a sent mail is never forgotten"
    ledger.take("refused")
    ledger.mark_failed("refused")
    ledger.release("refused")
    assert ledger.entry("refused").state is MailState.FAILED


def test_of_many_takers_at_once_exactly_one_gets_the_key(ledger):
    results: list[MailState | None] = []
    barrier = threading.Barrier(6)

    def take() -> None:
        barrier.wait()
        results.append(ledger.take(KEY))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (results.count(None), results.count(MailState.SENDING)) == (1, 5)


def test_send_once_through_the_ledger(ledger):
    sender = InMemoryMailSender()
    mail = Mail(to="erika@example.org", subject="Willkommen", text="Hallo", html="<p>Hallo</p>")
    sender.fail_next()
    with pytest.raises(MailNotSent):
        send_once(ledger, sender, KEY, mail)
    assert ledger.entry(KEY) is None
    assert send_once(ledger, sender, KEY, mail) is Outcome.SENT
    assert send_once(ledger, sender, KEY, mail) is Outcome.SENT_BEFORE
    assert ledger.entry(KEY).message_id == sender.sent[0].message_id
    assert len(sender.mails) == 1


# --- The table: where the entries live -----------------------------------------------------


def test_entries_are_mail_items_beside_the_commits_and_no_stream_sees_them(aws):
    ledger = DynamoDBMailLedger(aws.dynamodb, aws.event_store_table, clock=Clock())
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
    context = CommandContext(correlation_id="c", actor="public")
    received = apply_for_membership(store, KeyedHash(b"k" * 32), application(), context)

    ledger.take(KEY)
    ledger.mark_sent(KEY, "m-1")
    item = aws.dynamodb.get_item(
        TableName=aws.event_store_table,
        Key={"stream_id": {"S": f"mail#{KEY}"}, "version": {"N": "0"}},
    )["Item"]
    assert set(item) == {"stream_id", "version", "item_kind", "state", "message_id", "updated_at"}
    assert (item["item_kind"], item["state"], item["message_id"]) == (
        {"S": "mail"},
        {"S": "sent"},
        {"S": "m-1"},
    )
    assert datetime.fromisoformat(item["updated_at"]["S"]) > T0

    # Rebuilding reads commits only: the ledger is no stream, and the member's is untouched.
    streams = list(store.read_all())
    assert [s.stream_id for s in streams] == [f"member#{received.application_id}"]
    assert store.head(f"mail#{KEY}").version == 0


def test_a_key_released_between_a_failed_take_and_its_read_is_taken_again(aws):
    """The table adapter reads an entry separately after a failed take (IAM cannot restrict
    reading it through the failed write); if it is gone by then, it takes it after all."""
    ledger = DynamoDBMailLedger(aws.dynamodb, aws.event_store_table, clock=Clock())
    ledger.take(KEY)
    reads = 0
    entry = ledger.entry

    def released_before_the_first_read(key: str):
        nonlocal reads
        reads += 1
        if reads == 1:
            ledger.release(key)
        return entry(key)

    ledger.entry = released_before_the_first_read  # type: ignore[method-assign]
    assert ledger.take(KEY) is None
    assert entry(KEY).state is MailState.SENDING


def test_a_key_that_keeps_changing_is_reported_not_spun_on(aws):
    ledger = DynamoDBMailLedger(aws.dynamodb, aws.event_store_table, clock=Clock())
    ledger.take(KEY)
    ledger.entry = lambda key: None  # type: ignore[method-assign]  # always gone when read
    with pytest.raises(LedgerChanged):
        ledger.take(KEY)
