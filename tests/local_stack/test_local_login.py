"""The local managed login over real HTTP: authorization code + PKCE against the whole stack.

One stack from the real template per module; the staff JSON API must accept what the token
endpoint issues.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from local_aws.cli import LocalStack, main
from local_aws.jwt_auth import LOCAL_CLIENT_ID
from local_aws.users import UserStore

pytestmark = pytest.mark.e2e

EMAIL = "anna@verein.example"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(data_dir=tmp_path_factory.mktemp("login") / "data", port=0) as running:
        running.managed_login.failure_delay = 0.0  # the delay is for people guessing, not tests
        UserStore(running.data_dir).add(EMAIL, PASSWORD, ("staff",))
        yield running


@pytest.fixture
def client(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, follow_redirects=False, timeout=30) as http:
        yield http


@pytest.fixture(autouse=True)
def real_clock(stack: LocalStack) -> Iterator[None]:
    yield
    stack.managed_login.clock = time.time


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(stack: LocalStack, challenge: str, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": LOCAL_CLIENT_ID,
        "redirect_uri": f"{stack.base_url}/staff/callback",
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "openid email",
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))


def sign_in(
    client: httpx.Client, stack: LocalStack, challenge: str, email: str, password: str
) -> httpx.Response:
    """Open the sign-in page and post it as a browser would (its hidden fields included)."""
    page = client.get("/_local/cognito/oauth2/authorize", params=authorize_params(stack, challenge))
    assert page.status_code == 200
    form = {**hidden_fields(page.text), "email": email, "password": password}
    return client.post("/_local/cognito/login", data=form)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def redeem(
    client: httpx.Client, stack: LocalStack, code: str, verifier: str, **changes: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{stack.base_url}/staff/callback",
        "client_id": LOCAL_CLIENT_ID,
        "code_verifier": verifier,
        **changes,
    }
    return client.post("/_local/cognito/oauth2/token", data=form)


def fresh_code(client: httpx.Client, stack: LocalStack) -> tuple[str, str]:
    verifier, challenge = pkce()
    return code_from(sign_in(client, stack, challenge, EMAIL, PASSWORD)), verifier


def refused(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_sign_in_with_code_and_pkce_gives_a_token_the_staff_api_accepts(
    stack: LocalStack, client: httpx.Client
) -> None:
    verifier, challenge = pkce()
    page = client.get(
        "/_local/cognito/oauth2/authorize", params=authorize_params(stack, challenge, lang="en")
    )
    assert page.status_code == 200
    assert 'label for="email"' in page.text
    assert 'autocomplete="current-password"' in page.text
    assert "<script" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # so no script may run at all
    posted = client.post(
        "/_local/cognito/login",
        data={**hidden_fields(page.text), "email": "Anna@VEREIN.example", "password": PASSWORD},
    )
    location = urlsplit(posted.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{stack.base_url}/staff/callback"
    )
    tokens = redeem(client, stack, code_from(posted), verifier)
    assert tokens.status_code == 200
    body = tokens.json()
    assert set(body) == {"id_token", "access_token", "expires_in", "token_type"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert tokens.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    user = UserStore(stack.data_dir).get(EMAIL)
    assert user is not None
    assert (claims["email"], claims["sub"], claims["cognito:groups"]) == (
        EMAIL,
        user.sub,
        ["staff"],
    )
    assert claims["aud"] == LOCAL_CLIENT_ID
    members = client.get("/staff/members", headers={"Authorization": f"Bearer {body['id_token']}"})
    assert members.status_code == 200, members.text


def test_the_german_page_is_the_default(stack: LocalStack, client: httpx.Client) -> None:
    page = client.get("/_local/cognito/oauth2/authorize", params=authorize_params(stack, pkce()[1]))
    assert '<html lang="de">' in page.text
    assert "Passwort" in page.text


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    stack: LocalStack, client: httpx.Client
) -> None:
    _, challenge = pkce()
    wrong = sign_in(client, stack, challenge, EMAIL, PASSWORD + "!")
    unknown = sign_in(client, stack, challenge, "nobody@verein.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert "location" not in wrong.headers
    assert "falsch" in wrong.text
    # The page shows the typed address again; apart from that the answers are identical.
    assert wrong.text.replace(EMAIL, "X") == unknown.text.replace("nobody@verein.example", "X")


def test_repeated_failures_lock_the_address_out_for_a_while(
    stack: LocalStack, client: httpx.Client
) -> None:
    other = "guessed@verein.example"
    UserStore(stack.data_dir).add(other, PASSWORD)
    _, challenge = pkce()
    for _ in range(10):
        assert sign_in(client, stack, challenge, other, "wrong password!").status_code == 400
    assert sign_in(client, stack, challenge, other, PASSWORD).status_code == 400
    stack.managed_login.clock = lambda: time.time() + 901  # the window has passed
    assert sign_in(client, stack, challenge, other, PASSWORD).status_code == 302


def test_a_code_is_good_for_one_redemption_only(stack: LocalStack, client: httpx.Client) -> None:
    code, verifier = fresh_code(client, stack)
    assert redeem(client, stack, code, verifier).status_code == 200
    refused(redeem(client, stack, code, verifier), "invalid_grant")


def test_a_code_expires_after_five_minutes(stack: LocalStack, client: httpx.Client) -> None:
    code, verifier = fresh_code(client, stack)
    stack.managed_login.clock = lambda: time.time() + 301
    refused(redeem(client, stack, code, verifier), "invalid_grant")
    stack.managed_login.clock = time.time
    code, verifier = fresh_code(client, stack)
    stack.managed_login.clock = lambda: time.time() + 290
    assert redeem(client, stack, code, verifier).status_code == 200


def test_a_wrong_code_verifier_is_refused_and_spends_the_code(
    stack: LocalStack, client: httpx.Client
) -> None:
    code, verifier = fresh_code(client, stack)
    refused(redeem(client, stack, code, pkce()[0]), "invalid_grant")
    refused(redeem(client, stack, code, verifier), "invalid_grant")


def test_the_code_is_bound_to_its_redirect_uri_and_client(
    stack: LocalStack, client: httpx.Client
) -> None:
    code, verifier = fresh_code(client, stack)
    other_uri = f"{stack.base_url}/staff/other"
    refused(redeem(client, stack, code, verifier, redirect_uri=other_uri), "invalid_grant")
    code, verifier = fresh_code(client, stack)
    refused(redeem(client, stack, code, verifier, client_id="someone-else"), "invalid_client")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "refresh_token"}, "unsupported_grant_type"),
        ({"code_verifier": ""}, "invalid_request"),
        ({"redirect_uri": ""}, "invalid_request"),
    ],
)
def test_malformed_token_requests_are_answered_as_oauth_does(
    stack: LocalStack, client: httpx.Client, form: dict[str, str], error: str
) -> None:
    code, verifier = fresh_code(client, stack)
    refused(redeem(client, stack, code, verifier, **form), error)


def test_a_token_request_as_json_is_refused(stack: LocalStack, client: httpx.Client) -> None:
    code, verifier = fresh_code(client, stack)
    answer = client.post(
        "/_local/cognito/oauth2/token",
        json={"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
    )
    refused(answer, "invalid_request")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:{port}@evil.example/callback",
        "//evil.example/callback",
        "",
    ],
)
def test_a_redirect_uri_off_the_stacks_origin_gets_an_error_page_not_a_redirect(
    stack: LocalStack, client: httpx.Client, redirect_uri: str
) -> None:
    port = str(urlsplit(stack.base_url).port)
    params = authorize_params(stack, pkce()[1], redirect_uri=redirect_uri.format(port=port))
    for answer in (
        client.get("/_local/cognito/oauth2/authorize", params=params),
        client.post("/_local/cognito/login", data={**params, "email": EMAIL, "password": PASSWORD}),
    ):
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "redirect_mismatch" in answer.text


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_without_s256_pkce_the_error_goes_back_to_the_client(
    stack: LocalStack, client: httpx.Client, changes: dict[str, Any], error: str
) -> None:
    params = authorize_params(stack, pkce()[1], **changes)
    answer = client.get("/_local/cognito/oauth2/authorize", params=params)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == [error]
    assert query["state"] == ["st-123"]
    assert "code" not in query


def test_logout_redirects_only_to_the_stacks_own_origin(
    stack: LocalStack, client: httpx.Client
) -> None:
    home = f"{stack.base_url}/"
    ok = client.get(
        "/_local/cognito/logout", params={"client_id": LOCAL_CLIENT_ID, "logout_uri": home}
    )
    assert (ok.status_code, ok.headers["location"]) == (302, home)
    evil = client.get(
        "/_local/cognito/logout",
        params={"client_id": LOCAL_CLIENT_ID, "logout_uri": "https://evil.example/"},
    )
    assert evil.status_code == 400
    assert "location" not in evil.headers


def test_a_user_added_while_the_stack_runs_can_sign_in_at_once(
    stack: LocalStack, client: httpx.Client
) -> None:
    email = "new.staff@verein.example"
    args = ["local", "user", "add", email, "--password", PASSWORD, "--data-dir"]
    assert main([*args, str(stack.data_dir)]) == 0
    verifier, challenge = pkce()
    tokens = redeem(
        client, stack, code_from(sign_in(client, stack, challenge, email, PASSWORD)), verifier
    )
    assert (
        jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})["email"] == email
    )
    assert main(["local", "user", "remove", email, "--data-dir", str(stack.data_dir)]) == 0
    assert sign_in(client, stack, challenge, email, PASSWORD).status_code == 400


def test_stack_json_names_the_login_and_keeps_its_other_keys(stack: LocalStack) -> None:
    recorded = json.loads((stack.data_dir / "stack.json").read_text())
    assert recorded["base_url"] == stack.base_url
    assert recorded["dynamodb_endpoint"] == stack.dynamodb_endpoint
    assert recorded["cognito_base_url"] == f"{stack.base_url}/_local/cognito"
    assert recorded["cognito_client_id"] == LOCAL_CLIENT_ID
    assert Path(recorded["users_file"]) == stack.data_dir / "users.json"
