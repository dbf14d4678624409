"""Which mails a membership commit causes, and what they say: pure, no sending.

One mail per domain event that a person should hear of (``MAILED``), to the address of the
stream's application, in its language (German or English), as plain text and HTML from the
Jinja2 templates in ``membership/web/templates/membership/mail/`` with the texts of
``membership.mail_texts``. The key of each mail is its domain event's ``event_id``: what the
reactor (``membership.mailer``) sends at most once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
)
from verein.membership.mail_texts import MAIL_TEXTS
from verein.membership.web.reference import reference
from verein.settings import Association
from verein.web.i18n import Language
from verein.web.pages import jinja_environment

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "web" / "templates" / "membership" / "mail"

MAILED: Mapping[type[DomainEvent], str] = {
    MembershipApplied: "received",
    MembershipApproved: "approved",
    ApplicationRejected: "rejected",
    ApplicationWithdrawn: "withdrawn",
}
"""The domain events that cause a mail, and its templates' name (a note causes none)."""


def causes_mail(commit: Sequence[RecordedEvent]) -> bool:
    """Whether ``mails_for`` would return any mail for ``commit`` (before reading the stream)."""
    return any(type(event.payload) in MAILED for event in commit)


def mails_for(
    commit: Sequence[RecordedEvent], applied: MembershipApplied, association: Association
) -> list[tuple[str, Mail]]:
    """The mails ``commit`` causes, in its order, each with its key (the domain event's
    ``event_id``); ``applied`` is the stream's application (who, where, which language)."""
    return [
        (event.metadata.event_id, _mail(kind, event, applied, association))
        for event in commit
        if (kind := MAILED.get(type(event.payload)))
    ]


def _mail(
    kind: str, event: RecordedEvent, applied: MembershipApplied, association: Association
) -> Mail:
    language: Language = "en" if applied.language == "en" else "de"
    values = {
        "name": applied.applicant_name,
        "reference": reference(streams.member_id(event.stream_id)),
        **_particulars(event.payload, applied),
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
    return Mail(to=applied.email, subject=subject, text=rendered["txt"], html=rendered["html"])


def _particulars(payload: DomainEvent, applied: MembershipApplied) -> dict[str, Any]:
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
    return {}


def _environment() -> Environment:
    # The pages' setup, but plain text unescaped: an "&" in a name must arrive as "&".
    return jinja_environment((TEMPLATES,), text_too=True)
