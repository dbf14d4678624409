"""An in-memory mail sender for tests: keeps every mail, and fails on request."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from verein.mail.message import Mail
from verein.mail.port import MailNotSent


@dataclass(frozen=True)
class SentMail:
    message_id: str
    mail: Mail


class InMemoryMailSender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._failures = 0
        self._permanent = False
        self.sent: list[SentMail] = []
        """Every mail sent, in order, with the message id ``send`` returned for it."""

    @property
    def mails(self) -> list[Mail]:
        return [entry.mail for entry in self.sent]

    def fail_next(self, count: int = 1, *, permanent: bool = False) -> None:
        """The next ``count`` sends raise ``MailNotSent`` (with ``permanent``) and keep nothing."""
        if count < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            self._failures = count
            self._permanent = permanent

    def send(self, mail: Mail) -> str:
        with self._lock:
            if self._failures:
                self._failures -= 1
                raise MailNotSent(
                    "refused (InMemoryMailSender.fail_next)", permanent=self._permanent
                )
            message_id = f"memory-{next(self._ids)}"
            self.sent.append(SentMail(message_id, mail))
            return message_id
