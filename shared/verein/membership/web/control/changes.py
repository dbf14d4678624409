"""The person page's forms for a membership after the application: notice (and taking it
back), exclusion, contact details, the type. Each checks its fields with the JSON API's
model, then runs like a decision (``member.decide``): the form's id is its idempotency key."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ValidationError

from verein.eventstore import CommandContext
from verein.kernel.clock import today
from verein.membership import lifecycle
from verein.membership.commands import ChangeMembershipType
from verein.membership.notice import NoticePolicy
from verein.membership.usecases import member_history
from verein.membership.views.summary import summary_from
from verein.membership.web.control.common import LIST, MemberId, control_ports, router
from verein.membership.web.control.member import decide, render_member
from verein.membership.web.lifecycle_api import known_types
from verein.membership.web.lifecycle_inputs import (
    ContactChangeRequest,
    NoticeRequest,
    OptionalReasonRequest,
    ReasonRequest,
    TypeChangeRequest,
)
from verein.membership.web.messages import MESSAGES
from verein.web.errors import FieldError, translate_errors
from verein.web.inputs import form_input
from verein.web.requests import form_values, request_language

CONTACT_FIELDS: tuple[str, ...] = (
    *("applicant_name", "organisation", "email"),
    *("street", "postal_code", "city", "phone"),
)
CONTACT_PERSON_FIELDS = ("name", "role", "email", "phone")
MAX_CONTACT_ROWS = 10


def _checked(
    member_id: str, model: type[BaseModel], fields: dict[str, str]
) -> tuple[Any, Response[str] | None]:
    """The form's fields (form name -> model field) checked by ``model``; on errors, the page
    with each message at its form field."""
    values = form_values(router)
    sent = {name: values[form] for form, name in fields.items() if form in values}
    try:
        return model.model_validate(sent), None
    except ValidationError as error:
        language = request_language(router, values.get("lang"))
        back = {name: form for form, name in fields.items()}
        # Named as the form names them, so a field's own words apply ("error.<form name>...").
        found = [
            {**e, "loc": tuple(back.get(str(part), part) for part in e["loc"])}
            for e in error.errors()
        ]
        errors = translate_errors(found, language, MESSAGES)
        return None, render_member(member_id, values=values, errors=errors)


@router.post(f"{LIST}/<member_id>/terminate", summary="Record the member's notice (form)")
def terminate(member_id: MemberId) -> Response[str]:
    fields = {"effective": "effective", "notice_reason": "reason"}
    request, refused = _checked(member_id, NoticeRequest, fields)
    if refused:
        return refused
    ports = control_ports()
    return decide(
        member_id,
        "notice_given",
        form_values(router),
        lambda context, key: lifecycle.give_notice(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            context,
            today=today(),
            policy=NoticePolicy.from_settings(ports.settings),
            ends_on=request.effective,
            reason=request.reason,
            idempotency_key=key,
        ),
    )


@router.post(f"{LIST}/<member_id>/withdraw-notice", summary="Take the notice back (form)")
def withdraw_notice(member_id: MemberId) -> Response[str]:
    request, refused = _checked(member_id, OptionalReasonRequest, {"keep_reason": "reason"})
    if refused:
        return refused
    ports = control_ports()
    return decide(
        member_id,
        "notice_withdrawn",
        form_values(router),
        lambda context, key: lifecycle.withdraw_notice(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            context,
            reason=request.reason,
            idempotency_key=key,
        ),
    )


@router.post(f"{LIST}/<member_id>/exclude", summary="Exclude the member (form)")
def exclude(member_id: MemberId) -> Response[str]:
    request, refused = _checked(member_id, ReasonRequest, {"exclude_reason": "reason"})
    if refused:
        return refused
    ports = control_ports()
    return decide(
        member_id,
        "excluded",
        form_values(router),
        lambda context, key: lifecycle.exclude_member(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            context,
            today=today(),
            reason=request.reason,
            idempotency_key=key,
        ),
    )


@router.post(f"{LIST}/<member_id>/type", summary="Change the membership type (form)")
def change_type(member_id: MemberId) -> Response[str]:
    fields = {"membership_type": "membership_type", "type_effective": "effective"}
    request, refused = _checked(member_id, TypeChangeRequest, fields)
    if refused:
        return refused
    ports = control_ports()
    command = ChangeMembershipType(
        membership_type=request.membership_type, effective=request.effective or today()
    )
    return decide(
        member_id,
        "type_changed",
        form_values(router),
        lambda context, key: lifecycle.change_membership_type(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            command,
            context,
            known=known_types(ports),
            idempotency_key=key,
        ),
    )


@router.post(f"{LIST}/<member_id>/contact", summary="Change contact details (form)")
def change_contact(member_id: MemberId) -> Response[str]:
    """The form shows every field; only what differs from the member now is sent on, so the
    history records what really changed."""
    values = form_values(router)
    current = summary_from(member_history(control_ports().event_store, member_id))
    if current is None:
        return render_member(member_id)
    sent: dict[str, Any] = {
        name: values[name].strip()
        for name in CONTACT_FIELDS
        if name in values and values[name].strip() != (getattr(current, name) or "")
    }
    rows = _contact_rows(values)
    if rows != [{k: getattr(c, k) or "" for k in CONTACT_PERSON_FIELDS} for c in current.contacts]:
        sent["contacts"] = [{k: v for k, v in row.items() if v} for row in rows]
    if not sent:
        return decide(member_id, "contact_changed", values, lambda *_: None)
    # Built here from the form's rows, so checked as data, not as a form's strings-or-lists.
    token = form_input.set(False)
    try:
        request = ContactChangeRequest.model_validate(sent)
    except ValidationError as error:
        language = request_language(router, values.get("lang"))
        errors = translate_errors(error.errors(), language, MESSAGES)
        moved = [FieldError(_anchor(e.field), e.message) for e in errors]
        return render_member(member_id, values=values, errors=moved)
    finally:
        form_input.reset(token)
    ports = control_ports()

    def run(context: CommandContext, key: str | None) -> object:
        return lifecycle.change_contact_details(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            request.to_command(),
            context,
            idempotency_key=key,
        )

    return decide(member_id, "contact_changed", values, run)


def _anchor(field: str) -> str:
    """Where a message points on the page: a contact person's error at the first row."""
    return "contact_0_name" if field == "contacts" else field


def _contact_rows(values: dict[str, str]) -> list[dict[str, str]]:
    """The contact people rows of the form, without the empty ones."""
    rows = [
        {k: values.get(f"contact_{i}_{k}", "").strip() for k in CONTACT_PERSON_FIELDS}
        for i in range(MAX_CONTACT_ROWS)
    ]
    return [row for row in rows if any(row.values())]
