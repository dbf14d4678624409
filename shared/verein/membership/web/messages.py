"""Membership's texts, German and English (the shared ones: ``verein.web.i18n.COMMON``)."""

from __future__ import annotations

from verein.web.i18n import COMMON, Catalogue

MESSAGES = COMMON.merged(
    Catalogue(
        {
            "form.title": {"de": "Mitgliedsantrag", "en": "Membership application"},
            "form.intro": {
                "de": "Mit diesem Formular beantragen Sie die Mitgliedschaft bei {association}; "
                "nach der Prüfung Ihres Antrags melden wir uns bei Ihnen.",
                "en": "With this form you apply for membership of {association}; we will get "
                "back to you once we have reviewed your application.",
            },
            "field.name": {"de": "Name", "en": "Name"},
            "field.email": {"de": "E-Mail-Adresse", "en": "E-mail address"},
            "field.organisation": {
                "de": "Firma / Organisation (optional)",
                "en": "Company / organisation (optional)",
            },
            "field.membership_type": {"de": "Art der Mitgliedschaft", "en": "Type of membership"},
            "membership_type.company": {"de": "Unternehmen", "en": "Company"},
            "membership_type.individual": {"de": "Einzelperson", "en": "Individual"},
            # Changing these texts changes the consent version stored with new applications.
            "consent.text": {
                "de": "Ich willige ein, dass {controller} (Verantwortlicher, {email}) meine "
                "Angaben speichert und verarbeitet, um meinen Mitgliedsantrag zu bearbeiten. "
                "Ich kann diese Einwilligung jederzeit mit Wirkung für die Zukunft widerrufen.",
                "en": "I agree that {controller} (the controller, {email}) stores and processes "
                "my details to handle my membership application. I can withdraw this consent "
                "at any time with effect for the future.",
            },
            "consent.privacy_notice": {
                "de": "Wie wir Ihre Daten verarbeiten: Datenschutzhinweise",
                "en": "How we process your data: privacy notice",
            },
            "form.submit": {"de": "Antrag absenden", "en": "Submit application"},
            "thanks.title": {"de": "Vielen Dank!", "en": "Thank you!"},
            "thanks.received": {
                "de": "Ihr Mitgliedsantrag ist bei uns eingegangen.",
                "en": "We have received your membership application.",
            },
            "thanks.reference": {"de": "Ihre Antragsnummer:", "en": "Your reference:"},
            "thanks.next": {"de": "Wie es weitergeht", "en": "What happens next"},
            "thanks.next.review": {
                "de": "{association} prüft Ihren Antrag und entscheidet über die Aufnahme.",
                "en": "{association} reviews your application and decides on your admission.",
            },
            "thanks.next.mail": {
                "de": "Wir melden uns per E-Mail an die Adresse, die Sie angegeben haben.",
                "en": "We will write to you at the e-mail address you gave.",
            },
            "thanks.next.questions": {
                "de": "Fragen? Schreiben Sie uns an {email} und nennen Sie dabei Ihre "
                "Antragsnummer.",
                "en": "Questions? Write to us at {email} and give your reference.",
            },
            "thanks.reload": {
                "de": "Sie können diese Seite neu laden oder schließen; der Antrag wird dabei "
                "nicht noch einmal gesendet.",
                "en": "You may reload or close this page; that does not send the application "
                "again.",
            },
            "link.apply": {"de": "Mitglied werden", "en": "Become a member"},
            "link.apply.description": {
                "de": "Der Mitgliedsantrag für Unternehmen und Einzelpersonen.",
                "en": "The membership application for companies and individuals.",
            },
            "error.name.missing": {
                "de": "Bitte geben Sie Ihren Namen an.",
                "en": "Please enter your name.",
            },
            "error.email.missing": {
                "de": "Bitte geben Sie Ihre E-Mail-Adresse an.",
                "en": "Please enter your e-mail address.",
            },
            "error.email.invalid": {
                "de": "Bitte geben Sie eine gültige E-Mail-Adresse an.",
                "en": "Please enter a valid e-mail address.",
            },
            "error.membership_type.missing": {
                "de": "Bitte wählen Sie die Art der Mitgliedschaft.",
                "en": "Please choose a type of membership.",
            },
            "error.membership_type.invalid": {
                "de": "Bitte wählen Sie Unternehmen oder Einzelperson.",
                "en": "Please choose company or individual.",
            },
            "error.privacy_consent.invalid": {
                "de": "Ohne Ihre Einwilligung können wir den Antrag nicht bearbeiten.",
                "en": "We cannot process the application without your consent.",
            },
            "membership.already_applied": {
                "de": "Für diese Mitgliedschaft liegt bereits ein Antrag vor.",
                "en": "An application exists for this membership already.",
            },
            "membership.unknown": {
                "de": "Diese Mitgliedschaft gibt es nicht.",
                "en": "There is no such membership.",
            },
            "error.text.missing": {
                "de": "Bitte geben Sie einen Text ein.",
                "en": "Please enter a text.",
            },
            "membership.consent_required": {
                "de": "Ohne Einwilligung können wir den Antrag nicht bearbeiten.",
                "en": "We cannot process the application without consent.",
            },
        }
    )
)
