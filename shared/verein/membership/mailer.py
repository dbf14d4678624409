"""The membership mailer: a reactor on the change stream that sends what ``membership.mails``
decides, each mail at most once (``verein.mail.once``).

At most once, not exactly once: a send whose outcome is unknown (the request went out, no
answer came) is never repeated, because a second welcome or rejection is worse than a missing
one; the ledger keeps it ``sending`` and a warning is logged. A send that certainly failed for
now is retried with the redelivered record, so no mail is lost to it while the change stream
keeps the record; one refused for good is marked ``failed`` and logged as an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from verein.eventstore import EventStore, RecordedEvent
from verein.kernel.links import SignedLinks
from verein.mail.ledger import MailLedger
from verein.mail.once import send_once
from verein.mail.port import MailSender
from verein.membership import notice_link, streams
from verein.membership.mails import Recipient, causes_mail, mails_for, notice_link_mail
from verein.membership.views.summary import summary_from
from verein.settings import Settings


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
        settings: Settings,
        links: Callable[[], SignedLinks],
    ) -> None:
        self._store = store
        self._sender = sender
        self._ledger = ledger
        self._settings = settings
        self._association = settings.association
        self._links = links
        """Built on the first notice link (it needs the claim-key secret)."""

    def apply(self, commit: Sequence[RecordedEvent]) -> None:
        """Send the commit's mails in order; the first that raises stops the rest, which the
        redelivered record sends (the ones sent already are skipped by their keys)."""
        if commit and notice_link.is_notice_link(commit[0].stream_id):
            self._notice_links(commit)
            return
        if not commit or not streams.is_membership(commit[0].stream_id):
            return
        if not causes_mail(commit):  # a note: no mail, and no read of the stream
            return
        recipient = self._recipient(commit)
        for key, mail in mails_for(commit, recipient, self._association):
            send_once(self._ledger, self._sender, key, mail)

    def _recipient(self, commit: Sequence[RecordedEvent]) -> Recipient:
        """Name, address and language as they are at the end of this commit: from the commit
        itself when it starts the stream, else from the stream read up to it (decisions do not
        repeat the address, and staff may have changed it since the application)."""
        stream_id = commit[0].stream_id
        history: Sequence[RecordedEvent] = commit
        if commit[0].version != 1:
            history = [e for e in self._store.load(stream_id) if e.version <= commit[-1].version]
        summary = summary_from(history)
        if summary is None:
            raise ApplicationMissing(stream_id)
        return Recipient(summary.applicant_name, summary.email, summary.language)

    def _notice_links(self, commit: Sequence[RecordedEvent]) -> None:
        """The notice link to the member's address as it is now; to an address that is no
        (longer an active) member's, what the status is instead, or nothing."""
        for recorded in commit:
            request = recorded.payload
            if not isinstance(request, notice_link.NoticeLinkRequested):
                continue
            member = summary_from(self._store.load(streams.stream_id(request.member_id)))
            if member is None:
                continue
            base_url = self._settings.required(self._settings.public_base_url, "PUBLIC_BASE_URL")
            expires = recorded.metadata.occurred_at + notice_link.LINK_LIFETIME
            token = self._links().issue(notice_link.PURPOSE, request.member_id, expires)
            mail = notice_link_mail(
                member,
                request.language,
                f"{base_url.rstrip('/')}/membership/notice/{token}?lang={request.language}",
                expires,
                self._association,
            )
            if mail is not None:
                send_once(self._ledger, self._sender, recorded.metadata.event_id, mail)
