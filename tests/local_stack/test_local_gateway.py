"""The local stack end to end, on a small throwaway template and stand-in functions.

Independent of the project's real functions: the template and handlers are written to tmp_path.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric import rsa

from local_aws.backend import JOURNAL_FILE, JournalingMiddleware
from local_aws.cli import LocalStack, main
from local_aws.gateway import RouteTable
from local_aws.jwt_auth import LocalCognito
from local_aws.streams import DEAD_LETTER_FILE
from local_aws.template import Route

TEMPLATE = """
Parameters:
  LogDir:
    Type: String
    Default: {log_dir}
  Stage:
    Type: String
    Default: test
Globals:
  Function:
    Timeout: 5
    Environment:
      Variables:
        EVENT_STORE_TABLE: !Ref EventStoreTable
        VIEWS_TABLE: !Ref ViewsTable
        LOG_DIR: !Ref LogDir
        MARK: !Sub "${{Stage}}-mark"
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {{AttributeName: stream_id, AttributeType: S}}
        - {{AttributeName: version, AttributeType: N}}
      KeySchema:
        - {{AttributeName: stream_id, KeyType: HASH}}
        - {{AttributeName: version, KeyType: RANGE}}
      StreamSpecification: {{StreamViewType: NEW_IMAGE}}
      PointInTimeRecoverySpecification: {{PointInTimeRecoveryEnabled: true}}
  ViewsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {{issuer: https://issuer.invalid, audience: [client]}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/echo/
      Handler: app.handler
      Events:
        Named:
          Type: HttpApi
          Properties:
            {{ApiId: !Ref Api, Path: "/echo/{{name}}", Method: GET, Auth: {{Authorizer: NONE}}}}
        Post:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /echo, Method: POST, Auth: {{Authorizer: NONE}}}}
        Boom:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /boom, Method: GET, Auth: {{Authorizer: NONE}}}}
        Secret:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /secret, Method: GET}}
  ProjectorFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/projector/
      Handler: app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt EventStoreTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
"""

ECHO = """
import json, os, pathlib

def handler(event, context):
    with (pathlib.Path(os.environ["LOG_DIR"]) / "echo-calls.log").open("a") as out:
        out.write(event["rawPath"] + "\\n")
    if event["rawPath"] == "/boom":
        raise RuntimeError("secret internal detail")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-function": context.function_name},
        "cookies": ["a=1", "b=2"],
        "body": json.dumps({
            "event": event,
            "env": {k: os.environ[k] for k in ("EVENT_STORE_TABLE", "VIEWS_TABLE", "MARK")},
            "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
        }),
    }
"""

# Records every delivery; fails records on request ("fail": "once" or "always"); writes a view
# row per projected record with its own lazily created client (reaches the backend through the
# AWS_ENDPOINT_URL_DYNAMODB the stack sets).
PROJECTOR = """
import json, os, pathlib
import boto3

_client = None

def handler(event, context):
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    log_dir = pathlib.Path(os.environ["LOG_DIR"])
    failures = []
    with (log_dir / "deliveries.jsonl").open("a") as out:
        for record in event["Records"]:
            out.write(json.dumps(record) + "\\n")
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        key = image["stream_id"]["S"] + "#" + image["version"]["N"]
        mode = image.get("fail", {}).get("S")
        marker = log_dir / ("failed-" + key)
        if mode == "always" or (mode == "once" and not marker.exists()):
            marker.touch()
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            continue
        _client.put_item(TableName=os.environ["VIEWS_TABLE"], Item={"pk": {"S": key}})
    return {"batchItemFailures": failures}
"""


def write_project(root: Path) -> Path:
    log_dir = root / "logs"
    log_dir.mkdir(parents=True)
    for name, code in (("echo", ECHO), ("projector", PROJECTOR)):
        folder = root / "fn" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(code)
    template = root / "template.yaml"
    template.write_text(TEMPLATE.format(log_dir=log_dir))
    return template


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def stack(project: Path) -> Iterator[LocalStack]:
    with LocalStack(project, project.parent / "data") as running:
        yield running


@pytest.fixture
def http(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        yield client


def dynamodb(stack: LocalStack) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(max_pool_connections=50, retries={"max_attempts": 1}),
    )


def deliveries(project: Path, stream_id: str) -> list[dict[str, Any]]:
    path = project.parent / "logs" / "deliveries.jsonl"
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in records if r["dynamodb"]["Keys"]["stream_id"]["S"] == stream_id]


def echo_calls(project: Path) -> int:
    path = project.parent / "logs" / "echo-calls.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def put_event(client: Any, stream_id: str, version: int, **extra: str) -> None:
    item = {"stream_id": {"S": stream_id}, "version": {"N": str(version)}}
    item.update({name: {"S": value} for name, value in extra.items()})
    client.put_item(TableName="EventStoreTable", Item=item)


# --- HTTP API events ---------------------------------------------------------------------------


def test_event_shape_for_a_public_route(http: httpx.Client) -> None:
    response = http.get(
        "/echo/hello%20world?x=1&x=2&empty=",
        headers=[("X-Custom", "a"), ("X-Custom", "b"), ("Cookie", "c1=v1; c2=v2")],
    )
    assert response.status_code == 200
    assert response.headers["x-function"] == "EchoFunction"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    payload = response.json()
    event = payload["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /echo/{name}"
    assert event["rawPath"] == "/echo/hello%20world"
    assert event["rawQueryString"] == "x=1&x=2&empty="
    assert event["pathParameters"] == {"name": "hello world"}
    assert event["queryStringParameters"] == {"x": "1,2", "empty": ""}
    assert event["headers"]["x-custom"] == "a,b"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["routeKey"] == "GET /echo/{name}"
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/echo/hello%20world"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["http"]["userAgent"].startswith("python-httpx")
    assert isinstance(context["timeEpoch"], int)
    assert context["requestId"]
    assert "authorizer" not in context
    # The template's environment, resolved locally.
    assert payload["env"] == {
        "EVENT_STORE_TABLE": "EventStoreTable",
        "VIEWS_TABLE": "ViewsTable",
        "MARK": "test-mark",
    }
    assert 0 < payload["remaining_ms"] <= 5000


def test_literal_routes_win_over_parameters_and_any() -> None:
    table = RouteTable(
        [
            Route("ANY", "/a/b", "any", None),
            Route("GET", "/a/{x}", "param", None),
            Route("GET", "/a/b", "literal", None),
            Route("GET", "/files/{path+}", "greedy", None),
        ]
    )
    assert table.match("GET", "/a/b") == (Route("GET", "/a/b", "literal", None), {})
    assert table.match("POST", "/a/b") == (Route("ANY", "/a/b", "any", None), {})
    assert table.match("GET", "/a/c%2Fd") == (Route("GET", "/a/{x}", "param", None), {"x": "c/d"})
    assert table.match("GET", "/files/x/y.txt") == (
        Route("GET", "/files/{path+}", "greedy", None),
        {"path": "x/y.txt"},
    )
    assert table.match("GET", "/a") is None


def test_request_ids_are_unique(http: httpx.Client) -> None:
    ids = {http.get("/echo/x").json()["event"]["requestContext"]["requestId"] for _ in range(5)}
    assert len(ids) == 5


def test_bodies_text_or_base64_by_content_type(http: httpx.Client) -> None:
    binary = bytes(range(256))
    event = http.post(
        "/echo", content=binary, headers={"content-type": "application/octet-stream"}
    ).json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == binary
    assert "pathParameters" not in event
    assert "queryStringParameters" not in event

    event = http.post("/echo", json={"a": "ä"}).json()["event"]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"a": "ä"}

    # HTTP APIs hand form posts over base64-encoded, too.
    event = http.post("/echo", data={"name": "Jörg"}).json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"name=J%C3%B6rg"


def test_unknown_route_is_404(http: httpx.Client) -> None:
    for method, path in (("GET", "/nope"), ("DELETE", "/echo/x"), ("GET", "/echo/a/b")):
        response = http.request(method, path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "BREW"])
def test_methods_http_server_does_not_know_are_routed_like_any_other(
    http: httpx.Client, method: str
) -> None:
    response = http.request(method, "/nope")
    assert response.status_code == 404  # http.server would answer 501 with an HTML page
    assert response.json() == {"message": "Not Found"}


def test_jwt_route_rejects_missing_forged_and_expired_tokens(
    stack: LocalStack, http: httpx.Client, project: Path
) -> None:
    calls_before = echo_calls(project)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    valid_claims = jwt.decode(stack.issue_token(), options={"verify_signature": False})
    forged = jwt.encode(valid_claims, forger, algorithm="RS256")
    expired = stack.cognito.issue_token(ttl=-60)
    other_audience = LocalCognito(project.parent / "data", client_id="someone-else").issue_token()
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {other_audience}"},
    ):
        response = http.get("/secret", headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {"message": "Unauthorized"}
    assert echo_calls(project) == calls_before  # the function was never called


def test_jwt_route_passes_claims_as_strings(stack: LocalStack, http: httpx.Client) -> None:
    token = stack.issue_token(groups=("staff", "admin"))
    response = http.get("/secret", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    authorizer = response.json()["event"]["requestContext"]["authorizer"]
    assert authorizer["jwt"]["scopes"] is None
    claims = authorizer["jwt"]["claims"]
    assert claims["cognito:groups"] == "[staff admin]"
    assert claims["aud"] == "local-staff-client"
    assert claims["email"]
    assert claims["sub"]
    assert isinstance(claims["exp"], str) and int(claims["exp"]) > time.time()


def test_a_single_group_is_still_a_bracketed_list(stack: LocalStack, http: httpx.Client) -> None:
    token = stack.issue_token(groups=("staff",))
    response = http.get("/secret", headers={"Authorization": f"Bearer {token}"})
    claims = response.json()["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:groups"] == "[staff]"


@pytest.mark.parametrize(
    "group",
    ["", "staff admin", "staff\tadmin", "staff\n", "\u00a0staff", "a\x00b", "x" * 129],
)
def test_tokens_refuse_group_names_cognito_would_refuse(tmp_path: Path, group: str) -> None:
    cognito = LocalCognito(tmp_path)
    with pytest.raises(ValueError, match="Cognito group name"):
        cognito.issue_token(groups=("staff", group))


@pytest.mark.parametrize("group", ["staff", "x" * 128, "Vorstand-Köln", "a.b_c@d+e", "🙂"])
def test_tokens_accept_group_names_cognito_accepts(tmp_path: Path, group: str) -> None:
    claims = LocalCognito(tmp_path).verify(LocalCognito(tmp_path).issue_token(groups=(group,)))
    assert claims is not None
    assert claims["cognito:groups"] == [group]


def test_token_command_refuses_a_group_with_a_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["local", "token", "--group", "staff admin", "--data-dir", str(tmp_path / "d")])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Cognito group name 'staff admin'" in captured.err
    assert "no whitespace" in captured.err
    assert not (tmp_path / "d").exists()  # refused before anything was written


def test_function_error_is_a_bare_500(
    http: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    response = http.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "secret internal detail" in capfd.readouterr().err  # logged, not sent


def test_oversized_body_is_413(http: httpx.Client) -> None:
    response = http.post("/echo", content=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413


def raw_exchange(stack: LocalStack, head: bytes) -> tuple[int, bytes]:
    """Send ``head`` over a raw socket, keep the sending side open, read one response.

    The socket timeout only keeps a hanging gateway from hanging the test run: the gateway is
    expected to answer without waiting for more bytes, so the answer must come at all.
    """
    host, port = stack.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without a response: {data!r}"
            data += chunk
        header, _, body = data.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-body"
            body += chunk
    return int(lines[0].split()[1]), body


@pytest.mark.parametrize(
    "content_length",
    ["-1", "-0", "abc", "+5", "1_0", " 0x10", "1e3", "\u0661", "5, 6"],
)
def test_malformed_content_length_is_answered_400_at_once(
    stack: LocalStack, project: Path, content_length: str
) -> None:
    calls_before = echo_calls(project)
    status, body = raw_exchange(
        stack,
        f"POST /echo HTTP/1.1\r\nHost: local\r\nContent-Length: {content_length}\r\n\r\n".encode(),
    )
    assert status == 400
    assert body == b'{"message":"Bad Request"}'
    assert echo_calls(project) == calls_before


def test_disagreeing_content_length_headers_are_400(stack: LocalStack) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: local\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"
    assert raw_exchange(stack, head)[0] == 400


def test_negative_chunk_size_is_answered_400_at_once(stack: LocalStack) -> None:
    head = b"POST /echo HTTP/1.1\r\nHost: local\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"
    assert raw_exchange(stack, head) == (400, b'{"message":"Bad Request"}')


def test_content_length_beyond_the_payload_limit_is_413_without_reading_the_body(
    stack: LocalStack, project: Path
) -> None:
    calls_before = echo_calls(project)
    # Only the head is sent: a gateway that read the body first would wait forever.
    head = f"POST /echo HTTP/1.1\r\nHost: local\r\nContent-Length: {10 * 1024 * 1024 + 1}\r\n\r\n"
    status, body = raw_exchange(stack, head.encode())
    assert status == 413
    assert body == b'{"message":"Request Entity Too Large"}'
    assert echo_calls(project) == calls_before


def test_a_well_formed_content_length_still_works_over_raw_http(stack: LocalStack) -> None:
    payload = b'{"a":1}'
    head = (
        b"POST /echo HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    status, body = raw_exchange(stack, head)
    assert status == 200
    assert json.loads(json.loads(body)["event"]["body"]) == {"a": 1}


# --- stream mapping ----------------------------------------------------------------------------


def test_stream_records_have_lambdas_shape_and_reach_the_views(
    stack: LocalStack, project: Path
) -> None:
    client = dynamodb(stack)
    put_event(client, "shape", 1, payload="p")
    assert stack.wait_for_projections(10)
    (record,) = deliveries(project, "shape")
    assert record["eventName"] == "INSERT"
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "eu-central-1"
    assert record["eventSourceARN"].startswith("arn:aws:dynamodb:")
    assert "/stream/" in record["eventSourceARN"]
    data = record["dynamodb"]
    assert isinstance(data["ApproximateCreationDateTime"], int)
    assert abs(data["ApproximateCreationDateTime"] - time.time()) < 60
    assert data["Keys"] == {"stream_id": {"S": "shape"}, "version": {"N": "1"}}
    assert data["NewImage"]["payload"] == {"S": "p"}
    assert data["StreamViewType"] == "NEW_IMAGE"
    assert data["SequenceNumber"].isdigit()
    assert data["SizeBytes"] > 0
    view = client.get_item(TableName="ViewsTable", Key={"pk": {"S": "shape#1"}})
    assert "Item" in view


def test_reported_item_failure_is_redelivered_from_that_record(
    stack: LocalStack, project: Path
) -> None:
    client = dynamodb(stack)
    client.batch_write_item(
        RequestItems={
            "EventStoreTable": [
                {
                    "PutRequest": {
                        "Item": {
                            "stream_id": {"S": "retry"},
                            "version": {"N": str(v)},
                            **({"fail": {"S": "once"}} if v == 2 else {}),
                        }
                    }
                }
                for v in (1, 2, 3)
            ]
        }
    )
    assert stack.wait_for_projections(10)
    versions = [int(r["dynamodb"]["Keys"]["version"]["N"]) for r in deliveries(project, "retry")]
    # 1 succeeded and is not redelivered; 2 failed once, so 2 and 3 come again.
    assert versions == [1, 2, 3, 2, 3]
    for version in (1, 2, 3):
        key = {"pk": {"S": f"retry#{version}"}}
        assert "Item" in client.get_item(TableName="ViewsTable", Key=key)


def test_record_is_dead_lettered_after_max_retries(stack: LocalStack, project: Path) -> None:
    client = dynamodb(stack)
    put_event(client, "poison", 1, fail="always")
    put_event(client, "poison", 2)
    assert stack.wait_for_projections(10)
    versions = [int(r["dynamodb"]["Keys"]["version"]["N"]) for r in deliveries(project, "poison")]
    assert versions.count(1) == 3  # first attempt + MaximumRetryAttempts (2)
    assert versions[-1] == 2  # then the stream moved on
    dead = [
        json.loads(line) for line in (stack.data_dir / DEAD_LETTER_FILE).read_text().splitlines()
    ]
    (letter,) = [d for d in dead if d["record"]["dynamodb"]["Keys"]["stream_id"]["S"] == "poison"]
    assert letter["record"]["dynamodb"]["Keys"]["version"] == {"N": "1"}
    assert letter["function"] == "ProjectorFunction"


# --- the backend: serialization and persistence ------------------------------------------------


def test_conditional_put_race_has_exactly_one_winner(stack: LocalStack) -> None:
    client = dynamodb(stack)
    for round_number in range(4):
        barrier = threading.Barrier(30)
        wins: list[int] = []

        def attempt(
            worker: int,
            round_number: int = round_number,
            barrier: threading.Barrier = barrier,
            wins: list[int] = wins,
        ) -> None:
            barrier.wait()
            try:
                client.put_item(
                    TableName="ViewsTable",
                    Item={"pk": {"S": f"race-{round_number}"}, "w": {"N": str(worker)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                wins.append(worker)
            except client.exceptions.ConditionalCheckFailedException:
                pass

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(wins) == 1, f"round {round_number}: winners {wins}"


def test_middleware_never_lets_two_requests_overlap() -> None:
    # A fake app with a wide check-then-write window: without the lock this overlaps at once.
    active = 0
    overlaps = 0
    guard = threading.Lock()

    def racy_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        nonlocal active, overlaps
        with guard:
            active += 1
            overlaps += active > 1
        time.sleep(0.002)
        with guard:
            active -= 1
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    middleware = JournalingMiddleware(racy_app, None, ())
    threads = [
        threading.Thread(target=middleware.call, args=("DynamoDB_20120810.GetItem", b"{}"))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert overlaps == 0


def test_journal_survives_a_restart_and_rebuilds_the_views(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    data_dir = tmp_path / "data"
    with LocalStack(project, data_dir) as first:
        client = dynamodb(first)
        put_event(client, "kept", 1, payload="ä")
        client.update_item(
            TableName="EventStoreTable",
            Key={"stream_id": {"S": "kept"}, "version": {"N": "1"}},
            UpdateExpression="SET touched = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName="EventStoreTable",
                Item={"stream_id": {"S": "kept"}, "version": {"N": "1"}, "lost": {"S": "x"}},
                ConditionExpression="attribute_not_exists(stream_id)",
            )
        client.put_item(TableName="ViewsTable", Item={"pk": {"S": "not-journaled"}})
        assert first.wait_for_projections(10)
    journal = (data_dir / JOURNAL_FILE).read_text().splitlines()
    assert [json.loads(line)["target"] for line in journal] == [
        "DynamoDB_20120810.PutItem",
        "DynamoDB_20120810.UpdateItem",
    ]

    with LocalStack(project, data_dir) as second:
        assert second.replayed_writes == 2
        client = dynamodb(second)
        item = client.get_item(
            TableName="EventStoreTable", Key={"stream_id": {"S": "kept"}, "version": {"N": "1"}}
        )["Item"]
        assert item["payload"] == {"S": "ä"}
        assert item["touched"] == {"BOOL": True}
        assert "lost" not in item
        # The views are not journaled: they come back through the stream, before "ready".
        assert "Item" in client.get_item(TableName="ViewsTable", Key={"pk": {"S": "kept#1"}})
        missing = client.get_item(TableName="ViewsTable", Key={"pk": {"S": "not-journaled"}})
        assert "Item" not in missing


def test_torn_last_journal_line_is_dropped(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    data_dir = tmp_path / "data"
    with LocalStack(project, data_dir) as first:
        put_event(dynamodb(first), "torn", 1)
    with (data_dir / JOURNAL_FILE).open("a") as journal:
        journal.write('{"target": "DynamoDB_20120810.PutItem", "bo')
    with LocalStack(project, data_dir) as second:
        assert second.replayed_writes == 1
    assert (data_dir / JOURNAL_FILE).read_text().endswith("}\n")


# --- the command line --------------------------------------------------------------------------


def test_token_command_prints_a_verifiable_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", "token", "--group", "staff", "--data-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip()
    claims = LocalCognito(tmp_path).verify(f"Bearer {token}")
    assert claims is not None
    assert claims["cognito:groups"] == ["staff"]
    assert claims["exp"] - time.time() > 11 * 3600
    assert oct((tmp_path / "jwt-signing-key.pem").stat().st_mode & 0o777) == "0o600"


def test_membership_local_starts_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    infra = Path(__file__).resolve().parents[2] / "infra"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(infra), os.environ.get("PYTHONPATH", "")])
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local_aws",
            "local",
            "--port",
            "0",
            "--quiet",
            "--template",
            str(project),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        output = "".join(lines)
        assert "ready" in output, output
        base = next(
            line.split()[-1] for line in lines if line.startswith("Membership system running at")
        )
        token = lines[lines.index("Staff token (valid 12 h):\n") + 1].strip()
        response = httpx.get(f"{base}/secret", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
