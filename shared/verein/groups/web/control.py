"""Working groups in the staff app (the staff web function, behind the session guard,
``verein.staff_app``): the list with a form to create a group, a group's page with its edit
and close forms, and the two form targets the person page posts to (join, leave).

Every form carries a random ``form_id``: the idempotency key of what it asks (a double click
or a resent form does it once). Each successful post answers 303 (Post/Redirect/Get).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.openapi.params import Query

from verein.eventstore import CommandContext
from verein.groups.decider import WorkingGroup
from verein.groups.usecases import (
    IdempotencyKeyReused,
    change_working_group,
    close_working_group,
    create_working_group,
    join,
    leave,
    working_group,
    working_groups,
)
from verein.groups.web.inputs import (
    KINDS,
    MAX_DESCRIPTION,
    MAX_NAME,
    GroupChangeInput,
    GroupInput,
    read,
)
from verein.groups.web.messages import MESSAGES
from verein.groups.web.staff import ID_PATTERN, GroupPorts
from verein.kernel.errors import DomainRuleViolated
from verein.membership.web.messages import MESSAGES as MEMBERSHIP_MESSAGES
from verein.staff_app.guard import current_session
from verein.staff_app.pages import StaffPages
from verein.web.errors import FieldError
from verein.web.html import HTML
from verein.web.i18n import Language
from verein.web.pages import Link
from verein.web.requests import form_values, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
PAGES = StaffPages(Path(__file__).parent / "templates", MESSAGES)
RULES = MESSAGES.merged(MEMBERSHIP_MESSAGES)
"""The rules a join or leave may break: ours and membership's (``membership.not_member.*``)."""
logger = Logger(child=True)

LIST = "/control/working-groups"
PERSON = "/control/members"
GroupId = Annotated[str, PathParam(pattern=ID_PATTERN)]
MemberId = Annotated[str, PathParam(pattern=ID_PATTERN)]
Text = Annotated[str | None, Query(max_length=200)]
DONE = ("created", "changed", "closed")
"""What a form just did, shown once after its redirect."""
_ID = re.compile(ID_PATTERN)


def sections(language: Language) -> list[Link]:
    """Working groups' entry in the staff navigation."""
    return [Link(MESSAGES.translate("groups.title", language), f"{LIST}?lang={language}")]


def group_href(group_id: str, language: Language) -> str:
    return f"{LIST}/{group_id}?lang={language}"


def person_href(member_id: str, language: Language) -> str:
    return f"{PERSON}/{member_id}?lang={language}"


def _ports() -> GroupPorts:
    return cast(GroupPorts, ports(router))


def _context() -> CommandContext:
    staff = current_session(router).staff
    return CommandContext(correlation_id=logger.get_correlation_id() or "", actor=staff.actor)


def _key(what: str, values: dict[str, str]) -> str | None:
    """The form's id as the idempotency key of what it asks (one form may ask two things)."""
    form_id = values.get("form_id", "")[:80]
    return f"{what}:{form_id}" if form_id else None


def _redirect(location: str) -> Response[str]:
    return Response(303, HTML, "", headers={"Location": location})


# --- the list, and creating a group ----------------------------------------------------------


@router.get(LIST, summary="Working groups and project groups (page)")
def list_page() -> Response[str]:
    return _list_page()


@router.post(LIST, summary="Create a group (form)")
def create() -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    fields: dict[str, str] = {k: values[k] for k in ("name", "kind", "description") if k in values}
    read_ = read(GroupInput, fields, language)
    if not isinstance(read_, GroupInput):
        return _list_page(values=values, errors=read_)
    try:
        saved = create_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            read_.name,
            read_.kind,
            _context(),
            description=read_.description,
            idempotency_key=_key("create", values),
        )
    except DomainRuleViolated as refused:  # the name is taken
        errors = [FieldError("name", MESSAGES.translate(refused.code, language))]
        return _list_page(values=values, errors=errors, status=refused.status)
    except IdempotencyKeyReused:
        errors = [FieldError("", MESSAGES.translate("groups.form_reused", language))]
        return _list_page(values=values, errors=errors, status=409)
    return _redirect(f"{group_href(saved.group.group_id, language)}&done=created#top")


def _list_page(
    *,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 422,
) -> Response[str]:
    language = request_language(router, (values or {}).get("lang"))
    groups = working_groups(_ports().event_store)
    return PAGES.render(
        router,
        "groups/list.html",
        MESSAGES.translate("groups.title", language),
        status=status if errors else 200,
        rows=[(g, group_href(g.group_id, language)) for g in groups],
        kinds=KINDS,
        errors=errors or [],
        by_field={e.field: e.message for e in reversed(errors or [])},
        values=values or {},
        form_id=uuid.uuid4().hex,
        action=LIST,
        max_name=MAX_NAME,
        max_description=MAX_DESCRIPTION,
    )


# --- one group: edit, close ------------------------------------------------------------------


@router.get(f"{LIST}/<group_id>", summary="A group (page)")
def group_page(group_id: GroupId, done: Text = None) -> Response[str]:
    return _group_page(group_id, done=done if done in DONE else None)


@router.post(f"{LIST}/<group_id>", summary="Rename a group or change its description (form)")
def edit(group_id: GroupId) -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    # The form always sends both: an empty description clears it, an empty name is missing.
    fields = {"name": values.get("name", ""), "description": values.get("description", "")}
    read_ = read(GroupChangeInput, fields, language)
    if not isinstance(read_, GroupChangeInput):
        return _group_page(group_id, values=values, errors=read_)
    try:
        change_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            _context(),
            name=read_.name,
            description=read_.description,
            idempotency_key=_key("change", values),
        )
    except DomainRuleViolated as refused:
        return _refused(group_id, refused, values, field="name")
    except IdempotencyKeyReused:
        return _refused(group_id, DomainRuleViolated("groups.form_reused"), values)
    return _redirect(f"{group_href(group_id, language)}&done=changed#top")


@router.post(f"{LIST}/<group_id>/close", summary="Close a group (form)")
def close(group_id: GroupId) -> Response[str]:
    values = form_values(router)
    language = request_language(router, values.get("lang"))
    try:
        close_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            _context(),
            idempotency_key=_key("close", values),
        )
    except DomainRuleViolated as refused:
        return _refused(group_id, refused, values)
    except IdempotencyKeyReused:
        return _refused(group_id, DomainRuleViolated("groups.form_reused"), values)
    return _redirect(f"{group_href(group_id, language)}&done=closed#top")


def _refused(
    group_id: str, refused: DomainRuleViolated, values: dict[str, str], field: str = ""
) -> Response[str]:
    """The group's page saying which rule the form broke (an unknown group: not found)."""
    if refused.status == 404:
        return _group_page(group_id)
    language = request_language(router, values.get("lang"))
    message = MESSAGES.translate(refused.code, language)
    where = field if refused.code == "groups.name_taken" else ""
    return _group_page(
        group_id, values=values, errors=[FieldError(where, message)], status=refused.status
    )


def _group_page(
    group_id: str,
    *,
    done: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 422,
) -> Response[str]:
    language = request_language(router, (values or {}).get("lang"))
    group = working_group(_ports().event_store, group_id)
    if group is None:
        return _message(
            MESSAGES.translate("groups.not_found", language),
            MESSAGES.translate("groups.unknown", language),
            (f"{LIST}?lang={language}", MESSAGES.translate("groups.back", language)),
            404,
        )
    return PAGES.render(
        router,
        "groups/group.html",
        group.name,
        status=status if errors else 200,
        group=group,
        done=done,
        errors=errors or [],
        by_field={e.field: e.message for e in reversed(errors or [])},
        values=_shown(group, values),
        form_id=uuid.uuid4().hex,
        action=f"{LIST}/{group_id}",
        members_href=f"{PERSON}?group={group_id}&lang={language}",
        back_href=f"{LIST}?lang={language}",
        max_name=MAX_NAME,
        max_description=MAX_DESCRIPTION,
    )


def _shown(group: WorkingGroup, values: dict[str, str] | None) -> dict[str, str]:
    """What the edit form shows: what was sent (to correct it), else the group's values."""
    if values is not None:
        return values
    return {"name": group.name, "description": group.description or ""}


def _message(
    title: str, text: str, back: tuple[str, str], status: int, **values: Any
) -> Response[str]:
    return PAGES.render(
        router, "groups/message.html", title, status=status, text=text, back=back, **values
    )


# --- a person joins or leaves (forms on the person page) -------------------------------------


@router.post(f"{PERSON}/<member_id>/groups", summary="The person joins a group (form)")
def join_group(member_id: MemberId) -> Response[str]:
    values = form_values(router)
    group_id = values.get("group_id", "")
    return _member_change("joined", member_id, group_id, values)


@router.post(f"{PERSON}/<member_id>/groups/<group_id>/leave", summary="The person leaves (form)")
def leave_group(member_id: MemberId, group_id: GroupId) -> Response[str]:
    return _member_change("left", member_id, group_id, form_values(router))


def _member_change(
    what: str, member_id: str, group_id: str, values: dict[str, str]
) -> Response[str]:
    language = request_language(router, values.get("lang"))
    back_label = MESSAGES.translate("groups.back_to_person", language)
    back = (f"{person_href(member_id, language)}#groups", back_label)
    if not _ID.fullmatch(group_id):
        text = MESSAGES.translate("groups.choose", language)
        return _message(MESSAGES.translate("groups.refused", language), text, back, 422)
    run = join if what == "joined" else leave
    try:
        run(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            member_id,
            _context(),
            idempotency_key=_key("join" if what == "joined" else "leave", values),
        )
    except DomainRuleViolated as refused:
        text = RULES.translate(refused.code, language)
        return _message(MESSAGES.translate("groups.refused", language), text, back, refused.status)
    except IdempotencyKeyReused:
        text = MESSAGES.translate("groups.form_reused", language)
        return _message(MESSAGES.translate("groups.refused", language), text, back, 409)
    return _redirect(f"{person_href(member_id, language)}&done={what}#groups")
