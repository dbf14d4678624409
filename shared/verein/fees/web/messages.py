"""The fee schedule's texts, German and English (the shared ones: ``verein.web.i18n.COMMON``).
Every key starts with ``fees.``, so that no other feature's catalogue can clash with it."""

from __future__ import annotations

from verein.web.i18n import COMMON, Catalogue

MESSAGES = COMMON.merged(
    Catalogue(
        {
            # --- rules (fees.decider) and input (fees.web.values) ---
            "fees.no_types": {
                "de": "Bitte geben Sie mindestens eine Beitragsart an.",
                "en": "Please give at least one membership type.",
            },
            "fees.duplicate_code": {
                "de": "Jedes Kürzel darf in einer Fassung nur einmal vorkommen.",
                "en": "Each code may appear only once in a version.",
            },
            "fees.error.effective_from.missing": {
                "de": "Bitte geben Sie an, ab wann die Beiträge gelten.",
                "en": "Please give the date from which the fees apply.",
            },
            "fees.error.effective_from.invalid": {
                "de": "Bitte geben Sie ein gültiges Datum an (z. B. 01.01.2027).",
                "en": "Please give a valid date (e.g. 2027-01-01).",
            },
            "fees.error.types.missing": {
                "de": "Bitte geben Sie die Beitragsarten an.",
                "en": "Please give the membership types.",
            },
            "fees.error.types.invalid": {
                "de": "Die Beitragsarten müssen eine Liste sein.",
                "en": "The membership types must be a list.",
            },
            "fees.error.types.too_many": {
                "de": "Eine Fassung hat höchstens 50 Beitragsarten.",
                "en": "A version has at most 50 membership types.",
            },
            "fees.error.types.item": {
                "de": "Jede Beitragsart ist ein Objekt mit code, label_de, label_en und "
                "yearly_fee.",
                "en": "Each membership type is an object with code, label_de, label_en and "
                "yearly_fee.",
            },
            "fees.error.code.missing": {
                "de": "Bitte geben Sie ein Kürzel an.",
                "en": "Please give a code.",
            },
            "fees.error.code.invalid": {
                "de": "Ein Kürzel besteht aus Kleinbuchstaben (a bis z), Ziffern und "
                "Bindestrichen, beginnt mit einem Buchstaben und hat höchstens 40 Zeichen.",
                "en": "A code consists of lower-case letters (a to z), digits and hyphens, starts "
                "with a letter and has at most 40 characters.",
            },
            "fees.error.label.missing": {
                "de": "Bitte geben Sie eine Bezeichnung an.",
                "en": "Please give a label.",
            },
            "fees.error.label.too_long": {
                "de": "Die Bezeichnung ist zu lang (höchstens 100 Zeichen).",
                "en": "The label is too long (at most 100 characters).",
            },
            "fees.error.label.invalid": {
                "de": "Bitte geben Sie die Bezeichnung als Text an.",
                "en": "Please give the label as text.",
            },
            "fees.error.label.control_characters": {
                "de": "Die Bezeichnung enthält unzulässige Steuerzeichen.",
                "en": "The label contains control characters that are not allowed.",
            },
            "fees.error.label.broken_encoding": {
                "de": "Die Bezeichnung enthält Zeichen, die nicht gelesen werden konnten.",
                "en": "The label contains characters that could not be read.",
            },
            "fees.error.yearly_fee.missing": {
                "de": "Bitte geben Sie den Jahresbeitrag an (0 für beitragsfrei).",
                "en": "Please give the yearly fee (0 if there is none).",
            },
            "fees.error.yearly_fee.invalid": {
                "de": "Bitte geben Sie den Jahresbeitrag in Euro an, mit höchstens zwei "
                "Nachkommastellen und höchstens 1.000.000, z. B. 120,00.",
                "en": "Please give the yearly fee in euros, with at most two decimals and at "
                "most 1,000,000, e.g. 120.00.",
            },
            "fees.form_reused": {
                "de": "Dieses Formular wurde schon mit anderen Angaben gesendet. Bitte prüfen "
                "Sie die Angaben und senden Sie sie noch einmal.",
                "en": "This form was already sent with other entries. Please check the entries "
                "and send them again.",
            },
            # --- the staff page (fees.web.control) ---
            "fees.title": {"de": "Beitragsordnung", "en": "Fee schedule"},
            "fees.in_force": {"de": "Zurzeit gültig", "en": "In force now"},
            "fees.since": {"de": "Gültig seit {day}", "en": "In force since {day}"},
            "fees.none_in_force": {
                "de": "Zurzeit gilt keine Beitragsordnung.",
                "en": "No fee schedule is in force at present.",
            },
            "fees.upcoming": {"de": "Geplante Fassungen", "en": "Upcoming versions"},
            "fees.from": {"de": "Ab {day}", "en": "From {day}"},
            "fees.past": {"de": "Frühere Fassungen", "en": "Earlier versions"},
            "fees.range": {"de": "{start} bis {end}", "en": "{start} to {end}"},
            "fees.column.code": {"de": "Kürzel", "en": "Code"},
            "fees.column.label": {"de": "Bezeichnung", "en": "Label"},
            "fees.column.fee": {"de": "Jahresbeitrag", "en": "Yearly fee"},
            "fees.set": {"de": "Neue Fassung festlegen", "en": "Set a new version"},
            "fees.set.intro": {
                "de": "Eine Fassung gilt ab ihrem Datum, bis eine spätere sie ablöst. Gibt es für "
                "das Datum schon eine Fassung, wird sie ersetzt.",
                "en": "A version is in force from its date until a later one replaces it. A "
                "version already set for that date is replaced.",
            },
            "fees.field.effective_from": {"de": "Gültig ab", "en": "In force from"},
            "fees.rows.hint": {
                "de": "Vorausgefüllt mit den zurzeit gültigen Beitragsarten. Um eine Beitragsart "
                "zu entfernen, leeren Sie ihr Kürzel: Zeilen ohne Kürzel werden nicht "
                "gespeichert.",
                "en": "Filled in with the types in force now. To remove a type, clear its code: "
                "rows without a code are not saved.",
            },
            "fees.row": {"de": "Beitragsart {n}", "en": "Membership type {n}"},
            "fees.field.code": {"de": "Kürzel", "en": "Code"},
            "fees.field.code.hint": {
                "de": "Kürzel: Kleinbuchstaben, Ziffern und Bindestriche, z. B. firma-klein.",
                "en": "Codes: lower-case letters, digits and hyphens, e.g. company-small.",
            },
            "fees.field.label_de": {"de": "Bezeichnung (deutsch)", "en": "Label (German)"},
            "fees.field.label_en": {"de": "Bezeichnung (englisch)", "en": "Label (English)"},
            "fees.field.yearly_fee": {"de": "Jahresbeitrag (€)", "en": "Yearly fee (€)"},
            "fees.save": {"de": "Fassung speichern", "en": "Save version"},
            "fees.done.set": {
                "de": "Die Fassung ist gespeichert.",
                "en": "The version is saved.",
            },
        }
    )
)
