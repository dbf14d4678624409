"""A member's own notice (``membership.notice_link``): the request form and its submission,
the page saying a link is on its way, and the signed link's page, whose button gives notice.

Served by the member self-service function, which may read and append to member streams:
the public function holds no rights at all and stays so. The request's answer is the same
for every address; the link's GET only shows, its POST acts (mail scanners open links).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, Field

from verein.eventstore import CommandContext
from verein.kernel.clock import today
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.idempotency import IdempotencyKeyReused
from verein.kernel.links import ExpiredLink, InvalidLink, SignedLinks
from verein.membership import lifecycle, notice_link
from verein.membership.feature import MembershipPorts
from verein.membership.mails import long_date
from verein.membership.notice import NoticePolicy
from verein.membership.usecases import member_history
from verein.membership.views.summary import summary_from
from verein.membership.web.form import TEMPLATES
from verein.membership.web.messages import MESSAGES
from verein.web.errors import FieldError
from verein.web.html import HTML
from verein.web.i18n import Language
from verein.web.inputs import EmailAddress, WebInput
from verein.web.openapi import HTML_PAGE, problems
from verein.web.pages import switch_href
from verein.web.problems import problem
from verein.web.requests import is_form_post, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
logger = Logger(child=True)

FORM = "/membership/notice"
SUBMIT = "/membership/termination-requests"
REQUESTED = "/membership/notice-requested"
LINK = "/membership/notice/<token>"
Token = Annotated[str, Path(description="the link's token; anything else gets the page saying so")]
"""Not constrained here: a cut-off or changed link must get the page that says so, not a 422."""


def _ports() -> MembershipPorts:
    return cast(MembershipPorts, ports(router))


class NoticeLinkRequest(WebInput):
    email: EmailAddress = Field(max_length=254)
    lang: Literal["de", "en"] | None = None


class LinkButton(WebInput):
    """What the link page's button posts: the page's language. Taken as a hint (an odd value
    gets the default), so that a person pressing the button always gets a page."""

    lang: str | None = None


class NoticeLinkReceipt(BaseModel):
    """The same for every address: whether it is a member's is told only to its mailbox."""

    status: Literal["requested"] = "requested"


def render_request_form(
    language: Language,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> str:
    errors = errors or []
    return TEMPLATES.render(
        "membership/notice_request.html",
        language,
        title=MESSAGES.translate("notice.title", language),
        switch_href=switch_href(FORM, language),
        action=SUBMIT,
        values=values or {},
        errors=errors,
        by_field={e.field: e.message for e in errors if e.field},
        anchors={},
    )


router.form_page(f"GET {FORM}", f"POST {SUBMIT}")(render_request_form)


def _page(html: str, language: Language, status: int = 200) -> Response[str]:
    return Response(status, HTML, html, headers={"Content-Language": language})


@router.get(
    FORM,
    summary="The form to ask for the link that gives notice (HTML)",
    responses={200: {"description": "The form", "content": HTML_PAGE}},
)
def request_form() -> Response[str]:
    language = request_language(router)
    return _page(render_request_form(language), language)


@router.post(
    SUBMIT,
    summary="Ask for the notice link: mailed to the address if it is a member's (form or JSON)",
    responses={
        202: {
            "description": "Requested (the same answer for every address)",
            "content": {"application/json": {"model": NoticeLinkReceipt}},
        },
        303: {"description": "Requested (form posts): see the next steps", "content": HTML_PAGE},
        **problems(400, 413, 415, 422, 500, pages=True),
    },
)
def request_link(request: Annotated[NoticeLinkRequest, Body()]) -> Response[Any]:
    language = request_language(router, request.lang)
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor="public")
    ports = _ports()
    recorded = notice_link.request_notice_link(
        ports.event_store,
        ports.keyed_hash,
        str(request.email),
        language,
        context,
        now=datetime.now(UTC),
    )
    logger.info("notice link requested", extra={"recorded": recorded})  # no address logged
    if is_form_post(router):
        location = f"{REQUESTED}?{urlencode({'lang': language})}"
        return Response(303, HTML, "", headers={"Location": location})
    return Response(202, "application/json", NoticeLinkReceipt().model_dump(mode="json"))


@router.get(
    REQUESTED,
    summary="What happens after asking for the notice link (HTML)",
    responses={200: {"description": "The next steps", "content": HTML_PAGE}},
)
def requested() -> Response[str]:
    language = request_language(router)
    html = TEMPLATES.render(
        "membership/notice_requested.html",
        language,
        title=MESSAGES.translate("notice.requested.title", language),
        switch_href=switch_href(REQUESTED, language),
    )
    return _page(html, language)


_LINK_PAGES: dict[int, Any] = {
    400: {"description": "Not a link we made (tampered, cut off): a page", "content": HTML_PAGE},
    410: {"description": "The link has expired: a page", "content": HTML_PAGE},
}


@router.get(
    LINK,
    summary="The notice link's page: what giving notice means, and the button (HTML)",
    responses={200: {"description": "The page", "content": HTML_PAGE}, **_LINK_PAGES},
)
def link_page(token: Token) -> Response[str]:
    return _link_page(token)


@router.post(
    LINK,
    summary="Give notice with the link's button (form post)",
    responses={
        303: {"description": "Notice given: see the page", "content": HTML_PAGE},
        **_LINK_PAGES,
        **problems(400, 413, 415, 422, 500, pages=True),
    },
)
def give_notice(token: Token, button: Annotated[LinkButton, Body()]) -> Response[str]:
    language = request_language(router, (button.lang or "")[:5] or None)
    member_id = _member(token)
    if member_id is None:
        if not is_form_post(router):  # a script, not the page's button: problem+json
            return problem(
                400, MESSAGES.translate("notice.link.invalid", language), language=language
            )
        return _link_page(token)
    ports = _ports()
    settings = ports.settings
    context = CommandContext(
        correlation_id=logger.get_correlation_id() or "", actor=f"member:{member_id}"
    )
    # Under notice already, or no longer a member: the page says which.
    with suppress(DomainRuleViolated, IdempotencyKeyReused):
        lifecycle.give_notice(
            ports.event_store,
            ports.keyed_hash,
            member_id,
            context,
            today=today(),
            policy=NoticePolicy.from_settings(settings),
            by_member=True,
            # One notice per link, however often its button is pressed.
            idempotency_key=f"notice-link:{token}",
        )
    location = f"/membership/notice/{token}?{urlencode({'lang': language, 'done': '1'})}"
    return Response(303, HTML, "", headers={"Location": location})


def _member(token: str) -> str | None:
    try:
        return SignedLinks(_ports().keyed_hash).subject(token, notice_link.PURPOSE)
    except InvalidLink:
        return None


def _link_page(token: str) -> Response[str]:
    language = request_language(router)
    links = SignedLinks(_ports().keyed_hash)
    state, status, member = "invalid", 400, None
    try:
        member_id = links.subject(token, notice_link.PURPOSE)
        member = summary_from(member_history(_ports().event_store, member_id))
        state, status = (member.status if member else "invalid"), 200
    except ExpiredLink:
        state, status = "expired", 410
    except InvalidLink:
        pass
    done = (router.current_event.query_string_parameters or {}).get("done") == "1"
    settings = _ports().settings
    html = TEMPLATES.render(
        "membership/notice_link.html",
        language,
        title=MESSAGES.translate("notice.title", language),
        switch_href=switch_href(f"/membership/notice/{token}", language),
        state=state,
        done=done,
        member=member,
        # When a notice given now would end the membership, or when the given one does.
        ends_on=long_date(
            member.ends_on
            if member and member.ends_on
            else NoticePolicy.from_settings(settings).last_day(today()),
            language,
        ),
        action=f"/membership/notice/{token}",
    )
    return _page(html, language, status)
