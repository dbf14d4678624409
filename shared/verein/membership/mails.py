"""Which mails a membership commit causes, and what they say: pure, no sending.

One mail per domain event that a person should hear of (``MAILED``), to the address of the
stream's application, in its language (German or English), as plain text and HTML from the
Jinja2 templates in ``membership/web/templates/membership/mail/`` with the texts of
``membership.mail_texts``. The key of each mail is its domain event's ``event_id``: what the
reactor (``membership.mailer``) sends at most once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verein.eventstore import DomainEvent, RecordedEvent
from verein.mail.message import Mail
from verein.membership import streams
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    MembershipApplied,
    MembershipApproved,
    NoticeGiven,
)
from verein.membership.mail_texts import MAIL_TEXTS
from verein.membership.web.reference import reference
from verein.settings import Association
from verein.web.i18n import Language
from verein.web.pages import LOCAL_TIME, jinja_environment

if TYPE_CHECKING:
    from jinja2 import Environment

    from verein.membership.views.summary import MemberSummary

TEMPLATES = Path(__file__).parent / "web" / "templates" / "membership" / "mail"

MAILED: Mapping[type[DomainEvent], str] = {
    MembershipApplied: "received",
    MembershipApproved: "approved",
    ApplicationRejected: "rejected",
    ApplicationWithdrawn: "withdrawn",
    NoticeGiven: "notice",
}
"""The domain events that cause a mail, and its templates' name (a note causes none)."""


def causes_mail(commit: Sequence[RecordedEvent]) -> bool:
    """Whether ``mails_for`` would return any mail for ``commit`` (before reading the stream)."""
    return any(type(event.payload) in MAILED for event in commit)


@dataclass(frozen=True)
class Recipient:
    """Whom a membership's mails go to: the name and address as they are at the commit (staff
    may have changed them since the application), in the application's language."""

    name: str
    email: str
    language: str


def mails_for(
    commit: Sequence[RecordedEvent], recipient: Recipient, association: Association
) -> list[tuple[str, Mail]]:
    """The mails ``commit`` causes, in its order, each with its key (the domain event's
    ``event_id``)."""
    return [
        (event.metadata.event_id, _mail(kind, event, recipient, association))
        for event in commit
        if (kind := MAILED.get(type(event.payload)))
    ]


def _mail(kind: str, event: RecordedEvent, recipient: Recipient, association: Association) -> Mail:
    language: Language = "en" if recipient.language == "en" else "de"
    values = {
        "name": recipient.name,
        "reference": reference(streams.member_id(event.stream_id)),
        **_particulars(event.payload, language),
    }
    subject = MAIL_TEXTS.translate(
        f"{kind}.subject",
        language,
        association=association.name,
        reference=values["reference"],
        number=str(values.get("member_number", "")),
    )
    rendered = {
        part: _environment()
        .get_template(f"{kind}.{part}")
        .render(
            language=language,
            t=lambda key, **params: MAIL_TEXTS.translate(key, language, **params),
            site=association,
            subject=subject,
            **values,
        )
        for part in ("txt", "html")
    }
    return Mail(to=recipient.email, subject=subject, text=rendered["txt"], html=rendered["html"])


def _particulars(payload: DomainEvent, language: Language) -> dict[str, Any]:
    """What each kind of mail tells beyond name and reference."""
    if isinstance(payload, MembershipApproved):
        return {"member_number": payload.member_number}
    if isinstance(payload, ApplicationRejected):
        return {"reason": payload.reason}  # as staff wrote it: written to the applicant
    if isinstance(payload, MembershipApplied):
        return {
            "membership_type": payload.membership_type.value,
            "organisation": payload.organisation,
        }
    if isinstance(payload, NoticeGiven):
        return {"ends_on": long_date(payload.ends_on, language)}
    return {}


def long_date(day: date, language: Language) -> str:
    """A date as a letter writes it: "31. Dezember 2026", "31 December 2026"."""
    month = MAIL_TEXTS.translate(f"month.{day.month}", language)
    return f"{day.day}. {month} {day.year}" if language == "de" else f"{day.day} {month} {day.year}"


def _environment() -> Environment:
    # The pages' setup, but plain text unescaped: an "&" in a name must arrive as "&".
    return jinja_environment((TEMPLATES,), text_too=True)


def notice_link_mail(
    member: MemberSummary,
    language: Language,
    link: str,
    expires: datetime,
    association: Association,
) -> Mail | None:
    """The mail a notice-link request causes: the link for an active member; for a member
    under notice, the day it ends; for anyone else nothing (the address asked for is no
    member's now, and the requester learns nothing either way)."""
    if member.status == "active":
        kind, values = "notice_link", {"link": link, "until": _moment(expires, language)}
    elif member.status == "terminating" and member.ends_on:
        kind, values = "notice_already", {"ends_on": long_date(member.ends_on, language)}
    else:
        return None
    subject = MAIL_TEXTS.translate(f"{kind}.subject", language, association=association.name)
    rendered = {
        part: _environment()
        .get_template(f"{kind}.{part}")
        .render(
            language=language,
            t=lambda key, **params: MAIL_TEXTS.translate(key, language, **params),
            site=association,
            subject=subject,
            name=member.applicant_name,
            **values,
        )
        for part in ("txt", "html")
    }
    return Mail(to=member.email, subject=subject, text=rendered["txt"], html=rendered["html"])


def _moment(at: datetime, language: Language) -> str:
    local = at.astimezone(LOCAL_TIME)
    time = local.strftime("%H:%M")
    return f"{long_date(local.date(), language)}, {time}"
