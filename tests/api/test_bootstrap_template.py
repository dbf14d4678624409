"""The bootstrap template (infra/bootstrap/github-oidc.yaml) gives GitHub exactly what a deploy needs.

- Trust: each deploy role may be assumed only with a GitHub OIDC token of this repository's
  environment of the same name (`sub` = `repo:OWNER/NAME:environment:test|prod`, `aud` =
  `sts.amazonaws.com`). Tokens of another repository, a branch, a tag, a pull request or another
  environment are refused, and so is any token for the execution roles.
- Least privilege: no deploy-role statement has a wildcard action or `Resource: "*"`; a deploy
  role can only run change sets on its own stack, with its own execution role, and upload to
  its own prefixes. The execution roles reach only resources named after their own stack;
  `Resource: "*"` appears only for actions that IAM offers no resource-level permission for
  (checked against cfn-lint's copy of IAM's service authorization reference) and each one is
  named in the template's comment.

The template is read with cfn-lint's CloudFormation-aware YAML loader; its intrinsics are
resolved for one example account, and the policies are decided by the small evaluator below
(Allow statements only: the template uses no Deny, NotAction or NotResource, which is checked).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint.data.AdditionalSpecs
import pytest
from cfnlint.decode import cfn_yaml

BOOTSTRAP = Path(__file__).resolve().parents[2] / "infra" / "bootstrap" / "github-oidc.yaml"

ACCOUNT = "123456789012"
REGION = "eu-central-1"
OWNER, REPO = "verein-example", "membership"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
BUCKET = "verein-bootstrap-artifactsbucket-abc123"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
TOKEN = "token.actions.githubusercontent.com"
STAGES = ("test", "prod")


# --- Reading the template: intrinsics resolved for one example account ----------------------


def role_arn(logical_id: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/github-deploy/verein-bootstrap-{logical_id}-1A2B3C"


class Resolver:
    def __init__(self, document: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.document = document
        self.parameters = {
            name: spec.get("Default", "") for name, spec in document["Parameters"].items()
        } | dict(parameters)
        self.pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::StackName": "verein-bootstrap",
        }
        self.conditions = {
            name: self.condition(spec) for name, spec in document["Conditions"].items()
        }

    def condition(self, spec: Any) -> bool:
        (function, arguments), *rest = spec.items()
        assert not rest and function == "Fn::Equals", spec
        left, right = (self.resolve(argument) for argument in arguments)
        return bool(left == right)

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return str(self.parameters[name])
        kind = self.document["Resources"][name]["Type"]
        return {
            "AWS::IAM::OIDCProvider": PROVIDER_ARN,
            "AWS::S3::Bucket": BUCKET,
            "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{ACCOUNT}:policy/github-deploy/{name}",
        }[kind]

    def get_att(self, name: str, attribute: str) -> str:
        kind = self.document["Resources"][name]["Type"]
        assert attribute == "Arn", (name, attribute)
        return {"AWS::IAM::Role": role_arn(name), "AWS::S3::Bucket": BUCKET_ARN}[kind]

    def sub(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!x} is the literal ${x}, e.g. an IAM policy variable
                return "${" + name[1:] + "}"
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self.ref(argument)
                if key == "Fn::Sub":
                    assert isinstance(argument, str), "only the one-argument Fn::Sub is used"
                    return self.sub(argument)
                if key == "Fn::GetAtt":
                    return self.get_att(*argument)
                if key == "Fn::If":
                    name, if_true, if_false = argument
                    return self.resolve(if_true if self.conditions[name] else if_false)
                assert not key.startswith("Fn::"), f"unexpected intrinsic {key}"
            return {str(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return str(value) if isinstance(value, str) else value


def load(**parameters: str) -> tuple[dict[str, Any], Resolver]:
    document = cfn_yaml.load(str(BOOTSTRAP))
    resolver = Resolver(
        document, {"GitHubOwner": OWNER, "GitHubRepository": REPO, "AppName": "verein"} | parameters
    )
    resources = {
        name: resolver.resolve(spec)
        for name, spec in document["Resources"].items()
        if "Condition" not in spec or resolver.conditions[spec["Condition"]]
    }
    return resources, resolver


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return load()[0]


# --- A small evaluator of the policy language the template uses -----------------------------


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    context: Mapping[str, str] = field(default_factory=dict)
    principal: Mapping[str, str] = field(default_factory=dict)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def substitute_variables(pattern: str, principal_tags: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        assert key.startswith("aws:PrincipalTag/"), f"unexpected policy variable {key}"
        # A missing tag makes the element match nothing, as IAM does.
        return principal_tags.get(key.removeprefix("aws:PrincipalTag/"), "\0no tag\0")

    return re.sub(r"\$\{([^}]+)\}", replace, pattern)


OPERATORS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringLike": glob,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": glob,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}


def conditions_hold(condition: Mapping[str, Any], request: Request) -> bool:
    for operator, keys in condition.items():
        test = OPERATORS[operator]  # KeyError: an operator this evaluator does not know
        for key, expected in keys.items():
            if key not in request.context:
                return False
            if not any(
                test(substitute_variables(value, request.principal), request.context[key])
                for value in as_list(expected)
            ):
                return False
    return True


def allows(statements: list[Mapping[str, Any]], request: Request) -> bool:
    for statement in statements:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement
        assert statement["Effect"] == "Allow", statement
        if not any(
            glob(action, request.action, case_sensitive=False)
            for action in as_list(statement["Action"])
        ):
            continue
        if not any(
            glob(substitute_variables(resource, request.principal), request.resource)
            for resource in as_list(statement["Resource"])
        ):
            continue
        if conditions_hold(statement.get("Condition", {}), request):
            return True
    return False


def identity_statements(resources: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    properties = resources[role]["Properties"]
    statements = [
        statement
        for policy in properties.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for arn in properties.get("ManagedPolicyArns", []):
        (managed,) = (
            spec
            for name, spec in resources.items()
            if spec["Type"] == "AWS::IAM::ManagedPolicy"
            and arn == f"arn:aws:iam::{ACCOUNT}:policy/github-deploy/{name}"
        )
        statements += managed["Properties"]["PolicyDocument"]["Statement"]
    return statements


def principal_tags(resources: Mapping[str, Any], role: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resources[role]["Properties"].get("Tags", [])}


# --- Trust: who may assume which role ---------------------------------------------------------


def may_assume_with_github_token(
    resources: Mapping[str, Any],
    role: str,
    sub: str,
    aud: str | None = "sts.amazonaws.com",
    provider: str = PROVIDER_ARN,
) -> bool:
    context = {f"{TOKEN}:sub": sub} | ({f"{TOKEN}:aud": aud} if aud is not None else {})
    trust = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    for statement in trust:
        if statement["Principal"] != {"Federated": provider}:
            continue
        if allows(
            [{k: v for k, v in statement.items() if k != "Principal"} | {"Resource": "*"}],
            Request("sts:AssumeRoleWithWebIdentity", context=context),
        ):
            return True
    return False


def repo_sub(rest: str, owner: str = OWNER, repo: str = REPO) -> str:
    return f"repo:{owner}/{repo}:{rest}"


REFUSED_SUBS = {
    "another repository": repo_sub("environment:{stage}", owner="someone-else"),
    "a repository whose name extends ours": repo_sub("environment:{stage}", repo=REPO + "-fork"),
    "an owner whose name extends ours": repo_sub("environment:{stage}", owner=OWNER + "x"),
    "the main branch": repo_sub("ref:refs/heads/main"),
    "a feature branch": repo_sub("ref:refs/heads/feature"),
    "a tag": repo_sub("ref:refs/tags/v1.0.0"),
    "a pull request": repo_sub("pull_request"),
    "another environment": repo_sub("environment:staging"),
    "an environment whose name extends ours": repo_sub("environment:{stage}-2"),
    "an environment in other letter case": repo_sub("environment:{Stage}"),
    "the environment with a suffix": repo_sub("environment:{stage}:extra"),
    "a wildcard, taken literally": repo_sub("environment:*"),
}


@pytest.mark.parametrize("stage", STAGES)
def test_each_deploy_role_trusts_exactly_its_environment_of_this_repository(resources, stage):
    role = f"{stage.capitalize()}DeployRole"
    assert may_assume_with_github_token(resources, role, repo_sub(f"environment:{stage}"))
    (other,) = set(STAGES) - {stage}
    assert not may_assume_with_github_token(resources, role, repo_sub(f"environment:{other}"))


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("case", sorted(REFUSED_SUBS))
def test_deploy_roles_refuse_every_other_subject(resources, stage, case):
    sub = REFUSED_SUBS[case].format(stage=stage, Stage=stage.capitalize())
    assert not may_assume_with_github_token(resources, f"{stage.capitalize()}DeployRole", sub)


@pytest.mark.parametrize("stage", STAGES)
def test_deploy_roles_need_the_sts_audience_and_the_github_provider(resources, stage):
    role, sub = f"{stage.capitalize()}DeployRole", repo_sub(f"environment:{stage}")
    assert not may_assume_with_github_token(resources, role, sub, aud="sigstore")
    assert not may_assume_with_github_token(resources, role, sub, aud=None)
    other_provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"
    assert not may_assume_with_github_token(resources, role, sub, provider=other_provider)


def test_trust_statements_allow_only_web_identity_from_the_provider(resources):
    for stage in STAGES:
        (statement,) = resources[f"{stage.capitalize()}DeployRole"]["Properties"][
            "AssumeRolePolicyDocument"
        ]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": PROVIDER_ARN}
        assert set(statement["Condition"]) == {"StringEquals"}  # exact values, no patterns
        (execution,) = resources[f"{stage.capitalize()}CloudFormationExecutionRole"]["Properties"][
            "AssumeRolePolicyDocument"
        ]["Statement"]
        assert execution == {
            "Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }


def test_an_existing_oidc_provider_is_reused():
    existing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    resources, _ = load(ExistingOidcProviderArn=existing)
    assert not any(spec["Type"] == "AWS::IAM::OIDCProvider" for spec in resources.values())
    for stage in STAGES:
        role = f"{stage.capitalize()}DeployRole"
        assert may_assume_with_github_token(
            resources, role, repo_sub(f"environment:{stage}"), provider=existing
        )
    created, _ = load()
    (provider,) = (s for s in created.values() if s["Type"] == "AWS::IAM::OIDCProvider")
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]


# --- Least privilege: the deploy roles -------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_deploy_roles_have_no_wildcard_action_and_no_resource_star(resources, stage):
    statements = identity_statements(resources, f"{stage.capitalize()}DeployRole")
    assert statements
    for statement in statements:
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, statement
        for resource in as_list(statement["Resource"]):
            assert resource != "*", statement
            # Wildcards only after a fixed stack, prefix or bucket, never in the service part.
            assert re.fullmatch(
                r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:[^*?]+(/\*)?", resource
            ) or (resource.startswith(f"{BUCKET_ARN}/")), resource


def stack_arn(stack: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/0f9e8d70-aaaa-bbbb-cccc-1234567890ab"


TRANSFORM = f"arn:aws:cloudformation:{REGION}:aws:transform/Serverless-2016-10-31"


def deploy_requests(stage: str, other: str) -> list[tuple[Request, bool]]:
    own_role = role_arn(f"{stage.capitalize()}CloudFormationExecutionRole")
    other_role = role_arn(f"{other.capitalize()}CloudFormationExecutionRole")
    own, foreign = f"verein-{stage}", f"verein-{other}"
    cfn = "cloudformation.amazonaws.com"
    user_pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123"
    return [
        # Change sets on its own stack, with its own execution role, through the SAM transform.
        (
            Request(
                "cloudformation:CreateChangeSet",
                stack_arn(own),
                {"cloudformation:RoleArn": own_role},
            ),
            True,
        ),
        (
            Request(
                "cloudformation:CreateChangeSet", TRANSFORM, {"cloudformation:RoleArn": own_role}
            ),
            True,
        ),
        (Request("cloudformation:CreateChangeSet", stack_arn(own)), False),
        (
            Request(
                "cloudformation:CreateChangeSet",
                stack_arn(own),
                {"cloudformation:RoleArn": other_role},
            ),
            False,
        ),
        (
            Request(
                "cloudformation:CreateChangeSet",
                stack_arn(foreign),
                {"cloudformation:RoleArn": own_role},
            ),
            False,
        ),
        (
            Request(
                "cloudformation:CreateChangeSet",
                stack_arn(own + "-x"),
                {"cloudformation:RoleArn": own_role},
            ),
            False,
        ),
        (Request("cloudformation:ExecuteChangeSet", stack_arn(own)), True),
        (Request("cloudformation:ExecuteChangeSet", stack_arn(foreign)), False),
        (Request("cloudformation:DescribeStacks", stack_arn(own)), True),
        (Request("cloudformation:DescribeStacks", stack_arn(foreign)), False),
        (Request("cloudformation:UpdateStack", stack_arn(own)), False),
        (Request("cloudformation:DeleteStack", stack_arn(own)), False),
        (Request("cloudformation:CreateStack", stack_arn("anything")), False),
        # Only its execution role, only to CloudFormation.
        (Request("iam:PassRole", own_role, {"iam:PassedToService": cfn}), True),
        (Request("iam:PassRole", own_role, {"iam:PassedToService": "lambda.amazonaws.com"}), False),
        (Request("iam:PassRole", own_role), False),
        (Request("iam:PassRole", other_role, {"iam:PassedToService": cfn}), False),
        # The artifacts bucket: reads everything, writes its own template prefix.
        (Request("s3:GetObject", f"{BUCKET_ARN}/packages/0123abcd"), True),
        (Request("s3:PutObject", f"{BUCKET_ARN}/{own}/0123abcd.template"), True),
        (Request("s3:PutObject", f"{BUCKET_ARN}/{foreign}/0123abcd.template"), False),
        (Request("s3:PutObject", "arn:aws:s3:::another-bucket/x"), False),
        (Request("s3:DeleteObject", f"{BUCKET_ARN}/{own}/0123abcd.template"), False),
        (Request("s3:ListBucket", BUCKET_ARN), True),
        # Nothing directly: every resource change goes through CloudFormation.
        (
            Request(
                "lambda:UpdateFunctionCode",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{own}-StaffApiFunction-1",
            ),
            False,
        ),
        (
            Request(
                "dynamodb:DeleteTable",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{own}-EventStoreTable-1",
            ),
            False,
        ),
        (
            Request(
                "secretsmanager:GetSecretValue",
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ClaimKeySecret-abc",
            ),
            False,
        ),
        (Request("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{own}-X"), False),
        (Request("sts:AssumeRole", own_role), False),
        # Cognito: never in the other stage's user pool.
        (
            Request(
                "cognito-idp:AdminCreateUser", user_pool, {"aws:ResourceTag/verein-stage": other}
            ),
            False,
        ),
        (Request("cognito-idp:AdminCreateUser", user_pool), False),
        (
            Request("cognito-idp:ListUsers", user_pool, {"aws:ResourceTag/verein-stage": stage}),
            False,
        ),
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_deploy_roles_may_only_deploy_their_own_stack_through_cloudformation(resources, stage):
    (other,) = set(STAGES) - {stage}
    statements = identity_statements(resources, f"{stage.capitalize()}DeployRole")
    wrong = [
        f"{'allowed' if expected else 'refused'} expected: {request}"
        for request, expected in deploy_requests(stage, other)
        if allows(statements, request) != expected
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_test_role_packages_code_and_creates_the_smoke_test_user(resources):
    test = identity_statements(resources, "TestDeployRole")
    prod = identity_statements(resources, "ProdDeployRole")
    package = Request("s3:PutObject", f"{BUCKET_ARN}/packages/0123abcd")
    assert allows(test, package)
    assert not allows(prod, package)
    pool = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123"
    for action in (
        "AdminCreateUser",
        "AdminSetUserPassword",
        "AdminAddUserToGroup",
        "AdminDeleteUser",
    ):
        request = Request(f"cognito-idp:{action}", pool, {"aws:ResourceTag/verein-stage": "test"})
        assert allows(test, request)
        assert not allows(prod, request)


# --- Least privilege: the CloudFormation execution roles ---------------------------------------

#: Actions the execution policy may grant on `Resource: "*"`: each has no resource-level
#: permission in IAM (checked below) and is named in the template's comment.
NO_RESOURCE_LEVEL_PERMISSION = {
    "cognito-idp:CreateUserPool",
    "secretsmanager:GetRandomPassword",
    "logs:DescribeLogGroups",
    "kms:ListAliases",
    "backup-storage:MountCapsule",
    # HTTP API access logs (vended-log deliveries set up by the caller)
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
}
#: `Resource: "*"` narrowed by a condition on the function the mapping feeds.
CONDITIONED_ON_THE_FUNCTION = {
    "lambda:CreateEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "lambda:DeleteEventSourceMapping",
}


@cache
def iam_reference() -> dict[str, Any]:
    path = Path(cfnlint.data.AdditionalSpecs.__file__).parent / "Policies.json"
    return json.loads(path.read_text())


def resource_types(action: str) -> list[str] | None:
    service, name = action.split(":")
    entry = iam_reference().get(service, {}).get("Actions", {}).get(name.lower())
    return None if entry is None else entry.get("Resources", [])


def test_execution_policy_uses_resource_star_only_without_resource_level_permissions(resources):
    statements = identity_statements(resources, "TestCloudFormationExecutionRole")
    assert statements == identity_statements(resources, "ProdCloudFormationExecutionRole")
    starred: set[str] = set()
    for statement in statements:
        actions = as_list(statement["Action"])
        for action in actions:
            assert "*" not in action and "?" not in action, statement
            assert resource_types(action) is not None, f"{action} is not an IAM action"
        if "*" in as_list(statement["Resource"]):
            assert statement["Resource"] == "*", statement
            if "Condition" in statement:
                assert set(actions) == CONDITIONED_ON_THE_FUNCTION, statement
                assert set(statement["Condition"]) == {"ArnLike"}
                assert set(statement["Condition"]["ArnLike"]) == {"lambda:FunctionArn"}
            else:
                starred |= set(actions)
    assert starred == NO_RESOURCE_LEVEL_PERMISSION
    for action in NO_RESOURCE_LEVEL_PERMISSION | {"lambda:CreateEventSourceMapping"}:
        assert resource_types(action) == [], f"{action} has resource-level permissions: scope it"
    comment = BOOTSTRAP.read_text()
    for action in NO_RESOURCE_LEVEL_PERMISSION:
        assert f"# - {action}:" in comment, f"document why {action} needs Resource '*'"


def test_execution_roles_carry_their_own_stack_as_tag(resources):
    for stage in STAGES:
        role = f"{stage.capitalize()}CloudFormationExecutionRole"
        assert principal_tags(resources, role) == {"verein-deploy-stack": f"verein-{stage}"}
        assert resources[role]["Properties"]["Path"] == "/github-deploy/"


def execution_requests(stage: str, other: str) -> list[tuple[Request, bool]]:
    own, foreign = f"verein-{stage}", f"verein-{other}"
    fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
    role = f"arn:aws:iam::{ACCOUNT}:role"
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    return [
        (Request("lambda:CreateFunction", f"{fn}:{own}-StaffApiFunction-AbC1"), True),
        (Request("lambda:CreateFunction", f"{fn}:{foreign}-StaffApiFunction-AbC1"), False),
        (Request("lambda:CreateFunction", f"{fn}:unrelated"), False),
        (Request("lambda:InvokeFunction", f"{fn}:{own}-StaffApiFunction-AbC1"), False),
        (
            Request(
                "lambda:CreateEventSourceMapping",
                "*",
                {"lambda:FunctionArn": f"{fn}:{own}-ChangeStreamFunction-1"},
            ),
            True,
        ),
        (
            Request(
                "lambda:CreateEventSourceMapping",
                "*",
                {"lambda:FunctionArn": f"{fn}:{foreign}-ChangeStreamFunction-1"},
            ),
            False,
        ),
        (
            Request(
                "lambda:PublishLayerVersion",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{own}-shared",
            ),
            True,
        ),
        (
            Request(
                "lambda:PublishLayerVersion",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{foreign}-shared",
            ),
            False,
        ),
        (
            Request(
                "dynamodb:DeleteTable",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{own}-ViewsTable-1",
            ),
            True,
        ),
        (
            Request(
                "dynamodb:DeleteTable",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{foreign}-EventStoreTable-1",
            ),
            False,
        ),
        (
            Request(
                "dynamodb:GetItem",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{own}-EventStoreTable-1",
            ),
            False,
        ),
        (
            Request(
                "dynamodb:Scan",
                f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{own}-EventStoreTable-1",
            ),
            False,
        ),
        (
            Request(
                "sqs:DeleteQueue",
                f"arn:aws:sqs:{REGION}:{ACCOUNT}:{foreign}-ChangeStreamDeadLetterQueue-1",
            ),
            False,
        ),
        # IAM: its own stack's roles, only SAM's managed policies, never the bootstrap roles.
        (Request("iam:PutRolePolicy", f"{role}/{own}-StaffApiFunctionRole-1"), True),
        (Request("iam:PutRolePolicy", f"{role}/{foreign}-StaffApiFunctionRole-1"), False),
        (
            Request(
                "iam:PutRolePolicy", role_arn(f"{stage.capitalize()}CloudFormationExecutionRole")
            ),
            False,
        ),
        (Request("iam:PutRolePolicy", role_arn(f"{stage.capitalize()}DeployRole")), False),
        (
            Request(
                "iam:AttachRolePolicy",
                f"{role}/{own}-StaffApiFunctionRole-1",
                {"iam:PolicyARN": basic},
            ),
            True,
        ),
        (
            Request(
                "iam:AttachRolePolicy",
                f"{role}/{own}-StaffApiFunctionRole-1",
                {"iam:PolicyARN": admin},
            ),
            False,
        ),
        (Request("iam:AttachRolePolicy", f"{role}/{own}-StaffApiFunctionRole-1"), False),
        (
            Request(
                "iam:PassRole",
                f"{role}/{own}-StaffApiFunctionRole-1",
                {"iam:PassedToService": "lambda.amazonaws.com"},
            ),
            True,
        ),
        (
            Request(
                "iam:PassRole",
                f"{role}/{own}-StaffApiFunctionRole-1",
                {"iam:PassedToService": "ec2.amazonaws.com"},
            ),
            False,
        ),
        (
            Request(
                "iam:PassRole",
                f"{role}/{foreign}-StaffApiFunctionRole-1",
                {"iam:PassedToService": "lambda.amazonaws.com"},
            ),
            False,
        ),
        (Request("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/{own}-x"), False),
        (
            Request(
                "iam:CreatePolicyVersion",
                f"arn:aws:iam::{ACCOUNT}:policy/github-deploy/CloudFormationExecutionPolicy",
            ),
            False,
        ),
        # The packaged code is readable; nothing else in S3.
        (Request("s3:GetObject", f"{BUCKET_ARN}/packages/0123abcd"), True),
        (Request("s3:PutObject", f"{BUCKET_ARN}/packages/0123abcd"), False),
        (Request("s3:GetObject", "arn:aws:s3:::another-bucket/x"), False),
        # SES only read; the sender identity is never changed by a stack.
        (
            Request(
                "ses:GetEmailIdentity", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/verein.example"
            ),
            True,
        ),
        (
            Request(
                "ses:DeleteEmailIdentity", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/verein.example"
            ),
            False,
        ),
        (
            Request("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/verein.example"),
            False,
        ),
        # Managed keys only through DynamoDB and Backup.
        (
            Request(
                "kms:Decrypt",
                f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1",
                {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"},
            ),
            True,
        ),
        (Request("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1"), False),
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_execution_roles_reach_only_their_own_stacks_resources(resources, stage):
    (other,) = set(STAGES) - {stage}
    role = f"{stage.capitalize()}CloudFormationExecutionRole"
    statements = identity_statements(resources, role)
    tags = principal_tags(resources, role)
    wrong = [
        f"{'allowed' if expected else 'refused'} expected: {request}"
        for request, expected in execution_requests(stage, other)
        if allows(statements, Request(request.action, request.resource, request.context, tags))
        != expected
    ]
    assert not wrong, "\n".join(wrong)


def test_an_untagged_principal_gets_nothing_from_the_stack_patterns(resources):
    statements = identity_statements(resources, "TestCloudFormationExecutionRole")
    request = Request("lambda:CreateFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:-x")
    assert not allows(statements, request)


def test_artifacts_bucket_is_private_encrypted_and_tls_only(resources):
    bucket = resources["ArtifactsBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    block = bucket["Properties"]["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert bucket["Properties"]["BucketEncryption"]
    (deny,) = resources["ArtifactsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_stack_names_match_samconfig():
    config = tomllib.loads((BOOTSTRAP.parents[2] / "samconfig.toml").read_text())
    for stage in STAGES:
        deploy = config[stage]["deploy"]["parameters"]
        assert deploy["stack_name"] == f"verein-{stage}"
        assert deploy["s3_prefix"] == f"verein-{stage}"
        assert f'verein-stage="{stage}"' in deploy["tags"]
    assert config["test"]["package"]["parameters"]["s3_prefix"] == "packages"
    for env in ("default", *STAGES):
        assert config[env]["global"]["parameters"]["region"] == REGION
