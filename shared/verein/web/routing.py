"""A feature's routes: Powertools' ``Router`` with the feature's texts and form pages.

A feature defines its routers at module level (``<feature>/web/public.py``, ``staff.py``);
the function serving them includes each with ``WebResolver.include_router`` (in Lambda one
resolver per execution environment, so a router belongs to exactly one resolver). Routes get
their adapters with ``ports(router)``: the function passes them per request
(``WebResolver.serve``), which is what lets tests hand in fakes.
"""

from __future__ import annotations

from typing import Any, Protocol

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Router

from verein.web.errors import FieldError
from verein.web.i18n import COMMON, Catalogue, Language


class FormPage(Protocol):
    def __call__(
        self,
        language: Language,
        values: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> str:
        """The page with the form, showing what was typed and what is wrong with it."""
        ...


class WebRouter(Router):
    def __init__(self, messages: Catalogue = COMMON) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
        self.messages = messages
        self.form_pages: dict[str, FormPage] = {}
        """Route key (``"POST /membership/applications"``) -> the page that shows its form
        again when the input is invalid (a person sent it: a page, not a problem)."""

    def form_page(self, *route_keys: str) -> Any:
        """Decorator: ``render`` is the form page of these routes."""

        def register(render: FormPage) -> FormPage:
            for key in route_keys:
                self.form_pages[key] = render
            return render

        return register


def ports(router: BaseRouter) -> Any:
    """The adapters the function passed for this request (``WebResolver.serve``); each
    feature types them with its own protocol (e.g. ``MembershipPorts``)."""
    return router.context["ports"]
