"""Schemathesis against the local stack, on the OpenAPI documents of both APIs.

The public API's document is served at ``GET /membership/openapi.json`` to everyone, the staff
API's at ``GET /staff/openapi.json`` to signed-in staff; while the template declares no such
route yet, the document is taken in-process from the function's Powertools resolver.

Schemathesis' runner calls every operation over real HTTP with generated valid and invalid
input, and every answer must be no server error and conform to the document: a listed status
code, a listed media type, a body matching the listed schema, the listed headers. A failing run
lists every distinct failure it found, with a curl command to reproduce it.

Bounded for CI: a fixed number of examples per operation, derandomized with a fixed seed, no
shrinking, no per-example deadline, and a time limit only as a safety net (a run that hits it
fails: its result would depend on the machine's speed). Schemathesis' own ``max-time`` is no such
net: given one, the runner goes on fuzzing until the time is used up. One local stack serves the
whole module.

(The runner rather than ``@schema.parametrize()``: parametrizing needs the document while pytest
collects, before any stack runs, and Schemathesis' fixture-based lazy loading does not work with
pytest 9.2: it sets ``Node._nodeid``, which pytest no longer has.)
"""

from __future__ import annotations

import importlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.engine import StopReason, events

from local_aws.cli import LocalStack
from tests.local_http import (
    bearer,
    load_routes_template,
    media_type,
    running_stack,
)

pytestmark = pytest.mark.e2e

PUBLIC_DOCUMENT = "/membership/openapi.json"
STAFF_DOCUMENT = "/staff/openapi.json"
SELF_SERVICE_DOCUMENT = "/membership/self-service/openapi.json"
"""Not served (the member self-service function's routes are few and people-facing): built
in-process from its resolver, so that it is fuzzed like the others."""
DECLARED_ROUTES = {
    route.route_key
    for route in load_routes_template().routes
    # The staff app's pages have no API document (people, not scripts, use them); its
    # hostile inputs are probed in test_hostile_inputs.py, its pages in the browser tests.
    if route.function != "StaffWebFunction"
}

SEED = 20_241_129
MAX_EXAMPLES = 25
"""Per operation in the fuzzing phase, valid and invalid input together. The coverage phase
adds its own deterministic cases (boundaries, missing and wrong-typed fields, unexpected media
types and methods), the examples phase the documents' examples."""
SAFETY_NET_S = 120
"""The whole run takes a few seconds; this only stops a run that went wrong."""

CHECKS: dict[str, dict[str, Any]] = {
    # What must hold for every call.
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    # Input the document calls invalid must get a 4xx.
    "negative_data_rejection": {"enabled": True},
    # A header the document requires, left out, must get a 4xx.
    "missing_required_header": {"enabled": True},
    # An operation whose document requires credentials (the staff document's bearer scheme)
    # must refuse a call without them or with invalid ones.
    "ignored_auth": {"enabled": True},
    # Left out: input the document calls valid is not always accepted, and cannot be. Member
    # ids match the documented pattern but name no member (404; notes on them 404 too), list
    # cursors are opaque strings the server issued (422 for any other), an application needs
    # consent (a business rule: 422) and an address email-validator accepts, which is narrower
    # than JSON Schema's "email" format.
    "positive_data_acceptance": {"enabled": False},
    # Left out: API Gateway answers a method without a route with 404 (the local gateway does
    # the same), not 405 with an Allow header; the functions never see such a request. The
    # coverage phase still sends such methods, and not_a_server_error still applies to them.
    "unsupported_method": {"enabled": False},
    "allow_header_conformance": {"enabled": False},
    # Left out: stateful checks (deleted resources must stay gone, created ones must appear);
    # these APIs delete nothing and this module runs no stateful phase.
    "use_after_free": {"enabled": False},
    "ensure_resource_availability": {"enabled": False},
    # Left out: needs users who own distinct resources; every staff member may see every
    # member by design.
    "object_level_authorization": {"enabled": False},
}


def fuzz_config(base_url: str, headers: dict[str, str] | None = None) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": headers or {},
            # One worker: with two, CPython 3.11 sometimes fails compiling Hypothesis' generated
            # code ("SystemError: AST constructor recursion depth mismatch", gh-106905), and a
            # single thread keeps the order of requests, so every run is the same run.
            "workers": 1,
            "request-timeout": 30,
            "continue-on-failure": True,  # every distinct failure of an operation, not the first
            "generation": {
                "mode": "all",  # valid and invalid input
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,  # a failure is reported as found; shrinking costs minutes
                "database": "none",  # no replay of earlier failures: every run is the same run
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": CHECKS,
        }
    )


# --- the stack and the documents -------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory.mktemp("fuzz")) as running:
        with httpx.Client(base_url=running.base_url) as client:
            # One member, so that the staff list has something to describe.
            reply = client.post(
                "/membership/applications",
                json={
                    "name": "Erika Mustermann",
                    "email": "erika@example.org",
                    "organisation": "Muster GmbH",
                    "membership_type": "company",
                    "privacy_consent": True,
                },
            )
            assert reply.status_code == 202, reply.text
        assert running.wait_for_projections(10)
        yield running


def document(stack: LocalStack, path: str, module: str, headers: dict[str, str]) -> dict[str, Any]:
    """The document the stack serves at ``path``; in-process while the template lacks it."""
    if f"GET {path}" not in DECLARED_ROUTES:
        resolver = importlib.import_module(module).app
        return dict(json.loads(resolver.get_openapi_json_schema()))
    reply = httpx.get(f"{stack.base_url}{path}", headers=headers)
    assert reply.status_code == 200, f"GET {path}: {reply.status_code} {reply.text[:300]!r}"
    return dict(reply.json())


# --- the documents themselves ----------------------------------------------------------------


def test_the_public_document_is_served_to_everyone(stack: LocalStack) -> None:
    reply = httpx.get(f"{stack.base_url}{PUBLIC_DOCUMENT}")
    assert reply.status_code == 200, f"{reply.status_code} {reply.text[:300]!r}"
    assert media_type(reply.headers.get("content-type")) == "application/json"
    paths = reply.json()["paths"]
    assert "/membership/applications" in paths
    assert not any(p.startswith("/staff") for p in paths), "the public document shows staff routes"


def test_the_staff_document_is_served_to_signed_in_staff_only(stack: LocalStack) -> None:
    url = f"{stack.base_url}{STAFF_DOCUMENT}"
    anonymous = httpx.get(url)
    assert anonymous.status_code == 401, f"{anonymous.status_code} {anonymous.text[:300]!r}"
    not_staff = httpx.get(url, headers=bearer(stack, groups=("members",)))
    assert not_staff.status_code == 403, f"{not_staff.status_code} {not_staff.text[:300]!r}"
    reply = httpx.get(url, headers=bearer(stack))
    assert reply.status_code == 200, f"{reply.status_code} {reply.text[:300]!r}"
    assert media_type(reply.headers.get("content-type")) == "application/json"
    assert "no-store" in reply.headers.get("cache-control", "")
    assert "/staff/members/{member_id}/notes" in reply.json()["paths"]


def test_the_documents_cover_every_route_of_the_template(stack: LocalStack) -> None:
    documented = {
        f"{method.upper()} {path}"
        for doc in (
            document(stack, PUBLIC_DOCUMENT, "functions.public_api.app", {}),
            document(stack, STAFF_DOCUMENT, "functions.staff_api.app", bearer(stack)),
            document(stack, SELF_SERVICE_DOCUMENT, "functions.member_self_service.app", {}),
        )
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    assert not DECLARED_ROUTES - documented, sorted(DECLARED_ROUTES - documented)


# --- fuzzing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    operation: str
    kind: str
    message: str
    reproduce: str

    def __str__(self) -> str:
        message = "\n    ".join(self.message.strip().splitlines()[:24])
        return f"{self.operation}: {self.kind}\n    {message}\n    {self.reproduce}"


def run_schemathesis(document: dict[str, Any], config: SchemathesisConfig) -> list[Finding]:
    """Every distinct failure and error of one run of Schemathesis' runner."""
    schema = schemathesis.openapi.from_dict(document, config=config)
    findings: dict[tuple[str, str, str], Finding] = {}
    stop_reason = None
    deadline = time.monotonic() + SAFETY_NET_S
    stream = schemathesis.engine.from_schema(schema).execute()
    for event in stream:
        if time.monotonic() > deadline:
            stream.stop()  # the next event is the last one
            deadline = float("inf")
            findings[("run", "time", "")] = Finding(
                "run", "time", f"stopped after the safety net's {SAFETY_NET_S} s", ""
            )
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (failure.operation or event.recorder.label, failure.code, failure.title)
                    findings.setdefault(
                        key,
                        Finding(
                            key[0],
                            f"{failure.code} {failure.title}",
                            failure.message,
                            check.failure_info.code_sample,
                        ),
                    )
        elif isinstance(event, events.NonFatalError):
            key = (event.label, "error", type(event.value).__name__)
            findings.setdefault(key, Finding(event.label, "error", str(event.info), ""))
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason
            for failure in event.failures:
                key = (failure.operation or "run", failure.code, failure.title)
                findings.setdefault(key, Finding(key[0], failure.title, failure.message, ""))
    if stop_reason != StopReason.COMPLETED:
        findings[("run", "stop", "")] = Finding("run", "stopped early", str(stop_reason), "")
    return sorted(findings.values(), key=lambda f: (f.operation, f.kind))


def assert_no_findings(findings: list[Finding]) -> None:
    assert not findings, f"{len(findings)} distinct failure(s):\n\n" + "\n\n".join(
        str(f) for f in findings
    )


def test_the_public_api_keeps_its_document(stack: LocalStack) -> None:
    doc = document(stack, PUBLIC_DOCUMENT, "functions.public_api.app", {})
    assert_no_findings(run_schemathesis(doc, fuzz_config(stack.base_url)))


def test_the_staff_api_keeps_its_document(stack: LocalStack) -> None:
    headers = bearer(stack)
    doc = document(stack, STAFF_DOCUMENT, "functions.staff_api.app", headers)
    assert_no_findings(run_schemathesis(doc, fuzz_config(stack.base_url, headers)))


def test_a_members_own_notice_keeps_its_document(stack: LocalStack) -> None:
    doc = document(stack, SELF_SERVICE_DOCUMENT, "functions.member_self_service.app", {})
    assert_no_findings(run_schemathesis(doc, fuzz_config(stack.base_url)))


# --- answers the fuzzer rarely or never provokes ---------------------------------------------

TEN_MB = "Q" * 10_000_000
FORM = "application/x-www-form-urlencoded"
RESPONSE_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)


@dataclass(frozen=True)
class Known:
    """A request with a known answer, and the operation of the document it belongs to."""

    label: str
    operation: tuple[str, str]  # method and path as the document has them
    method: str
    target: str
    expected: frozenset[int]
    headers: dict[str, str]
    content: bytes = b""


def _application(email: str) -> dict[str, Any]:
    return {
        "name": "Max Muster",
        "email": email,
        "membership_type": "individual",
        "privacy_consent": True,
    }


def public_requests(unique: str) -> list[Known]:
    apply, submit = ("GET", "/membership/apply"), ("POST", "/membership/applications")
    as_json = {"Content-Type": "application/json"}
    application = json.dumps(_application(f"max.{unique}@example.org")).encode()
    form = f"name=Max&email=form.{unique}%40example.org&membership_type=company&privacy_consent=on"
    return [
        Known("the form", apply, "GET", "/membership/apply", frozenset({200}), {}),
        Known("the form, English", apply, "GET", "/membership/apply?lang=en", frozenset({200}), {}),
        Known("the landing page", ("GET", "/"), "GET", "/?lang=en", frozenset({200}), {}),
        Known(
            "the thank-you page",
            ("GET", "/membership/thanks"),
            "GET",
            "/membership/thanks?ref=A-7K3M-Q2XD&lang=de",
            frozenset({200}),
            {},
        ),
        Known("JSON, accepted", submit, "POST", submit[1], frozenset({202}), as_json, application),
        Known("JSON, again", submit, "POST", submit[1], frozenset({202}), as_json, application),
        Known(
            "JSON, invalid",
            submit,
            "POST",
            submit[1],
            frozenset({422}),
            as_json,
            json.dumps(_application("nope")).encode(),
        ),
        Known("JSON, malformed", submit, "POST", submit[1], frozenset({400, 422}), as_json, b"{"),
        Known(
            "JSON, 10 MB",
            submit,
            "POST",
            submit[1],
            frozenset({413}),
            as_json,
            json.dumps({**_application(f"big.{unique}@example.org"), "name": TEN_MB}).encode(),
        ),
        Known(
            "form, accepted",
            submit,
            "POST",
            submit[1],
            frozenset({303}),  # Post/Redirect/Get
            {"Content-Type": FORM},
            form.encode(),
        ),
        Known(
            "form, invalid",
            submit,
            "POST",
            submit[1],
            frozenset({422}),
            {"Content-Type": FORM},
            form.replace("%40", "").encode(),
        ),
        Known(
            "unknown media type",
            submit,
            "POST",
            submit[1],
            frozenset({415}),
            {"Content-Type": "text/plain"},
            application,
        ),
    ]


def staff_requests(stack: LocalStack, member_id: str, unique: str) -> list[Known]:
    staff, not_staff = bearer(stack), bearer(stack, groups=("members",))
    listing, detail = ("GET", "/staff/members"), ("GET", "/staff/members/{member_id}")
    notes = ("POST", "/staff/members/{member_id}/notes")
    as_json = {"Content-Type": "application/json"}
    keyed = {**staff, **as_json, "Idempotency-Key": f"key-{unique}"}
    note = f"/staff/members/{member_id}/notes"
    nobody = "00000000-0000-4000-8000-000000000000"
    return [
        Known("the list", listing, "GET", "/staff/members", frozenset({200}), staff),
        Known("limit 0", listing, "GET", "/staff/members?limit=0", frozenset({422}), staff),
        Known("foreign cursor", listing, "GET", "/staff/members?after=x", frozenset({422}), staff),
        Known("no token", listing, "GET", "/staff/members", frozenset({401}), {}),
        Known("not staff", listing, "GET", "/staff/members", frozenset({403}), not_staff),
        Known("a member", detail, "GET", f"/staff/members/{member_id}", frozenset({200}), staff),
        Known("nobody", detail, "GET", f"/staff/members/{nobody}", frozenset({404}), staff),
        Known("not an id", detail, "GET", "/staff/members/x", frozenset({422}), staff),
        Known(
            "a note",
            notes,
            "POST",
            note,
            frozenset({202}),
            keyed,
            json.dumps({"text": "a"}).encode(),
        ),
        Known(
            "the key again, another note",
            notes,
            "POST",
            note,
            frozenset({422}),
            keyed,
            json.dumps({"text": "b"}).encode(),
        ),
        Known(
            "a note on nobody",
            notes,
            "POST",
            f"/staff/members/{nobody}/notes",
            frozenset({404}),
            {**staff, **as_json},
            json.dumps({"text": "a"}).encode(),
        ),
        Known(
            "a note as text/plain",
            notes,
            "POST",
            note,
            frozenset({415}),
            {**staff, "Content-Type": "text/plain"},
            b"a",
        ),
        Known(
            "a 10 MB note",
            notes,
            "POST",
            note,
            frozenset({413}),
            {**staff, **as_json},
            json.dumps({"text": TEN_MB}).encode(),
        ),
    ]


def check_known(document: dict[str, Any], base_url: str, requests: list[Known]) -> list[str]:
    """Each request gets its expected status, and the answer conforms to the document."""
    load_all_checks()
    checks = CHECK_REGISTRY.get_by_names(list(RESPONSE_CHECKS))
    schema = schemathesis.openapi.from_dict(document, config=fuzz_config(base_url))
    problems = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for known in requests:
            reply = client.request(
                known.method, known.target, headers=known.headers, content=known.content
            )
            shown = f"{known.label} ({known.method} {known.target[:60]}): {reply.status_code} "
            shown += f"{media_type(reply.headers.get('content-type'))}"
            if reply.status_code not in known.expected:
                problems.append(f"{shown}, expected {sorted(known.expected)}: {reply.text[:200]!r}")
            method, path = known.operation
            # Only the operation matters for judging an answer; the request was sent above.
            placeholders = {name: "x" for name in re.findall(r"\{([^}]+)\}", path)}
            case = schema[path][method].Case(path_parameters=placeholders)
            try:
                case.validate_response(reply, checks=checks)
            except FailureGroup as group:
                titles = "; ".join(
                    f"{f.title}: {' '.join(f.message.split())[:160]}" for f in group.exceptions
                )
                problems.append(f"{shown} does not conform: {titles}")
    return problems


def test_known_answers_of_the_public_api_conform(stack: LocalStack) -> None:
    doc = document(stack, PUBLIC_DOCUMENT, "functions.public_api.app", {})
    problems = check_known(doc, stack.base_url, public_requests(uuid.uuid4().hex))
    assert not problems, "\n".join(problems)


def test_known_answers_of_the_staff_api_conform(stack: LocalStack) -> None:
    headers = bearer(stack)
    # A member of its own: the fuzzing before may have decided every application there was.
    application = {
        "name": "Erika Mustermann",
        "email": f"known-{uuid.uuid4().hex[:8]}@example.org",
        "membership_type": "company",
        "privacy_consent": True,
    }
    posted = httpx.post(f"{stack.base_url}/membership/applications", json=application)
    member_id = posted.json()["application_id"]
    assert stack.wait_for_projections(10)
    doc = document(stack, STAFF_DOCUMENT, "functions.staff_api.app", headers)
    problems = check_known(doc, stack.base_url, staff_requests(stack, member_id, uuid.uuid4().hex))
    assert not problems, "\n".join(problems)
