"""The API functions' resolver: Powertools' HTTP API resolver with our screening and headers.

Every response, whichever route, error handler or rejection produced it, leaves with the
security headers below; every request passes ``screening.screen`` before Powertools parses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.tracing import HandlerTracer
from verein.web.html import HTML, PAGE_CSP
from verein.web.i18n import COMMON, negotiate, translate
from verein.web.inputs import form_input
from verein.web.pages import message_page
from verein.web.problems import PROBLEM_JSON
from verein.web.routing import FormPage, WebRouter
from verein.web.screening import FORM, JSON, Limits, Rejection, media_type, screen

API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
"""For everything that is not a page: nothing in it may run, load or be framed."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
    # Personal data in pages and API answers must not stay in shared or browser caches.
    "Cache-Control": "no-store",
}


def api_handler(
    app: WebResolver, adapters: object, logger: Logger, tracer: HandlerTracer
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """An HTTP API function's handler: ``app`` serving with ``adapters``, the request id as
    the logs' correlation id, traced where tracing is on."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.serve(event, context, adapters)  # type: ignore[no-any-return]

    return handler


class WebResolver(APIGatewayHttpResolver):
    def __init__(
        self, limits: Limits, admits: Callable[[Mapping[str, Any]], bool] | None = None
    ) -> None:
        """``admits`` decides from the raw request whether the caller may use this function
        at all; it runs first, so that a caller without the role learns nothing (not even
        whether the input would have been valid)."""
        super().__init__(enable_validation=True)
        self.limits = limits
        self._admits = admits
        self._request: BaseProxyEvent | None = None
        self.messages = COMMON
        """The texts of every included router (``WebRouter.messages``), for error answers."""
        self.form_pages: dict[str, FormPage] = {}

    def include_router(self, router: Router, prefix: str | None = None) -> None:
        if router.api_resolver is not None and router.api_resolver is not self:
            # Its routes would read the other resolver's request and context.
            raise ValueError("a router belongs to one resolver (one function)")
        if isinstance(router, WebRouter):
            self.messages = self.messages.merged(router.messages)
            self.form_pages.update(router.form_pages)
        super().include_router(router, prefix)

    def serve(self, event: Mapping[str, Any], context: LambdaContext, ports: object) -> Any:
        """``resolve`` with ``ports``, the adapters the routes use (``routing.ports``)."""
        self.context["ports"] = ports
        try:
            return self.resolve(event, context)
        finally:
            self.context.clear()

    # Powertools keeps the request being handled in a class attribute (``BaseRouter``), shared
    # by every resolver in the process: right in Lambda (one request per process at a time),
    # wrong wherever several run as threads of one process (the local stack once did, and one
    # request then read another's body). Each resolver keeps its own request instead.
    def _to_proxy_event(self, event: dict[str, Any]) -> BaseProxyEvent:
        proxy = super()._to_proxy_event(event)
        self._request = proxy
        return proxy

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEventV2:
        return cast(APIGatewayProxyEventV2, self._request)

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEventV2) -> None:
        self._request = value

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        event = {**event, "headers": dict(event.get("headers") or {})}  # screen() edits them
        if self._admits is not None and not self._admits(event):
            return with_security_headers(rejected(event, Rejection(403, "problem.forbidden", JSON)))
        rejection = screen(event, self.limits)
        content_type = (event.get("headers") or {}).get("content-type", "")
        token = form_input.set(media_type(str(content_type)) == FORM)
        try:
            if rejection is not None:
                response = rejected(event, rejection)
            else:
                response = super().resolve(event, context)
        finally:
            form_input.reset(token)
        return with_security_headers(response)


def rejected(event: dict[str, Any], rejection: Rejection) -> dict[str, Any]:
    """The answer to a request that ``screen`` turned away: a page for a form post (a person
    sent it), a problem otherwise."""
    query = event.get("queryStringParameters") or {}
    headers = event.get("headers") or {}
    language = negotiate(query.get("lang"), headers.get("accept-language"))
    title = translate(rejection.message_key, language)
    if rejection.media_type == FORM:
        content_type, body = HTML, message_page(title, translate("form.back", language), language)
    else:
        content_type = PROBLEM_JSON
        body = json.dumps(
            {"type": "about:blank", "title": title, "status": rejection.status},
            ensure_ascii=False,
        )
    return {
        "statusCode": rejection.status,
        "headers": {"Content-Type": content_type, "Content-Language": language},
        "body": body,
        "isBase64Encoded": False,
    }


def with_security_headers(response: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, str] = response.setdefault("headers", {})
    present = {name.lower(): name for name in headers}
    is_page = headers.get(present.get("content-type", ""), "").startswith("text/html")
    wanted = {**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP if is_page else API_CSP}
    for name, value in wanted.items():
        if name.lower() not in present:  # a route's own choice wins
            headers[name] = value
    return response
