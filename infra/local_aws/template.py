"""Read infra/template.yaml into the few facts the local stack needs.

The template stays the single source of truth: tables, functions, routes, authorizers and stream
wiring are derived from it here, so the local stack cannot drift from what SAM deploys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The region the local stack pretends to run in (the association is hosted in Frankfurt).
LOCAL_REGION = "eu-central-1"
LOCAL_ACCOUNT_ID = "123456789012"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def function_arn(name: str) -> str:
    """A function's ARN; locally its name is its logical id (what ``!Ref`` gives)."""
    return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{name}"


SECRET_TYPE = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type, not a secret

# create_table accepts these per GSI/LSI; CloudFormation allows more (ContributorInsights, ...).
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection")


class TemplateError(ValueError):
    """The template uses something the local stack cannot reproduce faithfully."""


# --- YAML with CloudFormation short tags ----------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that understands ``!Ref``, ``!GetAtt``, ``!Sub`` and the other short tags."""


def _long_name(tag: str) -> str:
    name = tag[1:]
    return name if name in ("Ref", "Condition") else f"Fn::{name}"


def _construct_short_tag(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> Any:
    tag = "!" + tag_suffix
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag == "!GetAtt":
            # "Resource.Attribute": attribute names may contain dots, resource ids cannot.
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - PyYAML only has these three node kinds
        raise TemplateError(f"unsupported node for {tag}")
    return {_long_name(tag): value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template, short tags turned into their long form."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError(f"{path} is not a template (top level is not a mapping)")
    return document


# --- The model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    #: Keyword arguments for ``dynamodb.create_table`` (wire-format JSON, too).
    create_kwargs: dict[str, Any]

    @property
    def stream_view_type(self) -> str | None:
        spec = self.create_kwargs.get("StreamSpecification")
        return None if spec is None else str(spec["StreamViewType"])


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout_s: int = 3
    memory_mb: int = 128
    #: Folders of the function's layers; Lambda puts them on the import path (/opt/python).
    layer_dirs: tuple[Path, ...] = ()

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    name: str
    identity_source: str
    #: As written in the template; locally a fixed issuer/audience stand in for Cognito's.
    issuer: Any
    audience: Any


@dataclass(frozen=True)
class Route:
    method: str  # upper case, "ANY" matches every method
    path: str  # "/staff/members/{member_id}", or "$default"
    function: str
    authorizer: str | None  # authorizer name, None when the route is public

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def requires_jwt(self) -> bool:
        return self.authorizer is not None


@dataclass(frozen=True)
class StreamMapping:
    function: str
    table: str  # logical id of the table whose stream feeds the function
    batch_size: int = 100
    #: None means "retry until the record expires" (CloudFormation's -1 / unset).
    maximum_retry_attempts: int | None = None
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    starting_position: str = "TRIM_HORIZON"
    maximum_batching_window_s: int = 0
    #: ``FilterCriteria`` patterns (JSON text): only matching records reach the function.
    filters: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleSpec:
    """A ``ScheduleV2`` (EventBridge Scheduler) or ``Schedule`` (EventBridge rule) event."""

    function: str
    event_name: str
    kind: str  # "ScheduleV2" or "Schedule"
    expression: str  # "cron(15 0 * * ? *)", "rate(1 hour)"
    timezone: str = "UTC"
    #: The template's ``Input`` (JSON text); None: the service's own event.
    input: str | None = None

    @property
    def key(self) -> str:
        return f"{self.function}.{self.event_name}"


@dataclass(frozen=True)
class SecretGenerator:
    """``GenerateSecretString`` of an ``AWS::SecretsManager::Secret`` (defaults as in AWS)."""

    password_length: int = 32
    exclude_characters: str = ""
    exclude_lowercase: bool = False
    exclude_uppercase: bool = False
    exclude_numbers: bool = False
    exclude_punctuation: bool = False
    include_space: bool = False
    require_each_included_type: bool = True
    #: With ``generate_string_key``: a JSON object the password is added to under that key.
    secret_string_template: str | None = None
    generate_string_key: str | None = None


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    #: What ``!Ref`` of the secret resolves to locally; ``GetSecretValue`` takes it as SecretId.
    name: str
    #: The template's literal ``SecretString``; None when the value is generated.
    secret_string: str | None = None
    generator: SecretGenerator | None = None


@dataclass(frozen=True)
class LocalTemplate:
    path: Path
    parameters: dict[str, str]
    tables: dict[str, TableSpec]
    functions: dict[str, FunctionSpec]
    routes: tuple[Route, ...]
    authorizers: dict[str, JwtAuthorizerSpec]
    stream_mappings: tuple[StreamMapping, ...]
    resources: dict[str, Any] = field(repr=False, default_factory=dict)
    secrets: dict[str, SecretSpec] = field(default_factory=dict)
    #: Enabled schedules, in template order (``local_aws.schedules`` runs them).
    schedules: tuple[ScheduleSpec, ...] = ()

    def table_name(self, logical_id: str) -> str:
        return self.tables[logical_id].name


# --- Intrinsic functions (only what environment values need) --------------------------------


class _Resolver:
    """Evaluates intrinsics the way a deployment would, with local names for resources."""

    def __init__(self, document: Mapping[str, Any], tables: Mapping[str, str]) -> None:
        self._resources: Mapping[str, Any] = document.get("Resources", {})
        self._conditions: Mapping[str, Any] = document.get("Conditions", {}) or {}
        self._tables = tables
        self.parameters: dict[str, str] = {
            name: str(spec.get("Default", ""))
            for name, spec in (document.get("Parameters", {}) or {}).items()
        }
        self._pseudo = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "local",
            "AWS::NoValue": "",
        }

    def ref(self, name: str) -> str:
        if name in self._tables:
            return self._tables[name]
        if self._resource_type(name) == SECRET_TYPE:
            return self.secret_name(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._resources:
            # Other resources have no local twin; their logical id is a stable stand-in.
            return name
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _resource_type(self, logical_id: str) -> str | None:
        resource = self._resources.get(logical_id)
        return str(resource.get("Type")) if isinstance(resource, dict) else None

    def secret_name(self, logical_id: str) -> str:
        """The local id of a secret: its ``Name``, else its logical id.

        Deployed, ``!Ref`` gives the secret's ARN, which ends in a random suffix; locally the
        name stands in for it (``GetSecretValue`` accepts either as SecretId).
        """
        properties = self._resources[logical_id].get("Properties", {}) or {}
        name = properties.get("Name")
        return logical_id if name is None else self.resolve(name)

    def get_att(self, resource: str, attribute: str) -> str:
        if resource not in self._resources:
            raise TemplateError(f"!GetAtt {resource}.{attribute}: no such resource")
        if self._resource_type(resource) == SECRET_TYPE and attribute == "Id":
            return self.secret_name(resource)  # Id is the ARN, like !Ref
        if resource in self._tables:
            arn = (
                f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{self._tables[resource]}"
            )
            return f"{arn}/stream/local" if attribute == "StreamArn" else arn
        if self._resource_type(resource) in FUNCTION_TYPES and attribute == "Arn":
            return function_arn(self.ref(resource))
        return f"{resource}.{attribute}"

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise TemplateError(f"unknown condition {name}")
        return self.truth(self._conditions[name])

    def truth(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.truth(arg[0])
            if key == "Fn::And":
                return all(self.truth(item) for item in arg)
            if key == "Fn::Or":
                return any(self.truth(item) for item in arg)
            if key == "Condition":
                return self.condition(arg)
        raise TemplateError(f"unsupported condition {value!r}")

    def resolve(self, value: Any) -> str:  # noqa: PLR0911 - one return per intrinsic
        """Resolve an environment value to the string Lambda would see."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(arg[0], arg[1])
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                return str(arg[0]).join(self.resolve(item) for item in arg[1])
            if key == "Fn::Select":
                return self.resolve(self._list(arg[1])[int(self.resolve(arg[0]))])
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
        raise TemplateError(f"cannot resolve {value!r} locally")

    def _list(self, value: Any) -> list[Any]:
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and "Fn::Split" in value:
            separator, source = value["Fn::Split"]
            return list(self.resolve(source).split(separator))
        raise TemplateError(f"not a list: {value!r}")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # "${!Literal}" escapes the substitution
            if name in variables:
                return self.resolve(variables[name])
            if "." in name:
                resource, _, attribute = name.partition(".")
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))


# --- Building the model ---------------------------------------------------------------------


def _table_kwargs(logical_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "TableName": logical_id,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        # Local tables never throttle; provisioned capacity would only add noise.
        "BillingMode": "PAY_PER_REQUEST",
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if properties.get(key):
            kwargs[key] = [
                {k: index[k] for k in _INDEX_KEYS if k in index} for index in properties[key]
            ]
    stream = properties.get("StreamSpecification")
    if stream:
        # CloudFormation enables the stream by naming a view type; the API wants both fields.
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    # PointInTimeRecovery, SSE, TTL, Tags, DeletionProtection: no local meaning, left out.
    return kwargs


_GENERATOR_FIELDS = {
    "PasswordLength": "password_length",
    "ExcludeCharacters": "exclude_characters",
    "ExcludeLowercase": "exclude_lowercase",
    "ExcludeUppercase": "exclude_uppercase",
    "ExcludeNumbers": "exclude_numbers",
    "ExcludePunctuation": "exclude_punctuation",
    "IncludeSpace": "include_space",
    "RequireEachIncludedType": "require_each_included_type",
    "SecretStringTemplate": "secret_string_template",
    "GenerateStringKey": "generate_string_key",
}

_GENERATOR_FLAGS = frozenset(
    {
        "ExcludeLowercase",
        "ExcludeUppercase",
        "ExcludeNumbers",
        "ExcludePunctuation",
        "IncludeSpace",
        "RequireEachIncludedType",
    }
)


def _secret_generator(logical_id: str, spec: Any, resolver: _Resolver) -> SecretGenerator:
    if not isinstance(spec, dict):
        raise TemplateError(f"{logical_id}: GenerateSecretString must be a mapping")
    unknown = set(spec) - set(_GENERATOR_FIELDS)
    if unknown:
        raise TemplateError(f"{logical_id}: GenerateSecretString.{sorted(unknown)[0]} unknown")
    kwargs: dict[str, Any] = {}
    for key, value in spec.items():
        text = resolver.resolve(value)
        if key == "PasswordLength":
            kwargs["password_length"] = int(text)
        elif key in _GENERATOR_FLAGS:
            kwargs[_GENERATOR_FIELDS[key]] = text == "true"
        else:
            kwargs[_GENERATOR_FIELDS[key]] = text
    generator = SecretGenerator(**kwargs)
    if not 1 <= generator.password_length <= 4096:  # Secrets Manager's limits
        raise TemplateError(f"{logical_id}: PasswordLength must be between 1 and 4096")
    if (generator.secret_string_template is None) != (generator.generate_string_key is None):
        raise TemplateError(f"{logical_id}: SecretStringTemplate and GenerateStringKey go together")
    return generator


def _secret(logical_id: str, properties: Mapping[str, Any], resolver: _Resolver) -> SecretSpec:
    literal = properties.get("SecretString")
    generate = properties.get("GenerateSecretString")
    if (literal is None) == (generate is None):
        raise TemplateError(
            f"{logical_id}: give exactly one of SecretString and GenerateSecretString"
        )
    return SecretSpec(
        logical_id=logical_id,
        name=resolver.secret_name(logical_id),
        secret_string=None if literal is None else resolver.resolve(literal),
        generator=None if generate is None else _secret_generator(logical_id, generate, resolver),
    )


def _merged(global_props: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics: maps merge, lists concatenate (globals first), scalars override."""
    merged = dict(global_props)
    for key, value in own.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _merged(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + value
        else:
            merged[key] = value
    return merged


def _layer_dir(base: Path, resources: Mapping[str, Any], layer: Any) -> Path | None:
    if isinstance(layer, dict) and "Ref" in layer:
        resource = resources.get(layer["Ref"], {})
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            content = resource.get("Properties", {}).get("ContentUri")
            if isinstance(content, str) and not content.startswith("s3://"):
                return (base / content).resolve()
    return None  # a published layer (ARN): nothing local to put on the path


def _auth_of_api(resource: Mapping[str, Any]) -> tuple[str | None, dict[str, JwtAuthorizerSpec]]:
    auth = resource.get("Properties", {}).get("Auth", {}) or {}
    authorizers: dict[str, JwtAuthorizerSpec] = {}
    for name, spec in (auth.get("Authorizers", {}) or {}).items():
        if "JwtConfiguration" not in spec:
            raise TemplateError(f"authorizer {name}: only JWT authorizers are emulated locally")
        jwt_config = spec["JwtConfiguration"]
        authorizers[name] = JwtAuthorizerSpec(
            name=name,
            identity_source=str(spec.get("IdentitySource", "$request.header.Authorization")),
            issuer=jwt_config.get("issuer"),
            audience=jwt_config.get("audience"),
        )
    default = auth.get("DefaultAuthorizer")
    return (str(default) if default else None), authorizers


def load_template(path: str | Path) -> LocalTemplate:
    """Derive the local stack's tables, functions, routes and stream mappings from ``path``."""
    template_path = Path(path).resolve()
    base = template_path.parent
    document = load_yaml(template_path)
    resources: dict[str, Any] = document.get("Resources", {}) or {}

    tables = {
        logical_id: TableSpec(logical_id, logical_id, _table_kwargs(logical_id, res["Properties"]))
        for logical_id, res in resources.items()
        if res.get("Type") == "AWS::DynamoDB::Table"
    }
    resolver = _Resolver(document, {lid: spec.name for lid, spec in tables.items()})
    secrets = {
        logical_id: _secret(logical_id, res.get("Properties", {}) or {}, resolver)
        for logical_id, res in resources.items()
        if res.get("Type") == SECRET_TYPE
    }

    apis: dict[str, tuple[str | None, dict[str, JwtAuthorizerSpec]]] = {
        lid: _auth_of_api(res)
        for lid, res in resources.items()
        if res.get("Type") == "AWS::Serverless::HttpApi"
    }
    all_authorizers = {name: spec for _, specs in apis.values() for name, spec in specs.items()}

    global_function = (document.get("Globals", {}) or {}).get("Function", {}) or {}
    functions: dict[str, FunctionSpec] = {}
    routes: list[Route] = []
    mappings: list[StreamMapping] = []
    schedules: list[ScheduleSpec] = []
    for logical_id, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = _merged(global_function, res.get("Properties", {}) or {})
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
            raise TemplateError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
        variables = (props.get("Environment", {}) or {}).get("Variables", {}) or {}
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=(base / code_uri).resolve(),
            handler=str(props["Handler"]),
            environment={name: resolver.resolve(value) for name, value in variables.items()},
            timeout_s=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            layer_dirs=tuple(
                d for d in (_layer_dir(base, resources, la) for la in props.get("Layers", [])) if d
            ),
        )
        for event_name, event in (props.get("Events", {}) or {}).items():
            kind = event.get("Type")
            ev_props = event.get("Properties", {}) or {}
            if kind == "HttpApi":
                routes.append(_route(logical_id, event_name, ev_props, apis))
            elif kind == "DynamoDB":
                mapping = _stream_mapping(logical_id, event_name, ev_props, tables)
                if mapping is not None:
                    mappings.append(mapping)
            elif kind in ("ScheduleV2", "Schedule"):
                schedule = _schedule(logical_id, event_name, str(kind), ev_props, resolver)
                if schedule is not None:
                    schedules.append(schedule)

    return LocalTemplate(
        path=template_path,
        parameters=dict(resolver.parameters),
        tables=tables,
        functions=functions,
        routes=tuple(routes),
        authorizers=all_authorizers,
        stream_mappings=tuple(mappings),
        resources=resources,
        secrets=secrets,
        schedules=tuple(schedules),
    )


def _route(
    function: str,
    event_name: str,
    props: Mapping[str, Any],
    apis: Mapping[str, tuple[str | None, dict[str, JwtAuthorizerSpec]]],
) -> Route:
    api_ref = props.get("ApiId")
    if api_ref is None:
        # The implicit API SAM creates has no authorizers unless Globals.HttpApi adds some.
        default_authorizer: str | None = None
        known: dict[str, JwtAuthorizerSpec] = {}
    else:
        if not (isinstance(api_ref, dict) and api_ref.get("Ref") in apis):
            raise TemplateError(f"{function}.{event_name}: ApiId must be !Ref to an HttpApi")
        default_authorizer, known = apis[api_ref["Ref"]]
    requested = (props.get("Auth", {}) or {}).get("Authorizer")
    authorizer = default_authorizer if requested is None else str(requested)
    if authorizer == "NONE":
        authorizer = None
    if authorizer is not None and authorizer not in known:
        raise TemplateError(f"{function}.{event_name}: unknown authorizer {authorizer}")
    path = props.get("Path")
    method = props.get("Method")
    if path is None and method is None:
        return Route("ANY", "$default", function, authorizer)
    method_name = str(method or "ANY").upper()
    return Route(
        "ANY" if method_name in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method_name,
        str(path),
        function,
        authorizer,
    )


def _stream_mapping(
    function: str, event_name: str, props: Mapping[str, Any], tables: Mapping[str, TableSpec]
) -> StreamMapping | None:
    if props.get("Enabled", True) is False:
        return None
    stream = props.get("Stream")
    if not (isinstance(stream, dict) and "Fn::GetAtt" in stream):
        raise TemplateError(f"{function}.{event_name}: Stream must be !GetAtt <Table>.StreamArn")
    table, attribute = stream["Fn::GetAtt"]
    if table not in tables or attribute != "StreamArn":
        raise TemplateError(f"{function}.{event_name}: {table}.{attribute} is not a table stream")
    retries = int(props.get("MaximumRetryAttempts", -1))
    return StreamMapping(
        function=function,
        table=table,
        batch_size=int(props.get("BatchSize", 100)),
        maximum_retry_attempts=None if retries < 0 else retries,
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (props.get("FunctionResponseTypes") or []),
        starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
        maximum_batching_window_s=int(props.get("MaximumBatchingWindowInSeconds", 0)),
        filters=tuple(
            str(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])
        ),
    )


def _schedule(
    function: str, event_name: str, kind: str, props: Mapping[str, Any], resolver: _Resolver
) -> ScheduleSpec | None:
    """A schedule event; None when the template disables it (``State``, ``Enabled``)."""
    if props.get("Enabled", True) is False or str(props.get("State", "ENABLED")) == "DISABLED":
        return None
    field_name = "ScheduleExpression" if kind == "ScheduleV2" else "Schedule"
    expression = props.get(field_name)
    if expression is None:
        raise TemplateError(f"{function}.{event_name}: {kind} needs {field_name}")
    raw_input = props.get("Input")
    text = None if raw_input is None else resolver.resolve(raw_input)
    if text is not None:
        try:
            json.loads(text)
        except ValueError as error:
            raise TemplateError(f"{function}.{event_name}: Input is not JSON") from error
    timezone = props.get("ScheduleExpressionTimezone", "UTC") if kind == "ScheduleV2" else "UTC"
    return ScheduleSpec(
        function=function,
        event_name=event_name,
        kind=kind,
        expression=resolver.resolve(expression),
        timezone=resolver.resolve(timezone),
        input=text,
    )
