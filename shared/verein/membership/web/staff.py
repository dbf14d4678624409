"""Membership's staff routes: members by status, a member with its history, notes.

API Gateway's JWT authorizer guards every route; the function admits the staff group only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

from verein.eventstore import CommandContext
from verein.membership.commands import AddMemberNote, RejectApplication, WithdrawApplication
from verein.membership.feature import MembershipPorts
from verein.membership.usecases import (
    Decided,
    IdempotencyKeyReused,
    add_member_note,
    approve_application,
    member_history,
    reject_application,
    withdraw_application,
)
from verein.membership.views.store import InvalidCursor
from verein.membership.views.summary import ListedStatus, MemberSummary
from verein.membership.web.messages import MESSAGES
from verein.web.errors import FieldError
from verein.web.inputs import MultiLineText
from verein.web.openapi import problems
from verein.web.problems import problem
from verein.web.requests import request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
logger = Logger(child=True)


def _ports() -> MembershipPorts:
    return cast(MembershipPorts, ports(router))


ListOrder = Literal["oldest", "newest"]
"""By application time (then member id): ``oldest`` first, or ``newest`` first."""

_ORDER = (
    "oldest or newest application first. A cursor is a position in the list, not an order: "
    "send the same order with `after` to go on; the other order turns back at that position."
)


class MemberList(BaseModel):
    status: ListedStatus
    count: int
    """Members on this page."""
    members: list[MemberSummary]
    next_cursor: str | None
    """Send as ``?after=`` for the next page; null on the last page."""


class HistoryEntry(BaseModel):
    version: int
    event_type: str
    schema_version: int
    occurred_at: datetime
    actor: str
    correlation_id: str
    data: dict[str, Any]


class MemberDetail(BaseModel):
    member_id: str
    summary: MemberSummary | None
    """None while the view has not caught up yet; the history is read from the store."""
    history: list[HistoryEntry]


MemberId = Annotated[str, Path(pattern="^[0-9a-f-]{36}$")]


class NoteRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    text: MultiLineText = Field(min_length=1, max_length=2000)


class NoteReceipt(BaseModel):
    member_id: str
    version: int | None
    already_received: bool


def _staff_context() -> CommandContext:
    request = cast(APIGatewayProxyEventV2, router.current_event)
    claims = request.request_context.authorizer.jwt_claim or {}
    return CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"staff:{claims.get('sub', '?')}"
    )


@router.get(
    "/staff/members",
    summary="Members and applicants by status",
    responses={
        200: {"description": "One page", "content": {"application/json": {"model": MemberList}}},
        **problems(401, 403, 422, 500),
    },
)
def list_members(
    status: Annotated[ListedStatus, Query()] = "applied",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=120)] = None,
    order: Annotated[ListOrder, Query(description=_ORDER)] = "oldest",
) -> MemberList:
    page = _ports().member_views.by_status(status, limit, after, newest_first=order == "newest")
    return MemberList(
        status=status, count=len(page.members), members=page.members, next_cursor=page.next_cursor
    )


@router.get(
    "/staff/members.csv",
    summary="Members and applicants by status as CSV for Excel (UTF-8 with BOM, semicolons)",
    responses={
        200: {"description": "The whole list", "content": {"text/csv": {}}},
        **problems(401, 403, 422, 500),
    },
)
def export_members(
    status: Annotated[ListedStatus, Query()] = "applied",
    order: Annotated[ListOrder, Query()] = "oldest",
) -> Response[str]:
    from verein.membership.web import export  # noqa: PLC0415 - the csv module, for exports only

    language = request_language(router)
    members = export.all_members(_ports().member_views, status, newest_first=order == "newest")
    return csv_response(export.directory_csv(members, language), status)


def csv_response(body: str, status: str) -> Response[str]:
    """A download named after the list and the day (UTC)."""
    from verein.membership.web.export import file_name  # noqa: PLC0415

    name = file_name(status, datetime.now(UTC).date().isoformat())
    return Response(
        200,
        "text/csv; charset=utf-8",
        body,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/staff/members/<member_id>",
    summary="One member with the history that built it",
    responses={
        200: {
            "description": "The member",
            "content": {"application/json": {"model": MemberDetail}},
        },
        **problems(401, 403, 404, 422, 500),
    },
)
def get_member(member_id: MemberId) -> Response[Any]:
    history = member_history(_ports().event_store, member_id)
    if not history:
        language = request_language(router)
        return problem(404, MESSAGES.translate("problem.not_found", language), language=language)
    detail = MemberDetail(
        member_id=member_id,
        summary=_ports().member_views.get(member_id),
        history=[
            HistoryEntry(
                version=e.version,
                event_type=e.payload.event_type,
                schema_version=e.payload.schema_version,
                occurred_at=e.metadata.occurred_at,
                actor=e.metadata.actor,
                correlation_id=e.metadata.correlation_id,
                data=e.payload.model_dump(mode="json"),
            )
            for e in history
        ],
    )
    return Response(200, "application/json", detail.model_dump(mode="json"))


@router.post(
    "/staff/members/<member_id>/notes",
    summary="Add a staff note to a membership",
    responses={
        202: {
            "description": "Note stored (or already stored under this key)",
            "content": {"application/json": {"model": NoteReceipt}},
        },
        **problems(400, 401, 403, 404, 409, 413, 415, 422, 500),
    },
)
def add_note(
    member_id: MemberId,
    note: Annotated[NoteRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=100)] = None,
) -> Response[Any]:
    added = add_member_note(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        AddMemberNote(text=note.text),
        _staff_context(),
        idempotency_key=idempotency_key,
    )
    receipt = NoteReceipt(
        member_id=member_id, version=added.version, already_received=added.already_received
    )
    return Response(202, "application/json", receipt.model_dump(mode="json"))


class RejectionRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    reason: MultiLineText = Field(min_length=1, max_length=2000)
    """Told to the applicant."""


class WithdrawalRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    reason: MultiLineText | None = Field(default=None, max_length=2000)


class DecisionReceipt(BaseModel):
    member_id: str
    decision: str
    """``approved``, ``rejected`` or ``withdrawn``."""
    member_number: int | None
    """The member number an approval gave."""
    version: int | None
    """The decision's version in the member's stream; None for a repeated idempotency key."""
    already_received: bool


IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", max_length=100)]
DECISION_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 500)


def _receipt(member_id: str, decision: str, decided: Decided) -> Response[Any]:
    receipt = DecisionReceipt(
        member_id=member_id,
        decision=decision,
        member_number=decided.member_number,
        version=decided.version,
        already_received=decided.already_received,
    )
    return Response(200, "application/json", receipt.model_dump(mode="json"))


def _decision_responses(what: str) -> dict[int, Any]:
    ok = {"description": what, "content": {"application/json": {"model": DecisionReceipt}}}
    return {200: ok, **DECISION_ERRORS}


@router.post(
    "/staff/members/<member_id>/approve",
    summary="Approve an open application: the applicant becomes a member with the next number",
    responses=_decision_responses("Approved (or approved before under this key)"),
)
def approve(member_id: MemberId, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    ports = _ports()
    decided = approve_application(
        ports.event_store,
        ports.keyed_hash,
        ports.member_numbers,
        member_id,
        _staff_context(),
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "approved", decided)


@router.post(
    "/staff/members/<member_id>/reject",
    summary="Reject an open application, with the reason the applicant is told",
    responses=_decision_responses("Rejected (or rejected before under this key)"),
)
def reject(
    member_id: MemberId,
    request: Annotated[RejectionRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    decided = reject_application(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        RejectApplication(reason=request.reason),
        _staff_context(),
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "rejected", decided)


@router.post(
    "/staff/members/<member_id>/withdraw",
    summary="Record that the applicant withdrew the application",
    responses=_decision_responses("Withdrawn (or withdrawn before under this key)"),
)
def withdraw(
    member_id: MemberId,
    request: Annotated[WithdrawalRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    decided = withdraw_application(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        WithdrawApplication(reason=request.reason),
        _staff_context(),
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "withdrawn", decided)


@router.exception_handler(IdempotencyKeyReused)
def idempotency_key_reused(_: IdempotencyKeyReused) -> Response[str]:
    language = request_language(router)
    title = MESSAGES.translate("problem.idempotency_key_reused", language)
    return problem(422, title, errors=[FieldError("idempotency-key", title)], language=language)


@router.exception_handler(InvalidCursor)
def invalid_cursor(_: InvalidCursor) -> Response[str]:
    language = request_language(router)
    errors = [FieldError("after", MESSAGES.field_error("after", "invalid", language))]
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)
