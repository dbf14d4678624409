"""Public API: the membership application form (HTML) and its submission (form or JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from verein import runtime
from verein.eventstore import CommandContext
from verein.membership.web.form import MembershipApplicationRequest, render_form
from verein.web.errors import translate_errors
from verein.web.html import HTML, message_page
from verein.web.i18n import translate
from verein.web.openapi import HTML_PAGE, OBJECT, problems
from verein.web.problems import install_error_handlers, problem
from verein.web.requests import form_values, is_form_post, request_language
from verein.web.resolver import WebResolver
from verein.web.screening import FORM, JSON, Limits

NEEDS = ("MEMBERSHIP_INTAKE_FUNCTION",)
"""Settings this function cannot start without (checked at cold start)."""
runtime.configure(NEEDS)
logger = Logger()
tracer = Tracer()
# 16 KiB: the form's fields take about 700 characters; anything near the limit is not a person.
app = WebResolver(Limits(max_body_bytes=16 * 1024, accepts=frozenset({JSON, FORM})))
install_error_handlers(app, logger)


class ApplicationReceipt(BaseModel):
    application_id: str
    already_received: bool
    """True when this e-mail address had an open application already (a double submission)."""


Lang = Annotated[str | None, Query(description="de or en; else Accept-Language, else de")]


@app.get(
    "/membership/apply",
    summary="The membership application form (HTML)",
    responses={200: {"description": "The form", "content": HTML_PAGE}},
)
def application_form(lang: Lang = None) -> Response[str]:
    return _form_page()


@app.get(
    "/membership/openapi.json",
    summary="This API's OpenAPI document",
    responses={200: {"description": "OpenAPI 3 document", "content": OBJECT}},
)
def openapi_document() -> Response[str]:
    document = app.get_openapi_json_schema(title="Verein public API", version="1")
    return Response(200, "application/json", document)


@app.post(
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
    language = request_language(app, application.lang)
    context = CommandContext(correlation_id=logger.get_correlation_id() or "", actor="public")
    received = runtime.application_intake().apply(application.to_command(language), context)
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
    receipt = ApplicationReceipt(
        application_id=received.application_id, already_received=received.already_received
    )
    return Response(202, "application/json", receipt.model_dump(mode="json"))


@app.exception_handler(RequestValidationError)
def invalid_input(error: RequestValidationError) -> Response[str]:
    if app.current_event.request_context.http.method == "GET":
        # A page was asked for: an unusable ?lang= (e.g. repeated) is no reason to refuse it.
        return _form_page()
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


def _form_page() -> Response[str]:
    language = request_language(app)
    return Response(200, HTML, render_form(language), headers={"Content-Language": language})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
