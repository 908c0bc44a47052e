"""helioport's pytest plugin gives any test suite its fixtures (as a third-party plugin's tests see them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

THIRD_PARTY_TESTS = """
import os

import pytest


def test_clean_env_and_cache_dir(cache_dir, tmp_path):
    assert "HELIOPORT_OMNI_URL" not in os.environ
    assert os.environ["HELIOPORT_CACHE_DIR"] == str(cache_dir) == str(tmp_path / "cache")


def test_real_file_skips_saying_why(real_file):
    real_file("mms", "nothing.cdf")


def test_real_file_finds_a_file(real_file):
    assert real_file("omni", "omni2_2010.dat").read_text() == "rows"


def test_sample_archive_and_server(sample_archive, sample_copy, server_for):
    sample = sample_archive("toy")
    assert sample.archive.source == "toy" and sorted(p.name for p in sample.root.iterdir()) == ["t1", "t2"]
    copy = sample_copy("toy")
    assert copy.root.name == "archive" and copy.archive == sample.archive
    server = server_for(copy.root)
    assert server.running and server.root == copy.root.resolve()


def test_an_unknown_mission_fails(sample_archive):
    sample_archive("no_such_mission")
"""


def _run(project: Path, ini: str, *args: str) -> subprocess.CompletedProcess:
    (project / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}\n")
    (project / "test_third_party.py").write_text(THIRD_PARTY_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELIOPORT_")}
    env["HELIOPORT_OMNI_URL"] = "https://machine.invalid/"  # must not leak into the tests
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_fixtures_reach_a_third_party_suite(tmp_path):
    real = tmp_path / "real"
    (real / "omni").mkdir(parents=True)
    (real / "omni" / "omni2_2010.dat").write_text("rows")
    project = tmp_path / "project"
    project.mkdir()
    proc = _run(project, 'helioport_real_data = "../real"')
    out = proc.stdout + proc.stderr
    assert "1 failed, 3 passed, 1 skipped" in out, out
    missing = real / "mms" / "nothing.cdf"
    assert f"real mission file {missing} is not available ({real} lacks it)" in out
    assert "UnknownMissionError" in out and "no_such_mission" in out  # an unknown mission fails


def test_real_file_skips_when_the_folder_is_absent_or_not_configured(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    absent = tmp_path / "shared" / "data" / "real"
    out = _run(project, 'helioport_real_data = "../shared/data/real"', "-k", "skips_saying").stdout
    assert f"({absent} absent)" in out, out
    out = _run(project, "", "-k", "skips_saying").stdout
    assert "no folder of real mission files configured (ini option helioport_real_data" in out


def test_clean_env_can_be_switched_off(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    out = _run(project, "helioport_clean_env = false", "-k", "clean_env").stdout
    assert "FAILED test_third_party.py::test_clean_env_and_cache_dir" in out, out
    assert "HELIOPORT_OMNI_URL" in out
