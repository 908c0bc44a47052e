"""Alignment of dask-backed variables stays lazy and gives what the eager path gives."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import helioport
import numpy as np
import pytest
import xarray as xr
from helioport import lazy
from helioport.align import align, interp_to

dsa = pytest.importorskip("dask.array")
write_hro_month = pytest.importorskip("helioport_omni.sample").write_hro_month

T0 = np.datetime64("2020-01-01T00:00:00", "ns")


def _series(n: int, step_s: float, offset_s: float = 0.0) -> np.ndarray:
    return T0 + (np.arange(n) * step_s * 1e9 + offset_s * 1e9).astype("timedelta64[ns]")


def _dataset(chunks: int | None) -> xr.Dataset:
    rng = np.random.default_rng(5)
    b = rng.normal(size=(997, 3))
    counts = rng.integers(0, 1000, size=211).astype(np.int32)
    flags = np.array(["a", "b", "c"] * 70 + ["d"])
    when = _series(211, 4.3, 1.0) + np.timedelta64(7, "s")
    ds = xr.Dataset(
        {
            "b": (("time_b", "component"), b, {"units": "nT"}),
            "n": ("time_n", counts, {"units": "1"}),
            "flag": ("time_n", flags),
            "t_obs": ("time_n", when),
        },
        coords={
            "time_b": _series(997, 1.0),
            "time_n": _series(211, 4.3, 1.0),
            "component": ["x", "y", "z"],
        },
    )
    if chunks:
        ds = ds.chunk({"time_b": chunks, "time_n": chunks // 4})
    return ds


@pytest.mark.parametrize("method", ["linear", "nearest"])
@pytest.mark.parametrize("tolerance", [None, "3s"])
def test_lazy_align_equals_eager(method, tolerance):
    eager = align(_dataset(None), "n", method=method, tolerance=tolerance)
    lz = align(_dataset(100), "n", method=method, tolerance=tolerance)
    assert all(lz[k].chunks is not None for k in ("b", "n", "t_obs"))
    for name in eager.data_vars:
        assert lz[name].dims == eager[name].dims
        assert lz[name].dtype == eager[name].dtype, name
        got = lz[name].values
        if got.dtype.kind == "f":
            np.testing.assert_array_equal(got, eager[name].values)
        else:
            assert list(got.ravel()) == list(eager[name].values.ravel()) or (
                got.dtype.kind in "mM" and np.array_equal(got, eager[name].values, equal_nan=True)
            )
    assert eager.attrs == lz.attrs


def test_lazy_align_onto_other_times_leaves_gaps_as_nan():
    ds = _dataset(50)
    targets = _series(40, 30.0, -45.0)  # starts before the data: first targets have no sample
    lz = interp_to(ds["n"], targets)
    ref = interp_to(_dataset(None)["n"], targets)
    assert lz.chunks is not None and lz.dtype == np.float64
    np.testing.assert_array_equal(lz.values, ref.values)
    assert np.isnan(lz.values[:2]).all() and np.isfinite(lz.values[2:20]).all()


@pytest.fixture(scope="module")
def omni_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("omni_q")
    for m in (1, 2, 3):
        write_hro_month(root, dt.date(2010, m, 1), "1min", seed=m)
    return root


def test_load_lazy_with_time_stays_lazy_and_reads_only_what_a_selection_needs(
    omni_root, tmp_path, monkeypatch
):
    targets = np.arange(
        np.datetime64("2010-01-01T00:00:30", "ns"),
        np.datetime64("2010-04-01", "ns"),
        np.timedelta64(60, "s"),  # half way between the 1-min samples
    )
    kw = {
        "products": ["dc_mag", "i_dens"],
        "mode": "1min",
        "base_url": str(omni_root),
        "cache_dir": str(tmp_path),
        "time": targets,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'the result is not lazy' warning any more
        lz = helioport.load("omni", "2010-01-01", "2010-04-01", lazy=True, **kw)
    eager = helioport.load("omni", "2010-01-01", "2010-04-01", **kw)
    assert lazy.is_lazy(lz)
    assert lz["dc_mag"].dims == ("time", "component") and lz["dc_mag"].chunks is not None
    reads: list[str] = []
    real = lazy.read_one

    def counting(reg, plan, product, probe, files):
        reads.extend(lf.remote.name for lf in files)
        return real(reg, plan, product, probe, files)

    monkeypatch.setattr(lazy, "read_one", counting)
    week = lz.sel(time=slice("2010-02-10", "2010-02-17")).compute()
    assert set(reads) == {"omni_hro_1min_20100201_v01.cdf"}
    ref = eager.sel(time=slice("2010-02-10", "2010-02-17"))
    for name in ("dc_mag", "i_dens"):
        np.testing.assert_array_equal(week[name].values, ref[name].values)
    # a target between two months interpolates across the file boundary
    edge = np.datetime64("2010-01-31T23:59:30", "ns")
    np.testing.assert_array_equal(
        lz["i_dens"].sel(time=edge).values, eager["i_dens"].sel(time=edge).values
    )
    assert np.isfinite(eager["i_dens"].sel(time=edge).values)


def test_lazy_align_onto_no_times_gives_an_empty_result_like_eager():
    empty = np.array([], dtype="datetime64[ns]")
    lz = align(_dataset(100), empty)
    eager = align(_dataset(None), empty)
    assert dict(lz.sizes) == dict(eager.sizes) == {"time": 0, "component": 3}
    for name in eager.data_vars:
        assert lz[name].dtype == eager[name].dtype and lz[name].values.shape == eager[name].shape


def test_a_time_varying_coordinate_stays_lazy_and_is_resampled_like_eager():
    ds = _dataset(None).assign_coords(
        energy=(("time_b", "component"), np.arange(997 * 3, dtype=float).reshape(997, 3))
    )
    lzds = ds.chunk({"time_b": 100, "time_n": 25})
    lz = align(lzds, "n")
    eager = align(ds, "n")
    assert lz["b"].coords["energy"].chunks is not None  # not computed while aligning
    np.testing.assert_array_equal(
        lz["b"].coords["energy"].values, eager["b"].coords["energy"].values
    )
