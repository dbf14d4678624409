"""Membership's public routes: the application form (HTML) and its submission (form or JSON)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from verein.eventstore import CommandContext
from verein.membership.feature import MembershipPorts
from verein.membership.web.form import MembershipApplicationRequest, render_form
from verein.membership.web.messages import MESSAGES
from verein.web.html import HTML, message_page
from verein.web.openapi import HTML_PAGE, problems
from verein.web.requests import is_form_post, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
router.form_page("GET /membership/apply", "POST /membership/applications")(render_form)
logger = Logger(child=True)


class ApplicationReceipt(BaseModel):
    application_id: str
    already_received: bool
    """True when this e-mail address had an open application already (a double submission)."""


Lang = Annotated[str | None, Query(description="de or en; else Accept-Language, else de")]


@router.get(
    "/membership/apply",
    summary="The membership application form (HTML)",
    responses={200: {"description": "The form", "content": HTML_PAGE}},
)
def application_form(lang: Lang = None) -> Response[str]:
    language = request_language(router)
    return Response(200, HTML, render_form(language), headers={"Content-Language": language})


@router.post(
    "/membership/applications",
    summary="Apply for membership (HTML form post or JSON)",
    responses={
        200: {"description": "Thank-you page (form posts)", "content": HTML_PAGE},
        202: {
            "description": "Application received (JSON clients)",
            "content": {"application/json": {"model": ApplicationReceipt}},
        },
        **problems(400, 409, 413, 415, 422, 500, pages=True),
    },
)
def submit_application(
    application: Annotated[MembershipApplicationRequest, Body()],
) -> Response[Any]:
    language = request_language(router, application.lang)
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor="public")
    intake = cast(MembershipPorts, ports(router)).application_intake
    received = intake.apply(application.to_command(language), context)
    logger.info(
        "membership application received",
        extra={"application_id": received.application_id, "duplicate": received.already_received},
    )
    if is_form_post(router):
        body_key = "thanks.already" if received.already_received else "thanks.body"
        text = MESSAGES.translate(body_key, language, application_id=received.application_id)
        html = message_page(MESSAGES.translate("thanks.title", language), text, language)
        return Response(200, HTML, html, headers={"Content-Language": language})
    receipt = ApplicationReceipt(
        application_id=received.application_id, already_received=received.already_received
    )
    return Response(202, "application/json", receipt.model_dump(mode="json"))
