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
form.fee-schedule input[type=date]{display:block;padding:.45rem;font-size:1rem;
font-family:inherit;border:2px solid #555;border-radius:0;background:#fff;max-width:100%}
form.fee-schedule .invalid input[type=date]{border-color:#a00000}
fieldset.fee-row{border-top:1px solid #ddd;margin-top:1.5rem;padding-top:.5rem}
.fee-code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.fee-amount{text-align:right;white-space:nowrap}
input[type=tel]{display:block;width:100%;max-width:100%;padding:.5rem;font-size:1rem;
border:2px solid #555;border-radius:0}
.invalid input[type=tel]{border-color:#a00000}
form.as-of{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
form.as-of label{flex-basis:100%}
form.as-of button{margin:0}
details.actions{border-top:1px solid #ddd;margin-top:1.5rem;padding-top:.75rem}
details.actions>summary{font-size:1.2rem;font-weight:700;cursor:pointer}
ul.plain{list-style:none;padding:0;margin:0}
ul.groups form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.25rem 0}
ul.groups button{margin:0}
.contact-row{border-top:1px dashed #ccc;margin-top:1rem}
@media (min-width:48rem){
.contact-row{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:0 1rem}
.contact-row .field{min-width:0}
}
@media (min-width:48rem){
fieldset.fee-row{display:grid;gap:0 1rem;align-items:start;
grid-template-columns:minmax(0,1fr) minmax(0,1.5fr) minmax(0,1.5fr) minmax(0,1fr)}
fieldset.fee-row .field{margin-top:.5rem;min-width:0}
.fee-code{white-space:nowrap}
}
@media (max-width:40rem){
table.fees thead{position:absolute;left:-999rem}
table.fees tr{display:grid;grid-template-columns:1fr auto;gap:0 1rem;
grid-template-areas:"code fee" "label label";border-bottom:1px solid #ddd;padding:.5rem 0}
table.fees td{border:0;padding:0}
table.fees td:nth-child(1){grid-area:code}
table.fees td:nth-child(2){grid-area:label}
table.fees td:nth-child(3){grid-area:fee}
}
@media (max-width:40rem){
table.members thead{position:absolute;left:-999rem}
table.members tr{display:block;border-bottom:1px solid #ccc;padding:.5rem 0}
table.members td{display:block;border:0;padding:.1rem 0}
dl.summary{grid-template-columns:1fr}
dl.summary dd{margin-bottom:.5rem}
}
ul.cards{list-style:none;padding:0;margin:1rem 0 1.5rem;display:grid;gap:.75rem;
grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr))}
ul.cards li.wide{grid-column:span 2}
ul.cards li{border:1px solid #ccc;border-top:4px solid #0b4f9c;padding:.5rem .75rem}
.card-value{display:block;font-size:1.6rem;font-weight:700;line-height:1.25;white-space:nowrap}
.card-label{display:block;font-weight:600}
ul.cards .hint{display:block}
figure.chart{margin:0}
ul.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;list-style:none;padding:0;margin:0 0 .5rem}
ul.legend svg{vertical-align:-.1rem;margin-right:.4rem}
svg.bars{display:block;width:100%}
svg.bars text{font-size:11px;fill:#505050}
svg.bars .value{font-size:10px;fill:#1b1b1b}
svg.bars .year{font-weight:700;fill:#1b1b1b}
details.numbers{margin:.5rem 0 1rem}
details.numbers>summary{cursor:pointer;color:#0b4f9c}
table.numbers{margin-bottom:.5rem}
table.numbers .num{text-align:right;white-space:nowrap;padding:.5rem 0 .5rem .75rem}
table.numbers thead .num,table.numbers .num .hint{white-space:normal}
table.numbers tbody th,table.numbers tfoot th{font-size:1rem;font-weight:400}
details.numbers table{max-width:30rem}
table.numbers tfoot th,table.numbers tfoot td{font-weight:700;border-bottom:0}
.dash-grid{display:grid;gap:0 2.5rem}
@media (min-width:48rem){.dash-grid{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:40rem){svg.bars .minor,svg.bars .value{display:none}}
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
