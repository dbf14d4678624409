"""A person's page: the summary, the history as a timeline, a note, the decisions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import ValidationError

from verein.eventstore import CommandContext
from verein.kernel.clock import local_day, today
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.idempotency import IdempotencyKeyReused
from verein.membership.commands import AddMemberNote, RejectApplication, WithdrawApplication
from verein.membership.decider import Membership, membership_decider
from verein.membership.domain_events import (
    MembershipApplied,
)
from verein.membership.usecases import (
    add_member_note,
    approve_application,
    member_history,
    reject_application,
    withdraw_application,
)
from verein.membership.views.summary import summary_from, summary_on
from verein.membership.web.control.common import (
    LIST,
    PAGES,
    MemberId,
    Text,
    control_ports,
    logger,
    member_href,
    router,
)
from verein.membership.web.control.context import lifecycle_context
from verein.membership.web.messages import MESSAGES
from verein.membership.web.reference import reference
from verein.membership.web.staff import (
    NoteRequest,
    RejectionRequest,
    WithdrawalRequest,
)
from verein.membership.web.timeline import timeline
from verein.staff_app.guard import current_session
from verein.web.errors import FieldError, translate_errors
from verein.web.i18n import Language
from verein.web.requests import form_values, request_language

# --- one person -----------------------------------------------------------------------------


@router.get(f"{LIST}/<member_id>", summary="A person and their history")
def member_page(member_id: MemberId, done: Text = None, as_of: Text = None) -> Response[str]:
    day = _day(as_of)
    if as_of and day is None:
        language = request_language(router)
        error = FieldError("as_of", MESSAGES.field_error("as_of", "invalid", language))
        return render_member(member_id, errors=[error], status=422)
    return render_member(member_id, done=done if done in DONE else None, as_of=day)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


DONE = (
    "noted",
    "approved",
    "rejected",
    "withdrawn",
    "notice_given",
    "notice_withdrawn",
    "excluded",
    "contact_changed",
    "type_changed",
    "joined",
    "left",
)
"""What a form just did, shown once after its redirect (Post/Redirect/Get)."""


@router.post(f"{LIST}/<member_id>/notes", summary="Add a note (form)")
def add_note(member_id: MemberId) -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    try:
        note = NoteRequest.model_validate({"text": values.get("text", "")})
    except ValidationError as error:
        errors = translate_errors(error.errors(), language, MESSAGES)
        return render_member(member_id, values=values, errors=errors)
    if not member_history(control_ports().event_store, member_id):
        return render_member(member_id)  # the page that says there is no such person
    staff = current_session(router).staff
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor=staff.actor)
    # The form's own id is the idempotency key: a double click or a resent form adds one note.
    form_id = values.get("form_id") or None
    try:
        add_member_note(
            control_ports().event_store,
            control_ports().keyed_hash,
            member_id,
            AddMemberNote(text=note.text),
            context,
            idempotency_key=form_id,
        )
    except IdempotencyKeyReused:
        errors = [FieldError("text", MESSAGES.translate("control.form_reused", language))]
        return render_member(member_id, values=values, errors=errors)
    return done_redirect(member_id, "noted", language)


def done_redirect(member_id: str, what: str, language: Language) -> Response[str]:
    location = f"{member_href(member_id, language)}&done={what}#top"
    return Response(303, "text/html; charset=utf-8", "", headers={"Location": location})


@router.post(f"{LIST}/<member_id>/approve", summary="Approve the application (form)")
def approve(member_id: MemberId) -> Response[str]:
    values = form_values(router)
    ports = control_ports()
    return decide(
        member_id,
        "approved",
        values,
        lambda context, key: approve_application(
            ports.event_store,
            ports.keyed_hash,
            ports.member_numbers,
            member_id,
            context,
            idempotency_key=key,
        ),
    )


@router.post(f"{LIST}/<member_id>/reject", summary="Reject the application (form)")
def reject(member_id: MemberId) -> Response[str]:
    return _close(member_id, "rejected", "reason", RejectionRequest)


@router.post(f"{LIST}/<member_id>/withdraw", summary="Record a withdrawal (form)")
def withdraw(member_id: MemberId) -> Response[str]:
    return _close(member_id, "withdrawn", "withdraw_reason", WithdrawalRequest)


def _close(
    member_id: str,
    what: str,
    field: str,
    request: type[RejectionRequest] | type[WithdrawalRequest],
) -> Response[str]:
    """Reject or withdraw from its form: the reason (``field`` in the form) is checked as the
    JSON API checks it, then the decision runs with the form's id as its key."""
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    try:
        # An empty optional reason is no reason; a required one is reported missing.
        sent = values.get(field) or (None if request is WithdrawalRequest else "")
        reason = request.model_validate({"reason": sent}).reason
    except ValidationError as error:
        errors = translate_errors(error.errors(), language, MESSAGES)
        moved = [FieldError(field, e.message) for e in errors]
        return render_member(member_id, values=values, errors=moved)
    ports = control_ports()

    def run(context: CommandContext, key: str | None) -> object:
        store, keys = ports.event_store, ports.keyed_hash
        if request is RejectionRequest:
            rejection = RejectApplication(reason=reason or "")
            return reject_application(
                store, keys, member_id, rejection, context, idempotency_key=key
            )
        withdrawal = WithdrawApplication(reason=reason)
        return withdraw_application(
            store, keys, member_id, withdrawal, context, idempotency_key=key
        )

    return decide(member_id, what, values, run)


def decide(
    member_id: str,
    what: str,
    values: dict[str, str],
    run: Callable[[CommandContext, str | None], object],
) -> Response[str]:
    """Run a decision from a form: the form's id makes a resent form decide once; a rule it
    breaks (decided meanwhile by someone else) shows the page with the rule's words."""
    language = request_language(router, values.get("lang"))
    staff = current_session(router).staff
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor=staff.actor)
    key = f"{what}:{values['form_id']}" if values.get("form_id") else None
    try:
        run(context, key)
    except DomainRuleViolated as refused:
        if refused.status == 404:
            return render_member(member_id)
        message = MESSAGES.translate(refused.code, language)
        errors = [FieldError("", message)]
        return render_member(member_id, values=values, errors=errors, status=refused.status)
    except IdempotencyKeyReused:
        message = MESSAGES.translate("control.form_reused", language)
        return render_member(member_id, values=values, errors=[FieldError("", message)], status=409)
    return done_redirect(member_id, what, language)


def render_member(
    member_id: str,
    *,
    done: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 422,
    as_of: date | None = None,
) -> Response[str]:
    language = request_language(router, (values or {}).get("lang"))
    ports = control_ports()
    history = member_history(ports.event_store, member_id)
    if not history:
        return PAGES.render(
            router,
            "membership/not_found.html",
            MESSAGES.translate("control.not_found", language),
            status=404,
            back_href=f"{LIST}?lang={language}",
        )
    # The page reads the stream itself, not the view (which may lag behind): what it shows
    # and the changes it offers are the membership as it is, or as it was on ``as_of``.
    day = as_of or today()
    shown = [e for e in history if as_of is None or local_day(e.metadata.occurred_at) <= as_of]
    summary = summary_on(shown, day)
    latest = summary_from(shown)  # with a type change still to come, if there is one
    upcoming = latest if latest and latest.type_since and latest.type_since > day else None
    state = membership_decider.fold(Membership(), [e.payload for e in history])
    return PAGES.render(
        router,
        "membership/member.html",
        summary.applicant_name if summary else _name(history[0].payload),
        status=status if errors else 200,
        language=language,
        summary=summary,
        state=state,
        as_of=as_of,
        today=today(),
        reference=reference(member_id),
        timeline=list(reversed(timeline(shown, ports.session_store, language))),
        done=done,
        errors=errors or [],
        by_field={e.field: e.message for e in reversed(errors or [])},
        values=values or {},
        form_id=uuid.uuid4().hex,
        action=f"{LIST}/{member_id}/notes",
        decide_base=f"{LIST}/{member_id}",
        back_href=f"{LIST}?lang={language}",
        upcoming=upcoming,
        **lifecycle_context(ports, summary, upcoming, language),
    )


def _name(payload: Any) -> str:
    return payload.applicant_name if isinstance(payload, MembershipApplied) else "?"
