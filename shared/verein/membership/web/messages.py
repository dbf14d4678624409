"""Membership's texts, German and English (the shared ones: ``verein.web.i18n.COMMON``)."""

from __future__ import annotations

from verein.web.i18n import COMMON, Catalogue

MESSAGES = COMMON.merged(
    Catalogue(
        {
            "form.title": {"de": "Mitgliedsantrag", "en": "Membership application"},
            "form.intro": {
                "de": "Werden Sie Mitglied in unserem Verein. Wir melden uns nach der Prüfung "
                "Ihres Antrags bei Ihnen.",
                "en": "Become a member of our association. We will get back to you once we have "
                "reviewed your application.",
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
            "field.privacy_consent": {
                "de": "Ich willige ein, dass meine Angaben zur Bearbeitung meines Antrags "
                "gespeichert und verarbeitet werden.",
                "en": "I agree that my details are stored and processed to handle my application.",
            },
            "form.submit": {"de": "Antrag absenden", "en": "Submit application"},
            "thanks.title": {"de": "Vielen Dank!", "en": "Thank you!"},
            "thanks.body": {
                "de": "Ihr Mitgliedsantrag ist bei uns eingegangen. Ihre Antragsnummer: "
                "{application_id}",
                "en": "We have received your membership application. Your application number: "
                "{application_id}",
            },
            "thanks.already": {
                "de": "Für diese E-Mail-Adresse liegt uns bereits ein Antrag vor. Ihre "
                "Antragsnummer: {application_id}",
                "en": "We already have an application for this e-mail address. Your application "
                "number: {application_id}",
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
