"""How the directory compares and orders names (``verein.membership.views.folding``), and that
a directory entry reads status and type on a day as the summary does."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verein.membership.views.directory import (
    DirectoryQuery,
    InvalidCursor,
    cursor,
    directory_position,
    entry_of,
    position,
    search_text,
)
from verein.membership.views.folding import SORT_NAME_LENGTH, fold, search_words, sort_name
from verein.membership.views.summary import MemberSummary

GERMAN = "abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜẞ -'."
german_text = st.text(alphabet=GERMAN, max_size=30)
any_text = st.text(max_size=30)


@pytest.mark.parametrize(
    ("spellings", "folded"),
    [
        (["Müller", "Mueller", "Muller", "MÜLLER", "MUELLER", "müller"], "muller"),
        (["Straße", "Strasse", "STRASSE", "STRAẞE", "strasse"], "strasse"),
        (["Jörg", "Joerg", "Jorg", "JÖRG"], "jorg"),
        (["Käthe", "Kaethe", "Kathe"], "kathe"),
        (["Søren", "Sören", "Soeren", "Soren"], "soren"),
        (["Zoë", "Zoe", "Zo"], "zo"),  # ``oe`` -> ``o`` too: both sides alike
        (["José", "Jose"], "jose"),
        (["Łódź", "Lodz"], "lodz"),
        (["ﬁsch", "Fisch"], "fisch"),  # compatibility forms
        (["Ærø", "aero", "Aro"], "aro"),
    ],
)
def test_spellings_of_one_name_fold_alike(spellings, folded):
    assert {fold(s) for s in spellings} == {folded}


@given(any_text)
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(any_text)
def test_folded_text_has_no_case_no_accents_and_no_umlaut_spellings(text):
    folded = fold(text)
    assert folded == folded.casefold()
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFKD", folded))
    assert not re.search("[aou]e", folded)
    assert not set("äöüß") & set(folded)


@given(german_text)
def test_an_umlaut_folds_as_its_spelling_with_e_and_without(text):
    with_e = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    without = text.replace("ä", "a").replace("ö", "o").replace("ü", "u")
    assert fold(text) == fold(with_e) == fold(without) == fold(text.upper())
    assert fold(text.replace("ß", "ss")) == fold(text)


@given(german_text, st.data())
def test_a_name_is_found_by_the_beginning_of_any_of_its_words(name, data):
    words = name.split()
    if not words:
        return
    word = data.draw(st.sampled_from(words))
    typed = word[: data.draw(st.integers(1, len(word)))]
    if search_words(typed):  # not only punctuation
        assert all(w in fold(name) for w in search_words(typed))


def test_search_words_are_folded_distinct_and_in_order():
    assert search_words("  Müller  mueller\tBERLIN ") == ["muller", "berlin"]
    assert search_words("") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Müller", "mueller"),  # DIN 5007-2: ä as ae
        ("Mueller", "mueller"),
        ("Michael", "michael"),  # unlike fold, spelt as it is
        ("Straße", "strasse"),
        ("Søren Ørsted", "soeren oersted"),
        ("Dr. Anna-Lena Meier, M.A.", "dr anna lena meier m a"),
        ("O'Brien & Söhne GmbH", "o brien soehne gmbh"),
        ("  ", ""),
        ("!!!", ""),
        ("Ωμέγα", "ωμεγα"),  # other scripts: kept, without accents
    ],
)
def test_sort_names(name, expected):
    assert sort_name(name) == expected


@given(any_text)
def test_sort_names_are_canonical_short_and_never_hold_a_hash(text):
    name = sort_name(text)
    assert sort_name(name) == name  # so a cursor can be checked by sorting its name again
    assert len(name) <= SORT_NAME_LENGTH
    assert "#" not in name and "  " not in name and name == name.strip()


@given(any_text, any_text)
def test_a_name_sorts_before_every_longer_name_it_begins(first, more):
    """ "Meier" before "Meier Anna" (and so before whatever follows the first's words)."""
    longer = f"{first} {more}"
    if sort_name(longer) != sort_name(first):
        ids = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000000"
        assert directory_position(first, ids[0]) < directory_position(longer, ids[1])


# --- cursors ---------------------------------------------------------------------------------


def summary(name: str, **fields) -> MemberSummary:
    defaults = {
        "member_id": "00000000-0000-4000-8000-000000000001",
        "status": "active",
        "email": "a@example.org",
        "organisation": None,
        "membership_type": "individual",
        "language": "de",
        "applied_at": datetime(2026, 1, 1, tzinfo=UTC),
        "position": 1,
    }
    return MemberSummary(applicant_name=name, **(defaults | fields))


@given(any_text)
def test_every_cursor_handed_out_is_taken_back(name):
    entry = entry_of(summary(name))
    assert position(cursor(entry)) == directory_position(entry.name, entry.member_id)
    assert len(cursor(entry)) <= 400  # what the routes accept


def test_the_search_text_holds_names_addresses_contacts_and_number():
    text = search_text(
        summary(
            "Jürgen Müller",
            organisation="Straßenbau GmbH",
            member_number=42,
            contacts=[{"name": "Doris Groß", "email": "Doris@Example.org"}],
        )
    )
    assert text == "jurgen muller strassenbau gmbh a@example.org doris gross doris@example.org 42"


def test_a_cursor_must_be_a_directory_position():
    with pytest.raises(InvalidCursor):
        position("%%%")


# --- status and type on a day: the summary's rules ------------------------------------------

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@given(
    status=st.sampled_from(["applied", "active", "terminating", "ended"]),
    ends_on=st.none() | days,
    type_since=st.none() | days,
    previous_type=st.none() | st.sampled_from(["company", "individual"]),
    day=days,
)
def test_an_entry_reads_status_and_type_on_a_day_as_its_summary(
    status, ends_on, type_since, previous_type, day
):
    full = summary(
        "Anna",
        status=status,
        ends_on=ends_on,
        type_since=type_since,
        previous_type=previous_type,
        membership_type="honorary",
    )
    entry = entry_of(full)
    assert entry.status_on(day) == full.status_on(day)
    assert entry.type_on(day) == full.type_on(day)
    query = DirectoryQuery(status=full.status_on(day), membership_type=full.type_on(day), day=day)
    assert query.matches(entry, search_text(full))
    other = DirectoryQuery(status="withdrawn", day=day + timedelta(days=1))
    assert not other.matches(entry, search_text(full))
