"""The template's schedules in the local stack (``local_aws.schedules``).

Read from the template (``ScheduleV2`` and ``Schedule`` events); run at start-up and then every
interval, a failing one only logged; ``POST /_local/schedules/<function>`` runs one now (with
``?today=`` as ``detail.today`` where the function's ``TODAY_FROM_EVENT`` allows it). In this
process with a stand-in for the functions, then over real HTTP: a small throwaway template,
and the product's own, where a membership under notice ends and its address may apply again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_aws.cli import LocalStack
from local_aws.schedules import PREFIX, LocalSchedules, schedule_event
from local_aws.template import ScheduleSpec, load_template
from tests.samples import JSON_APPLICATION

TEMPLATE = """
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: stream_id, AttributeType: S}]
      KeySchema: [{AttributeName: stream_id, KeyType: HASH}]
  NightlyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/echo/
      Handler: app.handler
      Environment:
        Variables:
          TODAY_FROM_EVENT: "false"
      Events:
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(15 0 * * ? *)
            ScheduleExpressionTimezone: Europe/Berlin
            Input: '{"job": "nightly"}'
  HourlyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/echo/
      Handler: app.handler
      Events:
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour)}
        Paused:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(1 day), State: DISABLED}
  FailingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/failing/
      Handler: app.handler
      Events:
        Often:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes)}
"""

ECHO = """
import os

runs = 0

def handler(event, context):
    global runs
    runs += 1
    return {"event": event, "runs": runs, "today_from_event": os.environ.get("TODAY_FROM_EVENT")}
"""

FAILING = """
def handler(event, context):
    raise RuntimeError("the nightly job broke")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name, code in (("echo", ECHO), ("failing", FAILING)):
        folder = root / "fn" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(code)
    template = root / "template.yaml"
    template.write_text(TEMPLATE)
    return template


def eventually(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- from the template, in this process -------------------------------------------------------


def test_the_schedules_are_read_from_the_template_disabled_ones_left_out(project):
    schedules = load_template(project).schedules
    assert [(s.function, s.event_name, s.kind, s.expression, s.timezone) for s in schedules] == [
        ("NightlyFunction", "Nightly", "ScheduleV2", "cron(15 0 * * ? *)", "Europe/Berlin"),
        ("HourlyFunction", "Hourly", "Schedule", "rate(1 hour)", "UTC"),
        ("FailingFunction", "Often", "ScheduleV2", "rate(5 minutes)", "UTC"),
    ]


def test_the_event_is_what_aws_sends_and_today_goes_into_its_detail(project):
    nightly, hourly, often = load_template(project).schedules
    assert schedule_event(nightly) == {"job": "nightly"}
    assert schedule_event(often) == {}
    rule = schedule_event(hourly)
    assert (rule["detail-type"], rule["source"], rule["detail"]) == (
        "Scheduled Event",
        "aws.events",
        {},
    )
    day = date(2027, 1, 1)
    assert schedule_event(nightly, day) == {"job": "nightly", "detail": {"today": "2027-01-01"}}
    assert schedule_event(hourly, day)["detail"] == {"today": "2027-01-01"}


class Functions:
    """Stands in for the stack's functions: records the events, fails where told to."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.events: list[tuple[str, Any]] = []
        self.failing = failing
        self.lock = threading.Lock()

    def invoke(self, function: str, event: Any) -> Any:
        with self.lock:
            self.events.append((function, event))
        if function in self.failing:
            raise RuntimeError("broken")
        return {"ran": function}


SPECS = (
    ScheduleSpec("NightlyFunction", "Nightly", "ScheduleV2", "cron(15 0 * * ? *)", input="{}"),
    ScheduleSpec("FailingFunction", "Often", "ScheduleV2", "rate(5 minutes)"),
)


def test_every_schedule_runs_at_start_and_then_every_interval_a_failure_only_logged(capfd):
    functions = Functions(failing=("FailingFunction",))
    schedules = LocalSchedules(SPECS, functions.invoke, interval_s=0.2).start()
    try:
        assert eventually(lambda: len(functions.events) >= 6, timeout=20)
    finally:
        schedules.stop()
    names = [name for name, _ in functions.events]
    assert names[:4] == ["NightlyFunction", "FailingFunction"] * 2  # the failure stopped nothing
    assert "schedule FailingFunction.Often failed" in capfd.readouterr().err
    last = {entry["function"]: entry["last_run"] for entry in schedules.listing()}
    assert last["NightlyFunction"]["ok"] and last["NightlyFunction"]["result"] == {
        "ran": "NightlyFunction"
    }
    assert last["FailingFunction"] == {
        **last["FailingFunction"],
        "ok": False,
        "error": "RuntimeError",
    }


def test_interval_zero_runs_only_when_asked_and_an_unavailable_stack_skips_a_run():
    functions = Functions()
    schedules = LocalSchedules(SPECS, functions.invoke, interval_s=0).start()
    time.sleep(0.2)
    assert functions.events == []
    schedules.stop()
    down = LocalSchedules(SPECS, functions.invoke, available=lambda: False)
    down.run_all()
    assert functions.events == []


def post(schedules: LocalSchedules, target: str, **headers: str) -> tuple[int, Any]:
    path, _, query = target.partition("?")
    answer = schedules.handle("POST", path, query, headers, b"")
    assert answer is not None
    return answer.status, json.loads(answer.body)


def test_the_route_refuses_what_it_does_not_know_and_other_sites():
    functions = Functions()
    origins = {"http://127.0.0.1:3000", "http://localhost:3000"}
    schedules = LocalSchedules(SPECS, functions.invoke, origins=lambda: origins)
    assert schedules.handle("GET", "/_local/mail", "", {}, b"") is None  # not its path
    assert post(schedules, f"{PREFIX}/NightlyFunction") == (200, {"ran": "NightlyFunction"})
    for target, status in (
        (f"{PREFIX}/NoSuchFunction", 404),
        (f"{PREFIX}/NightlyFunction/extra", 404),
        (f"{PREFIX}/NightlyFunction?today=2027-02-30", 400),
        (f"{PREFIX}/NightlyFunction?today=tomorrow", 400),
        (f"{PREFIX}/NightlyFunction?when=now", 400),
        (f"{PREFIX}/NightlyFunction?schedule=Other", 404),
    ):
        assert post(schedules, target)[0] == status, target
    assert (
        post(schedules, f"{PREFIX}/NightlyFunction", **{"sec-fetch-site": "cross-site"})[0] == 403
    )
    assert post(schedules, f"{PREFIX}/NightlyFunction", origin="https://evil.example")[0] == 403
    assert post(schedules, f"{PREFIX}/NightlyFunction", origin="http://localhost:3000")[0] == 200
    same = post(schedules, f"{PREFIX}/NightlyFunction", **{"sec-fetch-site": "same-origin"})
    assert same[0] == 200
    refused = schedules.handle("GET", f"{PREFIX}/NightlyFunction", "", {}, b"")
    assert refused is not None and refused.status == 405
    assert ("Allow", "POST") in refused.headers
    assert len(functions.events) == 3  # only the three allowed runs reached a function


# --- over HTTP: a throwaway template ----------------------------------------------------------


def test_the_stack_runs_the_schedules_and_answers_post_with_the_result(project):
    with (
        LocalStack(project, project.parent / "data", schedule_interval=3600) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):

        def started() -> bool:
            runs = client.get(PREFIX).json()
            return all(entry["last_run"] is not None for entry in runs)

        assert eventually(started), client.get(PREFIX).text  # each ran once at start-up
        listed = {e["function"]: e["last_run"]["ok"] for e in client.get(PREFIX).json()}
        assert listed == {"NightlyFunction": True, "HourlyFunction": True, "FailingFunction": False}

        answer = client.post(f"{PREFIX}/NightlyFunction")
        assert answer.status_code == 200, answer.text
        # The template's Input; the local twin lets this function take the day from the event.
        assert answer.json()["event"] == {"job": "nightly"}
        assert answer.json()["today_from_event"] == "true"
        later = client.post(f"{PREFIX}/NightlyFunction", params={"today": "2027-01-01"}).json()
        assert later["event"] == {"job": "nightly", "detail": {"today": "2027-01-01"}}

        hourly = client.post(f"{PREFIX}/HourlyFunction").json()
        assert hourly["event"]["detail-type"] == "Scheduled Event"
        assert hourly["today_from_event"] is None  # its template does not name the variable

        failed = client.post(f"{PREFIX}/FailingFunction")
        assert failed.status_code == 500
        assert failed.json() == {
            "errorType": "RuntimeError",
            "errorMessage": "the nightly job broke",
        }
        assert client.post(f"{PREFIX}/NoSuchFunction").status_code == 404
        assert client.get(f"{PREFIX}/", headers={"Accept": "application/json"}).status_code == 200


# --- over HTTP: the product's template ----------------------------------------------------------


def test_a_membership_under_notice_ends_the_day_after_its_last_day_and_the_address_is_free(
    tmp_path,
):
    address = "kuendigung@example.org"
    with (
        LocalStack(data_dir=tmp_path / "data", port=0) as stack,
        httpx.Client(base_url=stack.base_url, timeout=60) as client,
    ):
        staff = {"Authorization": f"Bearer {stack.issue_token(groups=('staff',))}"}
        applied = client.post(
            "/membership/applications", json={**JSON_APPLICATION, "email": address}
        )
        assert applied.status_code == 202, applied.text
        member_id = applied.json()["application_id"]
        approved = client.post(f"/staff/members/{member_id}/approve", headers=staff)
        assert approved.status_code == 200, approved.text
        # Notice with the default last day (the term end); a day before today is refused.
        notice = client.post(f"/staff/members/{member_id}/terminate", json={}, headers=staff)
        assert notice.status_code == 200, notice.text
        ends_on = date.fromisoformat(notice.json()["ends_on"])
        assert stack.wait_for_projections(30)

        def run(today: date | None = None) -> dict[str, Any]:
            params = {} if today is None else {"today": today.isoformat()}
            answer = client.post(f"{PREFIX}/ScheduledFunction", params=params)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        def status_as_of(day: date) -> str:
            answer = client.get(
                f"/staff/members/{member_id}", params={"as_of": day.isoformat()}, headers=staff
            )
            assert answer.status_code == 200, answer.text
            return str(answer.json()["status"])

        # What the staff API computes for a day is what the schedule will record that day.
        assert status_as_of(ends_on) == "terminating"
        assert status_as_of(ends_on + timedelta(days=1)) == "ended"
        assert run()["not_due"] == 1  # tonight: the last day is still ahead
        assert run(ends_on)["not_due"] == 1  # on the last day it is still a membership
        ran = run(ends_on + timedelta(days=1))
        assert (ran["today"], ran["checked"], ran["ended"]) == (
            (ends_on + timedelta(days=1)).isoformat(),
            1,
            1,
        )
        assert run(ends_on + timedelta(days=2))["ended"] == 0  # a second run: nothing to do

        assert stack.wait_for_projections(30)
        member = client.get(f"/staff/members/{member_id}", headers=staff)
        assert member.status_code == 200, member.text
        assert (member.json()["status"], member.json()["summary"]["status"]) == ("ended", "ended")
        assert member.json()["summary"]["ends_on"] == ends_on.isoformat()
        history = member.json()["history"]
        (ended,) = [e for e in history if e["event_type"] == "MembershipEnded"]
        assert (ended["actor"], ended["data"]) == ("system:schedule", {"ended_on": str(ends_on)})

        # The address is free: applying again makes a new application.
        again = client.post("/membership/applications", json={**JSON_APPLICATION, "email": address})
        assert again.status_code == 202, again.text
        assert stack.wait_for_projections(30)
        listed = client.get("/staff/members", params={"status": "applied"}, headers=staff).json()
        assert [(m["member_id"], m["email"]) for m in listed["members"]] == [
            (again.json()["application_id"], address)
        ]
