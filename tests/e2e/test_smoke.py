"""The smoke script (`make smoke`) is proven against the local stack before it meets AWS."""

import subprocess
from pathlib import Path

import pytest

from local_aws.cli import LocalStack
from local_aws.jwt_auth import LocalCognito
from tests import smoke

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack(tmp_path):
    with LocalStack(data_dir=tmp_path / "data", port=0) as running:
        yield running


def test_make_smoke_passes_against_the_local_stack(stack):
    done = subprocess.run(
        ["make", "-s", "smoke", f"URL={stack.base_url}", f"DATA={stack.data_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("ok  ")]
    assert len(steps) == 22, done.stdout
    assert "smoke test passed" in done.stdout


def test_the_smoke_test_fails_when_staff_cannot_read(stack, tmp_path, capsys):
    foreign = LocalCognito(tmp_path / "elsewhere").issue_token(groups=("staff",))
    assert smoke.main(["--url", stack.base_url, "--token", foreign]) == 1
    assert "FAILED: staff read the application (HTTP 401" in capsys.readouterr().err


def test_the_smoke_test_needs_a_way_to_a_staff_token(stack, capsys, monkeypatch):
    monkeypatch.delenv("SMOKE_STAFF_TOKEN", raising=False)
    assert smoke.main(["--url", stack.base_url]) == 1
    assert "no staff token" in capsys.readouterr().err
