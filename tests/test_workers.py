"""Lazy loads and event searches on a ``dask.distributed`` cluster with no shared cache folder.

Two worker processes (one of two threads), each with its own ``HELIOPORT_CACHE_DIR``, and a client
whose cache folder the workers never see (it is deleted before the compute):
each worker fetches the files its chunks need from where they are (a local
HTTP archive server, then a local S3 server: moto) into its own cache, once,
and the results equal a local eager load. A damaged file in a worker's cache
is moved aside and fetched again there.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import helioport
import numpy as np
import pytest
from helioport.events import find_events
from helioport.testing.server import ArchiveServer

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.array")
write_hro_month = pytest.importorskip("helioport_omni.sample").write_hro_month

PRODUCTS = ["dc_mag", "i_dens"]
SPAN = ("2010-01-01", "2010-04-01")
CRITERIA = "dc_mag_z < -6 and i_dens > 1"
SEARCH = {"window": "30min", "step": "10min", "progress": False}
MONTHS = [f"omni_hro_1min_2010{m:02d}01_v01.cdf" for m in (1, 2, 3)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Iterator[ArchiveServer]:
    """Three monthly OMNI HRO 1-min files (ten days each), served over HTTP on 127.0.0.1."""
    root = tmp_path_factory.mktemp("omni_archive")
    for m in (1, 2, 3):
        write_hro_month(root, dt.date(2010, m, 1), "1min", days=10, seed=m)
    with ArchiveServer(root) as server:
        yield server


def _aws_env(endpoint: str, folder: Path) -> dict[str, str]:
    """Anonymous requests to the S3 server at ``endpoint``, nothing from the machine's AWS setup."""
    return {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="module")
def s3(archive, tmp_path_factory) -> Iterator[tuple[str, dict[str, str]] | None]:
    """The archive in a public bucket of a local S3 server: its URL and the AWS environment to
    reach it (``None`` without moto's server or s3fs)."""
    if not all(importlib.util.find_spec(m) for m in ("moto", "s3fs", "boto3")):
        yield None
        return
    from helioport.testing.s3server import S3Server

    with S3Server() as server:
        server.make_bucket("helio-workers")
        server.upload_folder(archive.root, "s3://helio-workers/omni/")
        yield "s3://helio-workers/omni/", _aws_env(server.endpoint, tmp_path_factory.mktemp("aws"))


@pytest.fixture(scope="module")
def worker_caches(tmp_path_factory) -> list[Path]:
    base = tmp_path_factory.mktemp("workers")
    return [base / f"cache{i}" for i in range(2)]


@pytest.fixture(scope="module")
def client(worker_caches, s3) -> Iterator[distributed.Client]:
    """Two worker processes (nannies), each with its own cache folder in its environment (and
    the S3 server's endpoint)."""
    import dask
    from distributed import Nanny, Scheduler, SpecCluster

    def env(cache: Path) -> dict[str, str]:
        aws = s3[1] if s3 is not None else {}
        return {"HELIOPORT_CACHE_DIR": str(cache), "HELIOPORT_CONFIG": os.devnull, **aws}

    # w0 runs two threads: its chunks share one fsspec filesystem (and HTTP session) at once
    workers = {
        f"w{i}": {"cls": Nanny, "options": {"nthreads": 2 - i, "env": env(c), "silence_logs": 40}}
        for i, c in enumerate(worker_caches)
    }
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": None}}
    with (
        dask.config.set({"distributed.scheduler.no-workers-timeout": "60s"}),  # fail, never hang
        SpecCluster(workers=workers, scheduler=scheduler, silence_logs=40) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def eager(archive, tmp_path_factory):
    """The reference: a local eager load (its own cache folder)."""
    cache = tmp_path_factory.mktemp("eager_cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ten days a month: a partial load
        return helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(cache),
        )  # fmt: skip


def _open_lazy(archive: ArchiveServer, cache: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(cache), lazy=True,
        )  # fmt: skip


def _held(cache: Path) -> set[str]:
    """Names of the OMNI files a cache folder holds."""
    return {p.name for p in (cache / "omni").rglob("*.cdf")} if cache.is_dir() else set()


def _downloads(server: ArchiveServer, name: str | None = None) -> int:
    return sum(
        1
        for r in server.log
        if r.path.endswith(".cdf") and r.status == 200 and (name is None or r.path.endswith(name))
    )


def _same(got, want) -> None:
    assert list(got.data_vars) == list(want.data_vars)
    for name in want.data_vars:
        np.testing.assert_array_equal(got[name].values, want[name].values)
        assert got[name].attrs == want[name].attrs


def _events(cat) -> list:
    return [(e.start, e.stop, e.values) for e in cat]


def _workers_cache_dirs(client) -> set[str]:
    return set(client.run(lambda: helioport.config.Config.load().cache_dir.as_posix()).values())


def test_workers_have_their_own_cache_folders(client, worker_caches):
    workers = client.scheduler_info()["workers"].values()
    assert sorted(w["nthreads"] for w in workers) == [1, 2]
    assert _workers_cache_dirs(client) == {str(c.resolve()) for c in worker_caches}


def test_a_lazy_load_computed_on_workers_without_the_client_cache(
    archive, client, worker_caches, eager, tmp_path
):
    lz = _open_lazy(archive, tmp_path / "client_cache")
    assert _held(tmp_path / "client_cache") == set(MONTHS)
    shutil.rmtree(tmp_path / "client_cache")  # the workers cannot read it
    before = {name: _downloads(archive, name) for name in MONTHS}
    _same(lz.compute(), eager)
    assert not (tmp_path / "client_cache").exists()
    _same(lz.compute(), eager)  # again: a chunk may now run on the other worker
    # each file fetched into the cache of each worker that read it, once
    for name in MONTHS:
        holders = sum(name in _held(c) for c in worker_caches)
        assert 1 <= holders == _downloads(archive, name) - before[name]


def test_workers_read_the_client_cache_when_they_see_the_same_file(
    archive, client, worker_caches, eager, tmp_path
):
    lz = _open_lazy(archive, tmp_path / "shared")  # the workers run on this machine: a shared disk
    before = ({p for c in worker_caches for p in (c / "omni").rglob("*.cdf")}, _downloads(archive))
    _same(lz.compute(), eager)
    after = ({p for c in worker_caches for p in (c / "omni").rglob("*.cdf")}, _downloads(archive))
    assert after == before  # nothing fetched: the client's copies were read where they are


def test_event_search_of_a_lazy_load_on_workers(archive, client, eager, tmp_path):
    want = find_events(eager, CRITERIA, use_dask=False, **SEARCH)
    assert len(want) >= 3
    lz = _open_lazy(archive, tmp_path / "client_cache")
    shutil.rmtree(tmp_path / "client_cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Sending large graph"
        got = find_events(lz, CRITERIA, chunk="7D", **SEARCH)
    assert got.provenance["searched"] == want.provenance["searched"]
    assert _events(got) == _events(want)


def test_event_search_of_a_request_on_workers_uses_the_client_mirror(
    archive, client, worker_caches, monkeypatch, cache_dir
):
    # the mirror is in the client's environment only: the chunks carry it to the workers
    monkeypatch.setenv("HELIOPORT_OMNI_URL", archive.url)
    request = {"mission": "omni", "start": SPAN[0], "end": SPAN[1], "mode": "1min"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the archive has 10 days a month: a partial search
        got = find_events(request, CRITERIA, chunk="7D", **SEARCH)
        # the client probed the first slice only; the chunks were loaded into the workers' caches
        assert _held(cache_dir) == {MONTHS[0]}
        assert set().union(*(_held(c) for c in worker_caches)) == set(MONTHS)
        want = find_events(request, CRITERIA, chunk="7D", use_dask=False, **SEARCH)
    assert len(want) >= 3
    assert _events(got) == _events(want)
    assert got.provenance["searched"] == want.provenance["searched"]


def _garble(path: Path, keep: int = 8) -> None:
    """Keep the size and the magic number, replace the rest with noise."""
    data = path.read_bytes()
    noise = np.random.default_rng(7).integers(0, 256, len(data) - keep, dtype=np.uint8)
    path.write_bytes(data[:keep] + noise.tobytes())


def test_a_damaged_file_in_a_worker_cache_is_fetched_again_there(
    archive, client, worker_caches, eager, tmp_path
):
    lz = _open_lazy(archive, tmp_path / "client_cache")
    shutil.rmtree(tmp_path / "client_cache")
    url = archive.url

    def fill() -> None:  # every month in the cache of every worker
        helioport.load("omni", *SPAN, products=PRODUCTS, mode="1min", base_url=url)

    client.run(fill)
    damaged = [next((c / "omni").rglob(MONTHS[1])) for c in worker_caches]
    for p in damaged:
        _garble(p)
    before = _downloads(archive, MONTHS[1])
    _same(lz.compute(), eager)  # two chunks read February (dc_mag, i_dens), on one or two workers
    healed = [p for p in damaged if (p.parent / f".{p.name}.damaged").is_file()]
    assert 1 <= len(healed) == _downloads(archive, MONTHS[1]) - before
    assert all(p.stat().st_size == damaged[0].stat().st_size for p in healed)


def _open_on_workers(archive: ArchiveServer, cache: Path):
    """A lazy load opened by a worker: ``load(..., lazy=True, download="workers")``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(cache), lazy=True, download="workers",
        )  # fmt: skip


def test_download_by_the_workers_the_client_fetches_nothing(
    archive, client, worker_caches, eager, tmp_path
):
    for c in worker_caches:
        shutil.rmtree(c, ignore_errors=True)
    before = {name: _downloads(archive, name) for name in MONTHS}
    lz = _open_on_workers(archive, tmp_path / "client_cache")
    assert _held(tmp_path / "client_cache") == set()  # listings only
    held = [_held(c) for c in worker_caches]
    assert set(MONTHS) in held  # one worker opened the load: it holds every file
    assert all(_downloads(archive, n) - before[n] == 1 for n in MONTHS)
    assert lz.attrs["chunks"] == "file" and lz["dc_mag"].chunks[0] == (14400, 14400, 14400)
    _same(lz.compute(), eager)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = find_events(lz, CRITERIA, chunk="7D", **SEARCH)
    assert _events(got) == _events(find_events(eager, CRITERIA, use_dask=False, **SEARCH))


def test_download_by_the_workers_is_for_lazy_loads_only(archive, tmp_path):
    with pytest.raises(helioport.errors.InvalidRequestError, match="is for lazy loads"):
        helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(tmp_path), download="workers",
        )  # fmt: skip
    with pytest.raises(helioport.errors.InvalidRequestError, match="download='servers' is not"):
        helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(tmp_path), lazy=True, download="servers",
        )  # fmt: skip
    assert not _held(tmp_path)


def test_an_offline_load_on_workers_without_its_files_says_what_to_do(
    archive, client, worker_caches, tmp_path
):
    _open_lazy(archive, tmp_path / "client_cache")  # cached on the client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lz = helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=archive.url,
            cache_dir=str(tmp_path / "client_cache"), lazy=True, offline=True,
        )  # fmt: skip
    shutil.rmtree(tmp_path / "client_cache")
    for c in worker_caches:
        shutil.rmtree(c, ignore_errors=True)
    with pytest.raises(helioport.errors.OfflineError) as err:
        lz["dc_mag"].compute()
    text = str(err.value)
    assert "(a dask worker), which does not see the cache" in text and "offline" in text
    assert str(tmp_path / "client_cache") in text and "shared disk" in text
    assert not any(_held(c) for c in worker_caches)  # offline: nothing fetched


def test_workers_read_from_an_object_store_into_their_own_caches(
    s3, client, worker_caches, eager, tmp_path, monkeypatch, cache_dir
):
    if s3 is None:
        pytest.skip("needs moto[server], boto3 and s3fs (pip install 'helioport[test]')")
    url, aws = s3
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    for c in worker_caches:  # what the other tests fetched over HTTP
        shutil.rmtree(c, ignore_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lz = helioport.load(
            "omni", *SPAN, products=PRODUCTS, mode="1min", base_url=url,
            cache_dir=str(tmp_path / "client_cache"), lazy=True,
        )  # fmt: skip
    assert lz["dc_mag"].attrs["files"] == eager["dc_mag"].attrs["files"]
    shutil.rmtree(tmp_path / "client_cache")
    _same(lz.compute(), eager)
    assert set().union(*(_held(c) for c in worker_caches)) == set(MONTHS)
    sidecars = [json.loads(p.read_text()) for c in worker_caches for p in c.rglob("*.cdf.json")]
    assert sidecars and all(m["url"].startswith(url) for m in sidecars)
    # an event search of a request, the bucket named in the client's environment only
    want = find_events(eager, CRITERIA, use_dask=False, **SEARCH)
    monkeypatch.setenv("HELIOPORT_OMNI_URL", url)
    request = {"mission": "omni", "start": SPAN[0], "end": "2010-03-11", "mode": "1min"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ten days a month: a partial search
        got = find_events(request, CRITERIA, chunk="7D", **SEARCH)
    assert _events(got) == _events(want)
    assert _held(cache_dir) == {MONTHS[0]}  # the client probed the first week only
