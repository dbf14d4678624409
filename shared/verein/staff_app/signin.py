"""Signing staff in with Cognito's managed login: OAuth 2.0 authorization code with PKCE.

The function is the OAuth client (backend for frontend): the browser only carries the code
from the login page back to us; we redeem it at the token endpoint with the PKCE verifier we
kept (``sessions.PendingSignIn``), read who signed in from the ID token and start our own
session. No token ever reaches the browser or our table.

The ID token comes straight from the token endpoint over TLS, so its issuer is the one we
called; OpenID Connect Core 3.1.3.7 lets a client rely on that instead of checking the
signature, which spares a JWKS fetch and a JWT library. Its claims are still checked: issuer,
audience (our client), expiry, the nonce we sent, ``token_use``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from verein.staff_app.sessions import StaffMember, same_secret
from verein.web.staff_auth import groups_from_claims

SCOPES = "openid email profile"


class SignInFailed(Exception):
    """The sign-in cannot be completed (bad code, wrong token); the person starts again."""


@dataclass(frozen=True)
class LoginService:
    """Cognito's managed login for our app client."""

    base_url: str
    """``https://<domain>.auth.<region>.amazoncognito.com``; locally the stack's stand-in."""
    client_id: str
    issuer: str

    def authorize_url(
        self, redirect_uri: str, state: str, code_verifier: str, nonce: str, language: str
    ) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": SCOPES,
            "code_challenge": s256(code_verifier),
            "code_challenge_method": "S256",
            "nonce": nonce,
            "lang": language,
        }
        return f"{self.base_url}/oauth2/authorize?{urlencode(query)}"

    def logout_url(self, logout_uri: str) -> str:
        query = {"client_id": self.client_id, "logout_uri": logout_uri}
        return f"{self.base_url}/logout?{urlencode(query)}"


class TokenEndpoint(Protocol):
    def redeem(
        self, login: LoginService, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        """The token endpoint's JSON answer; raises ``SignInFailed`` on an OAuth error."""
        ...


class HttpTokenEndpoint:
    """``POST /oauth2/token`` with the standard library (one request per sign-in)."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self._timeout_s = timeout_s

    def redeem(
        self, login: LoginService, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        from urllib.error import HTTPError, URLError  # noqa: PLC0415 - sign-ins only
        from urllib.request import Request, urlopen  # noqa: PLC0415

        form = {
            "grant_type": "authorization_code",
            "client_id": login.client_id,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        request = Request(  # noqa: S310 - the configured https URL (http on loopback locally)
            f"{login.base_url}/oauth2/token",
            data=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                answer = json.loads(response.read())
        except HTTPError as error:  # 400 invalid_grant: a reused or expired code
            raise SignInFailed(f"token endpoint answered {error.code}") from None
        except (URLError, TimeoutError, ValueError) as error:
            raise SignInFailed(f"token endpoint unreachable: {type(error).__name__}") from None
        if not isinstance(answer, dict):
            raise SignInFailed("token endpoint answered no JSON object")
        return answer


def find_client_id(cognito: Any, user_pool_id: str, client_name: str) -> str:
    """The app client named ``client_name`` (``ListUserPoolClients``, paged)."""
    request: dict[str, Any] = {"UserPoolId": user_pool_id, "MaxResults": 60}
    while True:
        response = cognito.list_user_pool_clients(**request)
        for client in response.get("UserPoolClients", []):
            if client.get("ClientName") == client_name:
                return str(client["ClientId"])
        if not response.get("NextToken"):
            raise LookupError(f"no app client {client_name!r} in user pool {user_pool_id}")
        request["NextToken"] = response["NextToken"]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_secret() -> str:
    """A random, URL-safe value: state, nonce, PKCE verifier (43 characters), session id."""
    return secrets.token_urlsafe(32)


def staff_from_id_token(
    id_token: object, login: LoginService, nonce: str, now: float | None = None
) -> StaffMember:
    claims = _claims(id_token)
    now = time.time() if now is None else now
    checks = {
        "issuer": claims.get("iss") == login.issuer,
        "audience": _audience_matches(claims.get("aud"), login.client_id),
        "expiry": isinstance(claims.get("exp"), int | float) and now < claims["exp"],
        "nonce": isinstance(claims.get("nonce"), str) and same_secret(claims["nonce"], nonce),
        "use": claims.get("token_use") == "id",
        "subject": isinstance(claims.get("sub"), str) and bool(claims["sub"]),
        "email": isinstance(claims.get("email"), str) and "@" in claims["email"],
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise SignInFailed(f"ID token refused: {', '.join(failed)}")
    return StaffMember(
        subject=claims["sub"],
        email=claims["email"],
        groups=tuple(sorted(groups_from_claims(claims))),
    )


def _audience_matches(audience: object, client_id: str) -> bool:
    if isinstance(audience, str):
        return audience == client_id
    return isinstance(audience, list) and audience == [client_id]


def _claims(id_token: object) -> dict[str, Any]:
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise SignInFailed("no ID token")
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise SignInFailed("ID token unreadable") from None
    if not isinstance(claims, dict):
        raise SignInFailed("ID token unreadable")
    return claims
