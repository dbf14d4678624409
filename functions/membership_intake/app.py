"""Membership intake: records applications for the public function. No HTTP route.

The only function allowed to create membership streams and application claims; the public
function invokes it with a validated command (see ``verein.membership.intake``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.membership.intake import IntakeRequest, handle
from verein.tracing import handler_tracer

NEEDS = ("CLAIM_KEY_SECRET_ARN",)
"""Settings this function cannot start without (checked at cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, recording with ``adapters`` (tests pass their own)."""

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = IntakeRequest.model_validate(event)
        logger.set_correlation_id(request.correlation_id)
        reply = handle(request, adapters.event_store, adapters.keyed_hash)
        logger.info("membership intake", extra={"outcome": reply.outcome})
        return reply.model_dump(mode="json")

    return handler


handler = lambda_handler(adapters)
