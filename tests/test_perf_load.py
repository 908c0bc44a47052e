"""The warm load path builds each output once (issue 12), with the same results.

- an output variable is made from the plugin's DataArray in one go
  (:func:`helioport.naming.output_split`): its time index is the plugin's,
  renamed, not made again; ``x, y, z`` are ``<U1`` labels from the start; the
  vector's values are a view of the plugin's, not a copy;
- the assembled Dataset is what xarray's own construction from DataArrays gives;
- :func:`helioport.derive.interpolate.interp_linear` taken a chunk at a time
  gives, bit for bit, what :func:`helioport.align.interp_to` gives, across
  chunk edges, gaps, NaT, unsorted and repeated times, and extrapolation.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from helioport.align import interp_to
from helioport.derive import interpolate
from helioport.derive.interpolate import interp_linear
from helioport.naming import (
    OutputVariable,
    output_dims,
    output_split,
    output_variable,
    split_magnitude,
)

T0 = np.datetime64("2015-10-16T13:05:24", "ns")


def _vector(n: int = 50, labels=("x", "y", "z", "tot")) -> xr.DataArray:
    rng = np.random.default_rng(3)
    t = T0 + (np.arange(n) * 7_812_500).astype("m8[ns]")
    return xr.DataArray(
        rng.normal(size=(n, len(labels))).astype(np.float32),
        dims=("time", "component"),
        coords={"time": t, "component": list(labels)},
        attrs={"units": "nT", "CATDESC": "B"},
        name="dc_mag",
    )


def test_output_split_names_once_reusing_the_time_index_and_the_values():
    da = _vector()
    vec, mag = output_split(da, "dc_mag_mms1", "dc_mag_tot_mms1")
    assert isinstance(vec, OutputVariable) and isinstance(mag, OutputVariable)
    assert vec.variable.dims == ("time_dc_mag_mms1", "component")
    assert mag.variable.dims == ("time_dc_mag_tot_mms1",)
    assert vec.coords["component"].dtype == np.dtype("<U1")
    assert vec.coords["component"].values.tolist() == ["x", "y", "z"]
    assert vec.time_dim == "time_dc_mag_mms1" and mag.time_dim == "time_dc_mag_tot_mms1"
    # the plugin's pandas index, renamed: the same times, no new index built from them
    plugin_index = da.xindexes["time"].index
    for out, dim in ((vec, "time_dc_mag_mms1"), (mag, "time_dc_mag_tot_mms1")):
        index = out.indexes[dim].index
        assert index.name == dim
        assert np.shares_memory(np.asarray(index), np.asarray(plugin_index))
    # x, y, z are the first three columns: a view of the plugin's values, not a copy
    assert np.shares_memory(vec.variable.values, da.values)
    np.testing.assert_array_equal(vec.variable.values, da.values[:, :3])
    np.testing.assert_array_equal(mag.variable.values, da.values[:, 3])
    assert vec.attrs == da.attrs == mag.attrs


def test_output_split_gives_what_split_magnitude_then_output_dims_give():
    da = _vector(labels=("tot", "z", "x", "y"))  # another order: reordered to x, y, z
    vec, mag = output_split(da, "b", "b_tot")
    ref_vec, ref_mag = split_magnitude(da)
    xr.testing.assert_identical(vec.to_dataarray("dc_mag"), output_dims(ref_vec, "b"))
    xr.testing.assert_identical(mag.to_dataarray("dc_mag"), output_dims(ref_mag, "b_tot"))
    np.testing.assert_array_equal(vec.variable.values[:, 0], da.values[:, 2])  # x
    np.testing.assert_array_equal(vec.variable.values[:, 2], da.values[:, 1])  # z


def test_output_variable_renames_other_dims_and_time_varying_coordinates():
    t = T0 + np.arange(2).astype("m8[s]")
    da = xr.DataArray(
        [[1.0, 2.0], [3.0, 4.0]],
        dims=("time", "energy_bin"),
        coords={
            "time": t,
            "energy": (("time", "energy_bin"), [[10.0, 20.0], [11.0, 21.0]], {"units": "eV"}),
        },
    )
    out = output_variable(da, "i_omniflux_mms1")
    assert out.variable.dims == ("time_i_omniflux_mms1", "energy_bin_i_omniflux_mms1")
    assert list(out.coords) == ["time_i_omniflux_mms1", "energy_i_omniflux_mms1"]
    energy = out.coords["energy_i_omniflux_mms1"]
    assert energy.dims == out.variable.dims and energy.attrs == {"units": "eV"}
    assert set(out.indexes) == {"time_i_omniflux_mms1"}


def test_an_undeclared_all_nan_magnitude_is_padding():
    da = _vector()
    da[:, 3] = np.nan
    vec, mag = output_split(da, "v", "v_tot", declared=False)
    assert mag is None and vec.variable.shape == (50, 3)
    assert output_split(da, "v", "v_tot", declared=True)[1] is not None


def test_a_load_builds_the_dataset_xarray_would(tmp_path):
    fixtures = pytest.importorskip("helioport_mms.fixtures")
    import helioport
    from helioport.lifecycle.assemble import TIME_ATTRS

    for i, p in enumerate(("mms1", "mms2")):
        fixtures.write_fgm(tmp_path, p, "brst", "2015-10-16T13:05:24", 640, compress=6, seed=i)
    ds = helioport.load(
        "mms",
        "2015-10-16T13:05:24",
        "2015-10-16T13:05:29",
        products="dc_mag",
        probes=["mms1", "mms2"],
        mode="brst",
        base_url=str(tmp_path),
        cache_dir=str(tmp_path / "cache"),
    )
    # the Dataset xarray makes from the same DataArrays (alignment and all)
    ref = xr.Dataset({name: ds[name].copy() for name in ds.data_vars})
    for dim in ref.dims:
        if str(dim).startswith("time_"):
            ref[dim].attrs.update(TIME_ATTRS)
    ref.attrs = ds.attrs
    xr.testing.assert_identical(ds, ref)
    assert list(ds.data_vars) == [
        "dc_mag_mms1",
        "dc_mag_tot_mms1",
        "dc_mag_mms2",
        "dc_mag_tot_mms2",
    ]
    assert ds["component"].dtype == np.dtype("<U1")
    assert ds["dc_mag_mms1"].sizes["time_dc_mag_mms1"] == 640
    assert ds["time_dc_mag_tot_mms2"].attrs == TIME_ATTRS


@pytest.mark.parametrize("ext_s", [None, 0.5])
def test_interp_linear_by_chunks_equals_interp_to_bit_for_bit(monkeypatch, ext_s):
    monkeypatch.setattr(interpolate, "CHUNK", 64)  # many chunks, runs cut at chunk edges
    rng = np.random.default_rng(11)
    dst = T0 + (np.arange(1000) * 62_500_000).astype("m8[ns]")
    # a source on nearly the same cadence (runs), with a gap, starting late and ending early
    near = dst[20:980] + np.timedelta64(3_100_000, "ns")
    near = np.delete(near, np.arange(400, 430))
    # a slow source (30 samples), unsorted, with a NaT and a repeated time
    slow = T0 + (np.arange(30) * 2_000_000_000 + 500_000_000).astype("m8[ns]")
    slow = slow[rng.permutation(30)]
    slow[5] = np.datetime64("NaT")
    slow[7] = slow[8]
    targets = dst.copy()
    targets[100] = np.datetime64("NaT")
    ext = None if ext_s is None else int(ext_s * 1e9)
    sources = []
    for times in (near, slow, dst.copy()):
        values = rng.normal(size=(times.size, 3))
        values[3] = np.nan
        sources.append((times, values, ext))
    ours = interp_linear(sources, targets)
    assert ours.shape == (3, targets.size, 3)
    for k, (times, values, _) in enumerate(sources):
        da = xr.DataArray(values, dims=("t", "component"), coords={"t": times})
        ref = interp_to(da, targets, "linear", extrapolate=None if ext_s is None else f"{ext_s}s")
        np.testing.assert_array_equal(ours[k], ref.values)
    assert np.isnan(ours[0, :20]).all() != (ext_s is not None)  # before the near source
    assert np.isnan(ours[:, 100]).all()  # the NaT target


def test_interp_linear_fills_an_out_array_of_either_layout():
    t = T0 + (np.arange(300) * 1_000_000_000).astype("m8[ns]")
    src = t[::7] + np.timedelta64(1, "ms")
    values = np.arange(src.size * 3, dtype=float).reshape(-1, 3)
    ref = interp_linear([(src, values, None)], t)
    by_row = np.full((1, t.size, 3), -1.0)
    by_component = np.full((1, 3, t.size), -1.0).transpose(0, 2, 1)
    for out in (by_row, by_component):
        assert interp_linear([(src, values, None)], t, out=out) is out
        np.testing.assert_array_equal(out, ref)
    strided = np.full((1, t.size, 6), -1.0)[:, :, ::2]  # not viewable as (1, m, 3) rows
    interp_linear([(src, values, None)], t, out=strided)
    np.testing.assert_array_equal(strided, ref)
    assert np.isfinite(ref[0, 1:-7]).all() and np.isnan(ref[0, 0]).all()
