"""pytest fixtures for helioport and its plugins' test suites (public).

Installing ``helioport`` registers this module as a pytest plugin (entry point
group ``pytest11``, name ``helioport``), so the fixtures below are available in
every test suite of the environment with nothing to import, in the core's
tests and in a plugin's own ``tests/`` folder alike:

``clean_env`` (autouse)
    No ``HELIOPORT_*`` setting leaks in from the machine: no config file is
    read (``HELIOPORT_CONFIG`` is ``os.devnull``) and each test gets its own
    cache folder (``tmp_path / "cache"``).
    Switch it off with ``helioport_clean_env = false`` in the pytest
    configuration (or ``-p no:helioport``).
``cache_dir``
    That per-test cache folder.
``real_file``
    ``real_file("mms", "mms1_fgm_..cdf")`` is the path of a real mission file,
    or skips the test saying which file is missing. The folder is the ini
    option ``helioport_real_data`` (relative to the rootdir), or the
    ``HELIOPORT_REAL_DATA`` environment variable when the test session starts.
``server_for``
    ``server_for(root, **kwargs)`` starts an :class:`ArchiveServer` on
    127.0.0.1 (keyword arguments as the class takes, e.g. ``apis=``); every
    server started is stopped at teardown.
``sample_archive``
    ``sample_archive("omni")`` writes (once per session) the sample archive a
    plugin ships through the ``helioport_sample_archive`` hook and returns a
    :class:`WrittenSample` (``root`` and the :class:`~helioport.schema.SampleArchive`);
    treat it as read-only, ``sample_copy`` gives a private copy.
``sample_copy``
    ``sample_copy("omni")``: a copy of that sample a test may change, in
    ``tmp_path / "archive"`` (or ``sample_copy("omni", dest)``).
``s3_server``
    A real S3 API on 127.0.0.1 (:class:`~helioport.testing.s3server.S3Server`,
    moto's server, one per session, emptied for each test) with
    ``AWS_ENDPOINT_URL_S3`` pointing at it and every other ``AWS_*`` setting
    and AWS config file out of the way, so requests are anonymous unless the
    test sets credentials. Skips when ``moto[server]`` or ``s3fs`` is missing.

Examples
--------
A plugin's ``tests/test_myplugin.py``::

    def test_loads_from_the_sample(sample_copy, server_for):
        sample = sample_copy("mymission")
        server = server_for(sample.root)
        ds = helioport.load("mymission", base_url={sample.archive.source: server.url},
                            **sample.archive.load_kwargs())
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..registry import get_registry
from ..schema import SampleArchive
from .s3server import S3Server
from .server import ArchiveServer

__all__ = [
    "WrittenSample",
    "cache_dir",
    "clean_env",
    "real_file",
    "s3_server",
    "sample_archive",
    "sample_copy",
    "server_for",
]

_REAL_DATA_INI = "helioport_real_data"
_REAL_DATA_ENV = "HELIOPORT_REAL_DATA"
_CLEAN_ENV_INI = "helioport_clean_env"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _REAL_DATA_INI,
        "folder of real mission files for the real_file fixture (relative to the rootdir)",
        default="",
    )
    parser.addini(
        _CLEAN_ENV_INI,
        "give each test a clean helioport environment (no HELIOPORT_* variables, own cache)",
        type="bool",
        default=True,
    )


@dataclass(frozen=True)
class WrittenSample:
    """A plugin's sample archive written on disk.

    Attributes
    ----------
    root : pathlib.Path
        The folder the sample was written into (the base URL of ``archive.source``).
    archive : SampleArchive
        What the plugin answered: the source key and a request the sample satisfies.
    """

    root: Path
    archive: SampleArchive


@pytest.fixture(autouse=True)
def clean_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ``HELIOPORT_*`` setting leaks in from the machine; the cache is per test."""
    if not request.config.getini(_CLEAN_ENV_INI):
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    # no config file at all (os.devnull is how HELIOPORT_CONFIG says so): the user's
    # config is never read; a test wanting settings writes its own file and points there
    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "cache"))
    yield


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """The test's own cache folder (``HELIOPORT_CACHE_DIR`` under ``clean_env``)."""
    return tmp_path / "cache"


_REAL_DATA_KEY = pytest.StashKey["Path | None"]()


def pytest_configure(config: pytest.Config) -> None:
    # read once, before any test's clean_env removes HELIOPORT_* variables
    configured = os.environ.get(_REAL_DATA_ENV) or config.getini(_REAL_DATA_INI)
    folder = (config.rootpath / str(configured)).resolve() if configured else None
    config.stash[_REAL_DATA_KEY] = folder


@pytest.fixture(scope="session")
def real_file(pytestconfig: pytest.Config) -> Callable[..., Path]:
    """``real_file(*parts)``: a real mission file under the configured folder, or skip saying why."""
    folder = pytestconfig.stash.get(_REAL_DATA_KEY, None)

    def find(*parts: str) -> Path:
        if folder is None:
            pytest.skip(
                f"no folder of real mission files configured "
                f"(ini option {_REAL_DATA_INI} or {_REAL_DATA_ENV})"
            )
        path = folder.joinpath(*parts)
        if not path.is_file():
            why = "absent" if not folder.is_dir() else "lacks it"
            pytest.skip(f"real mission file {path} is not available ({folder} {why})")
        return path

    return find


@pytest.fixture
def server_for() -> Iterator[Callable[..., ArchiveServer]]:
    """``server_for(root, **kwargs)`` starts an ArchiveServer; all are stopped at teardown."""
    started: list[ArchiveServer] = []

    def start(root: Path, **kwargs: Any) -> ArchiveServer:
        srv = ArchiveServer(root, **kwargs).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def sample_archive(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], WrittenSample]:
    """``sample_archive(mission)``: the plugin's sample archive, written once per session."""
    written: dict[str, WrittenSample] = {}

    def get(mission: str) -> WrittenSample:
        if mission not in written:
            reg = get_registry()
            reg.mission(mission)  # an unknown mission fails here, naming the installed ones
            root = tmp_path_factory.mktemp(f"{mission}_sample")
            answer = reg.call("helioport_sample_archive", mission, mission=mission, root=root)
            if answer is None:
                pytest.skip(f"the {mission} plugin ships no sample archive")
            written[mission] = WrittenSample(root, answer)
        return written[mission]

    return get


@pytest.fixture
def sample_copy(
    sample_archive: Callable[[str], WrittenSample], tmp_path: Path
) -> Callable[..., WrittenSample]:
    """``sample_copy(mission, dest=None)``: a private copy of the sample (default ``tmp_path / "archive"``)."""

    def copy(mission: str, dest: Path | None = None) -> WrittenSample:
        sample = sample_archive(mission)
        root = Path(dest) if dest is not None else tmp_path / "archive"
        shutil.copytree(sample.root, root)
        return WrittenSample(root, sample.archive)

    return copy


@pytest.fixture(scope="session")
def helioport_s3_session() -> Iterator[S3Server]:
    """The session's S3 server (use ``s3_server``, which empties it and sets the environment)."""
    for module, what in (("moto.server", "moto[server]"), ("s3fs", "s3fs")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f"{what} is not installed (pip install 'helioport[test]')")
    with S3Server() as server:
        yield server


@pytest.fixture
def s3_server(
    helioport_s3_session: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> S3Server:
    """An empty S3 server on 127.0.0.1 with ``AWS_ENDPOINT_URL_S3`` set and no AWS credentials."""
    server = helioport_s3_session
    server.reset()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint)
    # nothing from the machine: no AWS config files, no instance-metadata lookups
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return server
