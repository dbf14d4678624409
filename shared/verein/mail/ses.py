"""Sending with Amazon SES, API v2 (``sesv2``): one ``SendEmail`` per mail, simple content.

SES builds the MIME message itself (UTF-8 subject and bodies, a text and an HTML part), so no
MIME is built here. Errors are sorted by what they say about the mail (see ``MailNotSent``):
an error answer from SES (4xx) means SES did not accept it, and so does a connection that
could not be made; a server error (5xx) or a timeout after the request went out leaves the
outcome unknown, and propagates as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
)

from verein.mail.message import Mail
from verein.mail.port import MailNotSent

#: Refusals of this very mail: sending it again fails again. The other 4xx errors (throttling,
#: the daily quota, sending paused) refuse it for now.
PERMANENT_ERRORS = frozenset(
    {
        "BadRequestException",
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
    }
)
#: Raised before a request was sent: nothing reached SES.
_NOT_CONNECTED = (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError)


class SesV2Client(Protocol):
    """The part of boto3's ``sesv2`` client this adapter uses."""

    def send_email(self, **kwargs: Any) -> Mapping[str, Any]: ...


class SesMailSender:
    def __init__(self, client: SesV2Client, sender: str) -> None:
        """``client``: a boto3 ``sesv2`` client, best without botocore retries (see
        ``verein.bootstrap.Adapters.mail_sender``); ``sender``: the From address, a verified
        SES identity (the address or its domain)."""
        self._client = client
        self._sender = sender

    def send(self, mail: Mail) -> str:
        try:
            answer = self._client.send_email(**self.request(mail))
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            if status >= 500:
                raise  # SES failed while handling it: it may have sent the mail
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            raise MailNotSent(
                f"SES refused the mail: {code} ({status})", permanent=code in PERMANENT_ERRORS
            ) from error
        except _NOT_CONNECTED as error:
            raise MailNotSent(f"SES not reachable: {type(error).__name__}") from error
        return str(answer["MessageId"])

    def request(self, mail: Mail) -> dict[str, Any]:
        """The ``SendEmail`` parameters for ``mail``."""
        return {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [mail.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": mail.text, "Charset": "UTF-8"},
                        "Html": {"Data": mail.html, "Charset": "UTF-8"},
                    },
                }
            },
        }
