"""Signed links (``verein.kernel.links``): only genuine, unexpired tokens of the right purpose
name their subject; anything changed in a token makes it invalid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verein.kernel.keyed_hash import KeyedHash
from verein.kernel.links import MAX_TOKEN_LENGTH, ExpiredLink, InvalidLink, SignedLinks

LINKS = SignedLinks(KeyedHash(b"s" * 32))
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def test_a_genuine_link_names_its_subject_until_it_expires():
    token = LINKS.issue("membership-notice", "member-1", LATER)
    assert LINKS.subject(token, "membership-notice", NOW) == "member-1"
    assert LINKS.subject(token, "membership-notice", LATER) == "member-1"
    with pytest.raises(ExpiredLink):
        LINKS.subject(token, "membership-notice", LATER + timedelta(seconds=1))


def test_a_link_is_for_its_purpose_and_its_key_only():
    token = LINKS.issue("membership-notice", "member-1", LATER)
    with pytest.raises(InvalidLink) as refused:
        LINKS.subject(token, "signup-cancel", NOW)
    assert not isinstance(refused.value, ExpiredLink)
    with pytest.raises(InvalidLink):
        SignedLinks(KeyedHash(b"t" * 32)).subject(token, "membership-notice", NOW)


@given(position=st.integers(min_value=0), replacement=st.sampled_from("AZaz09-_."))
def test_any_changed_character_makes_the_link_invalid(position, replacement):
    token = LINKS.issue("membership-notice", "member-1", LATER)
    index = position % len(token)
    changed = token[:index] + replacement + token[index + 1 :]
    if changed == token:
        return
    with pytest.raises(InvalidLink):
        LINKS.subject(changed, "membership-notice", NOW)


@pytest.mark.parametrize(
    "token", ["", ".", "abc", "abc.", ".abc", "a.b.c", "%%%.%%%", "x" * (MAX_TOKEN_LENGTH + 1)]
)
def test_garbage_is_invalid_never_an_error(token):
    with pytest.raises(InvalidLink):
        LINKS.subject(token, "membership-notice", NOW)
