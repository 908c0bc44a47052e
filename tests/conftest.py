"""Shared fixtures: a clean helioport environment per test, real-data paths, sample archives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No HELIOPORT_* setting leaks in from the machine; the cache is per test."""
    import os

    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELIOPORT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "cache"))
    yield


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def real_file(*parts: str) -> Path:
    """A file of ../shared/data/real, or skip the test saying why."""
    path = REAL.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"real mission file {path} is not available (../shared/data/real absent)")
    return path


@pytest.fixture(scope="session")
def omni_sample(tmp_path_factory) -> Path:
    """A generated OMNI archive (HRO 1/5-min for 2010-01-01..03 and OMNI2 2010), written once."""
    from helioport_omni.sample import make_sample_archive

    root = tmp_path_factory.mktemp("omni_sample")
    make_sample_archive(root)
    return root


@pytest.fixture
def omni_root(tmp_path, omni_sample) -> Path:
    """A private copy of the OMNI sample archive a test may change."""
    root = tmp_path / "archive"
    shutil.copytree(omni_sample, root)
    return root


@pytest.fixture
def server_for():
    """Start ArchiveServers on 127.0.0.1; all stopped at teardown."""
    from helioport.testing import ArchiveServer

    started = []

    def start(root: Path) -> ArchiveServer:
        srv = ArchiveServer(root).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()
