"""The staff app in-process on in-memory adapters: signing in with the local managed login
(code + PKCE), the pages, adding a note, signing out, and every way in that must stay shut."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from local_aws.managed_login import PREFIX
from tests.api_client import InProcessFunctions
from tests.samples import JSON_APPLICATION, MAPPER
from tests.staff_browser import (
    ORIGIN,
    PASSWORD,
    InProcessTokenEndpoint,
    StaffBrowser,
    local_login,
    login_service,
)
from verein.bootstrap import Adapters
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.intake import DirectApplicationIntake
from verein.membership.views.store import InMemoryMemberViews
from verein.membership.web.reference import reference
from verein.settings import Settings
from verein.staff_app import guard
from verein.staff_app.sessions import IDLE_TIMEOUT, InMemorySessionStore, secret_hash
from verein.staff_app.signin import LoginService, SignInFailed, staff_from_id_token

STAFF = "anna@verein.example"


class App:
    def __init__(self, template, tmp_path):
        cognito, users, self.login = local_login(tmp_path)
        users.add(STAFF, PASSWORD, ["staff"])
        users.add("gast@verein.example", PASSWORD, ["guests"])
        store, keyed_hash = InMemoryEventStore(MAPPER), KeyedHash(b"k" * 32)
        self.sessions = InMemorySessionStore()
        self.tokens = InProcessTokenEndpoint(self.login)
        self.adapters = Adapters(
            Settings.from_environment(),
            event_store=store,
            member_views=InMemoryMemberViews(),
            keyed_hash=keyed_hash,
            application_intake=DirectApplicationIntake(store, keyed_hash),
            session_store=self.sessions,
            login_service=login_service(cognito),
            token_endpoint=self.tokens,
        )
        self.functions = InProcessFunctions(
            template, dict.fromkeys(template.functions, self.adapters)
        )
        self.template = template

    def browser(self) -> StaffBrowser:
        return StaffBrowser(self.template, self.functions.invoke, self.login)

    def apply(self, **changes) -> str:
        answer = self.browser().post_json(
            "/membership/applications", {**JSON_APPLICATION, **changes}
        )
        assert answer.status == 202, answer.text
        self.project()
        return json.loads(answer.text)["application_id"]

    def project(self) -> None:
        for stream in self.adapters.event_store.read_all():
            for projection in self.adapters.projections:
                projection.apply(stream.events)


@pytest.fixture
def app(template, tmp_path) -> App:
    return App(template, tmp_path)


def signed_in(app: App):
    browser = app.browser()
    page = browser.sign_in(STAFF)
    assert page.status == 200, page.text
    return browser, page


# --- signing in and out ---------------------------------------------------------------------


def test_a_page_without_a_session_sends_to_sign_in_and_back_after_it(app):
    member_id = app.apply()
    browser = app.browser()
    first = browser.get(f"/control/members/{member_id}?lang=en", follow=False)
    assert first.status == 303
    assert first.location.startswith("/control/sign-in?")
    to_login = browser.get(first.location, follow=False)
    query = parse_qs(urlsplit(to_login.location).query)
    assert to_login.location.startswith(f"{ORIGIN}{PREFIX}/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{ORIGIN}/control/auth/callback"]
    assert "code_verifier" not in to_login.location
    page = browser.sign_in(STAFF, target=f"/control/members/{member_id}?lang=en")
    assert page.url == f"/control/members/{member_id}?lang=en"
    assert page.status == 200
    assert "Signed in as anna@verein.example" in page.text
    assert app.tokens.calls == 1


def test_the_session_cookie_holds_only_a_random_id_and_is_locked_down(app):
    browser = app.browser()
    callback = browser.request("GET", browser.callback_url(STAFF))
    cookies = [v for k, v in callback.headers if k.lower() == "set-cookie"]
    session_cookie = next(c for c in cookies if c.startswith(guard.SESSION_COOKIE + "="))
    for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=28800"):
        assert attribute in session_cookie
    assert "Domain" not in session_cookie
    value = session_cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 43 and "." not in value  # a random id, not a token
    (stored,) = app.sessions.sessions
    assert stored == secret_hash(value) and value not in json.dumps(list(app.sessions.sessions))
    assert any(c.startswith(guard.SIGN_IN_COOKIE + "=;") for c in cookies)  # state used up


def test_sign_out_ends_the_session_here_and_at_the_login(app):
    browser, page = signed_in(app)
    out = browser.post("/control/sign-out", {"csrf": page.hidden("csrf")}, follow=False)
    assert out.status == 303
    assert out.location.startswith(f"{ORIGIN}{PREFIX}/logout?")
    assert parse_qs(urlsplit(out.location).query)["logout_uri"] == [f"{ORIGIN}/control/signed-out"]
    assert guard.SESSION_COOKIE not in browser.cookies
    assert app.sessions.sessions == {}
    assert browser.get(out.location).status == 200  # "signed out" page
    assert browser.get("/control/members", follow=False).status == 303


def test_a_user_outside_the_staff_group_gets_no_session(app):
    browser = app.browser()
    page = browser.sign_in("gast@verein.example")
    assert page.status == 403
    assert f'href="{ORIGIN}{PREFIX}/logout?' in page.text  # another account: leave the login
    assert app.sessions.sessions == {}
    assert browser.get("/control/members", follow=False).status == 303


def test_a_callback_this_browser_did_not_start_is_refused(app):
    attacker, victim = app.browser(), app.browser()
    callback = attacker.callback_url(STAFF)
    # The attacker's code and state, opened in the victim's browser (login CSRF).
    page = victim.get(callback)
    assert page.status == 400
    assert app.sessions.sessions == {}


def test_a_used_state_cannot_be_redeemed_again(app):
    browser = app.browser()
    callback = browser.callback_url(STAFF)
    state_cookie = browser.cookies[guard.SIGN_IN_COOKIE]
    assert browser.request("GET", callback).status == 303
    browser.cookies[guard.SIGN_IN_COOKIE] = state_cookie  # replayed, cookie and all
    assert browser.request("GET", callback).status == 400
    assert len(app.sessions.sessions) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?code=x",
        "?state=x",
        "?error=access_denied&state=x",
        "?code=x&state=x",
        "?code=x&state=%C3%BC",
    ],
)
def test_broken_callbacks_get_a_page_that_offers_to_start_again(app, query):
    browser = app.browser()
    browser.cookies[guard.SIGN_IN_COOKIE] = "Grüße"  # a state cookie that is no state either
    page = browser.get(f"/control/auth/callback{query}")
    assert page.status == 400
    assert "/control/sign-in" in page.text
    assert app.sessions.sessions == {}


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/membership/apply",
        "/control//evil.example",
    ],
)
def test_after_sign_in_only_staff_pages_are_returned_to(return_to):
    assert guard.safe_return_path(return_to) == guard.HOME


def test_staff_pages_are_returned_to_as_they_were():
    assert guard.safe_return_path("/control/members?status=applied&lang=en") == (
        "/control/members?status=applied&lang=en"
    )


# --- sessions that must not work ------------------------------------------------------------


def test_a_forged_session_cookie_is_refused_and_cleared(app):
    browser = app.browser()
    browser.cookies[guard.SESSION_COOKIE] = "forged-" + "x" * 40
    page = browser.get("/control/members", follow=False)
    assert page.status == 303 and page.location.startswith("/control/sign-in")
    assert guard.SESSION_COOKIE not in browser.cookies


def test_an_idle_session_expires(app):
    browser, _ = signed_in(app)
    (key,) = app.sessions.sessions
    session = app.sessions.sessions[key]
    stale = datetime.now(UTC) - IDLE_TIMEOUT - timedelta(seconds=1)
    app.sessions.sessions[key] = session.model_copy(update={"seen_at": stale})
    assert browser.get("/control/members", follow=False).status == 303


def test_a_session_ends_after_a_working_day_however_busy(app):
    browser, _ = signed_in(app)
    (key,) = app.sessions.sessions
    session = app.sessions.sessions[key]
    app.sessions.sessions[key] = session.model_copy(
        update={"created_at": session.created_at - timedelta(hours=8, seconds=1)}
    )
    assert browser.get("/control/members", follow=False).status == 303


def test_a_cross_site_post_is_refused_even_with_the_right_token(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), "text": "x"}
    refused = browser.post(
        f"/control/members/{member_id}/notes", form, headers=[("origin", "https://evil.example")]
    )
    assert refused.status == 403
    fetched = browser.post(
        f"/control/members/{member_id}/notes", form, headers=[("sec-fetch-site", "cross-site")]
    )
    assert fetched.status == 403
    assert len(app.adapters.event_store.load(f"member#{member_id}")) == 1


def test_a_post_without_the_session_token_is_refused(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    for csrf in ("", "wrong", page.hidden("csrf") + "x", "Grüße", "\u202e"):
        form = {"csrf": csrf, "form_id": page.hidden("form_id"), "text": "x"}
        assert browser.post(f"/control/members/{member_id}/notes", form).status == 403
    out = browser.post("/control/sign-out", {"csrf": "wrong"}, follow=False)
    assert out.status == 403 and len(app.sessions.sessions) == 1
    assert len(app.adapters.event_store.load(f"member#{member_id}")) == 1


def test_the_json_api_still_wants_its_bearer_token(app):
    browser, _ = signed_in(app)  # a session cookie is no key to the JSON API
    assert browser.get("/staff/members", follow=False).status == 401


# --- the pages ------------------------------------------------------------------------------


def test_the_list_shows_applications_with_their_reference_and_links_each(app):
    first = app.apply(name="Erika Mustermann", email="erika@example.org")
    second = app.apply(name="Max Müller", email="max@example.org")
    browser, page = signed_in(app)
    assert page.url.startswith("/control/members")  # the register: everyone by name
    assert f'href="/control/members/{first}?lang=de"' in page.text
    page = browser.get("/control/members?status=applied&order=oldest")  # the applications
    assert page.text.index("Erika Mustermann") < page.text.index("Max Müller")
    assert reference(first) in page.text and reference(second) in page.text
    assert f'href="/control/members/{first}?lang=de"' in page.text
    newest = browser.get("/control/members?order=newest")
    assert newest.text.index("Max Müller") < newest.text.index("Erika Mustermann")


def test_the_list_pages_with_a_next_link(app, monkeypatch):
    import verein.membership.web.control.register as control  # noqa: PLC0415

    monkeypatch.setattr(control, "PAGE_SIZE", 2)
    names = [f"Person {n}" for n in range(5)]
    for n, name in enumerate(names):
        app.apply(name=name, email=f"p{n}@example.org")
    browser, _ = signed_in(app)
    page = browser.get("/control/members?status=applied&order=oldest")
    seen = []
    while True:
        seen += re.findall(r">(Person \d)</a>", page.text)
        next_link = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        if not next_link:
            break
        page = browser.get(next_link.group(1).replace("&amp;", "&"))
    assert seen == names


@pytest.mark.parametrize("query", ["status=foo", "order=up", "after=not-a-cursor"])
def test_a_bad_filter_gets_the_list_page_saying_what_is_wrong(app, query):
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members?{query}&lang=en")
    assert page.status == 422
    assert 'class="error-summary"' in page.text
    assert "<select" in page.text  # the filter form, to choose again


def test_a_person_page_shows_summary_and_timeline_with_staff_by_email(app):
    member_id = app.apply(name="Erika Mustermann", organisation="Bäckerei Beispiel")
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}?lang=en")
    assert "<h1>Erika Mustermann</h1>" in page.text
    assert "Bäckerei Beispiel" in page.text and reference(member_id) in page.text
    assert "Applicant (web form)" in page.text
    form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), "text": "Rückruf <b>"}
    after = browser.post(f"/control/members/{member_id}/notes", {**form, "lang": "en"})
    assert after.url == f"/control/members/{member_id}?lang=en&done=noted"
    assert "The note is saved." in after.text
    assert "Rückruf &lt;b&gt;" in after.text  # escaped, never markup
    assert STAFF in after.text.split('id="history"')[1]
    assert after.text.index("Rückruf") < after.text.index("Applied for membership")  # newest first


def test_a_resent_note_form_adds_the_note_once(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), "text": "Einmal"}
    for _ in range(3):
        assert browser.post(f"/control/members/{member_id}/notes", form).status == 200
    assert len(app.adapters.event_store.load(f"member#{member_id}")) == 2


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001, "bell\x07"])
def test_a_bad_note_shows_the_form_again_with_the_message(app, text):
    member_id = app.apply()
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    form = {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), "text": text}
    again = browser.post(f"/control/members/{member_id}/notes", form)
    assert again.status == 422
    assert 'class="error-summary"' in again.text and 'href="#text"' in again.text
    assert len(app.adapters.event_store.load(f"member#{member_id}")) == 1


def test_an_unknown_person_or_page_is_a_404_page(app):
    browser, _ = signed_in(app)
    unknown = browser.get("/control/members/00000000-0000-4000-8000-000000000000")
    assert unknown.status == 404 and "<h1>" in unknown.text
    assert browser.get("/control/members/not-an-id").status == 404
    note = browser.post(
        "/control/members/00000000-0000-4000-8000-000000000000/notes",
        {"csrf": app.sessions.sessions[next(iter(app.sessions.sessions))].csrf_token, "text": "x"},
    )
    assert note.status == 404


def test_every_page_comes_in_german_and_english(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    for path in ("/control/members", f"/control/members/{member_id}"):
        german, english = browser.get(f"{path}?lang=de"), browser.get(f"{path}?lang=en")
        assert '<html lang="de">' in german.text and '<html lang="en">' in english.text
        assert "Abmelden" in german.text and "Sign out" in english.text


# --- the ID token ---------------------------------------------------------------------------

LOGIN = LoginService("https://login.example", "client-1", "https://issuer.example/pool")


def token(**claims) -> str:
    base = {
        "iss": LOGIN.issuer,
        "aud": LOGIN.client_id,
        "exp": 2_000_000_000,
        "nonce": "n",
        "token_use": "id",
        "sub": "s-1",
        "email": "a@b.example",
        "cognito:groups": ["staff"],
    }
    payload = base64.urlsafe_b64encode(json.dumps({**base, **claims}).encode()).decode()
    return f"e30.{payload.rstrip('=')}.sig"


def test_a_good_id_token_names_the_person():
    staff = staff_from_id_token(token(), LOGIN, "n", now=1_900_000_000)
    assert (staff.subject, staff.email, staff.groups) == ("s-1", "a@b.example", ("staff",))


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://other.example"},
        {"aud": "other-client"},
        {"aud": ["client-1", "other"]},
        {"exp": 1_800_000_000},
        {"nonce": "other"},
        {"token_use": "access"},
        {"sub": ""},
        {"email": "no-address"},
    ],
)
def test_an_id_token_that_is_not_for_us_now_is_refused(claims):
    with pytest.raises(SignInFailed):
        staff_from_id_token(token(**claims), LOGIN, "n", now=1_900_000_000)


@pytest.mark.parametrize("raw", [None, "", "a.b", "a.!!!.c", "a.bnVsbA.c"])
def test_no_id_token_or_garbage_is_refused(raw):
    with pytest.raises(SignInFailed):
        staff_from_id_token(raw, LOGIN, "n")


# --- finding the app client in AWS ------------------------------------------------------------


def test_the_web_client_is_found_by_name_across_pages_of_clients(monkeypatch):
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from verein.staff_app.signin import find_client_id  # noqa: PLC0415

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name="eu-central-1")
        pool = cognito.create_user_pool(PoolName="staff")["UserPool"]["Id"]
        for n in range(70):  # more than one page (60) of clients
            cognito.create_user_pool_client(UserPoolId=pool, ClientName=f"other-{n}")
        wanted = cognito.create_user_pool_client(UserPoolId=pool, ClientName="verein-staff-web")
        found = find_client_id(cognito, pool, "verein-staff-web")
        assert found == wanted["UserPoolClient"]["ClientId"]
        with pytest.raises(LookupError, match="no-such-client"):
            find_client_id(cognito, pool, "no-such-client")


# --- deciding applications on the person's page ---------------------------------------------


def decision_form(page, action: str, **fields: str) -> dict[str, str]:
    return {"csrf": page.hidden("csrf"), "form_id": page.hidden("form_id"), **fields}


def test_approving_on_the_page_makes_a_member_with_a_number_once(app):
    member_id = app.apply(name="Erika Mustermann")
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}?lang=en")
    assert "Approve the application" in page.text
    form = decision_form(page, "approve", lang="en")
    done = browser.post(f"/control/members/{member_id}/approve", form)
    assert done.url.endswith("&done=approved") and "The application is approved." in done.text
    assert "member no. 1" in done.text and "Approve the application" not in done.text
    again = browser.post(f"/control/members/{member_id}/approve", form)  # resent form
    assert again.status == 200 and len(app.adapters.event_store.load(f"member#{member_id}")) == 2
    other = app.apply(name="Max Müller", email="max@example.org")
    page = browser.get(f"/control/members/{other}")
    browser.post(f"/control/members/{other}/approve", decision_form(page, "approve"))
    assert "Mitglied Nr. 2" in browser.get(f"/control/members/{other}").text


def test_rejecting_needs_a_reason_and_tells_it_in_the_timeline(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    page = browser.get(f"/control/members/{member_id}")
    empty = browser.post(f"/control/members/{member_id}/reject", decision_form(page, "reject"))
    assert empty.status == 422 and 'href="#reason"' in empty.text
    form = decision_form(page, "reject", reason="Kein Sitz in der Stadt")
    done = browser.post(f"/control/members/{member_id}/reject", form)
    assert "Der Antrag ist abgelehnt." in done.text and "Kein Sitz in der Stadt" in done.text
    assert app.browser().post_json("/membership/applications", {**JSON_APPLICATION}).status == 202


def test_a_decision_taken_meanwhile_elsewhere_is_explained_not_repeated(app):
    member_id = app.apply()
    browser, _ = signed_in(app)
    stale = browser.get(f"/control/members/{member_id}?lang=en")  # still offers decisions
    withdrawn = browser.post(
        f"/control/members/{member_id}/withdraw", decision_form(stale, "withdraw", lang="en")
    )
    assert "The withdrawal is recorded." in withdrawn.text
    page = browser.request(  # a second tab's form, with another form id
        "POST",
        f"/control/members/{member_id}/approve",
        {"csrf": stale.hidden("csrf"), "form_id": "other-tab", "lang": "en"},
    )
    assert page.status == 409 and "This application was withdrawn." in page.text
    assert len(app.adapters.event_store.load(f"member#{member_id}")) == 2


def test_the_list_downloads_as_csv_with_its_filter_and_only_with_a_session(app):
    app.apply(name="Jörg Weiß")
    browser, page = signed_in(app)
    link = re.search(r'<a href="([^"]+\.csv[^"]*)" download>', page.text)
    assert link, "the list links its CSV"
    download = browser.get(link.group(1).replace("&amp;", "&"))
    assert download.status == 200
    assert download.header("content-type") == "text/csv; charset=utf-8"
    assert download.text.startswith("\ufeffMitgliedsnummer;") and "Jörg Weiß" in download.text
    assert browser.get("/control/members.csv?status=foo").status == 422
    assert app.browser().get("/control/members.csv", follow=False).status == 303
