"""Recording applications from the internet-facing function without giving it the store.

The public function faces unauthenticated callers, so it holds no rights on the event store:
code running with its credentials could otherwise read a member's commit back through a failed
conditional put (no IAM condition key covers ``ReturnValuesOnConditionCheckFailure``) or
overwrite one (IAM cannot demand a condition expression). It hands the validated command to the
private ``MembershipIntakeFunction`` instead, which builds every request to the store itself.
This module is that hand-over: the wire format, the port, and its two adapters.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from verein.eventstore import CommandContext, EventStore
from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.commands import ApplyForMembership
from verein.membership.usecases import ApplicationReceived, apply_for_membership

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient


class IntakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: ApplyForMembership
    correlation_id: str
    actor: str

    @classmethod
    def of(cls, command: ApplyForMembership, context: CommandContext) -> IntakeRequest:
        return cls(command=command, correlation_id=context.correlation_id, actor=context.actor)

    def context(self) -> CommandContext:
        return CommandContext(correlation_id=self.correlation_id, actor=self.actor)


class IntakeReply(BaseModel):
    """What the intake function answers; failures the caller must map travel as outcomes."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["received", "conflict", "rule_violated"]
    application_id: str | None = None
    already_received: bool = False
    rule: str | None = None
    status: int = 409


class IntakeFailed(Exception):
    """The intake function failed (an unhandled error there): nothing may be assumed stored."""


class ApplicationIntake(Protocol):
    def apply(self, command: ApplyForMembership, context: CommandContext) -> ApplicationReceived:
        """Record the application; raises what ``apply_for_membership`` raises."""
        ...


def handle(request: IntakeRequest, store: EventStore, keyed_hash: KeyedHash) -> IntakeReply:
    """The intake function's work: run the use case, turn its failures into outcomes."""
    try:
        received = apply_for_membership(store, keyed_hash, request.command, request.context())
    except CommandConflict:
        return IntakeReply(outcome="conflict")
    except DomainRuleViolated as violation:
        return IntakeReply(outcome="rule_violated", rule=violation.code, status=violation.status)
    return IntakeReply(
        outcome="received",
        application_id=received.application_id,
        already_received=received.already_received,
    )


def received_from(reply: IntakeReply) -> ApplicationReceived:
    """The caller's side of ``handle``: outcomes become the use case's exceptions again."""
    if reply.outcome == "conflict":
        raise CommandConflict("membership intake")
    if reply.outcome == "rule_violated":
        raise DomainRuleViolated(reply.rule or "", reply.status)
    if reply.application_id is None:
        raise IntakeFailed("a received reply without an application id")
    return ApplicationReceived(reply.application_id, reply.already_received)


class LambdaApplicationIntake:
    """Invokes the intake function synchronously (``RequestResponse``)."""

    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self._function = function_name

    def apply(self, command: ApplyForMembership, context: CommandContext) -> ApplicationReceived:
        request = IntakeRequest.of(command, context)
        response = self._client.invoke(
            FunctionName=self._function,
            InvocationType="RequestResponse",
            Payload=request.model_dump_json().encode(),
        )
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            raise IntakeFailed(json.loads(payload or b"{}").get("errorType", "unknown"))
        return received_from(IntakeReply.model_validate_json(payload))


class DirectApplicationIntake:
    """Runs the intake in the same process: for unit tests, and wherever no split is wanted."""

    def __init__(self, store: EventStore, keyed_hash: KeyedHash) -> None:
        self._store = store
        self._keyed_hash = keyed_hash

    def apply(self, command: ApplyForMembership, context: CommandContext) -> ApplicationReceived:
        request = IntakeRequest.of(command, context)
        # Through the wire format, so that what a unit test sees is what the function gets.
        wired = IntakeRequest.model_validate_json(request.model_dump_json())
        reply = handle(wired, self._store, self._keyed_hash)
        return received_from(IntakeReply.model_validate_json(reply.model_dump_json()))
