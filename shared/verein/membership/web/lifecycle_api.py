"""The staff API's routes for a membership after the application: notice (and taking it
back), exclusion, contact details, the membership type. Each takes an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from verein.kernel.clock import today
from verein.membership import lifecycle
from verein.membership.commands import ChangeMembershipType
from verein.membership.feature import MembershipPorts
from verein.membership.notice import NoticePolicy
from verein.membership.usecases import Decided
from verein.membership.web.lifecycle_inputs import (
    ContactChangeRequest,
    NoticeRequest,
    OptionalReasonRequest,
    ReasonRequest,
    TypeChangeRequest,
)
from verein.membership.web.messages import MESSAGES
from verein.membership.web.staff import (
    DECISION_ERRORS,
    IdempotencyKey,
    MemberId,
    staff_context,
)
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
logger = Logger(child=True)


def _ports() -> MembershipPorts:
    return cast(MembershipPorts, ports(router))


class ChangeReceipt(BaseModel):
    member_id: str
    change: str
    """``notice_given``, ``notice_withdrawn``, ``excluded``, ``contact_changed``,
    ``type_changed``."""
    version: int | None
    """The change's version in the member's stream; None for a repeated idempotency key, or
    when nothing changed."""
    already_received: bool
    ends_on: date | None = None
    """The membership's last day (a notice)."""


def _receipt(member_id: str, change: str, done: Decided, **extra: Any) -> Response[Any]:
    receipt = ChangeReceipt(
        member_id=member_id,
        change=change,
        version=done.version,
        already_received=done.already_received,
        **extra,
    )
    return Response(200, "application/json", receipt.model_dump(mode="json"))


def _responses(what: str) -> dict[int, Any]:
    ok = {"description": what, "content": {"application/json": {"model": ChangeReceipt}}}
    return {200: ok, **DECISION_ERRORS}


@router.post(
    "/staff/members/<member_id>/terminate",
    summary="Record the member's notice: a member until `effective` (the last day; default: "
    "the term end the notice period allows), then the membership ends",
    responses=_responses("Notice recorded (or recorded before under this key)"),
)
def terminate(
    member_id: MemberId,
    request: Annotated[NoticeRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    ports, day = _ports(), today()
    ends_on = request.effective or NoticePolicy.from_settings(ports.settings).last_day(day)
    done = lifecycle.give_notice(
        ports.event_store,
        ports.keyed_hash,
        member_id,
        staff_context(router),
        today=day,
        policy=NoticePolicy.from_settings(ports.settings),
        ends_on=ends_on,
        reason=request.reason,
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "notice_given", done, ends_on=ends_on)


@router.post(
    "/staff/members/<member_id>/withdraw-notice",
    summary="Take a notice back before it takes effect: the member stays active",
    responses=_responses("Notice taken back (or before under this key)"),
)
def withdraw_notice(
    member_id: MemberId,
    request: Annotated[OptionalReasonRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    done = lifecycle.withdraw_notice(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        staff_context(router),
        reason=request.reason,
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "notice_withdrawn", done)


@router.post(
    "/staff/members/<member_id>/exclude",
    summary="Exclude the member (with the reason): the membership ends today",
    responses=_responses("Excluded (or excluded before under this key)"),
)
def exclude(
    member_id: MemberId,
    request: Annotated[ReasonRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    done = lifecycle.exclude_member(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        staff_context(router),
        today=today(),
        reason=request.reason,
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "excluded", done)


@router.patch(
    "/staff/members/<member_id>",
    summary="Change contact details (name, organisation, e-mail, address, phone, contact "
    "people); fields not sent stay, an empty string clears an optional one",
    responses=_responses("Changed (or changed before under this key)"),
)
def change_contact(
    member_id: MemberId,
    request: Annotated[ContactChangeRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    done = lifecycle.change_contact_details(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        request.to_command(),
        staff_context(router),
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "contact_changed", done)


@router.put(
    "/staff/members/<member_id>/type",
    summary="Change the membership type (a fee schedule code) from a date (default: today)",
    responses=_responses("Changed (or changed before under this key)"),
)
def change_type(
    member_id: MemberId,
    request: Annotated[TypeChangeRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    command = ChangeMembershipType(
        membership_type=request.membership_type, effective=request.effective or today()
    )
    done = lifecycle.change_membership_type(
        _ports().event_store,
        _ports().keyed_hash,
        member_id,
        command,
        staff_context(router),
        known=known_types(_ports()),
        idempotency_key=idempotency_key,
    )
    return _receipt(member_id, "type_changed", done)


def known_types(ports: MembershipPorts) -> Any:
    """Whether a type code is in the fee schedule in force on a day; before any schedule is
    in force, the two kinds the application form offers."""
    from verein.fees.usecases import fee_schedule  # noqa: PLC0415 - read only for this

    schedule = fee_schedule(ports.event_store)

    def known(code: str, day: date) -> bool:
        version = schedule.on(day)
        if version is None:
            return code in {"company", "individual"}
        return any(t.code == code for t in version.types)

    return known
