"""Member self-service: a member's own notice by a signed link (``membership.notice_link``).

Unauthenticated callers reach it, like the public function; unlike that one it may read and
append to member streams, because a genuine link must act. Its routes are few and its rights
are only those (see the template).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.membership.web import self_service
from verein.tracing import handler_tracer
from verein.web.problems import install_error_handlers
from verein.web.resolver import WebResolver, api_handler
from verein.web.screening import FORM, JSON, Limits

NEEDS = ("CLAIM_KEY_SECRET_ARN",)
"""Settings this function cannot start without (checked at cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()
# 4 KiB: an e-mail address and a language; the link's button posts only the language.
app = WebResolver(Limits(max_body_bytes=4 * 1024, accepts=frozenset({JSON, FORM})))
app.include_router(self_service.router)
install_error_handlers(app, logger)


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, serving with ``adapters`` (tests pass their own)."""
    return api_handler(app, adapters, logger, tracer)


handler = lambda_handler(adapters)
