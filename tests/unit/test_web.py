"""Language negotiation, translated validation messages and escaping of the HTML form."""

import pytest
from pydantic import ValidationError

from verein.membership.web.form import MembershipApplicationRequest, render_form
from verein.membership.web.messages import MESSAGES
from verein.web.errors import translate_errors
from verein.web.i18n import COMMON, Catalogue, negotiate
from verein.web.inputs import form_input


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
        ("en,de", "de", "en"),
        ("fr,en", None, "en"),
    ],
)
def test_language_negotiation(explicit, header, expected):
    assert negotiate(explicit, header) == expected


@pytest.mark.parametrize(
    "texts",
    [{"a": {"de": "A"}}, {"a": {"de": "A", "en": ""}}, {"a": {"de": "A", "en": "A", "fr": "A"}}],
)
def test_every_message_needs_german_and_english(texts):
    with pytest.raises(ValueError, match="German and English"):
        Catalogue(texts)


def test_a_feature_cannot_change_another_catalogues_text():
    with pytest.raises(ValueError, match="error.missing"):
        COMMON.merged(Catalogue({"error.missing": {"de": "Fehlt", "en": "Missing"}}))
    same = {
        "error.missing": {
            "de": COMMON.translate("error.missing", "de"),
            "en": "Please fill in this field.",
        }
    }
    assert COMMON.merged(Catalogue(same)).keys() == COMMON.keys()


def test_a_feature_catalogue_has_its_own_texts_and_the_common_ones():
    assert MESSAGES.translate("form.title", "en") == "Membership application"
    assert MESSAGES.translate("problem.not_found", "de") == "Nicht gefunden"
    assert "form.title" not in COMMON
    assert MESSAGES.field_error("name", "missing", "en") == "Please enter your name."
    assert MESSAGES.field_error("name", "too_long", "en") == "This entry is too long."
    assert MESSAGES.field_error("name", "unheard_of", "en") == "This entry is not valid."


FORM_FIELDS = {
    "name": ["  Erika Muster "],
    "email": ["erika@example.org"],
    "organisation": [""],
    "membership_type": ["individual"],
    "privacy_consent": ["on"],
    "lang": ["en"],
}


@pytest.fixture
def as_form():
    token = form_input.set(True)
    yield
    form_input.reset(token)


def test_form_values_arrive_as_lists_and_are_accepted(as_form):
    request = MembershipApplicationRequest.model_validate(FORM_FIELDS)
    assert request.name == "Erika Muster"
    assert request.organisation is None
    assert request.privacy_consent is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ["a", "b"]), ("privacy_consent", ["yes"]), ("privacy_consent", ["true"])],
)
def test_a_form_sends_one_value_per_field_and_a_checkbox_only_as_on(as_form, field, value):
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**FORM_FIELDS, field: value})
    assert [e["loc"][0] for e in invalid.value.errors()] == [field]


JSON_FIELDS = {
    "name": "Erika",
    "email": "erika@example.org",
    "membership_type": "individual",
    "privacy_consent": True,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ["a"]),
        ("name", 7),
        ("privacy_consent", "yes"),
        ("privacy_consent", "on"),
        ("privacy_consent", 1),
        ("email", ["erika@example.org"]),
        ("membership_type", ["company"]),
        ("lang", ["en"]),
    ],
)
def test_json_is_taken_literally(field, value):
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**JSON_FIELDS, field: value})
    assert [e["loc"][0] for e in invalid.value.errors()] == [field]


@pytest.mark.parametrize(
    "address",
    [
        "Name <x@example.org>",
        "a" * 65 + "@example.org",
        "ß@example.org",
        '"a b"@example.org',
        "x@[127.0.0.1]",
        "x@example",
        "x" * 60 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".org",
    ],
)
def test_only_plain_deliverable_addresses_are_accepted(address):
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**JSON_FIELDS, "email": address})
    assert [e["loc"][0] for e in invalid.value.errors()] == ["email"]


def test_a_64_character_local_part_and_an_international_domain_are_fine():
    address = "a" * 64 + "@Straße.Example"
    request = MembershipApplicationRequest.model_validate({**JSON_FIELDS, "email": address})
    assert request.email == "a" * 64 + "@straße.example"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\u202e", "\n"])
def test_control_characters_are_refused_in_single_line_fields(char):
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**JSON_FIELDS, "name": f"Eri{char}ka"})
    errors = [{**e, "loc": ("body", *e["loc"])} for e in invalid.value.errors()]
    assert [(e.field, e.message) for e in translate_errors(errors, "en", MESSAGES)] == [
        ("name", "This entry contains control characters that are not allowed.")
    ]


def test_a_replacement_character_is_refused_as_text_that_was_not_utf8():
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**JSON_FIELDS, "name": "Eri\ufffdka"})
    errors = [{**e, "loc": ("body", *e["loc"])} for e in invalid.value.errors()]
    assert [(e.field, e.message) for e in translate_errors(errors, "de", MESSAGES)] == [
        ("name", "Diese Angabe enthält Zeichen, die nicht gelesen werden konnten.")
    ]


def test_a_lone_surrogate_is_refused():
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate({**JSON_FIELDS, "name": "Eri\ud800ka"})
    assert [e["loc"][0] for e in invalid.value.errors()] == ["name"]


def test_names_are_stored_in_one_unicode_spelling():
    decomposed = "Mu\u0308ller"
    request = MembershipApplicationRequest.model_validate({**JSON_FIELDS, "name": decomposed})
    assert request.name == "Müller"


def test_invalid_input_is_explained_per_field_in_german_and_english():
    with pytest.raises(ValidationError) as invalid:
        MembershipApplicationRequest.model_validate(
            {"name": "", "email": "not-an-address", "membership_type": "club"}
        )
    errors = [{**e, "loc": ("body", *e["loc"])} for e in invalid.value.errors()]
    german = {e.field: e.message for e in translate_errors(errors, "de", MESSAGES)}
    english = {e.field: e.message for e in translate_errors(errors, "en", MESSAGES)}
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
