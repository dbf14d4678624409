"""The hand-over of applications from the public function to the intake function."""

import io
import json

import httpx
import pytest

from local_aws.lambda_api import LocalLambdaApi, function_name
from tests.samples import MAPPER, application
from verein.eventstore import CommandContext
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.intake import (
    DirectApplicationIntake,
    IntakeFailed,
    IntakeReply,
    IntakeRequest,
    LambdaApplicationIntake,
    handle,
    received_from,
)

KEYS = KeyedHash(b"k" * 32)
CONTEXT = CommandContext(correlation_id="req-1", actor="public")


def test_the_direct_intake_records_once_per_mailbox():
    store = InMemoryEventStore(MAPPER)
    intake = DirectApplicationIntake(store, KEYS)
    first = intake.apply(application(1), CONTEXT)
    again = intake.apply(application(1), CONTEXT)
    assert (first.already_received, again.already_received) == (False, True)
    # No enumeration: a double submission gets an id of its own, never the first one's.
    assert again.application_id != first.application_id
    assert len(store.appended) == 1
    assert store.appended[0]["stream_id"] == f"member#{first.application_id}"


def test_the_consent_version_travels_to_the_intake_and_is_stored():
    store = InMemoryEventStore(MAPPER)
    command = application(2).model_copy(update={"consent_version": "en-abcdef012345"})
    wired = IntakeRequest.model_validate_json(IntakeRequest.of(command, CONTEXT).model_dump_json())
    assert wired.command.consent_version == "en-abcdef012345"
    received = DirectApplicationIntake(store, KEYS).apply(command, CONTEXT)
    (recorded,) = store.load(f"member#{received.application_id}")
    assert recorded.payload.consent_version == "en-abcdef012345"


def test_failures_travel_as_outcomes_and_become_the_same_exceptions_again():
    store = InMemoryEventStore(MAPPER)
    request = IntakeRequest(command=application(2, consent=False), correlation_id="c", actor="a")
    reply = handle(request, store, KEYS)
    assert reply == IntakeReply(
        outcome="rule_violated", rule="membership.consent_required", status=422
    )
    with pytest.raises(DomainRuleViolated) as violated:
        received_from(reply)
    assert (violated.value.code, violated.value.status) == ("membership.consent_required", 422)
    with pytest.raises(CommandConflict):
        received_from(IntakeReply(outcome="conflict"))
    with pytest.raises(IntakeFailed):
        received_from(IntakeReply(outcome="received"))
    assert store.appended == []


class FakeLambda:
    """What boto3's lambda client returns for ``invoke``."""

    def __init__(self, payload: bytes, function_error: str | None = None) -> None:
        self.payload, self.function_error = payload, function_error
        self.requests: list[dict] = []

    def invoke(self, **request):
        self.requests.append(request)
        response = {"StatusCode": 200, "Payload": io.BytesIO(self.payload)}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


def test_the_lambda_intake_sends_the_command_and_reads_the_reply():
    reply = IntakeReply(outcome="received", application_id="id-1", already_received=False)
    client = FakeLambda(reply.model_dump_json().encode())
    received = LambdaApplicationIntake(client, "Intake").apply(application(3), CONTEXT)
    assert (received.application_id, received.already_received) == ("id-1", False)
    [request] = client.requests
    assert (request["FunctionName"], request["InvocationType"]) == ("Intake", "RequestResponse")
    sent = IntakeRequest.model_validate_json(request["Payload"])
    assert (sent.command, sent.correlation_id, sent.actor) == (application(3), "req-1", "public")


def test_an_unhandled_error_in_the_intake_is_a_failure_not_a_receipt():
    client = FakeLambda(b'{"errorType": "ClientError", "errorMessage": "x"}', "Unhandled")
    with pytest.raises(IntakeFailed, match="ClientError"):
        LambdaApplicationIntake(client, "Intake").apply(application(4), CONTEXT)


# --- The local Lambda Invoke API ------------------------------------------------------------


def echo_or_fail(function: str, event: dict) -> dict:
    if event.get("fail"):
        raise RuntimeError("broken")
    return {"function": function, "event": event}


@pytest.fixture
def lambda_api():
    with LocalLambdaApi(echo_or_fail, {"Intake"}.__contains__) as api:
        yield api


def invocation(api: LocalLambdaApi, name: str, payload: bytes) -> httpx.Response:
    url = f"{api.endpoint_url}/2015-03-31/functions/{name}/invocations"
    return httpx.post(url, content=payload)


def test_the_local_invoke_api_answers_like_lambda(lambda_api):
    ok = invocation(lambda_api, "Intake", b'{"a": 1}')
    assert ok.status_code == 200 and ok.json() == {"function": "Intake", "event": {"a": 1}}
    arn = "arn:aws:lambda:eu-central-1:123456789012:function:Intake"
    assert invocation(lambda_api, arn, b"{}").json()["function"] == "Intake"
    failed = invocation(lambda_api, "Intake", b'{"fail": true}')
    assert failed.status_code == 200 and failed.headers["x-amz-function-error"] == "Unhandled"
    assert failed.json()["errorType"] == "RuntimeError"
    unknown = invocation(lambda_api, "Other", b"{}")
    assert unknown.status_code == 404
    assert unknown.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert invocation(lambda_api, "Intake", b"{nope").status_code == 400


def test_boto3_invokes_through_the_local_api(lambda_api, monkeypatch):
    import boto3

    client = boto3.client(
        "lambda",
        endpoint_url=lambda_api.endpoint_url,
        region_name="eu-central-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    response = client.invoke(FunctionName="Intake", Payload=b'{"x": "y"}')
    assert json.loads(response["Payload"].read()) == {"function": "Intake", "event": {"x": "y"}}
    failed = client.invoke(FunctionName="Intake", Payload=b'{"fail": true}')
    assert failed["FunctionError"] == "Unhandled"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="Other", Payload=b"{}")


def test_function_names_from_arns_and_qualified_names():
    assert function_name("arn:aws:lambda:eu-central-1:1:function:Intake:live") == "Intake"
    assert function_name("Intake:live") == "Intake"
