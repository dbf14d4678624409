"""Pages rendered with Jinja2, autoescaping every value: the shared layout and feature pages.

Each feature keeps its templates in its own package (``<feature>/web/templates/<feature>/``)
and renders them with a ``Templates`` of its folder and its catalogue; the layout, the macros
(fields, error summary) and the plain message page live in ``verein/web/templates``. Every
page shows the association running the site (``verein.settings.Association``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from verein.kernel.clock import ASSOCIATION_ZONE
from verein.settings import Association
from verein.web.html import STYLE
from verein.web.i18n import COMMON, Catalogue, Language

if TYPE_CHECKING:
    from jinja2 import Environment

SHARED_TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TIME = ASSOCIATION_ZONE
"""The association's time: what staff and members read (``verein.kernel.clock``)."""


@dataclass(frozen=True)
class Link:
    """A link on the landing page: a feature's public page."""

    label: str
    href: str
    description: str = ""


@cache
def association() -> Association:
    """The association from this execution environment's settings (checked at cold start by
    ``Settings.from_environment``); read once, as every other setting."""
    return Association.from_environment()


class Templates:
    """One feature's templates on top of the shared ones, with its texts (``t`` in a template)."""

    def __init__(self, folder: Path, messages: Catalogue = COMMON) -> None:
        self._folder = folder
        self._messages = messages

    def render(self, name: str, language: Language, **values: Any) -> str:
        from markupsafe import Markup  # noqa: PLC0415 - comes with Jinja, see _environment

        def t(key: str, **params: str) -> str:
            return self._messages.translate(key, language, **params)

        return (
            _environment(self._folder)
            .get_template(name)
            .render(
                language=language,
                other_language=_other(language),
                t=t,
                site=association(),
                # The same string PAGE_CSP hashes; Markup, or autoescaping would change it.
                style=Markup(STYLE),  # noqa: S704 - our own constant, not input
                **values,
            )
        )


def switch_href(path: str, language: Language, query: Mapping[str, str] | None = None) -> str:
    """The same page in the other language."""
    return f"{path}?{urlencode({**(query or {}), 'lang': _other(language)})}"


def message_page(title: str, text: str, language: Language) -> str:
    """A page that says one thing (why a request was turned away), in the common layout."""
    return _SHARED.render("message.html", language, title=title, paragraphs=[text])


def _other(language: Language) -> Language:
    return "en" if language == "de" else "de"


@cache
def _environment(folder: Path) -> Environment:
    return jinja_environment((folder, SHARED_TEMPLATES))


@cache
def jinja_environment(folders: tuple[Path, ...], *, text_too: bool = False) -> Environment:
    """The one way templates are set up. Pages escape every value in every template; with
    ``text_too`` (mails) only ``.html`` templates are escaped, so that plain text keeps an
    "&" as it is."""
    # Imported on the first page, not at cold start: the staff API renders no pages, and
    # Jinja's import costs tens of milliseconds.
    from jinja2 import (  # noqa: PLC0415
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    # Pages: every value, in every template, whatever its file name. Mails: all but ``.txt``.
    unescaped = ("txt",) if text_too else ()
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(
            enabled_extensions=(), disabled_extensions=unescaped, default=True
        ),
        undefined=StrictUndefined,  # a misspelt variable fails the test, not the page or mail
        auto_reload=False,  # templates do not change in a running function: no stat per page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=text_too,  # a text mail ends with its line break
    )


_SHARED = Templates(SHARED_TEMPLATES)
