"""Local stand-in for Cognito's managed login: OAuth 2.0 authorization code flow with PKCE.

Served by the local gateway under ``/_local/cognito`` at Cognito's paths, so the product can
be pointed at either (``<base>/oauth2/authorize``, ``<base>/login``, ``<base>/oauth2/token``,
``<base>/logout``). Users come from ``users.json`` (see ``users.py``); tokens are the ones
``LocalCognito`` signs, which the gateway's JWT authorizer accepts.

Stricter than Cognito where that costs the product nothing: PKCE (S256) is required, and a
redirect or logout URI must be on the stack's own origin (Cognito checks a registered list).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local_aws.gateway import HttpResponse
from local_aws.jwt_auth import LocalCognito
from local_aws.users import LocalUser, UserStore

PREFIX = "/_local/cognito"
CODE_TTL_S = 300.0  # Cognito's authorization codes live 5 minutes
TOKEN_TTL_S = 3600  # the template's IdTokenValidity / AccessTokenValidity: 1 hour
FAILURE_DELAY_S = 0.5  # slows guessing down without locking anyone out
MAX_FAILURES = 10  # per address and window; then every attempt fails until the window ends
FAILURE_WINDOW_S = 900.0
# RFC 7636 4.1: 43..128 characters of [A-Za-z0-9-._~].
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")  # base64url of a SHA-256, no padding
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_PARAMS = ("response_type", "client_id", "redirect_uri", "state", "scope", "lang")
_PKCE = ("code_challenge", "code_challenge_method", "nonce")


@dataclass(frozen=True)
class _Grant:
    """What an authorization code stands for until it is redeemed."""

    email: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    nonce: str | None
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def stack_origins(base_url: str) -> frozenset[str]:
    """The stack's own origins: its base URL's, and on loopback the other loopback names."""
    url = urlsplit(base_url)
    origins = {f"{url.scheme}://{url.netloc}"}
    if url.hostname in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):  # noqa: S104
        origins |= {f"{url.scheme}://{host}:{url.port}" for host in _LOOPBACK}
    return frozenset(origins)


class LocalManagedLogin:
    """The sign-in page, the token endpoint and logout; ``handle`` answers one request."""

    def __init__(
        self,
        cognito: LocalCognito,
        users: UserStore,
        origins: Callable[[], Collection[str]],
        *,
        clock: Callable[[], float] = time.time,
        failure_delay: float = FAILURE_DELAY_S,
    ) -> None:
        self.cognito = cognito
        self.users = users
        self.origins = origins
        self.clock = clock  # tests replace it to let codes expire
        self.failure_delay = failure_delay
        self._grants: dict[str, _Grant] = {}
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> HttpResponse | None:
        """The answer to a request under ``PREFIX``; None for any other path."""
        if not path.startswith(PREFIX + "/"):
            return None
        endpoint = (method, path[len(PREFIX) :])
        params = dict(parse_qsl(query, keep_blank_values=True))
        if endpoint in (("GET", "/oauth2/authorize"), ("GET", "/login")):
            return self._authorize(params, headers)
        if endpoint == ("POST", "/login"):
            return self._sign_in(_form(headers, body), headers)
        if endpoint == ("POST", "/oauth2/token"):
            return self._token(headers, body)
        if endpoint == ("GET", "/logout"):
            return self._logout(params)
        return _error_page(404, "Not Found", "Diese Seite gibt es nicht. / No such page.")

    # --- /oauth2/authorize and /login ---------------------------------------------------------

    def _check_client(self, params: Mapping[str, str]) -> HttpResponse | None:
        """An error page when the request cannot safely be answered at its redirect_uri."""
        if params.get("client_id") != self.cognito.client_id:
            return _error_page(400, "invalid_client", "Unknown client_id.")
        if not self._acceptable(params.get("redirect_uri", "")):
            return _error_page(
                400, "redirect_mismatch", "redirect_uri must be a URL on this stack's origin."
            )
        return None

    def _check_request(self, params: Mapping[str, str]) -> OAuthError | None:
        if params.get("response_type") != "code":
            return OAuthError("unsupported_response_type", "response_type must be code")
        if params.get("code_challenge_method") != "S256":
            return OAuthError("invalid_request", "PKCE is required: code_challenge_method=S256")
        if not _CHALLENGE.fullmatch(params.get("code_challenge", "")):
            return OAuthError("invalid_request", "code_challenge must be a S256 challenge")
        return None

    def _authorize(self, params: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse:
        refused = self._check_client(params)
        if refused is not None:
            return refused
        problem = self._check_request(params)
        if problem is not None:
            return _redirect_error(params, problem)
        return _login_page(params, _language(params, headers), failed=False)

    def _sign_in(self, form: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse:
        refused = self._check_client(form)
        if refused is not None:
            return refused
        problem = self._check_request(form)
        if problem is not None:
            return _redirect_error(form, problem)
        user = self._authenticate(form.get("email", ""), form.get("password", ""))
        if user is None:
            return _login_page(form, _language(form, headers), failed=True)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            self._grants[code] = _Grant(
                email=user.email,
                client_id=form["client_id"],
                redirect_uri=form["redirect_uri"],
                code_challenge=form["code_challenge"],
                scope=form.get("scope", "openid email"),
                nonce=form.get("nonce") or None,
                expires_at=self.clock() + CODE_TTL_S,
            )
        return _redirect(_with_query(form["redirect_uri"], code=code, state=form.get("state")))

    def _authenticate(self, email: str, password: str) -> LocalUser | None:
        key = email.strip().casefold()
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if t > now - FAILURE_WINDOW_S]
            self._failures[key] = recent
        user = self.users.authenticate(email, password)
        if user is not None and len(recent) < MAX_FAILURES:
            with self._lock:
                self._failures.pop(key, None)
            return user
        with self._lock:
            self._failures.setdefault(key, []).append(now)
        time.sleep(self.failure_delay)
        return None

    def _forget_expired(self) -> None:
        now = self.clock()
        for code in [c for c, g in self._grants.items() if g.expires_at <= now]:
            del self._grants[code]

    def _acceptable(self, uri: str) -> bool:
        try:
            url = urlsplit(uri)
            origin = f"{url.scheme}://{url.netloc}"
        except ValueError:
            return False
        # No userinfo ("http://127.0.0.1:3000@evil.example" is evil.example's) and no fragment.
        return origin in self.origins() and "@" not in url.netloc and not url.fragment

    # --- /oauth2/token ------------------------------------------------------------------------

    def _token(self, headers: Mapping[str, str], body: bytes) -> HttpResponse:
        try:
            return _json(200, self._redeem(headers, body))
        except OAuthError as error:
            return _json(400, {"error": error.error, "error_description": error.description})

    def _redeem(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise OAuthError("invalid_request", "send the form as x-www-form-urlencoded")
        form = _form(headers, body)
        client_id = form.get("client_id") or _basic_user(headers.get("authorization", ""))
        if form.get("grant_type") != "authorization_code":
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code")
        missing = [n for n in ("code", "redirect_uri", "code_verifier") if not form.get(n)]
        if missing or not client_id:
            raise OAuthError("invalid_request", f"missing: {', '.join(missing or ['client_id'])}")
        if client_id != self.cognito.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        with self._lock:
            grant = self._grants.pop(form["code"], None)  # single use, whatever follows
        if grant is None or grant.expires_at <= self.clock():
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        if (grant.client_id, grant.redirect_uri) != (client_id, form["redirect_uri"]):
            raise OAuthError("invalid_grant", "client_id or redirect_uri differ from the code's")
        verifier = form["code_verifier"]
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
            s256(verifier), grant.code_challenge
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        user = self.users.get(grant.email)
        if user is None:
            raise OAuthError("invalid_grant", "the user no longer exists")
        return self._tokens(user, grant)

    def _tokens(self, user: LocalUser, grant: _Grant) -> dict[str, Any]:
        extra = {"nonce": grant.nonce} if grant.nonce else {}
        id_token = self.cognito.issue_token(
            groups=user.groups, subject=user.sub, ttl=TOKEN_TTL_S, email=user.email, extra=extra
        )
        access_token = self.cognito.issue_access_token(
            groups=user.groups, subject=user.sub, ttl=TOKEN_TTL_S, scope=grant.scope
        )
        return {
            "id_token": id_token,
            "access_token": access_token,
            "expires_in": TOKEN_TTL_S,
            "token_type": "Bearer",
        }

    # --- /logout ------------------------------------------------------------------------------

    def _logout(self, params: Mapping[str, str]) -> HttpResponse:
        # Nothing to end here: the local login keeps no session of its own.
        if params.get("client_id") != self.cognito.client_id:
            return _error_page(400, "invalid_client", "Unknown client_id.")
        if not self._acceptable(params.get("logout_uri", "")):
            return _error_page(400, "invalid_request", "logout_uri must be on this origin.")
        return _redirect(params["logout_uri"])


# --- HTTP helpers -----------------------------------------------------------------------------


def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _basic_user(authorization: str) -> str:
    """The client id of ``Authorization: Basic`` (the local client has no secret to check)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[0]
    except ValueError:
        return ""


def _with_query(uri: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if urlsplit(uri).query else '?'}{query}"


def _redirect(location: str) -> HttpResponse:
    return HttpResponse(302, [("Location", location), ("Cache-Control", "no-store")], b"")


def _redirect_error(params: Mapping[str, str], error: OAuthError) -> HttpResponse:
    """RFC 6749 4.1.2.1: once the redirect_uri is trusted, errors go back to it."""
    return _redirect(
        _with_query(
            params["redirect_uri"],
            error=error.error,
            error_description=error.description,
            state=params.get("state"),
        )
    )


def _json(status: int, payload: Mapping[str, Any]) -> HttpResponse:
    headers = [
        ("Content-Type", "application/json;charset=UTF-8"),
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
    ]
    return HttpResponse(status, headers, json.dumps(payload).encode())


# --- the pages --------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f4f4f4}"
    "main{max-width:24rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem}"
    "label{display:block;margin-top:1rem;font-weight:600}"
    "input{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;margin-top:.3rem}"
    "button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem}"
    ".error{color:#a00;border-left:4px solid #a00;padding-left:.5rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# No script may run: only this one style block, and forms only to this origin.
_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_TEXT = {
    "de": {
        "title": "Anmeldung für Mitarbeitende",
        "hint": "Lokale Anmeldung (Entwicklung): Benutzer aus membership local user.",
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "submit": "Anmelden",
        "failed": "E-Mail-Adresse oder Passwort ist falsch.",
    },
    "en": {
        "title": "Staff sign-in",
        "hint": "Local sign-in (development): users from membership local user.",
        "email": "E-mail address",
        "password": "Password",
        "submit": "Sign in",
        "failed": "Incorrect e-mail address or password.",
    },
}


def _language(params: Mapping[str, str], headers: Mapping[str, str]) -> str:
    if params.get("lang") in _TEXT:
        return params["lang"]
    accept = headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "de"


def _page(status: int, lang: str, title: str, content: str) -> HttpResponse:
    document = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{content}</main></body></html>"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", _CSP),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]
    return HttpResponse(status, headers, document.encode())


def _login_page(params: Mapping[str, str], lang: str, *, failed: bool) -> HttpResponse:
    text = _TEXT[lang]
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in (*_PARAMS, *_PKCE)
        if name in params
    )
    error = f'<p class="error" role="alert">{text["failed"]}</p>' if failed else ""
    email = html.escape(params.get("email", "")) if failed else ""
    content = (
        f"<h1>{text['title']}</h1><p>{text['hint']}</p>{error}"
        f'<form method="post" action="{PREFIX}/login">{hidden}'
        f'<label for="email">{text["email"]}</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required '
        f'value="{email}">'
        f'<label for="password">{text["password"]}</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        f'<button type="submit">{text["submit"]}</button></form>'
    )
    return _page(400 if failed else 200, lang, text["title"], content)


def _error_page(status: int, error: str, description: str) -> HttpResponse:
    content = (
        f"<h1>{html.escape(error)}</h1><p>{html.escape(description)}</p>"
        "<p>Die Anmeldung wurde abgebrochen. / Sign-in stopped.</p>"
    )
    return _page(status, "de", error, content)
