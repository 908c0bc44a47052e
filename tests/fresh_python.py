"""Run code in a fresh interpreter (what a first import or first use costs is seen only there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_fresh(code: str, tmp_path: Path, **env_extra: str) -> str:
    """The stripped stdout of ``python -c code``, with helioport's settings cleared: no config
    file, a cache under ``tmp_path``, then ``env_extra``. Fails the test if the code fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELIOPORT_")}
    env["HELIOPORT_CONFIG"] = os.devnull
    env["HELIOPORT_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()
