"""Membership's texts, German and English (the shared ones: ``verein.web.i18n.COMMON``)."""

from __future__ import annotations

from verein.membership.web.dashboard_messages import DASHBOARD
from verein.membership.web.directory_messages import DIRECTORY
from verein.membership.web.lifecycle_messages import LIFECYCLE
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
            "membership.not_open.active": {
                "de": "Über diesen Antrag ist schon entschieden: die Person ist Mitglied.",
                "en": "This application was decided already: the person is a member.",
            },
            "membership.not_open.rejected": {
                "de": "Über diesen Antrag ist schon entschieden: er wurde abgelehnt.",
                "en": "This application was decided already: it was rejected.",
            },
            "membership.not_open.withdrawn": {
                "de": "Dieser Antrag wurde zurückgezogen.",
                "en": "This application was withdrawn.",
            },
            "membership.reason_required": {
                "de": "Bitte geben Sie einen Grund an.",
                "en": "Please give a reason.",
            },
            "membership.invalid_member_number": {
                "de": "Diese Mitgliedsnummer ist ungültig.",
                "en": "This member number is not valid.",
            },
            "error.reason.missing": {
                "de": "Bitte geben Sie einen Grund an.",
                "en": "Please give a reason.",
            },
            # --- the directory as CSV (membership/web/export.py) ---
            "export.member_number": {"de": "Mitgliedsnummer", "en": "Member number"},
            "export.name": {"de": "Name", "en": "Name"},
            "export.organisation": {"de": "Organisation", "en": "Organisation"},
            "export.email": {"de": "E-Mail", "en": "E-mail"},
            "export.type": {"de": "Art", "en": "Type"},
            "export.status": {"de": "Status", "en": "Status"},
            "export.applied_at": {"de": "Antrag vom", "en": "Applied on"},
            "export.decided_at": {"de": "Entschieden am", "en": "Decided on"},
            "export.reference": {"de": "Antragsnummer", "en": "Reference"},
            "control.download_csv": {
                "de": "Diese Liste als CSV (für Excel) herunterladen",
                "en": "Download this list as CSV (for Excel)",
            },
            # --- staff pages (membership/web/control.py) ---
            "control.applications": {
                "de": "Anträge und Mitglieder",
                "en": "Applications and members",
            },
            "control.filter": {"de": "Anzeigen", "en": "Show"},
            "control.field.status": {"de": "Status", "en": "Status"},
            "control.field.order": {"de": "Reihenfolge", "en": "Order"},
            "control.order.oldest": {"de": "Älteste zuerst", "en": "Oldest first"},
            "control.order.newest": {"de": "Neueste zuerst", "en": "Newest first"},
            "control.status.applied": {"de": "Beantragt", "en": "Applied"},
            "control.column.name": {"de": "Name", "en": "Name"},
            "control.column.organisation": {"de": "Organisation", "en": "Organisation"},
            "control.column.type": {"de": "Art", "en": "Type"},
            "control.column.applied_at": {"de": "Eingegangen", "en": "Received"},
            "control.column.reference": {"de": "Antragsnummer", "en": "Reference"},
            "control.column.notes": {"de": "Notizen", "en": "Notes"},
            "control.none": {
                "de": "Keine Einträge mit diesem Status.",
                "en": "No entries with this status.",
            },
            "control.next_page": {"de": "Nächste Seite", "en": "Next page"},
            "control.first_page": {"de": "Zur ersten Seite", "en": "First page"},
            "control.stale_page": {
                "de": "Dieser Seitenlink ist nicht mehr gültig. Bitte beginnen Sie mit der "
                "ersten Seite.",
                "en": "This page link is no longer valid. Please start from the first page.",
            },
            "control.back": {"de": "Zurück zur Liste", "en": "Back to the list"},
            "control.not_found": {"de": "Person nicht gefunden", "en": "Person not found"},
            "control.not_found.text": {
                "de": "Zu diesem Link gibt es keinen Antrag und kein Mitglied.",
                "en": "There is no application or member for this link.",
            },
            "control.summary": {"de": "Übersicht", "en": "Summary"},
            "control.language": {"de": "Sprache", "en": "Language"},
            "control.language.de": {"de": "Deutsch", "en": "German"},
            "control.language.en": {"de": "Englisch", "en": "English"},
            "control.consent": {"de": "Einwilligung", "en": "Consent"},
            "control.consent.none": {
                "de": "vor der Versionierung erteilt",
                "en": "given before versions were recorded",
            },
            "control.history": {"de": "Verlauf", "en": "History"},
            "control.actor.public": {
                "de": "Antragsteller/in (Webformular)",
                "en": "Applicant (web form)",
            },
            "control.actor.staff": {
                "de": "Mitarbeiter/in (nicht mehr bekannt)",
                "en": "Staff member (no longer known)",
            },
            "control.event.applied": {
                "de": "Mitgliedschaft beantragt ({membership_type})",
                "en": "Applied for membership ({membership_type})",
            },
            "control.event.note": {"de": "Notiz", "en": "Note"},
            "control.event.approved": {
                "de": "Antrag angenommen: Mitglied Nr. {member_number}",
                "en": "Application approved: member no. {member_number}",
            },
            "control.event.rejected": {"de": "Antrag abgelehnt", "en": "Application rejected"},
            "control.event.withdrawn": {
                "de": "Antrag zurückgezogen",
                "en": "Application withdrawn",
            },
            "control.status.active": {"de": "Mitglied", "en": "Member"},
            "control.status.rejected": {"de": "Abgelehnt", "en": "Rejected"},
            "control.status.withdrawn": {"de": "Zurückgezogen", "en": "Withdrawn"},
            "control.column.member_number": {"de": "Mitgliedsnummer", "en": "Member number"},
            "control.decide": {"de": "Über den Antrag entscheiden", "en": "Decide the application"},
            "control.approve": {"de": "Antrag annehmen", "en": "Approve the application"},
            "control.approve_hint": {
                "de": "Die Person wird Mitglied und erhält die nächste Mitgliedsnummer.",
                "en": "The person becomes a member with the next member number.",
            },
            "control.field.reason": {"de": "Grund der Ablehnung", "en": "Reason for rejecting"},
            "control.reason_hint": {
                "de": "Wird der antragstellenden Person mitgeteilt.",
                "en": "The applicant is told this.",
            },
            "control.reject": {"de": "Antrag ablehnen", "en": "Reject the application"},
            "control.field.withdraw_reason": {
                "de": "Anmerkung zum Rückzug (optional)",
                "en": "Note on the withdrawal (optional)",
            },
            "control.withdraw": {
                "de": "Rückzug des Antrags vermerken",
                "en": "Record that the application was withdrawn",
            },
            "control.done.noted": {"de": "Die Notiz ist gespeichert.", "en": "The note is saved."},
            "control.done.approved": {
                "de": "Der Antrag ist angenommen.",
                "en": "The application is approved.",
            },
            "control.done.rejected": {
                "de": "Der Antrag ist abgelehnt.",
                "en": "The application is rejected.",
            },
            "control.done.withdrawn": {
                "de": "Der Rückzug ist vermerkt.",
                "en": "The withdrawal is recorded.",
            },
            "control.add_note": {"de": "Notiz hinzufügen", "en": "Add a note"},
            "control.field.text": {"de": "Notiz", "en": "Note"},
            "control.note_hint": {
                "de": "Nur für Mitarbeitende sichtbar; höchstens 2.000 Zeichen.",
                "en": "Seen by staff only; at most 2,000 characters.",
            },
            "control.save_note": {"de": "Notiz speichern", "en": "Save note"},
            "control.form_reused": {
                "de": "Dieses Formular wurde schon mit einem anderen Text gesendet. Bitte laden "
                "Sie die Seite neu.",
                "en": "This form was already sent with another text. Please reload the page.",
            },
        }
    )
).merged(LIFECYCLE.merged(DIRECTORY).merged(DASHBOARD))
