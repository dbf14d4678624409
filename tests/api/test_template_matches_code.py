"""The template wires what the code implements: routes, environment, table keys."""

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest

import functions.change_stream.app as change_stream
import functions.member_self_service.app as member_self_service
import functions.membership_intake.app as membership_intake
import functions.public_api.app as public_api
import functions.scheduled.app as scheduled
import functions.staff_api.app as staff_api
import functions.staff_web.app as staff_web
from tests.samples import MAPPER
from verein.kernel import clock
from verein.membership.views import store as member_views
from verein.membership.views.directory import DIRECTORY_ATTRIBUTES
from verein.settings import Settings, SettingsError

RESOLVERS = {
    "PublicApiFunction": public_api.app,
    "StaffApiFunction": staff_api.app,
    "StaffWebFunction": staff_web.app,
}


def test_every_template_route_is_a_route_of_its_function_and_back(template):
    for function, app in RESOLVERS.items():
        in_template = {
            (r.method.lower(), r.path) for r in template.routes if r.function == function
        }
        schema = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
        in_code = {
            (method, path) for path, operations in schema["paths"].items() for method in operations
        }
        assert in_template == in_code, function


def test_the_staff_routes_and_only_they_need_a_token(template):
    for route in template.routes:
        assert route.requires_jwt == route.path.startswith("/staff/"), route


MODULES = {
    "PublicApiFunction": public_api,
    "StaffApiFunction": staff_api,
    "StaffWebFunction": staff_web,
    "MembershipIntakeFunction": membership_intake,
    "ChangeStreamFunction": change_stream,
    "ScheduledFunction": scheduled,
    "MemberSelfServiceFunction": member_self_service,
}


def test_every_function_gets_the_settings_its_code_needs(template):
    assert set(MODULES) == set(template.functions)
    for logical_id, function in template.functions.items():
        needs = MODULES[logical_id].NEEDS
        Settings.from_environment(needs, environ=function.environment)  # raises if not
    assert template.functions["PublicApiFunction"].environment["EVENT_STORE_TABLE"] == (
        template.table_name("EventStoreTable")
    )


def test_a_missing_setting_fails_with_its_name():
    with pytest.raises(SettingsError, match="VIEWS_TABLE"):
        Settings.from_environment(environ={"EVENT_STORE_TABLE": "t"})
    with pytest.raises(SettingsError, match="CLAIM_KEY_SECRET_ARN"):
        Settings.from_environment(
            ("CLAIM_KEY_SECRET_ARN",), environ={"EVENT_STORE_TABLE": "t", "VIEWS_TABLE": "v"}
        )


def test_the_tables_have_the_keys_the_adapters_write(template):
    store = template.tables["EventStoreTable"].create_kwargs
    assert {k["AttributeName"]: k["KeyType"] for k in store["KeySchema"]} == {
        "stream_id": "HASH",
        "version": "RANGE",
    }
    assert store["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    item = MAPPER.commit_item("s#1", 1, [], None, datetime.now(UTC))
    types = {a["AttributeName"]: a["AttributeType"] for a in store["AttributeDefinitions"]}
    assert isinstance(item["stream_id"], str) and types["stream_id"] == "S"
    assert isinstance(item["version"], int) and types["version"] == "N"

    views = template.tables["ViewsTable"].create_kwargs
    assert {k["AttributeName"] for k in views["KeySchema"]} == {"pk", "sk"}
    by_list, by_name = views["GlobalSecondaryIndexes"]
    assert by_list["IndexName"] == member_views.LIST_INDEX
    assert [k["AttributeName"] for k in by_list["KeySchema"]] == ["list_pk", "list_sk"]
    assert by_name["IndexName"] == member_views.NAME_INDEX
    assert [k["AttributeName"] for k in by_name["KeySchema"]] == ["name_pk", "name_sk"]
    # the directory reads and filters on exactly what the index holds
    assert by_name["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(DIRECTORY_ATTRIBUTES),
    }


def test_the_projector_reads_the_event_store_change_stream(template):
    (mapping,) = template.stream_mappings
    assert (mapping.function, mapping.table) == ("ChangeStreamFunction", "EventStoreTable")
    assert mapping.report_batch_item_failures
    assert mapping.bisect_on_error
    assert mapping.maximum_retry_attempts is not None


def test_memberships_are_ended_nightly_as_of_the_associations_day(template):
    """00:15 in Berlin (the association's day, verein.kernel.clock), with an input that names
    no day: in AWS the function always takes the day from the clock."""
    (schedule,) = template.schedules
    assert (schedule.function, schedule.kind) == ("ScheduledFunction", "ScheduleV2")
    assert (schedule.expression, schedule.timezone) == ("cron(15 0 * * ? *)", "Europe/Berlin")
    assert "today" not in (schedule.input or "")
    assert str(clock.ASSOCIATION_ZONE) == schedule.timezone
    assert template.functions["ScheduledFunction"].environment["TODAY_FROM_EVENT"] == "false"
    assert not scheduled.TODAY_FROM_EVENT


def test_a_function_without_its_settings_fails_its_cold_start(monkeypatch):
    monkeypatch.delenv("CLAIM_KEY_SECRET_ARN")
    path = Path(staff_api.__file__)
    spec = importlib.util.spec_from_file_location("cold_start_probe", path)
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(SettingsError, match="CLAIM_KEY_SECRET_ARN"):
        spec.loader.exec_module(module)
