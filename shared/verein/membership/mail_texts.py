"""Membership's mail texts, German and English: what ``membership.mails`` renders.

Kept apart from the pages' texts (``membership.web.messages``): a mail is read later and
elsewhere, so it names the association and the application itself, and never says "this page".
"""

from __future__ import annotations

from verein.web.i18n import Catalogue

MAIL_TEXTS = Catalogue(
    {
        "greeting": {"de": "Guten Tag {name},", "en": "Dear {name},"},
        "closing": {"de": "Mit freundlichen Grüßen", "en": "Kind regards"},
        "questions": {
            "de": "Fragen? Schreiben Sie uns an {email} und nennen Sie dabei Ihre "
            "Antragsnummer {reference}.",
            "en": "Questions? Write to us at {email} and give your reference {reference}.",
        },
        "not_you": {
            "de": "Sie haben das nicht veranlasst? Dann schreiben Sie uns bitte an {email}.",
            "en": "You did not ask for this? Then please write to us at {email}.",
        },
        "footer.privacy": {"de": "Datenschutzhinweise", "en": "Privacy notice"},
        "footer.imprint": {"de": "Impressum", "en": "Imprint"},
        "reference": {"de": "Ihre Antragsnummer:", "en": "Your reference:"},
        # MembershipApplied: the receipt.
        "received.subject": {
            "de": "Ihr Mitgliedsantrag bei {association} ist eingegangen ({reference})",
            "en": "Your membership application to {association} was received ({reference})",
        },
        "received.intro": {
            "de": "Ihr Antrag auf Mitgliedschaft bei {association} ist bei uns eingegangen. "
            "Vielen Dank!",
            "en": "Your application for membership of {association} has reached us. Thank you!",
        },
        "received.type": {"de": "Art der Mitgliedschaft:", "en": "Type of membership:"},
        "received.organisation": {"de": "Firma / Organisation:", "en": "Company / organisation:"},
        "membership_type.company": {"de": "Unternehmen", "en": "Company"},
        "membership_type.individual": {"de": "Einzelperson", "en": "Individual"},
        "received.next": {"de": "Wie es weitergeht:", "en": "What happens next:"},
        "received.next.review": {
            "de": "{association} prüft Ihren Antrag und entscheidet über die Aufnahme.",
            "en": "{association} reviews your application and decides on your admission.",
        },
        "received.next.mail": {
            "de": "Unsere Entscheidung erhalten Sie per E-Mail an diese Adresse.",
            "en": "You will receive our decision by e-mail at this address.",
        },
        # MembershipApproved: the welcome.
        "approved.subject": {
            "de": "Willkommen bei {association}: Ihre Mitgliedsnummer {number}",
            "en": "Welcome to {association}: your member number {number}",
        },
        "approved.intro": {
            "de": "wir freuen uns: {association} hat Ihren Mitgliedsantrag angenommen. "
            "Herzlich willkommen!",
            "en": "We are glad to tell you that {association} has accepted your membership "
            "application. Welcome!",
        },
        "approved.number": {"de": "Ihre Mitgliedsnummer:", "en": "Your member number:"},
        "approved.keep": {
            "de": "Bitte nennen Sie diese Nummer, wenn Sie uns schreiben.",
            "en": "Please give this number whenever you write to us.",
        },
        "approved.questions": {
            "de": "Fragen? Schreiben Sie uns an {email}.",
            "en": "Questions? Write to us at {email}.",
        },
        # ApplicationRejected: the decision, with the reason staff wrote.
        "rejected.subject": {
            "de": "Ihr Mitgliedsantrag bei {association} ({reference})",
            "en": "Your membership application to {association} ({reference})",
        },
        "rejected.intro": {
            "de": "leider kann {association} Ihren Antrag auf Mitgliedschaft nicht annehmen.",
            "en": "Unfortunately, {association} cannot accept your membership application.",
        },
        "rejected.reason": {"de": "Begründung:", "en": "Reason:"},
        # ApplicationWithdrawn: the confirmation.
        "withdrawn.subject": {
            "de": "Ihr Mitgliedsantrag bei {association} ist zurückgezogen ({reference})",
            "en": "Your membership application to {association} is withdrawn ({reference})",
        },
        "withdrawn.intro": {
            "de": "hiermit bestätigen wir, dass Sie Ihren Antrag auf Mitgliedschaft bei "
            "{association} zurückgezogen haben. Wir bearbeiten ihn nicht weiter.",
            "en": "We confirm that you have withdrawn your application for membership of "
            "{association}; we will not process it any further.",
        },
    }
)
"""Every text of membership's mails (keys without a prefix: this catalogue is never merged)."""
