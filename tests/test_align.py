"""align() and interp_to(): common time bases, exact on known series, never extrapolating."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport.align import align, find_time_dim, interp_to
from helioport.errors import InvalidRequestError
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = np.datetime64("2015-10-16T13:00:00", "ns")


def seconds(s) -> np.ndarray:
    return T0 + np.round(np.asarray(s, dtype=np.float64) * 1e9).astype("timedelta64[ns]")


def series(values, t_seconds, dim, **attrs) -> xr.DataArray:
    values = np.asarray(values)
    dims = (dim,) if values.ndim == 1 else (dim, "component")
    coords = {dim: seconds(t_seconds)}
    if values.ndim == 2:
        coords["component"] = ["x", "y", "z", "tot"][: values.shape[1]]
    return xr.DataArray(values, dims=dims, coords=coords, attrs=attrs)


# --------------------------------------------------------------------------- linear


def test_linear_is_exact_on_a_linear_series_and_never_extrapolates():
    ts = np.array([0.0, 1.0, 2.5, 4.0, 10.0])  # irregular
    da = series(2.0 + 3.0 * ts, ts, "time_n")  # y = 2 + 3 t
    target = np.array([-1.0, 0.0, 0.5, 2.5, 3.0, 7.0, 10.0, 10.5])
    out = interp_to(da, seconds(target))
    assert out.dims == ("time",)
    expected = 2.0 + 3.0 * target
    expected[[0, -1]] = np.nan  # before the first and after the last sample
    np.testing.assert_allclose(out.values, expected, rtol=1e-14)
    assert np.isnan(out.values[0]) and np.isnan(out.values[-1])
    assert out.values[1] == 2.0 and out.values[6] == 32.0  # endpoints exactly


def test_linear_vector_columns_interpolate_together():
    ts = np.arange(0.0, 10.0, 2.0)
    vals = np.stack([ts, -ts, 10 + 0.5 * ts, np.hypot(ts, ts)], axis=1)
    da = series(vals, ts, "time_dc_mag", units="nT", coords="gse")
    out = interp_to(da, seconds([1.0, 3.0, 9.0]))
    assert out.dims == ("time", "component")
    assert list(out["component"].values) == ["x", "y", "z", "tot"]
    np.testing.assert_allclose(out.values[:2, :3], [[1.0, -1.0, 10.5], [3.0, -3.0, 11.5]])
    assert np.isnan(out.values[2]).all()  # 9 s is after the last sample (8 s)
    assert out.attrs == {"units": "nT", "coords": "gse"}


def test_linear_tolerance_blanks_gaps_but_keeps_samples():
    ts = np.array([0.0, 1.0, 2.0, 12.0, 13.0])  # a 10 s gap
    da = series(ts * 10, ts, "time_x")
    target = np.array([0.5, 2.0, 7.0, 12.0, 12.5])
    np.testing.assert_allclose(interp_to(da, seconds(target)).values, target * 10)
    gapped = interp_to(da, seconds(target), tolerance="5s").values
    np.testing.assert_allclose(gapped, [5.0, 20.0, np.nan, 120.0, 125.0])
    np.testing.assert_allclose(interp_to(da, seconds(target), tolerance=5.0).values, gapped)
    np.testing.assert_allclose(
        interp_to(da, seconds(target), tolerance=pd.Timedelta(seconds=5)).values, gapped
    )


def test_nan_neighbours_do_not_spoil_an_exact_sample():
    da = series([1.0, 2.0, np.nan, 4.0], [0, 1, 2, 3], "time_x")
    np.testing.assert_allclose(interp_to(da, seconds([1.0, 1.5, 3.0])).values, [2.0, np.nan, 4.0])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=2, max_size=40, unique=True),
    st.lists(st.integers(-10, 10**6 + 10), min_size=1, max_size=40),
    st.floats(-1e3, 1e3),
    st.floats(-1e3, 1e3),
)
def test_linear_matches_numpy_interp_inside_and_nan_outside(src_ms, dst_ms, a, b):
    src = np.array(sorted(src_ms), dtype=float) / 1e3
    dst = np.array(dst_ms, dtype=float) / 1e3
    rng = np.random.default_rng(len(src_ms))
    y = rng.normal(size=src.size) * 100
    out = interp_to(series(y, src, "time_q"), seconds(dst)).values
    inside = (dst >= src[0]) & (dst <= src[-1])
    np.testing.assert_allclose(out[inside], np.interp(dst[inside], src, y), rtol=1e-9, atol=1e-9)
    assert np.isnan(out[~inside]).all()
    lin = interp_to(series(a + b * src, src, "time_q"), seconds(dst)).values
    np.testing.assert_allclose(lin[inside], a + b * dst[inside], rtol=1e-9, atol=1e-8)


def test_same_time_base_is_a_copy_with_the_same_rules():
    ts = np.arange(0.0, 5.0)
    ints = series(np.arange(5), ts, "time_i", units="counts")
    out = interp_to(ints, seconds(ts))  # the fast path: nothing to resample
    assert out.dtype == np.float64 and out.dims == ("time",) and out.attrs == {"units": "counts"}
    np.testing.assert_array_equal(out.values, np.arange(5.0))
    near = interp_to(ints, seconds(ts), method="nearest")
    assert near.dtype == ints.dtype
    vec = series(np.arange(12.0).reshape(6, 2), np.arange(6.0), "time_v")
    same = interp_to(vec, seconds(np.arange(6.0)))
    same.values[0, 0] = -1.0  # a copy, never a view of the input
    assert vec.values[0, 0] == 0.0
    # one sample more or a shifted time base is resampled as usual
    np.testing.assert_allclose(
        interp_to(vec, seconds(np.arange(6.0) + 0.5)).values[:5, 1], np.arange(1.0, 11.0, 2) + 1.0
    )


def test_sorted_and_unsorted_sources_give_the_same_answer():
    rng = np.random.default_rng(3)
    ts = np.sort(rng.uniform(0, 100, 50))
    y = rng.normal(size=50)
    target = seconds(rng.uniform(-5, 105, 80))
    perm = rng.permutation(50)
    np.testing.assert_array_equal(
        interp_to(series(y, ts, "time_s"), target).values,
        interp_to(series(y[perm], ts[perm], "time_s"), target).values,
    )


def test_extrapolate_reaches_only_as_far_as_asked():
    ts = np.array([10.0, 12.0, 20.0, 30.0])
    da = series(1.0 + 0.5 * ts, ts, "time_r")  # linear: extrapolation is exact
    target = np.array([5.0, 7.9, 8.0, 9.0, 15.0, 31.0, 32.0, 32.1, 40.0])
    out = interp_to(da, seconds(target), extrapolate="2s").values
    expected = 1.0 + 0.5 * target
    expected[[0, 1, 7, 8]] = np.nan  # more than 2 s before the first / after the last sample
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    # the same reach as a numpy timedelta (numpy counts it as an integer: not seconds)
    np.testing.assert_allclose(
        interp_to(da, seconds(target), extrapolate=np.timedelta64(2000, "ms")).values, expected
    )
    assert np.isnan(interp_to(da, seconds(target)).values[[0, 1, 2, 3, 5, 6, 7, 8]]).all()
    # the end pairs are used: a curve is continued along its last chord
    curve = interp_to(series(ts**2, ts, "time_c"), seconds([9.0, 31.0]), extrapolate=5).values
    np.testing.assert_allclose(curve, [100 - 22 * 1, 900 + 50 * 1])
    with pytest.raises(InvalidRequestError, match="extrapolate= needs method='linear'"):
        interp_to(da, seconds(target), method="nearest", extrapolate=1)


def test_numpy_timedelta_tolerance_is_a_duration():
    da = series([0.0, 10.0, 20.0], [0.0, 1.0, 10.0], "time_g")
    out = interp_to(da, seconds([0.5, 5.0]), tolerance=np.timedelta64(2, "s")).values
    np.testing.assert_allclose(out, [5.0, np.nan])
    out_ms = interp_to(da, seconds([0.5, 5.0]), tolerance=np.timedelta64(9500, "ms")).values
    np.testing.assert_allclose(out_ms, [5.0, 10.0 + 10.0 * 4 / 9])


# --------------------------------------------------------------------------- nearest


def test_nearest_with_and_without_tolerance():
    ts = np.array([0.0, 10.0, 20.0])
    da = series(np.array([1, 2, 3]), ts, "time_i")  # integers
    target = np.array([-1.0, 4.0, 5.0, 6.0, 19.0, 21.0])
    out = interp_to(da, seconds(target), method="nearest")
    # 5 s is a tie between 0 s and 10 s: the later sample wins (as in pandas)
    np.testing.assert_array_equal(out.values, [np.nan, 1, 2, 2, 3, np.nan])
    assert out.dtype == np.float64  # NaN needed
    tol = interp_to(da, seconds(target), method="nearest", tolerance="1s")
    np.testing.assert_array_equal(tol.values, [1, np.nan, np.nan, np.nan, 3, 3])
    inside = interp_to(da, seconds([0.0, 9.0, 20.0]), method="nearest")
    assert inside.dtype == da.dtype  # integers stay integers when nothing is missing
    np.testing.assert_array_equal(inside.values, [1, 2, 3])


def test_unsorted_and_duplicate_source_times():
    da = series([30.0, 10.0, 20.0, 99.0], [3, 1, 2, 1], "time_u")  # duplicate 1 s keeps its first
    np.testing.assert_allclose(interp_to(da, seconds([1.0, 1.5, 2.5])).values, [10.0, 15.0, 25.0])


# --------------------------------------------------------------------------- dtypes


def test_complex_datetime_bool_and_text_values():
    ts = [0.0, 10.0]
    target = seconds([5.0, 20.0])
    c = interp_to(series(np.array([1 + 1j, 3 - 1j]), ts, "time_c"), target)
    np.testing.assert_allclose(c.values[0], 2 + 0j)
    assert np.isnan(c.values[1])
    d = interp_to(series(seconds([100.0, 200.0]), ts, "time_d"), target)
    assert d.values[0] == seconds([150.0])[0] and np.isnat(d.values[1])
    b = interp_to(series(np.array([True, False]), ts, "time_b"), seconds([4.0, 6.0, 20.0]))
    np.testing.assert_array_equal(b.values, [1.0, 0.0, np.nan])  # nearest, NaN where missing
    s = interp_to(series(np.array(["a", "b"]), ts, "time_s"), seconds([4.0, 6.0, 20.0]))
    assert list(s.values[:2]) == ["a", "b"] and pd.isna(s.values[2])


# --------------------------------------------------------------------------- align


def _dataset() -> xr.Dataset:
    ta = np.arange(0.0, 10.0, 1.0)
    tb = np.arange(-0.5, 12.0, 0.25)
    ds = xr.Dataset(
        {
            "i_dens": ("time_i_dens", 5 + ta, {"units": "cm^-3"}),
            "dc_mag": (
                ("time_dc_mag", "component"),
                np.stack([tb, 2 * tb, -tb, 3 * tb], 1),
                {"units": "nT"},
            ),
            "flag": ("time_dc_mag", (tb > 3).astype(np.int16)),
            "const": ((), 7.0),
        },
        coords={
            "time_i_dens": seconds(ta),
            "time_dc_mag": seconds(tb),
            "component": ["x", "y", "z", "tot"],
        },
        attrs={"mission": "mms"},
    )
    return ds


def test_align_dataset_onto_the_first_variable():
    ds = _dataset()
    out = align(ds)
    assert set(out.dims) == {"time", "component"}
    np.testing.assert_array_equal(out["time"].values, ds["time_i_dens"].values)
    np.testing.assert_allclose(out["dc_mag"].sel(component="y").values, 2 * np.arange(10.0))
    np.testing.assert_allclose(out["i_dens"].values, 5 + np.arange(10.0))
    assert out["dc_mag"].attrs["units"] == "nT" and out["i_dens"].attrs["units"] == "cm^-3"
    assert out.attrs["mission"] == "mms"
    assert out.attrs["alignment"] == "linear onto i_dens time base"
    assert float(out["const"]) == 7.0
    np.testing.assert_allclose(out["flag"].values, (np.arange(10.0) > 3).astype(float))


def test_align_onto_a_named_variable_and_onto_given_times():
    ds = _dataset()
    out = align(ds, "dc_mag", method="nearest")
    assert out.attrs["alignment"] == "nearest onto dc_mag time base"
    tb = ds["time_dc_mag"].values
    np.testing.assert_array_equal(out["time"].values, tb)
    dens = out["i_dens"].values
    # i_dens exists from 0 to 9 s: nearest sample inside, NaN outside its span
    assert np.isnan(dens[0]) and np.isnan(dens[-1])
    assert dens[np.searchsorted(tb, seconds([3.25])[0])] == 8.0
    given = align(ds, seconds([1.5, 2.5]), tolerance="2s")
    assert given.attrs["alignment"] == "linear onto given time base"
    assert given.attrs["alignment_tolerance"] == "0 days 00:00:02"
    np.testing.assert_allclose(given["i_dens"].values, [6.5, 7.5])
    np.testing.assert_allclose(given["dc_mag"].sel(component="x").values, [1.5, 2.5])


def test_align_dict_and_list_of_dataarrays():
    a = series([0.0, 10.0], [0, 10], "time_a").rename("a")
    b = series([1.0, 2.0, 3.0], [2, 4, 6], "time_b").rename("b")
    out = align([a, b], time="b")
    np.testing.assert_allclose(out["a"].values, [2.0, 4.0, 6.0])
    out2 = align({"first": b, "second": a})
    np.testing.assert_allclose(out2["second"].values, [2.0, 4.0, 6.0])
    assert out2.attrs["alignment"] == "linear onto first time base"


def test_align_interpolates_time_varying_coordinates():
    ts = np.array([0.0, 2.0])
    da = xr.DataArray(
        np.ones((2, 3)),
        dims=("time_e", "energy_bin"),
        coords={
            "time_e": seconds(ts),
            "energy": (("time_e", "energy_bin"), [[1.0, 2, 3], [3.0, 4, 5]]),
        },
        name="flux",
    )
    out = align([da], seconds([1.0]))
    assert out["energy"].dims == ("time", "energy_bin")
    np.testing.assert_allclose(out["energy"].values, [[2.0, 3.0, 4.0]])


def test_align_errors_are_clear():
    ds = _dataset()
    with pytest.raises(InvalidRequestError, match="method 'cubic'"):
        align(ds, method="cubic")
    with pytest.raises(InvalidRequestError, match="no variable named 'nope'.*i_dens"):
        align(ds, "nope")
    with pytest.raises(InvalidRequestError, match="tolerance"):
        align(ds, tolerance="soon")
    with pytest.raises(InvalidRequestError, match="no datetime64 dimension"):
        interp_to(xr.DataArray([1.0, 2.0], dims="x"), seconds([0.0]))


def test_find_time_dim_takes_the_first_datetime_dimension():
    da = series(np.zeros((2, 3)), [0, 1], "time_dc_mag_mms1")
    assert find_time_dim(da) == "time_dc_mag_mms1"
    assert find_time_dim(xr.DataArray([1.0], dims="x", coords={"x": [0.0]})) is None
