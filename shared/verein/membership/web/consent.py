"""The consent text of the application form, and its version (stored with the application).

DSGVO Art. 7(1): the association must be able to show what a person consented to. The
version is a hash of exactly what the form shows in that language, controller and link to
the privacy notice included, so any change of wording or settings is a new version by itself.
"""

from __future__ import annotations

import hashlib

from verein.membership.web.messages import MESSAGES
from verein.settings import Association
from verein.web.i18n import Language


def consent_text(language: Language, association: Association) -> str:
    """The checkbox's label: what the applicant agrees to, naming the controller."""
    return MESSAGES.translate(
        "consent.text", language, controller=association.name, email=association.email
    )


def consent_link_text(language: Language) -> str:
    return MESSAGES.translate("consent.privacy_notice", language)


def consent_version(language: Language, association: Association) -> str:
    """A short stable id of the text shown, e.g. ``de-3f9a1c2b0d4e``."""
    shown = "\n".join(
        (
            consent_text(language, association),
            consent_link_text(language),
            association.privacy_notice_url,
        )
    )
    return f"{language}-{hashlib.sha256(shown.encode()).hexdigest()[:12]}"
