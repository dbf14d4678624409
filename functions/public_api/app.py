"""Public API: the public pages and forms of every feature (HTML, and JSON for fetch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.membership.web import public as membership_public
from verein.tracing import handler_tracer
from verein.web.openapi import OBJECT
from verein.web.problems import install_error_handlers
from verein.web.resolver import WebResolver
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

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.serve(event, context, adapters)  # type: ignore[no-any-return]

    return handler


handler = lambda_handler(adapters)
