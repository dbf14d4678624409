"""How the directory compares and orders names: pure text functions, no AWS.

``fold`` is for searching. It is applied alike to what is indexed and to what staff type, so
spellings of one name meet: ``Müller``, ``Mueller`` and ``Muller`` all become ``muller``,
``Straße`` and ``strasse`` become ``strasse``, ``Søren`` and ``Sören`` become ``soren``. It
lower-cases (``casefold``), drops diacritics (NFKD and the combining marks), spells a few
letters Unicode does not decompose as their base letters (``ø``, ``æ``, ``ł`` …) and writes
``ae``, ``oe``, ``ue`` as ``a``, ``o``, ``u``: a German umlaut and its spelling with ``e`` fold
alike. That last rule also folds ``Michael`` to ``michal``; as both sides fold alike, a search
still finds exactly what it should, at worst a few more (``Raphael`` for ``Raphal``).

``sort_name`` is for ordering: German phone-book order (DIN 5007, variant 2), where an umlaut
sorts as its spelling with ``e`` (``Müller`` next to ``Mueller``), ``ß`` as ``ss``, other
accents as their base letters, case ignored; punctuation is left out, words are kept apart by
one space. Unlike ``fold`` it keeps ``Michael`` as it is spelt. At most ``SORT_NAME_LENGTH``
characters: two names alike that far are ordered by member id.
"""

from __future__ import annotations

import re
import unicodedata

SORT_NAME_LENGTH = 60

# Letters with no decomposition in Unicode, as their base letters (after ``casefold``); the
# dotless i (U+0131) written as an escape, as it looks like an i.
_BASE_LETTERS = {"ł": "l", "đ": "d", "ð": "d", "\u0131": "i", "þ": "th", "ħ": "h"}
_SEARCH_LETTERS = str.maketrans({**_BASE_LETTERS, "ø": "o", "æ": "ae", "œ": "oe"})
_SORT_LETTERS = str.maketrans({**_BASE_LETTERS, "ø": "oe", "æ": "ae", "œ": "oe"})
_UMLAUT_SPELLING = re.compile("([aou])e")
_DIAERESIS = re.compile("([aou])\u0308")
_WORD = re.compile(r"\w+")
_MAX_ROUNDS = 8


def _plain(text: str) -> str:
    """NFKD, case-folded, without combining marks."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """``text`` as searches compare it (see the module). Idempotent: ``fold(fold(t)) ==
    fold(t)``, so folded text can be folded again (the query and the index both are)."""
    for _ in range(_MAX_ROUNDS):
        # ``casefold`` and NFKD can each produce what the other changes again (the black-letter
        # H U+210C -> ``H`` -> ``h``), and ``aee`` -> ``ae`` -> ``a``: repeat until stable.
        folded = _UMLAUT_SPELLING.sub(r"\1", _plain(text).translate(_SEARCH_LETTERS))
        if folded == text:
            return folded
        text = folded
    return text


def search_words(text: str) -> list[str]:
    """The distinct folded words of a query, in order (a match must contain each)."""
    words: list[str] = []
    for word in fold(text).split():
        if word not in words:
            words.append(word)
    return words


def sort_name(text: str) -> str:
    """``text`` as the directory orders it (see the module): words of letters and digits,
    one space apart, at most ``SORT_NAME_LENGTH`` characters; "" for a name without any."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    spelt = _DIAERESIS.sub(r"\1e", decomposed)  # ä = a + U+0308 -> ae (DIN 5007-2)
    plain = "".join(c for c in spelt if not unicodedata.combining(c)).translate(_SORT_LETTERS)
    words = " ".join(_WORD.findall(unicodedata.normalize("NFKC", plain).casefold()))
    return words[:SORT_NAME_LENGTH].rstrip()
