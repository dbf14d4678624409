"""The template wires what the code implements: routes, environment, table keys."""

from datetime import UTC, datetime

import functions.public_api.app as public_api
import functions.staff_api.app as staff_api
from verein import runtime
from verein.eventstore.mapper import Mapper
from verein.membership.views import store as member_views

RESOLVERS = {"PublicApiFunction": public_api.app, "StaffApiFunction": staff_api.app}


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


def test_every_function_gets_the_environment_the_code_reads(template):
    for function in template.functions.values():
        for name in runtime.REQUIRED_ENVIRONMENT:
            assert name in function.environment, (function.logical_id, name)
    assert template.functions["PublicApiFunction"].environment["EVENT_STORE_TABLE"] == (
        template.table_name("EventStoreTable")
    )


def test_the_tables_have_the_keys_the_adapters_write(template):
    store = template.tables["EventStoreTable"].create_kwargs
    assert {k["AttributeName"]: k["KeyType"] for k in store["KeySchema"]} == {
        "stream_id": "HASH",
        "version": "RANGE",
    }
    assert store["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    item = Mapper().commit_item("s#1", 1, [], None, datetime.now(UTC))
    types = {a["AttributeName"]: a["AttributeType"] for a in store["AttributeDefinitions"]}
    assert isinstance(item["stream_id"], str) and types["stream_id"] == "S"
    assert isinstance(item["version"], int) and types["version"] == "N"

    views = template.tables["ViewsTable"].create_kwargs
    assert {k["AttributeName"] for k in views["KeySchema"]} == {"pk", "sk"}
    (index,) = views["GlobalSecondaryIndexes"]
    assert index["IndexName"] == member_views.LIST_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["list_pk", "list_sk"]


def test_the_projector_reads_the_event_store_change_stream(template):
    (mapping,) = template.stream_mappings
    assert (mapping.function, mapping.table) == ("ChangeStreamFunction", "EventStoreTable")
    assert mapping.report_batch_item_failures
    assert mapping.bisect_on_error
    assert mapping.maximum_retry_attempts is not None
