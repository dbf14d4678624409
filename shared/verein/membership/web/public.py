"""Membership's public routes: the application form (HTML), its submission (form or JSON) and
the thank-you page a form post is redirected to (Post/Redirect/Get)."""

from __future__ import annotations

from typing import Annotated, Any, cast
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel

from verein.eventstore import CommandContext
from verein.membership.feature import MembershipPorts
from verein.membership.web.form import TEMPLATES, MembershipApplicationRequest, render_form
from verein.membership.web.messages import MESSAGES
from verein.membership.web.reference import is_reference, reference
from verein.web.html import HTML
from verein.web.i18n import Language
from verein.web.openapi import HTML_PAGE, problems
from verein.web.pages import Link, switch_href
from verein.web.requests import is_form_post, request_language
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
router.form_page("GET /membership/apply", "POST /membership/applications")(render_form)
logger = Logger(child=True)

THANKS = "/membership/thanks"


class ApplicationReceipt(BaseModel):
    """The same for every submission, whether or not the address applied before (no
    enumeration): a fresh id and reference each time."""

    application_id: str
    reference: str
    """The short reference shown to people (``A-7K3M-Q2XD``), derived from the id."""


Lang = Annotated[str | None, Query(description="de or en; else Accept-Language, else de")]


def public_links(language: Language) -> list[Link]:
    """Membership's public pages, for the landing page."""
    return [
        Link(
            MESSAGES.translate("link.apply", language),
            f"/membership/apply?lang={language}",
            MESSAGES.translate("link.apply.description", language),
        ),
        Link(
            MESSAGES.translate("link.notice", language),
            f"/membership/notice?lang={language}",
            MESSAGES.translate("link.notice.description", language),
        ),
    ]


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
        202: {
            "description": "Application received (JSON clients)",
            "content": {"application/json": {"model": ApplicationReceipt}},
        },
        303: {
            "description": "Received (form posts): see the thank-you page (Post/Redirect/Get)",
            "content": HTML_PAGE,
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
    # The log may tell a double submission; the answer below must not (no enumeration).
    logger.info(
        "membership application received",
        extra={"application_id": received.application_id, "duplicate": received.already_received},
    )
    shown = reference(received.application_id)
    if is_form_post(router):
        return _see_thanks(shown, language)
    receipt = ApplicationReceipt(application_id=received.application_id, reference=shown)
    return Response(202, "application/json", receipt.model_dump(mode="json"))


def _see_thanks(shown: str, language: Language) -> Response[str]:
    """303 to the thank-you page: reloading that page asks for it again, it posts nothing."""
    location = f"{THANKS}?{urlencode({'ref': shown, 'lang': language})}"
    html = _thanks_page(shown, language)  # for a client that does not follow redirects
    return Response(303, HTML, html, headers={"Location": location, "Content-Language": language})


@router.get(
    THANKS,
    summary="The thank-you page after an application (HTML)",
    description="Query: `ref` (the reference to show, A-XXXX-XXXX), `lang` (de or en). Read "
    "as sent, not validated into a 422: a person following a mangled link still gets thanks.",
    responses={200: {"description": "Thanks, and what happens next", "content": HTML_PAGE}},
)
def thanks() -> Response[str]:
    language = request_language(router)
    ref = (router.current_event.query_string_parameters or {}).get("ref")
    # Only the shape of a reference is shown: a link cannot put other words on our page.
    shown = ref if is_reference(ref) else None
    return Response(
        200, HTML, _thanks_page(shown, language), headers={"Content-Language": language}
    )


def _thanks_page(shown: str | None, language: Language) -> str:
    return TEMPLATES.render(
        "membership/thanks.html",
        language,
        title=MESSAGES.translate("thanks.title", language),
        switch_href=switch_href(THANKS, language, {"ref": shown} if shown else None),
        reference=shown,
    )
