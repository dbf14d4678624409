"""The person page's forms after the application, in-process through the staff web function:
notice and taking it back, exclusion, contact details, the type, and the page as of a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.unit.test_staff_app import App, decision_form, signed_in
from verein.kernel.clock import today
from verein.membership.notice import NoticePolicy
from verein.staff_app.pages import local_date


@pytest.fixture
def app(template, tmp_path) -> App:
    return App(template, tmp_path)


def member(app: App, **changes: str):
    member_id = app.apply(**changes)
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    browser.post(f"/control/members/{member_id}/approve", decision_form(page, "approve"))
    return browser, member_id


def events(app: App, member_id: str) -> list[str]:
    return [e.payload.event_type for e in app.adapters.event_store.load(f"member#{member_id}")]


def test_a_notice_takes_effect_at_the_term_end_and_can_be_taken_back(app):
    browser, member_id = member(app)
    page = browser.get(f"/control/members/{member_id}")
    default_end = local_date(NoticePolicy().last_day(today()), "de")
    assert f"wirkt zum {default_end}" in page.text
    form = decision_form(page, "terminate", notice_reason="Geschäftsaufgabe")
    done = browser.post(f"/control/members/{member_id}/terminate", form)
    assert "Die Kündigung ist erfasst." in done.text and "Gekündigt" in done.text
    assert f"letzter Tag {default_end}" in done.text and "Geschäftsaufgabe" in done.text
    again = browser.post(f"/control/members/{member_id}/terminate", form)  # resent form
    assert again.status == 200 and events(app, member_id).count("NoticeGiven") == 1
    back = browser.post(
        f"/control/members/{member_id}/withdraw-notice", decision_form(done, "withdraw-notice")
    )
    assert "Die Kündigung ist zurückgenommen." in back.text
    assert events(app, member_id)[-1] == "NoticeWithdrawn"


def test_a_notice_ending_before_today_is_explained_at_its_field(app):
    browser, member_id = member(app)
    page = browser.get(f"/control/members/{member_id}?lang=en")
    yesterday = (today() - timedelta(days=1)).isoformat()
    form = decision_form(page, "terminate", effective=yesterday, lang="en")
    refused = browser.post(f"/control/members/{member_id}/terminate", form)
    assert refused.status == 422 and "The membership cannot end before today." in refused.text
    bad = decision_form(page, "terminate", effective="31.12.", lang="en")
    refused = browser.post(f"/control/members/{member_id}/terminate", bad)
    assert refused.status == 422 and 'href="#effective"' in refused.text
    assert events(app, member_id)[-1] == "MembershipApproved"


def test_an_exclusion_needs_its_reason_and_ends_the_membership(app):
    browser, member_id = member(app)
    page = browser.get(f"/control/members/{member_id}")
    empty = browser.post(f"/control/members/{member_id}/exclude", decision_form(page, "exclude"))
    assert empty.status == 422 and 'href="#exclude_reason"' in empty.text
    assert "Bitte geben Sie den Grund des Ausschlusses an." in empty.text
    form = decision_form(page, "exclude", exclude_reason="Beschluss vom 1. März")
    done = browser.post(f"/control/members/{member_id}/exclude", form)
    assert "Das Mitglied ist ausgeschlossen." in done.text and "Beendet" in done.text
    assert "Mitglied ausschließen" not in done.text  # nothing left to end


def contact_form(page, **fields: str) -> dict[str, str]:
    names = ("applicant_name", "organisation", "email", "street", "postal_code", "city", "phone")
    rows = [f"contact_{i}_{k}" for i in range(10) for k in ("name", "role", "email", "phone")]
    shown = [n for n in rows if f'name="{n}"' in page.text]
    form = decision_form(page, "contact", **{n: page.field(n) for n in (*names, *shown)})
    return {**form, **fields}


def test_contact_details_record_only_what_changed(app):
    browser, member_id = member(app, organisation="")
    page = browser.get(f"/control/members/{member_id}")
    form = contact_form(
        page,
        organisation="Müller & Söhne GmbH",
        street="Hauptstraße 1",
        postal_code="12345",
        city="Musterstadt",
        contact_0_name="Eva Müller",
        contact_0_role="Geschäftsführung",
    )
    done = browser.post(f"/control/members/{member_id}/contact", form)
    assert "Die Kontaktdaten sind gespeichert." in done.text
    assert "Müller &amp; Söhne GmbH" in done.text and "Eva Müller (Geschäftsführung)" in done.text
    (changed,) = [
        e.payload
        for e in app.adapters.event_store.load(f"member#{member_id}")
        if e.payload.event_type == "ContactDetailsChanged"
    ]
    assert changed.applicant_name is None and changed.email is None  # unchanged: not recorded
    assert "Firma, Straße, PLZ, Ort, Ansprechpersonen" in done.text
    unchanged = browser.post(f"/control/members/{member_id}/contact", contact_form(done))
    assert unchanged.status == 200 and events(app, member_id).count("ContactDetailsChanged") == 1


def test_a_bad_postcode_is_shown_at_its_field_and_changes_nothing(app):
    browser, member_id = member(app)
    page = browser.get(f"/control/members/{member_id}?lang=en")
    form = contact_form(page, postal_code="<12>", lang="en")
    refused = browser.post(f"/control/members/{member_id}/contact", form)
    assert refused.status == 422 and 'href="#postal_code"' in refused.text
    assert "Please give a valid postcode." in refused.text
    assert "ContactDetailsChanged" not in events(app, member_id)


def test_the_type_changes_from_a_date_and_the_page_says_until_when_the_old_one_applies(app):
    browser, member_id = member(app)
    page = browser.get(f"/control/members/{member_id}")
    start = date(today().year + 1, 1, 1)
    form = decision_form(page, "type", membership_type="individual", type_effective=str(start))
    done = browser.post(f"/control/members/{member_id}/type", form)
    assert "Die Mitgliedsart ist geändert." in done.text
    assert f"Unternehmen (ab {local_date(start, 'de')}: Einzelperson)" in done.text
    unknown = decision_form(done, "type", membership_type="gold", type_effective=str(start))
    refused = browser.post(f"/control/members/{member_id}/type", unknown)
    assert refused.status == 422 and "steht nicht in der Beitragsordnung" in refused.text


def test_the_page_as_of_a_day_shows_the_member_then_and_offers_no_changes(app):
    browser, member_id = member(app)
    yesterday = (today() - timedelta(days=1)).isoformat()
    before = browser.get(f"/control/members/{member_id}?as_of={yesterday}")
    assert "An diesem Tag lag noch kein Antrag vor." in before.text
    assert "Antrag annehmen" not in before.text and "Kündigung erfassen" not in before.text
    now = browser.get(f"/control/members/{member_id}?as_of={today().isoformat()}")
    assert "Mitglied Nr. 1" in now.text or ">1</dd>" in now.text
    bad = browser.get(f"/control/members/{member_id}?as_of=gestern")
    assert bad.status == 422 and "Bitte geben Sie ein Datum an" in bad.text
