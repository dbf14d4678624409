"""Working groups in the staff API: list, create, change and close groups; a member joins or
leaves one. Each change takes an ``Idempotency-Key``.

API Gateway's JWT authorizer guards every route; the function admits the staff group only.
Broken rules are problems (``application/problem+json``) naming the rule in the request's
language: ``groups.unknown`` (404), ``groups.closed``, ``groups.name_taken`` (409), and
membership's ``membership.unknown`` (404), ``membership.not_member.<status>`` (409).
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel

from verein.eventstore import CommandContext, EventStore
from verein.groups.decider import GroupStatus, WorkingGroup
from verein.groups.domain_events import GroupKind
from verein.groups.usecases import (
    GroupSaved,
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
    GroupChangeInput,
    GroupChangeRequest,
    GroupInput,
    GroupRequest,
    read,
    sent,
)
from verein.groups.web.messages import MESSAGES
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.usecases import Decided
from verein.web.errors import FieldError
from verein.web.i18n import Language
from verein.web.openapi import problems
from verein.web.problems import problem
from verein.web.requests import request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
logger = Logger(child=True)

PATH = "/staff/working-groups"
ID_PATTERN = "^[0-9a-f-]{36}$"


class GroupPorts(Protocol):
    """The adapters working groups' routes are given."""

    @property
    def event_store(self) -> EventStore: ...

    @property
    def keyed_hash(self) -> KeyedHash: ...


def _ports() -> GroupPorts:
    return cast(GroupPorts, ports(router))


GroupId = Annotated[str, Path(pattern=ID_PATTERN)]
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]
IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", max_length=100)]


# --- answers ---------------------------------------------------------------------------------


class WorkingGroupDocument(BaseModel):
    group_id: str
    name: str
    kind: GroupKind
    description: str | None
    status: GroupStatus
    """``open`` (members may join) or ``closed`` (listed, takes no new members)."""
    members_href: str
    """The group's members: the member list filtered by the group."""


class GroupList(BaseModel):
    count: int
    groups: list[WorkingGroupDocument]
    """Every group, open and closed, by name."""


class GroupReceipt(WorkingGroupDocument):
    version: int | None
    """The registry's version after the change; null when nothing was stored (a repeated
    Idempotency-Key, or the values the group has already)."""
    already_received: bool


class MembershipReceipt(BaseModel):
    group_id: str
    member_id: str
    member: bool
    """Whether the member is in the group now."""
    version: int | None
    """The change's version in the member's stream; null when nothing was stored (in the
    group already, not in it, or a repeated Idempotency-Key)."""


def document(group: WorkingGroup) -> WorkingGroupDocument:
    return WorkingGroupDocument(
        group_id=group.group_id,
        name=group.name,
        kind=group.kind,
        description=group.description,
        status=group.status,
        members_href=f"/staff/members?group={group.group_id}",
    )


def _receipt(saved: GroupSaved, status: int = 200) -> Response[Any]:
    receipt = GroupReceipt(
        **document(saved.group).model_dump(),
        version=saved.version,
        already_received=saved.already_received,
    )
    return Response(status, "application/json", receipt.model_dump(mode="json"))


def _membership(group_id: str, member_id: str, member: bool, done: Decided) -> Response[Any]:
    receipt = MembershipReceipt(
        group_id=group_id, member_id=member_id, member=member, version=done.version
    )
    return Response(200, "application/json", receipt.model_dump(mode="json"))


def _invalid(errors: list[FieldError], language: Language) -> Response[str]:
    title = MESSAGES.translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)


def _staff_context() -> CommandContext:
    request = cast(APIGatewayProxyEventV2, router.current_event)
    claims = request.request_context.authorizer.jwt_claim or {}
    return CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"staff:{claims.get('sub', '?')}"
    )


CHANGE_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 500)


def _saved(what: str, status: int = 200) -> dict[int, Any]:
    ok = {"description": what, "content": {"application/json": {"model": GroupReceipt}}}
    return {status: ok, **CHANGE_ERRORS}


def _joined(what: str) -> dict[int, Any]:
    ok = {"description": what, "content": {"application/json": {"model": MembershipReceipt}}}
    return {200: ok, **CHANGE_ERRORS}


# --- routes ----------------------------------------------------------------------------------


@router.get(
    PATH,
    summary="Every working group and project group, open and closed, by name",
    responses={
        200: {"description": "The groups", "content": {"application/json": {"model": GroupList}}},
        **problems(401, 403, 500),
    },
)
def list_groups() -> Response[Any]:
    groups = [document(g) for g in working_groups(_ports().event_store)]
    answer = GroupList(count=len(groups), groups=groups)
    return Response(200, "application/json", answer.model_dump(mode="json"))


@router.post(
    PATH,
    summary="Create a working group or project group (open: members may join)",
    responses=_saved("Created (or created before under this key)", 201),
)
def create_group(
    request: Annotated[GroupRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    language = request_language(router)
    read_ = read(GroupInput, sent(request), language)
    if not isinstance(read_, GroupInput):
        return _invalid(read_, language)
    try:
        saved = create_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            read_.name,
            read_.kind,
            _staff_context(),
            description=read_.description,
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        return _key_reused()
    return _receipt(saved, 201)


@router.get(
    f"{PATH}/<group_id>",
    summary="One group",
    responses={
        200: {
            "description": "The group",
            "content": {"application/json": {"model": WorkingGroupDocument}},
        },
        **problems(401, 403, 404, 422, 500),
    },
)
def get_group(group_id: GroupId) -> Response[Any]:
    group = working_group(_ports().event_store, group_id)
    if group is None:
        language = request_language(router)
        return problem(404, MESSAGES.translate("groups.unknown", language), language=language)
    return Response(200, "application/json", document(group).model_dump(mode="json"))


@router.patch(
    f"{PATH}/<group_id>",
    summary="Rename an open group or change its description (fields left out or null stay; "
    "an empty description clears it)",
    responses=_saved("Changed (or changed before under this key)"),
)
def change_group(
    group_id: GroupId,
    request: Annotated[GroupChangeRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    language = request_language(router)
    read_ = read(GroupChangeInput, sent(request), language)
    if not isinstance(read_, GroupChangeInput):
        return _invalid(read_, language)
    try:
        saved = change_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            _staff_context(),
            name=read_.name,
            description=read_.description,
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        return _key_reused()
    return _receipt(saved)


@router.post(
    f"{PATH}/<group_id>/close",
    summary="Close a group: it takes no new members and stays listed as closed",
    responses=_saved("Closed (or closed before under this key)"),
)
def close_group(group_id: GroupId, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    try:
        saved = close_working_group(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            _staff_context(),
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        return _key_reused()
    return _receipt(saved)


@router.post(
    f"{PATH}/<group_id>/members/<member_id>",
    summary="A member (active or under notice) joins an open group; joining again changes nothing",
    responses=_joined("In the group"),
)
def add_member(
    group_id: GroupId, member_id: MemberId, idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    try:
        done = join(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            member_id,
            _staff_context(),
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        return _key_reused()
    return _membership(group_id, member_id, True, done)


@router.delete(
    f"{PATH}/<group_id>/members/<member_id>",
    summary="A member leaves a group (a closed one too); leaving a group the member is not in "
    "changes nothing",
    responses=_joined("Not in the group (any more)"),
)
def remove_member(
    group_id: GroupId, member_id: MemberId, idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    try:
        done = leave(
            _ports().event_store,
            _ports().keyed_hash,
            group_id,
            member_id,
            _staff_context(),
            idempotency_key=idempotency_key,
        )
    except IdempotencyKeyReused:
        return _key_reused()
    return _membership(group_id, member_id, False, done)


def _key_reused() -> Response[str]:
    """The ``Idempotency-Key`` was used before with a different request: nothing stored."""
    language = request_language(router)
    title = MESSAGES.translate("problem.idempotency_key_reused", language)
    return problem(422, title, errors=[FieldError("idempotency-key", title)], language=language)
