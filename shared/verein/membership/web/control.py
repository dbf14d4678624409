"""Membership's staff pages: applications and members by status, a person with the history
as a timeline, adding a note. Served by the staff web function behind the session guard
(``verein.staff_app``); the JSON staff API (``staff.py``) serves the same for scripts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol, cast, get_args
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import ValidationError

from verein.eventstore import CommandContext
from verein.kernel.errors import DomainRuleViolated
from verein.membership.commands import AddMemberNote, RejectApplication, WithdrawApplication
from verein.membership.decider import Membership, membership_decider
from verein.membership.domain_events import (
    MembershipApplied,
)
from verein.membership.feature import MembershipPorts
from verein.membership.usecases import (
    IdempotencyKeyReused,
    add_member_note,
    approve_application,
    member_history,
    reject_application,
    withdraw_application,
)
from verein.membership.views.store import InvalidCursor, MemberPage
from verein.membership.views.summary import ListedStatus
from verein.membership.web.messages import MESSAGES
from verein.membership.web.reference import reference
from verein.membership.web.staff import (
    NoteRequest,
    RejectionRequest,
    WithdrawalRequest,
    csv_response,
)
from verein.membership.web.timeline import timeline
from verein.staff_app.guard import current_session
from verein.staff_app.pages import StaffPages
from verein.staff_app.sessions import SessionStore
from verein.web.errors import FieldError, translate_errors
from verein.web.i18n import Language
from verein.web.pages import Link
from verein.web.requests import form_values, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
PAGES = StaffPages(Path(__file__).parent / "templates", MESSAGES)
logger = Logger(child=True)

LIST = "/control/members"
PAGE_SIZE = 50
STATUSES: tuple[str, ...] = get_args(ListedStatus)
ORDERS = ("oldest", "newest")
MemberId = Annotated[str, PathParam(pattern="^[0-9a-f-]{36}$")]
Text = Annotated[str | None, Query(max_length=200)]


class ControlPorts(MembershipPorts, Protocol):
    @property
    def session_store(self) -> SessionStore: ...


def _ports() -> ControlPorts:
    return cast(ControlPorts, ports(router))


def sections(language: Language) -> list[Link]:
    """Membership's entries in the staff navigation."""
    return [Link(MESSAGES.translate("control.applications", language), f"{LIST}?lang={language}")]


# --- the list -------------------------------------------------------------------------------


@router.get(LIST, summary="Applications and members by status (page)")
def list_page(status: Text = None, order: Text = None, after: Text = None) -> Response[str]:
    language = request_language(router)
    chosen = {"status": status or STATUSES[0], "order": order or ORDERS[0]}
    errors = [
        FieldError(name, MESSAGES.field_error(name, "choice", language))
        for name, allowed in (("status", STATUSES), ("order", ORDERS))
        if chosen[name] not in allowed
    ]
    page = MemberPage([], None)
    if not errors:
        try:
            page = _ports().member_views.by_status(
                chosen["status"], PAGE_SIZE, after, newest_first=chosen["order"] == "newest"
            )
        except InvalidCursor:
            errors = [FieldError("after", MESSAGES.translate("control.stale_page", language))]
    return PAGES.render(
        router,
        "membership/members.html",
        MESSAGES.translate("control.applications", language),
        status=422 if errors else 200,
        query={k: v for k, v in chosen.items() if not errors},
        chosen=chosen,
        statuses=STATUSES,
        orders=ORDERS,
        errors=errors,
        rows=[
            (m, _member_href(m.member_id, language), reference(m.member_id)) for m in page.members
        ],
        next_href=_next_href(chosen, page.next_cursor, language) if not errors else None,
        first_href=f"{LIST}?{urlencode({**chosen, 'lang': language})}" if after else None,
        csv_href=None if errors else f"{LIST}.csv?{urlencode({**chosen, 'lang': language})}",
    )


@router.get(f"{LIST}.csv", summary="Applications and members by status as CSV for Excel")
def list_csv(status: Text = None, order: Text = None) -> Response[str]:
    """The list the page shows (same filter), whole, as a download; a bad filter is the page
    with its message, as on the list itself."""
    chosen = {"status": status or STATUSES[0], "order": order or ORDERS[0]}
    if chosen["status"] not in STATUSES or chosen["order"] not in ORDERS:
        return list_page(status, order)
    from verein.membership.web import export  # noqa: PLC0415 - the csv module, for exports only

    language = request_language(router)
    views = _ports().member_views
    members = export.all_members(views, chosen["status"], chosen["order"] == "newest")
    return csv_response(export.directory_csv(members, language), chosen["status"])


def _member_href(member_id: str, language: Language) -> str:
    return f"{LIST}/{member_id}?lang={language}"


def _next_href(chosen: dict[str, str], cursor: str | None, language: Language) -> str | None:
    if cursor is None:
        return None
    return f"{LIST}?{urlencode({**chosen, 'after': cursor, 'lang': language})}"


# --- one person -----------------------------------------------------------------------------


@router.get(f"{LIST}/<member_id>", summary="A person and their history")
def member_page(member_id: MemberId, done: Text = None) -> Response[str]:
    return _member_page(member_id, done=done if done in DONE else None)


DONE = ("noted", "approved", "rejected", "withdrawn")
"""What a form just did, shown once after its redirect (Post/Redirect/Get)."""


@router.post(f"{LIST}/<member_id>/notes", summary="Add a note (form)")
def add_note(member_id: MemberId) -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    try:
        note = NoteRequest.model_validate({"text": values.get("text", "")})
    except ValidationError as error:
        errors = translate_errors(error.errors(), language, MESSAGES)
        return _member_page(member_id, values=values, errors=errors)
    if not member_history(_ports().event_store, member_id):
        return _member_page(member_id)  # the page that says there is no such person
    staff = current_session(router).staff
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor=staff.actor)
    # The form's own id is the idempotency key: a double click or a resent form adds one note.
    form_id = values.get("form_id") or None
    try:
        add_member_note(
            _ports().event_store,
            _ports().keyed_hash,
            member_id,
            AddMemberNote(text=note.text),
            context,
            idempotency_key=form_id,
        )
    except IdempotencyKeyReused:
        errors = [FieldError("text", MESSAGES.translate("control.form_reused", language))]
        return _member_page(member_id, values=values, errors=errors)
    return _done(member_id, "noted", language)


def _done(member_id: str, what: str, language: Language) -> Response[str]:
    location = f"{_member_href(member_id, language)}&done={what}#top"
    return Response(303, "text/html; charset=utf-8", "", headers={"Location": location})


@router.post(f"{LIST}/<member_id>/approve", summary="Approve the application (form)")
def approve(member_id: MemberId) -> Response[str]:
    values = form_values(router)
    ports = _ports()
    return _decide(
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
        return _member_page(member_id, values=values, errors=moved)
    ports = _ports()

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

    return _decide(member_id, what, values, run)


def _decide(
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
            return _member_page(member_id)
        message = MESSAGES.translate(refused.code, language)
        return _member_page(member_id, values=values, errors=[FieldError("", message)], status=409)
    except IdempotencyKeyReused:
        message = MESSAGES.translate("control.form_reused", language)
        return _member_page(member_id, values=values, errors=[FieldError("", message)], status=409)
    return _done(member_id, what, language)


def _member_page(
    member_id: str,
    *,
    done: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 422,
) -> Response[str]:
    language = request_language(router, (values or {}).get("lang"))
    history = member_history(_ports().event_store, member_id)
    if not history:
        return PAGES.render(
            router,
            "membership/not_found.html",
            MESSAGES.translate("control.not_found", language),
            status=404,
            back_href=f"{LIST}?lang={language}",
        )
    summary = _ports().member_views.get(member_id)
    first = history[0].payload
    name = summary.applicant_name if summary else _name(first)
    # The decisions offered follow the stream itself, not the view (which may lag behind).
    state = membership_decider.fold(Membership(), [e.payload for e in history])
    return PAGES.render(
        router,
        "membership/member.html",
        name,
        status=status if errors else 200,
        summary=summary,
        state=state,
        reference=reference(member_id),
        timeline=list(reversed(timeline(history, _ports().session_store, language))),
        done=done,
        errors=errors or [],
        by_field={e.field: e.message for e in reversed(errors or [])},
        values=values or {},
        form_id=uuid.uuid4().hex,
        action=f"{LIST}/{member_id}/notes",
        decide_base=f"{LIST}/{member_id}",
        back_href=f"{LIST}?lang={language}",
    )


def _name(payload: Any) -> str:
    return payload.applicant_name if isinstance(payload, MembershipApplied) else "?"
