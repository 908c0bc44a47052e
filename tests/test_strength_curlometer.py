"""Behaviours of helioport.derive.curlometer that mutation testing found unpinned.

Units other than nT and km, inputs without ``units`` or ``coords``, the
``curlometer_min_shape`` option, tiny and coincident tetrahedra, and inputs
longer than one 16,384-sample block. A field ``B = B0 + G r`` is linear, so the
curlometer is exact for it: ``curl B`` and ``div B`` follow from ``G`` alone.
"""

from __future__ import annotations

import logging
import re
import types
import warnings

import numpy as np
import pytest
import xarray as xr
from helioport.derive.curlometer import (
    _BLOCK,
    DEFAULT_MIN_SHAPE,
    MU0,
    NT_PER_KM_TO_T_PER_M,
    curlometer,
    j_curl,
    tetrahedron_shape,
)
from helioport.errors import DerivationError, InvalidRequestError

G = np.array([[0.5, 2.0, -1.0], [-3.0, 0.2, 4.0], [1.5, -2.5, -0.2]])  # nT/km
CURL = np.array([G[2, 1] - G[1, 2], G[0, 2] - G[2, 0], G[1, 0] - G[0, 1]])  # (-6.5, -2.5, -5)
DIV = np.trace(G)  # 0.5
REGULAR = np.array(
    [[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]]
)
PROBES = ["p1", "p2", "p3", "p4"]


def field(r: np.ndarray) -> np.ndarray:
    return np.array([10.0, -5.0, 3.0]) + r @ G.T


# -- the numpy core -------------------------------------------------------------------
def test_constants() -> None:
    assert MU0 == 1.25663706212e-6
    assert NT_PER_KM_TO_T_PER_M == 1e-12
    assert DEFAULT_MIN_SHAPE == 1e-3
    assert _BLOCK == 16384


def test_every_output_of_one_sample() -> None:
    r = REGULAR * 100.0 + np.array([7e4, -2e4, 1e3])
    out = curlometer(r, field(r))  # (4, 3) arrays: one sample
    assert sorted(out) == ["curl_b", "div_b", "j", "quality", "shape"]
    np.testing.assert_allclose(out["curl_b"], [CURL], atol=1e-9)
    np.testing.assert_allclose(out["div_b"], [DIV], atol=1e-9)
    np.testing.assert_allclose(out["j"], [CURL * 1e-12 / MU0], rtol=1e-9)
    np.testing.assert_allclose(out["quality"], [abs(DIV) / np.linalg.norm(CURL)], rtol=1e-9)
    np.testing.assert_allclose(out["shape"], [1.0], rtol=1e-12)
    assert out["curl_b"].shape == (1, 3) and out["div_b"].shape == (1,)


def test_more_than_one_block() -> None:
    # each sample its own size, place and field: a block boundary must not shift anything
    n = 2 * _BLOCK + 7
    k = np.arange(n)
    scale = 1.0 + (k % 97)  # km
    offset = np.stack([k * 3.0, -k * 1.0, np.full(n, 5.0)], axis=1)
    r = REGULAR[:, None, :] * scale[None, :, None] + offset[None]
    amp = 1.0 + (k % 5)  # the gradient grows with the sample: G * amp
    b = np.array([10.0, -5.0, 3.0]) + amp[None, :, None] * (r @ G.T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = curlometer(r, b)
    np.testing.assert_allclose(out["curl_b"], amp[:, None] * CURL, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out["div_b"], amp * DIV, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out["shape"], 1.0, rtol=1e-9)


def test_tetrahedra_smaller_than_one_unit() -> None:
    r = REGULAR * 1e-3  # 1 m edges, in km
    out = curlometer(r, field(r))
    np.testing.assert_allclose(out["curl_b"], [CURL], rtol=1e-6)
    np.testing.assert_allclose(out["shape"], [1.0], rtol=1e-9)


@pytest.mark.parametrize("same", [(0, 1), (2, 3), (0, 1, 2, 3)])
def test_coincident_points_are_degenerate(same: tuple[int, ...]) -> None:
    r = REGULAR * 10.0
    r[list(same)] = r[same[0]]
    good = REGULAR * 10.0
    rr = np.stack([r, good], axis=1)
    with pytest.warns(RuntimeWarning) as record:
        out = curlometer(rr, field(rr))
    assert len(record) == 1
    assert str(record[0].message) == (
        "curlometer: 1 of 2 samples have a degenerate (flat or elongated) tetrahedron, "
        "shape factor < 0.001; their results are NaN"
    )
    assert out["shape"][0] == 0.0
    assert np.isnan(out["curl_b"][0]).all() and np.isnan(out["div_b"][0])
    assert np.isnan(out["j"][0]).all() and np.isnan(out["quality"][0])
    np.testing.assert_allclose(out["curl_b"][1], CURL, atol=1e-9)


def test_min_shape_threshold_is_exclusive_and_zero_keeps_flat_but_not_empty() -> None:
    # a squashed tetrahedron of known shape factor
    flat = REGULAR * [1.0, 1.0, 0.01] * 10.0
    s = float(tetrahedron_shape(flat[:, None, :])[0])
    assert 0.015 < s < 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = curlometer(flat, field(flat), min_shape=s)  # shape == min_shape: kept
    np.testing.assert_allclose(kept["curl_b"], [CURL], rtol=1e-6)
    with pytest.warns(RuntimeWarning, match=re.escape(f"shape factor < {s * 1.00001:g};")):
        dropped = curlometer(flat, field(flat), min_shape=s * 1.00001)
    assert np.isnan(dropped["curl_b"]).all()
    # min_shape=0: a zero-volume tetrahedron is still degenerate
    line = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0.0]])
    with pytest.warns(RuntimeWarning, match="1 of 1 samples"):
        out = curlometer(line, field(line), min_shape=0)
    assert np.isnan(out["div_b"]).all()


def test_nan_input_is_nan_throughout_and_not_called_degenerate() -> None:
    r = np.stack([REGULAR * 10.0] * 3, axis=1)
    b = field(r)
    b[2, 0, 1] = np.nan  # probe 3's By, sample 0
    r[1, 1, 0] = np.nan  # probe 2's x, sample 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = curlometer(r, b)
    for k in ("curl_b", "j"):
        assert np.isnan(out[k][:2]).all() and np.isfinite(out[k][2]).all()
    assert np.isnan(out["div_b"][:2]).all() and np.isnan(out["quality"][:2]).all()
    np.testing.assert_allclose(out["curl_b"][2], CURL, atol=1e-9)


def test_curlometer_shape_errors() -> None:
    with pytest.raises(ValueError, match=r"shape \(4, N, 3\); got \(4, 2, 2\) and \(4, 2, 3\)"):
        curlometer(np.zeros((4, 2, 2)), np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match=r"\(4, N, 3\); got \(4, 2, 3\) and \(4, 2, 2\)"):
        curlometer(np.zeros((4, 2, 3)), np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match=r"\(4, N, 3\); got \(4, 2, 3\) and \(5, 2, 3\)"):
        curlometer(np.zeros((4, 2, 3)), np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"positions \(4, 2, 3\) and fields \(4, 3, 3\) must"):
        curlometer(np.zeros((4, 2, 3)), np.zeros((4, 3, 3)))


def test_tetrahedron_shape_values_and_errors() -> None:
    a = REGULAR[:, None, :]
    np.testing.assert_allclose(tetrahedron_shape(a * 1e-4), [1.0], rtol=1e-9)
    # a right-angled corner tetrahedron: |D| = 1, six edges 1, 1, 1, sqrt2 x 3 -> L^2 = 1.5
    corner = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]])[:, None, :]
    np.testing.assert_allclose(tetrahedron_shape(corner), [np.sqrt(2) / 1.5**1.5], rtol=1e-12)
    assert tetrahedron_shape(np.zeros((4, 1, 3))).tolist() == [0.0]
    for bad in [(4, 3), (3, 1, 3), (4, 1, 2)]:
        with pytest.raises(ValueError, match=re.escape(f"(4, N, 3); got {bad}")):
            tetrahedron_shape(np.zeros(bad))


# -- the xarray wrapper ---------------------------------------------------------------
TIMES = np.array(["2020-01-01T00:00:00", "2020-01-01T00:00:01", "2020-01-01T00:00:02"], "M8[ns]")


def vector(values: np.ndarray, attrs: dict) -> xr.DataArray:
    return xr.DataArray(
        values,
        dims=("time", "component"),
        coords={"time": TIMES, "component": ["x", "y", "z"]},
        attrs=attrs,
    )


def inputs(
    pos_units: str | None = "km",
    km_per_unit: float = 1.0,
    b_units: str | None = "nT",
    nt_per_unit: float = 1.0,
    frame: str | None = "gse",
) -> dict:
    r = REGULAR * 50.0 + np.array([6e4, 1e4, -5e3])
    mags, poss = {}, {}
    for i, p in enumerate(PROBES):
        ri = np.repeat(r[i][None], TIMES.size, axis=0)
        b_attrs = {} if b_units is None else {"units": b_units}
        r_attrs = {} if pos_units is None else {"units": pos_units}
        if frame is not None:
            b_attrs["coords"] = r_attrs["coords"] = frame
        mags[p] = vector(field(ri) / nt_per_unit, b_attrs)
        poss[p] = vector(ri / km_per_unit, r_attrs)
    return {"dc_mag": mags, "sc_pos": poss}


@pytest.mark.parametrize(
    ("units", "km"),
    [
        ("km", 1.0),
        ("KM", 1.0),
        ("m", 1e-3),
        ("Re", 6371.2),
        ("RE", 6371.2),
        ("R_E", 6371.2),
        ("r_e", 6371.2),
        ("earth radii", 6371.2),
        ("Earth Radii", 6371.2),
        ("earthradii", 6371.2),
        (" km ", 1.0),
        (None, 1.0),  # no units attribute: km
    ],
)
def test_position_units(units: str | None, km: float) -> None:
    ds = j_curl(inputs(pos_units=units, km_per_unit=km))
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(CURL, (3, 1)), rtol=1e-7)


@pytest.mark.parametrize(
    ("units", "nt"),
    [("nT", 1.0), ("NT", 1.0), ("T", 1e9), ("t", 1e9), ("pT", 1e-3), (None, 1.0)],
)
def test_field_units(units: str | None, nt: float) -> None:
    ds = j_curl(inputs(b_units=units, nt_per_unit=nt))
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(CURL, (3, 1)), rtol=1e-7)
    np.testing.assert_allclose(ds["div_b"].values, DIV, rtol=1e-6)
    np.testing.assert_allclose(ds["j_curl"].values, np.tile(CURL * 1e-3 / MU0, (3, 1)), rtol=1e-7)


@pytest.mark.parametrize(
    ("kind", "units", "message"),
    [
        (
            "pos",
            "furlong",
            "sc_pos 'p1' has units 'furlong'; the curlometer understands km, m, re, earth radii",
        ),
        ("b", "gauss", "dc_mag 'p1' has units 'gauss'; the curlometer understands nt, t, pt"),
    ],
)
def test_unknown_units_are_refused(kind: str, units: str, message: str) -> None:
    data = inputs()
    group = data["sc_pos" if kind == "pos" else "dc_mag"]
    for p in PROBES:
        group[p] = group[p].rename(p)
    group["p1"].attrs["units"] = units
    with pytest.raises(DerivationError) as err:
        j_curl(data)
    assert str(err.value) == f"j_curl: {message}"


def test_inputs_without_coords_attrs() -> None:
    ds = j_curl(inputs(frame=None))
    assert "coords" not in ds.attrs and "coords" not in ds["j_curl"].attrs
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(CURL, (3, 1)), rtol=1e-7)
    # a frame on some inputs only is the frame of the result
    data = inputs(frame=None)
    data["sc_pos"]["p2"].attrs["coords"] = " GSM "
    ds = j_curl(data)
    assert ds.attrs["coords"] == "gsm"
    assert ds["j_curl"].attrs["coords"] == "gsm" and ds["curl_b"].attrs["coords"] == "gsm"
    assert "coords" not in ds["div_b"].attrs


def test_result_attrs() -> None:
    ds = j_curl(inputs())
    assert ds.attrs["min_shape"] == DEFAULT_MIN_SHAPE
    assert ds.attrs["probes"] == "p1,p2,p3,p4" and ds.attrs["time_base"] == "dc_mag of p1"
    for name in ("j_curl", "curl_b", "div_b", "curl_quality"):
        assert ds[name].attrs["method"] == "curlometer (Chanteur 1998 barycentric)"
        assert ds[name].attrs["probes"] == "p1,p2,p3,p4"
    assert ds["curl_quality"].attrs["units"] == "1"
    assert ds["j_curl"].attrs["long_name"] == "current density (curlometer)"
    np.testing.assert_array_equal(ds["time"].values, TIMES)


def test_min_shape_option() -> None:
    data = inputs()
    # squash probe 4 towards the others' plane: shape about 0.01
    r = REGULAR * 50.0 + np.array([6e4, 1e4, -5e3])
    r[3, 2] = r[0, 2] + (r[3, 2] - r[0, 2]) * 0.01
    for i, p in enumerate(PROBES):
        ri = np.repeat(r[i][None], TIMES.size, axis=0)
        data["sc_pos"][p] = vector(ri, {"units": "km"})
        data["dc_mag"][p] = vector(field(ri), {"units": "nT"})
    s = float(tetrahedron_shape(r[:, None, :])[0])
    assert 0.005 < s < 0.02
    with pytest.warns(RuntimeWarning):
        strict = j_curl(data, types.SimpleNamespace(options={"curlometer_min_shape": s * 2}))
    assert np.isnan(strict["j_curl"].values).all() and strict.attrs["min_shape"] == s * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loose = j_curl(data, types.SimpleNamespace(options={"curlometer_min_shape": "0.001"}))
        default = j_curl(data, types.SimpleNamespace(options={}))
        none = j_curl(data, types.SimpleNamespace(options=None))
    assert loose.attrs["min_shape"] == 0.001
    for ds in (loose, default, none):
        np.testing.assert_allclose(ds["curl_b"].values, np.tile(CURL, (3, 1)), rtol=1e-6)


def test_every_variable_on_time_and_component() -> None:
    ds = j_curl(inputs())
    for name in ("j_curl", "curl_b"):
        assert ds[name].dims == ("time", "component")
    for name in ("div_b", "curl_quality"):
        assert ds[name].dims == ("time",)
    assert sorted(ds.dims) == ["component", "time"]
    # nA/m^2 from nT/km, exactly: 1 nT/km = 1e-12 T/m; / mu0; x 1e9 nA per A
    np.testing.assert_allclose(
        ds["j_curl"].values, ds["curl_b"].values * 1e-12 / MU0 * 1e9, rtol=1e-14
    )
    assert ds.attrs["interpolation"] == (
        "linear onto the time base; positions also extrapolated linearly up to one of "
        "their sample spacings beyond their ends; NaN elsewhere outside an input's span"
    )


def test_position_units_with_inner_spaces() -> None:
    ds = j_curl(inputs(pos_units="Earth  Radii", km_per_unit=6371.2))
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(CURL, (3, 1)), rtol=1e-7)


def test_error_messages_name_the_probes() -> None:
    data = inputs()
    del data["dc_mag"]["p2"], data["sc_pos"]["p3"]
    with pytest.raises(DerivationError) as err:
        j_curl(data)
    assert str(err.value) == (
        "j_curl needs dc_mag and sc_pos for exactly 4 probes; missing dc_mag of p2, sc_pos of "
        "p3; probes given: p1, p3, p4, p2. Request four probes, e.g. "
        "probes=['mms1', 'mms2', 'mms3', 'mms4']"
    )
    with pytest.raises(DerivationError) as err:
        j_curl({})
    assert str(err.value) == (
        "j_curl needs dc_mag and sc_pos for exactly 4 probes; probes given: none. Request four "
        "probes, e.g. probes=['mms1', 'mms2', 'mms3', 'mms4']"
    )
    data = inputs()
    data["sc_pos"]["p4"].attrs["coords"] = "gsm"
    with pytest.raises(DerivationError) as err:
        j_curl(data)
    assert str(err.value) == (
        "j_curl: B and positions must be in one frame, got dc_mag p1: gse, dc_mag p2: gse, "
        "dc_mag p3: gse, dc_mag p4: gse, sc_pos p1: gse, sc_pos p2: gse, sc_pos p3: gse, "
        "sc_pos p4: gsm; load them with the same coords= (e.g. coords='gse')"
    )


@pytest.mark.parametrize(("group", "probe"), [("sc_pos", "p1"), ("dc_mag", "p3"), ("dc_mag", "p1")])
def test_inputs_without_time_are_named(group: str, probe: str) -> None:
    data = inputs()
    data[group][probe] = data[group][probe].rename(time="sample").drop_vars("sample")
    with pytest.raises(DerivationError, match=f"^j_curl: {group} of {probe} has no datetime64"):
        j_curl(data)


@pytest.mark.parametrize("probe", ["p1", "p2"])
def test_inputs_without_components_are_named(probe: str) -> None:
    data = inputs()
    data["dc_mag"][probe] = data["dc_mag"][probe].isel(component=0)
    with pytest.raises(DerivationError, match=f"^dc_mag of {probe} must be a vector"):
        j_curl(data)


def request(**options) -> types.SimpleNamespace:
    return types.SimpleNamespace(options=options)


def test_positions_option() -> None:
    data = inputs()
    for p in PROBES[:2]:
        data["sc_pos"][p].attrs["source_variable"] = f"{p}_mec_r_gse"
    for asked in (None, True, False, "mec", " MEC "):
        opts = {} if asked is None else {"positions": asked}
        ds = j_curl(data, request(**opts))
        assert (
            ds.attrs["positions"] == "mec: p1_mec_r_gse, p2_mec_r_gse, sc_pos of p3, sc_pos of p4"
        )
        assert ds["j_curl"].attrs["positions"] == ds.attrs["positions"]
    with pytest.raises(InvalidRequestError) as err:
        j_curl(data, request(positions="gps"))
    assert str(err.value) == (
        "j_curl: positions='gps' is not one of mec, fgm; 'mec' (default) uses sc_pos, 'fgm' the "
        "positions the magnetometer files carry"
    )
    with pytest.raises(DerivationError) as err:
        j_curl(data, request(positions="fgm"))
    assert str(err.value) == (
        "j_curl: positions='fgm' asks for the FGM files' positions, but sc_pos comes from "
        "p1_mec_r_gse, p2_mec_r_gse, sc_pos of p3, sc_pos of p4; this mission's plugin does not "
        "serve them for positions='fgm': leave positions to 'mec'"
    )
    for p in PROBES:
        data["sc_pos"][p].attrs["source_variable"] = f"{p}_FGM_srvy_l2_r_gse"
    ds = j_curl(data, request(positions="FGM"))
    assert ds.attrs["positions"] == "fgm: " + ", ".join(f"{p}_FGM_srvy_l2_r_gse" for p in PROBES)
    data["sc_pos"]["p4"].attrs["source_variable"] = "p4_mec_r_gse"
    with pytest.raises(DerivationError, match="comes from p4_mec_r_gse; this"):
        j_curl(data, request(positions="fgm"))


def test_long_names_and_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="helioport.derive.curlometer"):
        ds = j_curl(inputs())
    assert caplog.messages == ["j_curl: 3 samples from probes ['p1', 'p2', 'p3', 'p4']"]
    assert {k: ds[k].attrs["long_name"] for k in ds.data_vars} == {
        "j_curl": "current density (curlometer)",
        "curl_b": "curl of B",
        "div_b": "divergence of B",
        "curl_quality": "|div B| / |curl B| (small is good)",
    }
    assert {k: ds[k].attrs["units"] for k in ds.data_vars} == {
        "j_curl": "nA/m^2",
        "curl_b": "nT/km",
        "div_b": "nT/km",
        "curl_quality": "1",
    }


def test_curl_free_field_has_infinite_quality_without_warnings() -> None:
    # a corner tetrahedron and B = r: every number is exact, curl B is exactly 0, div B 3
    r = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1.0]]) * 4.0
    b = r.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = curlometer(r, b)
    assert out["curl_b"].tolist() == [[0.0, 0.0, 0.0]] and out["div_b"].tolist() == [3.0]
    assert out["quality"].tolist() == [np.inf]
