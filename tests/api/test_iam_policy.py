"""The functions' IAM policies in infra/template.yaml allow what the code really does, and no more.

The requests are the real ones: botocore hooks record every call the handlers make while the
tests drive them like API Gateway and Lambda would. Each call is mapped to the authorization
requests AWS evaluates (one per item of a transaction) and decided by a small evaluator of the
policy subset the template uses (tests/iam_eval.py). Hostile requests, what code running with a
function's credentials could try beyond that, must be denied.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

import functions.scheduled.app as scheduled
from local_aws.functions import LambdaContext
from local_aws.jwt_auth import LocalCognito
from local_aws.mail import LocalSesApi, Outbox
from local_aws.template import load_template
from tests.api_client import ApiClient
from tests.iam_eval import (
    AuthRequest,
    FunctionPolicy,
    KeySchemas,
    Unsupported,
    authorization_requests,
    resolve,
    ses_identity_arn,
    table_arn,
)
from tests.samples import FORM, JSON_APPLICATION, MAPPER
from tests.staff_browser import (
    PASSWORD,
    InProcessTokenEndpoint,
    StaffBrowser,
    local_login,
    login_service,
)
from verein.bootstrap import Adapters
from verein.changes.rebuild import Timing, rebuild
from verein.eventstore import CommandContext
from verein.eventstore.dynamodb import DynamoDBEventStore
from verein.kernel import clock
from verein.kernel.keyed_hash import KeyedHash
from verein.mail.message import Mail
from verein.mail.ses import SesMailSender
from verein.membership.lifecycle import give_notice
from verein.membership.notice import NoticePolicy
from verein.membership.views.projector import CONTROL_CACHE_S, MemberDirectoryProjector
from verein.membership.views.store import DynamoDBMemberViews
from verein.settings import Settings

EVENT_STORE = "EventStoreTable"
VIEWS = "ViewsTable"
MEMBER = f"member#{uuid.UUID(int=1)}"
APPLICATION_CLAIM = "claim#membership-application#" + "ab" * 32
IDEMPOTENCY_CLAIM = "claim#idempotency#" + "cd" * 32


# --- Fixtures: policies, and the calls the handlers make ------------------------------------


@pytest.fixture(scope="module")
def keys(template):
    return KeySchemas.of(template)


@pytest.fixture(scope="module")
def public(template):
    return FunctionPolicy.of(template, "PublicApiFunction")


@pytest.fixture(scope="module")
def intake(template):
    return FunctionPolicy.of(template, "MembershipIntakeFunction")


@pytest.fixture(scope="module")
def staff(template):
    return FunctionPolicy.of(template, "StaffApiFunction")


@pytest.fixture(scope="module")
def staff_web(template):
    return FunctionPolicy.of(template, "StaffWebFunction")


@pytest.fixture(scope="module")
def projector(template):
    return FunctionPolicy.of(template, "ChangeStreamFunction")


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class Recorder:
    """Records the parameters of every AWS call the functions make while ``capture`` is open."""

    calls: list[Call] = field(default_factory=list)
    active: bool = False

    def on_dynamodb(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._record(params, model)

    def on_other_services(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.service_model.service_name != "dynamodb":  # recorded on the client itself
            self._record(params, model)

    def _record(self, params: dict[str, Any], model: Any) -> None:
        if self.active:
            service = model.service_model.service_name
            self.calls.append(Call(service, model.name, copy.deepcopy(params)))

    @contextmanager
    def capture(self) -> Iterator[list[Call]]:
        self.calls = []
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


@pytest.fixture
def recorder(aws) -> Iterator[Recorder]:
    recorder = Recorder()
    # Each function's DynamoDB client (built once per execution environment).
    for adapters in aws.functions.adapters.values():
        adapters.dynamodb.meta.events.register(
            "provide-client-params.dynamodb", recorder.on_dynamodb
        )
    # Clients the functions build later from the default session (the claim-key secret).
    session = boto3._get_default_session()
    session.events.register("provide-client-params", recorder.on_other_services)
    yield recorder
    session.events.unregister("provide-client-params", recorder.on_other_services)


def requests_of(calls: list[Call], keys: KeySchemas) -> list[AuthRequest]:
    return [
        request
        for call in calls
        for request in authorization_requests(call.service, call.operation, call.params, keys)
    ]


def assert_allowed(policy: FunctionPolicy, requests: list[AuthRequest]) -> None:
    refused = [f"{r}: {policy.decide(r)}" for r in requests if not policy.allows(r)]
    assert not refused, f"{policy.function} may not make its own requests:\n" + "\n".join(refused)
    shaped = [f"{r}: {dict(r.unconditioned)}" for r in requests if r.unconditioned]
    assert not shaped, "requests that read items back through failed writes:\n" + "\n".join(shaped)


def denied(policy: FunctionPolicy, service: str, operation: str, params: dict[str, Any], keys):
    """A call fails unless every authorization request it needs is allowed."""
    return not all(
        policy.allows(r) for r in authorization_requests(service, operation, params, keys)
    )


def key_family(request: AuthRequest) -> str:
    """``member``, ``claim``, ``members``: what comes before the first ``#`` of the key."""
    return request.context.get("dynamodb:LeadingKeys", ("",))[0].split("#")[0]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def key(stream_id: str, version: int = 1) -> dict[str, Any]:
    return {"stream_id": s(stream_id), "version": {"N": str(version)}}


def item(stream_id: str, version: int = 1) -> dict[str, Any]:
    return {**key(stream_id, version), "item_kind": s("commit"), "events": s("[]")}


def query(table: str, pk: str, value: str, **extra: Any) -> dict[str, Any]:
    return {
        "TableName": table,
        "KeyConditionExpression": f"{pk} = :p",
        "ExpressionAttributeValues": {":p": s(value)},
        **extra,
    }


# --- The public function and the intake it hands applications to ---------------------------


def test_the_public_function_only_invokes_the_intake_which_may_make_every_request_of_it(
    api, recorder, public, intake, keys, template
):
    with recorder.capture() as first:
        reply = api.post_form("/membership/applications", FORM)
    assert reply.status == 303, reply.text  # Post/Redirect/Get to the thank-you page
    with recorder.capture() as again:  # the same address, differently written
        reply = api.post_json(
            "/membership/applications", {**JSON_APPLICATION, "email": " ERIKA@example.org"}
        )
    # The same answer as for a new address (no enumeration); the claim read below shows that
    # the intake saw a double submission.
    assert reply.status == 202 and set(reply.json()) == {"application_id", "reference"}, reply.text

    # Only the public function invokes functions; everything else the intake did.
    calls = first + again
    invokes = requests_of([c for c in calls if c.service == "lambda"], keys)
    intake_arn = resolve(template, {"Fn::GetAtt": ["MembershipIntakeFunction", "Arn"]})
    assert [(r.action, r.resource) for r in invokes] == [("lambda:InvokeFunction", intake_arn)] * 2
    assert_allowed(public, invokes)
    store_calls = [c for c in calls if c.service != "lambda"]
    requests = requests_of(store_calls, keys)
    assert not [r for r in requests if r.action == "dynamodb:Query"], (
        "the intake read a member stream: report it, do not allow it"
    )
    assert_allowed(intake, requests)
    assert not [r for r in requests if public.allows(r)], "the public function holds store rights"
    writes = [r for r in requests_of(first, keys) if r.action == "dynamodb:PutItem"]
    assert sorted(key_family(r) for r in writes) == ["claim", "member"]
    assert all(r.context["dynamodb:EnclosingOperation"] == ("TransactWriteItems",) for r in writes)
    reads = [r for r in requests_of(again, keys) if r.action == "dynamodb:GetItem"]
    assert [r.context["dynamodb:LeadingKeys"][0].rsplit("#", 1)[0] for r in reads] == [
        "claim#membership-application"
    ]


@pytest.mark.parametrize("function", ["StaffApiFunction", "ChangeStreamFunction", "Elsewhere"])
def test_the_public_function_may_invoke_no_other_function(public, keys, function):
    assert denied(public, "lambda", "Invoke", {"FunctionName": function}, keys)


def test_the_public_function_may_not_even_start_a_membership_stream_itself(public, keys):
    start = {"TransactItems": [{"Put": {"TableName": EVENT_STORE, "Item": item(MEMBER)}}]}
    assert denied(public, "dynamodb", "TransactWriteItems", start, keys)
    assert denied(
        public, "dynamodb", "PutItem", {"TableName": EVENT_STORE, "Item": item(MEMBER)}, keys
    )


HOSTILE_TO_THE_APPLICATION_PATH = {
    "read a member stream": ("Query", query(EVENT_STORE, "stream_id", MEMBER)),
    "read a member's commit": ("GetItem", {"TableName": EVENT_STORE, "Key": key(MEMBER)}),
    "read an idempotency claim": (
        "GetItem",
        {"TableName": EVENT_STORE, "Key": key(IDEMPOTENCY_CLAIM, 0)},
    ),
    "read a member's commit, table named by ARN": (
        "GetItem",
        {"TableName": table_arn(EVENT_STORE), "Key": key(MEMBER)},
    ),
    "scan the event store": ("Scan", {"TableName": EVENT_STORE}),
    "overwrite a commit and get the old one back": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(MEMBER), "ReturnValues": "ALL_OLD"},
    ),
    "overwrite a claim and get the old one back": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(APPLICATION_CLAIM, 0), "ReturnValues": "ALL_OLD"},
    ),
    "take an idempotency claim": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(IDEMPOTENCY_CLAIM, 0)},
    ),
    "write outside the key families": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item("gathering#1")},
    ),
    "update a commit": (
        "UpdateItem",
        {
            "TableName": EVENT_STORE,
            "Key": key(MEMBER),
            "UpdateExpression": "SET events = :e",
            "ExpressionAttributeValues": {":e": s("[]")},
            "ReturnValues": "ALL_OLD",
        },
    ),
    "delete a commit": ("DeleteItem", {"TableName": EVENT_STORE, "Key": key(MEMBER)}),
    "free an address outside a decision's transaction": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)},
    ),
    "take back a member number": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key("claim#member-number#1", 0)},
    ),
    "delete a claim": ("DeleteItem", {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)}),
    "batch-read commits": (
        "BatchGetItem",
        {"RequestItems": {EVENT_STORE: {"Keys": [key(MEMBER), key(APPLICATION_CLAIM, 0)]}}},
    ),
    "batch-write commits": (
        "BatchWriteItem",
        {"RequestItems": {EVENT_STORE: [{"PutRequest": {"Item": item(MEMBER)}}]}},
    ),
    "read a commit through a condition check": (
        "TransactWriteItems",
        {
            "TransactItems": [
                {
                    "ConditionCheck": {
                        "TableName": EVENT_STORE,
                        "Key": key(MEMBER),
                        "ConditionExpression": "attribute_not_exists(stream_id)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            ]
        },
    ),
    "read a commit in a transaction": (
        "TransactGetItems",
        {"TransactItems": [{"Get": {"TableName": EVENT_STORE, "Key": key(MEMBER)}}]},
    ),
    "read a member summary": (
        "GetItem",
        {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "list members": ("Query", query(VIEWS, "list_pk", "members#applied", IndexName="by_list")),
    "scan the views": ("Scan", {"TableName": VIEWS}),
    "write a member summary": (
        "PutItem",
        {"TableName": VIEWS, "Item": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
}


@pytest.mark.parametrize(
    ("operation", "params"),
    list(HOSTILE_TO_THE_APPLICATION_PATH.values()),
    ids=list(HOSTILE_TO_THE_APPLICATION_PATH),
)
def test_neither_the_public_function_nor_the_intake_may(public, intake, keys, operation, params):
    assert denied(public, "dynamodb", operation, params, keys)
    assert denied(intake, "dynamodb", operation, params, keys)


def test_the_intake_may_read_no_other_secret(intake, keys):
    other = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:other-AbCdEf"
    assert denied(intake, "secretsmanager", "GetSecretValue", {"SecretId": other}, keys)


def put_over_a_commit(**failure: str) -> dict[str, Any]:
    """The intake's own kind of write, aimed at an existing member's first commit."""
    put = {
        "TableName": EVENT_STORE,
        "Item": item(MEMBER),
        "ConditionExpression": "attribute_not_exists(stream_id)",
        **failure,
    }
    claim = {**put, "Item": item(APPLICATION_CLAIM, 0)}
    return {"TransactItems": [{"Put": put}, {"Put": claim}]}


def test_the_item_a_failed_conditional_put_returns_is_invisible_to_iam(intake, keys):
    """No condition key covers ReturnValuesOnConditionCheckFailure: the mapping keeps it aside
    (``unconditioned``) and the intake's policy cannot tell this request from its own. That is
    why the internet-facing function holds no store rights: only the intake, which builds
    every request itself from a validated command, has them."""
    plain = authorization_requests("dynamodb", "TransactWriteItems", put_over_a_commit(), keys)
    leaking = authorization_requests(
        "dynamodb",
        "TransactWriteItems",
        put_over_a_commit(ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        keys,
    )
    assert [r.context for r in leaking] == [r.context for r in plain]
    assert leaking[0].unconditioned == {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    assert [intake.decide(r) for r in leaking] == [intake.decide(r) for r in plain]


# --- The staff function ---------------------------------------------------------------------


def test_the_staff_function_may_make_every_request_of_staff_work(api, aws, recorder, staff, keys):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert api.project(api.change_records(aws.event_store_table)) == {"batchItemFailures": []}
    retry = [("idempotency-key", "call-1")]
    with recorder.capture() as calls:
        assert api.staff_get("/staff/members?status=applied&order=oldest").json()["count"] == 1
        assert api.staff_get("/staff/members?q=erika%20muster").json()["count"] == 1  # a search
        assert api.staff_get("/staff/members?q=nobody").json()["count"] == 0
        assert api.staff_get("/staff/members.csv?status=applied&q=m%C3%BCster").status == 200
        assert api.staff_get(f"/staff/members/{member_id}").status == 200
        assert api.post_note(member_id, "Telefonat", headers=retry).json()["version"] == 2
        assert api.post_note(member_id, "Telefonat", headers=retry).json()["already_received"]
        assert api.post_note(member_id, "Unterlagen erhalten").json()["version"] == 3

    rebuild_views(aws)  # the staff read generation 2 from now on: keys g2#...
    with recorder.capture() as later:
        assert api.staff_get("/staff/members?status=applied&order=newest").json()["count"] == 1
        assert api.staff_get("/staff/members?q=Mustermann").json()["count"] == 1
        assert api.staff_get(f"/staff/members/{member_id}").json()["summary"]["note_count"] == 2

    requests = requests_of(calls + later, keys)
    assert_allowed(staff, requests)
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert {
        ("dynamodb:GetItem", table_arn(VIEWS), "views"),
        ("dynamodb:Query", table_arn(VIEWS, "by_list"), "members"),
        ("dynamodb:Query", table_arn(VIEWS, "by_list"), "g2"),
        ("dynamodb:Query", table_arn(VIEWS, "by_name"), "directory"),
        ("dynamodb:Query", table_arn(VIEWS, "by_name"), "g2"),
        ("dynamodb:BatchGetItem", table_arn(VIEWS), "member"),
        ("dynamodb:BatchGetItem", table_arn(VIEWS), "g2"),
        ("dynamodb:GetItem", table_arn(VIEWS), "member"),
        ("dynamodb:GetItem", table_arn(VIEWS), "g2"),
        ("dynamodb:Query", table_arn(EVENT_STORE), "member"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "member"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),
        ("dynamodb:GetItem", table_arn(EVENT_STORE), "claim"),
    } <= done


def test_the_staff_function_may_make_every_request_of_deciding_applications(
    api, aws, recorder, staff, keys
):
    ids = [
        api.post_json(
            "/membership/applications", {**JSON_APPLICATION, "email": f"p{n}@example.org"}
        ).json()["application_id"]
        for n in range(3)
    ]
    with recorder.capture() as calls:
        approve = [("idempotency-key", "approve-1")]
        for member_id in ids[:2]:
            reply = api.request(
                "POST", f"/staff/members/{member_id}/approve", headers=approve, groups=("staff",)
            )
            assert reply.status == 200, reply.text
        reject = api.post_json(
            f"/staff/members/{ids[2]}/reject", {"reason": "Satzung"}, groups=("staff",)
        )
        assert reject.status == 200, reject.text

    requests = requests_of(calls, keys)
    assert_allowed(staff, requests)
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert {
        ("dynamodb:GetItem", table_arn(EVENT_STORE), "claim"),  # probing member numbers
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),  # taking one
        ("dynamodb:DeleteItem", table_arn(EVENT_STORE), "claim"),  # freeing the address
    } <= done


def rebuild_views(aws) -> None:
    """``membership views rebuild`` (with the operator's rights, not a function's)."""
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
    projector = MemberDirectoryProjector(store, DynamoDBMemberViews(aws.dynamodb, aws.views_table))
    rebuild(store, [projector], timing=Timing(retire_after_s=0))


def start_building(aws) -> None:
    control = DynamoDBMemberViews(aws.dynamodb, aws.views_table).generations
    state = control.read()
    control.write(state, state.following(building=state.current + 1, owner="test"))


CONTROL = {"pk": s("views#control"), "sk": s("membership.directory")}
G2_MEMBER = f"g2#{MEMBER}"
LEDGER_ENTRY = f"mail#{uuid.UUID(int=2)}"
LEDGER_KEY = {"stream_id": s(LEDGER_ENTRY), "version": {"N": "0"}}


def switch_generations(table: str = VIEWS) -> tuple[str, dict[str, Any]]:
    item = {**CONTROL, "current": {"N": "2"}, "revision": {"N": "9"}}
    return ("PutItem", {"TableName": table, "Item": item})


HOSTILE_TO_THE_STAFF_FUNCTION = {
    "free an address outside a decision's transaction": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)},
    ),
    "take back a member number": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key("claim#member-number#1", 0)},
    ),
    "scan the event store": ("Scan", {"TableName": EVENT_STORE}),
    "read an application claim": (
        "GetItem",
        {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)},
    ),
    "take an application claim": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(APPLICATION_CLAIM, 0)},
    ),
    "overwrite a commit and get the old one back": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(MEMBER), "ReturnValues": "ALL_OLD"},
    ),
    "update a commit": (
        "UpdateItem",
        {"TableName": EVENT_STORE, "Key": key(MEMBER), "UpdateExpression": "REMOVE events"},
    ),
    "delete a commit": ("DeleteItem", {"TableName": EVENT_STORE, "Key": key(MEMBER)}),
    "scan the views": ("Scan", {"TableName": VIEWS}),
    "query the views table itself": ("Query", query(VIEWS, "pk", MEMBER)),
    "write a member summary": (
        "PutItem",
        {"TableName": VIEWS, "Item": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "delete a member summary": (
        "DeleteItem",
        {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "write a summary of another generation": (
        "PutItem",
        {"TableName": VIEWS, "Item": {"pk": s(G2_MEMBER), "sk": s("summary")}},
    ),
    "switch the served generation": switch_generations(),
    "read a views item outside the known families": (
        "GetItem",
        {"TableName": VIEWS, "Key": {"pk": s("gathering#1"), "sk": s("summary")}},
    ),
    "list by another index partition": (
        "Query",
        query(VIEWS, "list_pk", "gatherings#open", IndexName="by_list"),
    ),
}


@pytest.mark.parametrize(
    ("operation", "params"),
    list(HOSTILE_TO_THE_STAFF_FUNCTION.values()),
    ids=list(HOSTILE_TO_THE_STAFF_FUNCTION),
)
def test_the_staff_function_may_not(staff, keys, operation, params):
    assert denied(staff, "dynamodb", operation, params, keys)


# --- The staff app (pages, sessions) -----------------------------------------------------------


def test_the_staff_app_may_make_every_request_of_signing_in_and_staff_work(
    api, aws, recorder, staff_web, keys, template, tmp_path
):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert api.project(api.change_records(aws.event_store_table)) == {"batchItemFailures": []}
    cognito, users, login = local_login(tmp_path)
    users.add("anna@verein.example", PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    # The login itself is the local stand-in (no AWS calls); everything else is real.
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    with recorder.capture() as calls:
        assert browser.sign_in("anna@verein.example").status == 200  # the register, by name
        assert browser.get("/control/members?q=m%C3%BCster&status=applied").status == 200
        assert browser.get("/control/members.csv?q=erika").status == 200
        assert browser.get("/control/members?status=applied&order=oldest").status == 200
        page = browser.get(f"/control/members/{member_id}")
        form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), "text": "Anruf"}
        assert browser.post(f"/control/members/{member_id}/notes", form).status == 200
        assert browser.post(f"/control/members/{member_id}/notes", form).status == 200
        assert (
            browser.post("/control/sign-out", {"csrf": page.hidden("csrf")}, follow=False).status
            == 303
        )

    requests = requests_of(calls, keys)
    assert_allowed(staff_web, requests)
    staff_table = table_arn("StaffTable")
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert {
        ("dynamodb:PutItem", staff_table, "signin"),
        ("dynamodb:DeleteItem", staff_table, "signin"),
        ("dynamodb:PutItem", staff_table, "session"),
        ("dynamodb:GetItem", staff_table, "session"),
        ("dynamodb:DeleteItem", staff_table, "session"),
        ("dynamodb:PutItem", staff_table, "staff"),
        ("dynamodb:BatchGetItem", staff_table, "staff"),
        ("dynamodb:Query", table_arn(VIEWS, "by_list"), "members"),
        ("dynamodb:Query", table_arn(VIEWS, "by_name"), "directory"),
        ("dynamodb:BatchGetItem", table_arn(VIEWS), "member"),
        ("dynamodb:Query", table_arn(EVENT_STORE), "fee-schedule"),
        ("dynamodb:Query", table_arn(EVENT_STORE), "working-groups"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "member"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),
    } <= done


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        *HOSTILE_TO_THE_STAFF_FUNCTION.values(),
        ("Scan", {"TableName": "StaffTable"}),
        ("Query", query("StaffTable", "pk", "session#x")),
        ("GetItem", {"TableName": "StaffTable", "Key": {"pk": s("other#x")}}),
    ],
    ids=[*HOSTILE_TO_THE_STAFF_FUNCTION, "scan sessions", "query sessions", "other items"],
)
def test_the_staff_app_may_not(staff_web, keys, operation, params):
    assert denied(staff_web, "dynamodb", operation, params, keys)


@pytest.mark.parametrize("name", ["PublicApiFunction", "StaffApiFunction", "ChangeStreamFunction"])
def test_no_other_function_may_read_or_write_sessions(template, keys, name):
    policy = FunctionPolicy.of(template, name)
    session = {"pk": s("session#" + "ab" * 32)}
    for operation, params in (
        ("GetItem", {"TableName": "StaffTable", "Key": session}),
        ("PutItem", {"TableName": "StaffTable", "Item": session}),
    ):
        assert denied(policy, "dynamodb", operation, params, keys)


# --- The projector --------------------------------------------------------------------------


def version_of(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["NewImage"]["version"]["N"])


def test_the_projector_may_make_every_request_of_projecting_and_mailing(
    api, aws, recorder, projector, keys
):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    api.post_note(member_id, "Telefonat")
    approved = api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",))
    assert approved.status == 200, approved.text
    records = api.change_records(aws.event_store_table)
    (note,) = [r for r in records if version_of(r) == 2]
    api.post_json("/membership/applications", {**JSON_APPLICATION, "email": "b@example.org"})
    (later,) = [
        r
        for r in api.change_records(aws.event_store_table)
        if r not in records and r["dynamodb"]["NewImage"]["item_kind"] == {"S": "commit"}
    ]
    with recorder.capture() as calls:
        # The note's commit before the application's: the projector reads the gap from the store.
        assert api.project([note]) == {"batchItemFailures": []}
        start_building(aws)  # from now on into generations 1 and 2, once the projector's
        time.sleep(CONTROL_CACHE_S)  # read of the generations expired (a rebuild waits too)
        # The receipt (address in the commit) and the welcome (address read from the stream).
        assert api.project(records) == {"batchItemFailures": []}
        assert api.project(records) == {"batchItemFailures": []}  # redelivered: mailed before
        # Another application, whose receipt SES refuses for now: released, sent on redelivery.
        aws.mail.fail_next()
        failed = api.project([note, later])["batchItemFailures"]  # (all failed would raise)
        assert failed == [{"itemIdentifier": later["dynamodb"]["SequenceNumber"]}]
        assert api.project([later]) == {"batchItemFailures": []}

    mails = aws.mail.mails  # each once, however often its record came
    assert [m.to for m in mails] == ["erika@example.org", "erika@example.org", "b@example.org"]
    assert ["eingegangen" in m.subject for m in mails] == [True, False, True]
    assert "Mitgliedsnummer 1" in mails[1].subject
    requests = requests_of(calls, keys)
    assert_allowed(projector, requests)
    assert {r.action for r in requests} == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    touched = {(r.action, key_family(r)) for r in requests if r.action != "dynamodb:Query"}
    assert touched - {("dynamodb:GetItem", "views")} == {
        ("dynamodb:PutItem", "member"),
        ("dynamodb:PutItem", "g2"),
        ("dynamodb:BatchGetItem", "member"),  # a batch's summaries are read ahead at once
        ("dynamodb:BatchGetItem", "g2"),
        ("dynamodb:PutItem", "mail"),  # the ledger: take
        ("dynamodb:GetItem", "mail"),  # taken before (the redelivery)
        ("dynamodb:UpdateItem", "mail"),  # sent
        ("dynamodb:DeleteItem", "mail"),  # released after the refusal
    }
    assert ("dynamodb:GetItem", "views") in touched


HOSTILE_TO_THE_PROJECTOR = {
    "scan the event store": ("Scan", {"TableName": EVENT_STORE}),
    "read a claim": ("GetItem", {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)}),
    "read claims": ("Query", query(EVENT_STORE, "stream_id", APPLICATION_CLAIM)),
    "write to the event store": ("PutItem", {"TableName": EVENT_STORE, "Item": item(MEMBER)}),
    "delete a member summary": (
        "DeleteItem",
        {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "scan the views": ("Scan", {"TableName": VIEWS}),
    "switch the served generation": switch_generations(),
    "delete a summary of another generation": (
        "DeleteItem",
        {"TableName": VIEWS, "Key": {"pk": s(G2_MEMBER), "sk": s("summary")}},
    ),
    "overwrite a summary and get the old one back": (
        "PutItem",
        {
            "TableName": VIEWS,
            "Item": {"pk": s(G2_MEMBER), "sk": s("summary")},
            "ReturnValues": "ALL_OLD",
        },
    ),
    "batch-write summaries (unconditional)": (
        "BatchWriteItem",
        {"RequestItems": {VIEWS: [{"PutRequest": {"Item": {"pk": s(MEMBER), "sk": s("x")}}}]}},
    ),
    "read a views item outside the known families": (
        "GetItem",
        {"TableName": VIEWS, "Key": {"pk": s("gathering#1"), "sk": s("summary")}},
    ),
    "query the views table": ("Query", query(VIEWS, "pk", MEMBER)),
    "batch-read claims with the summaries": (
        "BatchGetItem",
        {
            "RequestItems": {
                VIEWS: {"Keys": [{"pk": s(MEMBER), "sk": s("summary")}]},
                EVENT_STORE: {"Keys": [key(APPLICATION_CLAIM, 0)]},
            }
        },
    ),
    "batch-read views items outside the known families": (
        "BatchGetItem",
        {
            "RequestItems": {
                VIEWS: {
                    "Keys": [
                        {"pk": s(MEMBER), "sk": s("summary")},
                        {"pk": s("gathering#1"), "sk": s("summary")},
                    ]
                }
            }
        },
    ),
    # The mail ledger's rights (mail#* in the event-store table) reach no neighbour.
    "delete a member commit": ("DeleteItem", {"TableName": EVENT_STORE, "Key": key(MEMBER)}),
    "update a member commit": (
        "UpdateItem",
        {
            "TableName": EVENT_STORE,
            "Key": key(MEMBER),
            "UpdateExpression": "SET events = :e",
            "ExpressionAttributeValues": {":e": s("[]")},
        },
    ),
    "update a member summary": (
        "UpdateItem",
        {
            "TableName": VIEWS,
            "Key": {"pk": s(MEMBER), "sk": s("summary")},
            "UpdateExpression": "SET #s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": s("active")},
        },
    ),
    "update the control item": (
        "UpdateItem",
        {
            "TableName": VIEWS,
            "Key": CONTROL,
            "UpdateExpression": "SET #c = :c",
            "ExpressionAttributeNames": {"#c": "current"},
            "ExpressionAttributeValues": {":c": {"N": "2"}},
        },
    ),
    "delete the control item": ("DeleteItem", {"TableName": VIEWS, "Key": CONTROL}),
    "put a member commit": ("PutItem", {"TableName": EVENT_STORE, "Item": item(MEMBER)}),
    "put a ledger entry into the views": (
        "PutItem",
        {"TableName": VIEWS, "Item": {"pk": s(LEDGER_ENTRY), "sk": s("ledger")}},
    ),
    "write a neighbour of the ledger": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": {"stream_id": s("mailbox#x"), "version": {"N": "0"}}},
    ),
    "delete a neighbour of the ledger": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": {"stream_id": s("mail"), "version": {"N": "0"}}},
    ),
    "take a ledger entry and get the old one back": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": LEDGER_KEY, "ReturnValues": "ALL_OLD"},
    ),
    "mark a ledger entry and read it back": (
        "UpdateItem",
        {
            "TableName": EVENT_STORE,
            "Key": LEDGER_KEY,
            "UpdateExpression": "SET updated_at = :t",
            "ExpressionAttributeValues": {":t": s("2026-01-01")},
            "ReturnValues": "ALL_NEW",
        },
    ),
    "release a ledger entry and read it back": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": LEDGER_KEY, "ReturnValues": "ALL_OLD"},
    ),
    "query the ledger": ("Query", query(EVENT_STORE, "stream_id", LEDGER_ENTRY)),
    "batch-read ledger entries": (
        "BatchGetItem",
        {"RequestItems": {EVENT_STORE: {"Keys": [LEDGER_KEY]}}},
    ),
    "batch-delete ledger entries": (
        "BatchWriteItem",
        {"RequestItems": {EVENT_STORE: [{"DeleteRequest": {"Key": LEDGER_KEY}}]}},
    ),
    "update a ledger entry and a member summary at once": (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": EVENT_STORE, "Item": LEDGER_KEY}},
                {"Delete": {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}}},
            ]
        },
    ),
}


@pytest.mark.parametrize(
    ("operation", "params"),
    list(HOSTILE_TO_THE_PROJECTOR.values()),
    ids=list(HOSTILE_TO_THE_PROJECTOR),
)
def test_the_projector_may_not(projector, keys, operation, params):
    assert denied(projector, "dynamodb", operation, params, keys)


def test_the_projector_may_send_to_its_dead_letter_queue_only(template, projector):
    queue = resolve(template, {"Fn::GetAtt": ["ChangeStreamDeadLetterQueue", "Arn"]})
    assert projector.allows(AuthRequest("sqs:SendMessage", queue))
    assert not projector.allows(AuthRequest("sqs:SendMessage", "arn:aws:sqs:eu-central-1:1:other"))
    assert not projector.allows(AuthRequest("sqs:ReceiveMessage", queue))


# --- Mail -----------------------------------------------------------------------------------


def test_the_change_stream_function_may_send_what_its_mail_sender_sends(
    template, projector, keys, monkeypatch, tmp_path
):
    """The request the composition root's SES adapter makes, with the function's own settings
    from the template, recorded as boto3 sends it (to the local SES stand-in)."""
    environment = template.functions["ChangeStreamFunction"].environment
    assert environment["MAIL_SENDER"] == resolve(template, {"Ref": "MailSenderAddress"})
    recorder = Recorder()
    session = boto3._get_default_session()
    session.events.register("provide-client-params", recorder.on_other_services)
    try:
        with LocalSesApi(Outbox(tmp_path)) as ses:
            for name, value in (
                ("AWS_ENDPOINT_URL_SESV2", ses.endpoint_url),
                ("AWS_DEFAULT_REGION", "eu-central-1"),
                ("AWS_ACCESS_KEY_ID", "local"),
                ("AWS_SECRET_ACCESS_KEY", "local"),
            ):
                monkeypatch.setenv(name, value)
            adapters = Adapters(Settings.from_environment(environ=environment))
            with recorder.capture() as calls:
                adapters.mail_sender.send(MAIL)
    finally:
        session.events.unregister("provide-client-params", recorder.on_other_services)
    requests = requests_of(calls, keys)
    assert [(r.action, r.context["ses:FromAddress"]) for r in requests] == [
        ("ses:SendEmail", (environment["MAIL_SENDER"],))
    ]
    assert_allowed(projector, requests)


MAIL = Mail(to="erika@example.org", subject="Ihr Antrag", text="Danke.", html="<p>Danke.</p>")
SENDER = "no-reply@verein.example"  # MailSenderAddress's default, as the local stack resolves it


def send_email(sender: str = SENDER, **destination: list[str]) -> dict[str, Any]:
    params = SesMailSender(None, sender).request(MAIL)
    if destination:
        params["Destination"] = destination
    return params


def sending(action: str, sender: str = SENDER, identity: str = SENDER) -> AuthRequest:
    context = {"ses:FromAddress": (sender,), "ses:ApiVersion": ("2",)}
    return AuthRequest(action, ses_identity_arn(identity), context)


def test_the_change_stream_function_sends_from_the_sender_address_only(template, projector, keys):
    assert resolve(template, {"Ref": "MailSenderAddress"}) == SENDER
    assert not denied(projector, "sesv2", "SendEmail", send_email(), keys)
    # Its domain's identity (when only the domain is verified) or a display name: the same.
    assert projector.allows(sending("ses:SendEmail", identity="verein.example"))
    assert not denied(projector, "sesv2", "SendEmail", send_email(f"Verein <{SENDER}>"), keys)
    many = send_email(ToAddresses=["a@example.org"], BccAddresses=["b@example.org"])
    assert not denied(projector, "sesv2", "SendEmail", many, keys)

    for other in ("vorstand@verein.example", "No-Reply@verein.example", "no-reply@evil.example"):
        assert denied(projector, "sesv2", "SendEmail", send_email(other), keys), other
    assert not projector.allows(AuthRequest("ses:SendEmail", ses_identity_arn(SENDER)))
    for action in ("ses:SendRawEmail", "ses:SendTemplatedEmail", "ses:SendBulkEmail"):
        assert not projector.allows(sending(action)), action
    elsewhere = (
        f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}",
        f"arn:aws:ses:eu-central-1:999999999999:identity/{SENDER}",
        f"arn:aws:ses:eu-central-1:123456789012:configuration-set/{SENDER}",
    )
    for resource in elsewhere:
        request = AuthRequest("ses:SendEmail", resource, {"ses:FromAddress": (SENDER,)})
        assert not projector.allows(request), resource


def test_no_other_function_may_send_mail(template, keys):
    others = sorted(set(template.functions) - {"ChangeStreamFunction"})
    assert others, "the template has other functions"
    for name in others:
        policy = FunctionPolicy.of(template, name)
        assert denied(policy, "sesv2", "SendEmail", send_email(), keys), name
        assert not policy.allows(sending("ses:SendRawEmail")), name
        assert "MAIL_SENDER" not in template.functions[name].environment, name


@pytest.mark.parametrize(
    "name",
    ["PublicApiFunction", "MembershipIntakeFunction", "StaffApiFunction", "StaffWebFunction"],
)
def test_no_other_function_may_read_or_write_the_mail_ledger(template, keys, name):
    policy = FunctionPolicy.of(template, name)
    for operation, params in (
        ("GetItem", {"TableName": EVENT_STORE, "Key": LEDGER_KEY}),
        ("PutItem", {"TableName": EVENT_STORE, "Item": LEDGER_KEY}),
        (
            "UpdateItem",
            {"TableName": EVENT_STORE, "Key": LEDGER_KEY, "UpdateExpression": "REMOVE x"},
        ),
        ("DeleteItem", {"TableName": EVENT_STORE, "Key": LEDGER_KEY}),
    ):
        assert denied(policy, "dynamodb", operation, params, keys), operation


# --- The claim-key secret -------------------------------------------------------------------


def test_the_public_function_never_reads_the_claim_key_secret(
    template, public, intake, staff, projector
):
    secret = template.functions["MembershipIntakeFunction"].environment["CLAIM_KEY_SECRET_ARN"]
    assert template.functions["StaffApiFunction"].environment["CLAIM_KEY_SECRET_ARN"] == secret
    assert "CLAIM_KEY_SECRET_ARN" not in template.functions["PublicApiFunction"].environment
    read = AuthRequest("secretsmanager:GetSecretValue", secret)
    self_service = FunctionPolicy.of(template, "MemberSelfServiceFunction")
    assert intake.allows(read)
    assert staff.allows(read)
    assert projector.allows(read)  # it signs the notice links it mails
    assert self_service.allows(read)  # it checks them
    assert not public.allows(read)
    for policy in (intake, staff, projector, self_service):
        assert not policy.allows(AuthRequest("secretsmanager:PutSecretValue", secret))
        assert not policy.allows(AuthRequest("secretsmanager:GetSecretValue", secret + "-other"))


# --- The evaluator itself -------------------------------------------------------------------


@pytest.fixture
def policy_from(tmp_path: Path):
    def load(statements: str) -> FunctionPolicy:
        path = tmp_path / "template.yaml"
        path.write_text(
            "Resources:\n"
            "  Table:\n"
            "    Type: AWS::DynamoDB::Table\n"
            "    Properties:\n"
            "      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n"
            "      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
            "  Fn:\n"
            "    Type: AWS::Serverless::Function\n"
            "    Properties:\n"
            "      CodeUri: fn/\n"
            "      Handler: app.handler\n"
            "      Policies:\n" + statements
        )
        return FunctionPolicy.of(load_template(path), "Fn")

    return load


TABLE = table_arn("Table")


def test_explicit_deny_wins_and_nothing_allowed_is_denied(policy_from):
    policy = policy_from(
        "        - Statement:\n"
        "            - {Effect: Allow, Action: 'dynamodb:*', Resource: !GetAtt Table.Arn}\n"
        "            - {Effect: Deny, Action: dynamodb:DeleteItem, Resource: '*'}\n"
    )
    assert policy.decide(AuthRequest("dynamodb:GetItem", TABLE)) == "allow"
    assert policy.decide(AuthRequest("DynamoDB:getitem", TABLE)) == "allow"  # actions ignore case
    assert policy.decide(AuthRequest("dynamodb:DeleteItem", TABLE)) == "explicit deny"
    assert policy.decide(AuthRequest("s3:GetObject", TABLE)) == "implicit deny"
    assert policy.decide(AuthRequest("dynamodb:GetItem", TABLE + "x")) == "implicit deny"


def test_set_operators_treat_a_missing_key_as_iam_does(policy_from):
    policy = policy_from(
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: dynamodb:Scan\n"
        "              Resource: !GetAtt Table.Arn\n"
        "              Condition:\n"
        "                ForAllValues:StringLike: {dynamodb:LeadingKeys: [a#*]}\n"
        "            - Effect: Allow\n"
        "              Action: dynamodb:Query\n"
        "              Resource: !GetAtt Table.Arn\n"
        "              Condition:\n"
        "                ForAnyValue:StringEquals: {dynamodb:LeadingKeys: [a#1]}\n"
    )
    # ForAllValues holds vacuously: a Scan (no leading keys) gets through such a statement.
    assert policy.allows(AuthRequest("dynamodb:Scan", TABLE))
    assert policy.allows(AuthRequest("dynamodb:Scan", TABLE, {"dynamodb:LeadingKeys": ("a#9",)}))
    assert not policy.allows(
        AuthRequest("dynamodb:Scan", TABLE, {"dynamodb:LeadingKeys": ("a#1", "b#1")})
    )
    assert not policy.allows(AuthRequest("dynamodb:Query", TABLE))
    assert policy.allows(
        AuthRequest("dynamodb:Query", TABLE, {"dynamodb:LeadingKeys": ("b#1", "a#1")})
    )


def test_if_exists_and_wildcards(policy_from):
    policy = policy_from(
        "        - Statement:\n"
        "            - Effect: Allow\n"
        "              Action: dynamodb:Put*\n"
        "              Resource: !GetAtt Table.Arn\n"
        "              Condition:\n"
        "                StringLike: {dynamodb:Select: 'A?L_[x]*'}\n"
        "                StringEqualsIfExists: {dynamodb:ReturnValues: NONE}\n"
    )

    def put(**context: str) -> AuthRequest:
        return AuthRequest("dynamodb:PutItem", TABLE, {k: (v,) for k, v in context.items()})

    select = "dynamodb:Select"
    assert policy.allows(put(**{select: "ALL_[x]"}))
    assert policy.allows(put(**{select: "AXL_[x]yz", "dynamodb:ReturnValues": "NONE"}))
    assert not policy.allows(put(**{select: "ALL_x"}))  # brackets are literal, not a class
    assert not policy.allows(put(**{select: "ALL_[x]", "dynamodb:ReturnValues": "ALL_OLD"}))
    assert not policy.allows(put())  # StringLike without IfExists needs the key


@pytest.mark.parametrize(
    "policies",
    [
        "        - DynamoDBReadPolicy: {TableName: !Ref Table}\n",
        "        - AWSLambdaExecute\n",
        "        - Statement: [{Effect: Allow, NotAction: 's3:*', Resource: '*'}]\n",
        "        - Statement:\n"
        "            - {Effect: Allow, Action: '*', Resource: '*', Condition: {'Null': {k: 'true'}}}\n",
    ],
    ids=["SAM policy template", "managed policy", "NotAction", "Null operator"],
)
def test_the_evaluator_refuses_what_it_does_not_implement(policy_from, policies):
    with pytest.raises(Unsupported):
        policy_from(policies)


# --- The fee schedule (verein.fees) -----------------------------------------------------------


def test_both_staff_functions_may_read_and_set_the_fee_schedule(
    api, aws, recorder, staff, staff_web, keys, template, tmp_path
):
    import json  # noqa: PLC0415 - this test alone sends a PUT

    version = {
        "effective_from": "2026-01-01",
        "types": [{"code": "a", "label_de": "A", "label_en": "A", "yearly_fee": "1.00"}],
    }
    cognito, users, login = local_login(tmp_path)
    users.add("anna@verein.example", PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    assert browser.sign_in("anna@verein.example").status == 200

    def put(key: str) -> int:
        headers = [("content-type", "application/json"), ("idempotency-key", key)]
        body = json.dumps(version).encode()
        reply = api.request("PUT", "/staff/fees", body=body, headers=headers, groups=("staff",))
        return reply.status

    with recorder.capture() as api_calls:
        assert api.staff_get("/staff/fees").status == 200
        assert put("k1") == 200
        assert put("k1") == 200  # the retry meets its claim
        assert (
            api.request(
                "PUT",
                "/staff/fees",
                body=json.dumps(version).encode(),
                headers=[("content-type", "application/json")],
                groups=("staff",),
            ).status
            == 200
        )
    with recorder.capture() as page_calls:
        page = browser.get("/control/fees")
        assert page.status == 200
        form = {
            "csrf": page.hidden("csrf"),
            "form_id": page.hidden("form_id"),
            "effective_from": "2027-01-01",
            "code-0": "b",
            "label_de-0": "B",
            "label_en-0": "B",
            "yearly_fee-0": "2",
        }
        assert browser.post("/control/fees", form).status == 200
        assert browser.post("/control/fees", form).status == 200

    for policy, calls in ((staff, api_calls), (staff_web, page_calls)):
        requests = requests_of(calls, keys)
        assert_allowed(policy, requests)
        done = {(r.action, r.resource, key_family(r)) for r in requests}
        assert {
            ("dynamodb:Query", table_arn(EVENT_STORE), "fee-schedule"),
            ("dynamodb:PutItem", table_arn(EVENT_STORE), "fee-schedule"),
            ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),
            ("dynamodb:GetItem", table_arn(EVENT_STORE), "claim"),
        } <= done, policy.function


# --- The scheduled function -------------------------------------------------------------------


def test_the_scheduled_function_may_make_every_request_of_ending_memberships(
    api, aws, recorder, template, keys
):
    schedule = FunctionPolicy.of(template, "ScheduledFunction")
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    approved = api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",))
    assert approved.status == 200, approved.text
    # Notice as staff record it (the use case on the store; the rule: ends_on not before today).
    store = DynamoDBEventStore(aws.dynamodb, aws.event_store_table, MAPPER)
    today = clock.today()
    staff_context = CommandContext(correlation_id="notice", actor="staff:anna")
    keys_of_staff = KeyedHash(b"unused: no idempotency key" * 2)
    give_notice(
        store,
        keys_of_staff,
        member_id,
        staff_context,
        today=today,
        policy=NoticePolicy(),
        ends_on=today,
    )
    assert api.project(api.change_records(aws.event_store_table)) == {"batchItemFailures": []}

    adapters = aws.functions.adapters["ScheduledFunction"]
    context = LambdaContext("ScheduledFunction", 512, 300)
    with recorder.capture() as calls:
        # Tonight: the last day is today, nothing is due.
        tonight = scheduled.lambda_handler(adapters, today=lambda: today)({}, context)
        assert (tonight["checked"], tonight["ended"], tonight["not_due"]) == (1, 0, 1)
    rebuild_views(aws)  # from now on generation 2: keys g2#...
    with recorder.capture() as later:
        tomorrow = today + timedelta(days=1)
        ran = scheduled.lambda_handler(adapters, today=lambda: tomorrow)({}, context)
        assert (ran["checked"], ran["ended"]) == (1, 1)

    requests = requests_of(calls + later, keys)
    assert_allowed(schedule, requests)
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert done >= {
        ("dynamodb:GetItem", table_arn(VIEWS), "views"),
        ("dynamodb:Query", table_arn(VIEWS, "by_list"), "members"),
        ("dynamodb:Query", table_arn(VIEWS, "by_list"), "g2"),
        ("dynamodb:Query", table_arn(EVENT_STORE), "member"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "member"),
        ("dynamodb:DeleteItem", table_arn(EVENT_STORE), "claim"),  # the address is free
    }
    assert "secretsmanager:GetSecretValue" in {r.action for r in requests}
    lists = {r.context["dynamodb:LeadingKeys"] for r in requests if "by_list" in r.resource}
    assert lists == {("members#terminating",), ("g2#members#terminating",)}
    # The address may apply again: a new application takes it (a new stream, not a repeat).
    again = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert store.load(f"member#{again}")


HOSTILE_TO_THE_SCHEDULED_FUNCTION = {
    "take a member number": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item("claim#member-number#1", 0)},
    ),
    "take an application claim": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(APPLICATION_CLAIM, 0)},
    ),
    "take an idempotency claim": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(IDEMPOTENCY_CLAIM, 0)},
    ),
    "free an address outside a transaction": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)},
    ),
    "take back a member number in a transaction": (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": EVENT_STORE, "Item": item(MEMBER, 9)}},
                {"Delete": {"TableName": EVENT_STORE, "Key": key("claim#member-number#1", 0)}},
            ]
        },
    ),
    "read a claim": ("GetItem", {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)}),
    "read claims": ("Query", query(EVENT_STORE, "stream_id", APPLICATION_CLAIM)),
    "scan the event store": ("Scan", {"TableName": EVENT_STORE}),
    "scan the views": ("Scan", {"TableName": VIEWS}),
    "overwrite a commit and get the old one back": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item(MEMBER), "ReturnValues": "ALL_OLD"},
    ),
    "update a commit": (
        "UpdateItem",
        {"TableName": EVENT_STORE, "Key": key(MEMBER), "UpdateExpression": "REMOVE events"},
    ),
    "delete a commit": ("DeleteItem", {"TableName": EVENT_STORE, "Key": key(MEMBER)}),
    "write outside the member streams": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item("gathering#1")},
    ),
    "take a mail ledger entry": ("PutItem", {"TableName": EVENT_STORE, "Item": LEDGER_KEY}),
    "list the applications": (
        "Query",
        query(VIEWS, "list_pk", "members#applied", IndexName="by_list"),
    ),
    "list the active members of generation 2": (
        "Query",
        query(VIEWS, "list_pk", "g2#members#active", IndexName="by_list"),
    ),
    "query the views table itself": ("Query", query(VIEWS, "pk", MEMBER)),
    "read a member summary": (
        "GetItem",
        {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "write a member summary": (
        "PutItem",
        {"TableName": VIEWS, "Item": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "switch the served generation": switch_generations(),
    "read a session": ("GetItem", {"TableName": "StaffTable", "Key": {"pk": s("session#x")}}),
}


@pytest.mark.parametrize(
    ("operation", "params"),
    list(HOSTILE_TO_THE_SCHEDULED_FUNCTION.values()),
    ids=list(HOSTILE_TO_THE_SCHEDULED_FUNCTION),
)
def test_the_scheduled_function_may_not(template, keys, operation, params):
    schedule = FunctionPolicy.of(template, "ScheduledFunction")
    assert denied(schedule, "dynamodb", operation, params, keys)
    assert not denied(schedule, "dynamodb", "Query", query(EVENT_STORE, "stream_id", MEMBER), keys)


def test_the_scheduled_function_sends_no_mail_and_reads_only_the_claim_key(template, keys):
    schedule = FunctionPolicy.of(template, "ScheduledFunction")
    assert denied(schedule, "sesv2", "SendEmail", send_email(), keys)
    secret = template.functions["ScheduledFunction"].environment["CLAIM_KEY_SECRET_ARN"]
    assert secret == template.functions["StaffApiFunction"].environment["CLAIM_KEY_SECRET_ARN"]
    assert schedule.allows(AuthRequest("secretsmanager:GetSecretValue", secret))
    assert not schedule.allows(AuthRequest("secretsmanager:GetSecretValue", secret + "-other"))
    assert not schedule.allows(AuthRequest("secretsmanager:PutSecretValue", secret))
    assert not schedule.allows(AuthRequest("lambda:InvokeFunction", "MembershipIntakeFunction"))


# --- Working groups (verein.groups) ------------------------------------------------------------


def test_both_staff_functions_may_keep_working_groups_and_their_members(
    api, aws, recorder, staff, staff_web, keys, template, tmp_path
):
    import json  # noqa: PLC0415 - this test alone sends a PATCH

    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert (
        api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",)).status == 200
    )
    cognito, users, login = local_login(tmp_path)
    users.add("anna@verein.example", PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    assert browser.sign_in("anna@verein.example").status == 200

    def send(method: str, target: str, body: object = None, key: str | None = None) -> Any:
        headers = [("content-type", "application/json")]
        if key:
            headers.append(("idempotency-key", key))
        data = json.dumps(body).encode() if body is not None else b""
        return api.request(method, target, body=data, headers=headers, groups=("staff",))

    with recorder.capture() as api_calls:
        made = send("POST", "/staff/working-groups", {"name": "AK", "kind": "working_group"}, "g1")
        assert made.status == 201, made.text
        assert (
            send(
                "POST", "/staff/working-groups", {"name": "AK", "kind": "working_group"}, "g1"
            ).status
            == 201
        )
        group_id = made.json()["group_id"]
        assert api.staff_get("/staff/working-groups").status == 200
        assert api.staff_get(f"/staff/working-groups/{group_id}").status == 200
        assert (
            send("PATCH", f"/staff/working-groups/{group_id}", {"description": "x"}).status == 200
        )
        members = f"/staff/working-groups/{group_id}/members/{member_id}"
        assert send("POST", members, key="j1").status == 200
        assert send("DELETE", members).status == 200
        assert send("POST", f"/staff/working-groups/{group_id}/close", key="c1").status == 200
    with recorder.capture() as page_calls:
        page = browser.get("/control/working-groups")
        assert page.status == 200
        form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id")}
        created = browser.post(
            "/control/working-groups", {**form, "name": "Markt", "kind": "project_group"}
        )
        assert created.status == 200 and "Markt" in created.text
        other = created.url.split("?", 1)[0].rsplit("/", 1)[1]
        edit = {**form, "form_id": created.hidden("form_id"), "name": "Marktplatz"}
        assert browser.post(f"/control/working-groups/{other}", edit).status == 200
        joined = browser.post(
            f"/control/members/{member_id}/groups", {**form, "group_id": other}, follow=False
        )
        assert joined.status == 303, joined.text
        left = browser.post(f"/control/members/{member_id}/groups/{other}/leave", form, False)
        assert left.status == 303, left.text
        assert browser.post(f"/control/working-groups/{other}/close", form).status == 200

    for policy, calls in ((staff, api_calls), (staff_web, page_calls)):
        requests = requests_of(calls, keys)
        assert_allowed(policy, requests)
        done = {(r.action, r.resource, key_family(r)) for r in requests}
        assert {
            ("dynamodb:Query", table_arn(EVENT_STORE), "working-groups"),
            ("dynamodb:PutItem", table_arn(EVENT_STORE), "working-groups"),
            ("dynamodb:Query", table_arn(EVENT_STORE), "member"),
            ("dynamodb:PutItem", table_arn(EVENT_STORE), "member"),
            ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),
            ("dynamodb:GetItem", table_arn(EVENT_STORE), "claim"),
        } <= done, policy.function


@pytest.mark.parametrize("name", ["PublicApiFunction", "MembershipIntakeFunction"])
def test_no_public_function_may_touch_working_groups(template, keys, name):
    policy = FunctionPolicy.of(template, name)
    assert denied(
        policy, "dynamodb", "Query", query(EVENT_STORE, "stream_id", "working-groups"), keys
    )
    assert denied(
        policy,
        "dynamodb",
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item("working-groups")},
        keys,
    )


# --- The dashboard (verein.membership.dashboard) ---------------------------------------------


def test_both_staff_functions_may_read_the_dashboard_and_only_read(
    api, aws, recorder, staff, staff_web, keys, template, tmp_path
):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert (
        api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",)).status == 200
    )
    assert api.project(api.change_records(aws.event_store_table)) == {"batchItemFailures": []}
    cognito, users, login = local_login(tmp_path)
    users.add("anna@verein.example", PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    assert browser.sign_in("anna@verein.example").status == 200

    def read_both() -> tuple[list[Call], list[Call]]:
        with recorder.capture() as api_calls:
            assert api.staff_get("/staff/dashboard").json()["members"] == 1
        with recorder.capture() as page_calls:
            assert browser.get("/control/dashboard").status == 200
        return api_calls, page_calls

    api_calls, page_calls = read_both()
    rebuild_views(aws)  # generation 2 from now on: keys g2#...
    later_api, later_page = read_both()

    for policy, calls in ((staff, api_calls + later_api), (staff_web, page_calls + later_page)):
        requests = requests_of(calls, keys)
        assert_allowed(policy, requests)
        done = {(r.action, r.resource, key_family(r)) for r in requests}
        assert {
            ("dynamodb:GetItem", table_arn(VIEWS), "views"),  # which generation
            ("dynamodb:Query", table_arn(VIEWS, "by_list"), "members"),
            ("dynamodb:Query", table_arn(VIEWS, "by_list"), "g2"),
            ("dynamodb:Query", table_arn(EVENT_STORE), "fee-schedule"),
        } <= done, policy.function
        on_data = [
            r for r in requests if r.resource.startswith((table_arn(VIEWS), table_arn(EVENT_STORE)))
        ]
        assert {r.action for r in on_data} <= {"dynamodb:GetItem", "dynamodb:Query"}, (
            policy.function
        )


# --- The membership lifecycle and a member's own notice -------------------------------------


def test_staff_may_make_every_request_of_the_lifecycle(api, aws, recorder, staff, keys):
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert (
        api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",)).status == 200
    )

    def send(method: str, path: str, body: dict[str, Any]) -> int:
        headers = [("content-type", "application/json"), ("idempotency-key", path + method)]
        reply = api.request(
            method, path, body=json.dumps(body).encode(), headers=headers, groups=("staff",)
        )
        return reply.status

    base = f"/staff/members/{member_id}"
    with recorder.capture() as calls:
        assert send("PATCH", base, {"email": "neu@example.org", "city": "Musterstadt"}) == 200
        assert send("PUT", f"{base}/type", {"membership_type": "individual"}) == 200
        assert send("POST", f"{base}/terminate", {}) == 200
        assert send("POST", f"{base}/withdraw-notice", {}) == 200
        assert send("POST", f"{base}/exclude", {"reason": "Beschluss"}) == 200
        assert api.staff_get(f"{base}?as_of=2026-01-01").status == 200
    requests = requests_of(calls, keys)
    assert_allowed(staff, requests)
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert {
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "claim"),  # the new address, claimed
        ("dynamodb:DeleteItem", table_arn(EVENT_STORE), "claim"),  # the old one, released
        ("dynamodb:Query", table_arn(EVENT_STORE), "fee-schedule"),  # is the type known
    } <= done


def test_the_self_service_function_may_make_every_request_of_a_members_notice(
    api, aws, recorder, template, keys
):
    self_service = FunctionPolicy.of(template, "MemberSelfServiceFunction")
    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    assert (
        api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",)).status == 200
    )
    address = JSON_APPLICATION["email"]
    with recorder.capture() as asked:
        for email in (address, "nobody@example.org", address):  # the second one: this hour's
            reply = api.post_json("/membership/termination-requests", {"email": email})
            assert reply.status == 202
    api.project(api.change_records(aws.event_store_table))
    (mail,) = [m for m in aws.mail.mails if "/membership/notice/" in " ".join(m.links)]
    (link,) = [u for u in mail.links if "/membership/notice/" in u]
    path = "/membership/notice/" + link.split("/membership/notice/")[1].split("?")[0]
    with recorder.capture() as acted:
        assert api.request("GET", path).status == 200
        assert api.post_form(path, {"lang": "de"}).status == 303
        assert api.post_form(path, {"lang": "de"}).status == 303  # pressed twice
    requests = requests_of(asked + acted, keys)
    assert_allowed(self_service, requests)
    done = {(r.action, r.resource, key_family(r)) for r in requests}
    assert {
        ("dynamodb:GetItem", table_arn(EVENT_STORE), "claim"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "notice-link"),
        ("dynamodb:Query", table_arn(EVENT_STORE), "member"),
        ("dynamodb:PutItem", table_arn(EVENT_STORE), "member"),
    } <= done


HOSTILE_TO_THE_SELF_SERVICE_FUNCTION = {
    "read the views": (
        "GetItem",
        {"TableName": VIEWS, "Key": {"pk": s(MEMBER), "sk": s("summary")}},
    ),
    "list members": ("Query", query(VIEWS, "list_pk", "members#active", IndexName="by_list")),
    "scan the store": ("Scan", {"TableName": EVENT_STORE}),
    "take a member number": (
        "PutItem",
        {"TableName": EVENT_STORE, "Item": item("claim#member-number#1", 0)},
    ),
    "free an address": (
        "DeleteItem",
        {"TableName": EVENT_STORE, "Key": key(APPLICATION_CLAIM, 0)},
    ),
    "read the mail ledger": (
        "GetItem",
        {"TableName": EVENT_STORE, "Key": key("mail#x", 0)},
    ),
    "read the fee schedule": ("Query", query(EVENT_STORE, "stream_id", "fee-schedule")),
    "write a group": ("PutItem", {"TableName": EVENT_STORE, "Item": item("working-groups")}),
}


@pytest.mark.parametrize(
    ("operation", "params"),
    list(HOSTILE_TO_THE_SELF_SERVICE_FUNCTION.values()),
    ids=list(HOSTILE_TO_THE_SELF_SERVICE_FUNCTION),
)
def test_the_self_service_function_may_not(template, keys, operation, params):
    self_service = FunctionPolicy.of(template, "MemberSelfServiceFunction")
    assert denied(self_service, "dynamodb", operation, params, keys)
