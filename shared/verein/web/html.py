"""What every HTML page shares: its media type, its one style sheet and the policy admitting it.

The pages themselves are Jinja2 templates (``verein.web.pages``); the style lives here, as
one string, so that the hash in ``PAGE_CSP`` is computed from exactly what the layout renders.
"""

from __future__ import annotations

import base64
import hashlib

HTML = "text/html; charset=utf-8"

STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;color:#1b1b1b;background:#fff}
.site,main{max-width:40rem;margin:0 auto;padding:0 1rem}
header.site{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;
align-items:baseline;padding-top:1rem;padding-bottom:.75rem;border-bottom:1px solid #ccc}
.site-name{font-weight:700;color:inherit;text-decoration:none;overflow-wrap:anywhere}
footer.site{margin-top:3rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid #ccc;
font-size:.9rem}
footer.site p{margin:.25rem 0}
h1{line-height:1.2;overflow-wrap:anywhere}
p,li,label,legend{overflow-wrap:anywhere}
a{color:#0b4f9c}
a:focus,input:focus,button:focus,.error-summary:focus{outline:3px solid #ffbf47;
outline-offset:2px}
.field{margin-top:1.25rem}
label{display:block;font-weight:600}
label.choice{font-weight:400;margin-top:.5rem;display:flex;gap:.6rem;align-items:flex-start}
label.choice input{margin-top:.3rem;flex:none;width:1.2rem;height:1.2rem}
input[type=text],input[type=email]{display:block;width:100%;max-width:100%;padding:.5rem;
font-size:1rem;border:2px solid #555;border-radius:0}
.hint{color:#505050;font-size:.95rem}
.required{color:#a00000}
.invalid input[type=text],.invalid input[type=email]{border-color:#a00000}
.field-error{color:#a00000;font-weight:600;margin:.25rem 0}
.error-summary{border:3px solid #a00000;padding:.5rem 1rem;margin:1rem 0}
.error-summary h2{font-size:1.1rem;margin:.25rem 0}
.error-summary a{color:#a00000;font-weight:600}
fieldset{border:0;padding:0;margin:1.25rem 0 0;min-width:0}
legend{font-weight:600;padding:0}
button{margin-top:1.5rem;padding:.7rem 1.4rem;font-size:1rem;font-family:inherit;
background:#0b4f9c;color:#fff;border:0;border-radius:.25rem;cursor:pointer;max-width:100%}
.reference{font-family:ui-monospace,monospace;font-size:1.2rem;letter-spacing:.05em;
white-space:nowrap}
ul.links{padding-left:1.2rem}
ul.links li{margin:.5rem 0}
.skip{position:absolute;left:-999rem}
.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem .5rem}
"""
"""The one inline style of every page (a file of its own would cost a request per page)."""

STAFF_STYLE = """
.wide .site,.wide main{max-width:64rem}
.app-name{color:#505050}
nav.staff{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;justify-content:space-between;
align-items:center;padding-top:.5rem;padding-bottom:.5rem;border-bottom:1px solid #ccc}
nav.staff ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav.staff a[aria-current=page]{font-weight:700;text-decoration:none}
.sign-out{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
button.secondary{margin:0;padding:.35rem .8rem;background:#fff;color:#0b4f9c;
border:2px solid #0b4f9c}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem .5rem .5rem 0;border-bottom:1px solid #ddd;vertical-align:top}
th{font-size:.9rem}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
.filters .field{margin-top:.5rem}
.filters button{margin-top:0}
select{display:block;padding:.45rem;font-size:1rem;border:2px solid #555;border-radius:0;
background:#fff;max-width:100%}
textarea{display:block;width:100%;max-width:100%;min-height:6rem;padding:.5rem;font-size:1rem;
font-family:inherit;border:2px solid #555;border-radius:0}
.invalid textarea{border-color:#a00000}
select:focus,textarea:focus{outline:3px solid #ffbf47;outline-offset:2px}
dl.summary{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.35rem 1rem}
dl.summary dt{font-weight:600}
dl.summary dd{margin:0;overflow-wrap:anywhere}
ol.timeline{list-style:none;padding:0;border-left:3px solid #ccc;margin-left:.5rem}
ol.timeline li{padding:0 0 1rem 1rem}
ol.timeline .meta{color:#505050;font-size:.9rem}
.note-text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}
.notice{border-left:5px solid #0b7a3e;padding:.5rem 1rem;background:#eef7f1}
.pager{display:flex;gap:1rem;margin-top:1rem}
form.decision{border-top:1px solid #ddd;padding:.5rem 0 1rem}
form.decision button.secondary{margin-top:1rem}
button.danger{background:#a00000}
@media (max-width:40rem){
table.members thead{position:absolute;left:-999rem}
table.members tr{display:block;border-bottom:1px solid #ccc;padding:.5rem 0}
table.members td{display:block;border:0;padding:.1rem 0}
dl.summary{grid-template-columns:1fr}
dl.summary dd{margin-bottom:.5rem}
}
"""
"""What the staff app's pages add (tables, navigation, timeline): public pages do not carry it."""


def _hash(style: str) -> str:
    return base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()


PAGE_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_hash(STYLE)}' 'sha256-{_hash(STAFF_STYLE)}'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Content-Security-Policy of our pages: no scripts at all, only our own inline style (by its
hashes), forms post to us only, and no other site may frame a page (clickjacking)."""
