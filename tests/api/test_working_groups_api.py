"""Working groups through the functions on moto, called with API Gateway's exact events: the
staff API (``/staff/working-groups``) and the staff app's pages (``/control/working-groups``,
and the person page's join and leave forms)."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.samples import JSON_APPLICATION
from tests.staff_browser import (
    PASSWORD,
    InProcessTokenEndpoint,
    StaffBrowser,
    local_login,
    login_service,
)

STAFF_EMAIL = "anna@verein.example"
GROUPS = "/staff/working-groups"
NOBODY = "00000000-0000-4000-8000-000000000000"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def send(api: ApiClient, method: str, target: str, body: object = None, *, key=None, **kw):
    headers = [("content-type", "application/json")]
    if key is not None:
        headers.append(("idempotency-key", key))
    data = b"" if body is None else json.dumps(body).encode()
    kw.setdefault("groups", ("staff",))
    return api.request(method, target, body=data, headers=headers, **kw)


def create(api: ApiClient, name: str, kind: str = "working_group", **kw) -> dict:
    reply = send(api, "POST", GROUPS, {"name": name, "kind": kind, **kw})
    assert reply.status == 201, reply.text
    return reply.json()


def member(api: ApiClient, email: str = "erika@example.org", *, approved: bool = True) -> str:
    body = {**JSON_APPLICATION, "email": email}
    member_id = api.post_json("/membership/applications", body).json()["application_id"]
    if approved:
        reply = api.request("POST", f"/staff/members/{member_id}/approve", groups=("staff",))
        assert reply.status == 200, reply.text
    return member_id


# --- the registry ---------------------------------------------------------------------------


def test_staff_create_list_change_and_close_groups(api):
    made = create(api, "Projektgruppe Marktplatz", "project_group", description="Wochenmarkt")
    assert re.fullmatch(UUID, made["group_id"])
    group_id = made["group_id"]
    assert made == {
        "group_id": group_id,
        "name": "Projektgruppe Marktplatz",
        "kind": "project_group",
        "description": "Wochenmarkt",
        "status": "open",
        "members_href": f"/staff/members?group={group_id}",
        "version": 1,
        "already_received": False,
    }
    create(api, "Arbeitskreis Wirtschaft")
    listing = api.staff_get(GROUPS)
    assert listing.status == 200 and listing.headers["content-type"] == "application/json"
    assert listing.json()["count"] == 2
    assert [g["name"] for g in listing.json()["groups"]] == [
        "Arbeitskreis Wirtschaft",
        "Projektgruppe Marktplatz",
    ]

    renamed = send(api, "PATCH", f"{GROUPS}/{group_id}", {"name": "  Marktplatz  "})
    assert renamed.status == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Marktplatz", "Wochenmarkt")
    cleared = send(api, "PATCH", f"{GROUPS}/{group_id}", {"description": ""})
    assert cleared.json()["description"] is None and cleared.json()["version"] == 4
    nothing = send(api, "PATCH", f"{GROUPS}/{group_id}", {"name": None})
    assert nothing.status == 200 and nothing.json()["version"] is None

    closed = send(api, "POST", f"{GROUPS}/{group_id}/close")
    assert closed.status == 200 and closed.json()["status"] == "closed"
    one = api.staff_get(f"{GROUPS}/{group_id}")
    assert one.status == 200 and one.json()["status"] == "closed"
    assert "version" not in one.json()
    assert [g["status"] for g in api.staff_get(GROUPS).json()["groups"]] == ["open", "closed"]


@pytest.mark.parametrize(
    ("language", "taken", "closed", "unknown"),
    [
        (
            "de",
            "Eine offene Arbeitsgruppe mit diesem Namen gibt es schon.",
            "Diese Arbeitsgruppe ist geschlossen: sie nimmt keine neuen Mitglieder auf und kann "
            "nicht mehr geändert werden.",
            "Diese Arbeitsgruppe gibt es nicht.",
        ),
        (
            "en",
            "There is an open group with this name already.",
            "This group is closed: it takes no new members and cannot be changed any more.",
            "There is no such group.",
        ),
    ],
)
def test_broken_rules_are_problems_in_the_users_language(api, language, taken, closed, unknown):
    group_id = create(api, "Arbeitskreis Wirtschaft")["group_id"]
    again = send(
        api,
        "POST",
        f"{GROUPS}?lang={language}",
        {"name": "ARBEITSKREIS WIRTSCHAFT", "kind": "working_group"},
    )
    assert (again.status, again.headers["content-type"]) == (409, "application/problem+json")
    assert again.headers["content-language"] == language
    assert again.json()["title"] == taken
    send(api, "POST", f"{GROUPS}/{group_id}/close")
    refused = send(api, "PATCH", f"{GROUPS}/{group_id}?lang={language}", {"name": "Neu"})
    assert (refused.status, refused.json()["title"]) == (409, closed)
    missing = send(api, "POST", f"{GROUPS}/{NOBODY}/close?lang={language}")
    assert (missing.status, missing.json()["title"]) == (404, unknown)
    assert api.staff_get(f"{GROUPS}/{NOBODY}?lang={language}").json()["title"] == unknown
    # a closed group's name is free again
    assert (
        send(
            api, "POST", GROUPS, {"name": "Arbeitskreis Wirtschaft", "kind": "working_group"}
        ).status
        == 201
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "working_group"}, "name", "Bitte geben Sie der Gruppe einen Namen."),
        (
            {"name": "  ", "kind": "working_group"},
            "name",
            "Bitte geben Sie der Gruppe einen Namen.",
        ),
        (
            {"name": "Q" * 101, "kind": "working_group"},
            "name",
            "Der Name hat höchstens 100 Zeichen.",
        ),
        ({"name": ["AK"], "kind": "working_group"}, "name", "Der Name ist eine Zeile Text."),
        ({"name": "AK\nWirtschaft", "kind": "working_group"}, "name", None),
        ({"name": "AK"}, "kind", "Bitte wählen Sie: Arbeitskreis oder Projektgruppe."),
        (
            {"name": "AK", "kind": "club"},
            "kind",
            "Bitte wählen Sie: Arbeitskreis oder Projektgruppe.",
        ),
        ({"name": "AK", "kind": "working_group", "description": "Q" * 2001}, "description", None),
    ],
)
def test_invalid_input_is_a_422_naming_the_field_and_stores_nothing(api, aws, body, field, message):
    reply = send(api, "POST", GROUPS, body)
    assert (reply.status, reply.headers["content-type"]) == (422, "application/problem+json")
    assert reply.json()["errors"][0]["field"] == field
    if message:
        assert reply.json()["errors"][0]["message"] == message
    assert "Q" * 101 not in reply.text
    assert aws.dynamodb.scan(TableName=aws.event_store_table)["Count"] == 0


@pytest.mark.parametrize("body", [b"[]", b'"AK"', b"{", b"null"])
def test_a_body_that_is_no_object_is_a_4xx(api, body):
    reply = api.request(
        "POST", GROUPS, body=body, headers=[("content-type", "application/json")], groups=("staff",)
    )
    assert reply.status in (400, 422), reply.text


def test_an_english_message_for_an_english_request(api):
    reply = send(api, "POST", f"{GROUPS}?lang=en", {"kind": "project_group"})
    assert reply.json()["title"] == "Invalid input"
    assert reply.json()["errors"] == [{"field": "name", "message": "Please give the group a name."}]


def test_a_repeated_idempotency_key_answers_with_the_same_group(api, aws):
    body = {"name": "Marktplatz", "kind": "project_group"}
    first = send(api, "POST", GROUPS, body, key="create-1")
    again = send(api, "POST", GROUPS, body, key="create-1")
    assert (first.status, again.status) == (201, 201)
    assert again.json()["group_id"] == first.json()["group_id"]
    assert again.json()["already_received"] is True and again.json()["version"] is None
    other = send(api, "POST", GROUPS, {**body, "name": "Anders"}, key="create-1")
    assert other.status == 422 and other.json()["errors"][0]["field"] == "idempotency-key"
    assert api.staff_get(GROUPS).json()["count"] == 1
    group_id = first.json()["group_id"]
    closing = [send(api, "POST", f"{GROUPS}/{group_id}/close", key="close-1") for _ in range(2)]
    assert [c.status for c in closing] == [200, 200]
    assert closing[1].json()["already_received"] is True


def test_only_staff_may_use_the_routes(api):
    assert api.request("GET", GROUPS).status == 401
    assert api.request("GET", GROUPS, groups=("members",)).status == 403
    refused = send(api, "POST", GROUPS, {"name": "AK", "kind": "working_group"}, groups=("x",))
    assert refused.status == 403


def test_bad_ids_in_the_path_are_422_and_unknown_ones_404(api):
    assert api.staff_get(f"{GROUPS}/not-an-id").status == 422
    assert send(api, "PATCH", f"{GROUPS}/{NOBODY}", {"name": "x"}).status == 404
    target = f"{GROUPS}/{NOBODY}/members/{NOBODY}"
    assert send(api, "POST", target).status == 404
    assert send(api, "DELETE", target).status == 404
    assert send(api, "POST", f"{GROUPS}/x/members/{NOBODY}").status == 422


# --- joining and leaving --------------------------------------------------------------------


def test_a_member_joins_and_leaves_and_the_summary_shows_the_groups(api, aws):
    group_id = create(api, "Marktplatz", "project_group")["group_id"]
    member_id = member(api)
    target = f"{GROUPS}/{group_id}/members/{member_id}"
    joined = send(api, "POST", target)
    assert joined.status == 200, joined.text
    assert joined.json() == {
        "group_id": group_id,
        "member_id": member_id,
        "member": True,
        "version": 3,
    }
    assert send(api, "POST", target).json()["version"] is None  # in it already
    assert api.project(api.change_records(aws.event_store_table)) == {"batchItemFailures": []}
    detail = api.staff_get(f"/staff/members/{member_id}").json()
    assert detail["summary"]["groups"] == [group_id]
    assert detail["history"][-1]["event_type"] == "JoinedWorkingGroup"
    assert detail["history"][-1]["actor"].startswith("staff:")

    left = send(api, "DELETE", target)
    assert left.json() == {
        "group_id": group_id,
        "member_id": member_id,
        "member": False,
        "version": 4,
    }
    assert send(api, "DELETE", target).json()["version"] is None
    api.project(api.change_records(aws.event_store_table))
    assert api.staff_get(f"/staff/members/{member_id}").json()["summary"]["groups"] == []


@pytest.mark.parametrize(
    ("language", "not_member", "closed"),
    [
        (
            "de",
            "Das geht nur bei Mitgliedern; dies ist ein offener Antrag.",
            "Diese Arbeitsgruppe ist geschlossen: sie nimmt keine neuen Mitglieder auf und kann "
            "nicht mehr geändert werden.",
        ),
        (
            "en",
            "This is for members only; this is an open application.",
            "This group is closed: it takes no new members and cannot be changed any more.",
        ),
    ],
)
def test_non_members_and_closed_groups_are_409_naming_the_rule(api, language, not_member, closed):
    group_id = create(api, "Marktplatz", "project_group")["group_id"]
    applicant = member(api, "bewerber@example.org", approved=False)
    refused = send(api, "POST", f"{GROUPS}/{group_id}/members/{applicant}?lang={language}")
    assert (refused.status, refused.headers["content-type"]) == (409, "application/problem+json")
    assert refused.json()["title"] == not_member
    member_id = member(api)
    send(api, "POST", f"{GROUPS}/{group_id}/members/{member_id}")
    send(api, "POST", f"{GROUPS}/{group_id}/close")
    other = member(api, "zweite@example.org")
    late = send(api, "POST", f"{GROUPS}/{group_id}/members/{other}?lang={language}")
    assert (late.status, late.json()["title"]) == (409, closed)
    # leaving a closed group is fine
    assert send(api, "DELETE", f"{GROUPS}/{group_id}/members/{member_id}").json()["member"] is False
    nobody = send(api, "POST", f"{GROUPS}/{NOBODY}/members/{member_id}?lang={language}")
    assert nobody.status == 404


def test_an_unknown_member_is_404(api):
    group_id = create(api, "Marktplatz", "project_group")["group_id"]
    reply = send(api, "POST", f"{GROUPS}/{group_id}/members/{NOBODY}?lang=en")
    assert (reply.status, reply.json()["title"]) == (404, "There is no such membership.")


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["POST", "PATCH"]),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
    body=st.one_of(
        st.binary(max_size=100),
        st.dictionaries(
            st.sampled_from(["name", "kind", "description", "x"]),
            st.none()
            | st.booleans()
            | st.integers()
            | st.text(max_size=30)
            | st.lists(st.text(max_size=3), max_size=2),
        ).map(lambda d: json.dumps(d).encode()),
    ),
    key=st.none() | st.text(max_size=120),
    group=st.sampled_from([NOBODY, "x", "%FF"]),
)
def test_no_group_input_gets_a_500(api, method, content_type, body, key, group):
    headers = [("content-type", content_type)]
    if key is not None:
        headers.append(("idempotency-key", quote(key)))
    target = GROUPS if method == "POST" else f"{GROUPS}/{group}"
    reply = api.request(method, target, body=body, headers=headers, groups=("staff",))
    assert reply.status in (201, 400, 404, 409, 415, 422), (reply.status, reply.text)
    assert "Traceback" not in reply.text


def test_the_staff_document_describes_the_routes():
    import functions.staff_api.app as staff_api  # noqa: PLC0415

    paths = staff_api.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)["paths"]
    assert {"get", "post"} <= set(paths[GROUPS])
    assert {"get", "patch"} <= set(paths[f"{GROUPS}/{{group_id}}"])
    assert {"post", "delete"} <= set(paths[f"{GROUPS}/{{group_id}}/members/{{member_id}}"])
    created = paths[GROUPS]["post"]["responses"]
    assert {201, 409, 422} <= {int(status) for status in created}


# --- the staff app's pages ------------------------------------------------------------------


@pytest.fixture
def browser(aws, template, tmp_path) -> StaffBrowser:
    cognito, users, login = local_login(tmp_path)
    users.add(STAFF_EMAIL, PASSWORD, ["staff"])
    adapters = aws.functions.adapters["StaffWebFunction"]
    adapters.__dict__.update(
        login_service=login_service(cognito), token_endpoint=InProcessTokenEndpoint(login)
    )
    browser = StaffBrowser(template, aws.functions.invoke, login)
    assert browser.sign_in(STAFF_EMAIL).status == 200
    return browser


def form_fields(page) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text
        )
    }


def test_the_pages_create_edit_and_close_a_group_with_post_redirect_get(browser):
    page = browser.get("/control/working-groups?lang=de")
    assert page.status == 200, page.text
    assert "<h1>Arbeitsgruppen</h1>" in page.text
    assert 'href="/control/working-groups?lang=de" aria-current="page"' in page.text
    assert "Es gibt noch keine Arbeitsgruppen." in page.text
    hidden = form_fields(page)
    form = {
        **hidden,
        "name": "Arbeitskreis Wirtschaft",
        "kind": "working_group",
        "description": "Monatlich",
    }
    sent = browser.post("/control/working-groups", form, follow=False)
    assert sent.status == 303, sent.text
    location = sent.location
    group_id = re.fullmatch(
        rf"/control/working-groups/({UUID})\?lang=de&done=created#top", location
    ).group(1)
    again = browser.post("/control/working-groups", form, follow=False)  # resent: one group
    assert again.status == 303 and again.location == location
    shown = browser.get(location)
    assert "<h1>Arbeitskreis Wirtschaft</h1>" in shown.text
    assert "Die Arbeitsgruppe ist angelegt." in shown.text
    assert f'href="/control/members?group={group_id}&amp;lang=de"' in shown.text
    assert "Mitglieder anzeigen" in shown.text

    edit = {**form_fields(shown), "name": "AK Wirtschaft", "description": ""}
    changed = browser.post(f"/control/working-groups/{group_id}", edit)
    assert changed.status == 200 and "Die Änderungen sind gespeichert." in changed.text
    assert "<h1>AK Wirtschaft</h1>" in changed.text
    listing = browser.get("/control/working-groups?lang=en")
    assert (
        "AK Wirtschaft" in listing.text
        and "Working group" in listing.text
        and "Open" in listing.text
    )

    close = {**form_fields(changed)}
    closed = browser.post(f"/control/working-groups/{group_id}/close", close)
    assert "Die Arbeitsgruppe ist geschlossen." in closed.text
    assert "Gruppe schließen" not in closed.text.split("</h1>", 1)[1]  # no close button any more
    assert "Geschlossen" in browser.get("/control/working-groups?lang=de").text
    again = browser.post(f"/control/working-groups/{group_id}/close", {**form_fields(closed)})
    assert again.status == 409 and "Diese Arbeitsgruppe ist geschlossen" in again.text


def test_a_form_with_errors_comes_back_with_the_summary_and_what_was_typed(browser):
    page = browser.get("/control/working-groups?lang=en")
    form = {**form_fields(page), "name": "", "kind": "project_group", "description": "Ideen <b>"}
    sent = browser.post("/control/working-groups", form)
    assert sent.status == 422
    assert 'role="alert"' in sent.text and "Please give the group a name." in sent.text
    assert "Ideen &lt;b&gt;" in sent.text
    assert 'id="kind-project_group" name="kind" value="project_group" checked' in sent.text
    create_form = {**form_fields(page), "name": "Marktplatz", "kind": "project_group"}
    assert browser.post("/control/working-groups", create_form, follow=False).status == 303
    taken = browser.post(
        "/control/working-groups",
        {
            **form_fields(browser.get("/control/working-groups?lang=en")),
            "name": "MARKTPLATZ",
            "kind": "working_group",
        },
    )
    assert taken.status == 409 and "There is an open group with this name already." in taken.text
    assert 'href="#name"' in taken.text


def test_an_unknown_group_is_a_page_in_the_staff_layout(browser):
    page = browser.get(f"/control/working-groups/{NOBODY}?lang=en")
    assert page.status == 404 and "<h1>Group not found</h1>" in page.text
    assert "Sign out" in page.text
    assert browser.get("/control/working-groups/nope").status == 404


def test_the_person_page_forms_join_and_leave_and_redirect_back(api, browser):
    group_id = create(api, "Marktplatz", "project_group")["group_id"]
    member_id = member(api)
    csrf = form_fields(browser.get("/control/working-groups"))["csrf"]
    joined = browser.post(
        f"/control/members/{member_id}/groups",
        {"csrf": csrf, "group_id": group_id, "form_id": "f1", "lang": "en"},
        follow=False,
    )
    assert joined.status == 303, joined.text
    assert joined.location == f"/control/members/{member_id}?lang=en&done=joined#groups"
    history = api.staff_get(f"/staff/members/{member_id}").json()["history"]
    assert history[-1]["event_type"] == "JoinedWorkingGroup"
    assert history[-1]["actor"].startswith("staff:")
    left = browser.post(
        f"/control/members/{member_id}/groups/{group_id}/leave",
        {"csrf": csrf, "form_id": "f2", "lang": "de"},
        follow=False,
    )
    assert left.location == f"/control/members/{member_id}?lang=de&done=left#groups"

    applicant = member(api, "bewerber@example.org", approved=False)
    refused = browser.post(
        f"/control/members/{applicant}/groups",
        {"csrf": csrf, "group_id": group_id, "form_id": "f3", "lang": "de"},
    )
    assert refused.status == 409
    assert "<h1>Das ging nicht</h1>" in refused.text
    assert "Das geht nur bei Mitgliedern; dies ist ein offener Antrag." in refused.text
    assert f'href="/control/members/{applicant}?lang=de#groups"' in refused.text
    nothing = browser.post(
        f"/control/members/{member_id}/groups", {"csrf": csrf, "group_id": "", "lang": "en"}
    )
    assert nothing.status == 422 and "Please choose a group." in nothing.text
    unknown = browser.post(
        f"/control/members/{member_id}/groups", {"csrf": csrf, "group_id": NOBODY, "lang": "en"}
    )
    assert unknown.status == 404 and "There is no such group." in unknown.text
    forged = browser.post(
        f"/control/members/{member_id}/groups", {"csrf": "wrong", "group_id": group_id}
    )
    assert forged.status == 403
