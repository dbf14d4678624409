"""Working groups' texts, German and English (the shared ones: ``verein.web.i18n.COMMON``).
Every key starts with ``groups.``, so that no other feature's catalogue can clash with it."""

from __future__ import annotations

from verein.web.i18n import COMMON, Catalogue

MESSAGES = COMMON.merged(
    Catalogue(
        {
            # --- rules (groups.decider, groups.usecases) ---
            "groups.name_taken": {
                "de": "Eine offene Arbeitsgruppe mit diesem Namen gibt es schon.",
                "en": "There is an open group with this name already.",
            },
            "groups.unknown": {
                "de": "Diese Arbeitsgruppe gibt es nicht.",
                "en": "There is no such group.",
            },
            "groups.closed": {
                "de": "Diese Arbeitsgruppe ist geschlossen: sie nimmt keine neuen Mitglieder auf "
                "und kann nicht mehr geändert werden.",
                "en": "This group is closed: it takes no new members and cannot be changed "
                "any more.",
            },
            "groups.form_reused": {
                "de": "Dieses Formular wurde schon einmal mit anderen Angaben abgeschickt. Bitte "
                "laden Sie die Seite neu.",
                "en": "This form was sent before with other values. Please reload the page.",
            },
            # --- the pages ---
            "groups.title": {"de": "Arbeitsgruppen", "en": "Working groups"},
            "groups.intro": {
                "de": "Arbeitskreise und Projektgruppen des Vereins. Mitglieder nehmen Sie auf "
                "der Seite der Person in eine Gruppe auf.",
                "en": "The association's working groups and project groups. Add a member to a "
                "group on the person's page.",
            },
            "groups.kind.working_group": {"de": "Arbeitskreis", "en": "Working group"},
            "groups.kind.project_group": {"de": "Projektgruppe", "en": "Project group"},
            "groups.status.open": {"de": "Offen", "en": "Open"},
            "groups.status.closed": {"de": "Geschlossen", "en": "Closed"},
            "groups.column.name": {"de": "Name", "en": "Name"},
            "groups.column.kind": {"de": "Art", "en": "Kind"},
            "groups.column.status": {"de": "Status", "en": "Status"},
            "groups.column.description": {"de": "Beschreibung", "en": "Description"},
            "groups.none": {
                "de": "Es gibt noch keine Arbeitsgruppen.",
                "en": "There are no groups yet.",
            },
            "groups.create": {"de": "Arbeitsgruppe anlegen", "en": "Create a group"},
            "groups.field.name": {"de": "Name", "en": "Name"},
            "groups.field.name.hint": {
                "de": "Zum Beispiel „Arbeitskreis Wirtschaft“ oder „Marktplatz“.",
                "en": "For example “Arbeitskreis Wirtschaft” or “Marktplatz”.",
            },
            "groups.field.kind": {"de": "Art", "en": "Kind"},
            "groups.field.description": {
                "de": "Beschreibung (optional)",
                "en": "Description (optional)",
            },
            "groups.save_new": {"de": "Gruppe anlegen", "en": "Create the group"},
            "groups.edit": {"de": "Name und Beschreibung", "en": "Name and description"},
            "groups.save": {"de": "Änderungen speichern", "en": "Save changes"},
            "groups.close": {"de": "Gruppe schließen", "en": "Close the group"},
            "groups.close.hint": {
                "de": "Eine geschlossene Gruppe nimmt keine neuen Mitglieder auf und bleibt als "
                "geschlossen aufgeführt. Das lässt sich nicht rückgängig machen.",
                "en": "A closed group takes no new members and stays listed as closed. This "
                "cannot be undone.",
            },
            "groups.closed.hint": {
                "de": "Diese Gruppe ist geschlossen: sie nimmt keine neuen Mitglieder auf.",
                "en": "This group is closed: it takes no new members.",
            },
            "groups.members": {"de": "Mitglieder anzeigen", "en": "Show members"},
            "groups.members.hint": {
                "de": "Mitglieder nehmen Sie auf der Seite der Person in die Gruppe auf.",
                "en": "Add members to the group on the person's page.",
            },
            "groups.back": {"de": "Zurück zu den Arbeitsgruppen", "en": "Back to the groups"},
            "groups.summary": {"de": "Übersicht", "en": "Summary"},
            "groups.done.created": {
                "de": "Die Arbeitsgruppe ist angelegt.",
                "en": "The group is created.",
            },
            "groups.done.changed": {
                "de": "Die Änderungen sind gespeichert.",
                "en": "The changes are saved.",
            },
            "groups.done.closed": {
                "de": "Die Arbeitsgruppe ist geschlossen.",
                "en": "The group is closed.",
            },
            "groups.not_found": {
                "de": "Arbeitsgruppe nicht gefunden",
                "en": "Group not found",
            },
            "groups.refused": {"de": "Das ging nicht", "en": "That did not work"},
            "groups.back_to_person": {"de": "Zurück zur Person", "en": "Back to the person"},
            "groups.choose": {
                "de": "Bitte wählen Sie eine Arbeitsgruppe.",
                "en": "Please choose a group.",
            },
        }
    )
)
