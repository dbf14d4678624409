"""Texts of the membership lifecycle after the application (notice, exclusion, the end,
contact details, the type, working groups), German and English; merged into ``MESSAGES``."""

from __future__ import annotations

from verein.web.i18n import Catalogue, Texts

_STATUS = {
    "applied": {"de": "ein offener Antrag", "en": "an open application"},
    "active": {"de": "eine laufende Mitgliedschaft", "en": "an active membership"},
    "terminating": {
        "de": "eine gekündigte Mitgliedschaft",
        "en": "a membership under notice",
    },
    "ended": {"de": "eine beendete Mitgliedschaft", "en": "an ended membership"},
    "rejected": {"de": "ein abgelehnter Antrag", "en": "a rejected application"},
    "withdrawn": {"de": "ein zurückgezogener Antrag", "en": "a withdrawn application"},
}


def _per_status(code: str, de: str, en: str) -> Texts:
    """A rule broken in some status: ``{what}`` names what the membership is now."""
    return {
        f"{code}.{status}": {"de": de.format(what=what["de"]), "en": en.format(what=what["en"])}
        for status, what in _STATUS.items()
    }


LIFECYCLE = Catalogue(
    {
        **_per_status(
            "membership.not_active",
            "Kündigen kann nur ein aktives Mitglied; dies ist {what}.",
            "Only an active member can give notice; this is {what}.",
        ),
        **_per_status(
            "membership.no_notice",
            "Es liegt keine Kündigung vor; dies ist {what}.",
            "There is no notice; this is {what}.",
        ),
        **_per_status(
            "membership.not_member",
            "Das geht nur bei Mitgliedern; dies ist {what}.",
            "This is for members only; this is {what}.",
        ),
        "membership.not_due": {
            "de": "Die Mitgliedschaft endet erst später.",
            "en": "The membership ends later.",
        },
        "membership.ends_before_notice": {
            "de": "Das Ende der Mitgliedschaft darf nicht vor dem heutigen Tag liegen.",
            "en": "The membership cannot end before today.",
        },
        "membership.name_required": {
            "de": "Bitte geben Sie einen Namen an.",
            "en": "Please give a name.",
        },
        "membership.email_required": {
            "de": "Bitte geben Sie eine E-Mail-Adresse an.",
            "en": "Please give an e-mail address.",
        },
        "membership.email_taken": {
            "de": "Diese E-Mail-Adresse gehört schon zu einem anderen Antrag oder Mitglied.",
            "en": "This e-mail address belongs to another application or member already.",
        },
        "membership.unknown_type": {
            "de": "Diese Mitgliedsart steht nicht in der Beitragsordnung, die an diesem Tag gilt.",
            "en": "This membership type is not in the fee schedule in force on that day.",
        },
        "control.not_yet": {
            "de": "An diesem Tag lag noch kein Antrag vor.",
            "en": "There was no application yet on that day.",
        },
        "control.as_of": {"de": "Stand am", "en": "As of"},
        "control.as_of.show": {"de": "Anzeigen", "en": "Show"},
        "control.as_of.today": {"de": "Stand heute", "en": "As of today"},
        "control.as_of.shown": {
            "de": "So war es am {day}. Änderungen sind nur im Stand von heute möglich.",
            "en": "This is how it was on {day}. Changes can be made as of today only.",
        },
        "error.as_of.invalid": {
            "de": "Bitte geben Sie ein Datum an (JJJJ-MM-TT).",
            "en": "Please give a date (YYYY-MM-DD).",
        },
        "control.last_day": {"de": "letzter Tag: {day}", "en": "last day: {day}"},
        "control.member_since": {"de": "Mitglied seit", "en": "Member since"},
        "control.type_from": {"de": "ab {day}: {type}", "en": "from {day}: {type}"},
        "control.address": {"de": "Anschrift", "en": "Address"},
        "control.street": {"de": "Straße und Hausnummer", "en": "Street and number"},
        "control.postal_code": {"de": "PLZ", "en": "Postcode"},
        "control.city": {"de": "Ort", "en": "Town"},
        "control.phone": {"de": "Telefon", "en": "Phone"},
        "control.contacts": {"de": "Ansprechpersonen", "en": "Contact people"},
        "control.contacts_hint": {
            "de": "Leere Zeilen werden nicht gespeichert; eine Zeile leeren entfernt die Person.",
            "en": "Empty rows are not saved; emptying a row removes the person.",
        },
        "control.contact.name": {"de": "Name", "en": "Name"},
        "control.contact.role": {"de": "Funktion (optional)", "en": "Role (optional)"},
        "control.groups": {"de": "Arbeitsgruppen", "en": "Working groups"},
        "control.no_groups": {
            "de": "In keiner Arbeitsgruppe.",
            "en": "Not in any working group.",
        },
        "control.join_group": {"de": "Arbeitsgruppe", "en": "Working group"},
        "control.join": {"de": "Aufnehmen", "en": "Add"},
        "control.leave_group": {"de": "Austragen", "en": "Remove"},
        "control.ending": {"de": "Mitgliedschaft beenden", "en": "Ending the membership"},
        "control.notice_hint": {
            "de": "Eine heute eingehende Kündigung wirkt zum {day} (laut Satzung).",
            "en": "A notice received today takes effect at the end of {day} (by the statutes).",
        },
        "control.field.effective": {
            "de": "Letzter Tag der Mitgliedschaft (optional)",
            "en": "Last day of membership (optional)",
        },
        "control.effective_hint": {
            "de": "Leer lassen für das Datum laut Satzung.",
            "en": "Leave empty for the date the statutes give.",
        },
        "error.effective.invalid": {
            "de": "Bitte geben Sie ein Datum an.",
            "en": "Please give a date.",
        },
        "control.field.notice_reason": {
            "de": "Grund der Kündigung (optional)",
            "en": "Reason given (optional)",
        },
        "control.give_notice": {"de": "Kündigung erfassen", "en": "Record the notice"},
        "control.under_notice": {
            "de": "Gekündigt: Die Mitgliedschaft endet mit Ablauf des {day}.",
            "en": "Under notice: the membership ends at the end of {day}.",
        },
        "control.field.keep_reason": {
            "de": "Anmerkung zur Rücknahme (optional)",
            "en": "Note on taking it back (optional)",
        },
        "control.withdraw_notice": {
            "de": "Kündigung zurücknehmen",
            "en": "Take the notice back",
        },
        "control.field.exclude_reason": {
            "de": "Grund des Ausschlusses",
            "en": "Reason for the exclusion",
        },
        "control.exclude_hint": {
            "de": "Laut Beschluss des Vorstands; die Mitgliedschaft endet heute.",
            "en": "As the board decided; the membership ends today.",
        },
        "error.exclude_reason.missing": {
            "de": "Bitte geben Sie den Grund des Ausschlusses an.",
            "en": "Please give the reason for the exclusion.",
        },
        "control.exclude": {"de": "Mitglied ausschließen", "en": "Exclude the member"},
        "control.change_type": {"de": "Mitgliedsart ändern", "en": "Change the membership type"},
        "control.field.type_effective": {"de": "Gültig ab", "en": "From"},
        "control.type_effective_hint": {
            "de": "Ab diesem Tag gilt der Beitrag der neuen Art.",
            "en": "The new type's fee applies from this day.",
        },
        "error.type_effective.invalid": {
            "de": "Bitte geben Sie ein Datum an.",
            "en": "Please give a date.",
        },
        "control.save_type": {"de": "Mitgliedsart ändern", "en": "Change the type"},
        "control.edit_contact": {"de": "Kontaktdaten bearbeiten", "en": "Edit contact details"},
        "control.save_contact": {"de": "Kontaktdaten speichern", "en": "Save contact details"},
        "error.postal_code.invalid": {
            "de": "Bitte geben Sie eine gültige Postleitzahl an.",
            "en": "Please give a valid postcode.",
        },
        "error.phone.invalid": {
            "de": "Bitte geben Sie eine Telefonnummer an (Ziffern, Leerzeichen, +, -, /).",
            "en": "Please give a phone number (digits, spaces, +, -, /).",
        },
        "control.done.notice_given": {
            "de": "Die Kündigung ist erfasst.",
            "en": "The notice is recorded.",
        },
        "control.done.notice_withdrawn": {
            "de": "Die Kündigung ist zurückgenommen.",
            "en": "The notice is taken back.",
        },
        "control.done.excluded": {
            "de": "Das Mitglied ist ausgeschlossen.",
            "en": "The member is excluded.",
        },
        "control.done.contact_changed": {
            "de": "Die Kontaktdaten sind gespeichert.",
            "en": "The contact details are saved.",
        },
        "control.done.type_changed": {
            "de": "Die Mitgliedsart ist geändert.",
            "en": "The membership type is changed.",
        },
        "control.done.joined": {
            "de": "In die Arbeitsgruppe aufgenommen.",
            "en": "Added to the working group.",
        },
        "control.done.left": {
            "de": "Aus der Arbeitsgruppe ausgetragen.",
            "en": "Removed from the working group.",
        },
        "control.actor.schedule": {"de": "Automatisch (Zeitplan)", "en": "Automatic (schedule)"},
        "control.event.notice": {
            "de": "Kündigung erfasst: letzter Tag {day}",
            "en": "Notice recorded: last day {day}",
        },
        "control.event.notice_by_member": {
            "de": "Kündigung durch das Mitglied: letzter Tag {day}",
            "en": "Notice given by the member: last day {day}",
        },
        "control.event.notice_withdrawn": {
            "de": "Kündigung zurückgenommen",
            "en": "Notice taken back",
        },
        "control.event.excluded": {"de": "Mitglied ausgeschlossen", "en": "Member excluded"},
        "control.event.ended": {
            "de": "Mitgliedschaft beendet (letzter Tag {day})",
            "en": "Membership ended (last day {day})",
        },
        "control.event.contact_changed": {
            "de": "Kontaktdaten geändert",
            "en": "Contact details changed",
        },
        "control.event.type_changed": {
            "de": "Mitgliedsart {type} ab {day}",
            "en": "Membership type {type} from {day}",
        },
        "control.event.joined": {"de": "Arbeitsgruppe beigetreten", "en": "Joined a working group"},
        "control.event.left": {"de": "Arbeitsgruppe verlassen", "en": "Left a working group"},
        "control.changed.applicant_name": {"de": "Name", "en": "name"},
        "control.changed.organisation": {"de": "Firma", "en": "company"},
        "control.changed.email": {"de": "E-Mail", "en": "e-mail"},
        "control.changed.street": {"de": "Straße", "en": "street"},
        "control.changed.postal_code": {"de": "PLZ", "en": "postcode"},
        "control.changed.city": {"de": "Ort", "en": "town"},
        "control.changed.phone": {"de": "Telefon", "en": "phone"},
        "control.changed.contacts": {"de": "Ansprechpersonen", "en": "contact people"},
        # --- a member's own notice (membership/web/self_service.py) ---
        "link.notice": {"de": "Mitgliedschaft kündigen", "en": "End your membership"},
        "link.notice.description": {
            "de": "Für Mitglieder: Kündigung per Link an Ihre E-Mail-Adresse.",
            "en": "For members: give notice by a link sent to your e-mail address.",
        },
        "notice.title": {"de": "Mitgliedschaft kündigen", "en": "End your membership"},
        "notice.intro": {
            "de": "Sie möchten Ihre Mitgliedschaft bei {association} kündigen? Geben Sie die "
            "E-Mail-Adresse Ihrer Mitgliedschaft an; wir schicken Ihnen dorthin einen Link, "
            "mit dem Sie die Kündigung bestätigen.",
            "en": "Do you want to end your membership of {association}? Give the e-mail address "
            "of your membership; we will send a link there with which you confirm your notice.",
        },
        "notice.field.email": {
            "de": "E-Mail-Adresse Ihrer Mitgliedschaft",
            "en": "E-mail address of your membership",
        },
        "notice.send_link": {"de": "Link anfordern", "en": "Send me the link"},
        "notice.privacy": {
            "de": "Aus Datenschutzgründen sagen wir hier nicht, ob die Adresse zu einer "
            "Mitgliedschaft gehört: das erfährt nur ihr Postfach.",
            "en": "For your privacy we do not say here whether the address belongs to a "
            "membership: only its mailbox learns that.",
        },
        "notice.requested.title": {
            "de": "Bitte prüfen Sie Ihr Postfach",
            "en": "Please check your mailbox",
        },
        "notice.requested.text": {
            "de": "Gehört die Adresse zu einer Mitgliedschaft, ist eine E-Mail mit einem Link "
            "unterwegs.",
            "en": "If the address belongs to a membership, a mail with a link is on its way.",
        },
        "notice.requested.mail": {
            "de": "Öffnen Sie den Link in der E-Mail (er gilt sieben Tage).",
            "en": "Open the link in the mail (it is valid for seven days).",
        },
        "notice.requested.confirm": {
            "de": "Bestätigen Sie die Kündigung auf der Seite des Links; erst dann ist sie "
            "erklärt.",
            "en": "Confirm your notice on the link's page; only then is it given.",
        },
        "notice.requested.questions": {
            "de": "Keine E-Mail erhalten? Schreiben Sie uns an {email}.",
            "en": "No mail? Write to us at {email}.",
        },
        "notice.link.active": {
            "de": "Guten Tag {name}, hier können Sie Ihre Mitgliedschaft bei {association} "
            "kündigen.",
            "en": "Dear {name}, here you can end your membership of {association}.",
        },
        "notice.link.ends": {
            "de": "Ihre Mitgliedschaft endet dann mit Ablauf des {ends_on}.",
            "en": "Your membership then ends at the end of {ends_on}.",
        },
        "notice.link.confirm": {"de": "Kündigung bestätigen", "en": "Confirm my notice"},
        "notice.link.nothing_yet": {
            "de": "Erst dieser Knopf erklärt die Kündigung; das Öffnen der Seite allein ändert "
            "nichts.",
            "en": "Only this button gives notice; opening the page changes nothing.",
        },
        "notice.link.given": {
            "de": "Ihre Kündigung ist eingegangen. Sie erhalten eine Bestätigung per E-Mail.",
            "en": "Your notice has reached us. You will get a confirmation by mail.",
        },
        "notice.link.already": {
            "de": "Ihre Kündigung liegt uns bereits vor.",
            "en": "We have your notice already.",
        },
        "notice.link.questions": {
            "de": "Sie haben es sich anders überlegt? Schreiben Sie uns an {email}.",
            "en": "Changed your mind? Write to us at {email}.",
        },
        "notice.link.expired": {
            "de": "Dieser Link ist abgelaufen.",
            "en": "This link has expired.",
        },
        "notice.link.invalid": {
            "de": "Dieser Link ist ungültig: vielleicht wurde er beim Kopieren abgeschnitten.",
            "en": "This link is not valid: perhaps it was cut off when copied.",
        },
        "notice.link.new": {"de": "Einen neuen Link anfordern", "en": "Ask for a new link"},
        "notice.link.not_member": {
            "de": "Zu diesem Link gibt es keine laufende Mitgliedschaft mehr. Fragen? Schreiben "
            "Sie uns an {email}.",
            "en": "There is no running membership for this link any more. Questions? Write to "
            "us at {email}.",
        },
        "control.status.terminating": {"de": "Gekündigt", "en": "Under notice"},
        "control.status.ended": {"de": "Beendet", "en": "Ended"},
    }
)
