"""Bulk prefetch (``helioport.prefetch`` and ``helioport fetch``): summary, resumable after a kill."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helioport.cli import main
from helioport.prefetch import prefetch

write_hro_month = pytest.importorskip("helioport_omni.sample").write_hro_month

N_FILES = 100


def _months(n: int, first: dt.date = dt.date(2001, 1, 1)) -> list[dt.date]:
    return [
        dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def hundred(tmp_path_factory) -> Path:
    """100 monthly OMNI HRO 1-min files (one day of records each, ~250 kB), 2001-01..2009-04."""
    root = tmp_path_factory.mktemp("omni100")
    for m in _months(N_FILES):
        write_hro_month(root, m, "1min", days=1)
    return root


def _cdf_gets(log) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in log if r.method == "GET" and r.path.endswith(".cdf")]


def test_prefetch_summary_fetched_reused_failed(omni_root, server_for, cache_dir):
    server = server_for(omni_root)
    kw = {
        "products": ["dc_mag"],
        "mode": "1min",
        "base_url": server.url,
        "cache_dir": str(cache_dir),
    }
    first = prefetch("omni", "2010-01-01", "2010-01-03", **kw)
    assert first.fetched == ["omni_hro_1min_20100101_v01.cdf"] and first.reused == []
    assert first.ok and first.bytes == (cache_dir / "omni").rglob("*.cdf").__next__().stat().st_size
    again = prefetch("omni", "2010-01-01", "2010-01-03", **kw)
    assert again.fetched == [] and again.reused == ["omni_hro_1min_20100101_v01.cdf"]
    assert "1 files: 0 fetched (0.0 MB), 1 reused, 0 failed" in str(again)


def test_a_failing_file_is_in_the_summary_and_the_others_are_fetched(hundred, server_for, tmp_path):
    server = server_for(hundred)
    server.add_fault("*20010301_v01.cdf", "status", times=100, status=404)
    s = prefetch(
        "omni",
        "2001-01-01",
        "2001-05-01",
        "dc_mag",
        mode="1min",
        base_url=server.url,
        cache_dir=str(tmp_path / "c"),
        progress=False,
    )
    assert sorted(s.failed) == ["omni_hro_1min_20010301_v01.cdf"]
    assert len(s.fetched) == 3 and not s.ok
    assert "Run the same command again" in str(s)


def test_killed_download_of_100_files_resumes_without_refetching(hundred, server_for, tmp_path):
    server = server_for(hundred)
    # every file dripped out in ~0.4 s, so a kill lands mid-way (and likely mid-file)
    server.add_fault("*.cdf", "drip", times=10 * N_FILES, interval=0.04, size=32768)
    cache = tmp_path / "cache"
    cmd = [
        sys.executable, "-m", "helioport.cli", "fetch", "omni", "2001-01-01", "2009-05-01",
        "-p", "dc_mag", "--mode", "1min", "--base-url", server.url, "--cache-dir", str(cache),
        "--no-progress",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = list(cache.rglob("*.cdf"))
            if len(done) >= 20:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    complete = {p.name for p in cache.rglob("*.cdf")}
    assert 20 <= len(complete) < N_FILES
    asked_before = len(server.log)
    server.clear_faults()
    summary = prefetch(
        "omni",
        "2001-01-01",
        "2009-05-01",
        "dc_mag",
        mode="1min",
        base_url=server.url,
        cache_dir=str(cache),
        progress=False,
    )
    again = _cdf_gets(server.log[asked_before:])
    assert summary.ok
    assert set(summary.reused) == complete
    assert len(summary.fetched) == N_FILES - len(complete)
    assert sorted(again) == sorted(summary.fetched)  # no complete file downloaded again
    assert not set(again) & complete
    assert len(list(cache.rglob("*.cdf"))) == N_FILES
    assert not list(cache.rglob("*.part"))  # partial downloads redone, none left behind


def test_cli_fetch_prints_the_summary(omni_root, server_for, cache_dir, capsys):
    server = server_for(omni_root)
    args = [
        "fetch", "omni", "2010-01-01", "2010-01-03", "-p", "dc_mag", "i_dens", "--mode", "1min",
        "--base-url", server.url, "--cache-dir", str(cache_dir), "--no-progress",
    ]  # fmt: skip
    assert main(args) == 0
    assert "1 files: 1 fetched" in capsys.readouterr().out
    assert main(args) == 0
    assert "1 files: 0 fetched (0.0 MB), 1 reused, 0 failed" in capsys.readouterr().out
    assert main([*args, "--offline"]) == 2
    assert "cannot run with --offline" in capsys.readouterr().err
