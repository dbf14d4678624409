"""The local stack's reading of infra/template.yaml (the single source of truth)."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local_aws.streams import FilterPattern, passes
from local_aws.template import (
    LocalTemplate,
    TemplateError,
    load_template,
    load_yaml,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> LocalTemplate:
    return load_template(TEMPLATE)


def test_short_tags_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref Thing\n"
        "B: !GetAtt Table.StreamArn\n"
        "C: !GetAtt [Table, Arn]\n"
        "D: !Sub 'x-${AWS::Region}'\n"
        "E: !Join [',', [a, !Ref P]]\n"
        "F: !If [IsProd, 1, 2]\n"
        "G: !GetAtt Res.Attr.With.Dots\n"
    )
    doc = load_yaml(path)
    assert doc["A"] == {"Ref": "Thing"}
    assert doc["B"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert doc["C"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert doc["D"] == {"Fn::Sub": "x-${AWS::Region}"}
    assert doc["E"] == {"Fn::Join": [",", ["a", {"Ref": "P"}]]}
    assert doc["F"] == {"Fn::If": ["IsProd", 1, 2]}
    assert doc["G"] == {"Fn::GetAtt": ["Res", "Attr.With.Dots"]}


def test_tables_keys_streams_and_indexes(template: LocalTemplate) -> None:
    assert set(template.tables) == {"EventStoreTable", "ViewsTable", "StaffTable"}
    events = template.tables["EventStoreTable"].create_kwargs
    assert events["TableName"] == "EventStoreTable"
    assert events["KeySchema"] == [
        {"AttributeName": "stream_id", "KeyType": "HASH"},
        {"AttributeName": "version", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "version", "AttributeType": "N"} in events["AttributeDefinitions"]
    assert events["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert events["BillingMode"] == "PAY_PER_REQUEST"
    # Properties create_table does not accept are dropped.
    assert "PointInTimeRecoverySpecification" not in events
    assert "SSESpecification" not in events

    views = template.tables["ViewsTable"].create_kwargs
    assert "StreamSpecification" not in views
    by_list, by_name = views["GlobalSecondaryIndexes"]
    assert by_list["IndexName"] == "by_list"
    assert [k["AttributeName"] for k in by_list["KeySchema"]] == ["list_pk", "list_sk"]
    assert by_list["Projection"] == {"ProjectionType": "ALL"}
    # The directory: the listing's attributes only (INCLUDE), so a page reads little.
    assert by_name["IndexName"] == "by_name"
    assert [k["AttributeName"] for k in by_name["KeySchema"]] == ["name_pk", "name_sk"]
    assert by_name["Projection"]["ProjectionType"] == "INCLUDE"


def test_functions_code_handler_and_environment(template: LocalTemplate) -> None:
    # The template grows; these must stay.
    assert set(template.functions) >= {
        "PublicApiFunction",
        "StaffApiFunction",
        "ChangeStreamFunction",
    }
    root = TEMPLATE.parent.parent
    public = template.functions["PublicApiFunction"]
    assert public.code_dir == root / "functions" / "public_api"
    assert public.module_file == root / "functions" / "public_api" / "app.py"
    assert public.handler_attribute == "handler"
    for function in template.functions.values():
        # Refs to tables resolve to the local table names; other Refs to parameter defaults.
        assert function.environment["EVENT_STORE_TABLE"] == "EventStoreTable"
        assert function.environment["VIEWS_TABLE"] == "ViewsTable"
        assert function.environment["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert function.environment["POWERTOOLS_SERVICE_NAME"] == "verein"
        # Globals' Timeout, unless the function sets its own.
        own = template.resources[function.logical_id]["Properties"].get("Timeout")
        assert function.timeout_s == (10 if own is None else own)
        assert root / "shared" in function.layer_dirs


def test_routes_and_their_auth(template: LocalTemplate) -> None:
    routes = {route.route_key: route for route in template.routes}
    # The template grows; these must stay, and every route's auth follows its prefix.
    assert set(routes) >= {
        "GET /membership/apply",
        "POST /membership/applications",
        "GET /staff/members",
        "GET /staff/members/{member_id}",
    }
    assert routes["GET /membership/apply"].function == "PublicApiFunction"
    assert routes["GET /staff/members/{member_id}"].function == "StaffApiFunction"
    for key, route in routes.items():
        assert route.requires_jwt == key.split()[1].startswith("/staff/"), key
    assert set(template.authorizers) == {"StaffJwt"}


def test_stream_mapping(template: LocalTemplate) -> None:
    (mapping,) = template.stream_mappings
    assert mapping.function == "ChangeStreamFunction"
    assert mapping.table == "EventStoreTable"
    assert mapping.report_batch_item_failures is True
    assert mapping.bisect_on_error is True
    assert mapping.batch_size == 100
    assert mapping.maximum_retry_attempts == 5
    assert mapping.starting_position == "TRIM_HORIZON"


def test_the_stream_mapping_lets_only_commits_through(template: LocalTemplate) -> None:
    (mapping,) = template.stream_mappings
    filters = [FilterPattern(p) for p in mapping.filters]

    def record(kind: str) -> dict[str, object]:
        image = {"stream_id": {"S": "x"}, "item_kind": {"S": kind}}
        return {"eventName": "INSERT", "dynamodb": {"NewImage": image}}

    assert passes(filters, record("commit"))
    assert not passes(filters, record("claim"))
    assert not passes(filters, {"eventName": "REMOVE", "dynamodb": {"OldImage": {}}})


def test_unknown_authorizer_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /x, Method: GET, Auth: {Authorizer: Missing}}
"""
    )
    with pytest.raises(TemplateError):
        load_template(path)


def test_tables_created_from_the_template_have_the_expected_keys(
    template: LocalTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=os.environ["AWS_DEFAULT_REGION"])
        for spec in template.tables.values():
            client.create_table(**spec.create_kwargs)
        events = client.describe_table(TableName="EventStoreTable")["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in events["KeySchema"]] == [
            ("stream_id", "HASH"),
            ("version", "RANGE"),
        ]
        assert events["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
        assert events["LatestStreamArn"]
        views = client.describe_table(TableName="ViewsTable")["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in views["KeySchema"]] == [
            ("pk", "HASH"),
            ("sk", "RANGE"),
        ]
        indexes = {i["IndexName"]: i for i in views["GlobalSecondaryIndexes"]}
        assert [(k["AttributeName"], k["KeyType"]) for k in indexes["by_list"]["KeySchema"]] == [
            ("list_pk", "HASH"),
            ("list_sk", "RANGE"),
        ]
        assert [(k["AttributeName"], k["KeyType"]) for k in indexes["by_name"]["KeySchema"]] == [
            ("name_pk", "HASH"),
            ("name_sk", "RANGE"),
        ]
        # TimeToLiveSpecification has no local meaning (nothing expires locally): left out,
        # the table is still made.
        staff = client.describe_table(TableName="StaffTable")["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in staff["KeySchema"]] == [("pk", "HASH")]
        assert "TimeToLiveSpecification" not in template.tables["StaffTable"].create_kwargs
