"""RFC 9457 problem responses and the error handlers every API function installs.

Nothing here ever puts an exception's text or a stack trace into a response.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.web.errors import FieldError, translate_errors
from verein.web.html import HTML
from verein.web.i18n import Language, translate
from verein.web.requests import form_values, is_form_post, request_language

if TYPE_CHECKING:
    from verein.web.resolver import WebResolver

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    language: Language = "de",
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return Response(
        status_code=status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers={"Content-Language": language, **(headers or {})},
    )


def install_error_handlers(app: WebResolver, logger: Logger) -> None:
    """Invalid input 422, broken rules 409/404/422, conflicts 409, unknown routes 404; anything
    unexpected a 500 problem, logged with its traceback. (Bodies too large, undecodable or of a
    type we do not read never get this far: see ``verein.web.screening``.)"""

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        return invalid_input(app, error)

    @app.exception_handler(CommandConflict)
    def _conflict(_: CommandConflict) -> Response[str]:
        language = request_language(app)
        return problem(409, translate("problem.conflict", language), language=language)

    @app.exception_handler(DomainRuleViolated)
    def _rule(violation: DomainRuleViolated) -> Response[str]:
        language = request_language(app)
        title = app.messages.translate(violation.code, language)
        return problem(violation.status, title, language=language)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        language = request_language(app)
        return problem(404, translate("problem.not_found", language), language=language)

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response[str]:
        logger.exception("unhandled error")
        language = request_language(app)
        return problem(500, translate("problem.internal", language), language=language)


def invalid_input(app: WebResolver, error: RequestValidationError) -> Response[str]:
    """A person's form post gets its form again with the messages (422); a page asked for with
    an unusable query (e.g. a repeated ``?lang``) gets the page; anything else a problem."""
    form_page = app.form_pages.get(str(app.current_event.raw_event.get("routeKey", "")))
    if form_page is not None and app.current_event.request_context.http.method == "GET":
        language = request_language(app)
        return Response(200, HTML, form_page(language), headers={"Content-Language": language})
    if form_page is not None and is_form_post(app):
        values = form_values(app)
        language = request_language(app, values.get("lang"))
        errors = translate_errors(error.errors(), language, app.messages)
        html = form_page(language, values, errors)
        return Response(422, HTML, html, headers={"Content-Language": language})
    language = request_language(app)
    errors = translate_errors(error.errors(), language, app.messages)
    title = translate("problem.validation", language)
    return problem(422, title, errors=errors, language=language)
