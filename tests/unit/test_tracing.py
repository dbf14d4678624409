"""The handlers trace where X-Ray records, and never import its SDK where nothing is traced."""

import subprocess
import sys

import pytest

from verein.tracing import Untraced, handler_tracer

IN_LAMBDA = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
    "TRACING": "Active",
}


@pytest.fixture
def lambda_environment(monkeypatch):
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    for name, value in IN_LAMBDA.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_an_actively_traced_lambda_gets_powertools_tracer(lambda_environment):
    assert not isinstance(handler_tracer(), Untraced)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRACING", "PassThrough"), ("POWERTOOLS_TRACE_DISABLED", "true"), ("AWS_SAM_LOCAL", "true")],
)
def test_where_nothing_is_traced_the_handler_passes_through(lambda_environment, name, value):
    lambda_environment.setenv(name, value)
    tracer = handler_tracer()
    assert isinstance(tracer, Untraced)

    def handler(event, context):
        return event

    assert tracer.capture_lambda_handler(handler) is handler


def test_outside_lambda_nothing_is_traced(monkeypatch):
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)
    assert isinstance(handler_tracer(), Untraced)


def xray_sdk_imported(tracing: str) -> bool:
    probe = (
        "import sys; from verein.tracing import handler_tracer; handler_tracer(); "
        "print('aws_xray_sdk' in sys.modules)"
    )
    env = {**IN_LAMBDA, "TRACING": tracing, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_an_untraced_function_never_imports_the_xray_sdk():
    assert not xray_sdk_imported("PassThrough")
    assert xray_sdk_imported("Active")  # the probe sees it where it is imported
