"""What a person's page needs beyond the member: the names of types and working groups, what
can be chosen, and when a notice given today would take effect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verein.kernel.clock import today
from verein.membership.notice import NoticePolicy
from verein.membership.web.messages import MESSAGES
from verein.web.i18n import Language

if TYPE_CHECKING:
    from verein.membership.views.summary import MemberSummary
    from verein.membership.web.control.common import ControlPorts

APPLICATION_KINDS = ("company", "individual")
"""The types the application form offers: what a member may have without a fee schedule."""


def type_choices(ports: ControlPorts, language: Language) -> list[tuple[str, str]]:
    """(code, label) of the types in force today: the fee schedule's, else the two kinds."""
    from verein.fees.usecases import fee_schedule  # noqa: PLC0415

    version = fee_schedule(ports.event_store).on(today())
    if version is None:
        return [
            (k, MESSAGES.translate(f"membership_type.{k}", language)) for k in APPLICATION_KINDS
        ]
    return [(t.code, t.label(language)) for t in version.types]


def type_label(code: str, choices: list[tuple[str, str]], language: Language) -> str:
    labels = dict(choices)
    if code in labels:
        return labels[code]
    if code in APPLICATION_KINDS:
        return MESSAGES.translate(f"membership_type.{code}", language)
    return code  # a type no longer in the schedule: its code says what it was


def lifecycle_context(
    ports: ControlPorts,
    summary: MemberSummary | None,
    upcoming: MemberSummary | None,
    language: Language,
) -> dict[str, Any]:
    """``summary`` as of the day shown; ``upcoming`` the member with a type change after it."""
    from verein.groups.usecases import working_groups  # noqa: PLC0415

    choices = type_choices(ports, language)
    groups = working_groups(ports.event_store)
    mine = set(summary.groups) if summary else set()
    settings = ports.settings
    policy = NoticePolicy.from_settings(settings)
    return {
        "type_choices": choices,
        "type_label": type_label(summary.membership_type, choices, language) if summary else "",
        "upcoming_type_label": type_label(upcoming.membership_type, choices, language)
        if upcoming
        else "",
        "group_names": {g.group_id: g.name for g in groups},
        "joinable_groups": [g for g in groups if g.is_open and g.group_id not in mine],
        "default_end": policy.last_day(today()),
    }
