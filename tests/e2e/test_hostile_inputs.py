"""Every route of the template against hostile input, over real HTTP to the local stack.

The routes come from ``infra/template.yaml`` (the local stack's template loader), so a new
route is probed as soon as it is declared; ``test_every_route_in_the_template_is_probed``
fails until it has a body profile (POST) or its path parameters can be filled.

Each probe must get a clear answer: a 4xx (the specific code where the hardening issue names
one) from a route that reads a body, never a 5xx from any route, ``application/problem+json``
for API clients or HTML for form posts, no traceback text, no echo longer than the field may
be, and nothing stored in the event store. Staff routes are probed with a staff token, without
a token (API Gateway answers 401) and with a token of a user outside the ``staff`` group (the
function answers 403 before it reads anything).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from local_aws.cli import LocalStack
from local_aws.gateway import MAX_BODY_BYTES
from local_aws.template import Route
from tests.local_http import (
    HTML,
    PROBLEM_JSON,
    TRACEBACK,
    NoResponse,
    StaffSession,
    bearer,
    event_store_items,
    load_routes_template,
    media_type,
    raw_request,
    running_stack,
    staff_session,
)

pytestmark = pytest.mark.e2e

TEMPLATE = load_routes_template()
ROUTES = sorted(
    (r for r in TEMPLATE.routes if r.path != "$default"), key=lambda r: (r.path, r.method)
)
CLIENT_ERRORS = frozenset(range(400, 500))
NOT_A_SERVER_ERROR = frozenset(range(100, 500))
TEN_MB = 10_000_000
"""A 10 MB value: the body stays under API Gateway's 10 MiB limit, so the function must say 413."""
DEEP = "[" * 1000 + "]" * 1000
"""JSON nested 1,000 levels deep, a 2 KB body."""
MARK = "Q"
"""Over-long values are made of this letter; a response may echo at most the field's length."""


# --- what each route takes -------------------------------------------------------------------


@dataclass(frozen=True)
class BodyProfile:
    """The body a POST route reads: a valid one and which fields are what."""

    valid: Callable[[str], dict[str, Any]]
    """A valid body; the argument makes it unique (a duplicate would be answered from its claim
    and store nothing, hiding an input that was wrongly accepted)."""
    text_fields: dict[str, int]
    """Free-text fields and their maximum length."""
    email_fields: tuple[str, ...] = ()
    bool_fields: tuple[str, ...] = ()
    form: bool = False
    """Also answers plain HTML form posts (``application/x-www-form-urlencoded``) with HTML."""


def _application(unique: str) -> dict[str, Any]:
    return {
        "name": "Erika Mustermann",
        "email": f"erika.{unique}@example.org",
        "organisation": "Muster GmbH",
        "membership_type": "company",
        "privacy_consent": True,
    }


BODY_PROFILES: dict[str, BodyProfile] = {
    "POST /membership/applications": BodyProfile(
        valid=_application,
        text_fields={"name": 200, "organisation": 200},
        email_fields=("email",),
        bool_fields=("privacy_consent",),
        form=True,
    ),
    "POST /staff/members/{member_id}/notes": BodyProfile(
        valid=lambda unique: {"text": f"Rückruf vereinbart ({unique})"},
        text_fields={"text": 2000},
    ),
    # The staff app's forms, posted with the session's cookie and CSRF token ("session"), or
    # without a session at all ("no-session").
    "POST /control/members/{member_id}/notes": BodyProfile(
        valid=lambda unique: {"text": f"Notiz ({unique})", "form_id": unique, "csrf": CSRF[0]},
        text_fields={"text": 2000},
        form=True,
    ),
    # Decisions, on the module's member, which is approved already: every probe is refused.
    "POST /staff/members/{member_id}/approve": BodyProfile(valid=lambda _: {}, text_fields={}),
    "POST /staff/members/{member_id}/reject": BodyProfile(
        valid=lambda unique: {"reason": f"Grund ({unique})"}, text_fields={"reason": 2000}
    ),
    "POST /staff/members/{member_id}/withdraw": BodyProfile(
        valid=lambda unique: {"reason": f"Grund ({unique})"}, text_fields={"reason": 2000}
    ),
    "POST /control/members/{member_id}/approve": BodyProfile(
        valid=lambda unique: {"form_id": unique, "csrf": CSRF[0]}, text_fields={}, form=True
    ),
    "POST /control/members/{member_id}/reject": BodyProfile(
        valid=lambda unique: {"reason": f"Grund ({unique})", "form_id": unique, "csrf": CSRF[0]},
        text_fields={"reason": 2000},
        form=True,
    ),
    "POST /control/members/{member_id}/withdraw": BodyProfile(
        valid=lambda unique: {"withdraw_reason": "x", "form_id": unique, "csrf": CSRF[0]},
        text_fields={"withdraw_reason": 2000},
        form=True,
    ),
    # The fee schedule: a version from a day far ahead, so that no probe changes what is in
    # force (and every probe must be refused anyway). The umlaut is for json-in-latin-1.
    "PUT /staff/fees": BodyProfile(
        valid=lambda unique: {
            "effective_from": "2999-01-01",
            "types": [
                {
                    "code": "probe",
                    "label_de": f"Prüfung {unique}",
                    "label_en": "Probe",
                    "yearly_fee": "1.00",
                }
            ],
        },
        text_fields={"effective_from": 10},
    ),
    "POST /control/fees": BodyProfile(
        valid=lambda unique: {
            "effective_from": "2999-01-01",
            "code-0": "probe",
            "label_de-0": f"Probe {unique}",
            "label_en-0": "Probe",
            "yearly_fee-0": "1",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"label_de-0": 100},
        form=True,
    ),
    # Working groups, on the module's group, which is closed already (and the member not in
    # it): every probe is refused, and none that slipped through could change it.
    "POST /staff/working-groups": BodyProfile(
        valid=lambda unique: {"name": f"AK {unique}", "kind": "working_group", "description": "x"},
        text_fields={"name": 100, "description": 2000},
    ),
    "PATCH /staff/working-groups/{group_id}": BodyProfile(
        valid=lambda unique: {"name": f"AK {unique}", "description": "x"},
        text_fields={"name": 100, "description": 2000},
    ),
    "POST /staff/working-groups/{group_id}/close": BodyProfile(valid=lambda _: {}, text_fields={}),
    "POST /staff/working-groups/{group_id}/members/{member_id}": BodyProfile(
        valid=lambda _: {}, text_fields={}
    ),
    "POST /control/working-groups": BodyProfile(
        valid=lambda unique: {
            "name": f"AK {unique}",
            "kind": "working_group",
            "description": "",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"name": 100, "description": 2000},
        form=True,
    ),
    "POST /control/working-groups/{group_id}": BodyProfile(
        valid=lambda unique: {
            "name": f"AK {unique}",
            "description": "",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"name": 100, "description": 2000},
        form=True,
    ),
    "POST /control/working-groups/{group_id}/close": BodyProfile(
        valid=lambda unique: {"form_id": unique, "csrf": CSRF[0]}, text_fields={}, form=True
    ),
    "POST /control/members/{member_id}/groups": BodyProfile(
        valid=lambda unique: {"group_id": GROUP[0], "form_id": unique, "csrf": CSRF[0]},
        text_fields={"group_id": 36},
        form=True,
    ),
    "POST /control/members/{member_id}/groups/{group_id}/leave": BodyProfile(
        valid=lambda unique: {"form_id": unique, "csrf": CSRF[0]}, text_fields={}, form=True
    ),
    # The lifecycle after the application, on the module's ENDED member (excluded): notice,
    # exclusion and a type are refused whatever the body; contact details may still change,
    # so only a valid body changes them, and no probe is one.
    "POST /staff/members/{member_id}/terminate": BodyProfile(
        valid=lambda unique: {"effective": "2999-12-31", "reason": f"Grund ({unique})"},
        text_fields={"reason": 2000},
    ),
    "POST /staff/members/{member_id}/withdraw-notice": BodyProfile(
        valid=lambda unique: {"reason": f"Grund ({unique})"}, text_fields={"reason": 2000}
    ),
    "POST /staff/members/{member_id}/exclude": BodyProfile(
        valid=lambda unique: {"reason": f"Grund ({unique})"}, text_fields={"reason": 2000}
    ),
    "PATCH /staff/members/{member_id}": BodyProfile(
        valid=lambda unique: {"organisation": f"Probe {unique}", "city": "Musterstadt"},
        text_fields={"organisation": 200, "city": 100},
    ),
    "PUT /staff/members/{member_id}/type": BodyProfile(
        valid=lambda _: {"membership_type": "individual", "effective": "2999-01-01"},
        text_fields={"membership_type": 40},
    ),
    "POST /control/members/{member_id}/terminate": BodyProfile(
        valid=lambda unique: {
            "notice_reason": f"Grund {unique}",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"notice_reason": 2000},
        form=True,
    ),
    "POST /control/members/{member_id}/withdraw-notice": BodyProfile(
        valid=lambda unique: {"keep_reason": f"Grund {unique}", "form_id": unique, "csrf": CSRF[0]},
        text_fields={"keep_reason": 2000},
        form=True,
    ),
    "POST /control/members/{member_id}/exclude": BodyProfile(
        valid=lambda unique: {
            "exclude_reason": f"Grund {unique}",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"exclude_reason": 2000},
        form=True,
    ),
    "POST /control/members/{member_id}/contact": BodyProfile(
        valid=lambda unique: {
            "organisation": f"Probe {unique}",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"organisation": 200},
        form=True,
    ),
    "POST /control/members/{member_id}/type": BodyProfile(
        valid=lambda unique: {
            "membership_type": "individual",
            "type_effective": "2999-01-01",
            "form_id": unique,
            "csrf": CSRF[0],
        },
        text_fields={"membership_type": 40},
        form=True,
    ),
    # A member's own notice: the request (the same answer for every address), and a link's
    # button with a token that is no link (every probe gets the "not valid" page).
    "POST /membership/termination-requests": BodyProfile(
        valid=lambda unique: {"email": f"probe.{unique}@example.org"},
        text_fields={},
        email_fields=("email",),
        form=True,
    ),
    "POST /membership/notice/{token}": BodyProfile(
        valid=lambda _: {"lang": "de"}, text_fields={}, form=True
    ),
    # A token that is not the session's: every probe must be refused, and the session used by
    # the other cases must live on.
    "POST /control/sign-out": BodyProfile(
        valid=lambda unique: {"csrf": f"not-the-token-{unique}"},
        text_fields={"csrf": 100},
        form=True,
    ),
}
CSRF = [""]
GROUP = [""]
"""The module's working group (closed; set by the ``member_id`` fixture)."""
ENDED = [""]
"""The module's ended member (excluded; set by the ``member_id`` fixture): the target of the
lifecycle routes, which refuse everything on it but new contact details."""
LIFECYCLE_ACTIONS = ("/terminate", "/withdraw-notice", "/exclude", "/type", "/contact")
"""The module's staff session's CSRF token (set by the ``session`` fixture)."""
STAFF_APP = "StaffWebFunction"
OPEN_STAFF_APP_ROUTES = {
    "GET /control/sign-in",
    "GET /control/auth/callback",
    "GET /control/signed-out",
}


def _as_form(values: dict[str, Any]) -> dict[str, str]:
    return {k: ("on" if v is True else str(v)) for k, v in values.items()}


# --- probes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    name: str
    body: Callable[[str], bytes] = lambda _: b""
    content_type: str | None = None
    statuses: frozenset[int] = CLIENT_ERRORS
    """Acceptable statuses when a staff member (or anyone, on a public route) sends it."""
    media: tuple[str, ...] = (PROBLEM_JSON,)
    """Acceptable media types of the answer; empty: any."""
    query: str = ""
    path_value: str | None = None
    """Replaces every path parameter (hostile path input)."""
    echo_limit: int | None = None
    """The field's maximum length: no run of MARK longer than this may come back."""


def _json(make: Callable[[str], Any]) -> Callable[[str], bytes]:
    return lambda unique: json.dumps(make(unique), ensure_ascii=False).encode()


def _form(make: Callable[[str], dict[str, str]]) -> Callable[[str], bytes]:
    return lambda unique: urlencode(make(unique)).encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
UNKNOWN_CONTENT_TYPES = (
    "text/plain",
    "application/xml",
    "application/octet-stream",
    # Not JSON, but starts like it: a prefix match would take it for application/json.
    "application/json-patch+json",
)
CONTROL_CHARACTERS = {
    "nul": "\x00",
    "backspace": "\x08",
    "esc": "\x1b",
    "del": "\x7f",
    "csi": "\x9b",
}


def universal_probes(valid: Callable[[str], dict[str, Any]]) -> list[Probe]:
    """Bodies every route is sent (a route that reads no body must still not fail on them)."""
    probes = [
        Probe("deep-json", lambda _: DEEP.encode(), JSON),
        Probe(
            "deep-json-in-ignored-field",
            # Spliced in as text: parsing DEEP here would hit this process's recursion limit.
            lambda u: json.dumps(valid(u)).encode()[:-1] + b', "comment": ' + DEEP.encode() + b"}",
            JSON,
        ),
        Probe(
            "multipart-without-boundary",
            _form(lambda u: _as_form(valid(u))),
            "multipart/form-data",
            media=(PROBLEM_JSON, HTML),
        ),
        *(
            Probe(f"unknown-content-type:{ct}", _json(valid), ct, statuses=frozenset({415}))
            for ct in UNKNOWN_CONTENT_TYPES
        ),
        Probe(
            "json-in-latin-1",
            # Umlauts in every text field a route reads (the others ignore what they don't).
            lambda u: json.dumps(
                {**valid(u), "name": "Jürgen Weiß", "text": "Grüße"}, ensure_ascii=False
            ).encode("latin-1"),
            JSON,
        ),
        Probe(
            "json-in-utf-16",
            lambda u: json.dumps(valid(u), ensure_ascii=False).encode("utf-16"),
            JSON,
        ),
    ]
    return probes


def field_probes(profile: BodyProfile) -> list[Probe]:
    valid = profile.valid
    probes: list[Probe] = []
    first_text = next(iter(profile.text_fields), None)
    for name, limit in profile.text_fields.items():
        probes.append(
            Probe(f"{name}-as-list", _json(lambda u, n=name: {**valid(u), n: ["a"]}), JSON)
        )
        for label, char in CONTROL_CHARACTERS.items():
            probes.append(
                Probe(
                    f"{name}-with-{label}",
                    _json(lambda u, n=name, c=char: {**valid(u), n: f"Erika{c}Mustermann"}),
                    JSON,
                )
            )
        probes.append(
            Probe(
                f"{name}-too-long",
                _json(lambda u, n=name: {**valid(u), n: MARK * 100_000}),
                JSON,
                echo_limit=limit,
            )
        )
    probes.append(
        Probe(
            f"{first_text or 'comment'}-10-MB",
            _json(lambda u: {**valid(u), first_text or "comment": MARK * TEN_MB}),
            JSON,
            statuses=frozenset({413}),
            media=(PROBLEM_JSON,),
            echo_limit=profile.text_fields.get(first_text or ""),
        )
    )
    for name in profile.bool_fields:
        for spelling in ("yes", "on"):
            probes.append(
                Probe(
                    f"{name}-as-string-{spelling}",
                    _json(lambda u, n=name, s=spelling: {**valid(u), n: s}),
                    JSON,
                )
            )
    for name in profile.email_fields:
        probes.append(
            Probe(
                f"{name}-with-display-name",
                _json(lambda u, n=name: {**valid(u), n: f"Name <x.{u}@example.org>"}),
                JSON,
            )
        )
        probes.append(
            Probe(
                f"{name}-local-part-65",
                _json(lambda u, n=name: {**valid(u), n: f"{u[:1]}{'a' * 64}@example.org"}),
                JSON,
            )
        )
    if profile.form:
        probes.extend(form_probes(profile))
    return probes


def form_probes(profile: BodyProfile) -> list[Probe]:
    """What a browser (or a script pretending to be one) can post to an HTML form."""
    valid = profile.valid
    first_text = next(iter(profile.text_fields), "comment")

    def form(u: str, **changes: str) -> dict[str, str]:
        return {**_as_form(valid(u)), **changes}

    def raw(u: str, name: str, value: bytes) -> bytes:
        """The form with ``value`` sent for ``name`` as it is (not percent-encoded)."""
        others = urlencode({k: v for k, v in form(u).items() if k != name}).encode()
        return others + b"&" + name.encode() + b"=" + value

    probes = [
        Probe(
            "form-invalid-utf8-raw",
            lambda u: raw(u, "name", b"\xff\xfeErika"),
            FORM,
            media=(HTML,),
        ),
        Probe(
            "form-invalid-utf8-percent",
            lambda u: raw(u, "name", b"%FFErika"),
            FORM,
            media=(HTML,),
        ),
        Probe(
            "form-invalid-utf8-percent-organisation",
            lambda u: raw(u, "organisation", b"%C3%28Muster"),
            FORM,
            media=(HTML,),
        ),
        Probe(
            f"form-{first_text}-10-MB",
            _form(lambda u: form(u, **{first_text: MARK * TEN_MB})),
            FORM,
            statuses=frozenset({413}),
            media=(HTML, PROBLEM_JSON),
            echo_limit=profile.text_fields.get(first_text),
        ),
    ]
    for name, limit in profile.text_fields.items():
        probes.append(
            Probe(
                f"form-{name}-too-long",
                _form(lambda u, n=name: form(u, **{n: MARK * 100_000})),
                FORM,
                media=(HTML,),
                echo_limit=limit,
            )
        )
        for label, char in CONTROL_CHARACTERS.items():
            probes.append(
                Probe(
                    f"form-{name}-with-{label}",
                    _form(lambda u, n=name, c=char: form(u, **{n: f"Erika{c}Mustermann"})),
                    FORM,
                    media=(HTML,),
                )
            )
    for name in profile.email_fields:
        probes.append(
            Probe(
                f"form-{name}-with-display-name",
                _form(lambda u, n=name: form(u, **{n: f"Name <x.{u}@example.org>"})),
                FORM,
                media=(HTML,),
            )
        )
        probes.append(
            Probe(
                f"form-{name}-local-part-65",
                _form(lambda u, n=name: form(u, **{n: f"{u[:1]}{'a' * 64}@example.org"})),
                FORM,
                media=(HTML,),
            )
        )
        probes.append(
            Probe(
                f"form-{name}-too-long",
                _form(lambda u, n=name: form(u, **{n: MARK * 100_000})),
                FORM,
                media=(HTML,),
                echo_limit=254,
            )
        )
    return probes


QUERY_AND_PATH_PROBES: dict[str, list[Probe]] = {
    "GET /membership/apply": [
        # A repeated parameter reaches the function comma-joined ("en,de"): still the form.
        Probe("lang-twice", query="lang=en&lang=de", statuses=frozenset({200}), media=(HTML,)),
        Probe("lang-invalid-utf8", query="lang=%FF", statuses=frozenset({200}), media=(HTML,)),
        Probe("lang-nul", query="lang=%00", statuses=frozenset({200}), media=(HTML,)),
    ],
    "GET /membership/thanks": [
        # Only the shape of a reference is ever shown: nothing else from the link is echoed.
        Probe("ref-markup", query="ref=%3Cscript%3E", statuses=frozenset({200}), media=(HTML,)),
        Probe("ref-invalid-utf8", query="ref=%FF", statuses=frozenset({200}), media=(HTML,)),
        Probe(
            "ref-twice",
            query="ref=A-0000-0000&ref=A-1111-1111",
            statuses=frozenset({200}),
            media=(HTML,),
        ),
    ],
    "GET /": [
        Probe("lang-nul", query="lang=%00", statuses=frozenset({200}), media=(HTML,)),
    ],
    "GET /staff/members": [
        Probe("status-nul", query="status=%00"),
        Probe("after-invalid-utf8", query="after=%FF"),
        Probe("limit-twice", query="limit=1&limit=2"),
    ],
    "GET /control/members": [
        Probe("status-nul", query="status=%00", media=(HTML,)),
        Probe("after-invalid-utf8", query="after=%FF", media=(HTML,)),
        Probe("order-twice", query="order=newest&order=oldest", media=(HTML,)),
    ],
    "GET /control/members/{member_id}": [
        Probe("member-id-invalid-utf8", path_value="%FF" * 36, media=(HTML,)),
        Probe("member-id-nul", path_value="%00" * 36, media=(HTML,)),
    ],
    "GET /staff/members/{member_id}": [
        Probe("member-id-invalid-utf8", path_value="%FF" * 36),
        Probe("member-id-nul", path_value="%00" * 36),
    ],
    "GET /staff/working-groups/{group_id}": [
        Probe("group-id-invalid-utf8", path_value="%FF" * 36),
        Probe("group-id-nul", path_value="%00" * 36),
    ],
    "GET /control/working-groups/{group_id}": [
        Probe("group-id-invalid-utf8", path_value="%FF" * 36, media=(HTML,)),
        Probe("group-id-nul", path_value="%00" * 36, media=(HTML,)),
    ],
    "POST /staff/members/{member_id}/notes": [
        Probe(
            "member-id-invalid-utf8",
            _json(lambda u: {"text": f"note {u}"}),
            JSON,
            path_value="%FF" * 36,
        ),
    ],
}


def probes_for(route: Route) -> list[Probe]:
    profile = BODY_PROFILES.get(route.route_key)
    probes = list(QUERY_AND_PATH_PROBES.get(route.route_key, []))
    if profile is None:
        # A route that reads no body: the bodies must not hurt it (it answers as usual).
        probes += [
            Probe(
                p.name,
                p.body,
                p.content_type,
                statuses=NOT_A_SERVER_ERROR,
                media=(),
                echo_limit=p.echo_limit,
            )
            for p in universal_probes(lambda u: {"comment": u})
        ]
    else:
        probes += universal_probes(profile.valid) + field_probes(profile)
    return probes


AUTH_MODES = ("staff", "no-token", "not-staff")


def auth_modes(route: Route) -> tuple[str, ...]:
    if route.function == STAFF_APP and route.route_key not in OPEN_STAFF_APP_ROUTES:
        return ("session", "no-session")
    return AUTH_MODES if route.requires_jwt else ("public",)


CASES = [
    pytest.param(route, auth, probe, id=f"{route.route_key}|{auth}|{probe.name}")
    for route in ROUTES
    for auth in auth_modes(route)
    for probe in probes_for(route)
]


# --- the stack -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as http:
        yield http


_SESSIONS: dict[int, StaffSession] = {}


def session_of(stack: LocalStack) -> StaffSession:
    """One signed-in staff app session per stack (its CSRF token goes into the note forms)."""
    if id(stack) not in _SESSIONS:
        password = "hostile input tester"
        user = stack.users.add(f"hostile-{uuid.uuid4().hex[:8]}@verein.example", password)
        _SESSIONS[id(stack)] = staff_session(stack, user.email, password)
    CSRF[0] = _SESSIONS[id(stack)].csrf
    return _SESSIONS[id(stack)]


@pytest.fixture(scope="module")
def member_id(stack: LocalStack, client: httpx.Client) -> str:
    """A real member, so that staff routes with a member id get past "not found". Approved
    already: a decision route would otherwise take any body it ignores (approving needs none)
    as a decision, while on a decided application every probe must change nothing."""
    reply = client.post("/membership/applications", json=_application(uuid.uuid4().hex))
    assert reply.status_code == 202, reply.text
    member = str(reply.json()["application_id"])
    approved = client.post(f"/staff/members/{member}/approve", headers=bearer(stack))
    assert approved.status_code == 200, approved.text
    group = client.post(
        "/staff/working-groups",
        json={"name": f"Probe {uuid.uuid4().hex}", "kind": "working_group"},
        headers=bearer(stack),
    )
    assert group.status_code == 201, group.text
    GROUP[0] = str(group.json()["group_id"])
    closed = client.post(f"/staff/working-groups/{GROUP[0]}/close", headers=bearer(stack))
    assert closed.status_code == 200, closed.text
    ended = client.post("/membership/applications", json=_application(uuid.uuid4().hex))
    ENDED[0] = str(ended.json()["application_id"])
    for action, body in (("approve", None), ("exclude", {"reason": "Probe"})):
        done = client.post(f"/staff/members/{ENDED[0]}/{action}", json=body, headers=bearer(stack))
        assert done.status_code == 200, done.text
    assert stack.wait_for_projections(10)
    return member


def fill_path(route: Route, member_id: str, override: str | None = None) -> str:
    lifecycle = route.path.endswith(LIFECYCLE_ACTIONS) or route.route_key == (
        "PATCH /staff/members/{member_id}"
    )
    values = {
        "member_id": ENDED[0] if lifecycle else member_id,
        "group_id": GROUP[0],
        "token": "bm90LWEtbGluaw.bm90LWEtc2lnbmF0dXJl",  # shaped like a link, signed by nobody
    }
    path = route.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", override if override is not None else value)
    assert "{" not in path, f"{route.route_key}: no value for a path parameter"
    return path


def headers_for(stack: LocalStack, auth: str) -> dict[str, str]:
    if auth == "session":
        return session_of(stack).headers
    if auth == "staff":
        return bearer(stack)
    if auth == "not-staff":
        return bearer(stack, groups=("members",))
    return {}


def excerpt(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:300]!r}"


def assert_clean(text: str, echo_limit: int | None) -> None:
    leaked = TRACEBACK.search(text)
    assert leaked is None, f"traceback text in the response: {leaked.group(0)!r}"
    if echo_limit is not None:
        assert MARK * (echo_limit + 1) not in text, (
            f"the response echoes more than the field's {echo_limit} characters"
        )


def assert_answer(route: Route, auth: str, probe: Probe, response: httpx.Response) -> None:
    status = response.status_code
    ctype = media_type(response.headers.get("content-type"))
    shown = f"{route.route_key} [{auth}] {probe.name}: {status} {ctype} {response.text[:300]!r}"
    assert status < 500, shown
    assert_clean(response.text, probe.echo_limit)
    if auth == "no-token":
        assert status == 401, shown  # API Gateway's JWT authorizer, before the function
    elif auth == "no-session":
        # Screening answers first (4xx); anything it lets through meets the guard: sign in.
        location = response.headers.get("location", "")
        assert status in CLIENT_ERRORS or (
            status == 303 and location.startswith("/control/sign-in")
        ), shown
    elif auth == "not-staff":
        assert (status, ctype) == (403, PROBLEM_JSON), shown
    else:
        assert status in probe.statuses, shown
        if probe.media:
            assert ctype in probe.media, shown


@pytest.mark.parametrize(("route", "auth", "probe"), CASES)
def test_hostile_input_gets_a_clear_answer_and_stores_nothing(
    stack: LocalStack, client: httpx.Client, member_id: str, route: Route, auth: str, probe: Probe
) -> None:
    unique = uuid.uuid4().hex
    body = probe.body(unique)
    headers = headers_for(stack, auth)
    if probe.content_type is not None:
        headers["Content-Type"] = probe.content_type
    path = fill_path(route, member_id, probe.path_value)
    target = f"{path}?{probe.query}" if probe.query else path
    before = event_store_items(stack)
    response = client.request(route.method, target, content=body, headers=headers)
    assert_answer(route, auth, probe, response)
    after = event_store_items(stack)
    assert after == before, (
        f"{route.route_key} [{auth}] {probe.name} stored {len(after) - len(before)} item(s)"
    )


# --- what only a raw socket can send ---------------------------------------------------------


RAW_CASES = [
    pytest.param(route, auth, id=f"{route.route_key}|{auth}")
    for route in ROUTES
    for auth in auth_modes(route)
]


def _head(method: str, target: str, stack: LocalStack, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {stack.base_url.split('//', 1)[1]}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(("route", "auth"), RAW_CASES)
def test_content_length_minus_one_is_a_bad_request(
    stack: LocalStack, member_id: str, route: Route, auth: str
) -> None:
    """API Gateway refuses a negative Content-Length with 400 before anything else happens."""
    profile = BODY_PROFILES.get(route.route_key)
    body = json.dumps(profile.valid(uuid.uuid4().hex) if profile else {}).encode()
    headers = headers_for(stack, auth) | {
        "Content-Type": JSON,
        "Content-Length": "-1",
        "Connection": "close",
    }
    before = event_store_items(stack)
    try:
        response = raw_request(
            stack.base_url,
            _head(route.method, fill_path(route, member_id), stack, headers),
            body,
            timeout=2.0,
        )
    except NoResponse as silence:
        time.sleep(0.5)  # the server may go on with what it read once the socket closes
        stored = len(event_store_items(stack)) - len(before)
        pytest.fail(
            f"Content-Length: -1 got no answer ({silence}); afterwards {stored} item(s) were stored"
        )
    assert response.status == 400, f"{response.status} {response.text[:300]!r}"
    assert_clean(response.text, None)
    time.sleep(0.2)
    assert event_store_items(stack) == before


@pytest.mark.parametrize(("route", "auth"), RAW_CASES)
def test_a_body_over_the_gateway_limit_is_refused_with_413(
    stack: LocalStack, member_id: str, route: Route, auth: str
) -> None:
    """Over API Gateway's 10 MiB payload limit: 413 from the gateway, without reading it."""
    headers = headers_for(stack, auth) | {
        "Content-Type": FORM,
        "Content-Length": str(MAX_BODY_BYTES + 1),
        "Connection": "close",
    }
    before = event_store_items(stack)
    response = raw_request(
        stack.base_url,
        _head(route.method, fill_path(route, member_id), stack, headers),
        b"name=" + MARK.encode() * 1000,
    )
    allowed = {413, 401} if auth == "no-token" else {413}
    assert response.status in allowed, f"{response.status} {response.text[:300]!r}"
    assert_clean(response.text, 200)
    assert event_store_items(stack) == before


# --- accepted as they should be --------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["APPLICATION/JSON", "Application/Json; Charset=UTF-8", "application/json; charset=utf-8"],
)
def test_media_types_are_case_insensitive_for_json(
    stack: LocalStack, client: httpx.Client, member_id: str, content_type: str
) -> None:
    before = event_store_items(stack)
    application = client.post(
        "/membership/applications",
        content=json.dumps(_application(uuid.uuid4().hex)).encode(),
        headers={"Content-Type": content_type},
    )
    assert application.status_code == 202, excerpt(application)
    assert media_type(application.headers["content-type"]) == JSON
    note = client.post(
        f"/staff/members/{member_id}/notes",
        content=json.dumps({"text": f"Rückruf ({content_type})"}).encode(),
        headers={"Content-Type": content_type, **bearer(stack)},
    )
    assert note.status_code == 202, excerpt(note)
    stored = len(event_store_items(stack)) - len(before)
    assert stored == 3, stored  # the application's commit and claim, the note's commit


def test_media_types_are_case_insensitive_for_forms(
    stack: LocalStack, client: httpx.Client
) -> None:
    before = event_store_items(stack)
    reply = client.post(
        "/membership/applications",
        content=urlencode(_as_form(_application(uuid.uuid4().hex))).encode(),
        headers={"Content-Type": "APPLICATION/X-WWW-FORM-URLENCODED"},
    )
    assert reply.status_code == 303, excerpt(reply)
    thanks = client.get(reply.headers["location"])
    assert media_type(thanks.headers["content-type"]) == HTML
    assert "Vielen Dank" in thanks.text
    assert len(event_store_items(stack)) - len(before) == 2


def test_the_form_gets_the_form_with_lang_twice(client: httpx.Client) -> None:
    reply = client.get("/membership/apply?lang=en&lang=de")
    assert reply.status_code == 200, excerpt(reply)
    assert media_type(reply.headers["content-type"]) == HTML
    assert 'action="/membership/applications"' in reply.text


# --- idempotency keys ------------------------------------------------------------------------


def test_an_idempotency_key_reused_with_another_body_is_422(
    stack: LocalStack, client: httpx.Client, member_id: str
) -> None:
    headers = {**bearer(stack), "Idempotency-Key": f"key-{uuid.uuid4().hex}"}
    target = f"/staff/members/{member_id}/notes"
    first = client.post(target, json={"text": "Anruf am Montag"}, headers=headers)
    assert first.status_code == 202, excerpt(first)
    before = event_store_items(stack)
    other = client.post(target, json={"text": "Etwas ganz anderes"}, headers=headers)
    assert other.status_code == 422, excerpt(other)
    assert media_type(other.headers["content-type"]) == PROBLEM_JSON
    assert_clean(other.text, None)
    assert event_store_items(stack) == before
    again = client.post(target, json={"text": "Anruf am Montag"}, headers=headers)
    assert again.status_code == 202, excerpt(again)
    assert again.json()["already_received"] is True
    assert event_store_items(stack) == before
    history = client.get(f"/staff/members/{member_id}", headers=bearer(stack)).json()["history"]
    texts = [h["data"].get("text") for h in history if h["event_type"] == "MemberNoteAdded"]
    assert "Anruf am Montag" in texts
    assert "Etwas ganz anderes" not in texts


# --- security headers ------------------------------------------------------------------------


def _html_pages(client: httpx.Client) -> list[tuple[str, httpx.Response]]:
    valid = _as_form(_application(uuid.uuid4().hex))
    return [
        ("the form", client.get("/membership/apply")),
        ("the form in English", client.get("/membership/apply?lang=en")),
        ("the landing page", client.get("/")),
        ("the redirect to thanks", client.post("/membership/applications", data=valid)),
        ("thanks", client.get("/membership/thanks?ref=A-0000-0000&lang=en")),
        (
            "the form with errors",
            client.post("/membership/applications", data={**valid, "email": "nope"}),
        ),
    ]


def test_html_pages_carry_security_headers(client: httpx.Client) -> None:
    missing = []
    for label, page in _html_pages(client):
        assert media_type(page.headers.get("content-type")) == HTML, (label, excerpt(page))
        csp = page.headers.get("content-security-policy", "")
        if "frame-ancestors" not in csp:
            missing.append(f"{label}: Content-Security-Policy with frame-ancestors (got {csp!r})")
        if page.headers.get("x-content-type-options", "").lower() != "nosniff":
            missing.append(f"{label}: X-Content-Type-Options: nosniff")
        if not page.headers.get("referrer-policy"):
            missing.append(f"{label}: Referrer-Policy")
    assert not missing, "\n".join(missing)


JWT_ROUTES = [r for r in ROUTES if r.requires_jwt]


@pytest.mark.parametrize("route", JWT_ROUTES, ids=[r.route_key for r in JWT_ROUTES])
def test_staff_responses_are_never_cached(
    stack: LocalStack, client: httpx.Client, member_id: str, route: Route
) -> None:
    profile = BODY_PROFILES.get(route.route_key)
    path = fill_path(route, member_id)
    body = json.dumps(profile.valid(uuid.uuid4().hex)).encode() if profile else b""
    invalid = json.dumps({}).encode() if profile else b""
    answers = {
        "staff": client.request(
            route.method, path, content=body, headers={**bearer(stack), "Content-Type": JSON}
        ),
        "staff, invalid input": client.request(
            route.method,
            fill_path(route, member_id, "not-a-member-id")
            if "{" in route.path
            else f"{path}?limit=0",
            content=invalid,
            headers={**bearer(stack), "Content-Type": JSON},
        ),
        "not staff": client.request(
            route.method,
            path,
            content=body,
            headers={**bearer(stack, ("members",)), "Content-Type": JSON},
        ),
    }
    missing = [
        f"{label}: {reply.status_code}, Cache-Control {reply.headers.get('cache-control')!r}"
        for label, reply in answers.items()
        if "no-store" not in reply.headers.get("cache-control", "").lower()
    ]
    assert not missing, "\n".join(missing)


# --- coverage of the template ----------------------------------------------------------------


def test_every_route_in_the_template_is_probed(member_id: str) -> None:
    assert ROUTES, "the template declares no routes"
    for route in ROUTES:
        fill_path(route, member_id)
        if route.method in ("POST", "PUT", "PATCH", "ANY"):
            assert route.route_key in BODY_PROFILES, f"{route.route_key}: add a body profile"
        assert any(case.values[0] == route for case in CASES)
