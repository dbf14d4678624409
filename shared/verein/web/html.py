"""Plain HTML pages that work without JavaScript. Every value is escaped on the way out."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from verein.web.i18n import Language, translate

HTML = "text/html; charset=utf-8"

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;
line-height:1.5}
label{display:block;margin-top:1rem;font-weight:600}
label.choice{font-weight:400;margin-top:.5rem}
input[type=text],input[type=email],select{width:100%;padding:.4rem;font-size:1rem}
.error{color:#a00000}.field-error{color:#a00000;font-weight:400;display:block}
fieldset{border:0;padding:0;margin-top:1rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}
"""


PAGE_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Content-Security-Policy of our pages: no scripts at all, only our own inline style (by its
hash), forms post to us only, and no other site may frame a page (clickjacking)."""


def page(title: str, body: str, language: Language) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def message_page(title: str, text: str, language: Language) -> str:
    """A page that says one thing (thanks, or why a request was turned away)."""
    return page(title, f"<p>{escape(text)}</p>", language)


def error_summary(messages: list[str], language: Language) -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return (
        f'<div class="error" role="alert"><p>{escape(translate("form.errors", language))}</p>'
        f"<ul>{items}</ul></div>"
    )
