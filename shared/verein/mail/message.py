"""A mail as the product sends it: one recipient, a subject, a plain-text and an HTML body."""

from __future__ import annotations

import html as html_module
import re

from pydantic import BaseModel, ConfigDict, Field

#: An http(s) URL up to whitespace, a quote or an angle bracket (what ends one in text and in
#: an HTML attribute alike).
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_CLOSING = {")": "(", "]": "[", "}": "{"}


def find_links(*bodies: str, html: str = "") -> tuple[str, ...]:
    """Every http(s) URL in the plain-text ``bodies`` and then in ``html`` (its character
    references resolved, so ``&amp;`` in an ``href`` reads as ``&``), in order of first
    appearance, each once. Punctuation that ends a sentence is not part of a URL."""
    texts = [*bodies, html_module.unescape(html)]
    found = (_trimmed(match) for text in texts for match in _URL.findall(text))
    return tuple(dict.fromkeys(url for url in found if url.partition("://")[2]))


def _trimmed(url: str) -> str:
    # "(see https://x/a)." -> https://x/a, but https://x/wiki/A_(b) keeps its parenthesis.
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSING and url.count(_CLOSING[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


class Mail(BaseModel):
    """One mail to one address. ``to`` and ``subject`` become header fields, so they may not
    contain line breaks (nothing can add a header through them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    subject: str = Field(min_length=1, pattern=r"^[^\r\n]*$")
    text: str
    html: str

    @property
    def links(self) -> tuple[str, ...]:
        """Every http(s) URL in the text and the HTML body, in order of first appearance, each
        once (what a test follows from the mail, as its recipient would)."""
        return find_links(self.text, html=self.html)
