"""`membership views verify` and `membership views rebuild` on a local stack with data."""

from __future__ import annotations

import argparse
import os
import threading

import boto3
import httpx
import pytest

from local_aws.cli import LocalStack, default_template_path, main
from local_aws.views_cli import point_at, run
from tests.samples import JSON_APPLICATION
from verein.bootstrap import Adapters
from verein.changes.rebuild import Timing, rebuild

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path):
    saved = dict(os.environ)
    with LocalStack(data_dir=tmp_path / "data", port=0) as running:
        yield running
    os.environ.clear()
    os.environ.update(saved)


def command_args(stack: LocalStack, action: str) -> argparse.Namespace:
    return argparse.Namespace(
        action=action,
        data_dir=None,
        dynamodb_endpoint=stack.dynamodb_endpoint,
        aws_stack=None,
        segments=3,
        retire_after=0.5,
        template=None,
    )


def views_command(stack: LocalStack, action: str) -> int:
    return run(command_args(stack, action), default_template_path())


def staff_list(stack: LocalStack) -> list[str]:
    token = stack.issue_token(groups=("staff",))
    reply = httpx.get(
        f"{stack.base_url}/staff/members?status=applied&limit=100",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.text
    return [member["applicant_name"] for member in reply.json()["members"]]


def tamper(stack: LocalStack, member_id: str, pk_prefix: str = "") -> dict:
    """What an older projection logic would have written: another applicant name."""
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    key = {"pk": {"S": f"{pk_prefix}member#{member_id}"}, "sk": {"S": "summary"}}
    dynamodb.update_item(
        TableName=stack.template.table_name("ViewsTable"),
        Key=key,
        UpdateExpression="SET applicant_name = :x",
        ExpressionAttributeValues={":x": {"S": "Mallory"}},
    )
    return key


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


def test_verify_finds_tampered_and_missing_views_and_rebuild_switches_to_a_good_generation(
    stack, capsys
):
    ids = populate(stack, 12)
    assert views_command(stack, "verify") == 0
    assert "0 views differ" in capsys.readouterr().out

    dynamodb = boto3.client("dynamodb", endpoint_url=stack.dynamodb_endpoint)
    table = stack.template.table_name("ViewsTable")
    key = tamper(stack, ids[1])  # generation 1 has the keys views had before generations
    dynamodb.delete_item(TableName=table, Key={**key, "pk": {"S": f"member#{ids[2]}"}})

    assert views_command(stack, "verify") == 1
    out = capsys.readouterr().out
    assert "membership.directory: generation 1 served" in out
    assert f"member#{ids[1]}\tdifferent" in out and f"member#{ids[2]}\tmissing" in out
    assert "2 views differ" in out

    assert views_command(stack, "rebuild") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:2] == [
        "membership.directory: building generation 2",
        "membership.directory: generation 2 verified and now served (was 1)",
    ]
    assert "membership.directory: generation 1 deleted (11 items)" in captured.out
    assert f"member#{ids[1]}\tdifferent" in captured.out
    assert "2 views differed from the generation served before" in captured.out
    assert "build: 12 streams, 16 domain events" in captured.err
    assert "verify: 12 streams, 16 domain events" in captured.err
    assert "Mallory" not in staff_list(stack) and len(staff_list(stack)) == 12

    assert views_command(stack, "verify") == 0
    out = capsys.readouterr().out
    assert "generation 2 served" in out and "0 views differ" in out
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key)  # generation 1 is gone
    summary = dynamodb.get_item(TableName=table, Key={**key, "pk": {"S": f"g2#member#{ids[1]}"}})
    assert summary["Item"]["applicant_name"]["S"] == JSON_APPLICATION["name"]


def test_the_staff_list_is_served_from_the_old_generation_until_the_switch(stack, capsys):
    """A rebuild after a projection change: staff see the old views, complete and consistent,
    until the switch, then the new ones; what is applied meanwhile is in both."""
    ids = populate(stack, 12)
    tamper(stack, ids[1])
    point_at(command_args(stack, "rebuild"), default_template_path())
    adapters = Adapters.from_environment()
    seen: list[tuple[str, list[str]]] = []
    one_at_a_time = threading.Lock()

    def meanwhile(progress) -> None:
        with one_at_a_time:
            if progress.phase == "build" and not seen:  # an application during the build
                body = {**JSON_APPLICATION, "email": "late@example.org", "name": "Late Comer"}
                assert httpx.post(f"{stack.base_url}/membership/applications", json=body)
                assert stack.wait_for_projections(30)
            seen.append((progress.phase, staff_list(stack)))

    steps: list[str] = []
    report = rebuild(
        adapters.event_store,
        adapters.projections,
        segments=3,
        on_progress=meanwhile,
        on_step=steps.append,
        timing=Timing(retire_after_s=0),
    )
    assert {phase for phase, _ in seen} == {"build", "verify"}
    for _, names in seen:  # the old generation, whole, with the new application
        assert names.count("Mallory") == 1 and "Late Comer" in names and len(names) == 13
    assert [(s.old, s.new) for s in report.switches] == [(1, 2)]
    after = staff_list(stack)
    assert "Mallory" not in after and "Late Comer" in after and len(after) == 13
    assert views_command(stack, "verify") == 0
    assert "0 views differ" in capsys.readouterr().out


def test_a_second_rebuild_while_one_runs_fails_clearly_and_changes_nothing(stack, capsys):
    populate(stack, 3)
    point_at(command_args(stack, "rebuild"), default_template_path())
    adapters = Adapters.from_environment()
    outcome: list[int] = []

    def second_rebuild(progress) -> None:
        if not outcome:
            outcome.append(views_command(stack, "rebuild"))

    rebuild(
        adapters.event_store,
        adapters.projections,
        segments=1,
        on_progress=second_rebuild,
        timing=Timing(retire_after_s=0),
    )
    assert outcome == [1]
    err = capsys.readouterr().err
    assert "another rebuild is building generation 2" in err
    assert views_command(stack, "verify") == 0
    assert "generation 2 served" in capsys.readouterr().out


def test_without_a_running_stack_the_command_says_so(tmp_path, capsys):
    assert main(["views", "verify", "--data-dir", str(tmp_path)]) == 2
    assert "no running local stack" in capsys.readouterr().err


def test_by_default_the_command_finds_the_running_stack_by_its_data_dir(stack, capsys):
    populate(stack, 2)
    stack_file = stack.data_dir / "stack.json"
    assert stack_file.stat().st_mode & 0o777 == 0o600
    assert main(["views", "verify", "--data-dir", str(stack.data_dir)]) == 0
    assert "0 views differ" in capsys.readouterr().out


def test_a_restart_keeps_the_generation_and_a_re_projection_starts_again_at_1(tmp_path, capsys):
    saved = dict(os.environ)
    data_dir = tmp_path / "data"
    try:
        with LocalStack(data_dir=data_dir, port=0, snapshot_after=1) as first:
            ids = populate(first, 3)
            tamper(first, ids[0])
            assert views_command(first, "rebuild") == 0
        with LocalStack(data_dir=data_dir, port=0, snapshot_after=1) as second:
            assert second.start_report["views"] == "snapshot"
            assert "Mallory" not in staff_list(second) and len(staff_list(second)) == 3
            capsys.readouterr()
            assert views_command(second, "verify") == 0
            out = capsys.readouterr().out
            assert "generation 2 served" in out and "0 views differ" in out
        with LocalStack(data_dir=data_dir, port=0, rebuild_views=True) as third:
            assert third.start_report["views"] == "rebuilt"
            assert len(staff_list(third)) == 3
            assert views_command(third, "verify") == 0
            assert "generation 1 served" in capsys.readouterr().out
    finally:
        os.environ.clear()
        os.environ.update(saved)
