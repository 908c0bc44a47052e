"""Lazy loads (``load(..., lazy=True)``): one dask chunk per file, identical to eager loads,
derivations and event search staying lazy, and the same code on a 2-worker LocalCluster."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import helioport
import numpy as np
import pytest
from helioport import lazy
from helioport.errors import InvalidRequestError
from helioport.events import find_events

pytest.importorskip("dask.array")
write_hro_month = pytest.importorskip("helioport_omni.sample").write_hro_month

PRODUCTS = ["dc_mag", "i_dens", "mag_elev_angle"]
CRITERIA = "dc_mag_z < -6 and i_dens > 1"


@pytest.fixture(scope="module")
def year_root(tmp_path_factory) -> Path:
    """A generated year (2010) of OMNI HRO 1-min data: 12 monthly CDFs."""
    root = tmp_path_factory.mktemp("omni_year")
    for m in range(1, 13):
        write_hro_month(root, dt.date(2010, m, 1), "1min", seed=m)
    return root


def _load(root: Path, cache: Path, **kw):
    return helioport.load(
        "omni",
        "2010-01-01",
        "2011-01-01",
        products=PRODUCTS,
        mode="1min",
        base_url=str(root),
        cache_dir=str(cache),
        **kw,
    )


@pytest.fixture(scope="module")
def both(year_root, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _load(year_root, cache), _load(year_root, cache, lazy=True)


def test_lazy_load_equals_eager(both):
    eager, lz = both
    assert lazy.is_lazy(lz) and not lazy.is_lazy(eager)
    assert list(lz.data_vars) == list(eager.data_vars)
    for name in eager.data_vars:
        assert lz[name].chunks is not None
        assert lz[name].dims == eager[name].dims
        assert lz[name].attrs == eager[name].attrs  # provenance: files, versions, units...
        np.testing.assert_array_equal(lz[name].values, eager[name].values)
    # one chunk per monthly file
    assert lz["dc_mag"].chunks[0] == tuple(
        31 * 1440 if m in (1, 3, 5, 7, 8, 10, 12) else (28 if m == 2 else 30) * 1440
        for m in range(1, 13)
    )
    assert lz.attrs["chunks"] == "file"
    assert {k: v for k, v in lz.attrs.items() if k != "chunks"} == eager.attrs


def test_sel_of_a_week_reads_one_or_two_files(both, monkeypatch):
    _, lz = both
    reads: list[list[str]] = []
    real = lazy.read_one

    def counting(reg, plan, product, probe, files):
        reads.append([f.remote.name for f in files])
        return real(reg, plan, product, probe, files)

    monkeypatch.setattr(lazy, "read_one", counting)
    week = lz["dc_mag"].sel(time_dc_mag=slice("2010-03-03", "2010-03-09T23:59"))
    assert reads == []  # nothing read before compute
    values = week.compute(scheduler="synchronous")
    assert reads == [["omni_hro_1min_20100301_v01.cdf"]]
    assert values.sizes["time_dc_mag"] == 7 * 1440
    reads.clear()
    lz["i_dens"].sel(time_i_dens=slice("2010-04-28", "2010-05-04")).compute(scheduler="synchronous")
    assert sorted(r[0] for r in reads) == [
        "omni_hro_1min_20100401_v01.cdf",
        "omni_hro_1min_20100501_v01.cdf",
    ]


def test_derivation_stays_lazy_and_reads_only_its_block(both, monkeypatch):
    eager, lz = both
    assert lz["mag_elev_angle"].chunks[0] == lz["dc_mag"].chunks[0]
    reads: list[str] = []
    real = lazy.read_one

    def counting(reg, plan, product, probe, files):
        reads.append(files[0].remote.name)
        return real(reg, plan, product, probe, files)

    monkeypatch.setattr(lazy, "read_one", counting)
    part = lz["mag_elev_angle"].sel(time_mag_elev_angle=slice("2010-06-10", "2010-06-12"))
    got = part.compute(scheduler="synchronous")
    # the June block, and the overlap of its neighbours' edge samples (a few minutes)
    assert set(reads) == {f"omni_hro_1min_2010{m:02d}01_v01.cdf" for m in (5, 6, 7)}
    want = eager["mag_elev_angle"].sel(time_mag_elev_angle=slice("2010-06-10", "2010-06-12"))
    np.testing.assert_array_equal(got.values, want.values)


def _events(cat):
    return [(e.start, e.stop, e.values) for e in cat]


def test_event_search_identical_eager_and_lazy(both):
    eager, lz = both
    kw = {"window": "30min", "step": "10min", "progress": False, "use_dask": False}
    ce = find_events(eager, CRITERIA, **kw)
    cl = find_events(lz, CRITERIA, chunk="30D", **kw)
    assert len(ce) > 3
    assert _events(cl) == _events(ce)
    assert cl.provenance["searched"] == ce.provenance["searched"]


def test_two_worker_local_cluster_gives_identical_results(both):
    distributed = pytest.importorskip("distributed")
    eager, lz = both
    ce = find_events(eager, CRITERIA, window="30min", step="10min", progress=False)
    # threads of this process (processes=False): the two workers read the same cache folder
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Sending large graph" (the times of each file)
            cd = find_events(lz, CRITERIA, window="30min", step="10min", progress=False)
            mag = lz["mag_elev_angle"].compute()
            dens = lz["i_dens"].compute()
    assert _events(cd) == _events(ce)
    np.testing.assert_array_equal(mag.values, eager["mag_elev_angle"].values)
    np.testing.assert_array_equal(dens.values, eager["i_dens"].values)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_lazy_open_of_a_year_stays_under_200_mb(year_root, tmp_path):
    """Resident memory growth of a lazy open of OMNI ``all`` (24 variables) for a year, in a
    fresh interpreter so that nothing else counts (about 75 MB here, the values 134 MB)."""
    code = textwrap.dedent(
        f"""
        import json, os, warnings, helioport
        warnings.simplefilter("ignore")
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        kw = dict(mode="1min", base_url={str(year_root)!r}, cache_dir={str(tmp_path / "c")!r},
                  lazy=True)
        # warm-up: plugins, dask and the CDF reader imported (not the open's own memory)
        helioport.load("omni", "2010-01-01", "2010-01-01T01:00", products="dc_mag", **kw)
        before = rss()
        ds = helioport.load("omni", "2010-01-01", "2011-01-01", products="all", **kw)
        after = rss()
        nbytes = int(sum(v.nbytes for v in ds.data_vars.values()))
        print(json.dumps({{"growth": after - before, "nbytes": nbytes, "n": len(ds.data_vars)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["n"] > 20
    assert got["nbytes"] > 120e6  # 134 MB of values for the year, not read
    assert got["growth"] < 200e6, got


def test_unknown_chunks_is_refused():
    with pytest.raises(InvalidRequestError, match="chunks='file'"):
        lazy.wanted_chunks({"time": 100}, None)
    with pytest.raises(InvalidRequestError, match="contradicts"):
        lazy.wanted_chunks("file", False)


@pytest.mark.parametrize("mission", ["themis_asi", "rego"])
def test_images_are_lazy_one_chunk_per_hourly_file(mission, sample_archive, tmp_path):
    written = sample_archive(mission)
    s = written.archive
    kw = {
        "products": ["image"],
        "probes": s.probes,
        "base_url": {s.source: str(written.root)},
        "cache_dir": str(tmp_path / "cache"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager = helioport.load(mission, s.start, s.end, **kw)
        lz = helioport.load(mission, s.start, s.end, lazy=True, **kw)
    (name,) = [v for v in eager.data_vars if str(v).startswith("image_")]
    assert len(lz[name].chunks[0]) == 2  # two hourly files
    assert lz[name].dtype == eager[name].dtype and lz[name].attrs == eager[name].attrs
    np.testing.assert_array_equal(lz[name].values, eager[name].values)


def test_a_file_changed_after_the_open_is_fetched_again_or_an_error_never_a_wrong_result(
    tmp_path,
):
    root = tmp_path / "archive"
    for m in (1, 2):
        write_hro_month(root, dt.date(2010, m, 1), "1min", days=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lz = helioport.load(
            "omni", "2010-01-01", "2010-03-01", products="dc_mag", mode="1min",
            base_url=str(root), cache_dir=str(tmp_path / "cache"), lazy=True,
        )  # fmt: skip
    assert lz["dc_mag"].chunks[0] == (3 * 1440, 3 * 1440)
    want = lz["dc_mag"].values
    (cached,) = (tmp_path / "cache").rglob("omni_hro_1min_20100201_v01.cdf")
    write_hro_month(tmp_path / "other", dt.date(2010, 2, 1), "1min", days=2)
    other = next((tmp_path / "other").rglob("*.cdf"))
    # the cached copy replaced by hand: no longer the file the sidecar describes, so the
    # chunk fetches the archive's again (into the load's cache: this is the opening process)
    cached.write_bytes(other.read_bytes())
    np.testing.assert_array_equal(lz["dc_mag"].compute(scheduler="synchronous").values, want)
    assert cached.stat().st_size != other.stat().st_size
    # another load refreshed the cached copy from a changed archive (file and sidecar agree):
    # what it now holds is not what the open announced
    cached.write_bytes(other.read_bytes())
    (sidecar,) = (tmp_path / "cache" / ".meta").rglob(cached.name + ".json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "size": other.stat().st_size}))
    january = lz["dc_mag"].sel(time_dc_mag=slice("2010-01-01", "2010-01-31"))
    assert january.compute(scheduler="synchronous").sizes["time_dc_mag"] == 3 * 1440
    with pytest.raises(helioport.errors.PluginError, match="has the archive's file changed"):
        lz["dc_mag"].compute(scheduler="synchronous")


def _garble(path: Path, keep: int = 8) -> None:
    """Keep the size and the magic number, replace the rest with noise."""
    data = path.read_bytes()
    noise = np.random.default_rng(7).integers(0, 256, len(data) - keep, dtype=np.uint8)
    path.write_bytes(data[:keep] + noise.tobytes())


@pytest.mark.parametrize("month", [1, 2], ids=["first file", "later file"])
def test_a_damaged_cached_file_met_at_the_open_is_fetched_again(tmp_path, month):
    """The open reads the first file and the times of the others: either heals."""
    root = tmp_path / "archive"
    for m in (1, 2):
        write_hro_month(root, dt.date(2010, m, 1), "1min", days=3)
    kw = {"products": "dc_mag", "mode": "1min", "base_url": str(root)}
    span = ("2010-01-01", "2010-03-01")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager = helioport.load("omni", *span, **kw)
    (cached,) = (tmp_path / "cache").rglob(f"omni_hro_1min_20100{month}01_v01.cdf")
    _garble(cached)
    with pytest.warns(UserWarning, match="fails to read .* moved aside and fetched again"):
        lz = helioport.load("omni", *span, lazy=True, **kw)
    assert (cached.parent / f".{cached.name}.damaged").is_file()
    np.testing.assert_array_equal(lz["dc_mag"].compute(scheduler="synchronous").values,
                                  eager["dc_mag"].values)  # fmt: skip


def test_a_damaged_cached_file_met_by_a_chunk_is_fetched_again(tmp_path):
    root = tmp_path / "archive"
    for m in (1, 2):
        write_hro_month(root, dt.date(2010, m, 1), "1min", days=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lz = helioport.load(
            "omni", "2010-01-01", "2010-03-01", products="dc_mag", mode="1min",
            base_url=str(root), lazy=True,
        )  # fmt: skip
    want = lz["dc_mag"].values
    (cached,) = (tmp_path / "cache").rglob("omni_hro_1min_20100201_v01.cdf")
    _garble(cached)
    with pytest.raises(helioport.errors.CorruptFileError):  # what the chunk meets
        helioport.cdffile.read_variables(cached, ["Epoch"])
    with pytest.warns(UserWarning, match="fails to read .* moved aside and fetched again"):
        got = lz["dc_mag"].compute(scheduler="synchronous")
    np.testing.assert_array_equal(got.values, want)
    assert (cached.parent / f".{cached.name}.damaged").is_file()
    # the archive's copy damaged too: fetched once more, then a clear error naming it
    _garble(next(root.rglob(cached.name)))
    _garble(cached)
    with (
        pytest.warns(UserWarning, match="moved aside"),
        pytest.raises(helioport.errors.CorruptFileError, match="damaged even as just downloaded"),
    ):
        lz["dc_mag"].compute(scheduler="synchronous")


def test_download_by_the_workers_needs_a_cluster_and_a_lazy_load():
    from helioport.api import prepare

    with pytest.raises(InvalidRequestError, match="for lazy loads"):
        lazy.check_download("workers", lazy=False)
    with pytest.raises(InvalidRequestError, match="download='somewhere' is not known"):
        lazy.check_download("somewhere", lazy=True)
    reg, spec, cfg, derivs, request = prepare("omni", "2010-01-01", "2010-01-02", "dc_mag")
    with pytest.raises(InvalidRequestError, match="no client is active"):
        lazy.run_lazy(reg, spec, cfg, derivs, request, download="workers")


@pytest.fixture(scope="module")
def mms_root(tmp_path_factory) -> Path:
    """Two MMS probes over two days: daily FGM (1 s) and MEC files, 2-hourly FPI moments."""
    fx = pytest.importorskip("helioport_mms.fixtures")
    root = tmp_path_factory.mktemp("mms_days")
    for k, probe in enumerate(["mms1", "mms2"]):
        for day in ("2015-10-16", "2015-10-17"):
            fx.write_fgm(root, probe, "srvy", day, 86400, cadence=1.0, seed=10 * k + int(day[-2:]))
            fx.write_mec(root, probe, day, n=2880, seed=10 * (k + 1))
        for hour in ("2015-10-16T20", "2015-10-16T22", "2015-10-17T00", "2015-10-17T02"):
            fx.write_fpi_moms(
                root, probe, "dis", "fast", f"{hour}:00", 1600, seed=k + int(hour[-2:])
            )
    return root


def test_mms_beta_and_elevation_identical_eager_lazy_and_on_a_cluster(mms_root, tmp_path):
    distributed = pytest.importorskip("distributed")
    kw = {
        "products": ["i_beta", "mag_elev_angle"], "probes": ["mms1", "mms2"], "mode": "srvy",
        "base_url": str(mms_root), "cache_dir": str(tmp_path / "cache"),
    }  # fmt: skip
    span = ("2015-10-16T21:00", "2015-10-17T03:00")
    eager = helioport.load("mms", *span, **kw)
    lz = helioport.load("mms", *span, lazy=True, **kw)
    assert len(lz["i_beta_mms1"].chunks[0]) == 4  # one block per FPI file
    assert len(lz["mag_elev_angle_mms2"].chunks[0]) == 2  # one per daily FGM file
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        on_cluster = lz.compute()
    for name in eager.data_vars:
        assert lz[name].attrs == eager[name].attrs
        np.testing.assert_array_equal(lz[name].values, eager[name].values)
        np.testing.assert_array_equal(on_cluster[name].values, eager[name].values)
    assert np.isfinite(eager["i_beta_mms1"].values).sum() > 1000


def test_record_range_chunks_read_only_their_records(year_root, tmp_path, monkeypatch):
    kw = {"products": "dc_mag", "mode": "1min", "base_url": str(year_root)}
    span = ("2010-01-01", "2010-03-01")
    eager = helioport.load("omni", *span, cache_dir=str(tmp_path / "e"), **kw)
    lz = helioport.load("omni", *span, cache_dir=str(tmp_path / "l"), chunks=10_000, **kw)
    assert lz["dc_mag"].chunks[0] == (10_000,) * 4 + (4640,) + (10_000,) * 4 + (320,)
    np.testing.assert_array_equal(lz["dc_mag"].values, eager["dc_mag"].values)
    spans: list[tuple] = []
    real = lazy.read_one

    def counting(reg, plan, product, probe, files):
        out = real(reg, plan, product, probe, files)
        spans.append((plan.request.start, plan.request.end, out.sizes["time"]))
        return out

    monkeypatch.setattr(lazy, "read_one", counting)
    day = lz["dc_mag"].sel(time_dc_mag=slice("2010-01-10", "2010-01-10T23:59"))
    assert day.compute(scheduler="synchronous").sizes["time_dc_mag"] == 1440
    # one record range of January: minutes 10,000..19,999 (2010-01-07T22:40 onwards)
    assert [(str(a), str(b), n) for a, b, n in spans] == [
        ("2010-01-07 22:40:00+00:00", "2010-01-14 21:20:00+00:00", 10_000)
    ]


def test_j_curl_identical_eager_and_lazy_on_a_real_tetrahedron(tmp_path):
    """j_curl from four probes' FGM files (their own positions: a 20 km tetrahedron)."""
    fx = pytest.importorskip("helioport_mms.fixtures")
    root = tmp_path / "mms"
    probes = ["mms1", "mms2", "mms3", "mms4"]
    for k, probe in enumerate(probes):
        for day in ("2015-10-16", "2015-10-17"):
            fx.write_fgm(root, probe, "srvy", day, 21600, cadence=4.0, seed=10 * k + int(day[-2:]))
    kw = {
        "products": ["j_curl"], "probes": probes, "mode": "srvy", "positions": "fgm",
        "base_url": str(root), "cache_dir": str(tmp_path / "cache"),
    }  # fmt: skip
    span = ("2015-10-16T21:00", "2015-10-17T03:00")
    eager = helioport.load("mms", *span, **kw)
    lz = helioport.load("mms", *span, lazy=True, **kw)
    assert len(lz["j_curl"].chunks[0]) == 2  # one block per daily FGM file of the first probe
    for name in ("j_curl", "curl_b", "div_b", "curl_quality"):
        assert lz[name].attrs == eager[name].attrs
        np.testing.assert_array_equal(lz[name].values, eager[name].values)
    assert np.isfinite(eager["j_curl"].values).all() and np.abs(eager["j_curl"].values).max() > 0
