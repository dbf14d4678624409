"""The port the product sends mail through.

Sending is at most once per ``send``: the adapters do not retry (a retry after an unanswered
request can deliver a mail twice; SES has no idempotency key for SendEmail). The caller (a
reactor on the change stream) retries what certainly failed and decides about the rest.
"""

from __future__ import annotations

from typing import Protocol

from verein.mail.message import Mail


class MailNotSent(Exception):
    """The mail certainly was not sent: the provider refused it, or could not be reached, so
    it never accepted it. Sending it again cannot deliver it twice.

    A send whose outcome is unknown, because the request went out and no answer came back (a
    read timeout, a connection closed after the request was sent, a server error), is NOT
    ``MailNotSent``: the provider may have accepted the mail. Adapters let such errors
    propagate as they are, so that the caller never takes a possibly sent mail for unsent.

    ``permanent``: the provider refused this mail itself (an invalid or unverified address, a
    rejected message); sending it again will fail again. Otherwise it refused for now
    (throttling, a quota, an unreachable endpoint) and a later attempt may succeed.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class MailSender(Protocol):
    def send(self, mail: Mail) -> str:
        """Send ``mail``; returns the provider's message id.

        Raises ``MailNotSent`` when the mail certainly was not sent; any other exception
        means the outcome is unknown (see ``MailNotSent``).
        """
        ...
