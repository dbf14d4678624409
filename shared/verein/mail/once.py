"""Send a mail at most once per key, however often the change stream delivers its record.

For a reactor on the change stream (at least once): the key is the ``event_id`` of the domain
event that causes the mail, kept in a ``MailLedger``. **At most once** wins over **at least
once** where they conflict: a mail whose send may have gone out (unknown outcome) is never sent
again, because a second welcome or rejection is worse than a missing one, which staff can
follow up (a warning is logged). What certainly failed (``MailNotSent``, not permanent) is
retried with the record, so no mail is lost to a refusal for now (throttling, a quota, an
endpoint out of reach) while the change stream keeps the record (see ARCHITECTURE.md, "Mails").
"""

from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools import Logger

from verein.mail.ledger import MailLedger, MailState
from verein.mail.message import Mail
from verein.mail.port import MailNotSent, MailSender

logger = Logger(child=True)


class Outcome(StrEnum):
    SENT = "sent"
    SENT_BEFORE = "sent before"
    FAILED_BEFORE = "failed before"
    UNKNOWN_BEFORE = "unknown before"
    """An earlier attempt took the key and never reported back: not sent again."""
    FAILED = "failed"
    """Refused for good now; marked so, never tried again."""


def send_once(ledger: MailLedger, sender: MailSender, key: str, mail: Mail) -> Outcome:
    """Take ``key`` in the ledger, send, record the outcome.

    Raises ``MailNotSent`` (the key released: the redelivered record sends again) when the
    mail was refused for now, and whatever else ``send`` raised (the key left ``sending``:
    the outcome is unknown, so it is never sent again). Logs name the key, never the address.
    """
    earlier = ledger.take(key)
    if earlier is MailState.SENT:
        return Outcome.SENT_BEFORE
    if earlier is MailState.FAILED:
        return Outcome.FAILED_BEFORE
    if earlier is MailState.SENDING:
        logger.warning(
            "mail not sent: an earlier attempt may have sent it (outcome unknown)",
            extra={"mail_key": key},
        )
        return Outcome.UNKNOWN_BEFORE
    try:
        message_id = sender.send(mail)
    except MailNotSent as error:
        if not error.permanent:
            ledger.release(key)
            raise
        ledger.mark_failed(key)
        logger.error("mail refused for good", extra={"mail_key": key, "reason": error.reason})
        return Outcome.FAILED
    ledger.mark_sent(key, message_id)
    return Outcome.SENT
