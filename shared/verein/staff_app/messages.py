"""The staff app's own texts (signing in and out, its layout), German and English."""

from __future__ import annotations

from verein.web.i18n import COMMON, Catalogue

MESSAGES = COMMON.merged(
    Catalogue(
        {
            "staff.app": {"de": "Verwaltung", "en": "Staff area"},
            "staff.signed_in_as": {"de": "Angemeldet als {email}", "en": "Signed in as {email}"},
            "staff.sign_out": {"de": "Abmelden", "en": "Sign out"},
            "staff.sign_in": {"de": "Anmelden", "en": "Sign in"},
            "staff.signed_out.title": {"de": "Abgemeldet", "en": "Signed out"},
            "staff.signed_out.text": {
                "de": "Sie sind abgemeldet. Schließen Sie den Browser, wenn andere dieses Gerät "
                "benutzen.",
                "en": "You are signed out. Close the browser if others use this device.",
            },
            "staff.sign_in_again": {"de": "Wieder anmelden", "en": "Sign in again"},
            "staff.sign_in_failed.title": {
                "de": "Anmeldung nicht abgeschlossen",
                "en": "Sign-in not completed",
            },
            "staff.sign_in_failed.text": {
                "de": "Die Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte melden Sie "
                "sich noch einmal an.",
                "en": "The sign-in has expired or was already used. Please sign in again.",
            },
            "staff.no_access.title": {"de": "Kein Zugang", "en": "No access"},
            "staff.no_access.text": {
                "de": "Ihr Konto gehört nicht zur Gruppe der Mitarbeitenden. Bitte wenden Sie "
                "sich an die Geschäftsstelle.",
                "en": "Your account is not in the staff group. Please ask the association's "
                "office.",
            },
            "staff.other_account": {
                "de": "Mit einem anderen Konto anmelden",
                "en": "Sign in with another account",
            },
            "staff.refused.title": {"de": "Anfrage abgelehnt", "en": "Request refused"},
            "staff.refused.text": {
                "de": "Diese Anfrage kam nicht von unseren Seiten oder die Seite war veraltet. "
                "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
                "en": "This request did not come from our pages, or the page was out of date. "
                "Please reload the page and try again.",
            },
            "staff.not_found.title": {"de": "Nicht gefunden", "en": "Not found"},
            "staff.not_found.text": {
                "de": "Diese Seite gibt es nicht.",
                "en": "This page does not exist.",
            },
            "staff.error.title": {"de": "Etwas ist schiefgegangen", "en": "Something went wrong"},
            "staff.error.text": {
                "de": "Bitte versuchen Sie es in einer Minute noch einmal.",
                "en": "Please try again in a minute.",
            },
        }
    )
)
