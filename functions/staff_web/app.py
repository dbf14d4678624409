"""Staff web: the staff app's pages, for people signed in with a session (no JWT authorizer).

Every route but signing in passes ``guard`` first (``verein.staff_app.guard``): no session,
no page; no proof of origin, no change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.fees.web import control as fees_control
from verein.groups.web import control as groups_control
from verein.membership.web import control as membership_control
from verein.staff_app import web as staff_app
from verein.staff_app.pages import install
from verein.tracing import handler_tracer
from verein.web.resolver import WebResolver, api_handler
from verein.web.routing import ports
from verein.web.screening import FORM, Limits

NEEDS = ("CLAIM_KEY_SECRET_ARN", "STAFF_TABLE")
"""Settings this function cannot start without (checked at cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()
# 64 KiB: a note takes 2,000 characters, at most 18 KB form-encoded with every one escaped.
app = WebResolver(Limits(max_body_bytes=64 * 1024, accepts=frozenset({FORM})))
app.include_router(staff_app.router)
app.include_router(membership_control.router)
app.include_router(fees_control.router)
app.include_router(groups_control.router)
SECTIONS = (membership_control.sections, fees_control.sections, groups_control.sections)
"""Every included feature's entries in the staff navigation."""
install(app, lambda: ports(app).session_store, SECTIONS, logger)


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, serving with ``adapters`` (tests pass their own)."""
    return api_handler(app, adapters, logger, tracer)


handler = lambda_handler(adapters)
