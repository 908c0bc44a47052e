"""OMNI through the whole path: mirrors, the real OMNI2 file, HRO CDFs, versions, offline, faults."""

from __future__ import annotations

import datetime as dt
import shutil

import helioport
import numpy as np
import pytest
from helioport.errors import (
    CorruptFileError,
    DataNotFoundError,
    DownloadError,
    InvalidRequestError,
    OfflineError,
    UnknownProductError,
)


def _real_rows(path):
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def real_omni_root(tmp_path, real_file):
    src = real_file("omni", "omni2_2010.dat")
    root = tmp_path / "mirror"
    (root / "low_res_omni").mkdir(parents=True)
    shutil.copy(src, root / "low_res_omni" / "omni2_2010.dat")
    return root, src


def _check_real_values(ds, src):
    rows = _real_rows(src)
    b = ds["dc_mag"]
    t = b[b.dims[0]].values
    assert t.size == 48
    assert np.all(np.diff(t) == np.timedelta64(1, "h"))
    assert t[0] == np.datetime64("2010-01-01T00:00")
    for i in (0, 1, 17, 47):
        row = rows[i]
        assert b.sel(component="x").values[i] == pytest.approx(float(row[12]))
        assert b.sel(component="y").values[i] == pytest.approx(float(row[15]))  # GSM By
        assert b.sel(component="z").values[i] == pytest.approx(float(row[16]))  # GSM Bz
        assert ds["dc_mag_tot"].values[i] == pytest.approx(float(row[8]))  # |B|: its own variable
        assert ds["i_dens"].values[i] == pytest.approx(float(row[23]))
        assert ds["kp"].values[i] == pytest.approx(float(row[38]) / 10)
        assert ds["dst"].values[i] == pytest.approx(float(row[40]))
    # column 43 (proton flux > 1 MeV) is all fill (999999.99) in 2010
    assert np.isnan(ds["proton_flux_1mev"].values).all()
    assert ds["dc_mag"].attrs["units"] == "nT"
    assert ds["dc_mag"].attrs["coords"] == "gsm"


def test_real_omni2_file_over_http_mirror(real_omni_root, server_for):
    root, src = real_omni_root
    srv = server_for(root)
    ds = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-03",
        products=["dc_mag", "i_dens", "kp", "dst", "proton_flux_1mev"],
        mode="hourly",
        coords="gsm",
        base_url=srv.url,
    )
    _check_real_values(ds, src)
    assert ds.attrs["mission"] == "omni"
    assert ds["dc_mag"].attrs["files"] == "omni2_2010.dat"


@pytest.mark.parametrize("form", ["folder", "file_url", "env"])
def test_real_omni2_file_from_local_mirror(real_omni_root, form, monkeypatch):
    root, src = real_omni_root
    kw = {}
    if form == "folder":
        kw["base_url"] = str(root)
    elif form == "file_url":
        kw["base_url"] = root.as_uri()
    else:
        monkeypatch.setenv("HELIOPORT_OMNI_URL", str(root))
    ds = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-03",
        products=["dc_mag", "i_dens", "kp", "dst", "proton_flux_1mev"],
        mode="hourly",
        coords="gsm",
        **kw,
    )
    _check_real_values(ds, src)


def test_real_fill_values_become_nan(real_omni_root):
    root, src = real_omni_root
    rows = _real_rows(src)
    gaps = [i for i, r in enumerate(rows) if r[23] == "999.9"]
    assert gaps, "the real 2010 file has density gaps"
    i = gaps[0]
    day = dt.datetime(2010, 1, 1) + dt.timedelta(hours=i)
    ds = helioport.load(
        "omni",
        day,
        day + dt.timedelta(hours=2),
        products=["i_dens", "dc_mag"],
        mode="hourly",
        base_url=str(root),
    )
    assert np.isnan(ds["i_dens"].values[0])
    assert ds["dc_mag"].sel(component="x").values[0] == pytest.approx(float(rows[i][12]))


def test_real_1994_excerpt_with_gaps_loads_its_rows_at_their_hours(tmp_path, real_file):
    """21 non-contiguous real 1994 rows: each row at its own hour, nothing invented between them."""
    src = real_file("omni", "omni2_1994_excerpt.dat")
    rows = _real_rows(src)
    (tmp_path / "low_res_omni").mkdir()
    shutil.copy(src, tmp_path / "low_res_omni" / "omni2_1994.dat")
    ds = helioport.load(
        "omni",
        "1994-01-01",
        "1995-01-01",
        products=["dc_mag", "i_dens", "dst", "kp", "ae"],
        mode="hourly",
        coords="gse",
        base_url=str(tmp_path),
    )
    b = ds["dc_mag"]
    expect = [
        np.datetime64(f"{r[0]}-01-01T00:00")
        + np.timedelta64(int(r[1]) - 1, "D")
        + np.timedelta64(int(r[2]), "h")
        for r in rows
    ]
    np.testing.assert_array_equal(b[b.dims[0]].values, np.array(expect, dtype="M8[ns]"))
    assert len(rows) >= 20 and np.any(np.diff(b[b.dims[0]].values) > np.timedelta64(1, "h"))  # gaps
    for i, r in enumerate(rows):
        assert b.sel(component="x").values[i] == pytest.approx(float(r[12]))
        assert b.sel(component="z").values[i] == pytest.approx(float(r[14]))  # GSE Bz
        assert ds["dc_mag_tot"].values[i] == pytest.approx(float(r[8]))
        for name, col in (("i_dens", 23), ("dst", 40), ("ae", 41)):
            value = ds[name].values[i]
            assert (
                np.isnan(value)
                if r[col] in ("999.9", "99999", "9999")
                else value == pytest.approx(float(r[col]))
            )
        assert ds["kp"].values[i] == pytest.approx(float(r[38]) / 10)


def test_omni2_writer_reproduces_the_real_file_byte_for_byte(real_file):
    from helioport_omni.ascii import format_omni2_rows, read_omni2

    src = real_file("omni", "omni2_2010.dat")
    lines = [line for line in src.read_text().splitlines() if line.strip()]
    assert format_omni2_rows(read_omni2(src)) == lines


def test_hro_1min_values_and_fills(omni_root, server_for):
    from helioport_omni.sample import solar_wind

    srv = server_for(omni_root)
    ds = helioport.load(
        "omni",
        "2010-01-01T00:00",
        "2010-01-03T00:00",
        products=["dc_mag", "i_bulkv", "ae"],
        coords="gse",
        base_url=srv.url,
    )
    times = np.arange(
        np.datetime64("2010-01-01"), np.datetime64("2010-01-04"), np.timedelta64(60, "s")
    )
    expected = solar_wind(times.astype("datetime64[ns]"), seed=1)
    b = ds["dc_mag"]
    t = b[b.dims[0]].values
    assert t.size == 2 * 1440 and t[-1] == np.datetime64("2010-01-02T23:59")
    assert list(b["component"].values) == ["x", "y", "z"]  # F is dc_mag_tot, its own variable
    assert ds["dc_mag_tot"].attrs["source_variable"] == "F"
    for comp, var in (("x", "BX_GSE"), ("y", "BY_GSE"), ("z", "BZ_GSE"), ("tot", "F")):
        np.testing.assert_allclose(
            (ds["dc_mag_tot"] if comp == "tot" else b.sel(component=comp)).values,
            expected[var][:2880].astype(np.float32),
            rtol=1e-6,
            equal_nan=True,
        )
    assert (
        np.isnan(ds["i_bulkv"].sel(component="x").values).sum()
        == np.isnan(expected["Vx"][:2880]).sum()
        > 0
    )
    ae = ds["ae"].values
    assert ae.dtype == np.float64 and not np.isnan(ae).any()
    np.testing.assert_array_equal(ae, expected["AE_INDEX"][:2880])
    assert ds["dc_mag"].attrs["versions"] == "01"
    assert ds["dc_mag"].attrs["source_variable"] == "BX_GSE, BY_GSE, BZ_GSE, F"


def test_gsm_differs_from_gse(omni_root):
    kw = {"products": ["dc_mag"], "base_url": str(omni_root), "mode": "5min"}
    gse = helioport.load("omni", "2010-01-01", "2010-01-02", coords="gse", **kw)["dc_mag"]
    gsm = helioport.load("omni", "2010-01-01", "2010-01-02", coords="gsm", **kw)["dc_mag"]
    np.testing.assert_array_equal(gse.sel(component="x"), gsm.sel(component="x"))
    assert not np.allclose(gse.sel(component="z"), gsm.sel(component="z"), equal_nan=True)
    assert gsm.attrs["coords"] == "gsm"


def test_all_product_bundles_every_variable(omni_root):
    ds = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-01T06:00",
        products=["all"],
        mode="5min",
        base_url=str(omni_root),
    )
    for name in (
        "dc_mag",
        "i_dens",
        "i_bulkv",
        "sc_pos",
        "flow_pressure",
        "e_field",
        "sym_h",
        "ae",
        "proton_flux_10mev",
    ):
        assert name in ds, name
        assert ds[name].attrs["units"]
    assert ds["i_dens"].sizes[ds["i_dens"].dims[0]] == 72


def test_new_version_replaces_cached_file(omni_root, server_for, cache_dir):
    srv = server_for(omni_root)
    kw = {"products": ["dc_mag"], "base_url": srv.url, "mode": "1min"}
    old = helioport.load("omni", "2010-01-01", "2010-01-02", **kw)
    assert old["dc_mag"].attrs["versions"] == "01"
    folder = omni_root / "omni_cdaweb" / "hro_1min" / "2010"
    # unchanged server: one conditional request, answered 304, no file body
    srv.clear_log()
    helioport.load("omni", "2010-01-01", "2010-01-02", **kw)
    assert [(e.status, e.bytes_sent > 0) for e in srv.log] == [(304, False)]
    # the archive publishes v02 with different values
    from helioport_omni.sample import write_hro_month

    write_hro_month(omni_root, dt.date(2010, 1, 1), "1min", days=3, version="02", seed=7)
    srv.clear_log()
    new = helioport.load("omni", "2010-01-01", "2010-01-02", **kw)
    assert new["dc_mag"].attrs["versions"] == "02"
    assert new["dc_mag"].attrs["files"] == "omni_hro_1min_20100101_v02.cdf"
    assert not np.allclose(new["dc_mag"].values, old["dc_mag"].values, equal_nan=True)
    downloads = [e for e in srv.log if e.path.endswith(".cdf")]
    assert [e.path.rsplit("/", 1)[-1] for e in downloads] == ["omni_hro_1min_20100101_v02.cdf"]
    cached = sorted(p.name for p in (cache_dir / "omni").rglob("*.cdf"))
    assert cached == ["omni_hro_1min_20100101_v01.cdf".replace("v01", "v02")]
    assert (folder / "omni_hro_1min_20100101_v01.cdf").exists()  # the server keeps both


def test_same_name_new_last_modified_is_downloaded_again(omni_root, server_for):
    from helioport_omni.sample import write_omni2_year

    srv = server_for(omni_root)
    kw = {"products": ["i_dens"], "base_url": srv.url, "mode": "hourly"}
    first = helioport.load("omni", "2010-01-01", "2010-01-02", **kw)["i_dens"].values
    write_omni2_year(omni_root, 2010, seed=99)  # same name, new content and Last-Modified
    srv.touch("low_res_omni/omni2_2010.dat", mtime=2_000_000_000)
    srv.clear_log()
    second = helioport.load("omni", "2010-01-01", "2010-01-02", **kw)["i_dens"].values
    assert any(e.path.endswith("omni2_2010.dat") and e.status == 200 for e in srv.log)
    assert not np.allclose(first, second)


def test_offline_uses_cache_and_names_what_is_missing(omni_root, server_for):
    srv = server_for(omni_root)
    kw = {"products": ["dc_mag"], "base_url": srv.url, "mode": "1min"}
    online = helioport.load("omni", "2010-01-01", "2010-01-02", **kw)
    srv.stop()
    with pytest.warns(
        UserWarning, match=r"offline: omni loaded from the cache.*omni_hro_1min_20100101_v01\.cdf"
    ):
        offline = helioport.load("omni", "2010-01-01", "2010-01-02", offline=True, **kw)
    np.testing.assert_array_equal(online["dc_mag"].values, offline["dc_mag"].values)
    with pytest.raises(OfflineError) as err:
        helioport.load(
            "omni",
            "2010-01-01",
            "2010-01-02",
            products=["i_dens"],
            mode="5min",
            offline=True,
            base_url=srv.url,
        )
    assert "omni" in str(err.value) and "5min" in str(err.value)


@pytest.mark.parametrize(
    "kind,opts,times",
    [
        ("status", {"status": 500}, 2),
        ("retry_after", {"status": 429, "seconds": 1}, 1),
        ("truncate", {"fraction": 0.3}, 1),
    ],
)
def test_transient_faults_are_retried(
    omni_root, server_for, cache_dir, kind, opts, times, monkeypatch
):
    monkeypatch.setenv("HELIOPORT_CONFIG", str(cache_dir.parent / "fast.toml"))
    (cache_dir.parent / "fast.toml").write_text("backoff = 0.01\nretries = 3\n")
    srv = server_for(omni_root)
    srv.add_fault("*/omni_hro_1min_*.cdf", kind, times=times, **opts)
    ds = helioport.load(
        "omni", "2010-01-01", "2010-01-01T03:00", products=["i_dens"], base_url=srv.url
    )
    assert ds["i_dens"].sizes[ds["i_dens"].dims[0]] == 180
    assert not srv.faults_pending()
    _assert_cache_clean(cache_dir)


def test_permanent_html_error_page_fails_cleanly(omni_root, server_for, cache_dir, monkeypatch):
    (cache_dir.parent / "fast.toml").write_text("backoff = 0.01\nretries = 2\n")
    monkeypatch.setenv("HELIOPORT_CONFIG", str(cache_dir.parent / "fast.toml"))
    srv = server_for(omni_root)
    srv.add_fault("*/omni_hro_1min_*.cdf", "html_200", times=100)
    with pytest.raises(CorruptFileError) as err:
        helioport.load(
            "omni", "2010-01-01", "2010-01-01T03:00", products=["i_dens"], base_url=srv.url
        )
    assert "omni_hro_1min_20100101_v01.cdf" in str(err.value)
    _assert_cache_clean(cache_dir)
    assert not list(cache_dir.rglob("*.cdf"))


def test_404_on_file_is_a_download_error(omni_root, server_for, cache_dir):
    srv = server_for(omni_root)
    srv.add_fault("*/omni_hro_1min_*.cdf", "status", times=100, status=404)
    with pytest.raises(DownloadError) as err:
        helioport.load(
            "omni", "2010-01-01", "2010-01-01T03:00", products=["i_dens"], base_url=srv.url
        )
    assert "404" in str(err.value)


def _assert_cache_clean(cache_dir):
    leftovers = [
        p
        for p in cache_dir.rglob("*")
        if p.is_file() and (".part" in p.name or p.name.endswith(".tmp"))
    ]
    assert leftovers == []
    for cdf in cache_dir.rglob("*.cdf"):
        assert cdf.read_bytes()[:4] == b"\xcd\xf3\x00\x01"


def _load_in_child(url, cache, queue):
    import os

    os.environ["HELIOPORT_CACHE_DIR"] = cache
    try:
        ds = helioport.load(
            "omni", "2010-01-01", "2010-01-03", products=["dc_mag"], mode="5min", base_url=url
        )
        queue.put(float(np.nansum(ds["dc_mag"].values)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent  # pragma: no cover
        queue.put(repr(exc))


def test_two_processes_download_each_file_once(omni_root, server_for, cache_dir):
    import multiprocessing as mp

    srv = server_for(omni_root)
    srv.add_fault("*/omni_hro_5min_*.cdf", "slow", times=1, delay=0.5)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_load_in_child, args=(srv.url, str(cache_dir), queue)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(isinstance(r, float) for r in results), results
    assert results[0] == results[1]
    bodies = [e for e in srv.log if e.path.endswith(".cdf") and e.status == 200]
    assert len(bodies) == 1


def test_bad_input_errors():
    with pytest.raises(helioport.UnknownMissionError) as err:
        helioport.load("voyager", "2010-01-01", "2010-01-02", products=["dc_mag"])
    assert "omni" in str(err.value)
    with pytest.raises(UnknownProductError) as err:
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_magg"])
    assert "dc_mag" in str(err.value)
    with pytest.raises(InvalidRequestError, match="coordinate"):
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], coords="gsx")
    with pytest.raises(InvalidRequestError, match="hourly"):
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], mode="2min")
    with pytest.raises(InvalidRequestError, match="not before"):
        helioport.load("omni", "2010-01-02", "2010-01-01", products=["dc_mag"])
    with pytest.raises(InvalidRequestError, match="cannot parse"):
        helioport.load("omni", "yesterday-ish", "2010-01-01", products=["dc_mag"])
    with pytest.raises(InvalidRequestError, match="1min, 5min"):
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["i_bulkv"], mode="hourly")
    with pytest.raises(
        InvalidRequestError, match=r"version 'latest-ish' is not understood.*'>=4.18'"
    ):
        helioport.load(
            "omni", "2010-01-01", "2010-01-02", products=["dc_mag"], version="latest-ish"
        )
    # a typo in a plugin option is refused, naming the valid ones
    with pytest.raises(InvalidRequestError) as err:
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], hourly_sorce="cdf")
    assert "'hourly_sorce'" in str(err.value) and "valid options: hourly_source (" in str(err.value)


def test_range_without_data(omni_root):
    with pytest.raises(DataNotFoundError) as err:
        helioport.load(
            "omni", "1990-01-01", "1990-01-02", products=["dc_mag"], base_url=str(omni_root)
        )
    assert "1990-01-01" in str(err.value)
    # a file exists (January 2010) but holds no records for the 20th (the sample has 3 days)
    with pytest.raises(DataNotFoundError, match="no records"):
        helioport.load(
            "omni", "2010-01-20", "2010-01-21", products=["dc_mag"], base_url=str(omni_root)
        )


def test_hourly_cdf_source(tmp_path):
    from helioport_omni.sample import solar_wind, write_h0_halfyear

    root = tmp_path / "h0"
    write_h0_halfyear(root, 2012, 2, days=5)
    ds = helioport.load(
        "omni",
        "2012-07-02",
        "2012-07-03",
        products=["dc_mag", "kp", "dst", "i_dens"],
        mode="hourly",
        hourly_source="cdf",
        base_url=str(root),
    )
    t = ds["kp"][ds["kp"].dims[0]].values
    assert t.size == 24 and t[0] == np.datetime64("2012-07-02T00:00")
    times = np.arange(
        np.datetime64("2012-07-01"), np.datetime64("2012-07-06"), np.timedelta64(1, "h")
    )
    sw = solar_wind(times.astype("datetime64[ns]"), seed=0)
    np.testing.assert_allclose(
        ds["kp"].values, np.round(np.clip(sw["AE_INDEX"][24:48] / 15, 0, 90)) / 10
    )
    np.testing.assert_allclose(ds["dc_mag_tot"].values, sw["F"][24:48])
    assert ds["dc_mag_tot"].attrs["source_variable"] == "ABS_B"
    assert ds["dc_mag"].attrs["source_variable"] == "BX_GSE, BY_GSE, BZ_GSE, ABS_B"
    with pytest.raises(InvalidRequestError, match="hourly_source"):
        helioport.load(
            "omni",
            "2012-07-02",
            "2012-07-03",
            products=["e_field"],
            mode="hourly",
            hourly_source="cdf",
            base_url=str(root),
        )
    with pytest.raises(InvalidRequestError, match="hourly_source='netcdf'.*valid: ascii, cdf"):
        helioport.load(
            "omni",
            "2012-07-02",
            "2012-07-03",
            products=["kp"],
            mode="hourly",
            hourly_source="netcdf",
            base_url=str(root),
        )
