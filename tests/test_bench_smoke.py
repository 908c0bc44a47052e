"""The benchmarks still run (tiny sizes, no timing asserted): bench/ is run by hand and must not rot.

Marked ``bench``: the default ``python -m pytest -q`` leaves them out (``addopts``
has ``-m "not bench"``); ``python -m pytest -q -m bench`` runs them (.ci/run does).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

pytestmark = pytest.mark.bench


def _run(script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.parametrize(
    "script,args,expect",
    [
        ("bench_load.py", ["--months", "1", "--repeat", "1"], "speed-up vs cdf_to_xarray"),
        ("bench_cdf.py", ["--records", "20000", "--repeat", "1"], "cdf_to_xarray / helioport"),
        (
            "bench_floor.py",
            ["--repeat", "1", "--records", "500", "--samples", "5000"],
            "overhead per cached file",
        ),
        (
            "bench_events.py",
            ["--years", "0.1", "--loop-years", "0.02", "--repeat", "1"],
            "identical in all three",
        ),
    ],
)
def test_bench_runs_and_checks_its_results(script, args, expect):
    out = _run(script, *args)
    assert expect in out


@pytest.mark.skipif(
    importlib.util.find_spec("pyspedas") is None, reason="pyspedas is not installed"
)
def test_pyspedas_benches_run():
    assert "speed ratio" in _run(
        "bench_curlometer.py", "--samples", "20000", "--pyspedas-samples", "2000"
    )
    assert "speed-up vs pySPEDAS" in _run("bench_mms_fgm.py", "--repeat", "1")
