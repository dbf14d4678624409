"""Membership's staff routes: the register (everyone by name, filtered and searched; or one
status by application date) and its CSV, a member with its history, notes, decisions.

API Gateway's JWT authorizer guards every route; the function admits the staff group only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field

from verein.eventstore import CommandContext
from verein.kernel.clock import local_day, today
from verein.kernel.idempotency import IdempotencyKeyReused
from verein.membership.commands import AddMemberNote, RejectApplication, WithdrawApplication
from verein.membership.feature import MembershipPorts
from verein.membership.usecases import (
    Decided,
    add_member_note,
    approve_application,
    member_history,
    reject_application,
    withdraw_application,
)
from verein.membership.views.directory import DirectoryQuery
from verein.membership.views.store import InvalidCursor
from verein.membership.views.summary import ListedStatus, MemberSummary, summary_on
from verein.membership.web.directory import (
    GROUP_ID,
    MAX_CURSOR,
    MAX_SEARCH,
    TYPE_CODE,
    ByNameOnly,
    MembershipTypes,
    by_date_only,
    members_by_name,
)
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


ListOrder = Literal["name", "oldest", "newest"]
"""``name``: the directory, everyone (or those the filters find) by name, the organisation for
those with one (``verein.membership.views.directory``). ``oldest``, ``newest``: one status
(``applied`` unless another is sent) by application time (then member id): the queue of
applications."""

_ORDER = (
    "name: everyone by name (the organisation where there is one), filtered by status, type, "
    "group and q. oldest or newest: one status (applied unless sent) by application time, "
    "unfiltered. A cursor is a position in the list, not an order: send the same order (and "
    "filters) with `after` to go on; with oldest/newest, the other one turns back at that "
    "position."
)
_Q = (
    "Words each of which the name, organisation, e-mail address, a contact person or the "
    "member number must contain; case, umlauts and accents do not matter (Muller, Mueller "
    "and Müller find Müller; strasse finds Straße)."
)


class MemberList(BaseModel):
    status: ListedStatus | None
    """The status asked for; null: every status."""
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
    status: str
    """From the history (the view may lag behind): on ``as_of`` if asked, else today."""
    member_number: int | None
    as_of: date | None = None
    """The day asked for: ``summary``, ``status`` and ``history`` as of its end."""
    summary: MemberSummary | None
    """Without ``as_of`` the view, None while it has not caught up yet; with ``as_of``
    computed from the history (None: not applied by then)."""
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
    return staff_context(router)


def staff_context(on: WebRouter) -> CommandContext:
    """Who acts (the staff token's subject) in the request ``on`` handles now."""
    request = cast(APIGatewayProxyEventV2, on.current_event)
    claims = request.request_context.authorizer.jwt_claim or {}
    return CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"staff:{claims.get('sub', '?')}"
    )


@router.get(
    "/staff/members",
    summary="Members and applicants: by name, filtered and searched; or one status by date",
    responses={
        200: {"description": "One page", "content": {"application/json": {"model": MemberList}}},
        **problems(401, 403, 422, 500),
    },
)
def list_members(  # noqa: PLR0917 - the list's query parameters
    status: Annotated[ListedStatus | None, Query(description="All when left out")] = None,
    membership_type: Annotated[
        str | None, Query(alias="type", pattern=TYPE_CODE, description="A type code")
    ] = None,
    group: Annotated[
        str | None, Query(pattern=GROUP_ID, description="A working group's id")
    ] = None,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, description=_Q)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=MAX_CURSOR)] = None,
    order: Annotated[ListOrder, Query(description=_ORDER)] = "name",
) -> MemberList:
    views = _ports().member_views
    if order == "name":
        query = DirectoryQuery(status, membership_type, group, q or "")
        found = members_by_name(views, query, limit, after)
        members, next_cursor = found.members, found.next_cursor
    else:
        by_date_only(type=membership_type, group=group, q=q)
        status = status or "applied"
        page = views.by_status(status, limit, after, newest_first=order == "newest")
        members, next_cursor = page.members, page.next_cursor
    return MemberList(status=status, count=len(members), members=members, next_cursor=next_cursor)


@router.get(
    "/staff/members.csv",
    summary="The list's members (same filters, every page) as CSV for Excel (BOM, semicolons)",
    responses={
        200: {"description": "The whole list", "content": {"text/csv": {}}},
        **problems(401, 403, 422, 500),
    },
)
def export_members(
    status: Annotated[ListedStatus | None, Query(description="All when left out")] = None,
    membership_type: Annotated[str | None, Query(alias="type", pattern=TYPE_CODE)] = None,
    group: Annotated[str | None, Query(pattern=GROUP_ID)] = None,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, description=_Q)] = None,
    order: Annotated[ListOrder, Query(description=_ORDER)] = "name",
) -> Response[str]:
    """Every member the list with these filters finds, in its order (no paging)."""
    from verein.membership.web import export  # noqa: PLC0415 - the csv module, for exports only

    language = request_language(router)
    ports = _ports()
    day = today()
    members: Iterable[MemberSummary]
    if order == "name":
        query = DirectoryQuery(status, membership_type, group, q or "", day)
        members = export.directory_members(ports.member_views, query)
    else:
        by_date_only(type=membership_type, group=group, q=q)
        status = status or "applied"
        members = export.all_members(ports.member_views, status, order == "newest")
    types = MembershipTypes(ports.event_store, day)
    return csv_response(export.directory_csv(members, language, day=day, types=types.label), status)


def csv_response(body: str, status: str | None) -> Response[str]:
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
def get_member(
    member_id: MemberId,
    as_of: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD: the member on that day"),
    ] = None,
) -> Response[Any]:
    day = _day(as_of)
    history = member_history(_ports().event_store, member_id)
    if not history:
        language = request_language(router)
        return problem(404, MESSAGES.translate("problem.not_found", language), language=language)
    if day is not None:
        history = [e for e in history if local_day(e.metadata.occurred_at) <= day]
    computed = summary_on(history, day or today())
    detail = MemberDetail(
        member_id=member_id,
        status=computed.status if computed else "none",
        member_number=computed.member_number if computed else None,
        as_of=day,
        summary=computed if day else _ports().member_views.get(member_id),
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


class InvalidDay(ValueError):
    """A ``YYYY-MM-DD`` that is no day (``2026-02-30``)."""


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as error:
        raise InvalidDay(text) from error


@router.exception_handler(InvalidDay)
def invalid_day(_: InvalidDay) -> Response[str]:
    language = request_language(router)
    errors = [FieldError("as_of", MESSAGES.field_error("as_of", "invalid", language))]
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)


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


@router.exception_handler(ByNameOnly)
def by_name_only(refused: ByNameOnly) -> Response[str]:
    language = request_language(router)
    message = MESSAGES.translate("error.by_name_only", language)
    errors = [FieldError(name, message) for name in refused.fields]
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)


@router.exception_handler(InvalidCursor)
def invalid_cursor(_: InvalidCursor) -> Response[str]:
    language = request_language(router)
    errors = [FieldError("after", MESSAGES.field_error("after", "invalid", language))]
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)
