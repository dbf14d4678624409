"""Language negotiation, translated validation messages and escaping of the HTML form."""

import pytest
from pydantic import ValidationError

from verein.web.errors import translate_errors
from verein.web.i18n import MESSAGES, negotiate
from verein.web.membership_form import MembershipApplicationRequest, render_form


@pytest.mark.parametrize(
    ("explicit", "header", "expected"),
    [
        (None, None, "de"),
        ("en", "de-DE", "en"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, de;q=0.8", "de"),
        (None, "fr", "de"),
        ("xx", "en", "en"),
        (None, "en;q=0, de;q=0.1", "de"),
    ],
)
def test_language_negotiation(explicit, header, expected):
    assert negotiate(explicit, header) == expected


def test_every_message_has_german_and_english():
    for key, texts in MESSAGES.items():
        assert set(texts) == {"de", "en"}, key
        assert all(texts.values()), key


def test_form_values_arrive_as_lists_and_are_accepted():
    request = MembershipApplicationRequest.model_validate(
        {
            "name": ["  Erika Muster "],
            "email": ["erika@example.org"],
            "organisation": [""],
            "membership_type": ["individual"],
            "privacy_consent": ["on"],
            "lang": ["en"],
        }
    )
    assert request.name == "Erika Muster"
    assert request.organisation is None
    assert request.privacy_consent is True


def test_invalid_input_is_explained_per_field_in_german_and_english():
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate(
            {"name": "", "email": "not-an-address", "membership_type": "club"}
        )
    errors = [{**e, "loc": ("body", *e["loc"])} for e in invalid.value.errors()]
    german = {e.field: e.message for e in translate_errors(errors, "de")}
    english = {e.field: e.message for e in translate_errors(errors, "en")}
    assert german["name"] == "Bitte geben Sie Ihren Namen an."
    assert german["email"] == "Bitte geben Sie eine gültige E-Mail-Adresse an."
    assert german["membership_type"] == "Bitte wählen Sie Unternehmen oder Einzelperson."
    assert german["privacy_consent"].startswith("Ohne Ihre Einwilligung")
    assert english["privacy_consent"].startswith("We cannot process")


def test_the_form_escapes_what_the_user_typed():
    html = render_form("de", {"name": '<script>alert("x")</script>'})
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert 'lang="de"' in html
