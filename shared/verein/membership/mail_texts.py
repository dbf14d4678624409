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
        # NoticeLinkRequested: the link to give notice (an active member).
        "notice_link.subject": {
            "de": "Ihre Kündigung bei {association}: Link zur Bestätigung",
            "en": "Your notice to {association}: link to confirm",
        },
        "notice_link.intro": {
            "de": "Sie haben angefragt, Ihre Mitgliedschaft bei {association} zu kündigen. "
            "Über den folgenden Link können Sie die Kündigung bestätigen:",
            "en": "You asked to end your membership of {association}. You can confirm your "
            "notice with this link:",
        },
        "notice_link.until": {
            "de": "Der Link gilt bis {until}. Erst mit der Bestätigung auf der Seite des Links "
            "ist die Kündigung erklärt.",
            "en": "The link is valid until {until}. Your notice is only given once you confirm "
            "it on the link's page.",
        },
        # NoticeLinkRequested for a member under notice: the day it ends.
        "notice_already.subject": {
            "de": "Ihre Mitgliedschaft bei {association} ist bereits gekündigt",
            "en": "Your membership of {association} is under notice already",
        },
        "notice_already.intro": {
            "de": "Sie haben angefragt, Ihre Mitgliedschaft bei {association} zu kündigen. "
            "Die Kündigung liegt uns bereits vor.",
            "en": "You asked to end your membership of {association}. We have your notice already.",
        },
        # NoticeGiven: the confirmation of the notice, with the last day.
        "notice.subject": {
            "de": "Bestätigung Ihrer Kündigung bei {association}",
            "en": "Your notice to {association} is confirmed",
        },
        "notice.intro": {
            "de": "hiermit bestätigen wir Ihre Kündigung der Mitgliedschaft bei {association}.",
            "en": "We confirm your notice of termination of your membership of {association}.",
        },
        "notice.ends": {
            "de": "Ihre Mitgliedschaft endet mit Ablauf des {ends_on}.",
            "en": "Your membership ends at the end of {ends_on}.",
        },
        "notice.until": {
            "de": "Bis dahin sind Sie weiterhin Mitglied. Sollten Sie es sich anders überlegen, "
            "schreiben Sie uns einfach an {email}.",
            "en": "You remain a member until then. Should you change your mind, just write to "
            "us at {email}.",
        },
        "month.1": {"de": "Januar", "en": "January"},
        "month.2": {"de": "Februar", "en": "February"},
        "month.3": {"de": "März", "en": "March"},
        "month.4": {"de": "April", "en": "April"},
        "month.5": {"de": "Mai", "en": "May"},
        "month.6": {"de": "Juni", "en": "June"},
        "month.7": {"de": "Juli", "en": "July"},
        "month.8": {"de": "August", "en": "August"},
        "month.9": {"de": "September", "en": "September"},
        "month.10": {"de": "Oktober", "en": "October"},
        "month.11": {"de": "November", "en": "November"},
        "month.12": {"de": "Dezember", "en": "December"},
    }
)
"""Every text of membership's mails (keys without a prefix: this catalogue is never merged)."""
