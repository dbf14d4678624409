"""Every staff page passes here first: a session, and for a change, proof it came from us.

- **Session**: the cookie ``__Host-verein-session`` (Secure, HttpOnly, SameSite=Lax, Path=/,
  no Domain: the ``__Host-`` prefix makes browsers refuse it otherwise) holds a random id; the
  session item is found by its hash. No or an unknown, forged or expired id: a page request
  is sent to sign in (and comes back where it was), the cookie is cleared.
- **Cross-site requests**: a POST whose ``Origin`` (or, without one, ``Sec-Fetch-Site``) names
  another site is refused with 403 before anything else, and every POST must carry the
  session's CSRF token in its form (``csrf``). SameSite=Lax already keeps the cookie off
  cross-site POSTs in today's browsers; the token and the origin check do not rely on that.

Routes that must work without a session (signing in, the callback, the signed-out page) are
listed in ``OPEN_ROUTES``; everything else is closed by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from verein.staff_app.messages import MESSAGES
from verein.staff_app.sessions import Session, SessionStore, same_secret, secret_hash
from verein.web.html import HTML
from verein.web.pages import message_page
from verein.web.requests import form_values, request_language

SESSION_COOKIE = "__Host-verein-session"
SIGN_IN_COOKIE = "__Host-verein-signin"
SIGN_IN_PATH = "/control/sign-in"
HOME = "/control/members"
OPEN_ROUTES = frozenset(
    {"GET /control/sign-in", "GET /control/auth/callback", "GET /control/signed-out"}
)


def new_cookie(name: str, value: str, max_age_s: int) -> Cookie:
    return Cookie(
        name,
        value,
        path="/",
        secure=True,
        http_only=True,
        max_age=max_age_s,
        same_site=SameSite.LAX_MODE,
    )


def cleared(name: str) -> Cookie:
    return new_cookie(name, "", 0)


def read_cookie(request: APIGatewayProxyEventV2, name: str) -> str | None:
    """The cookie's value; a repeated cookie counts as none (someone is up to something)."""
    values = [
        raw.partition("=")[2] for raw in request.cookies or [] if raw.partition("=")[0] == name
    ]
    return values[0] if len(values) == 1 and values[0] else None


def origin(request: APIGatewayProxyEventV2) -> str:
    """This site's origin as the browser sees it (API Gateway or the local stack)."""
    scheme = request.headers.get("x-forwarded-proto", "https")
    host = request.headers.get("host") or request.request_context.domain_name
    return f"{scheme}://{host}"


def is_cross_site(request: APIGatewayProxyEventV2) -> bool:
    """Another site (or an opaque origin: a sandboxed frame, a data: URL) sent this.

    ``Sec-Fetch-Site`` (set by browsers, never by page scripts) decides where present; else
    ``Origin``. A request with neither (an old browser, a script) passes on to the CSRF token.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    sent_origin = request.headers.get("origin")
    return sent_origin is not None and sent_origin != origin(request)


def current_session(router: BaseRouter) -> Session:
    """The signed-in person's session (the guard admitted the request)."""
    return cast(Session, router.context["session"])


def sign_in_redirect(router: BaseRouter) -> Response[str]:
    request = cast(APIGatewayProxyEventV2, router.current_event)
    here = request.raw_path + (f"?{request.raw_query_string}" if request.raw_query_string else "")
    query = {"return_to": here, "lang": request_language(router)}
    return Response(
        303,
        HTML,
        "",
        headers={"Location": f"{SIGN_IN_PATH}?{urlencode(query)}"},
        cookies=[cleared(SESSION_COOKIE)] if read_cookie(request, SESSION_COOKIE) else [],
    )


def refused(router: BaseRouter) -> Response[str]:
    language = request_language(router)
    title = MESSAGES.translate("staff.refused.title", language)
    text = MESSAGES.translate("staff.refused.text", language)
    html = message_page(title, text, language)
    return Response(403, HTML, html, headers={"Content-Language": language})


def guard(
    sessions: Callable[[], SessionStore], sections: Sequence[Any] = ()
) -> Callable[..., Response[Any]]:
    """The middleware: ``sessions`` gives this request's session store (the function's ports);
    ``sections`` (the staff navigation) go into the request's context with the session."""

    def middleware(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Any:
        response = admit(app, next_middleware)
        # Not no-referrer (the default of every other answer): with it, browsers send
        # "Origin: null" on our own form posts, and the origin check could not tell them
        # from a sandboxed attacker's. Addresses (member ids) still go to this site only.
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def admit(app: BaseRouter, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
        request = cast(APIGatewayProxyEventV2, app.current_event)
        method = request.request_context.http.method
        if method == "POST" and is_cross_site(request):
            return refused(app)
        if str(request.raw_event.get("routeKey", "")) in OPEN_ROUTES:
            return next_middleware(app)
        session_id = read_cookie(request, SESSION_COOKIE)
        store = sessions()
        now = datetime.now(UTC)
        session = store.get(secret_hash(session_id), now) if session_id else None
        if session is None:
            return sign_in_redirect(app)
        if method == "POST" and not _has_token(app, session):
            return refused(app)
        if session.wants_touch(now):
            store.touch(secret_hash(cast(str, session_id)), now)
        app.append_context(session=session, sections=sections)  # type: ignore[no-untyped-call]
        return next_middleware(app)

    return middleware


def _has_token(app: BaseRouter, session: Session) -> bool:
    sent = form_values(app).get("csrf", "")
    return bool(sent) and same_secret(sent, session.csrf_token)


def safe_return_path(value: str | None) -> str:
    """Where to go after signing in: a staff page of ours, never another site."""
    parts = urlsplit(value or "")
    if not value or parts.scheme or parts.netloc or not value.startswith("/control/"):
        return HOME
    if "\\" in value or "//" in value:  # browsers read "/\\x" and "//x" as other sites
        return HOME
    return value
