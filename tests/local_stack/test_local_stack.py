"""The local stack's process supervision, secrets and data-dir file modes, over real HTTP.

A small throwaway template: a writer function that keeps its boto3 clients at module level (as
verein.bootstrap's Adapters do, so they keep the endpoint they were made with), a projector, two secrets.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import string
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from local_aws.backend import JOURNAL_FILE
from local_aws.cli import LocalStack
from local_aws.jwt_auth import KEY_FILE
from local_aws.secret_values import SECRETS_DIR
from local_aws.streams import DEAD_LETTER_FILE

TEMPLATE = """
Parameters:
  Stage:
    Type: String
    Default: test
Globals:
  Function:
    Timeout: 30
    Environment:
      Variables:
        EVENT_STORE_TABLE: !Ref EventStoreTable
        VIEWS_TABLE: !Ref ViewsTable
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: stream_id, AttributeType: S}
        - {AttributeName: version, AttributeType: N}
      KeySchema:
        - {AttributeName: stream_id, KeyType: HASH}
        - {AttributeName: version, KeyType: RANGE}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  ViewsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  ClaimKeySecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {PasswordLength: 48, ExcludePunctuation: true}
  NamedSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "${Stage}/named"
      SecretString: literal-value
  Api:
    Type: AWS::Serverless::HttpApi
  WriterFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/writer/
      Handler: app.handler
      Environment:
        Variables:
          CLAIM_KEY_SECRET_ARN: !Ref ClaimKeySecret
          NAMED_SECRET_ARN: !Ref NamedSecret
      Events:
        Write:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/events/{id}", Method: POST}
        Read:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/views/{id}", Method: GET}
        Secrets:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /secrets, Method: GET}
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
            MaximumRetryAttempts: 0
"""

WRITER = """
import json, os
import boto3

_dynamodb = boto3.client("dynamodb")  # made once per execution environment, like Adapters
_secrets = None

def handler(event, context):
    global _secrets
    route = event["routeKey"]
    if route == "GET /secrets":
        if _secrets is None:
            client = boto3.client("secretsmanager")
            _secrets = {
                name: client.get_secret_value(SecretId=os.environ[name])["SecretString"]
                for name in ("CLAIM_KEY_SECRET_ARN", "NAMED_SECRET_ARN")
            }
        return {"statusCode": 200, "body": json.dumps(_secrets)}
    item_id = event["pathParameters"]["id"]
    if route == "POST /events/{id}":
        _dynamodb.put_item(
            TableName=os.environ["EVENT_STORE_TABLE"],
            Item={"stream_id": {"S": item_id}, "version": {"N": "1"}},
        )
        return {"statusCode": 200, "body": json.dumps({"stored": item_id})}
    view = _dynamodb.get_item(TableName=os.environ["VIEWS_TABLE"], Key={"pk": {"S": item_id}})
    return {"statusCode": 200 if "Item" in view else 404, "body": "{}"}
"""

# Writes one view row per event; an event with a "poison" attribute fails (and, with
# MaximumRetryAttempts 0, is dead-lettered at once).
PROJECTOR = """
import boto3, os

_dynamodb = boto3.client("dynamodb")

def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        if "poison" in image:
            raise RuntimeError("poison")
        _dynamodb.put_item(
            TableName=os.environ["VIEWS_TABLE"], Item={"pk": {"S": image["stream_id"]["S"]}}
        )
"""


def write_project(root: Path) -> Path:
    for name, code in (("writer", WRITER), ("projector", PROJECTOR)):
        folder = root / "fn" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(code)
    template = root / "template.yaml"
    template.write_text(TEMPLATE)
    return template


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "project")


def eventually(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stored_ids(stack: LocalStack) -> set[str]:
    client = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    items = client.scan(TableName="EventStoreTable")["Items"]
    return {item["stream_id"]["S"] for item in items}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- supervision ------------------------------------------------------------------------------


class Hammer:
    """Posts writes one after another from a thread and remembers every answer."""

    def __init__(self, base_url: str) -> None:
        self.replies: list[tuple[str, int, str]] = []
        self._base_url = base_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self._base_url, timeout=120) as client:
            number = 0
            while not self._stop.is_set():
                item_id = f"h-{number}"
                response = client.post(f"/events/{item_id}")
                self.replies.append((item_id, response.status_code, response.text))
                number += 1

    def __enter__(self) -> Hammer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(120)

    def acknowledged(self) -> list[str]:
        return [item_id for item_id, status, _ in self.replies if status == 200]


def test_a_killed_backend_is_restarted_and_loses_no_acknowledged_write(project: Path) -> None:
    with (
        LocalStack(project, project.parent / "data") as stack,
        httpx.Client(base_url=stack.base_url, timeout=60) as http,
    ):
        for number in range(5):
            assert http.post(f"/events/before-{number}").status_code == 200
        endpoint = stack.dynamodb_endpoint
        old_pid = stack.backend_pid
        assert old_pid is not None
        with Hammer(stack.base_url) as hammer:
            assert eventually(lambda: len(hammer.replies) >= 5)
            os.kill(old_pid, signal.SIGKILL)
            assert eventually(lambda: stack.backend_restarts == 1 and stack.available)
            served_after = len(hammer.replies)
            assert eventually(lambda: len(hammer.acknowledged()) > served_after + 5)
        assert stack.backend_pid not in (None, old_pid)
        assert not stack.failed.is_set()
        # Requests during the restart waited or were told 503, never a 500 or a traceback.
        statuses = {status for _, status, _ in hammer.replies}
        assert statuses <= {200, 503}, hammer.replies
        for _, status, text in hammer.replies:
            if status == 503:
                assert json.loads(text) == {"message": "Service Unavailable"}
        # Same endpoint: the functions' and pollers' cached clients still reach the backend.
        assert stack.dynamodb_endpoint == endpoint
        assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == endpoint
        acknowledged = {f"before-{n}" for n in range(5)} | set(hammer.acknowledged())
        assert acknowledged <= stored_ids(stack)
        # The views were rebuilt from the event store and follow new writes again.
        assert http.post("/events/after").status_code == 200
        assert stack.wait_for_projections(60)
        for item_id in sorted(acknowledged | {"after"}):
            assert http.get(f"/views/{item_id}").status_code == 200, item_id
        assert not (stack.data_dir / DEAD_LETTER_FILE).exists()
        # The new backend made the secrets again, with the same values.
        secrets = boto3.client("secretsmanager", endpoint_url=stack.dynamodb_endpoint)
        value = secrets.get_secret_value(SecretId="ClaimKeySecret")["SecretString"]
        assert value == (stack.data_dir / SECRETS_DIR / "ClaimKeySecret").read_text()


def test_a_backend_that_cannot_be_restarted_stops_the_stack_with_a_reason(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with (
        LocalStack(project, project.parent / "data") as stack,
        httpx.Client(base_url=stack.base_url, timeout=60) as http,
    ):
        for number in range(3):
            assert http.post(f"/events/e-{number}").status_code == 200
        journal = stack.data_dir / JOURNAL_FILE
        first, *rest = journal.read_bytes().splitlines(keepends=True)
        journal.write_bytes(first + b"{not json\n" + b"".join(rest))  # corrupt, not torn
        pid = stack.backend_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert stack.failed.wait(60)
        assert stack.failure is not None
        assert "restarting it failed" in stack.failure
        assert "SIGKILL" in stack.failure
        response = http.post("/events/late")
        assert response.status_code == 503
        assert response.json() == {"message": "Service Unavailable"}
    assert "is corrupt" in capfd.readouterr().err


# --- secrets ----------------------------------------------------------------------------------


def read_secrets(stack: LocalStack) -> dict[str, str]:
    response = httpx.get(f"{stack.base_url}/secrets", timeout=30)
    assert response.status_code == 200, response.text
    secrets: dict[str, str] = response.json()
    return secrets


def test_functions_read_the_template_secrets_and_the_value_survives_a_restart(
    project: Path,
) -> None:
    data_dir = project.parent / "data"
    with LocalStack(project, data_dir) as stack:
        # !Ref of a secret is its name locally (the ARN deployed): GetSecretValue takes both.
        environment = stack.template.functions["WriterFunction"].environment
        assert environment["CLAIM_KEY_SECRET_ARN"] == "ClaimKeySecret"
        assert environment["NAMED_SECRET_ARN"] == "test/named"
        first = read_secrets(stack)
    value = first["CLAIM_KEY_SECRET_ARN"]
    assert len(value) == 48
    assert set(value) <= set(string.ascii_letters + string.digits)
    assert first["NAMED_SECRET_ARN"] == "literal-value"
    stored = data_dir / SECRETS_DIR / "ClaimKeySecret"
    assert stored.read_text() == value
    assert mode(stored) == 0o600
    assert mode(stored.parent) == 0o700
    assert not (data_dir / SECRETS_DIR / "NamedSecret").exists()  # the template holds it

    with LocalStack(project, data_dir) as stack:
        assert read_secrets(stack) == first  # fresh function copies, same value


def test_each_data_dir_gets_its_own_generated_secret(project: Path) -> None:
    values = []
    for name in ("one", "two"):
        with LocalStack(project, project.parent / name) as stack:
            values.append(read_secrets(stack)["CLAIM_KEY_SECRET_ARN"])
    assert values[0] != values[1]


# --- file modes -------------------------------------------------------------------------------


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o000)  # the worst case: nothing masked by the environment
    try:
        yield
    finally:
        os.umask(previous)


def poison(stack: LocalStack) -> None:
    client: Any = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    client.put_item(
        TableName="EventStoreTable",
        Item={"stream_id": {"S": "bad"}, "version": {"N": "1"}, "poison": {"BOOL": True}},
    )
    assert stack.wait_for_projections(60)


def test_everything_the_stack_writes_in_the_data_dir_is_the_owners_only(
    project: Path, permissive_umask: None
) -> None:
    data_dir = project.parent / "data"
    with LocalStack(project, data_dir) as stack:
        assert httpx.post(f"{stack.base_url}/events/x", timeout=30).status_code == 200
        poison(stack)
        stack.issue_token()
    written = [data_dir / JOURNAL_FILE, data_dir / DEAD_LETTER_FILE, data_dir / KEY_FILE]
    written.append(data_dir / SECRETS_DIR / "ClaimKeySecret")
    for path in written:
        assert mode(path) == 0o600, path
    for folder in (data_dir, data_dir / SECRETS_DIR):
        assert mode(folder) == 0o700, folder
    # Nothing else was left behind (temporary files of the key and the secret).
    assert sorted(p.name for p in data_dir.rglob("*")) == sorted(
        [JOURNAL_FILE, DEAD_LETTER_FILE, KEY_FILE, SECRETS_DIR, "ClaimKeySecret"]
    )


def test_looser_modes_left_by_an_older_stack_are_tightened_on_start(project: Path) -> None:
    data_dir = project.parent / "data"
    with LocalStack(project, data_dir) as stack:
        assert httpx.post(f"{stack.base_url}/events/x", timeout=30).status_code == 200
        poison(stack)
    files = [
        data_dir / JOURNAL_FILE,
        data_dir / DEAD_LETTER_FILE,
        data_dir / KEY_FILE,
        data_dir / SECRETS_DIR / "ClaimKeySecret",
    ]
    for path in files:
        path.chmod(0o644)
    for folder in (data_dir, data_dir / SECRETS_DIR):
        folder.chmod(0o755)
    with LocalStack(project, data_dir):
        for path in files:
            assert mode(path) == 0o600, path
        for folder in (data_dir, data_dir / SECRETS_DIR):
            assert mode(folder) == 0o700, folder


def child_pids(pid: int) -> set[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return children


def test_membership_local_exits_with_the_reason_when_the_backend_cannot_come_back(
    project: Path,
) -> None:
    data_dir = project.parent / "data"
    infra = Path(__file__).resolve().parents[2] / "infra"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(infra), os.environ.get("PYTHONPATH", "")])
    )
    command = [sys.executable, "-m", "local_aws", "local", "--port", "0", "--quiet"]
    command += ["--template", str(project), "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("ready"):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        base = next(line.split()[-1] for line in lines if line.startswith("Membership system"))
        assert httpx.post(f"{base}/events/e-1", timeout=30).status_code == 200
        (data_dir / JOURNAL_FILE).write_text("{not json\n" + (data_dir / JOURNAL_FILE).read_text())
        (backend,) = [  # its other children are the functions' execution environments
            pid
            for pid in child_pids(process.pid)
            if b"local_aws.backend" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        os.kill(backend, signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    assert "membership local: stopping: local backend" in stderr
    assert "restarting it failed" in stderr
