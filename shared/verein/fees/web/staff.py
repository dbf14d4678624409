"""The fee schedule in the staff API: read it, set a version from a date.

API Gateway's JWT authorizer guards every route; the function admits the staff group only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Protocol, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, WithJsonSchema

from verein.eventstore import CommandContext, EventStore
from verein.fees.schedule import CODE_PATTERN, FeeSchedule, FeeType, ScheduleVersion
from verein.fees.usecases import IdempotencyKeyReused, fee_schedule, set_fee_schedule
from verein.fees.web.messages import MESSAGES
from verein.fees.web.values import (
    AMOUNT_PATTERN,
    MAX_FEE_CENTS,
    MAX_LABEL,
    MAX_TYPES,
    InputError,
    amount,
    read_version,
)
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash
from verein.web.errors import FieldError
from verein.web.i18n import Language
from verein.web.openapi import problems
from verein.web.pages import LOCAL_TIME
from verein.web.problems import problem
from verein.web.requests import request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
logger = Logger(child=True)

PATH = "/staff/fees"


class FeePorts(Protocol):
    """The adapters the fee schedule's routes are given."""

    @property
    def event_store(self) -> EventStore: ...

    @property
    def keyed_hash(self) -> KeyedHash: ...


def _ports() -> FeePorts:
    return cast(FeePorts, ports(router))


def today() -> date:
    """The association's day now (the schedule's days are days in Berlin)."""
    return datetime.now(LOCAL_TIME).date()


# --- answers ---------------------------------------------------------------------------------


class FeeTypeDocument(BaseModel):
    code: str
    label_de: str
    label_en: str
    yearly_fee_cents: int
    yearly_fee: str
    """In euros, two decimals: ``"120.00"``."""


class VersionDocument(BaseModel):
    effective_from: date
    until: date | None
    """The first day the next version is in force; null for the latest."""
    types: list[FeeTypeDocument]


class ScheduleDocument(BaseModel):
    today: date
    """The association's day (Europe/Berlin) the answer was made on."""
    current: VersionDocument | None
    """The version in force today; null before the first."""
    versions: list[VersionDocument]
    """Every version, oldest first."""


class ScheduleReceipt(ScheduleDocument):
    already_received: bool
    """True when this Idempotency-Key had set the version before (nothing new stored)."""


def _type(fee_type: FeeType) -> FeeTypeDocument:
    return FeeTypeDocument(
        code=fee_type.code,
        label_de=fee_type.label_de,
        label_en=fee_type.label_en,
        yearly_fee_cents=fee_type.yearly_fee_cents,
        yearly_fee=amount(fee_type.yearly_fee_cents),
    )


def _version(schedule: FeeSchedule, version: ScheduleVersion) -> VersionDocument:
    return VersionDocument(
        effective_from=version.effective_from,
        until=schedule.until(version),
        types=[_type(t) for t in version.types],
    )


def schedule_document(schedule: FeeSchedule, day: date) -> ScheduleDocument:
    current = schedule.on(day)
    return ScheduleDocument(
        today=day,
        current=_version(schedule, current) if current else None,
        versions=[_version(schedule, v) for v in schedule.versions],
    )


# --- the request -----------------------------------------------------------------------------

_DAY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "description": "The first day (Europe/Berlin) the version is in force, e.g. 2027-01-01",
}
_TYPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "label_de", "label_en", "yearly_fee"],
    "properties": {
        "code": {
            "type": "string",
            "pattern": CODE_PATTERN,
            "description": "What memberships of this type store, e.g. company-small",
        },
        "label_de": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL},
        "label_en": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL},
        "yearly_fee": {
            "description": 'In euros, at most two decimals: 120, 120.5, "120.50"',
            "anyOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN},
                {"type": "number", "minimum": 0, "maximum": MAX_FEE_CENTS // 100},
            ],
        },
    },
}
_TYPES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_TYPES,
    "items": _TYPE_SCHEMA,
    "description": "Every type of the version, each code once",
}


class ScheduleVersionRequest(BaseModel):
    """A version as a script sends it. The document says exactly what is accepted; the values
    are read by ``fees.web.values`` (the staff page reads its form there too), which names the
    field of every error, down to ``types[2].yearly_fee``."""

    model_config = ConfigDict(extra="ignore")

    effective_from: Annotated[Any, WithJsonSchema(_DAY_SCHEMA)]
    types: Annotated[Any, WithJsonSchema(_TYPES_SCHEMA)]


IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", max_length=100)]


def field_errors(errors: list[InputError], language: Language) -> list[FieldError]:
    """The API's field names: ``effective_from``, ``types``, ``types[0]``, ``types[0].code``."""
    return [FieldError(_field(e), MESSAGES.translate(e.key, language)) for e in errors]


def _field(error: InputError) -> str:
    if error.row is None:
        return error.field
    if error.field == "types":
        return f"types[{error.row}]"
    return f"types[{error.row}].{error.field}"


# --- routes ----------------------------------------------------------------------------------


def _staff_context() -> CommandContext:
    request = cast(APIGatewayProxyEventV2, router.current_event)
    claims = request.request_context.authorizer.jwt_claim or {}
    return CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"staff:{claims.get('sub', '?')}"
    )


@router.get(
    PATH,
    summary="The fee schedule: the version in force today and every version",
    responses={
        200: {
            "description": "The schedule",
            "content": {"application/json": {"model": ScheduleDocument}},
        },
        **problems(401, 403, 500),
    },
)
def get_fees() -> Response[Any]:
    document = schedule_document(fee_schedule(_ports().event_store), today())
    return Response(200, "application/json", document.model_dump(mode="json"))


@router.put(
    PATH,
    summary="Set the membership types and yearly fees in force from a date (replaces that "
    "date's version)",
    responses={
        200: {
            "description": "The schedule with the version set (or set before under this key)",
            "content": {"application/json": {"model": ScheduleReceipt}},
        },
        **problems(400, 401, 403, 409, 413, 415, 422, 500),
    },
)
def put_fees(
    request: Annotated[ScheduleVersionRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    language = request_language(router)
    read = read_version(request.effective_from, request.types)
    if not isinstance(read, ScheduleVersion):
        return _invalid(field_errors(read, language), language)
    ports = _ports()
    try:
        done = set_fee_schedule(
            ports.event_store,
            read,
            _staff_context(),
            idempotency_key=idempotency_key,
            keyed_hash=ports.keyed_hash if idempotency_key else None,
        )
    except DomainRuleViolated as refused:  # the rules read_version checks too: not expected
        title = MESSAGES.translate(refused.code, language)
        return problem(
            refused.status, title, errors=[FieldError("types", title)], language=language
        )
    except IdempotencyKeyReused:
        title = MESSAGES.translate("problem.idempotency_key_reused", language)
        errors = [FieldError("idempotency-key", title)]
        return problem(422, title, errors=errors, language=language)
    document = schedule_document(done.schedule, today())
    receipt = ScheduleReceipt(**dict(document), already_received=done.already_received)
    return Response(200, "application/json", receipt.model_dump(mode="json"))


def _invalid(errors: list[FieldError], language: Language) -> Response[str]:
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)
