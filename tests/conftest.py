"""Shared fixtures: an embedded DynamoDB-compatible backend with tables made from the template."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from hypothesis import settings

from local_aws.backend import BackendProcess, aws_environment
from local_aws.lambda_api import LocalLambdaApi
from local_aws.secret_values import secret_value
from local_aws.template import LocalTemplate, load_template

if TYPE_CHECKING:
    from tests.api_client import InProcessFunctions
    from verein.mail.memory import InMemoryMailSender

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"

# No test may reach real AWS, whatever the developer's shell has configured.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY"):
    os.environ.pop(_name, None)
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
# The functions check their settings when imported (cold start): give them the template's.
for _function in load_template(TEMPLATE_PATH).functions.values():
    for _name, _value in _function.environment.items():
        os.environ.setdefault(_name, _value)
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

# Examples that talk to the backend take milliseconds on a laptop and more on a busy 2-core CI
# machine: no per-example deadline (speed targets live in `make bench`).
settings.register_profile("verein", deadline=None)
settings.load_profile("verein")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by what they need, so that `make test-fast` can leave the slow kinds out."""
    for item in items:
        if {"aws", "backend"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.backend)
        if item.path.parent.name in ("e2e", "local_stack"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def template() -> LocalTemplate:
    return load_template(TEMPLATE_PATH)


@pytest.fixture(scope="session")
def backend(template: LocalTemplate) -> Iterator[BackendProcess]:
    """One backend process per test session (the same one ``membership local`` runs)."""
    with BackendProcess(list(template.tables.values()), data_dir=None) as process:
        yield process


def ensure_test_secrets(template: LocalTemplate, endpoint_url: str) -> None:
    """Every secret of the template exists in the test backend, so the functions can read it.

    Created once per session with a value made the way the template says (the functions cache
    it per execution environment, so it must not change between tests).
    """
    secrets = boto3.client("secretsmanager", endpoint_url=endpoint_url)
    for spec in template.secrets.values():
        try:
            secrets.describe_secret(SecretId=spec.name)
        except secrets.exceptions.ResourceNotFoundException:
            secrets.create_secret(Name=spec.name, SecretString=secret_value(spec, data_dir=None))


@dataclass(frozen=True)
class Aws:
    dynamodb: Any
    endpoint_url: str
    event_store_table: str
    views_table: str
    functions: InProcessFunctions
    """The template's functions, in this process, each with its own adapters."""
    mail: InMemoryMailSender
    """What the change-stream function sent (no SES here: the outcome is the test's choice)."""


@pytest.fixture
def aws(
    backend: BackendProcess,
    template: LocalTemplate,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Aws]:
    """Fresh tables (from the template), the functions' environment (from the template), and
    the functions with adapters of their own, reachable through the Lambda Invoke API."""
    from tests.api_client import InProcessFunctions  # noqa: PLC0415 - loads every function
    from verein.bootstrap import Adapters  # noqa: PLC0415
    from verein.mail.memory import InMemoryMailSender  # noqa: PLC0415
    from verein.settings import Settings  # noqa: PLC0415

    for name, value in aws_environment(backend.endpoint_url).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    for function in template.functions.values():
        for name, value in function.environment.items():
            monkeypatch.setenv(name, value)
    ensure_test_secrets(template, backend.endpoint_url)
    client = boto3.client("dynamodb", endpoint_url=backend.endpoint_url)
    existing = set(client.list_tables()["TableNames"])
    for spec in template.tables.values():
        if spec.name in existing:
            client.delete_table(TableName=spec.name)
        client.create_table(**spec.create_kwargs)

    def invoke(function: str, event: dict[str, Any]) -> Any:
        return functions.invoke(function, event)  # built below, once the endpoint is known

    with LocalLambdaApi(invoke, template.functions.__contains__) as api:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", api.endpoint_url)
        mail = InMemoryMailSender()
        change_stream = Adapters(Settings.from_environment(), mail_sender=mail)
        functions = InProcessFunctions(template, {"ChangeStreamFunction": change_stream})
        yield Aws(
            dynamodb=client,
            endpoint_url=backend.endpoint_url,
            event_store_table=template.table_name("EventStoreTable"),
            views_table=template.table_name("ViewsTable"),
            functions=functions,
            mail=mail,
        )
