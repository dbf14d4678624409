"""Cold start of each function: the layer's size and what importing a handler costs.

Usage: ``python -m tests.benchmarks.cold_start [--runs 9] [--python PATH]``

The layer is built with ``shared/Makefile`` (as ``sam build`` does) for this machine's
architecture into a temporary folder, with Python 3.13 (the runtime's; the benchmark is
skipped when none is found). A temporary venv with only boto3 stands in for the runtime.
Every function of ``infra/template.yaml`` is then measured in fresh processes (``python -I``,
import path: a copy of the function's code, then the layer, then the runtime's boto3; the
template's environment, with tracing off and on):

- **import**: importing the handler module (``Handler:``), as the runtime does at init;
- **deferred**: right after, in the same process, building what the function's requests
  need and the import left for the first one (clients, adapters and the modules they import,
  see ``PROFILES``): laziness only moves this cost, so it is counted with the import;
- **baseline**: in its own fresh process, what the function cannot avoid: importing boto3
  and building the clients it uses (with its configs), and the Powertools parts it uses
  (Logger, resolver with validation, batch processor; with tracing on, a ``Tracer``, which
  imports the X-Ray SDK and patches botocore).

Reported: medians (and min-max) of ``--runs`` runs, interleaved, and the ratio
(import + deferred) / baseline. Timings include no interpreter start-up (the same for both).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_aws.template import FunctionSpec, load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"
TARGET = 1.15

DYNAMODB_CONFIG = "Config(retries={'mode': 'standard', 'max_attempts': 4})"
LAMBDA_CONFIG = "Config(read_timeout=8, retries={'mode': 'standard', 'max_attempts': 3})"
#: Checking an e-mail address imports email_validator (every application needs it).
CHECK_ADDRESS = "__import__('verein.kernel.mailbox').kernel.mailbox.mailbox_key('a@example.org')"
RESOLVER = (
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response",
    "from aws_lambda_powertools.logging import correlation_paths",
    "APIGatewayHttpResolver(enable_validation=True)",
)


@dataclass(frozen=True)
class Profile:
    #: The boto3 clients the function builds: (service, config expression or "").
    clients: tuple[tuple[str, str], ...]
    #: The Powertools parts it uses (statements), besides ``Logger()`` (and ``Tracer()``).
    powertools: tuple[str, ...]
    #: What its requests need that the handler builds on first use (expressions on
    #: ``adapters``); the secret's value itself is a network call, so only its client.
    deferred: tuple[str, ...]
    #: Its baseline imports no pydantic (no validating resolver), which its models need.
    models_outside_baseline: bool = False


#: What pydantic models cost before the first of a function's own: the library, one model.
PYDANTIC = ("import pydantic", "class Model(pydantic.BaseModel): field: int")

PROFILES = {
    "PublicApiFunction": Profile(
        clients=(("lambda", LAMBDA_CONFIG),),
        powertools=RESOLVER,
        deferred=("adapters.application_intake", CHECK_ADDRESS),
    ),
    "MembershipIntakeFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG), ("secretsmanager", "")),
        powertools=("from aws_lambda_powertools.utilities.typing import LambdaContext",),
        deferred=("adapters.event_store", "boto3.client('secretsmanager')", CHECK_ADDRESS),
        models_outside_baseline=True,
    ),
    "StaffApiFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG), ("secretsmanager", "")),
        powertools=RESOLVER,
        deferred=(
            "adapters.event_store",
            "adapters.member_views",
            "boto3.client('secretsmanager')",
        ),
    ),
    # The staff app: a page needs the session (its table), the views and the store; pages are
    # rendered with Jinja2, which it imports on the first page like the public function.
    "StaffWebFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG), ("secretsmanager", "")),
        powertools=RESOLVER,
        deferred=(
            "adapters.session_store",
            "adapters.event_store",
            "adapters.member_views",
            "boto3.client('secretsmanager')",
        ),
    ),
    "ChangeStreamFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG),),
        powertools=(
            "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType",
            "from aws_lambda_powertools.utilities.batch import process_partial_response",
            "from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event"
            " import DynamoDBRecord",
            "BatchProcessor(event_type=EventType.DynamoDBStreams)",
        ),
        deferred=("adapters.dispatcher", "adapters.event_store"),
        models_outside_baseline=True,
    ),
    # A member's own notice (functions/member_self_service): a resolver with forms; a request
    # reads a claim and may start a stream, a link reads and appends to a member's stream.
    "MemberSelfServiceFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG), ("secretsmanager", "")),
        powertools=RESOLVER,
        deferred=("adapters.event_store", "boto3.client('secretsmanager')", CHECK_ADDRESS),
    ),
    # The nightly run (functions/scheduled): no resolver; its run reads the views and the
    # claim key and ends memberships in the store.
    "ScheduledFunction": Profile(
        clients=(("dynamodb", DYNAMODB_CONFIG), ("secretsmanager", "")),
        powertools=("from aws_lambda_powertools.utilities.typing import LambdaContext",),
        deferred=(
            "adapters.event_store",
            "adapters.member_views",
            "boto3.client('secretsmanager')",
        ),
        models_outside_baseline=True,
    ),
}


def baseline_statements(profile: Profile, tracing: bool) -> list[str]:
    statements = ["import boto3", "from botocore.config import Config"]
    statements += [
        f"boto3.client({service!r}{', config=' + config if config else ''})"
        for service, config in profile.clients
    ]
    statements += ["from aws_lambda_powertools import Logger", "Logger()"]
    if tracing:
        statements += ["from aws_lambda_powertools import Tracer", "Tracer()"]
    statements += list(profile.powertools)
    return statements


#: Run with ``python -I``: argv = code dir, layer dir, then a JSON job. Times in ms.
PROBE = """
import sys, time
code, layer, job = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path[:0] = [code, layer]
start, start_cpu = time.perf_counter(), time.process_time()
import json
job = json.loads(job)
if job["kind"] == "baseline":
    exec("\\n".join(job["statements"]), {})
    result = {"baseline": (time.perf_counter() - start) * 1000}
else:
    import importlib
    module = importlib.import_module(job["module"])
    imported = time.perf_counter()
    scope = {"adapters": module.adapters}
    exec("import boto3", scope)
    for expression in job["deferred"]:
        eval(expression, scope)
    done = time.perf_counter()
    result = {"import": (imported - start) * 1000, "deferred": (done - imported) * 1000,
              "xray": "aws_xray_sdk.core" in sys.modules}
result["cpu"] = (time.process_time() - start_cpu) * 1000
print(json.dumps(result))
"""


def find_python313(given: str | None) -> str | None:
    candidates = [given] if given else []
    candidates += [shutil.which("python3.13") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            version = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if version == "True":
            return candidate
    return None


def build_layer(python: str, into: Path) -> Path:
    machine = platform.machine().lower()
    arch = "aarch64" if machine in ("arm64", "aarch64") else "x86_64"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join((str(Path(python).parent), env.get("PATH", "")))
    subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(REPO / "shared"), "build-SharedLayer"]
        + [f"ARTIFACTS_DIR={into}", f"PYTHON={python}", f"PLATFORM=manylinux2014_{arch}"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return into / "python"


def make_runtime(python: str, into: Path) -> str:
    subprocess.run([python, "-m", "venv", str(into)], check=True)
    runtime = str(into / "bin" / "python")
    subprocess.run(
        [runtime, "-m", "pip", "install", "-q", "--disable-pip-version-check", "boto3"],
        check=True,
    )
    return runtime


def layer_sizes(layer_root: Path, scratch: Path) -> tuple[float, float]:
    """Unzipped and zipped size in MB of the layer (its ``python/`` folder, as SAM zips it)."""
    files = [p for p in layer_root.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    archive = scratch / "layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(layer_root.parent))
    return unzipped / 1e6, archive.stat().st_size / 1e6


def environment(spec: FunctionSpec, code: Path, tracing: bool) -> dict[str, str]:
    """What Lambda sets, the template's variables, and the tracing switch."""
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "LAMBDA_TASK_ROOT": str(code),
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: app.py compiles each time
    }
    env.update(spec.environment)
    env.update(  # Lambda sets these whatever the function's tracing mode
        {"AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"}
    )
    # The template's Tracing parameter (TRACING); before it, POWERTOOLS_TRACE_DISABLED did this.
    env["TRACING"] = "Active" if tracing else "PassThrough"
    env["POWERTOOLS_TRACE_DISABLED"] = "false" if tracing else "true"
    return env


def run_probe(
    runtime: str, code: Path, layer: Path, job: dict[str, Any], env: dict[str, str]
) -> dict[str, float]:
    done = subprocess.run(
        [runtime, "-I", "-B", "-c", PROBE, str(code), str(layer), json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"probe failed ({job['kind']}):\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.0f} ({min(values):.0f}-{max(values):.0f})"


@dataclass
class Row:
    function: str
    tracing: str
    imports: list[float]
    deferred: list[float]
    baselines: list[float]
    ratio: float
    cpu_ratio: float
    with_pydantic: float | None
    xray: bool


def measure(
    runtime: str,
    layer: Path,
    code: Path,
    spec: FunctionSpec,
    profile: Profile,
    tracing: bool,
    runs: int,
) -> Row:
    env = environment(spec, code, tracing)
    module = spec.handler.rpartition(".")[0]
    handler_job = {"kind": "handler", "module": module, "deferred": profile.deferred}
    statements = baseline_statements(profile, tracing)
    jobs = {"handler": handler_job, "baseline": {"kind": "baseline", "statements": statements}}
    if profile.models_outside_baseline:
        jobs["pydantic"] = {"kind": "baseline", "statements": statements + list(PYDANTIC)}
    for job in jobs.values():  # warm the file cache
        run_probe(runtime, code, layer, job, env)
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in jobs}
    for _ in range(max(runs, 1)):  # interleaved: drift of the machine's load hits all alike
        for kind, job in jobs.items():
            results[kind].append(run_probe(runtime, code, layer, job, env))
    handler, baseline = results["handler"], results["baseline"]
    totals = [r["import"] + r["deferred"] for r in handler]
    median = statistics.median
    with_pydantic = None
    if "pydantic" in results:
        with_pydantic = median(totals) / median(r["baseline"] for r in results["pydantic"])
    return Row(
        function=spec.logical_id,
        tracing="on" if tracing else "off",
        imports=[r["import"] for r in handler],
        deferred=[r["deferred"] for r in handler],
        baselines=[r["baseline"] for r in baseline],
        ratio=median(totals) / median(r["baseline"] for r in baseline),
        cpu_ratio=median(r["cpu"] for r in handler) / median(r["cpu"] for r in baseline),
        with_pydantic=with_pydantic,
        xray=any(r["xray"] for r in handler),
    )


def print_table(rows: list[Row], functions: dict[str, FunctionSpec], runs: int) -> None:
    print()
    print(f"Cold start, ms: median (min-max) of {runs} fresh processes each")
    header = (
        f"{'function':<26}{'tracing':<8}{'import':>16}{'deferred':>16}{'baseline':>16}"
        f"{'ratio':>7}{'cpu':>6}{'+pyd.':>7}  X-Ray SDK"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        extra = "" if row.with_pydantic is None else f"{row.with_pydantic:.2f}"
        flag = f"  (over {TARGET})" if row.tracing == "off" and row.ratio > TARGET else ""
        print(
            f"{row.function:<26}{row.tracing:<8}{summary(row.imports):>16}"
            f"{summary(row.deferred):>16}{summary(row.baselines):>16}"
            f"{row.ratio:>7.2f}{row.cpu_ratio:>6.2f}{extra:>7}"
            f"  {'imported' if row.xray else 'not imported'}{flag}"
        )
    print()
    print(f"ratio = median(import + deferred) / median(baseline), target {TARGET} (tracing off);")
    print("cpu: the same in CPU time (less sensitive to a busy machine); +pyd.: against the")
    print("baseline plus pydantic (" + "; ".join(PYDANTIC) + "), for functions whose")
    print("baseline has no validating resolver, which would import it: their domain models.")
    print("Baselines (tracing on adds Tracer(): the X-Ray SDK, botocore patched):")
    for name in functions:
        print(f"  {name}: " + "; ".join(baseline_statements(PROFILES[name], tracing=False)))
        print(f"    deferred (timed after the import): {', '.join(PROFILES[name].deferred)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per measure (>= 7)")
    parser.add_argument("--python", help="a Python 3.13 (default: python3.13, pyenv's)")
    parser.add_argument("--function", action="append", help="only these (logical ids)")
    args = parser.parse_args()

    python = find_python313(args.python)
    if python is None:
        print("cold_start: skipped, no Python 3.13 found (the layer's bytecode must be 3.13's)")
        return 0
    template = load_template(TEMPLATE)
    functions = {
        name: spec
        for name, spec in template.functions.items()
        if not args.function or name in args.function
    }
    missing = set(functions) - set(PROFILES)
    if missing:
        raise SystemExit(f"no baseline profile for {sorted(missing)}: add one to PROFILES")

    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch_name:
        scratch = Path(scratch_name)
        print(f"building the layer with {python} ...", flush=True)
        layer = build_layer(python, scratch / "layer")
        unzipped, zipped = layer_sizes(layer, scratch)
        runtime = make_runtime(python, scratch / "runtime")
        print(f"layer: {unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped ({platform.machine()})")

        rows = []
        for name, spec in functions.items():
            code = scratch / "task" / name
            shutil.copytree(spec.code_dir, code, ignore=shutil.ignore_patterns("__pycache__"))
            for tracing in (False, True):
                row = measure(runtime, layer, code, spec, PROFILES[name], tracing, args.runs)
                rows.append(row)
                print(f"  {name} tracing {row.tracing}: ratio {row.ratio:.2f}", flush=True)

    print_table(rows, functions, args.runs)
    print(f"layer: {unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
