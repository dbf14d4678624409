"""Rendering staff pages: the staff layout (navigation, who is signed in, sign-out) around a
feature's template, and the error pages of the staff app.

A feature's staff pages render with ``StaffPages(<its template folder>, <its catalogue>)``;
its navigation entries come from ``Section`` callables the function passes to ``install``
(the function knows which features it serves; no registry grows with each feature).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from markupsafe import Markup

from verein.kernel.errors import CommandConflict, DomainRuleViolated
from verein.staff_app.guard import current_session, guard
from verein.staff_app.messages import MESSAGES
from verein.staff_app.sessions import SessionStore
from verein.web.html import HTML, STAFF_STYLE
from verein.web.i18n import Catalogue, Language
from verein.web.pages import LOCAL_TIME, Link, Templates, message_page, switch_href
from verein.web.requests import request_language
from verein.web.resolver import WebResolver

Section = Callable[[Language], Sequence[Link]]
"""A feature's entries in the staff navigation."""


def local_time(moment: datetime, language: Language) -> str:
    local = moment.astimezone(LOCAL_TIME)
    if language == "de":
        return local.strftime("%d.%m.%Y, %H:%M")
    return local.strftime("%d %b %Y, %H:%M")


def local_date(day: date, language: Language) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.strftime("%d %b %Y")


def current_link(nav: Sequence[Link], path: str, query: Mapping[str, str] | None) -> str | None:
    """The navigation entry of the page shown: the one of its path (or of the section it is
    in: a person's page is in the register), and of two entries on one path (the register
    and its queue of applications) the one whose parameters (but the language) the request
    has, the most specific first."""
    sent = {k: v for k, v in (query or {}).items() if k != "lang"}
    best: tuple[bool, int, str] | None = None
    for link in nav:
        link_path, _, link_query = link.href.partition("?")
        wanted = {k: v for k, v in parse_qsl(link_query) if k != "lang"}
        exact = link_path == path
        if not (exact or path.startswith(link_path + "/")):
            continue
        if exact and any(sent.get(k) != v for k, v in wanted.items()):
            continue
        if not exact and wanted:
            continue  # a sub-page belongs to the section's plain entry
        score = (exact, len(wanted), link.href)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else None


class StaffPages:
    def __init__(self, folder: Path, messages: Catalogue) -> None:
        self.messages = MESSAGES.merged(messages)
        self._templates = Templates(folder, self.messages)

    def render(
        self,
        router: BaseRouter,
        name: str,
        title: str,
        *,
        status: int = 200,
        query: Mapping[str, str] | None = None,
        language: Language | None = None,
        **values: Any,
    ) -> Response[str]:
        """``name`` in the staff layout; ``query`` is what the language switch keeps;
        ``language`` the page's, when a form said it (else the request's)."""
        request = cast(APIGatewayProxyEventV2, router.current_event)
        language = language or request_language(router)
        session = current_session(router)
        sections = cast(Sequence[Section], router.context.get("sections", ()))
        nav = [link for section in sections for link in section(language)]
        html = self._templates.render(
            name,
            language,
            title=title,
            wide=True,
            # The string PAGE_CSP hashes; Markup, or autoescaping would change it.
            staff_style=Markup(STAFF_STYLE),  # noqa: S704 - our own constant, not input
            staff=session.staff,
            csrf=session.csrf_token,
            nav=nav,
            current_href=current_link(nav, request.raw_path, request.query_string_parameters),
            switch_href=switch_href(request.raw_path, language, query),
            when=lambda moment: local_time(moment, language),
            on=lambda day: local_date(day, language),
            **values,
        )
        return Response(status, HTML, html, headers={"Content-Language": language})


def install(
    app: WebResolver,
    sessions: Callable[[], SessionStore],
    sections: Sequence[Section],
    logger: Logger,
) -> None:
    """The guard before every route, and error answers as pages (people read them)."""
    app.use(middlewares=[guard(sessions, sections)])

    def page(status: int, key: str) -> Response[str]:
        language = request_language(app)
        title = app.messages.translate(f"{key}.title", language)
        text = app.messages.translate(f"{key}.text", language)
        html = message_page(title, text, language)
        return Response(status, HTML, html, headers={"Content-Language": language})

    @app.exception_handler(RequestValidationError)
    def _invalid(_: RequestValidationError) -> Response[str]:
        # Only what is in a URL can be invalid here (forms are checked by their routes): a
        # mistyped or stale link, which is a page that does not exist.
        return page(404, "staff.not_found")

    @app.exception_handler(CommandConflict)
    def _conflict(_: CommandConflict) -> Response[str]:
        return page(409, "staff.refused")

    @app.exception_handler(DomainRuleViolated)
    def _rule(violation: DomainRuleViolated) -> Response[str]:
        language = request_language(app)
        title = app.messages.translate(violation.code, language)
        html = message_page(title, "", language)
        return Response(violation.status, HTML, html, headers={"Content-Language": language})

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return page(404, "staff.not_found")

    @app.exception_handler(Exception)
    def _unexpected(_: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return page(500, "staff.error")
