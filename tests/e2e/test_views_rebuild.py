"""`membership views verify` and `membership views rebuild` on a local stack with data."""

from __future__ import annotations

import argparse
import os

import boto3
import httpx
import pytest

from local_aws.cli import LocalStack, default_template_path, main
from local_aws.views_cli import run
from tests.samples import JSON_APPLICATION
from verein import runtime

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path):
    saved = dict(os.environ)
    with LocalStack(data_dir=tmp_path / "data", port=0) as running:
        runtime.reset()
        yield running
    os.environ.clear()
    os.environ.update(saved)
    runtime.reset()


def views_command(stack: LocalStack, action: str) -> int:
    args = argparse.Namespace(
        action=action,
        data_dir=None,
        dynamodb_endpoint=stack.dynamodb_endpoint,
        aws_stack=None,
        segments=3,
        template=None,
    )
    return run(args, default_template_path())


def populate(stack: LocalStack, count: int) -> list[str]:
    token = stack.issue_token(groups=("staff",))
    ids = []
    with httpx.Client(base_url=stack.base_url) as client:
        for n in range(count):
            body = {**JSON_APPLICATION, "email": f"person{n}@example.org"}
            ids.append(client.post("/membership/applications", json=body).json()["application_id"])
        for member_id in ids[::3]:
            client.post(
                f"/staff/members/{member_id}/notes",
                json={"text": "called"},
                headers={"Authorization": f"Bearer {token}"},
            )
    assert stack.wait_for_projections(30)
    return ids


def test_verify_finds_tampered_and_missing_views_and_rebuild_repairs_them(stack, capsys):
    ids = populate(stack, 12)
    assert views_command(stack, "verify") == 0
    assert "0 views differ" in capsys.readouterr().out

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    table = stack.template.table_name("ViewsTable")
    key = {"pk": {"S": f"member#{ids[1]}"}, "sk": {"S": "summary"}}
    dynamodb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET applicant_name = :x",
        ExpressionAttributeValues={":x": {"S": "Mallory"}},
    )
    dynamodb.delete_item(TableName=table, Key={**key, "pk": {"S": f"member#{ids[2]}"}})

    assert views_command(stack, "verify") == 1
    out = capsys.readouterr().out
    assert f"member#{ids[1]}\tdifferent" in out and f"member#{ids[2]}\tmissing" in out
    assert "2 views differ" in out

    assert views_command(stack, "rebuild") == 0
    assert "2 views repaired" in capsys.readouterr().out
    assert views_command(stack, "verify") == 0
    summary = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert summary["applicant_name"]["S"] == JSON_APPLICATION["name"]


def test_without_a_running_stack_the_command_says_so(tmp_path, capsys):
    assert main(["views", "verify", "--data-dir", str(tmp_path)]) == 2
    assert "no running local stack" in capsys.readouterr().err


def test_by_default_the_command_finds_the_running_stack_by_its_data_dir(stack, capsys):
    populate(stack, 2)
    stack_file = stack.data_dir / "stack.json"
    assert stack_file.stat().st_mode & 0o777 == 0o600
    assert main(["views", "verify", "--data-dir", str(stack.data_dir)]) == 0
    assert "0 views differ" in capsys.readouterr().out
