"""The keogram benchmark still runs (tiny size, no timing asserted); ``-m bench`` selects it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench
BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_keogram.py"


def test_bench_keogram_runs_and_checks_its_results(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCH), "--hours", "2", "--frames", "30", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "keogram checks passed" in out.stdout
    assert "peak resident memory" in out.stdout and "ms/frame" in out.stdout
