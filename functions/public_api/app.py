"""Public API: the membership application form (HTML) and its submission (form or JSON)."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein import runtime
from verein.eventstore import CommandContext
from verein.membership.service import apply_for_membership
from verein.web.errors import translate_errors
from verein.web.html import message_page
from verein.web.i18n import Language, negotiate, translate
from verein.web.membership_form import MembershipApplicationRequest, render_form
from verein.web.problems import install_error_handlers, problem, request_language

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app, logger)

HTML = "text/html; charset=utf-8"


def _is_form_post() -> bool:
    content_type = app.current_event.headers.get("content-type", "")
    return content_type.startswith("application/x-www-form-urlencoded")


def _form_values() -> dict[str, str]:
    """What the user typed, to show the form again; undecodable bytes become U+FFFD."""
    event = app.current_event
    raw = base64.b64decode(event.body or "") if event.is_base64_encoded else None
    text = raw.decode("utf-8", errors="replace") if raw is not None else event.body or ""
    parsed = parse_qs(text, keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}


def _language(explicit: str | None = None) -> Language:
    return negotiate(
        explicit or (app.current_event.query_string_parameters or {}).get("lang"),
        app.current_event.headers.get("accept-language"),
    )


@app.get("/membership/apply", summary="The membership application form (HTML)")
def application_form(lang: Annotated[str | None, Query()] = None) -> Response[str]:
    language = _language(lang)
    return Response(200, HTML, render_form(language), headers={"Content-Language": language})


@app.post(
    "/membership/applications",
    summary="Apply for membership (HTML form post or JSON)",
    responses={
        202: {"description": "Application received (JSON clients)"},
        422: {"description": "Invalid input (problem+json, or the form again with messages)"},
    },
)
def submit_application(
    application: Annotated[MembershipApplicationRequest, Body()],
) -> Response[Any]:
    language = _language(application.lang)
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor="public")
    received = apply_for_membership(
        runtime.event_store(), application.to_command(language), context
    )
    logger.info(
        "membership application received",
        extra={"application_id": received.application_id, "duplicate": received.already_received},
    )
    if _is_form_post():
        body_key = "thanks.already" if received.already_received else "thanks.body"
        html = message_page(
            "thanks.title", body_key, language, application_id=received.application_id
        )
        return Response(200, HTML, html, headers={"Content-Language": language})
    return Response(
        202,
        "application/json",
        {"application_id": received.application_id, "already_received": received.already_received},
    )


@app.exception_handler(RequestValidationError)
def invalid_input(error: RequestValidationError) -> Response[str]:
    if _is_form_post():
        values = _form_values()
        language = _language(values.get("lang"))
        html = render_form(language, values, translate_errors(error.errors(), language))
        return Response(422, HTML, html, headers={"Content-Language": language})
    language = request_language(app)
    return problem(
        422,
        translate("problem.validation", language),
        errors=translate_errors(error.errors(), language),
        language=language,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
