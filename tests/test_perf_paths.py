"""The warm path's bookkeeping is done once (issue 12), without losing what it guards.

- a CDF's structure is checked once per file version (path, size, mtime), and
  again when the file changes, so a damaged replacement is still refused;
- a warm fetch reads each sidecar once and sends no request for a file the
  listing still describes;
- loading data imports neither requests-cache (until a listing is asked for)
  nor the imaging stack (pymap3d, astropy) nor the test tooling.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cdf_samples import B, vector_series_file
from fresh_python import run_fresh
from helioport import cdfpycdfpp
from helioport.cdf import read_variables
from helioport.cdfbackends import READER_ENV
from helioport.config import Config
from helioport.errors import CorruptFileError
from helioport.schema import MissionSpec, RemoteFile, SourceSpec
from helioport.testing.server import ArchiveServer
from helioport.transport import Transport
from helioport.transport.cache import CacheLayout

CDF_HEAD = bytes.fromhex("cdf30001 0000ffff")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)
    monkeypatch.setenv(READER_ENV, "pycdfpp")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = cdfpycdfpp.check_structure

    def counting(buf: bytes, name: str) -> None:
        calls.append(name)
        real(buf, name)

    monkeypatch.setattr(cdfpycdfpp, "check_structure", counting)
    return calls


def test_an_unchanged_file_is_checked_once_a_changed_one_again(
    tmp_path: Path, checks: list[str]
) -> None:
    path = vector_series_file(tmp_path / "a.cdf", "2015-10-16", 200, 1 / 16)
    first = read_variables(path, [B])[B]
    second = read_variables(path, [B])[B]
    assert len(checks) == 1
    assert first.data.shape == second.data.shape == (200, 4)
    # replaced by another file (new size and mtime): checked again before it is decoded
    os.replace(vector_series_file(tmp_path / "b.cdf", "2015-10-16", 300, 1 / 16), path)
    assert read_variables(path, [B])[B].data.shape == (300, 4)
    assert len(checks) == 2


def test_a_file_damaged_after_a_good_read_is_still_refused(tmp_path: Path) -> None:
    path = vector_series_file(tmp_path / "a.cdf", "2015-10-16", 2000, 1 / 16)
    read_variables(path, [B])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated: a new size, so a new file version
    with pytest.raises(CorruptFileError, match="a.cdf"):
        read_variables(path, [B])


def _spec(base: str) -> MissionSpec:
    return MissionSpec(
        name="omni", sources=[SourceSpec(key="omni", url=base, env="HELIOPORT_OMNI_URL")]
    )


def test_a_warm_fetch_reads_each_sidecar_once_and_fetches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "archive" / "omni" / "hro_1min" / "2010"
    folder.mkdir(parents=True)
    for i, n in enumerate((700, 900, 1100)):
        (folder / f"omni_hro_1min_2010010{i + 1}_v01.cdf").write_bytes(
            CDF_HEAD + bytes(n - len(CDF_HEAD))
        )
    cfg = Config.load(cache_dir=tmp_path / "cache", progress=False, retries=1, backoff=0.01)
    with ArchiveServer(tmp_path / "archive") as server, Transport(cfg) as t:
        ctx = t.context(_spec(server.url + "omni/"), offline=False)
        entries = ctx.list_dir(ctx.join(ctx.base_url(), "hro_1min", "2010/"))
        files = [
            RemoteFile(
                url=e.url,
                relpath=f"hro_1min/2010/{e.name}",
                mission="omni",
                key=e.name[:-8],
                version="01",
                size=e.size,
                mtime=e.mtime,
            )
            for e in entries
        ]
        assert [f.action for f in t.fetch(files, offline=False)] == ["downloaded"] * 3
        reads: list[str] = []
        real = CacheLayout.read_meta

        def counting(self: CacheLayout, f: RemoteFile) -> dict | None:
            reads.append(f.relpath)
            return real(self, f)

        monkeypatch.setattr(CacheLayout, "read_meta", counting)
        server.clear_log()
        again = t.fetch(files, offline=False)
        assert [f.action for f in again] == ["cached"] * 3
        assert sorted(reads) == sorted(f.relpath for f in files)  # each sidecar once
        assert [r.path for r in server.log if r.path.endswith(".cdf")] == []
        assert [f.path.stat().st_size for f in again] == [700, 900, 1100]


def test_loading_data_imports_neither_requests_cache_nor_imaging_nor_test_tooling(
    tmp_path: Path,
) -> None:
    code = (
        "import sys, helioport\n"
        "from helioport.registry import get_registry\n"
        "import helioport.lifecycle\n"
        "reg = get_registry()\n"
        "assert reg.missions(), 'no plugin installed'\n"
        "heavy = ['requests_cache', 'pymap3d', 'astropy', 'helioport.testing']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    assert run_fresh(code, tmp_path) == ""


def test_a_warm_load_from_a_folder_imports_no_http_store_lock_or_progress_library(
    tmp_path: Path,
) -> None:
    """requests, urllib3, fsspec, filelock and tqdm load when first needed (issue 12's first
    use): a cold load from a folder mirror copies the file (fsspec, filelock), a warm one
    needs none. Nor do loads need cdflib (pycdfpp reads; the leap-second table is read from
    cdflib's file), html.parser (HTML listings), sqlite3 (the listing cache) or tomllib (a
    config file)."""
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import helioport\n"
        "kw = dict(products='dc_mag', probes='mms1', mode='brst')\n"
        "lazy = ['requests', 'urllib3', 'fsspec', 'filelock', 'tqdm', 'requests_cache',\n"
        "        'cdflib', 'html.parser', 'sqlite3', 'tomllib']\n"
        "for m in lazy:\n"
        "    sys.modules.pop(m, None)\n"
        "helioport.load('mms', '2015-10-16T13:05:24', '2015-10-16T13:05:25', **kw)\n"
        "print(','.join(m for m in lazy if m in sys.modules))\n"
    )
    from helioport_mms.fixtures import write_fgm

    write_fgm(tmp_path / "mirror", "mms1", "brst", "2015-10-16T13:05:24", 256)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELIOPORT_")}
    env["HELIOPORT_CONFIG"] = os.devnull
    env["HELIOPORT_CACHE_DIR"] = str(tmp_path / "cache")
    env["HELIOPORT_MMS_URL"] = str(tmp_path / "mirror")
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, check=False, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "fsspec,filelock"  # the file was copied into the cache
    warm = subprocess.run(run, check=False, capture_output=True, text=True, env=env, timeout=120)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.strip() == ""
