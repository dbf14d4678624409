"""Texts of the staff dashboard (``control/dashboard.py``), German and English; merged into
``MESSAGES``."""

from __future__ import annotations

from verein.web.i18n import Catalogue, Texts

_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_SHORT = {
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def _months() -> Texts:
    """``dashboard.month.<1-12>`` (``März``) and ``dashboard.month_short.<1-12>`` (``Mär``)."""
    return {
        f"dashboard.{kind}.{n + 1}": {"de": names["de"][n], "en": names["en"][n]}
        for kind, names in (("month", _MONTHS), ("month_short", _SHORT))
        for n in range(12)
    }


DASHBOARD = Catalogue(
    {
        "dashboard.title": {"de": "Kennzahlen", "en": "Dashboard"},
        "dashboard.as_of": {"de": "Stand: {day}", "en": "As of {day}"},
        "dashboard.card.members": {"de": "Mitglieder", "en": "Members"},
        "dashboard.card.terminating": {
            "de": "davon {count} gekündigt",
            "en": "{count} of them under notice",
        },
        "dashboard.card.open": {"de": "Offene Anträge", "en": "Open applications"},
        "dashboard.card.oldest": {
            "de": "der älteste wartet {age}",
            "en": "the oldest waiting: {age}",
        },
        "dashboard.card.joins": {"de": "Beitritte in 24 Monaten", "en": "Joins in 24 months"},
        "dashboard.card.leaves": {"de": "Austritte in 24 Monaten", "en": "Leaves in 24 months"},
        "dashboard.card.income": {
            "de": "Erwartete Beiträge im Jahr",
            "en": "Expected fees a year",
        },
        "dashboard.card.unknown": {"de": "unbekannt", "en": "unknown"},
        "dashboard.by_status": {"de": "Nach Status", "en": "By status"},
        "dashboard.by_type": {"de": "Mitglieder nach Art", "en": "Members by type"},
        "dashboard.column.status": {"de": "Status", "en": "Status"},
        "dashboard.column.count": {"de": "Anzahl", "en": "Number"},
        "dashboard.column.members": {"de": "Mitglieder", "en": "Members"},
        "dashboard.column.expected": {"de": "Erwartet im Jahr", "en": "Expected a year"},
        "dashboard.column.month": {"de": "Monat", "en": "Month"},
        "dashboard.column.joins": {"de": "Beitritte", "en": "Joins"},
        "dashboard.column.leaves": {"de": "Austritte", "en": "Leaves"},
        "dashboard.column.applicant": {"de": "Antrag", "en": "Application"},
        "dashboard.column.waiting": {"de": "Wartet", "en": "Waiting"},
        "dashboard.total": {"de": "Summe", "en": "Total"},
        "dashboard.no_members": {"de": "Noch keine Mitglieder.", "en": "No members yet."},
        "dashboard.chart": {
            "de": "Beitritte und Austritte je Monat",
            "en": "Joins and leaves per month",
        },
        "dashboard.chart.period": {
            "de": "{first} bis {last}; der laufende Monat bis heute.",
            "en": "{first} to {last}; the current month up to today.",
        },
        "dashboard.chart.summary": {
            "de": "Balkendiagramm der Beitritte und Austritte je Monat, {first} bis {last}, "
            "insgesamt Beitritte: {joins}, Austritte: {leaves}. Die Zahlen je Monat stehen "
            "in der Tabelle unter dem Diagramm.",
            "en": "Bar chart of joins and leaves per month, {first} to {last}, in all joins: "
            "{joins}, leaves: {leaves}. The numbers per month are in the table below the chart.",
        },
        "dashboard.chart.bar": {
            "de": "{month}: Beitritte {joins}, Austritte {leaves}",
            "en": "{month}: joins {joins}, leaves {leaves}",
        },
        "dashboard.chart.table": {
            "de": "Die Zahlen je Monat als Tabelle",
            "en": "The numbers per month as a table",
        },
        "dashboard.income": {"de": "Erwartete Beitragseinnahmen", "en": "Expected fee income"},
        "dashboard.income.intro": {
            "de": "Die Mitglieder von heute (auch gekündigte) mal der Jahresbeitrag ihrer Art "
            "in der Beitragsordnung, die seit {day} gilt.",
            "en": "Today's members (those under notice too) times the yearly fee of their type "
            "in the fee schedule in force since {day}.",
        },
        "dashboard.income.each": {"de": "Jahresbeitrag {fee}", "en": "yearly fee {fee}"},
        "dashboard.income.none": {
            "de": "Heute gilt keine Beitragsordnung. Welche Beiträge zu erwarten sind, ist "
            "daher unbekannt.",
            "en": "No fee schedule is in force today, so the fees to expect are unknown.",
        },
        "dashboard.income.schedule": {"de": "Zur Beitragsordnung", "en": "To the fee schedule"},
        "dashboard.income.no_fee": {"de": "Ohne bekannten Beitrag", "en": "No fee known"},
        "dashboard.income.no_fee_hint": {
            "de": "Mitglieder einer Art, die die geltende Beitragsordnung nicht nennt; sie "
            "fehlen in der Summe.",
            "en": "Members of a type the fee schedule in force does not list; they are not in "
            "the total.",
        },
        "dashboard.open.none": {"de": "Keine offenen Anträge.", "en": "No open applications."},
        "dashboard.open.oldest": {
            "de": "Die {shown} ältesten von {count}.",
            "en": "The oldest {shown} of {count}.",
        },
        "dashboard.open.all": {
            "de": "Alle offenen Anträge in der Liste",
            "en": "All open applications in the list",
        },
        "dashboard.open.received": {"de": "eingegangen am {day}", "en": "received on {day}"},
        "dashboard.age.0": {"de": "seit heute", "en": "since today"},
        "dashboard.age.1": {"de": "seit einem Tag", "en": "one day"},
        "dashboard.age.n": {"de": "seit {days} Tagen", "en": "{days} days"},
        **_months(),
    }
)
