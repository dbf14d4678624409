"""RFC 9457 problem responses and the error handlers every API function installs.

Nothing here ever puts an exception's text or a stack trace into a response.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.web.errors import FieldError
from verein.web.i18n import Language, translate
from verein.web.requests import request_language

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


def install_error_handlers(app: APIGatewayHttpResolver, logger: Logger) -> None:
    """Broken rules 409/404/422, conflicts 409, unknown routes 404; anything unexpected a 500
    problem, logged with its traceback. (Bodies too large, undecodable or of a type we do not
    read never get this far: see ``verein.web.screening``.)"""

    @app.exception_handler(CommandConflict)
    def _conflict(_: CommandConflict) -> Response[str]:
        language = request_language(app)
        return problem(409, translate("problem.conflict", language), language=language)

    @app.exception_handler(DomainRuleViolated)
    def _rule(violation: DomainRuleViolated) -> Response[str]:
        language = request_language(app)
        return problem(violation.status, translate(violation.code, language), language=language)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        language = request_language(app)
        return problem(404, translate("problem.not_found", language), language=language)

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response[str]:
        logger.exception("unhandled error")
        language = request_language(app)
        return problem(500, translate("problem.internal", language), language=language)
