"""What membership's staff pages share: the router, the page renderer, the ports, paths."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.openapi.params import Query

from verein.membership.feature import MembershipPorts
from verein.membership.web.messages import MESSAGES
from verein.staff_app.pages import StaffPages
from verein.staff_app.sessions import SessionStore
from verein.web.i18n import Language
from verein.web.pages import Link
from verein.web.routing import WebRouter, ports

router = WebRouter(MESSAGES)
PAGES = StaffPages(Path(__file__).parent.parent / "templates", MESSAGES)
logger = Logger(child=True)

LIST = "/control/members"
DASHBOARD = "/control/dashboard"
MemberId = Annotated[str, PathParam(pattern="^[0-9a-f-]{36}$")]
Text = Annotated[str | None, Query(max_length=200)]


class ControlPorts(MembershipPorts, Protocol):
    @property
    def session_store(self) -> SessionStore: ...


def control_ports() -> ControlPorts:
    return cast(ControlPorts, ports(router))


def sections(language: Language) -> list[Link]:
    """Membership's entries in the staff navigation: the dashboard, the register (everyone by
    name) and the queue of applications (oldest first)."""
    return [
        Link(MESSAGES.translate("dashboard.title", language), f"{DASHBOARD}?lang={language}"),
        Link(MESSAGES.translate("control.nav.members", language), f"{LIST}?lang={language}"),
        Link(
            MESSAGES.translate("control.nav.applications", language),
            f"{LIST}?status=applied&order=oldest&lang={language}",
        ),
    ]


def member_href(member_id: str, language: Language) -> str:
    return f"{LIST}/{member_id}?lang={language}"
