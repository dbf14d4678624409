"""Public API: the membership application form (HTML) and its submission (form or JSON)."""

from __future__ import annotations

from typing import Annotated, Any

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
from verein.web.i18n import translate
from verein.web.membership_form import MembershipApplicationRequest, render_form
from verein.web.problems import install_error_handlers, problem
from verein.web.requests import form_values, is_form_post, request_language

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)
install_error_handlers(app, logger)

HTML = "text/html; charset=utf-8"


@app.get("/membership/apply", summary="The membership application form (HTML)")
def application_form(lang: Annotated[str | None, Query()] = None) -> Response[str]:
    language = request_language(app, lang)
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
    language = request_language(app, application.lang)
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor="public")
    received = apply_for_membership(
        runtime.event_store(), application.to_command(language), context
    )
    logger.info(
        "membership application received",
        extra={"application_id": received.application_id, "duplicate": received.already_received},
    )
    if is_form_post(app):
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
    if is_form_post(app):
        values = form_values(app)
        language = request_language(app, values.get("lang"))
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
