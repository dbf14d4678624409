"""What the OpenAPI documents say about the answers that are not a route's success.

The routes list these with their own successes, so that the documents name every status and
media type a route really answers (schemathesis checks the running stack against them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, in the request's language",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_WHY = {
    400: "The body could not be read (not UTF-8, not well-formed, nested too deeply)",
    401: "No valid token (answered by API Gateway's JWT authorizer)",
    403: "The token's user is not in the staff group",
    404: "No such resource",
    409: "The request conflicts with the current state (or concurrent changes)",
    413: "The body is larger than this route takes",
    415: "The body's media type is not one this route reads",
    422: "Invalid input, explained per field in the request's language",
    500: "An internal error (logged; never with details in the answer)",
}

OBJECT: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
HTML_PAGE: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
PROBLEM: dict[str, Any] = {"application/problem+json": {"schema": PROBLEM_SCHEMA}}
GATEWAY_MESSAGE: dict[str, Any] = {
    "application/json": {
        "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
    }
}


def problems(*statuses: int, pages: bool = False) -> dict[int, OpenAPIResponse]:
    """Problem answers for ``statuses``; with ``pages``, a form post gets an HTML page instead."""
    answers: dict[int, OpenAPIResponse] = {}
    for status in statuses:
        content = GATEWAY_MESSAGE if status == 401 else dict(PROBLEM)
        if pages and status != 401:
            content = {**content, **HTML_PAGE}
        answers[status] = {"description": _WHY[status], "content": content}
    return answers


# As JSON, which Powertools reads into its models when it builds the document: importing them
# (``openapi.models``) takes longer than anything else in a cold start, and only the document
# needs them (Powertools imports them then).
STAFF_SECURITY_SCHEMES: dict[str, Any] = {
    "staffToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Cognito ID token of a user in the group staff",
    }
}
