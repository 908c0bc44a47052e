"""bench/bench_scale.py still runs (2 monthly files, no timing asserted); marked ``bench``
(``python -m pytest -q -m bench`` runs it, the default suite leaves it out)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

pytestmark = pytest.mark.bench


def test_bench_scale_runs_and_agrees_in_every_mode(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("helioport_omni")
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_scale.py"),
            "--months",
            "2",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "identical in every mode: True" in out
    for mode in ("eager", "lazy", "cluster"):
        assert f"\n{mode} " in out
