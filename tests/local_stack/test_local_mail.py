"""The local SES v2 stand-in and the mail outbox (local_aws.mail).

Through a running stack (a small throwaway template: a function that sends with boto3's sesv2
client, as the product's SES adapter does): the mail lands in ``GET /_local/mail``, as JSON and
as a page, and survives a restart. In this process: SendEmail requests SES would refuse get
SES's error answers, and the outbox page's own answers.
"""

from __future__ import annotations

import json
import stat
import textwrap
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_aws.cli import LocalStack
from local_aws.mail import OUTBOX_FILE, PREFIX, LocalSesApi, Outbox, OutboxPages

TEMPLATE = """
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: stream_id, AttributeType: S}]
      KeySchema: [{AttributeName: stream_id, KeyType: HASH}]
  Api:
    Type: AWS::Serverless::HttpApi
  MailerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/mailer/
      Handler: app.handler
      Environment:
        Variables:
          MAIL_SENDER: no-reply@verein.example
      Events:
        Send:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /send, Method: POST, Auth: {Authorizer: NONE}}
"""

# Its client made once per execution environment (as verein.bootstrap's Adapters make theirs),
# with no endpoint of its own: the stack's AWS_ENDPOINT_URL_SESV2 must reach it.
MAILER = """
import json, os
import boto3

_ses = boto3.client("sesv2")

def handler(event, context):
    mail = json.loads(event["body"])
    answer = _ses.send_email(
        FromEmailAddress=os.environ["MAIL_SENDER"],
        Destination={"ToAddresses": [mail["to"]]},
        Content={"Simple": {
            "Subject": {"Data": mail["subject"], "Charset": "UTF-8"},
            "Body": {"Text": {"Data": mail["text"], "Charset": "UTF-8"},
                     "Html": {"Data": mail["html"], "Charset": "UTF-8"}},
        }},
    )
    return {"statusCode": 200, "body": json.dumps({"message_id": answer["MessageId"]})}
"""

WELCOME = {
    "to": "erika@example.org",
    "subject": "Willkommen, Frau Müller",
    "text": "Bitte bestätigen: https://verein.example/confirm?t=abc\n",
    "html": '<p><a href="https://verein.example/confirm?t=abc">Bestätigen</a></p>',
}
HOSTILE = {
    "to": "max@example.org",
    "subject": "<script>alert(1)</script> & more",
    "text": '"><img src=x onerror=alert(2)> siehe https://verein.example/a?x=1&y=2',
    "html": "<script>alert(3)</script>",
}
JSON = {"Accept": "application/json"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project" / "fn" / "mailer"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(textwrap.dedent(MAILER))
    template = tmp_path / "project" / "template.yaml"
    template.write_text(TEMPLATE)
    return template


def send(http: httpx.Client, mail: dict[str, str]) -> str:
    reply = http.post("/send", json=mail)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["message_id"])


def test_a_function_sends_with_boto3_and_the_mail_shows_in_the_outbox(
    project: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with (
        LocalStack(project, data, pool_size=1) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as http,
    ):
        assert stack.mail_outbox_url == stack.base_url + PREFIX
        first, second = send(http, WELCOME), send(http, HOSTILE)

        mails = http.get(PREFIX, headers=JSON).json()
        assert [m["message_id"] for m in mails] == [second, first]  # newest first
        assert {k: mails[1][k] for k in ("to", "subject", "text", "html", "links")} == {
            **WELCOME,
            "links": ["https://verein.example/confirm?t=abc"],
        }
        assert mails[1]["from"] == "no-reply@verein.example"
        assert mails[0]["links"] == ["https://verein.example/a?x=1&y=2"]
        assert http.get(PREFIX, params={"format": "json"}).json() == mails
        only = http.get(PREFIX, params={"to": "ERIKA@example.org"}, headers=JSON).json()
        assert [m["message_id"] for m in only] == [first]
        assert http.get(PREFIX, params={"to": "nobody@example.org"}, headers=JSON).json() == []

        page = http.get(PREFIX, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script" not in csp
        body = page.text
        assert "<script" not in body and "<img" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
        assert '<a href="https://verein.example/a?x=1&amp;y=2" rel="noreferrer">' in body
        assert body.index("alert(1)") < body.index("Willkommen")  # newest first
        filtered = http.get(PREFIX, params={"to": "erika@example.org"}).text
        assert "Willkommen" in filtered and "alert(1)" not in filtered
        assert 'value="erika@example.org"' in filtered

    outbox = data / OUTBOX_FILE
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600  # personal data: the owner's only
    assert [json.loads(line)["message_id"] for line in outbox.read_text().splitlines()] == [
        first,
        second,
    ]

    with (
        LocalStack(project, data, pool_size=1) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as http,
    ):
        third = send(http, {**WELCOME, "to": "paula@example.org"})
        after = http.get(PREFIX, headers=JSON).json()
        assert [m["message_id"] for m in after] == [third, second, first]


# --- In this process: what SES would refuse, and the outbox page's own answers ------------------


@pytest.fixture
def ses(tmp_path: Path) -> Any:
    with LocalSesApi(Outbox(tmp_path)) as api:
        yield api


def client(ses: LocalSesApi) -> Any:
    return boto3.client(
        "sesv2",
        endpoint_url=ses.endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}),
    )


SIMPLE = {"Subject": {"Data": "Betreff"}, "Body": {"Text": {"Data": "Text"}}}


@pytest.mark.parametrize(
    ("request_params", "message"),
    [
        (
            {"FromEmailAddress": "kein Absender", "Destination": {"ToAddresses": ["a@b.example"]}},
            "Illegal address in FromEmailAddress",
        ),
        ({"FromEmailAddress": "a@b.example", "Destination": {}}, "no recipient"),
        (
            {"FromEmailAddress": "a@b.example", "Destination": {"ToAddresses": ["jörg@b.example"]}},
            "Illegal address in Destination.ToAddresses",
        ),
        (
            {
                "FromEmailAddress": "a@b.example",
                "Destination": {"ToAddresses": [f"p{n}@b.example" for n in range(51)]},
            },
            "exceeds 50",
        ),
        (
            {
                "FromEmailAddress": "a@b.example",
                "Destination": {"ToAddresses": ["c@b.example"]},
                "Content": {"Raw": {"Data": b"From: a@b.example\r\n\r\nHallo"}},
            },
            "Raw content is not emulated",
        ),
        (
            {
                "FromEmailAddress": "a@b.example",
                "Destination": {"ToAddresses": ["c@b.example"]},
                "Content": {"Simple": {"Subject": {"Data": "Betreff"}, "Body": {}}},
            },
            "needs Text or Html",
        ),
    ],
)
def test_a_request_ses_would_refuse_gets_its_error_and_nothing_is_kept(
    ses: LocalSesApi, request_params: dict[str, Any], message: str
) -> None:
    params = {"Content": {"Simple": SIMPLE}, **request_params}
    with pytest.raises(ClientError) as refused:
        client(ses).send_email(**params)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "BadRequestException"
    assert message in error["Error"]["Message"]
    assert ses.outbox.read() == []


def test_malformed_bodies_and_other_operations_get_ses_shaped_errors(ses: LocalSesApi) -> None:
    url = ses.endpoint_url + "/v2/email/outbound-emails"
    for body in (b"{not json", b"[]", b'{"Content": 1}'):
        reply = httpx.post(url, content=body)
        assert reply.status_code == 400
        assert reply.headers["x-amzn-errortype"] == "BadRequestException"
        assert set(reply.json()) == {"message"}
    unknown = httpx.get(ses.endpoint_url + "/v2/email/identities")
    assert unknown.status_code == 404
    assert unknown.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert ses.outbox.read() == []


def test_one_line_per_recipient_with_the_address_without_display_name(ses: LocalSesApi) -> None:
    message_id = client(ses).send_email(
        FromEmailAddress="Verein <no-reply@verein.example>",
        Destination={"ToAddresses": ["a@b.example"], "BccAddresses": ["c@b.example"]},
        Content={"Simple": SIMPLE},
    )["MessageId"]
    assert [(m["message_id"], m["from"], m["to"], m["html"]) for m in ses.outbox.read()] == [
        (message_id, "no-reply@verein.example", "a@b.example", ""),
        (message_id, "no-reply@verein.example", "c@b.example", ""),
    ]


def test_a_torn_line_is_skipped_and_the_page_answers_only_get(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append([{"to": "a@b.example", "subject": "Eins", "links": []}])
    with (tmp_path / OUTBOX_FILE).open("ab") as out:
        out.write(b'{"to": "torn')  # a crash in the middle of a line
    outbox.append([{"to": "c@b.example", "subject": "Zwei", "links": []}])
    pages = OutboxPages(outbox)

    def get(query: str = "", accept: str = "application/json", method: str = "GET") -> Any:
        return pages.handle(method, PREFIX, query, {"accept": accept}, b"")

    assert [m["subject"] for m in json.loads(get().body)] == ["Zwei", "Eins"]
    assert get(accept="*/*").headers[0] == ("Content-Type", "text/html; charset=utf-8")
    assert (
        json.loads(get(accept="text/html;q=0.5, application/json").body)[0]["to"] == "c@b.example"
    )
    assert get(method="POST").status == 405
    assert get("limit=0").status == 400 and get("limit=x").status == 400
    assert pages.handle("GET", PREFIX + "/other", "", {}, b"").status == 404
    assert pages.handle("GET", "/_local/cognito/login", "", {}, b"") is None
