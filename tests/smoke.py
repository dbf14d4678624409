"""Smoke test of a running system, deployed or local: `make smoke URL=... [STACK=... | DATA=...]`.

Walks the main flows end to end over HTTP, as a person and a staff script would, and stops
at the first step that fails (exit status 1, with what was expected and what came back).
Every later feature adds its main flow here.

A staff token comes from, in this order:
- ``--token`` (or ``SMOKE_STAFF_TOKEN``);
- ``--stack NAME``: a deployed stack. A temporary staff user is made in its user pool with the
  shell's AWS credentials (Cognito admin calls), signed in (setting up its TOTP second factor,
  which the pool demands), and deleted at the end, so no password is stored anywhere;
- ``--data-dir DIR``: a local stack (``make run``) started with that data dir; its local key
  signs the token.

The applicant's address is at Amazon SES's mailbox simulator (``success+...``): mail sent to
it is accepted and dropped, so a smoke run never mails a person nor hurts the sender's
reputation. Its application stays in the register as "Smoke Test", withdrawn (so its address
may apply again, and no member number is used up).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

SIMULATOR = "simulator.amazonses.com"
PROJECTION_WAIT_S = 30.0


class SmokeFailed(Exception):
    pass


def expect(condition: bool, what: str, response: httpx.Response | None = None) -> None:
    if not condition:
        seen = f" (HTTP {response.status_code}: {response.text[:300]})" if response else ""
        raise SmokeFailed(f"{what}{seen}")


@dataclass
class Smoke:
    http: httpx.Client
    staff: dict[str, str]
    run_id: str

    def step(self, name: str, action: Callable[[], str | None]) -> None:
        started = time.monotonic()
        detail = action()
        took = (time.monotonic() - started) * 1000
        print(f"ok  {name} ({took:.0f} ms){': ' + detail if detail else ''}", flush=True)


def membership_flow(smoke: Smoke) -> None:
    """Apply, see the application as staff, add a note (twice under one key), read it back."""
    http, staff = smoke.http, smoke.staff
    member: dict[str, str] = {}

    def form() -> None:
        page = http.get("/membership/apply", params={"lang": "de"})
        expect(page.status_code == 200, "the application form answers 200", page)
        expect('action="/membership/applications"' in page.text, "the form posts", page)

    def apply() -> str:
        application = {
            "name": "Smoke Test",
            "email": f"success+{smoke.run_id}@{SIMULATOR}",
            "organisation": "Smoke GmbH",
            "membership_type": "company",
            "privacy_consent": True,
        }
        reply = http.post("/membership/applications", json=application)
        expect(reply.status_code == 202, "an application is accepted with 202", reply)
        # No enumeration: the answer has the same shape whether or not the address is known.
        expect(
            set(reply.json()) == {"application_id", "reference"},
            "the receipt is the application id and its reference, nothing more",
            reply,
        )
        member["id"] = reply.json()["application_id"]
        return member["id"]

    def refused_without_token() -> None:
        reply = http.get("/staff/members")
        expect(reply.status_code == 401, "staff routes refuse a caller without a token", reply)

    def seen_by_staff() -> str:
        deadline = time.monotonic() + PROJECTION_WAIT_S
        while True:
            reply = http.get(f"/staff/members/{member['id']}", headers=staff)
            expect(reply.status_code == 200, "staff read the application", reply)
            summary = reply.json()["summary"]
            if summary is not None:
                expect(summary["status"] == "applied", "the application is listed as applied")
                return "projected"
            expect(time.monotonic() < deadline, f"the views show it within {PROJECTION_WAIT_S}s")
            time.sleep(0.5)

    def found_in_the_register() -> str:
        # the by_name index (a GSI) is eventually consistent: wait for it as for the view
        deadline = time.monotonic() + PROJECTION_WAIT_S
        query = {"q": f"SMOKE GMBH {smoke.run_id}", "status": "applied"}  # case ignored
        while True:
            reply = http.get("/staff/members", params=query, headers=staff)
            expect(reply.status_code == 200, "staff search the register", reply)
            found = [m["member_id"] for m in reply.json()["members"]]
            if found:
                expect(found == [member["id"]], "the search finds the application alone", reply)
                return "by organisation and e-mail"
            expect(time.monotonic() < deadline, f"the register has it within {PROJECTION_WAIT_S}s")
            time.sleep(0.5)

    def note() -> None:
        key = [("idempotency-key", f"smoke-{smoke.run_id}")]
        headers = {**staff, **dict(key)}
        body = {"text": "Smoke test: note"}
        first = http.post(f"/staff/members/{member['id']}/notes", json=body, headers=headers)
        expect(first.status_code == 202 and first.json()["version"] == 2, "a note is added", first)
        again = http.post(f"/staff/members/{member['id']}/notes", json=body, headers=headers)
        expect(again.json().get("already_received") is True, "a retried note is stored once", again)

    def history() -> None:
        reply = http.get(f"/staff/members/{member['id']}", headers=staff)
        kinds = [entry["event_type"] for entry in reply.json()["history"]]
        expect(kinds == ["MembershipApplied", "MemberNoteAdded"], f"the history, not {kinds}")

    def withdrawn() -> None:
        # Withdrawn, not approved: a smoke run must not take a member number (never reused).
        path = f"/staff/members/{member['id']}/withdraw"
        body = {"reason": "Smoke test"}
        first = http.post(path, json=body, headers=staff)
        expect(first.status_code == 200, "the application is withdrawn", first)
        expect(first.json().get("decision") == "withdrawn", "as a withdrawal", first)
        again = http.post(path, json=body, headers=staff)
        expect(again.status_code == 409, "a closed application cannot be decided again", again)

    def contact_changed() -> None:
        path = f"/staff/members/{member['id']}"
        body = {"city": "Smoketown", "phone": "+49 30 1234567"}
        reply = http.patch(path, json=body, headers=staff)
        expect(reply.status_code == 200, "contact details change on any record", reply)
        typo = http.patch(path, json={"town": "x"}, headers=staff)
        expect(typo.status_code == 422, "an unknown field is refused, not ignored", typo)

    def notice_refused() -> None:
        reply = http.post(f"/staff/members/{member['id']}/terminate", json={}, headers=staff)
        expect(reply.status_code == 409, "only an active member can give notice", reply)
        expect(
            reply.headers.get("content-type") == "application/problem+json",
            "as problem+json naming the rule",
            reply,
        )

    def as_of_today() -> None:
        day = time.strftime("%Y-%m-%d")
        reply = http.get(f"/staff/members/{member['id']}", params={"as_of": day}, headers=staff)
        expect(reply.status_code == 200, "the member as of a day", reply)
        expect(reply.json()["status"] == "withdrawn", "is withdrawn today", reply)

    smoke.step("membership: the form is served", form)
    smoke.step("membership: apply", apply)
    smoke.step("staff: no token, no access", refused_without_token)
    smoke.step("staff: the application is seen", seen_by_staff)
    smoke.step("staff: the register finds it", found_in_the_register)
    smoke.step("staff: add a note, retry it", note)
    smoke.step("staff: the history has both", history)
    smoke.step("staff: withdraw it, and not twice", withdrawn)
    smoke.step("staff: change its contact details", contact_changed)
    smoke.step("staff: notice on a closed application is refused", notice_refused)
    smoke.step("staff: the application as of today", as_of_today)


def staff_app_flow(smoke: Smoke) -> None:
    """The staff app's door: a page sends to sign-in, sign-in to the managed login with PKCE
    and our callback, the login page is there; forged callbacks and cross-site posts bounce.
    (Signing in needs a person at the login page; the browser tests do that locally.)"""
    http = smoke.http
    login: dict[str, str] = {}

    def page_needs_session() -> None:
        reply = http.get("/control/members", follow_redirects=False)
        expect(reply.status_code == 303, "a staff page without a session redirects", reply)
        where = reply.headers.get("location", "")
        expect(where.startswith("/control/sign-in"), f"to the sign-in, not {where!r}", reply)

    def sign_in_goes_to_login() -> str:
        reply = http.get("/control/sign-in", follow_redirects=False)
        expect(reply.status_code == 303, "sign-in redirects to the login", reply)
        target = httpx.URL(reply.headers.get("location", ""))
        query = dict(target.params)
        callback = f"{http.base_url}".rstrip("/") + "/control/auth/callback"
        expect(target.path.endswith("/oauth2/authorize"), f"the authorize endpoint: {target}")
        expect(query.get("code_challenge_method") == "S256", "with PKCE (S256)")
        expect(query.get("redirect_uri") == callback, f"back to {callback}, not {query}")
        expect(bool(query.get("client_id")), "naming the app client")
        login["url"] = str(target)
        return f"{target.scheme}://{target.host}"

    def login_page_answers() -> None:
        with httpx.Client(timeout=30, follow_redirects=True) as browser:
            reply = browser.get(login["url"])
        expect(reply.status_code == 200, "the login page accepts our client and callback", reply)

    def forged_callback() -> None:
        reply = http.get("/control/auth/callback", params={"code": "x", "state": "y"})
        expect(reply.status_code == 400, "a callback without its sign-in is refused", reply)
        expect("__Host-verein-session" not in reply.headers.get("set-cookie", ""), "no session")

    def cross_site_post() -> None:
        reply = http.post(
            "/control/sign-out", data={"csrf": "x"}, headers={"origin": "https://evil.example"}
        )
        expect(reply.status_code == 403, "a cross-site post is refused", reply)

    smoke.step("staff app: a page needs a session", page_needs_session)
    smoke.step("staff app: sign-in goes to the managed login", sign_in_goes_to_login)
    smoke.step("staff app: the login page answers", login_page_answers)
    smoke.step("staff app: a forged callback is refused", forged_callback)
    smoke.step("staff app: a cross-site post is refused", cross_site_post)


def self_service_flow(smoke: Smoke) -> None:
    """A member's own notice: the form, a request (the same answer for every address), and a
    link that is no link gets a clear page."""
    http = smoke.http

    def form() -> None:
        page = http.get("/membership/notice", params={"lang": "de"})
        expect(page.status_code == 200, "the notice form answers 200", page)
        expect('action="/membership/termination-requests"' in page.text, "the form posts", page)

    def request() -> None:
        address = f"success+{smoke.run_id}@{SIMULATOR}"
        reply = http.post("/membership/termination-requests", json={"email": address})
        expect(reply.status_code == 202, "a request is accepted with 202", reply)
        expect(reply.json() == {"status": "requested"}, "saying nothing about the address", reply)

    def tampered_link() -> None:
        reply = http.get("/membership/notice/bm90LWEtbGluaw.bm90LWEtc2lnbmF0dXJl")
        expect(reply.status_code == 400, "a link signed by nobody gets a 400 page", reply)
        expect("text/html" in reply.headers.get("content-type", ""), "as a page", reply)

    smoke.step("self-service: the notice form is served", form)
    smoke.step("self-service: ask for a link", request)
    smoke.step("self-service: a forged link is refused", tampered_link)


def staff_reads_flow(smoke: Smoke) -> None:
    """What staff read besides members: the fee schedule, the working groups, the dashboard."""
    http, staff = smoke.http, smoke.staff

    def read(path: str) -> Callable[[], None]:
        def get() -> None:
            reply = http.get(path, headers=staff)
            expect(reply.status_code == 200, f"{path} answers 200", reply)

        return get

    for path in ("/staff/fees", "/staff/working-groups", "/staff/dashboard"):
        smoke.step(f"staff: {path}", read(path))


FLOWS = (membership_flow, self_service_flow, staff_reads_flow, staff_app_flow)
"""Each feature's main flow, in order."""


@contextmanager
def temporary_staff_user(stack: str) -> Iterator[str]:
    """A staff user in the stack's user pool for the length of the run; its ID token."""
    import boto3  # noqa: PLC0415 - only a run against AWS needs it

    outputs = _stack_outputs(boto3.client("cloudformation"), stack)
    pool, client_id = outputs["StaffUserPoolId"], outputs["StaffUserPoolClientId"]
    cognito = boto3.client("cognito-idp")
    username = f"smoke+{uuid.uuid4().hex[:12]}@{SIMULATOR}"
    password = secrets.token_urlsafe(24) + "aA1!"
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    try:
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=password, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="staff")
        yield sign_in(cognito, client_id, username, password)
    finally:
        cognito.admin_delete_user(UserPoolId=pool, Username=username)


def sign_in(cognito: Any, client_id: str, username: str, password: str) -> str:
    """The ID token of a user signing in for the first time, as staff do: the pool demands a
    TOTP second factor, so the first sign-in sets one up (``MFA_SETUP``)."""
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if answer.get("ChallengeName") == "MFA_SETUP":
        answer = _set_up_totp(cognito, client_id, username, answer["Session"])
    if "AuthenticationResult" not in answer:
        raise SmokeFailed(f"unexpected sign-in challenge: {answer.get('ChallengeName')}")
    return str(answer["AuthenticationResult"]["IdToken"])


def _set_up_totp(cognito: Any, client_id: str, username: str, session: str) -> Any:
    import pyotp  # noqa: PLC0415 - only a run against AWS needs it

    token = cognito.associate_software_token(Session=session)
    code = pyotp.TOTP(token["SecretCode"]).now()
    verified = cognito.verify_software_token(
        Session=token["Session"], UserCode=code, FriendlyDeviceName="smoke test"
    )
    return cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )


def _stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


@contextmanager
def staff_token(args: argparse.Namespace) -> Iterator[str]:
    if args.token:
        yield args.token
    elif args.stack:
        with temporary_staff_user(args.stack) as token:
            yield token
    elif args.data_dir:
        from local_aws.jwt_auth import LocalCognito  # noqa: PLC0415 - local runs only

        yield LocalCognito(args.data_dir).issue_token(groups=("staff",), ttl=600)
    else:
        raise SmokeFailed("no staff token: give --token, --stack or --data-dir")


def run(args: argparse.Namespace) -> int:
    base_url = args.url.rstrip("/")
    print(f"smoke test of {base_url}", flush=True)
    try:
        with staff_token(args) as token, httpx.Client(base_url=base_url, timeout=30) as http:
            smoke = Smoke(http, {"Authorization": f"Bearer {token}"}, uuid.uuid4().hex[:12])
            for flow in FLOWS:
                flow(smoke)
    except (SmokeFailed, httpx.HTTPError) as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the API's base URL")
    parser.add_argument("--token", default=os.environ.get("SMOKE_STAFF_TOKEN") or None)
    parser.add_argument("--stack", help="a deployed stack: make a temporary staff user there")
    parser.add_argument("--data-dir", help="a local stack's data dir: sign a local token")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
