"""Reading an API Gateway request the way people's browsers send it."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from verein.web.i18n import Language, negotiate
from verein.web.screening import FORM, media_type


def is_form_post(app: BaseRouter) -> bool:
    """A plain HTML form post (no JavaScript): answer with a page, not JSON."""
    return media_type(app.current_event.headers.get("content-type", "")) == FORM


def form_values(app: BaseRouter) -> dict[str, str]:
    """What the user typed, to show the form again (the screening let only UTF-8 through)."""
    event = app.current_event
    if event.is_base64_encoded:
        text = base64.b64decode(event.body or "").decode("utf-8", errors="replace")
    else:
        text = event.body or ""
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def request_language(app: BaseRouter, explicit: str | None = None) -> Language:
    """An explicit choice (form field), then ``?lang=``, then Accept-Language, then German."""
    event = app.current_event
    return negotiate(
        explicit or (event.query_string_parameters or {}).get("lang"),
        event.headers.get("accept-language"),
    )
