"""The import benchmark runs (a smoke test on the embedded store: figures are not checked,
the embedded store is no benchmark backend)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.processes import clean_env

BENCH = Path(__file__).resolve().parents[2] / "bench" / "import_bench.py"


def _bench(script: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a bench script as a user would, in its own process, with a clean environment."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
    )


def test_import_bench_prints_every_figure():
    result = _bench(BENCH, "--lines", "300", "--batch", "100", "--embedded")
    assert result.returncode == 0, result.stderr
    for figure in (
        "parse+validate:",
        "whole import:",
        "raw driver bulk upsert:",
        "whole import / raw driver:",
        "peak RSS",
    ):
        assert figure in result.stdout, result.stdout
    assert "SUCCEEDED, 300 applied" in result.stdout


EMBEDDED_BENCH = BENCH.parent / "embedded_bench.py"


def test_embedded_bench_prints_the_envelope_table():
    result = _bench(EMBEDDED_BENCH, "--users", "300", timeout=180)
    assert result.returncode == 0, result.stderr
    header, _, row = result.stdout.splitlines()[1:4]
    assert header.startswith("| users | upsert all (500 a batch) | user(id) |")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "300" and len(cells) == 6
    assert all(cell.endswith((" s", " ms")) for cell in cells[1:]), row


SERVED = BENCH.with_name("serve_import_bench.py")


def test_served_import_bench_prints_every_figure():
    result = _bench(SERVED, "--lines", "300", "--max-seconds", "60")
    assert result.returncode == 0, result.stderr
    assert "import: SUCCEEDED, 300 of 300 lines" in result.stdout, result.stdout
    for figure in ("lines/s", "/healthz:", "GraphQL segments(first: 1):", "worst"):
        assert figure in result.stdout, result.stdout


ASGI = BENCH.with_name("asgi_bench.py")


def test_asgi_bench_prints_cpu_per_request_and_logs_as_serve():
    result = _bench(ASGI, "--requests", "30", "--rounds", "1", "--log", "json")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^list: \d+ us CPU per request", result.stdout, re.M), result.stdout
    log_file = Path(re.search(r"access log: (\S+)", result.stderr).group(1))
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    access = [line for line in lines if line.get("logger") == "seg_graphql.access"]
    assert len(access) >= 30 and access[-1]["status"] == 200 and access[-1]["operation"] == "List"
    profiled = _bench(ASGI, "--requests", "30", "--profile")
    assert profiled.returncode == 0, profiled.stderr
    assert "compiled execution" in profiled.stdout and "us per request" in profiled.stdout


ICOUNT = BENCH.with_name("icount.py")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="bench/icount.py runs valgrind")
def test_icount_prints_instructions_per_request():
    result = _bench(ICOUNT, "--requests", "5", "--log", "text", timeout=300)
    assert result.returncode == 0, result.stderr
    figure = re.search(
        r"^list log=text this tree: ([\d.]+)M instructions per request", result.stdout
    )
    assert figure and 0.5 < float(figure.group(1)) < 20, result.stdout
