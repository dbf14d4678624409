"""X-Ray tracing for the handlers, and none of its cost where nothing is traced.

Powertools' ``Tracer()`` imports the X-Ray SDK even when tracing is disabled (its provider is
built first). A function gets ``handler_tracer()`` instead: Powertools' ``Tracer`` where it
will trace, else a pass-through with the same decorators, so the SDK is never imported.

It traces where the template's ``Tracing`` parameter is ``Active`` (``TRACING``; with
``PassThrough`` the functions record no traces), where Powertools would
(``POWERTOOLS_TRACE_DISABLED`` not true, in Lambda and not in SAM's or Chalice's emulators:
``Tracer._is_tracer_disabled``) and where an X-Ray daemon is there to send to
(``AWS_XRAY_DAEMON_ADDRESS``: Lambda sets it in every function, whatever its tracing mode;
the local stack and the tests do not).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.tracing.tracer import Tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])


class HandlerTracer(Protocol):
    """What the functions use of Powertools' ``Tracer``."""

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler: ...


class Untraced:
    """The decorators of ``Tracer``, passing the handler through unchanged."""

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler:
        return lambda_handler


def tracing_enabled() -> bool:
    """Whether this execution environment traces (see the module doc)."""
    return (
        os.environ.get("TRACING", "Active") == "Active"
        and not Tracer._is_tracer_disabled()
        and bool(os.environ.get("AWS_XRAY_DAEMON_ADDRESS"))
    )


def handler_tracer() -> HandlerTracer:
    """Powertools' ``Tracer`` if this environment traces, else ``Untraced``."""
    return Tracer() if tracing_enabled() else Untraced()  # type: ignore[return-value]
