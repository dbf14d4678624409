"""German first, English too: language negotiation and message catalogues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Language = Literal["de", "en"]
DEFAULT_LANGUAGE: Language = "de"

Texts = Mapping[str, Mapping[Language, str]]


class Catalogue:
    """Translated texts by key. Each feature keeps its own (``<feature>/web/messages.py``);
    a resolver merges the catalogues of the routers it includes with ``COMMON``, so that no
    one dictionary grows with every feature."""

    def __init__(self, texts: Texts) -> None:
        missing = [
            k for k, entry in texts.items() if set(entry) != {"de", "en"} or not all(entry.values())
        ]
        if missing:
            raise ValueError(f"texts need German and English: {missing}")
        self._texts = dict(texts)

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def keys(self) -> list[str]:
        return list(self._texts)

    def translate(self, key: str, language: Language, **values: str) -> str:
        entry = self._texts.get(key)
        text = entry[language] if entry else key
        return text.format(**values) if values else text

    def field_error(self, field: str, kind: str, language: Language) -> str:
        """``error.<field>.<kind>``, falling back to ``error.<kind>``, then ``error.invalid``."""
        for key in (f"error.{field}.{kind}", f"error.{kind}"):
            if key in self._texts:
                return self.translate(key, language)
        return self.translate("error.invalid", language)

    def merged(self, other: Catalogue) -> Catalogue:
        """Both catalogues' texts; a key the two translate differently is an error, so that
        one feature can never change another's messages by accident."""
        clashes = [
            k for k in other._texts if self._texts.get(k, other._texts[k]) != other._texts[k]
        ]
        if clashes:
            raise ValueError(f"message keys translated differently: {clashes}")
        return Catalogue({**self._texts, **other._texts})


COMMON = Catalogue(
    {
        "form.errors": {
            "de": "Bitte korrigieren Sie die markierten Angaben.",
            "en": "Please correct the marked fields.",
        },
        "error.too_long": {"de": "Diese Angabe ist zu lang.", "en": "This entry is too long."},
        "error.choice": {
            "de": "Erlaubt sind: {allowed}.",
            "en": "Allowed values: {allowed}.",
        },
        "error.missing": {
            "de": "Bitte füllen Sie dieses Feld aus.",
            "en": "Please fill in this field.",
        },
        "error.invalid": {"de": "Diese Angabe ist ungültig.", "en": "This entry is not valid."},
        "error.body": {
            "de": "Die Anfrage konnte nicht gelesen werden.",
            "en": "The request could not be read.",
        },
        "problem.validation": {"de": "Ungültige Eingabe", "en": "Invalid input"},
        "problem.unsupported_media_type": {
            "de": "Nicht unterstützter Inhaltstyp",
            "en": "Unsupported content type",
        },
        "problem.conflict": {
            "de": "Die Daten wurden gleichzeitig geändert. Bitte versuchen Sie es erneut.",
            "en": "The data was changed concurrently. Please try again.",
        },
        "problem.too_large": {"de": "Die Anfrage ist zu groß.", "en": "The request is too large."},
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
        "form.required_note": {
            "de": "Pflichtfelder sind mit * markiert.",
            "en": "Required fields are marked with *.",
        },
        "site.contact": {"de": "Kontakt", "en": "Contact"},
        "site.privacy": {"de": "Datenschutzhinweise", "en": "Privacy notice"},
        "site.imprint": {"de": "Impressum", "en": "Imprint"},
        "site.other_language": {"de": "English", "en": "Deutsch"},
        "site.skip": {"de": "Zum Inhalt springen", "en": "Skip to content"},
        "home.title": {"de": "Willkommen", "en": "Welcome"},
        "home.intro": {
            "de": "Die Online-Angebote von {association} auf einen Blick:",
            "en": "The online services of {association} at a glance:",
        },
        "home.public": {"de": "Für Interessierte", "en": "For everyone"},
        "home.staff": {"de": "Für die Geschäftsstelle", "en": "For staff"},
        "home.staff_sign_in": {"de": "Anmeldung für Mitarbeitende", "en": "Staff sign-in"},
        "problem.internal": {
            "de": "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
            "en": "An internal error occurred. Please try again later.",
        },
    }
)
"""What every feature's pages and problems share: field errors by kind, problem titles."""


def translate(key: str, language: Language, **values: str) -> str:
    """A text of the common catalogue (a feature's own texts: its catalogue's ``translate``)."""
    return COMMON.translate(key, language, **values)


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
