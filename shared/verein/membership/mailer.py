"""The membership mailer: a reactor on the change stream that sends what ``membership.mails``
decides, each mail at most once (``verein.mail.once``).

At most once, not exactly once: a send whose outcome is unknown (the request went out, no
answer came) is never repeated, because a second welcome or rejection is worse than a missing
one; the ledger keeps it ``sending`` and a warning is logged. A send that certainly failed for
now is retried with the redelivered record, so no mail is lost to it while the change stream
keeps the record; one refused for good is marked ``failed`` and logged as an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from verein.eventstore import EventStore, RecordedEvent
from verein.mail.ledger import MailLedger
from verein.mail.once import send_once
from verein.mail.port import MailSender
from verein.membership import streams
from verein.membership.domain_events import MembershipApplied
from verein.membership.mails import causes_mail, mails_for
from verein.settings import Association


class ApplicationMissing(LookupError):
    """A membership stream without its application: a bug, or a read that missed it."""


class MembershipMailer:
    """A ``CommitHandler``; never registered as a projection, so a views rebuild sends nothing."""

    name = "membership.mails"

    def __init__(
        self,
        store: EventStore,
        sender: MailSender,
        ledger: MailLedger,
        association: Association,
    ) -> None:
        self._store = store
        self._sender = sender
        self._ledger = ledger
        self._association = association

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Send the commit's mails in order; the first that raises stops the rest, which the
        redelivered record sends (the ones sent already are skipped by their keys)."""
        if not commit or not streams.is_membership(commit[0].stream_id):
            return
        if not causes_mail(commit):  # a note: no mail, and no read of the stream
            return
        applied = self._application(commit)
        for key, mail in mails_for(commit, applied, self._association):
            send_once(self._ledger, self._sender, key, mail)

    def _application(self, commit: Sequence[RecordedEvent]) -> MembershipApplied:
        """The stream's application (who, where, which language): in the commit itself, or
        read from the store (decisions do not repeat the address)."""
        stream_id = commit[0].stream_id
        applied = _first_application(commit)
        if applied is None:
            applied = _first_application(self._store.load(stream_id))
        if applied is None:
            raise ApplicationMissing(stream_id)
        return applied


def _first_application(events: Sequence[RecordedEvent]) -> MembershipApplied | None:
    return next((e.payload for e in events if isinstance(e.payload, MembershipApplied)), None)
