"""Staff API: the staff routes of every feature. API Gateway's JWT authorizer guards them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.fees.web import staff as fees_staff
from verein.groups.web import staff as groups_staff
from verein.membership.web import dashboard as membership_dashboard
from verein.membership.web import lifecycle_api as membership_lifecycle
from verein.membership.web import staff as membership_staff
from verein.tracing import handler_tracer
from verein.web.openapi import OBJECT, STAFF_SECURITY_SCHEMES, problems
from verein.web.problems import install_error_handlers
from verein.web.resolver import WebResolver, api_handler
from verein.web.screening import Limits
from verein.web.staff_auth import is_staff_request

NEEDS = ("CLAIM_KEY_SECRET_ARN",)
"""Settings this function cannot start without (checked at cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()
# 64 KiB: a note takes 2,000 characters, at most 12 KB even with every one JSON-escaped.
app = WebResolver(Limits(max_body_bytes=64 * 1024), admits=is_staff_request)
app.include_router(membership_staff.router)
app.include_router(membership_lifecycle.router)
app.include_router(membership_dashboard.router)
app.include_router(fees_staff.router)
app.include_router(groups_staff.router)
install_error_handlers(app, logger)


@app.get(
    "/staff/openapi.json",
    summary="This API's OpenAPI document",
    responses={
        200: {"description": "OpenAPI 3 document", "content": OBJECT},
        **problems(401, 403, 500),
    },
)
def openapi_document() -> Response[str]:
    document = app.get_openapi_json_schema(
        title="Verein staff API",
        version="1",
        security_schemes=STAFF_SECURITY_SCHEMES,
        security=[{"staffToken": []}],
    )
    return Response(200, "application/json", document)


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, serving with ``adapters`` (tests pass their own)."""
    return api_handler(app, adapters, logger, tracer)


handler = lambda_handler(adapters)
