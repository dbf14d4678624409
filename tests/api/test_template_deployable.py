"""The template, translated from SAM to CloudFormation as a deployment does, deploys what the code
expects: tables with the adapters' keys and stream, handlers that import with the environment
they get, and roles with no wildcard rights.

The translation runs offline: ``samtranslator`` (the library behind ``sam deploy``'s transform)
with a managed-policy loader that knows no names, so it never asks IAM (the template names
managed policies only by ARN; SAM adds its own by ARN too). Local ``CodeUri``/``ContentUri``
paths are swapped for S3 URIs, as ``sam package`` does; the source paths stay readable in the
SAM template. Each check has a twin that breaks the template in memory and sees it fail.

The tests in test_template_matches_code.py read the template as the local stack does, and
test_iam_policy.py decides the functions' real requests; these read the translated template.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import cfnlint.data.AdditionalSpecs
import pytest
from boto3.dynamodb.types import TypeDeserializer
from cfnlint.decode import cfn_yaml
from moto import mock_aws
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from local_aws.streams import FilterPattern, passes
from tests.samples import MAPPER, application
from verein.changes.dispatcher import Dispatcher
from verein.eventstore import CommandContext
from verein.eventstore.dynamodb import DynamoDBEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.usecases import apply_for_membership
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import LIST_INDEX, NAME_INDEX, DynamoDBMemberViews
from verein.settings import Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
REGION = "eu-central-1"
STACK = "verein-test"

# --- Translating SAM to CloudFormation, offline ---------------------------------------------


class NoManagedPolicyNames(ManagedPolicyLoader):
    """SAM asks IAM for the ARNs of managed policies named in ``Policies:``; ours names none
    (an unknown name still becomes ``arn:aws:iam::aws:policy/<name>``), so: no IAM call."""

    def __init__(self) -> None:
        super().__init__(iam_client=None)

    def load(self) -> dict[str, str]:
        return {}


def load_sam() -> dict[str, Any]:
    # cfn-lint's loader understands the short intrinsics (!Ref, !Sub ...); JSON makes plain dicts.
    return json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))


def translate(sam: dict[str, Any]) -> dict[str, Any]:
    sam = copy.deepcopy(sam)
    for resource in sam["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://packages/{properties[key]}"  # as `sam package` would
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": REGION}):
        return transform(sam, {}, NoManagedPolicyNames())


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_sam()


@pytest.fixture(scope="module")
def translated(sam: dict[str, Any]) -> dict[str, Any]:
    return translate(sam)


def broken(sam: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The template translated after ``change`` to a copy of its SAM source."""
    copied = copy.deepcopy(sam)
    change(copied)
    return translate(copied)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def properties(sam: dict[str, Any], name: str) -> dict[str, Any]:
    return sam["Resources"][name]["Properties"]


# --- 1. Tables: created by CloudFormation (moto), shaped as the adapters need ---------------

#: What the adapters read and write. The event store: ``stream_id``/``version``
#: (verein.eventstore.mapper, dynamodb.py's Key and KeyConditionExpression; types from the
#: mapper's commit item below), a stream of new images (functions/change_stream reads only
#: ``new_image``; the filter matches on NewImage). The views: ``pk``/``sk`` and the status lists
#: on ``LIST_INDEX`` (``list_pk``/``list_sk``, verein.membership.views.store), all strings.
EXPECTED_TABLES = {
    "EventStoreTable": {
        "keys": {"stream_id": "HASH", "version": "RANGE"},
        "indexes": {},
        "stream": "NEW_IMAGE",
    },
    "ViewsTable": {
        "keys": {"pk": "HASH", "sk": "RANGE"},
        "indexes": {
            LIST_INDEX: {"list_pk": "HASH", "list_sk": "RANGE"},
            NAME_INDEX: {"name_pk": "HASH", "name_sk": "RANGE"},
        },
        "stream": None,
    },
    # verein.staff_app.sessions: one string key ``pk`` (session#, signin#, staff#).
    "StaffTable": {"keys": {"pk": "HASH"}, "indexes": {}, "stream": None},
}
ATTRIBUTE_TYPES = {str: "S", int: "N", bytes: "B"}


def expected_attribute_types() -> dict[str, dict[str, str]]:
    commit = MAPPER.commit_item("member#1", 1, [], None, datetime.now(UTC))
    return {
        "EventStoreTable": {k: ATTRIBUTE_TYPES[type(commit[k])] for k in ("stream_id", "version")},
        "ViewsTable": dict.fromkeys(("pk", "sk", "list_pk", "list_sk", "name_pk", "name_sk"), "S"),
        "StaffTable": {"pk": "S"},
    }


# moto's CloudFormation has no model for most other types of the template (API Gateway v2,
# Cognito, Secrets Manager, CloudWatch alarms, SNS subscriptions, Backup, Budgets: it skips
# them with a warning, so their references would dangle), and the types it has (functions, the
# layer, the event source mapping, roles, log groups, queue, topic) would need the packaged code
# in S3 and the skipped resources' ARNs. The stack holds the tables, which are what it can check.
def create_table_stack(translated: dict[str, Any], stack: str) -> dict[str, str]:
    """Creates the template's tables as a CloudFormation stack; their names by logical id."""
    body = {"AWSTemplateFormatVersion": "2010-09-09"} | {
        "Resources": of_type(translated, "AWS::DynamoDB::Table")
    }
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(body))
    created = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    assert {r["ResourceStatus"] for r in created} == {"CREATE_COMPLETE"}, created
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in created}


def key_schema(elements: list[dict[str, str]]) -> dict[str, str]:
    return {e["AttributeName"]: e["KeyType"] for e in elements}


def table_shape(table: dict[str, Any]) -> dict[str, Any]:
    stream = table.get("StreamSpecification", {})
    return {
        "keys": key_schema(table["KeySchema"]),
        "indexes": {
            i["IndexName"]: key_schema(i["KeySchema"])
            for i in table.get("GlobalSecondaryIndexes", [])
        },
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
    }


def table_problems(translated: dict[str, Any], stack: str) -> list[str]:
    client = boto3.client("dynamodb", region_name=REGION)
    names = create_table_stack(translated, stack)
    problems = []
    if set(names) != set(EXPECTED_TABLES):
        problems.append(f"tables {sorted(names)}, expected {sorted(EXPECTED_TABLES)}")
    for logical_id, expected in EXPECTED_TABLES.items():
        if logical_id not in names:
            continue
        table = client.describe_table(TableName=names[logical_id])["Table"]
        if (shape := table_shape(table)) != expected:
            problems.append(f"{logical_id} is {shape}, expected {expected}")
        types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        if types != (wanted := expected_attribute_types()[logical_id]):
            problems.append(f"{logical_id} has attribute types {types}, expected {wanted}")
    return problems


@pytest.fixture(scope="module")
def moto_aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_the_stack_creates_the_tables_the_adapters_expect(translated, moto_aws):
    assert table_problems(translated, STACK) == []


def _integer_version(sam: dict[str, Any]) -> None:
    properties(sam, "EventStoreTable")["AttributeDefinitions"][1]["AttributeType"] = "S"


def _keys_only_stream(sam: dict[str, Any]) -> None:
    properties(sam, "EventStoreTable")["StreamSpecification"]["StreamViewType"] = "KEYS_ONLY"


def _renamed_index(sam: dict[str, Any]) -> None:
    properties(sam, "ViewsTable")["GlobalSecondaryIndexes"][0]["IndexName"] = "by_status"


def _swapped_view_keys(sam: dict[str, Any]) -> None:
    keys = properties(sam, "ViewsTable")["KeySchema"]
    keys[0]["AttributeName"], keys[1]["AttributeName"] = "sk", "pk"


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (_integer_version, "EventStoreTable has attribute types"),
        (_keys_only_stream, "'stream': 'KEYS_ONLY'"),
        (_renamed_index, "'by_status'"),
        (_swapped_view_keys, "{'sk': 'HASH', 'pk': 'RANGE'}"),
    ],
)
def test_a_table_shaped_otherwise_is_reported(sam, moto_aws, change, reported):
    stack = f"broken-{change.__name__.strip('_').replace('_', '-')}"
    problems = table_problems(broken(sam, change), stack)
    assert any(reported in p for p in problems), problems


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    # botocore sends stream calls to an account endpoint (<account>.streams-ddb...) that moto
    # 5.2 does not route: name the regional one.
    endpoint = f"https://streams.dynamodb.{REGION}.amazonaws.com"
    streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=endpoint)
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def stream_filters(translated: dict[str, Any]) -> list[FilterPattern]:
    (mapping,) = of_type(translated, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {
        "Fn::GetAtt": ["EventStoreTable", "StreamArn"]
    }
    filters = mapping["Properties"].get("FilterCriteria", {}).get("Filters", [])
    return [FilterPattern(f["Pattern"]) for f in filters]


def delivered_images(translated: dict[str, Any], stream_arn: str) -> list[dict[str, Any]]:
    """The new images of the stream's records that pass the mapping's filter, as the change
    stream function reads them (plain values)."""
    records = stream_records(stream_arn)
    assert {r["dynamodb"]["NewImage"]["item_kind"]["S"] for r in records} == {"commit", "claim"}
    deserialize = TypeDeserializer().deserialize
    return [
        {k: deserialize(v) for k, v in r["dynamodb"]["NewImage"].items()}
        for r in records
        if passes(stream_filters(translated), r)
    ]


def test_an_application_flows_through_the_stacks_tables_and_stream(translated, moto_aws):
    """The real adapters on the tables CloudFormation made: append (commit + claim), the
    stream's new images through the mapping's filter to the projector, the status list."""
    names = create_table_stack(translated, "verein-flow")
    client = boto3.client("dynamodb", region_name=REGION)
    store = DynamoDBEventStore(client, names["EventStoreTable"], MAPPER)
    views = DynamoDBMemberViews(client, names["ViewsTable"])
    context = CommandContext(correlation_id="c", actor="test")
    received = apply_for_membership(store, KeyedHash(b"k" * 32), application(), context)

    table = client.describe_table(TableName=names["EventStoreTable"])["Table"]
    (commit,) = delivered_images(translated, table["LatestStreamArn"])  # not the claim
    Dispatcher(MAPPER, [MemberDirectoryProjector(store, views)]).dispatch(commit)

    listed = views.by_status("applied").members
    assert [m.member_id for m in listed] == [received.application_id]


#: The settings that name the tables (verein.settings), and the tables they must name: in
#: every function, and in the one function that uses a table of its own.
TABLE_SETTINGS = {"EVENT_STORE_TABLE": "EventStoreTable", "VIEWS_TABLE": "ViewsTable"}
OWN_TABLE_SETTINGS = {"StaffWebFunction": {"STAFF_TABLE": "StaffTable"}}


def environment_problems(translated: dict[str, Any]) -> list[str]:
    problems = []
    for name, function in of_type(translated, "AWS::Lambda::Function").items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        wanted = {**TABLE_SETTINGS, **OWN_TABLE_SETTINGS.get(name, {})}
        for variable, table in wanted.items():
            if variables.get(variable) != {"Ref": table}:
                problems.append(f"{name}: {variable} is {variables.get(variable)}, not {table}")
    return problems


def test_every_function_names_the_tables_in_the_settings_the_code_reads(translated):
    named = {
        **TABLE_SETTINGS,
        **{k: v for own in OWN_TABLE_SETTINGS.values() for k, v in own.items()},
    }
    assert set(named) <= {field.alias for field in Settings.model_fields.values()}
    assert set(named.values()) == set(of_type(translated, "AWS::DynamoDB::Table"))
    assert of_type(translated, "AWS::Lambda::Function")
    assert environment_problems(translated) == []


def test_a_function_given_the_wrong_table_is_reported(sam):
    def swap(copied: dict[str, Any]) -> None:
        variables = properties(copied, "StaffApiFunction")["Environment"]["Variables"]
        variables["VIEWS_TABLE"] = {"Ref": "EventStoreTable"}

    (problem,) = environment_problems(broken(sam, swap))
    assert problem.startswith("StaffApiFunction: VIEWS_TABLE")


# --- 2. Functions: each handler imports in a cold start with the template's environment -----


def runtime_environment(name: str, function: dict[str, Any], code: Path) -> dict[str, str]:
    """What the Lambda runtime sets itself, and two settings of this test (no X-Ray daemon here;
    no credential look-ups on a test machine). Nothing else: the template must give the rest."""
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": f"{STACK}-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["Properties"].get("MemorySize", 128)),
        "LAMBDA_TASK_ROOT": str(code),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def placeholder(value: Any, translated: dict[str, Any]) -> str:
    """A variable's value after deployment: parameters their default, resources a stand-in."""
    if isinstance(value, str):
        return value
    ((kind, target),) = value.items()
    if kind == "Fn::Sub" and isinstance(target, str):  # e.g. the login domain's URL
        return re.sub(
            r"\$\{([^}]+)\}", lambda m: placeholder({"Ref": m.group(1)}, translated), target
        )
    assert kind == "Ref", f"unexpected intrinsic in an environment variable: {value}"
    if target.startswith("AWS::"):
        return {"AWS::Region": REGION}.get(target, f"PSEUDO-{target[5:]}")
    if target in translated.get("Parameters", {}):
        return str(translated["Parameters"][target]["Default"])
    assert target in translated["Resources"], f"Ref to {target}, which the stack lacks"
    return f"{STACK}-{target}-PLACEHOLDER"


#: Run with ``python -I``: the function's code first, then the layer (/opt/python), then the
#: packages the layer installs (this environment's site-packages). Project code that is not
#: deployed with a function cannot be imported.
PROBE = """
import importlib, importlib.abc, json, sys, traceback
code, layer, handler, not_deployed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

class NotDeployed(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in not_deployed:
            raise ModuleNotFoundError(f"{name} is not deployed with the function")

sys.meta_path.insert(0, NotDeployed())
sys.path[:0] = [code, layer]
module_name, _, attribute = handler.rpartition(".")
try:
    module = importlib.import_module(module_name)
    import verein
    result = {"callable": callable(getattr(module, attribute, None)),
              "module": module.__file__, "verein": verein.__file__}
except BaseException:
    result = {"error": traceback.format_exc()}
print(json.dumps(result))
"""
NOT_DEPLOYED = ("local_aws", "tests", "functions", "moto", "pytest", "hypothesis")


def layer_code(sam: dict[str, Any]) -> Path:
    (layer,) = of_type(sam, "AWS::Serverless::LayerVersion").values()
    return (TEMPLATE.parent / layer["Properties"]["ContentUri"]).resolve()


def function_code(sam: dict[str, Any], name: str) -> Path:
    code_uri = sam["Resources"][name]["Properties"].get("CodeUri")
    code_uri = code_uri or sam.get("Globals", {}).get("Function", {})["CodeUri"]
    return (TEMPLATE.parent / code_uri).resolve()


def start_probe(sam: dict[str, Any], translated: dict[str, Any], name: str) -> subprocess.Popen:
    function = translated["Resources"][name]
    code = function_code(sam, name)
    variables = function["Properties"].get("Environment", {}).get("Variables", {})
    environment = {k: placeholder(v, translated) for k, v in variables.items()}
    handler = function["Properties"]["Handler"]
    return subprocess.Popen(
        [
            sys.executable,
            "-I",
            "-c",
            PROBE,
            str(code),
            str(layer_code(sam)),
            handler,
            *NOT_DEPLOYED,
        ],
        env=environment | runtime_environment(name, function, code),
        cwd=code,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cold_starts(
    sam: dict[str, Any], translated: dict[str, Any], names: list[str]
) -> dict[str, dict[str, Any]]:
    """Each function's cold start in a process of its own, all at once."""
    running = {name: start_probe(sam, translated, name) for name in names}
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        results[name] = json.loads(stdout.strip().splitlines()[-1])
    return results


@pytest.fixture(scope="module")
def started(sam, translated) -> dict[str, dict[str, Any]]:
    return cold_starts(sam, translated, sorted(of_type(translated, "AWS::Lambda::Function")))


def test_every_function_is_one_of_ours(sam, started):
    assert started
    assert set(started) == set(of_type(sam, "AWS::Serverless::Function"))


def cold_start_problem(sam: dict[str, Any], name: str, result: dict[str, Any]) -> str | None:
    if "error" in result:
        return f"{name} fails its cold start:\n{result['error']}"
    if not result["callable"]:
        return f"{name}: its handler is not a callable of its module"
    if Path(result["module"]).parent != function_code(sam, name):
        return f"{name} imported {result['module']}, not its own code"
    if not Path(result["verein"]).is_relative_to(layer_code(sam)):
        return f"{name} imported verein from {result['verein']}, not from the layer"
    return None


def test_every_handler_imports_and_is_callable(sam, started):
    problems = [cold_start_problem(sam, name, result) for name, result in started.items()]
    assert [p for p in problems if p] == []


def test_a_missing_setting_or_a_wrong_handler_fails_the_cold_start(sam):
    def break_functions(copied: dict[str, Any]) -> None:
        del properties(copied, "StaffApiFunction")["Environment"]["Variables"][
            "CLAIM_KEY_SECRET_ARN"
        ]
        properties(copied, "PublicApiFunction")["Handler"] = "app.handle"

    translated = broken(sam, break_functions)
    results = cold_starts(sam, translated, ["StaffApiFunction", "PublicApiFunction"])
    staff = cold_start_problem(sam, "StaffApiFunction", results["StaffApiFunction"])
    public = cold_start_problem(sam, "PublicApiFunction", results["PublicApiFunction"])
    assert staff is not None and "CLAIM_KEY_SECRET_ARN" in staff
    assert public is not None and "not a callable" in public


def runtime_problems(translated: dict[str, Any]) -> list[str]:
    """Every function runs on a runtime and architecture its layers are built for."""
    problems = []
    for name, function in of_type(translated, "AWS::Lambda::Function").items():
        spec = function["Properties"]
        layers = [translated["Resources"][ref["Ref"]] for ref in spec.get("Layers", [])]
        if not layers:
            problems.append(f"{name} has no layer: the shared code would be missing")
        for layer in layers:
            runtimes = layer["Properties"].get("CompatibleRuntimes", [])
            architectures = layer["Properties"].get("CompatibleArchitectures", [])
            if spec.get("Runtime") not in runtimes:
                problems.append(f"{name} runs on {spec.get('Runtime')}, its layer on {runtimes}")
            if not set(spec.get("Architectures", ["x86_64"])) <= set(architectures):
                problems.append(f"{name} runs on {spec.get('Architectures')}, not {architectures}")
    return problems


def test_every_function_runs_on_the_runtime_and_architecture_of_its_layer(translated):
    assert runtime_problems(translated) == []
    (layer,) = of_type(translated, "AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # The layer's bytecode and wheels are built for that runtime (shared/Makefile).
    makefile = (TEMPLATE.parents[1] / "shared" / "Makefile").read_text()
    assert "--python-version 3.13" in makefile
    assert re.search(r"^PLATFORM \?= manylinux\w*_aarch64$", makefile, re.MULTILINE)


def test_a_function_on_another_runtime_or_architecture_is_reported(sam):
    def change(copied: dict[str, Any]) -> None:
        properties(copied, "StaffApiFunction")["Runtime"] = "python3.12"
        properties(copied, "ChangeStreamFunction")["Architectures"] = ["x86_64"]

    problems = runtime_problems(broken(sam, change))
    assert len(problems) == 2, problems
    assert "StaffApiFunction runs on python3.12" in problems[0] + problems[1]


# --- 3. Least privilege: the roles of the translated template ---------------------------------

#: Actions a statement may grant on ``Resource: "*"``: IAM offers no resource-level permission
#: for them (checked below against cfn-lint's copy of IAM's service authorization reference).
#: None is granted inline today (tracing comes from AWSXrayWriteOnlyAccess, which SAM adds).
NO_RESOURCE_LEVEL_PERMISSION = {
    # X-Ray: sending trace segments, should tracing rights ever be granted inline.
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}

#: Actions a statement may grant on resources the stack does not own, each only when a
#: ``StringEquals`` condition pins the given key to one of the template's parameters, and only
#: in the stack's own account and region. SES identities (the sender's address or domain) are
#: verified outside the stack: the resource names any identity of the account, the condition
#: the one From address (test_iam_policy.py decides the requests themselves).
OUTSIDE_THE_STACK = {"ses:SendEmail": "ses:FromAddress"}

_LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
_XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
#: The AWS managed policies attached, by role. SAM adds the Lambda ones: logs for every function
#: (AWSLambdaBasicExecutionRole), X-Ray for `Tracing: Active`, and reading DynamoDB streams for
#: the DynamoDB event source (its rights cover every stream of the account: SAM's choice).
EXPECTED_MANAGED_POLICIES = {
    "PublicApiFunctionRole": {_LAMBDA_BASIC, _XRAY},
    "MembershipIntakeFunctionRole": {_LAMBDA_BASIC, _XRAY},
    "StaffApiFunctionRole": {_LAMBDA_BASIC, _XRAY},
    "StaffWebFunctionRole": {_LAMBDA_BASIC, _XRAY},
    "ChangeStreamFunctionRole": {
        _LAMBDA_BASIC,
        _XRAY,
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    },
    "ScheduledFunctionRole": {_LAMBDA_BASIC, _XRAY},
    "MemberSelfServiceFunctionRole": {_LAMBDA_BASIC, _XRAY},
    # EventBridge Scheduler's role for the nightly schedule: only an inline right to invoke
    # ScheduledFunction (SAM's; checked with the other inline statements).
    "ScheduledFunctionEndDueMembershipsRole": set(),
    # AWS Backup's own role for the tables' backup plan.
    "BackupRole": {"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
}


@cache
def iam_reference() -> dict[str, Any]:
    path = Path(cfnlint.data.AdditionalSpecs.__file__).parent / "Policies.json"
    return json.loads(path.read_text())


def resource_types(action: str) -> list[str] | None:
    """The resource types IAM can scope ``action`` to; None if IAM knows no such action."""
    service, _, name = action.partition(":")
    entry = iam_reference().get(service.lower(), {}).get("Actions", {}).get(name.lower())
    return None if entry is None else entry.get("Resources", [])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def names_a_stack_resource(value: Any, resources: dict[str, Any]) -> bool:
    """Whether an ARN is an intrinsic of one of the stack's own resources (SAM's policy
    templates write ``Fn::Sub`` with a variable map)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, argument),) = value.items()
    if kind == "Ref":
        return argument in resources
    if kind == "Fn::GetAtt":
        return as_list(argument)[0].split(".")[0] in resources
    if kind == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        named = {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
        return bool(named & set(resources)) or any(
            names_a_stack_resource(v, resources) for v in variables.values()
        )
    return False


def pinned_outside_the_stack(
    statement: dict[str, Any], actions: list[str], resource: Any, parameters: dict[str, Any]
) -> bool:
    """Whether ``OUTSIDE_THE_STACK`` allows these actions on ``resource`` (see there)."""
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    if not isinstance(text, str) or ":${AWS::Region}:${AWS::AccountId}:" not in text:
        return False
    equals = statement.get("Condition", {}).get("StringEquals", {})
    pins = [equals.get(OUTSIDE_THE_STACK.get(action, "")) for action in actions]
    return all(
        isinstance(pin, dict) and set(pin) == {"Ref"} and pin["Ref"] in parameters for pin in pins
    )


def statement_problems(
    where: str,
    statement: dict[str, Any],
    resources: dict[str, Any],
    parameters: dict[str, Any] | None = None,
) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    if {"NotAction", "NotResource"} & set(statement):
        return [f"{where}: NotAction/NotResource grants everything else: {statement}"]
    problems = []
    actions = [str(a) for a in as_list(statement["Action"])]
    for action in actions:
        if "*" in action or "?" in action:
            problems.append(f"{where}: wildcard action {action}")
        elif resource_types(action) is None:
            problems.append(f"{where}: {action} is not an IAM action")
    for resource in as_list(statement["Resource"]):
        if resource == "*":
            if not set(actions) <= NO_RESOURCE_LEVEL_PERMISSION:
                problems.append(f"{where}: Resource '*' for {actions}")
        elif not names_a_stack_resource(resource, resources) and not pinned_outside_the_stack(
            statement, actions, resource, parameters or {}
        ):
            problems.append(f"{where}: {resource} is not a resource of this stack")
    return problems


def inline_statements(translated: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in translated["Resources"].items():
        spec = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [(p["PolicyName"], p["PolicyDocument"]) for p in spec.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [(name, spec["PolicyDocument"])]
        else:
            continue
        for policy, document in documents:
            for statement in as_list(document["Statement"]):
                yield f"{name}/{policy}/{statement.get('Sid', '-')}", statement


def managed_policies(translated: dict[str, Any]) -> dict[str, set[str]]:
    def arn(value: Any) -> str:
        text = value["Fn::Sub"] if isinstance(value, dict) else value
        return text.replace("${AWS::Partition}", "aws")

    return {
        name: {arn(a) for a in role["Properties"].get("ManagedPolicyArns", [])}
        for name, role in of_type(translated, "AWS::IAM::Role").items()
    }


def privilege_problems(translated: dict[str, Any]) -> list[str]:
    resources = translated["Resources"]
    problems = [
        problem
        for where, statement in inline_statements(translated)
        for problem in statement_problems(
            where, statement, resources, translated.get("Parameters", {})
        )
    ]
    if (managed := managed_policies(translated)) != EXPECTED_MANAGED_POLICIES:
        problems.append(f"managed policies {managed}, expected {EXPECTED_MANAGED_POLICIES}")
    return problems


def test_no_role_has_a_wildcard_action_or_a_resource_beyond_the_stack(translated):
    assert len(list(inline_statements(translated))) >= 10  # the functions' policies are read
    assert privilege_problems(translated) == []


def test_the_allowlisted_actions_have_no_resource_level_permission():
    for action in NO_RESOURCE_LEVEL_PERMISSION:
        assert resource_types(action) == [], f"{action} can be scoped to a resource: scope it"


def _add_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(sam: dict[str, Any]) -> None:
        properties(sam, "StaffApiFunction")["Policies"][0]["Statement"].append(statement)

    return change


def _add_managed_policy(sam: dict[str, Any]) -> None:
    properties(sam, "StaffApiFunction")["Policies"].append("AmazonDynamoDBFullAccess")


def _add_sam_policy_template(sam: dict[str, Any]) -> None:
    # SAM's policy templates name our resources; only the request-level tests judge the actions.
    properties(sam, "StaffApiFunction")["Policies"].append(
        {"SQSSendMessagePolicy": {"QueueName": "someone-elses-queue"}}
    )


TABLE = {"Fn::GetAtt": ["EventStoreTable", "Arn"]}
SES_IDENTITIES = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
}
FROM_THE_SENDER = {"StringEquals": {"ses:FromAddress": {"Ref": "MailSenderAddress"}}}


def _send_mail(
    action: str = "ses:SendEmail", resource: Any = SES_IDENTITIES, **condition: Any
) -> Callable[[dict[str, Any]], None]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **condition}
    return _add_statement(statement)


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (
            _add_statement({"Effect": "Allow", "Action": "dynamodb:*", "Resource": TABLE}),
            "wildcard action dynamodb:*",
        ),
        (
            _add_statement({"Effect": "Allow", "Action": "*", "Resource": TABLE}),
            "wildcard action *",
        ),
        (
            _add_statement({"Effect": "Allow", "Action": ["dynamodb:Get*"], "Resource": TABLE}),
            "wildcard action dynamodb:Get*",
        ),
        (
            _add_statement({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}),
            "Resource '*'",
        ),
        (
            _add_statement(
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:GetItem",
                    "Resource": "arn:aws:dynamodb:*:*:table/*",
                }
            ),
            "not a resource of this stack",
        ),
        (_add_statement({"Effect": "Allow", "NotAction": "iam:*", "Resource": TABLE}), "NotAction"),
        (
            _add_statement({"Effect": "Allow", "Action": "dynamodb:GetTheLot", "Resource": TABLE}),
            "not an IAM action",
        ),
        (_add_managed_policy, "AmazonDynamoDBFullAccess"),
        (_add_sam_policy_template, "not a resource of this stack"),
        # Mail: outside the stack only pinned to the sender address, and in the stack's account.
        (_send_mail(), "not a resource of this stack"),
        (
            _send_mail(Condition={"StringEquals": {"ses:FromAddress": "any@verein.example"}}),
            "not a resource of this stack",
        ),
        (
            _send_mail(
                resource={"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:1:identity/*"},
                Condition=FROM_THE_SENDER,
            ),
            "not a resource of this stack",
        ),
        (_send_mail("ses:SendRawEmail", Condition=FROM_THE_SENDER), "not a resource of this stack"),
    ],
)
def test_a_broader_right_is_reported(sam, change, reported):
    problems = privilege_problems(broken(sam, change))
    assert any(reported in p for p in problems), problems


def test_mail_may_be_sent_outside_the_stack_when_pinned_to_the_sender_address(sam):
    assert privilege_problems(broken(sam, _send_mail(Condition=FROM_THE_SENDER))) == []


def test_an_allowlisted_action_may_have_resource_star(sam):
    statement = {"Effect": "Allow", "Action": sorted(NO_RESOURCE_LEVEL_PERMISSION), "Resource": "*"}
    assert privilege_problems(broken(sam, _add_statement(statement))) == []
