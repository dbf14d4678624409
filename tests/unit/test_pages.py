"""Pages: Jinja2 templates with autoescaping, the association on every page, the form's parts."""

import base64
import hashlib
import re

import pytest

from verein.membership.web.consent import consent_text, consent_version
from verein.membership.web.form import render_form
from verein.membership.web.reference import is_reference, reference
from verein.settings import Association, Settings, SettingsError
from verein.web.errors import FieldError
from verein.web.html import PAGE_CSP
from verein.web.pages import association, message_page
from verein.web.resolver import rejected
from verein.web.screening import FORM, Rejection

SITE = Association()


@pytest.fixture
def other_association(monkeypatch):
    monkeypatch.setenv("ASSOCIATION_NAME", "Werbering <Süd> & Co. e.V.")
    monkeypatch.setenv("ASSOCIATION_EMAIL", "kontakt@werbering.example")
    monkeypatch.setenv("PRIVACY_NOTICE_URL", "https://werbering.example/ds?a=1&b=2")
    monkeypatch.setenv("IMPRINT_URL", "https://werbering.example/impressum")
    association.cache_clear()
    yield
    association.cache_clear()


def test_the_association_comes_from_the_settings_and_is_escaped_on_every_page(other_association):
    for page in (render_form("de"), message_page("Zu groß", "Bitte zurück.", "en")):
        assert "Werbering &lt;Süd&gt; &amp; Co. e.V." in page and "<Süd>" not in page
        assert 'href="mailto:kontakt@werbering.example"' in page
        assert 'href="https://werbering.example/ds?a=1&amp;b=2"' in page
        assert 'href="https://werbering.example/impressum"' in page


def test_the_defaults_make_a_working_site_and_bad_values_fail_the_cold_start():
    assert SITE.name == "Stadtmarketing Musterstadt e.V."
    base = {"EVENT_STORE_TABLE": "t", "VIEWS_TABLE": "v"}
    assert Settings.from_environment(environ=base).association == SITE
    for name, value in (("IMPRINT_URL", "javascript:alert(1)"), ("ASSOCIATION_EMAIL", "x")):
        with pytest.raises(SettingsError, match=name):
            Settings.from_environment(environ={**base, name: value})


def test_the_page_style_is_the_one_the_policy_admits_and_no_page_has_a_script():
    for page in (render_form("de"), render_form("en", {}, [FieldError("name", "x")])):
        style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in PAGE_CSP
        assert "<script" not in page and " style=" not in page


def test_the_form_marks_required_fields_and_says_what_to_autocomplete():
    page = render_form("de")
    inputs = {m.group(1): m.group(0) for m in re.finditer(r'<input [^>]*id="([^"]+)"[^>]*>', page)}
    assert 'autocomplete="name"' in inputs["name"] and 'autocomplete="email"' in inputs["email"]
    assert 'autocomplete="organization"' in inputs["organisation"]
    for field in ("name", "email", "privacy_consent"):
        assert " required" in inputs[field] and 'aria-required="true"' in inputs[field]
    assert " required" not in inputs["organisation"]
    assert page.count('class="required" aria-hidden="true">*</span>') == 4  # and the legend
    assert "Pflichtfelder sind mit * markiert." in page
    for field in ("name", "email", "organisation"):
        assert f'<label for="{field}">' in page


def test_after_a_failed_post_focus_goes_to_a_summary_that_links_to_each_field():
    errors = [
        FieldError("email", "Bitte eine gültige Adresse."),
        FieldError("membership_type", "Bitte wählen."),
        FieldError("privacy_consent", "Ohne Einwilligung nicht."),
        FieldError("", "Die Anfrage konnte nicht gelesen werden."),
    ]
    page = render_form("de", {"email": "kaputt"}, errors)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert 'tabindex="-1"' in summary.group(0) and "autofocus" in summary.group(0)
    targets = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    assert targets == ["email", "membership_type-company", "privacy_consent"]
    for target in targets:
        assert f'id="{target}"' in page
    assert "Die Anfrage konnte nicht gelesen werden." in summary.group(1)
    assert page.count("autofocus") == 1
    assert "autofocus" not in render_form("de")  # no errors, no summary to focus


def test_the_consent_names_the_controller_links_the_notice_and_has_a_version():
    page = render_form("en")
    assert consent_text("en", SITE) in page
    assert "Stadtmarketing Musterstadt e.V. (the controller, info@verein.example)" in page
    assert '<a href="https://verein.example/datenschutz">' in page
    assert re.fullmatch(r"de-[0-9a-f]{12}", consent_version("de", SITE))
    assert consent_version("de", SITE) == consent_version("de", Association())
    others = {
        consent_version("en", SITE),
        consent_version("de", SITE.model_copy(update={"name": "Anderer e.V."})),
        consent_version("de", SITE.model_copy(update={"privacy_notice_url": "https://x.example"})),
    }
    assert consent_version("de", SITE) not in others and len(others) == 3


def test_a_reference_is_short_stable_and_readable():
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(2000)]
    references = [reference(i) for i in ids]
    assert all(is_reference(r) and len(r) == 11 for r in references)
    assert reference(ids[0]) == reference(ids[0])
    assert len(set(references)) == len(ids)
    assert not any(set(r) & set("ILOU") for r in references)
    for text in (None, "", "A-1234-567", "a-1234-5678", "A-1234-567I", "A-1234-5678 x"):
        assert not is_reference(text)


def test_a_turned_away_form_post_gets_a_page_in_the_layout():
    event = {"headers": {"accept-language": "en"}, "queryStringParameters": None}
    answer = rejected(event, Rejection(413, "problem.too_large", FORM))
    assert answer["statusCode"] == 413
    assert "The request is too large." in answer["body"]
    assert "Stadtmarketing Musterstadt e.V." in answer["body"] and 'lang="en"' in answer["body"]


def test_the_navigation_marks_the_most_specific_entry_of_the_page_shown():
    from verein.staff_app.pages import current_link
    from verein.web.pages import Link

    nav = [
        Link("Kennzahlen", "/control/dashboard?lang=de"),
        Link("Mitglieder", "/control/members?lang=de"),
        Link("Anträge", "/control/members?status=applied&order=oldest&lang=de"),
    ]
    queue = {"status": "applied", "order": "oldest", "lang": "en"}
    assert current_link(nav, "/control/members", queue) == nav[2].href
    assert current_link(nav, "/control/members", {"status": "active"}) == nav[1].href
    assert current_link(nav, "/control/members", None) == nav[1].href
    assert current_link(nav, "/control/members/1234", None) == nav[1].href  # a person's page
    assert current_link(nav, "/control/fees", None) is None
    assert current_link(nav, "/control/membersx", None) is None
