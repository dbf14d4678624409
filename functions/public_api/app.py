"""Public API: the public pages and forms of every feature (HTML, and JSON for fetch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.membership.web import public as membership_public
from verein.tracing import handler_tracer
from verein.web.html import HTML
from verein.web.i18n import translate
from verein.web.openapi import HTML_PAGE, OBJECT
from verein.web.pages import SHARED_TEMPLATES, Templates, switch_href
from verein.web.problems import install_error_handlers
from verein.web.requests import request_language
from verein.web.resolver import WebResolver, api_handler
from verein.web.screening import FORM, JSON, Limits

NEEDS = ("MEMBERSHIP_INTAKE_FUNCTION",)
"""Settings this function cannot start without (checked at cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()
# 16 KiB: the form's fields take about 700 characters; anything near the limit is not a person.
app = WebResolver(Limits(max_body_bytes=16 * 1024, accepts=frozenset({JSON, FORM})))
app.include_router(membership_public.router)
install_error_handlers(app, logger)
PUBLIC_PAGES = (membership_public.public_links,)
"""Every included feature's public pages, linked from the landing page."""
HOME = Templates(SHARED_TEMPLATES)


@app.get(
    "/",
    summary="The landing page: the association's public pages and the staff sign-in (HTML)",
    description="Query: `lang` (de or en; else Accept-Language, else de), read as sent: a "
    "repeated or odd value still gets the page.",
    responses={200: {"description": "The landing page", "content": HTML_PAGE}},
)
def landing_page() -> Response[str]:
    language = request_language(app)
    html = HOME.render(
        "home.html",
        language,
        title=translate("home.title", language),
        switch_href=switch_href("/", language),
        links=[link for links in PUBLIC_PAGES for link in links(language)],
    )
    return Response(200, HTML, html, headers={"Content-Language": language})


@app.get(
    "/membership/openapi.json",
    summary="This API's OpenAPI document",
    responses={200: {"description": "OpenAPI 3 document", "content": OBJECT}},
)
def openapi_document() -> Response[str]:
    document = app.get_openapi_json_schema(title="Verein public API", version="1")
    return Response(200, "application/json", document)


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, serving with ``adapters`` (tests pass their own)."""
    return api_handler(app, adapters, logger, tracer)


handler = lambda_handler(adapters)
