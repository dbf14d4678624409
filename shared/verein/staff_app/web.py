"""The staff app's own routes: signing in (the OAuth callback) and out, and its entry page.

Each feature adds its staff pages with its own router (``<feature>/web/control.py``); the
staff web function includes them behind ``guard``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.shared.cookies import Cookie
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from verein.staff_app import guard
from verein.staff_app.messages import MESSAGES
from verein.staff_app.sessions import (
    SESSION_LIFETIME,
    SIGN_IN_LIFETIME,
    PendingSignIn,
    Session,
    SessionStore,
    same_secret,
    secret_hash,
)
from verein.staff_app.signin import (
    LoginService,
    SignInFailed,
    TokenEndpoint,
    new_secret,
    staff_from_id_token,
)
from verein.web.html import HTML
from verein.web.i18n import Language
from verein.web.pages import SHARED_TEMPLATES, Templates
from verein.web.requests import request_language
from verein.web.routing import WebRouter, ports
from verein.web.staff_auth import STAFF_GROUP

router = WebRouter(MESSAGES)
PAGES = Templates(SHARED_TEMPLATES, MESSAGES)
CALLBACK_PATH = "/control/auth/callback"
SIGNED_OUT_PATH = "/control/signed-out"


class StaffAppPorts(Protocol):
    @property
    def session_store(self) -> SessionStore: ...

    @property
    def login_service(self) -> LoginService: ...

    @property
    def token_endpoint(self) -> TokenEndpoint: ...


def _ports() -> StaffAppPorts:
    return cast(StaffAppPorts, ports(router))


def _request() -> APIGatewayProxyEventV2:
    return cast(APIGatewayProxyEventV2, router.current_event)


def _redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(303, HTML, "", headers={"Location": location}, cookies=cookies or [])


def message(
    status: int,
    key: str,
    language: Language,
    link: tuple[str, str] | None = None,
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    html = PAGES.render(
        "message.html",
        language,
        title=MESSAGES.translate(f"{key}.title", language),
        paragraphs=[MESSAGES.translate(f"{key}.text", language)],
        link=link,
    )
    return Response(
        status, HTML, html, headers={"Content-Language": language}, cookies=cookies or []
    )


@router.get("/control", summary="The staff app: its first page")
def entry() -> Response[str]:
    return _redirect(f"{guard.HOME}?lang={request_language(router)}")


@router.get("/control/sign-in", summary="Sign in: on to the login page")
def sign_in(return_to: Annotated[str | None, Query(max_length=500)] = None) -> Response[str]:
    language = request_language(router)
    state, verifier, nonce = new_secret(), new_secret(), new_secret()
    expires_at = datetime.now(UTC) + SIGN_IN_LIFETIME
    pending = PendingSignIn(
        code_verifier=verifier,
        nonce=nonce,
        return_to=guard.safe_return_path(return_to),
        expires_at=expires_at,
    )
    _ports().session_store.begin_sign_in(secret_hash(state), pending)
    redirect_uri = guard.origin(_request()) + CALLBACK_PATH
    login = _ports().login_service
    location = login.authorize_url(redirect_uri, state, verifier, nonce, language)
    # The state also goes into a cookie: a callback in a browser that did not start this
    # sign-in (someone else's link, "login CSRF") does not match it.
    max_age = int(SIGN_IN_LIFETIME.total_seconds())
    return _redirect(location, [guard.new_cookie(guard.SIGN_IN_COOKIE, state, max_age)])


@router.get(CALLBACK_PATH, summary="Sign in: back from the login page")
def callback(
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    language = request_language(router)
    expected = guard.read_cookie(_request(), guard.SIGN_IN_COOKIE)
    again = (
        f"/control/sign-in?lang={language}",
        MESSAGES.translate("staff.sign_in_again", language),
    )
    done = [guard.cleared(guard.SIGN_IN_COOKIE)]
    if not (code and state and expected and same_secret(state, expected)):
        return message(400, "staff.sign_in_failed", language, again, done)
    store = _ports().session_store
    now = datetime.now(UTC)
    pending = store.take_sign_in(secret_hash(state), now)
    if pending is None:
        return message(400, "staff.sign_in_failed", language, again, done)
    login = _ports().login_service
    redirect_uri = guard.origin(_request()) + CALLBACK_PATH
    try:
        tokens = _ports().token_endpoint.redeem(login, code, redirect_uri, pending.code_verifier)
        staff = staff_from_id_token(tokens.get("id_token"), login, pending.nonce)
    except SignInFailed:
        return message(400, "staff.sign_in_failed", language, again, done)
    if STAFF_GROUP not in staff.groups:
        # Signed in at the login, though: offer to leave it for another account.
        other = login.logout_url(guard.origin(_request()) + SIGNED_OUT_PATH)
        link = (other, MESSAGES.translate("staff.other_account", language))
        return message(403, "staff.no_access", language, link, done)
    session_id = new_secret()
    store.create(
        secret_hash(session_id),
        Session(staff=staff, csrf_token=new_secret(), created_at=now, seen_at=now),
    )
    store.remember_staff(staff)
    max_age = int(SESSION_LIFETIME.total_seconds())
    done.append(guard.new_cookie(guard.SESSION_COOKIE, session_id, max_age))
    return _redirect(pending.return_to, done)


@router.post("/control/sign-out", summary="Sign out")
def sign_out() -> Response[str]:
    session_id = guard.read_cookie(_request(), guard.SESSION_COOKIE)
    if session_id:
        _ports().session_store.delete(secret_hash(session_id))
    logout_uri = guard.origin(_request()) + SIGNED_OUT_PATH
    # Cognito ends its own session too, so the next sign-in asks for the password again.
    location = _ports().login_service.logout_url(logout_uri)
    return _redirect(location, [guard.cleared(guard.SESSION_COOKIE)])


@router.get(SIGNED_OUT_PATH, summary="Signed out")
def signed_out() -> Response[Any]:
    language = request_language(router)
    link = (
        f"/control/sign-in?lang={language}",
        MESSAGES.translate("staff.sign_in_again", language),
    )
    return message(200, "staff.signed_out", language, link)
