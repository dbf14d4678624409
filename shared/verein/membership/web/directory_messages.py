"""Texts of the register's directory (search, filters, the CSV's further columns), German and
English; merged into ``MESSAGES``."""

from __future__ import annotations

from verein.web.i18n import Catalogue

DIRECTORY = Catalogue(
    {
        # --- the register page (membership/web/control/register.py) ---
        "control.nav.members": {"de": "Mitglieder", "en": "Members"},
        "control.nav.applications": {"de": "Anträge", "en": "Applications"},
        "control.open_applications": {"de": "Offene Anträge", "en": "Open applications"},
        "control.field.q": {"de": "Suche", "en": "Search"},
        "control.q_hint": {
            "de": "Name, Organisation, E-Mail oder Mitgliedsnummer",
            "en": "Name, organisation, e-mail or member number",
        },
        "control.field.type": {"de": "Art", "en": "Type"},
        "control.field.group": {"de": "Arbeitsgruppe", "en": "Working group"},
        "control.all": {"de": "Alle", "en": "All"},
        "control.order.name": {"de": "Nach Name", "en": "By name"},
        "control.column.status": {"de": "Status", "en": "Status"},
        "control.column.number": {"de": "Nr.", "en": "No."},
        "control.closed_group": {"de": "{name} (geschlossen)", "en": "{name} (closed)"},
        "control.none_found": {
            "de": "Niemand passt zu dieser Suche.",
            "en": "Nobody matches this search.",
        },
        "control.empty": {
            "de": "Noch keine Anträge und keine Mitglieder.",
            "en": "No applications and no members yet.",
        },
        "control.clear_filters": {"de": "Alle anzeigen", "en": "Show everyone"},
        "control.results": {"de": "Ergebnisse", "en": "Results"},
        # --- the staff API's list (membership/web/staff.py) ---
        "error.by_name_only": {
            "de": "Nur mit der Reihenfolge nach Name (order=name).",
            "en": "Only with the order by name (order=name).",
        },
        # --- the CSV's further columns (membership/web/export.py) ---
        "export.street": {"de": "Straße", "en": "Street"},
        "export.postal_code": {"de": "PLZ", "en": "Postcode"},
        "export.city": {"de": "Ort", "en": "City"},
        "export.phone": {"de": "Telefon", "en": "Phone"},
        "export.member_since": {"de": "Mitglied seit", "en": "Member since"},
        "export.ends_on": {"de": "Mitglied bis", "en": "Member until"},
    }
)
