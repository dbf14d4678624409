"""The membership mailer on the change stream (``membership.mailer`` with ``verein.mail.once``),
with the in-memory ledger and sender: each mail at most once under redelivery, retried after a
refusal for now, never after an unknown outcome, marked after a refusal for good; and never
run by a views rebuild."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest

from tests.samples import MAPPER, application
from verein.bootstrap import Adapters
from verein.changes import rebuild
from verein.eventstore import CommandContext, RecordedEvent
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.domain_events import EventMetadata
from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.links import SignedLinks
from verein.mail.ledger import InMemoryMailLedger, MailState
from verein.mail.memory import InMemoryMailSender
from verein.mail.message import Mail
from verein.mail.port import MailNotSent
from verein.membership.commands import AddMemberNote, RejectApplication
from verein.membership.domain_events import MembershipApplied, MembershipApproved
from verein.membership.mailer import ApplicationMissing, MembershipMailer
from verein.membership.numbers import MemberNumbers
from verein.membership.usecases import (
    add_member_note,
    apply_for_membership,
    approve_application,
    reject_application,
)
from verein.membership.views.store import InMemoryMemberViews
from verein.settings import Settings

KEYS = KeyedHash(b"k" * 32)
LINKS = SignedLinks(KEYS)
SETTINGS = Settings.from_environment(
    environ={
        "EVENT_STORE_TABLE": "events",
        "VIEWS_TABLE": "views",
        "PUBLIC_BASE_URL": "https://verein.example",
    }
)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")


class CountingStore:
    """The mailer's view of the store, counting loads: a commit that causes no mail must not
    read its stream."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self._store = store
        self.loads = 0

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        self.loads += 1
        return self._store.load(stream_id, after_version)


class LostAnswer(Exception):
    """What SES's adapter lets through when a request went out and no answer came."""


class Unanswered(InMemoryMailSender):
    """Accepts the mail (it "goes out") and then fails as a lost answer does."""

    def send(self, mail: Mail) -> str:
        super().send(mail)
        raise LostAnswer("read timeout")


class World:
    def __init__(self) -> None:
        self.store = InMemoryEventStore(MAPPER)
        self.reads = CountingStore(self.store)
        self.sender = InMemoryMailSender()
        self.ledger = InMemoryMailLedger()
        self.mailer = MembershipMailer(
            self.reads, self.sender, self.ledger, SETTINGS, lambda: LINKS
        )

    def apply(self, n: int = 0) -> str:
        return apply_for_membership(self.store, KEYS, application(n), STAFF).application_id

    def commit(self, member_id: str, version: int) -> list[RecordedEvent]:
        """The commit whose first domain event has ``version``, as the change stream hands it."""
        return [e for e in self.store.load(f"member#{member_id}") if e.version == version]

    def key(self, member_id: str, version: int) -> str:
        return self.commit(member_id, version)[0].metadata.event_id


@pytest.fixture
def world() -> World:
    return World()


def test_a_redelivered_commit_sends_its_mail_once(world):
    member_id = world.apply()
    commit = world.commit(member_id, 1)
    for _ in range(3):
        world.mailer.apply(commit)
    assert [m.to for m in world.sender.mails] == ["p0@example.org"]
    entry = world.ledger.entry(world.key(member_id, 1))
    assert entry is not None and entry.state is MailState.SENT
    assert entry.message_id == world.sender.sent[0].message_id
    assert world.reads.loads == 0, "the application's own commit carries the address"


def test_a_decision_is_mailed_to_the_address_of_the_streams_application(world):
    member_id = world.apply(3)
    approve_application(world.store, KEYS, MemberNumbers(world.store), member_id, STAFF)
    world.mailer.apply(world.commit(member_id, 2))
    (mail,) = world.sender.mails
    assert mail.to == "p3@example.org" and "Person 3" in mail.text
    assert "Mitgliedsnummer 1" in mail.subject
    assert world.reads.loads == 1


def test_a_refusal_for_now_releases_the_key_and_the_redelivery_sends(world):
    member_id = world.apply()
    reject_application(world.store, KEYS, member_id, RejectApplication(reason="Satzung §3"), STAFF)
    commit = world.commit(member_id, 2)
    world.sender.fail_next(2)
    for _ in range(2):
        with pytest.raises(MailNotSent):
            world.mailer.apply(commit)
        assert world.ledger.entry(world.key(member_id, 2)) is None
    world.mailer.apply(commit)
    world.mailer.apply(commit)
    (mail,) = world.sender.mails
    assert "Satzung §3" in mail.text
    assert world.ledger.entry(world.key(member_id, 2)).state is MailState.SENT


def test_an_unknown_outcome_is_never_sent_again(world, caplog):
    member_id = world.apply()
    commit = world.commit(member_id, 1)
    unanswered = Unanswered()
    mailer = MembershipMailer(world.store, unanswered, world.ledger, SETTINGS, lambda: LINKS)
    with pytest.raises(LostAnswer):
        mailer.apply(commit)
    key = world.key(member_id, 1)
    assert world.ledger.entry(key).state is MailState.SENDING

    caplog.set_level(logging.WARNING)
    world.mailer.apply(commit)  # the redelivery, with a sender that would work now
    assert world.sender.mails == []
    assert len(unanswered.mails) == 1, "the mail went out once, and only once"
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "outcome unknown" in warning.getMessage() and warning.mail_key == key
    assert "p0@example.org" not in caplog.text, "logs name the key, never the address"


def test_a_refusal_for_good_is_marked_failed_logged_and_never_tried_again(world, caplog):
    member_id = world.apply()
    commit = world.commit(member_id, 1)
    world.sender.fail_next(permanent=True)
    caplog.set_level(logging.ERROR)
    world.mailer.apply(commit)  # no exception: retrying cannot help
    key = world.key(member_id, 1)
    assert world.ledger.entry(key).state is MailState.FAILED
    assert [r.mail_key for r in caplog.records if r.levelno == logging.ERROR] == [key]
    world.mailer.apply(commit)
    assert world.sender.mails == []


def test_a_note_sends_nothing_and_reads_nothing(world):
    member_id = world.apply()
    add_member_note(world.store, KEYS, member_id, AddMemberNote(text="Rückruf"), STAFF)
    world.mailer.apply(world.commit(member_id, 2))
    assert world.sender.mails == []
    assert world.ledger.entries == {}
    assert world.reads.loads == 0


def test_other_streams_are_not_its_business(world):
    event = world.commit(world.apply(), 1)[0]
    foreign = RecordedEvent("gathering#1", 1, event.payload, event.metadata)
    world.mailer.apply([foreign])
    assert world.sender.mails == []


def recorded(member_id: str, payload, version: int) -> RecordedEvent:
    metadata = EventMetadata(
        event_id=str(uuid.uuid4()),
        occurred_at=datetime.now(UTC),
        correlation_id="c",
        actor="staff:anna",
        subject_id=member_id,
    )
    return RecordedEvent(f"member#{member_id}", version, payload, metadata)


def test_a_commit_with_two_domain_events_sends_each_once_even_when_the_second_must_wait(world):
    member_id = str(uuid.uuid4())
    applied = MembershipApplied(
        applicant_name="Erika Mustermann",
        email="erika@example.org",
        membership_type="individual",
        language="en",
        privacy_consent=True,
        consent_version="en-0123456789ab",
    )
    commit = [
        recorded(member_id, applied, 1),
        recorded(member_id, MembershipApproved(member_number=5), 2),
    ]

    class SecondRefusedOnce(InMemoryMailSender):
        refused = False

        def send(self, mail: Mail) -> str:
            if self.sent and not self.refused:
                self.refused = True
                raise MailNotSent("throttled")
            return super().send(mail)

    sender = SecondRefusedOnce()
    mailer = MembershipMailer(world.store, sender, world.ledger, SETTINGS, lambda: LINKS)
    with pytest.raises(MailNotSent):
        mailer.apply(commit)
    assert len(sender.mails) == 1
    for _ in range(2):
        mailer.apply(commit)
    subjects = [m.subject for m in sender.mails]
    assert len(subjects) == 2 and "received" in subjects[0] and "member number 5" in subjects[1]
    assert {world.ledger.entry(e.metadata.event_id).state for e in commit} == {MailState.SENT}


def test_a_stream_without_its_application_fails_the_record(world):
    member_id = str(uuid.uuid4())
    with pytest.raises(ApplicationMissing):
        world.mailer.apply([recorded(member_id, MembershipApproved(member_number=1), 2)])
    assert world.sender.mails == []


def test_the_composition_root_runs_the_mailer_on_the_change_stream_only():
    """``membership views verify|rebuild`` get ``Adapters.projections``: replaying history
    there must send nothing, so the mailer is a reactor, never a projection."""
    store, sender = InMemoryEventStore(MAPPER), InMemoryMailSender()
    adapters = Adapters(
        Settings.from_environment(),
        event_store=store,
        member_views=InMemoryMemberViews(),
        mail_sender=sender,
        mail_ledger=InMemoryMailLedger(),
    )
    assert [r.name for r in adapters.reactors] == ["membership.mails"]
    assert "membership.mails" not in [p.name for p in adapters.projections]
    assert [h.name for h in adapters.dispatcher._handlers] == [
        "membership.directory",
        "membership.mails",
    ]
    (mailer,) = adapters.reactors
    assert (mailer._store, mailer._sender, mailer._ledger) == (
        store,
        sender,
        adapters.mail_ledger,
    )
    assert mailer._association == adapters.settings.association

    apply_for_membership(store, KEYS, application(), STAFF)
    timing = rebuild.Timing(retire_after_s=0, projector_lag_s=0)
    rebuild.rebuild(store, adapters.projections, segments=1, timing=timing)
    rebuild.verify(store, adapters.projections, segments=1)
    assert sender.mails == []
    assert "dynamodb" not in vars(adapters), "nothing needed a DynamoDB client"


# --- after the application: the current address, the notice link ---------------------------


def _approve(world: World, member_id: str) -> None:
    approve_application(world.store, KEYS, MemberNumbers(world.store), member_id, STAFF)


def test_mails_go_to_the_address_staff_changed_to(world):
    from verein.membership.commands import ChangeContactDetails
    from verein.membership.lifecycle import change_contact_details

    member_id = world.apply()
    change = ChangeContactDetails(email="neu@example.org", applicant_name="Erika Neu")
    change_contact_details(world.store, KEYS, member_id, change, STAFF)
    _approve(world, member_id)
    world.mailer.apply(world.commit(member_id, 3))
    (welcome,) = world.sender.mails
    assert welcome.to == "neu@example.org" and "Erika Neu" in welcome.text


def _request_link(world: World, email: str) -> list[RecordedEvent]:
    from verein.membership.notice_link import request_notice_link

    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert request_notice_link(world.store, KEYS, email, "de", STAFF, now=now)
    (stream,) = [s for s in world.store.read_all() if s.stream_id.startswith("notice-link#")]
    return list(stream.events)


def test_a_notice_link_request_mails_an_active_member_a_signed_link(world):
    from verein.membership.notice_link import PURPOSE

    member_id = world.apply()
    _approve(world, member_id)
    commit = _request_link(world, "P0@example.org")
    world.mailer.apply(commit)
    world.mailer.apply(commit)  # redelivered: once
    (mail,) = world.sender.mails
    assert mail.to == "p0@example.org"
    (link,) = [u for u in mail.links if "/membership/notice/" in u]
    assert link.startswith("https://verein.example/membership/notice/")
    token = link.split("/membership/notice/")[1].split("?")[0]
    assert LINKS.subject(token, PURPOSE, datetime(2026, 12, 1, tzinfo=UTC)) == member_id


def test_a_member_under_notice_is_told_the_last_day_and_an_ended_one_nothing(world):
    from datetime import date

    from verein.membership.lifecycle import exclude_member, give_notice
    from verein.membership.notice import NoticePolicy
    from verein.membership.notice_link import request_notice_link

    member_id = world.apply()
    _approve(world, member_id)
    give_notice(world.store, KEYS, member_id, STAFF, today=date(2026, 3, 1), policy=NoticePolicy())
    world.mailer.apply(_request_link(world, "p0@example.org"))
    (mail,) = world.sender.mails
    assert "31. Dezember 2026" in mail.text and not [
        u for u in mail.links if "/membership/notice/" in u
    ]
    other = world.apply(1)
    _approve(world, other)
    exclude_member(world.store, KEYS, other, STAFF, today=date(2026, 3, 1), reason="x")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    # The ended membership freed its address: a request for it records nothing, mails nothing.
    assert not request_notice_link(world.store, KEYS, "p1@example.org", "de", STAFF, now=now)
