"""A browser's view of the staff app, in-process: cookies, redirects and the local login.

Requests go through the local stack's router (routes and event shape from the template), the
login page and token endpoint are the local stack's stand-in for Cognito's managed login, and
the staff web function redeems codes at it through ``InProcessTokenEndpoint`` (in the stack it
does so over HTTP). Fast enough for every test of signing in and of the staff pages.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from local_aws.gateway import ApiRouter, HttpResponse
from local_aws.jwt_auth import LocalCognito
from local_aws.managed_login import PREFIX, LocalManagedLogin
from local_aws.template import LocalTemplate
from local_aws.users import UserStore
from verein.staff_app.signin import LoginService, SignInFailed

ORIGIN = "http://localhost"
PASSWORD = "correct horse battery"


class InProcessTokenEndpoint:
    def __init__(self, login: LocalManagedLogin) -> None:
        self._login = login
        self.calls = 0

    def redeem(
        self, login: LoginService, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        self.calls += 1
        form = {
            "grant_type": "authorization_code",
            "client_id": login.client_id,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"content-type": "application/x-www-form-urlencoded"}
        response = self._login.handle(
            "POST", f"{PREFIX}/oauth2/token", "", headers, urlencode(form).encode()
        )
        assert response is not None
        if response.status != 200:
            raise SignInFailed(f"token endpoint answered {response.status}")
        answer: dict[str, Any] = json.loads(response.body)
        return answer


def local_login(data_dir: Path) -> tuple[LocalCognito, UserStore, LocalManagedLogin]:
    cognito, users = LocalCognito(data_dir), UserStore(data_dir)
    login = LocalManagedLogin(cognito, users, lambda: {ORIGIN}, failure_delay=0)
    return cognito, users, login


def login_service(cognito: LocalCognito) -> LoginService:
    return LoginService(ORIGIN + PREFIX, cognito.client_id, cognito.issuer)


@dataclass
class Page:
    status: int
    headers: list[tuple[str, str]]
    text: str
    url: str

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None

    @property
    def location(self) -> str:
        return self.header("location") or ""

    def hidden(self, name: str) -> str:
        """The value of a hidden input of the page's (first) form with that name."""
        match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', self.text)
        assert match, f"no hidden {name} in {self.url}"
        return unescape(match.group(1))

    def field(self, name: str) -> str:
        """The value of the page's (first) input named ``name``, whatever its type."""
        match = re.search(
            rf'<input type="[a-z]+" id="{name}" name="{name}" value="([^"]*)"', self.text
        )
        assert match, f"no input {name} in {self.url}"
        return unescape(match.group(1))


@dataclass
class StaffBrowser:
    template: LocalTemplate
    invoke: Any
    login: LocalManagedLogin
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._router = ApiRouter(
            self.template.routes,
            self.invoke,
            self.login.cognito.verify,
            local_routes=self.login.handle,
        )

    def request(
        self,
        method: str,
        target: str,
        form: Mapping[str, str] | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> Page:
        target = target.removeprefix(ORIGIN).split("#", 1)[0]  # fragments stay in browsers
        items = [("host", "localhost"), *headers]
        if self.cookies:
            items.append(("cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        body = b""
        if form is not None:
            items.append(("content-type", "application/x-www-form-urlencoded"))
            body = urlencode(form).encode()
        response: HttpResponse = self._router.dispatch(
            method=method,
            target=target,
            header_items=items,
            body=body,
            source_ip="127.0.0.1",
            request_id=str(uuid.uuid4()),
        )
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                self._store_cookie(value)
        return Page(response.status, response.headers, response.body.decode(), target)

    def _store_cookie(self, header: str) -> None:
        pair, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = pair.partition("=")
        max_age = [a for a in attributes if a.lower().startswith("max-age=")]
        if max_age and int(max_age[0].split("=", 1)[1]) <= 0:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def post_json(self, target: str, payload: Any) -> Page:
        headers = [("host", "localhost"), ("content-type", "application/json")]
        response = self._router.dispatch(
            method="POST",
            target=target,
            header_items=headers,
            body=json.dumps(payload).encode(),
            source_ip="127.0.0.1",
            request_id=str(uuid.uuid4()),
        )
        return Page(response.status, response.headers, response.body.decode(), target)

    def get(self, target: str, follow: bool = True) -> Page:
        page = self.request("GET", target)
        return self.follow(page) if follow else page

    def post(self, target: str, form: Mapping[str, str], follow: bool = True, **kw: Any) -> Page:
        page = self.request("POST", target, form, **kw)
        return self.follow(page) if follow else page

    def follow(self, page: Page, limit: int = 10) -> Page:
        for _ in range(limit):
            if page.status not in (301, 302, 303, 307) or not page.location:
                return page
            location = page.location
            if urlsplit(location).netloc not in ("", "localhost"):
                return page  # another site: a browser would leave us here
            page = self.request("GET", location)
        raise AssertionError("redirect loop")

    def callback_url(self, email: str, password: str = PASSWORD, target: str = "/control") -> str:
        """Open a staff page, get sent to the login page, sign in there: where the login
        sends the browser back to (our callback, with code and state), not yet followed."""
        login_page = self.get(target)
        assert login_page.url.startswith(f"{PREFIX}/oauth2/authorize"), login_page.url
        fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', login_page.text)
        form = {name: unescape(value) for name, value in fields}
        back = self.request(
            "POST", f"{PREFIX}/login", {**form, "email": email, "password": password}
        )
        return back.location

    def sign_in(self, email: str, password: str = PASSWORD, target: str = "/control") -> Page:
        """Sign in on the way to ``target``; the page it ends on."""
        return self.get(self.callback_url(email, password, target))
