"""The fee schedule through the functions on moto, called with API Gateway's exact events:
the staff API (GET/PUT /staff/fees) and the staff app's page (GET/POST /control/fees)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import unescape

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient
from tests.staff_browser import (
    PASSWORD,
    InProcessTokenEndpoint,
    StaffBrowser,
    local_login,
    login_service,
)
from verein.web.pages import LOCAL_TIME

STAFF_EMAIL = "anna@verein.example"
VERSION = {
    "effective_from": "2026-01-01",
    "types": [
        {
            "code": "company-small",
            "label_de": "Unternehmen bis 10 Beschäftigte",
            "label_en": "Company up to 10 staff",
            "yearly_fee": "120.00",
        },
        {
            "code": "individual",
            "label_de": "Einzelperson",
            "label_en": "Individual",
            "yearly_fee": 60,
        },
        {
            "code": "honorary",
            "label_de": "Ehrenmitglied",
            "label_en": "Honorary member",
            "yearly_fee": 0,
        },
    ],
}


@pytest.fixture
def api(aws, template, tmp_path):
    return ApiClient(template, aws.endpoint_url, LocalCognito(tmp_path), aws.functions)


def put_fees(api: ApiClient, body: object, *, headers=(), groups=("staff",)):
    return api.request(
        "PUT",
        "/staff/fees",
        body=json.dumps(body).encode(),
        headers=[("content-type", "application/json"), *headers],
        groups=groups,
        subject="anna",
    )


def fee_items(aws) -> list[dict]:
    items = aws.dynamodb.scan(TableName=aws.event_store_table)["Items"]
    return [i for i in items if not i["stream_id"]["S"].startswith("member#")]


def berlin_today() -> str:
    return datetime.now(LOCAL_TIME).date().isoformat()


# --- the staff API --------------------------------------------------------------------------


def test_an_empty_schedule_has_no_version_in_force(api):
    reply = api.staff_get("/staff/fees")
    assert reply.status == 200, reply.text
    assert reply.json() == {"today": berlin_today(), "current": None, "versions": []}
    assert reply.headers["cache-control"] == "no-store"


def test_a_version_set_is_in_force_from_its_day_and_stored_once(api, aws):
    reply = put_fees(api, VERSION)
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert answer["already_received"] is False
    current = answer["current"]
    assert current["effective_from"] == "2026-01-01" and current["until"] is None
    assert [(t["code"], t["yearly_fee_cents"], t["yearly_fee"]) for t in current["types"]] == [
        ("company-small", 12000, "120.00"),
        ("individual", 6000, "60.00"),
        ("honorary", 0, "0.00"),
    ]
    later = {**VERSION, "effective_from": "2099-01-01", "types": VERSION["types"][1:]}
    assert put_fees(api, later).status == 200
    schedule = api.staff_get("/staff/fees").json()
    assert schedule["current"]["effective_from"] == "2026-01-01"
    assert schedule["current"]["until"] == "2099-01-01"
    assert [v["effective_from"] for v in schedule["versions"]] == ["2026-01-01", "2099-01-01"]
    # one stream, one commit per version, nothing else
    assert [(i["stream_id"]["S"], i["version"]["N"]) for i in fee_items(aws)] == [
        ("fee-schedule", "1"),
        ("fee-schedule", "2"),
    ]


def test_a_version_for_a_day_that_has_one_replaces_it(api):
    assert put_fees(api, VERSION).status == 200
    replaced = {**VERSION, "types": [{**VERSION["types"][0], "yearly_fee": 150.5}]}
    answer = put_fees(api, replaced).json()
    assert len(answer["versions"]) == 1
    assert answer["current"]["types"][0]["yearly_fee"] == "150.50"


def test_an_idempotency_key_sets_once_and_refuses_another_body(api, aws):
    key = [("idempotency-key", "fees-2026")]
    first, again = put_fees(api, VERSION, headers=key), put_fees(api, VERSION, headers=key)
    assert (first.status, again.status) == (200, 200)
    assert (first.json()["already_received"], again.json()["already_received"]) == (False, True)
    assert again.json()["versions"] == first.json()["versions"]
    stored = fee_items(aws)
    assert len(stored) == 2  # the commit and the key's claim
    other = put_fees(api, {**VERSION, "effective_from": "2026-02-01"}, headers=key)
    assert other.status == 422 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["errors"][0]["field"] == "idempotency-key"
    assert fee_items(aws) == stored


@pytest.mark.parametrize(
    ("language", "body", "expected"),
    [
        (
            "de",
            {**VERSION, "types": []},
            {"types": "Bitte geben Sie mindestens eine Beitragsart an."},
        ),
        (
            "en",
            {"effective_from": "1.1.2026", "types": [{**VERSION["types"][0], "code": "Firma"}]},
            {
                "effective_from": "Please give a valid date (e.g. 2027-01-01).",
                "types[0].code": "A code consists of lower-case letters (a to z), digits and "
                "hyphens, starts with a letter and has at most 40 characters.",
            },
        ),
        (
            "de",
            {
                **VERSION,
                "types": [VERSION["types"][0], {**VERSION["types"][1], "code": "company-small"}],
            },
            {"types[1].code": "Jedes Kürzel darf in einer Fassung nur einmal vorkommen."},
        ),
        (
            "en",
            {
                **VERSION,
                "types": [{**VERSION["types"][0], "yearly_fee": "1.234", "label_en": " "}, "x"],
            },
            {
                "types[0].yearly_fee": "Please give the yearly fee in euros, with at most two "
                "decimals and at most 1,000,000, e.g. 120.00.",
                "types[0].label_en": "Please give a label.",
                "types[1]": "Each membership type is an object with code, label_de, label_en "
                "and yearly_fee.",
            },
        ),
    ],
)
def test_invalid_versions_get_field_errors_in_the_language_asked_and_store_nothing(
    api, aws, language, body, expected
):
    reply = put_fees(api, body, headers=[("accept-language", language)])
    assert reply.status == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["content-language"] == language
    problem = reply.json()
    assert problem["title"] == {"de": "Ungültige Eingabe", "en": "Invalid input"}[language]
    assert {e["field"]: e["message"] for e in problem["errors"]} == expected
    assert fee_items(aws) == []


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"{not json", 422),
        ("application/json", b"[]", 422),
        ("application/json", b"", 422),
        ("application/json", b"null", 422),
        ("application/json", b'{"effective_from": "2026-01-01"}', 422),
        ("application/json", b'{"effective_from": 1, "types": {"a": 1}}', 422),
        ("application/json", b'{"effective_from": "2026-01-01", "types": [[]]}', 422),
        (
            "application/json",
            b'{"effective_from": "2026-01-01", "types": [{"code": "a", "label_de": "a", '
            b'"label_en": "a", "yearly_fee": NaN}]}',
            422,
        ),
        ("text/plain", b"hello", 415),
        ("application/x-www-form-urlencoded", b"effective_from=2026-01-01", 415),
    ],
)
def test_malformed_bodies_get_a_4xx_problem_never_a_500(api, aws, content_type, body, status):
    reply = api.request(
        "PUT",
        "/staff/fees",
        body=body,
        headers=[("content-type", content_type)],
        groups=("staff",),
    )
    assert reply.status == status, reply.text
    # a form post is a person's: the screening answers it with a page
    page = content_type.startswith("application/x-www-form-urlencoded")
    media = "text/html; charset=utf-8" if page else "application/problem+json"
    assert reply.headers["content-type"] == media
    assert "Traceback" not in reply.text
    assert fee_items(aws) == []


def test_only_staff_read_and_set_fees(api, aws):
    assert api.request("GET", "/staff/fees").status == 401
    assert api.staff_get("/staff/fees", groups=("members",)).status == 403
    assert put_fees(api, VERSION, groups=("members",)).status == 403
    assert fee_items(aws) == []


def test_the_change_stream_reads_fee_commits_and_projects_nothing_from_them(api, aws):
    assert put_fees(api, VERSION).status == 200
    records = api.change_records(aws.event_store_table)
    assert records and api.project(records) == {"batchItemFailures": []}
    views = aws.dynamodb.scan(TableName=aws.views_table)["Items"]
    assert views == []


def test_the_staff_document_describes_the_fee_routes(api):
    paths = api.staff_get("/staff/openapi.json").json()["paths"]
    assert {"get", "put"} <= set(paths["/staff/fees"])
    body = paths["/staff/fees"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ScheduleVersionRequest")


# --- the staff app's page -------------------------------------------------------------------


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


def form_of(page) -> dict[str, str]:
    """Every input of the page's fee form with its value, as a browser would post it."""
    form = page.text[page.text.index('action="/control/fees"') :]
    inputs = r'<input type="(?:hidden|text|date)"(?: id="[^"]*")? name="([^"]+)" value="([^"]*)"'
    return {name: unescape(value) for name, value in re.findall(inputs, form)}


def test_the_page_shows_the_schedule_and_sets_a_version_with_post_redirect_get(api, aws, browser):
    assert put_fees(api, VERSION).status == 200
    page = browser.get("/control/fees?lang=de")
    assert page.status == 200, page.text
    assert "<h1>Beitragsordnung</h1>" in page.text
    assert 'href="/control/fees?lang=de" aria-current="page"' in page.text  # in the navigation
    assert "Gültig seit 01.01.2026" in page.text
    assert "120,00\u00a0€" in page.text and "Unternehmen bis 10 Beschäftigte" in page.text
    form = form_of(page)
    # prefilled with the types in force, then three empty rows
    assert [form[f"code-{n}"] for n in range(6)] == [
        "company-small",
        "individual",
        "honorary",
        "",
        "",
        "",
    ]
    assert form["yearly_fee-0"] == "120,00" and "code-6" not in form
    assert re.fullmatch(r"[0-9a-f]{32}", form["form_id"])

    change = {
        **form,
        "effective_from": "2099-01-01",
        "yearly_fee-0": "150,00 €",  # typed with a euro sign: fine
        "code-1": "",  # cleared: left out
        "code-3": "company-large",
        "label_de-3": "Unternehmen ab 50 Beschäftigte",
        "label_en-3": "Company from 50 staff",
        "yearly_fee-3": "1200",
    }
    sent = browser.post("/control/fees", change, follow=False)
    assert sent.status == 303, sent.text
    assert sent.location == "/control/fees?lang=de&done=set#top"
    shown = browser.get(sent.location)
    assert "Die Fassung ist gespeichert." in shown.text
    assert "Ab 01.01.2099" in shown.text and "1.200,00\u00a0€" in shown.text
    assert browser.post("/control/fees", change, follow=False).status == 303  # sent twice
    upcoming = api.staff_get("/staff/fees").json()["versions"][-1]
    assert [(t["code"], t["yearly_fee_cents"]) for t in upcoming["types"]] == [
        ("company-small", 15000),
        ("honorary", 0),
        ("company-large", 120000),
    ]
    assert len(fee_items(aws)) == 3  # two commits, one form id's claim

    english = browser.get("/control/fees?lang=en")
    assert "<h1>Fee schedule</h1>" in english.text
    assert "In force since 1 January 2026" in english.text and "€1,200.00" in english.text
    assert 'value="120.00"' in english.text


def test_an_invalid_form_comes_back_with_the_error_summary_and_what_was_typed(browser, aws):
    form = form_of(browser.get("/control/fees?lang=en"))
    assert form["code-0"] == "" and form["effective_from"].endswith("-01-01")
    sent = {
        **form,
        "effective_from": "someday",
        "code-0": "Firma",
        "label_de-0": "Firma <b>",
        "yearly_fee-0": "12,345",
        "code-1": "firma",
        "label_de-1": "F",
        "label_en-1": "F",
        "yearly_fee-1": "1",
        "code-2": "firma",
    }
    page = browser.post("/control/fees", sent)
    assert page.status == 422, page.text
    assert re.search(r'<div class="error-summary"[^>]*tabindex="-1" autofocus', page.text)
    for anchor in (
        "effective_from",
        "code-0",
        "label_en-0",
        "yearly_fee-0",
        "code-2",
        "label_de-2",
    ):
        assert f'href="#{anchor}"' in page.text, anchor
    assert "Membership type 3: Each code may appear only once in a version." in page.text
    assert 'value="Firma &lt;b&gt;"' in page.text and 'value="someday"' in page.text
    assert f'value="{form["form_id"]}"' in page.text  # the same form, once it is right
    assert fee_items(aws) == []


def test_a_form_with_no_code_at_all_says_a_type_is_needed(browser, aws):
    form = form_of(browser.get("/control/fees?lang=de"))
    page = browser.post("/control/fees", form)
    assert page.status == 422
    assert "Bitte geben Sie mindestens eine Beitragsart an." in page.text
    assert 'href="#code-0"' in page.text
    assert fee_items(aws) == []


def test_a_form_sent_again_with_other_entries_is_refused_with_a_fresh_form(browser, aws):
    form = form_of(browser.get("/control/fees?lang=de"))
    filled = {**form, "code-0": "a", "label_de-0": "A", "label_en-0": "A", "yearly_fee-0": "1"}
    assert browser.post("/control/fees", filled, follow=False).status == 303
    again = browser.post("/control/fees", {**filled, "yearly_fee-0": "2"})
    assert again.status == 409
    assert "schon mit anderen Angaben gesendet" in again.text
    fresh = form_of(again)["form_id"]
    assert fresh != form["form_id"]
    assert (
        browser.post(
            "/control/fees", {**filled, "yearly_fee-0": "2", "form_id": fresh}, follow=False
        ).status
        == 303
    )


def test_past_versions_are_listed_with_the_days_they_were_in_force(api, browser):
    today = datetime.now(LOCAL_TIME).date()
    for start in (today - timedelta(days=400), today - timedelta(days=30)):
        assert put_fees(api, {**VERSION, "effective_from": start.isoformat()}).status == 200
    page = browser.get("/control/fees?lang=de")
    first = (today - timedelta(days=400)).strftime("%d.%m.%Y")
    last = (today - timedelta(days=31)).strftime("%d.%m.%Y")
    assert "Frühere Fassungen" in page.text and f"{first} bis {last}" in page.text


def test_a_post_without_rows_gets_the_form_with_empty_rows(browser, aws):
    form = form_of(browser.get("/control/fees?lang=en"))
    page = browser.post(
        "/control/fees", {"csrf": form["csrf"], "form_id": form["form_id"], "lang": "en"}
    )
    assert page.status == 422
    assert 'href="#effective_from"' in page.text and 'href="#code-0"' in page.text
    assert 'id="code-0"' in page.text and 'id="code-2"' in page.text
    assert fee_items(aws) == []
