"""German first, English too: language negotiation and the message catalogue."""

from __future__ import annotations

from typing import Literal

Language = Literal["de", "en"]
DEFAULT_LANGUAGE: Language = "de"

MESSAGES: dict[str, dict[Language, str]] = {
    # Membership application form
    "form.title": {"de": "Mitgliedsantrag", "en": "Membership application"},
    "form.intro": {
        "de": "Werden Sie Mitglied in unserem Verein. Wir melden uns nach der Prüfung Ihres "
        "Antrags bei Ihnen.",
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
        "de": "Ich willige ein, dass meine Angaben zur Bearbeitung meines Antrags gespeichert "
        "und verarbeitet werden.",
        "en": "I agree that my details are stored and processed to handle my application.",
    },
    "form.submit": {"de": "Antrag absenden", "en": "Submit application"},
    "form.errors": {
        "de": "Bitte korrigieren Sie die markierten Angaben.",
        "en": "Please correct the marked fields.",
    },
    "thanks.title": {"de": "Vielen Dank!", "en": "Thank you!"},
    "thanks.body": {
        "de": "Ihr Mitgliedsantrag ist bei uns eingegangen. Ihre Antragsnummer: {application_id}",
        "en": "We have received your membership application. Your application number: "
        "{application_id}",
    },
    "thanks.already": {
        "de": "Für diese E-Mail-Adresse liegt uns bereits ein Antrag vor. Ihre Antragsnummer: "
        "{application_id}",
        "en": "We already have an application for this e-mail address. Your application "
        "number: {application_id}",
    },
    # Field errors: "error.<field>.<kind>", falling back to "error.<kind>"
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
    "error.too_long": {"de": "Diese Angabe ist zu lang.", "en": "This entry is too long."},
    "error.missing": {
        "de": "Bitte füllen Sie dieses Feld aus.",
        "en": "Please fill in this field.",
    },
    "error.invalid": {"de": "Diese Angabe ist ungültig.", "en": "This entry is not valid."},
    "error.body": {
        "de": "Die Anfrage konnte nicht gelesen werden.",
        "en": "The request could not be read.",
    },
    # Problem titles
    "problem.validation": {"de": "Ungültige Eingabe", "en": "Invalid input"},
    "problem.unsupported_media_type": {
        "de": "Nicht unterstützter Inhaltstyp",
        "en": "Unsupported content type",
    },
    "problem.conflict": {
        "de": "Die Daten wurden gleichzeitig geändert. Bitte versuchen Sie es erneut.",
        "en": "The data was changed concurrently. Please try again.",
    },
    "problem.too_large": {
        "de": "Die Anfrage ist zu groß.",
        "en": "The request is too large.",
    },
    "problem.idempotency_key_reused": {
        "de": "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet.",
        "en": "This Idempotency-Key was already used for a different request.",
    },
    "form.back": {
        "de": "Bitte gehen Sie zurück und versuchen Sie es noch einmal.",
        "en": "Please go back and try again.",
    },
    "error.control_characters": {
        "de": "Diese Angabe enthält unzulässige Steuerzeichen.",
        "en": "This entry contains control characters that are not allowed.",
    },
    "error.broken_encoding": {
        "de": "Diese Angabe enthält Zeichen, die nicht gelesen werden konnten.",
        "en": "This entry contains characters that could not be read.",
    },
    "problem.not_found": {"de": "Nicht gefunden", "en": "Not found"},
    "problem.forbidden": {"de": "Keine Berechtigung", "en": "Forbidden"},
    "problem.internal": {
        "de": "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
        "en": "An internal error occurred. Please try again later.",
    },
    "membership.already_applied": {
        "de": "Für diese Mitgliedschaft liegt bereits ein Antrag vor.",
        "en": "An application exists for this membership already.",
    },
    "membership.unknown": {
        "de": "Diese Mitgliedschaft gibt es nicht.",
        "en": "There is no such membership.",
    },
    "error.text.missing": {"de": "Bitte geben Sie einen Text ein.", "en": "Please enter a text."},
    "membership.consent_required": {
        "de": "Ohne Einwilligung können wir den Antrag nicht bearbeiten.",
        "en": "We cannot process the application without consent.",
    },
}


def translate(key: str, language: Language, **values: str) -> str:
    entry = MESSAGES.get(key)
    text = entry[language] if entry else key
    return text.format(**values) if values else text


def field_error(field: str, kind: str, language: Language) -> str:
    for key in (f"error.{field}.{kind}", f"error.{kind}", "error.invalid"):
        if key in MESSAGES:
            return translate(key, language)
    return translate("error.invalid", language)


def negotiate(explicit: str | None, accept_language: str | None) -> Language:
    """``?lang=`` (or the form's ``lang`` field; the first of repeated ones) wins, then
    Accept-Language, else German."""
    # API Gateway joins a repeated query parameter with commas (``?lang=en&lang=de``).
    for choice in (explicit or "").split(","):
        if choice.strip() in ("de", "en"):
            return choice.strip()  # type: ignore[return-value]
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower()[:2]))
    for quality, primary in sorted(ranked, key=lambda r: -r[0]):
        if quality > 0 and primary in ("de", "en"):
            return primary  # type: ignore[return-value]
    return DEFAULT_LANGUAGE
