"""Which mails a membership commit causes and what they say (``membership.mails``): a receipt,
a welcome, a rejection with its reason, a withdrawal's confirmation, in the application's
language, naming the association and the person; a note causes none."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from verein.eventstore import DomainEvent, RecordedEvent
from verein.kernel.domain_events import EventMetadata
from verein.mail.message import Mail
from verein.membership.domain_events import (
    ApplicationRejected,
    ApplicationWithdrawn,
    MemberNoteAdded,
    MembershipApplied,
    MembershipApproved,
    MembershipType,
    NoticeGiven,
)
from verein.membership.mail_texts import MAIL_TEXTS
from verein.membership.mails import MAILED, Recipient, causes_mail, mails_for
from verein.membership.web.reference import reference
from verein.settings import Association

MEMBER_ID = str(uuid.UUID(int=7))
REFERENCE = reference(MEMBER_ID)
ASSOCIATION = Association(
    name="Gewerbeverein Beispielstadt e.V.",
    email="kontakt@gewerbe.example",
    privacy_notice_url="https://gewerbe.example/datenschutz",
    imprint_url="https://gewerbe.example/impressum",
)


def applied(language: str = "de", **changes) -> MembershipApplied:
    values = {
        "applicant_name": "Erika Mustermann",
        "email": "erika@example.org",
        "organisation": "Muster & Söhne GmbH",
        "membership_type": MembershipType.COMPANY,
        "language": language,
        "privacy_consent": True,
        "consent_version": f"{language}-0123456789ab",
        **changes,
    }
    return MembershipApplied(**values)


def to(application: MembershipApplied) -> Recipient:
    return Recipient(application.applicant_name, application.email, application.language)


def recorded(payload: DomainEvent, version: int = 1) -> RecordedEvent:
    metadata = EventMetadata(
        event_id=str(uuid.uuid4()),
        occurred_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        correlation_id="c",
        actor="staff:anna",
        subject_id=MEMBER_ID,
    )
    return RecordedEvent(f"member#{MEMBER_ID}", version, payload, metadata)


def only_mail(payload: DomainEvent, language: str = "de") -> tuple[RecordedEvent, str, Mail]:
    event = recorded(payload, version=1 if isinstance(payload, MembershipApplied) else 2)
    ((key, mail),) = mails_for([event], to(applied(language)), ASSOCIATION)
    return event, key, mail


def assert_common(mail: Mail, language: str) -> None:
    """Every mail: to the applicant, by name, from the association, with its contact, in the
    application's language, as text and HTML (with the same links)."""
    greeting = {"de": "Guten Tag Erika Mustermann,", "en": "Dear Erika Mustermann,"}[language]
    closing = {"de": "Mit freundlichen Grüßen", "en": "Kind regards"}[language]
    assert mail.to == "erika@example.org"
    assert ASSOCIATION.name in mail.subject
    assert mail.text.startswith(greeting + "\n")
    assert f"<p>{greeting}</p>" in mail.html
    assert f'<html lang="{language}">' in mail.html
    for body in (mail.text, mail.html):
        assert closing in body
        assert ASSOCIATION.name in body
        assert ASSOCIATION.email in body
    assert set(mail.links) >= {ASSOCIATION.privacy_notice_url, ASSOCIATION.imprint_url}


LANGUAGES = ["de", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_application_gets_a_receipt_with_its_reference_and_what_happens_next(language):
    event, key, mail = only_mail(applied(language), language)
    assert key == event.metadata.event_id
    assert_common(mail, language)
    assert REFERENCE in mail.subject
    what_next = {"de": "Wie es weitergeht:", "en": "What happens next:"}[language]
    company = {"de": "Unternehmen", "en": "Company"}[language]
    for body in (mail.text, mail.html):
        assert REFERENCE in body
        assert what_next in body
        assert company in body
    assert "Muster & Söhne GmbH" in mail.text  # plain text is not escaped
    assert "Muster &amp; Söhne GmbH" in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_approval_gets_a_welcome_with_the_member_number(language):
    _, _, mail = only_mail(MembershipApproved(member_number=42), language)
    assert_common(mail, language)
    number = {"de": "Ihre Mitgliedsnummer", "en": "your member number"}[language]
    assert f"{number} 42" in mail.subject
    welcome = {"de": "Herzlich willkommen!", "en": "Welcome!"}[language]
    for body in (mail.text, mail.html):
        assert welcome in body
    assert "42\n" in mail.text and "<strong>42</strong>" in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rejection_tells_the_reason_as_staff_wrote_it(language):
    reason = "Die Satzung sieht <Mitglieder> aus der Region vor.\nBitte melden Sie sich 2027."
    _, _, mail = only_mail(ApplicationRejected(reason=reason), language)
    assert_common(mail, language)
    assert REFERENCE in mail.subject
    label = {"de": "Begründung:", "en": "Reason:"}[language]
    assert f"{label}\n    Die Satzung sieht <Mitglieder> aus der Region vor.\n" in mail.text
    assert "    Bitte melden Sie sich 2027.\n" in mail.text
    assert (
        "Die Satzung sieht &lt;Mitglieder&gt; aus der Region vor.\nBitte melden Sie sich 2027."
        in mail.html
    )
    assert "<Mitglieder>" not in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_withdrawal_is_confirmed(language):
    _, _, mail = only_mail(ApplicationWithdrawn(reason="intern: zu teuer"), language)
    assert_common(mail, language)
    confirmed = {"de": "zurückgezogen haben", "en": "you have withdrawn"}[language]
    for body in (mail.text, mail.html):
        assert confirmed in body
        assert REFERENCE in body
        assert "zu teuer" not in body  # the recorded reason is staff's, not the mail's


def test_a_note_causes_no_mail():
    note = [recorded(MemberNoteAdded(text="Rückruf am Montag"), version=2)]
    assert not causes_mail(note)
    assert mails_for(note, to(applied()), ASSOCIATION) == []


def test_a_commit_with_two_domain_events_causes_two_mails_with_their_own_keys():
    commit = [
        recorded(applied(), 1),
        recorded(MemberNoteAdded(text="x"), 2),
        recorded(MembershipApproved(member_number=1), 3),
    ]
    assert causes_mail(commit)
    mails = mails_for(commit, to(applied()), ASSOCIATION)
    assert [key for key, _ in mails] == [commit[0].metadata.event_id, commit[2].metadata.event_id]
    assert "Mitgliedsnummer 1" in mails[1][1].subject


def test_names_and_organisations_cannot_add_markup_to_the_html():
    person = applied(applicant_name='Eve <img src=x onerror="x()">', organisation="<b>Evil</b>")
    ((_, mail),) = mails_for([recorded(person)], to(person), ASSOCIATION)
    assert "<img" not in mail.html and "<b>" not in mail.html
    assert "&lt;img" in mail.html and "&lt;b&gt;Evil" in mail.html
    assert 'Eve <img src=x onerror="x()">' in mail.text


def test_an_unknown_language_falls_back_to_german():
    person = applied("fr")
    ((_, mail),) = mails_for([recorded(person)], to(person), ASSOCIATION)
    assert mail.text.startswith("Guten Tag Erika Mustermann,")


def test_every_mail_text_is_used_and_every_mailed_domain_event_has_both_templates():
    from verein.membership.mails import TEMPLATES

    for kind in MAILED.values():
        assert (TEMPLATES / f"{kind}.txt").is_file() and (TEMPLATES / f"{kind}.html").is_file()
    sources = "".join(p.read_text() for p in TEMPLATES.iterdir())
    code = (TEMPLATES.parents[3] / "mails.py").read_text()
    unused = [
        k
        for k in MAIL_TEXTS.keys()  # noqa: SIM118 - a Catalogue: keys() is all it has
        if f'"{k}"' not in sources
        and not k.endswith(".subject")
        and not k.startswith(("membership_type.", "month."))
    ]
    assert not unused, unused
    assert 'f"{kind}.subject"' in code


@pytest.mark.parametrize(
    ("language", "ends"),
    [
        ("de", "Ihre Mitgliedschaft endet mit Ablauf des 31. Dezember 2026."),
        ("en", "Your membership ends at the end of 31 December 2026."),
    ],
)
def test_a_notice_is_confirmed_with_the_last_day(language, ends):
    notice = NoticeGiven(ends_on=date(2026, 12, 31), given_on=date(2026, 3, 1), by_member=False)
    _, _, mail = only_mail(notice, language)
    assert ends in mail.text and ends in mail.html
    assert_common(mail, language)


def test_every_month_has_its_name_in_a_long_date():
    from verein.membership.mails import long_date

    names = {long_date(date(2026, month, 1), "de").split()[1] for month in range(1, 13)}
    assert len(names) == 12 and "März" in names
    assert long_date(date(2026, 5, 9), "en") == "9 May 2026"
