"""The mail port (verein.mail), checked against the in-memory sender and the SES sender talking
to the local SES v2 stand-in (local_aws.mail, in this process): what is sent arrives as it was
given, each send is one mail with its own id, and a mail that could not be sent raises
MailNotSent and leaves nothing behind. Then what only the SES adapter does: which SES answers
mean "not sent" and which leave the outcome unknown."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from pydantic import ValidationError

from local_aws.mail import LocalSesApi, Outbox
from verein.bootstrap import Adapters
from verein.mail.memory import InMemoryMailSender
from verein.mail.message import Mail
from verein.mail.port import MailNotSent, MailSender
from verein.mail.ses import SesMailSender
from verein.settings import Settings, SettingsError

SENDER = "no-reply@verein.example"
FIELDS = ("to", "subject", "text", "html", "links")


def mail(to: str = "erika@example.org", **changes: str) -> Mail:
    values = {
        "to": to,
        "subject": "Ihr Antrag ist eingegangen – Stadtmarketing",
        "text": "Guten Tag Frau Müller,\nbestätigen Sie hier: https://verein.example/c?t=1&u=2.\n",
        "html": '<p>Guten Tag Frau Müller,</p><p><a href="https://verein.example/c?t=1&amp;u=2">'
        'Bestätigen</a> · <a href="https://verein.example/datenschutz">Datenschutz</a></p>',
    }
    return Mail(**{**values, **changes})


def sesv2(endpoint_url: str, **config: Any) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config),
    )


@dataclass
class Harness:
    sender: MailSender
    captured: Callable[[], list[dict[str, Any]]]
    """What reached the mailboxes, oldest first: message_id and FIELDS per mail."""
    break_connection: Callable[[], None]
    """From now on the provider cannot be reached (or refuses everything, for the fake)."""


@pytest.fixture(params=["memory", "ses"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "memory":
        fake = InMemoryMailSender()
        yield Harness(
            fake,
            lambda: [
                {"message_id": s.message_id, **s.mail.model_dump(), "links": list(s.mail.links)}
                for s in fake.sent
            ],
            lambda: fake.fail_next(1_000),
        )
        return
    outbox = Outbox(tmp_path)
    with LocalSesApi(outbox) as api:
        yield Harness(SesMailSender(sesv2(api.endpoint_url), SENDER), outbox.read, api.stop)


def test_a_sent_mail_arrives_as_it_was_given_with_its_links(harness):
    sent = mail()
    message_id = harness.sender.send(sent)
    (arrived,) = harness.captured()
    assert arrived["message_id"] == message_id and message_id
    assert {k: arrived[k] for k in FIELDS} == {
        "to": "erika@example.org",
        "subject": sent.subject,
        "text": sent.text,
        "html": sent.html,
        "links": ["https://verein.example/c?t=1&u=2", "https://verein.example/datenschutz"],
    }


def test_each_send_is_one_mail_with_its_own_id_in_order(harness):
    ids = [harness.sender.send(mail(f"person{n}@example.org")) for n in range(3)]
    ids.append(harness.sender.send(mail("person0@example.org")))  # the same mail again
    captured = harness.captured()
    assert [m["message_id"] for m in captured] == ids
    assert len(set(ids)) == 4
    assert [m["to"] for m in captured] == [f"person{n}@example.org" for n in (0, 1, 2, 0)]


def test_a_mail_that_could_not_be_sent_raises_mail_not_sent_and_leaves_nothing(harness):
    harness.sender.send(mail("first@example.org"))
    harness.break_connection()
    with pytest.raises(MailNotSent) as refused:
        harness.sender.send(mail("second@example.org"))
    assert not refused.value.permanent  # unreachable for now: a later attempt may succeed
    assert [m["to"] for m in harness.captured()] == ["first@example.org"]


# --- The message ----------------------------------------------------------------------------------


def test_links_are_every_http_url_of_text_and_html_in_order_once():
    message = mail(
        text="Start: https://a.example/1, dann (siehe https://b.example/x_(y)). "
        "Nicht: ftp://c.example, mailto:x@y.example, https:// allein. Wieder https://a.example/1!",
        html='<a href="https://b.example/x_(y)">b</a> <a href="HTTP://D.example/?a=1&amp;b=2">d</a>'
        " &lt;https://e.example/&gt;",
    )
    assert message.links == (
        "https://a.example/1",
        "https://b.example/x_(y)",
        "HTTP://D.example/?a=1&b=2",
        "https://e.example/",
    )
    assert mail(text="Kein Link.", html="<p>Keiner.</p>").links == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "two@addresses@example.org"},
        {"to": "erika@example.org\r\nBcc: all@example.org"},
        {"subject": "Hallo\r\nBcc: all@example.org"},
        {"subject": ""},
    ],
)
def test_a_mail_cannot_carry_extra_header_fields(changes):
    with pytest.raises(ValidationError):
        mail(**changes)


def test_a_mail_is_immutable():
    with pytest.raises(ValidationError):
        mail().subject = "anders"


# --- The in-memory sender -------------------------------------------------------------------------


def test_the_fake_fails_the_next_n_sends_then_sends_again():
    fake = InMemoryMailSender()
    fake.fail_next(2, permanent=True)
    for _ in range(2):
        with pytest.raises(MailNotSent) as refused:
            fake.send(mail())
        assert refused.value.permanent
    fake.send(mail())
    assert fake.mails == [mail()]


# --- The SES adapter: what SES's answers mean -----------------------------------------------------


class ScriptedSes:
    """An endpoint that answers SendEmail as told: an error status and type, or not at all."""

    def __init__(self, status: int, error_type: str = "", hang: bool = False) -> None:
        self.requests = 0
        release = self.release = threading.Event()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                scripted.requests += 1
                if hang:
                    release.wait(10)  # the request arrived; the answer never comes in time
                    return
                body = b'{"message":"scripted"}'
                self.send_response(status)
                self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedSes]]:
    made: list[ScriptedSes] = []

    def make(*args: Any, **kwargs: Any) -> ScriptedSes:
        made.append(ScriptedSes(*args, **kwargs))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.close()


@pytest.mark.parametrize(
    ("status", "error_type", "permanent"),
    [
        (400, "MessageRejected", True),
        (400, "BadRequestException", True),
        (400, "MailFromDomainNotVerifiedException", True),
        (429, "TooManyRequestsException", False),
        (400, "LimitExceededException", False),
        (400, "SendingPausedException", False),
    ],
)
def test_a_refusal_by_ses_is_mail_not_sent(scripted, status, error_type, permanent):
    endpoint = scripted(status, error_type)
    with pytest.raises(MailNotSent) as refused:
        SesMailSender(sesv2(endpoint.endpoint_url), SENDER).send(mail())
    assert refused.value.permanent is permanent
    assert error_type in str(refused.value)
    assert "erika" not in str(refused.value)  # the reason is logged: no personal data
    assert endpoint.requests == 1


def test_a_server_error_leaves_the_outcome_unknown(scripted):
    endpoint = scripted(500, "InternalFailure")
    with pytest.raises(ClientError) as failed:
        SesMailSender(sesv2(endpoint.endpoint_url), SENDER).send(mail())
    assert not isinstance(failed.value, MailNotSent)


def test_a_timeout_after_the_request_went_out_leaves_the_outcome_unknown(scripted):
    endpoint = scripted(200, hang=True)
    client = sesv2(endpoint.endpoint_url, read_timeout=0.5)
    with pytest.raises(ReadTimeoutError):
        SesMailSender(client, SENDER).send(mail())
    assert endpoint.requests == 1


def test_the_composition_root_sends_from_mail_sender_without_retries(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    base = {"EVENT_STORE_TABLE": "t", "VIEWS_TABLE": "v"}
    outbox = Outbox(tmp_path)
    with LocalSesApi(outbox) as api:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SESV2", api.endpoint_url)
        adapters = Adapters(Settings.from_environment(environ={**base, "MAIL_SENDER": SENDER}))
        assert adapters.mail_sender is adapters.mail_sender
        assert adapters.mail_sender._client.meta.config.retries["total_max_attempts"] == 1
        adapters.mail_sender.send(mail())
    assert [(m["from"], m["to"]) for m in outbox.read()] == [(SENDER, "erika@example.org")]

    with pytest.raises(SettingsError, match="MAIL_SENDER"):
        _ = Adapters(Settings.from_environment(environ=base)).mail_sender
    with pytest.raises(SettingsError, match="MAIL_SENDER"):
        Settings.from_environment(environ={**base, "MAIL_SENDER": "kein Absender"})
    fake = InMemoryMailSender()
    assert Adapters(Settings.from_environment(environ=base), mail_sender=fake).mail_sender is fake
