"""A small IAM evaluator for the policies in infra/template.yaml, and the requests AWS checks.

Two halves:
- ``FunctionPolicy`` reads one function's ``Policies:`` from the template (intrinsics resolved
  the way the local stack resolves the functions' environment, so a table ARN in a policy and
  a table name in a request agree exactly as they do after a deployment) and ``decide``s an
  authorization request: an explicit Deny wins, then any Allow, otherwise the default deny.
- ``authorization_requests`` turns one API call, as a boto3 client receives it, into the
  authorization requests AWS evaluates for it: one per item of ``TransactWriteItems`` (IAM
  authorizes each ``Put`` as ``dynamodb:PutItem``), one per table of a batch, with the
  condition keys DynamoDB fills in (``dynamodb:LeadingKeys``, ``dynamodb:ReturnValues``, ...).

It implements only the subset the template uses: Effect, Action and Resource with ``*``/``?``
wildcards, and conditions ``StringEquals``/``StringLike`` (optionally ``...IfExists``, with or
without ``ForAllValues:``/``ForAnyValue:``), whose values may be intrinsics (a parameter's
``!Ref`` is its default, as the local stack resolves it). Anything else (a SAM policy
template, a managed policy, NotAction, another operator, a policy variable, an API call it
cannot map) raises ``Unsupported`` rather than being guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, Literal

from local_aws.lambda_api import function_name
from local_aws.template import (
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    LocalTemplate,
    _Resolver,
    function_arn,
    load_yaml,
)

Decision = Literal["allow", "explicit deny", "implicit deny"]


class Unsupported(ValueError):
    """A policy element or an API call outside the subset this evaluator implements."""


@dataclass(frozen=True)
class AuthRequest:
    action: str
    resource: str
    #: Condition keys present in the request; absent keys are simply missing.
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Request parameters that change what the caller gets back but that no IAM condition key
    #: covers (the policy cannot see them): e.g. ``ReturnValuesOnConditionCheckFailure``.
    unconditioned: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={list(v)}" for k, v in self.context.items())
        return f"{self.action} on {self.resource} [{keys}]"


# --- Policies -------------------------------------------------------------------------------

_STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}
_OPERATOR = re.compile(
    r"^(?:(?P<set>ForAllValues|ForAnyValue):)?(?P<op>StringEquals|StringLike)(?P<ifexists>IfExists)?$"
)


@dataclass(frozen=True)
class FunctionPolicy:
    function: str
    statements: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, template: LocalTemplate, function: str) -> FunctionPolicy:
        document = load_yaml(template.path)
        resolver = _Resolver(document, {lid: spec.name for lid, spec in template.tables.items()})
        properties = document["Resources"][function].get("Properties", {})
        entries = properties.get("Policies", [])
        if not isinstance(entries, list):
            raise Unsupported(f"{function}: Policies must be a list")
        statements: list[Mapping[str, Any]] = []
        for entry in entries:
            if not (isinstance(entry, dict) and set(entry) == {"Statement"}):
                raise Unsupported(
                    f"{function}: only inline statements are evaluated, not {entry!r}"
                )
            for statement in entry["Statement"]:
                statements.append(_resolved(statement, resolver, function))
        return cls(function, tuple(statements))

    def decide(self, request: AuthRequest) -> Decision:
        effects = {s["Effect"] for s in self.statements if _applies(s, request)}
        if "Deny" in effects:
            return "explicit deny"
        return "allow" if "Allow" in effects else "implicit deny"

    def allows(self, request: AuthRequest) -> bool:
        return self.decide(request) == "allow"


def resolve(template: LocalTemplate, value: Any) -> str:
    """``value`` (``!Ref``, ``!GetAtt``, ``!Sub`` ...) as the local stack resolves it."""
    document = load_yaml(template.path)
    return _Resolver(document, {lid: spec.name for lid, spec in template.tables.items()}).resolve(
        value
    )


def _resolved(statement: Mapping[str, Any], resolver: _Resolver, function: str) -> dict[str, Any]:
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise Unsupported(f"{function}: statement element(s) {sorted(unknown)}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise Unsupported(f"{function}: Effect {statement.get('Effect')!r}")
    condition = statement.get("Condition", {})
    for operator, keys in condition.items():
        if not _OPERATOR.match(str(operator)):
            raise Unsupported(f"{function}: condition operator {operator}")
        for values in keys.values():
            if any("${" in str(v) for v in _listed(values)):
                raise Unsupported(f"{function}: policy variables in conditions")
    return {
        "Effect": statement["Effect"],
        "Action": [str(a) for a in _listed(statement["Action"])],
        "Resource": [resolver.resolve(r) for r in _listed(statement["Resource"])],
        "Condition": {
            op: {k: [resolver.resolve(v) for v in _listed(vs)] for k, vs in keys.items()}
            for op, keys in condition.items()
        },
    }


def _applies(statement: Mapping[str, Any], request: AuthRequest) -> bool:
    return (
        any(_like(a.lower(), request.action.lower()) for a in statement["Action"])
        and any(_like(r, request.resource) for r in statement["Resource"])
        and all(
            _condition_holds(operator, key, values, request.context)
            for operator, keys in statement["Condition"].items()
            for key, values in keys.items()
        )
    )


def _condition_holds(
    operator: str, key: str, policy_values: Sequence[str], context: Mapping[str, tuple[str, ...]]
) -> bool:
    parsed = _OPERATOR.match(operator)
    assert parsed is not None  # checked when the policy was read
    match = _like if parsed["op"] == "StringLike" else _equals
    request_values = context.get(key)

    def matches(value: str) -> bool:
        return any(match(p, value) for p in policy_values)

    if parsed["set"] == "ForAllValues":
        # True for a missing or empty key: every one of no values matches.
        return all(matches(v) for v in request_values or ())
    if parsed["set"] == "ForAnyValue":
        return any(matches(v) for v in request_values or ())
    if request_values is None:
        return bool(parsed["ifexists"])
    if len(request_values) != 1:
        raise Unsupported(f"single-valued operator {operator} on multivalued key {key}")
    return matches(request_values[0])


def _equals(pattern: str, value: str) -> bool:
    return pattern == value


def _like(pattern: str, value: str) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` one character, nothing else."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# --- Requests -------------------------------------------------------------------------------


def table_arn(table: str, index: str | None = None) -> str:
    """The ARN the local stack gives a table (``!GetAtt Table.Arn``), or one of its indexes.
    ``table`` may be a name or, as DynamoDB also accepts for ``TableName``, an ARN."""
    arn = (
        table
        if table.startswith("arn:")
        else (f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:table/{table}")
    )
    return arn if index is None else f"{arn}/index/{index}"


@dataclass(frozen=True)
class KeySchemas:
    """Partition key attribute of each table and index, from the template."""

    partition_keys: Mapping[tuple[str, str | None], str]

    @classmethod
    def of(cls, template: LocalTemplate) -> KeySchemas:
        keys: dict[tuple[str, str | None], str] = {}
        for spec in template.tables.values():
            kwargs = spec.create_kwargs
            keys[spec.name, None] = _hash_key(kwargs["KeySchema"])
            for index in kwargs.get("GlobalSecondaryIndexes", []) + kwargs.get(
                "LocalSecondaryIndexes", []
            ):
                keys[spec.name, index["IndexName"]] = _hash_key(index["KeySchema"])
        return cls(keys)

    def partition_key(self, table: str, index: str | None = None) -> str:
        table = table.rsplit(":table/", 1)[-1]  # a name, or the name in an ARN
        try:
            return self.partition_keys[table, index]
        except KeyError:
            raise Unsupported(f"unknown table or index {table}/{index}") from None


def _hash_key(schema: Sequence[Mapping[str, str]]) -> str:
    return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")


_RESPONSE_SHAPING = ("ReturnValues", "Select", "ReturnConsumedCapacity")
_SINGLE_ITEM = {"GetItem": "Key", "PutItem": "Item", "UpdateItem": "Key", "DeleteItem": "Key"}
_TRANSACT_WRITE = {
    "Put": ("dynamodb:PutItem", "Item"),
    "Update": ("dynamodb:UpdateItem", "Key"),
    "Delete": ("dynamodb:DeleteItem", "Key"),
    "ConditionCheck": ("dynamodb:ConditionCheckItem", "Key"),
}


def authorization_requests(
    service: str, operation: str, params: Mapping[str, Any], keys: KeySchemas
) -> list[AuthRequest]:
    """What AWS authorizes for one API call (``params`` as passed to the boto3 client)."""
    if service == "secretsmanager" and operation == "GetSecretValue":
        return [AuthRequest("secretsmanager:GetSecretValue", str(params["SecretId"]))]
    if service == "lambda" and operation == "Invoke":
        name = function_name(str(params["FunctionName"]))
        return [AuthRequest("lambda:InvokeFunction", function_arn(name))]
    if service == "sesv2" and operation == "SendEmail":
        return [_send_email_request(params)]
    if service != "dynamodb":
        raise Unsupported(f"{service}.{operation}")
    if operation in _SINGLE_ITEM:
        table = params["TableName"]
        return [
            _item_request(
                f"dynamodb:{operation}", table, params[_SINGLE_ITEM[operation]], params, keys
            )
        ]
    if operation in ("Query", "Scan"):
        table, index = params["TableName"], params.get("IndexName")
        context = _shaping(params)
        if operation == "Query":
            context["dynamodb:LeadingKeys"] = (
                _query_partition(params, keys.partition_key(table, index)),
            )
        return [AuthRequest(f"dynamodb:{operation}", table_arn(table, index), context)]
    if operation == "TransactWriteItems":
        requests = []
        for entry in params["TransactItems"]:
            ((kind, item),) = entry.items()
            action, key_field = _TRANSACT_WRITE[kind]
            request = _item_request(action, item["TableName"], item[key_field], item, keys)
            context = {**request.context, "dynamodb:EnclosingOperation": ("TransactWriteItems",)}
            requests.append(AuthRequest(action, request.resource, context, request.unconditioned))
        return requests
    if operation == "TransactGetItems":
        requests = []
        for entry in params["TransactItems"]:
            request = _item_request(
                "dynamodb:GetItem",
                entry["Get"]["TableName"],
                entry["Get"]["Key"],
                entry["Get"],
                keys,
            )
            context = {**request.context, "dynamodb:EnclosingOperation": ("TransactGetItems",)}
            requests.append(AuthRequest(request.action, request.resource, context))
        return requests
    if operation in ("BatchGetItem", "BatchWriteItem"):
        requests = []
        for table, spec in params["RequestItems"].items():
            pk = keys.partition_key(table)
            if operation == "BatchGetItem":
                items = spec["Keys"]
            else:
                items = [
                    w.get("PutRequest", {}).get("Item") or w["DeleteRequest"]["Key"] for w in spec
                ]
            leading = tuple(dict.fromkeys(_string(i[pk]) for i in items))
            requests.append(
                AuthRequest(
                    f"dynamodb:{operation}", table_arn(table), {"dynamodb:LeadingKeys": leading}
                )
            )
        return requests
    raise Unsupported(f"dynamodb.{operation}")


def ses_identity_arn(identity: str) -> str:
    return f"arn:aws:ses:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:identity/{identity}"


def _send_email_request(params: Mapping[str, Any]) -> AuthRequest:
    """SES v2 ``SendEmail``: ``ses:SendEmail`` on the sending identity, with the From address
    and the recipients as condition keys. The identity is the From address's own (SES takes
    the domain's when only the domain is verified; a policy on ``identity/*`` decides both
    alike). Raw and templated content, configuration sets: not mapped."""
    unmapped = set(params) - {"FromEmailAddress", "Destination", "Content"}
    if unmapped or set(params["Content"]) != {"Simple"}:
        raise Unsupported(f"sesv2.SendEmail with {sorted(params)}: {sorted(params['Content'])}")
    address = parseaddr(str(params["FromEmailAddress"]))[1]
    destination = params["Destination"]
    recipients = tuple(
        str(a)
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for a in destination.get(kind, [])
    )
    context = {
        "ses:FromAddress": (address,),
        "ses:Recipients": recipients,
        "ses:ApiVersion": ("2",),
    }
    return AuthRequest("ses:SendEmail", ses_identity_arn(address), context)


def _item_request(
    action: str, table: str, key: Mapping[str, Any], params: Mapping[str, Any], keys: KeySchemas
) -> AuthRequest:
    context = _shaping(params)
    context["dynamodb:LeadingKeys"] = (_string(key[keys.partition_key(table)]),)
    unconditioned = {}
    if "ReturnValuesOnConditionCheckFailure" in params:
        unconditioned["ReturnValuesOnConditionCheckFailure"] = str(
            params["ReturnValuesOnConditionCheckFailure"]
        )
    return AuthRequest(action, table_arn(table), context, unconditioned)


def _shaping(params: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Parameters with a condition key of the same name (``dynamodb:ReturnValues``, ...)."""
    return {f"dynamodb:{p}": (str(params[p]),) for p in _RESPONSE_SHAPING if p in params}


def _query_partition(params: Mapping[str, Any], partition_key: str) -> str:
    """The partition key value of a Query's key condition (``pk = :v`` or ``#n = :v``)."""
    names = params.get("ExpressionAttributeNames", {})
    expression = params.get("KeyConditionExpression")
    if not isinstance(expression, str):
        raise Unsupported("Query without KeyConditionExpression")
    for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", expression):
        if names.get(name, name) == partition_key:
            return _string(params["ExpressionAttributeValues"][placeholder])
    raise Unsupported(f"no condition on {partition_key} in {expression!r}")


def _string(value: Any) -> str:
    if isinstance(value, Mapping):  # wire format {"S": "..."}
        ((_type, inner),) = value.items()
        return str(inner)
    return str(value)
