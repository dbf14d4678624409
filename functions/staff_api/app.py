"""Staff API: membership views. API Gateway's JWT authorizer guards every route."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from verein import runtime
from verein.eventstore import CommandContext
from verein.membership.commands import AddMemberNote
from verein.membership.usecases import IdempotencyKeyReused, add_member_note, member_history
from verein.membership.views.store import InvalidCursor
from verein.membership.views.summary import MemberSummary
from verein.web.errors import FieldError, translate_errors
from verein.web.i18n import field_error, translate
from verein.web.inputs import MultiLineText
from verein.web.openapi import OBJECT, STAFF_SECURITY_SCHEMES, problems
from verein.web.problems import install_error_handlers, problem
from verein.web.requests import request_language
from verein.web.resolver import WebResolver
from verein.web.screening import Limits
from verein.web.staff_auth import is_staff_request

NEEDS = ("CLAIM_KEY_SECRET_ARN",)
"""Settings this function cannot start without (checked at cold start)."""
runtime.configure(NEEDS)
logger = Logger()
tracer = Tracer()
# 64 KiB: a note takes 2,000 characters, at most 12 KB even with every one JSON-escaped.
app = WebResolver(Limits(max_body_bytes=64 * 1024), admits=is_staff_request)
install_error_handlers(app, logger)


class MemberList(BaseModel):
    status: str
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
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    return CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"staff:{claims.get('sub', '?')}"
    )


@app.get(
    "/staff/openapi.json",
    summary="This API's OpenAPI document",
    responses={
        200: {"description": "OpenAPI 3 document", "content": OBJECT},
        **problems(401, 403, 500),
    },
)
def openapi_document() -> Response[str]:
    document = app.get_openapi_json_schema(
        title="Verein staff API",
        version="1",
        security_schemes=STAFF_SECURITY_SCHEMES,
        security=[{"staffToken": []}],
    )
    return Response(200, "application/json", document)


@app.get(
    "/staff/members",
    summary="Members and applicants by status",
    responses={
        200: {"description": "One page", "content": {"application/json": {"model": MemberList}}},
        **problems(401, 403, 422, 500),
    },
)
def list_members(
    status: Annotated[str, Query(pattern="^[a-z_]{1,32}$")] = "applied",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=120)] = None,
) -> MemberList:
    page = runtime.member_views().by_status(status, limit, after)
    return MemberList(
        status=status, count=len(page.members), members=page.members, next_cursor=page.next_cursor
    )


@app.get(
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
    history = member_history(runtime.event_store(), member_id)
    if not history:
        language = request_language(app)
        return problem(404, translate("problem.not_found", language), language=language)
    detail = MemberDetail(
        member_id=member_id,
        summary=runtime.member_views().get(member_id),
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


@app.post(
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
        runtime.event_store(),
        runtime.keyed_hash(),
        member_id,
        AddMemberNote(text=note.text),
        _staff_context(),
        idempotency_key=idempotency_key,
    )
    receipt = NoteReceipt(
        member_id=member_id, version=added.version, already_received=added.already_received
    )
    return Response(202, "application/json", receipt.model_dump(mode="json"))


@app.exception_handler(IdempotencyKeyReused)
def idempotency_key_reused(_: IdempotencyKeyReused) -> Response[str]:
    language = request_language(app)
    errors = [FieldError("idempotency-key", translate("problem.idempotency_key_reused", language))]
    title = translate("problem.idempotency_key_reused", language)
    return problem(422, title, errors=errors, language=language)


@app.exception_handler(InvalidCursor)
def invalid_cursor(_: InvalidCursor) -> Response[str]:
    language = request_language(app)
    errors = [FieldError("after", field_error("after", "invalid", language))]
    return problem(422, translate("problem.validation", language), errors=errors, language=language)


@app.exception_handler(RequestValidationError)
def invalid_input(error: RequestValidationError) -> Response[str]:
    language = request_language(app)
    return problem(
        422,
        translate("problem.validation", language),
        errors=translate_errors(error.errors(), language),
        language=language,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
