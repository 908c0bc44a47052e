"""The science of the derived products: curlometer, plasma beta, elevation angle.

Every expected value is computed independently in the test (the field
gradient of a linear field, the arithmetic of beta written out), so a wrong
formula, sign or unit conversion fails.
"""

from __future__ import annotations

import warnings

import numpy as np
import pluggy
import pytest
import xarray as xr
from helioport import hookspecs
from helioport.derive import (
    curlometer,
    e_beta,
    i_beta,
    j_curl,
    mag_elev_angle,
    mag_elev_angle_product,
    plasma_beta,
    tetrahedron_shape,
)
from helioport.derive import plugin as derive_plugin
from helioport.derive.curlometer import MU0
from helioport.errors import DerivationError
from helioport.schema import Derivation
from hypothesis import assume, given, settings
from hypothesis import strategies as st

T0 = np.datetime64("2015-10-16T13:00:00", "ns")


def seconds(s) -> np.ndarray:
    return T0 + (np.asarray(s, dtype=np.float64) * 1e9).astype("timedelta64[ns]")


def curl_of(G: np.ndarray) -> np.ndarray:
    """curl of B = G r, where G[i, j] = dB_i / dx_j."""
    return np.array([G[2, 1] - G[1, 2], G[0, 2] - G[2, 0], G[1, 0] - G[0, 1]])


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


REGULAR = np.array(
    [[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]]
)

# --------------------------------------------------------------------------- curlometer


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    vertices=st.lists(st.tuples(finite, finite, finite), min_size=4, max_size=4),
    gradient=st.lists(st.floats(-10, 10), min_size=9, max_size=9),
    b0=st.tuples(st.floats(-500, 500), st.floats(-500, 500), st.floats(-500, 500)),
    offset=st.tuples(*[st.floats(-1e5, 1e5)] * 3),
)
def test_curlometer_is_exact_for_a_linear_field(vertices, gradient, b0, offset):
    local = np.array(vertices, dtype=float)  # km, around the reference point
    shape = tetrahedron_shape(local[:, None, :])[0]
    assume(shape > 0.05)  # a usable tetrahedron; degenerate ones are tested apart
    G = np.array(gradient).reshape(3, 3)  # nT/km
    r = local + np.array(offset)
    b = np.array(b0) + local @ G.T  # B(r) = B0 + G (r - offset): linear in r
    out = curlometer(r[:, None, :], b[:, None, :])
    size = np.sqrt(((local - local.mean(0)) ** 2).sum(1).mean())
    # rounding: eps * (|offset| / size) from the differences, amplified by 1/shape
    tol = 1e-12 * (1 + np.abs(offset).max() / max(size, 1e-300)) / shape * (1 + np.abs(G).max())
    tol += 1e-12 * np.abs(b0).max() / max(size, 1e-300) / shape
    np.testing.assert_allclose(out["curl_b"][0], curl_of(G), rtol=0, atol=tol)
    np.testing.assert_allclose(out["div_b"][0], np.trace(G), rtol=0, atol=tol)


def test_curlometer_vectorised_over_many_different_tetrahedra_and_fields():
    rng = np.random.default_rng(1998)
    n = 5000
    local = rng.uniform(-20, 20, size=(4, n, 3))
    keep = tetrahedron_shape(local) > 0.1
    local = local[:, keep]
    n = local.shape[1]
    G = rng.uniform(-3, 3, size=(n, 3, 3))
    b0 = rng.uniform(-50, 50, size=(n, 3))
    centre = rng.uniform(-7e4, 7e4, size=(n, 3))
    r = local + centre
    b = b0 + np.einsum("nij,anj->ani", G, local)
    out = curlometer(r, b)
    expected_curl = np.stack(
        [G[:, 2, 1] - G[:, 1, 2], G[:, 0, 2] - G[:, 2, 0], G[:, 1, 0] - G[:, 0, 1]], 1
    )
    np.testing.assert_allclose(out["curl_b"], expected_curl, atol=1e-7)
    np.testing.assert_allclose(out["div_b"], np.trace(G, axis1=1, axis2=2), atol=1e-7)
    # J = curl B / mu0 with 1 nT/km = 1e-12 T/m  ->  A/m^2
    np.testing.assert_allclose(out["j"], expected_curl * 1e-12 / MU0, rtol=1e-8, atol=1e-15)
    # a linear field with a divergence: quality = |div B| / |curl B|
    np.testing.assert_allclose(
        out["quality"],
        np.abs(np.trace(G, axis1=1, axis2=2)) / np.linalg.norm(expected_curl, axis=1),
        rtol=1e-6,
    )


def test_current_units_written_out():
    # B = (0, 0, 0) + G r with dBy/dx = 1 nT/km: curl B = (0, 0, 1) nT/km.
    r = np.array([[0, 0, 0], [7.0, 1, 0], [-2, 9, 1], [1, 2, 11]])
    G = np.zeros((3, 3))
    G[1, 0] = 1.0
    out = curlometer(r, r @ G.T)
    np.testing.assert_allclose(out["curl_b"][0], [0, 0, 1], atol=1e-14)
    # 1 nT/km = 1e-9 T / 1e3 m = 1e-12 T/m; J = 1e-12 / 1.25663706212e-6 = 7.9577471e-7 A/m^2
    assert out["j"][0, 2] == pytest.approx(7.957747150262763e-07, rel=1e-12)
    assert out["j"][0, 2] * 1e9 == pytest.approx(795.7747150262763, rel=1e-12)  # nA/m^2
    assert out["div_b"][0] == pytest.approx(0, abs=1e-14)


def test_curlometer_invariant_under_rotation_and_translation():
    rng = np.random.default_rng(7)
    n = 200
    r = rng.uniform(-30, 30, size=(4, n, 3))
    r = r[:, tetrahedron_shape(r) > 0.2]

    # a non-linear field, so the estimate is not trivially exact
    def field(x):
        return np.stack(
            [
                x[..., 1] ** 2 * 0.01 + 3 * x[..., 2],
                np.sin(x[..., 0] / 40) * 20,
                x[..., 0] * x[..., 1] * 0.02,
            ],
            -1,
        )

    b = field(r)
    base = curlometer(r, b)
    q = random_rotation(rng)
    rotated = curlometer(r @ q.T, b @ q.T)
    np.testing.assert_allclose(rotated["curl_b"], base["curl_b"] @ q.T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(rotated["div_b"], base["div_b"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(rotated["j"], base["j"] @ q.T, rtol=1e-9, atol=1e-18)
    shifted = curlometer(r + np.array([6.4e4, -2.0e4, 1.1e4]), b)
    np.testing.assert_allclose(shifted["curl_b"], base["curl_b"], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(shifted["div_b"], base["div_b"], rtol=1e-7, atol=1e-8)
    # vertex order does not matter either
    perm = [2, 0, 3, 1]
    np.testing.assert_allclose(
        curlometer(r[perm], b[perm])["curl_b"], base["curl_b"], rtol=1e-9, atol=1e-9
    )


def test_flat_tetrahedron_gives_nan_and_a_warning():
    good = REGULAR * 10
    flat = good.copy()
    flat[:, 2] = 0.0  # all four in the z = 0 plane
    near_flat = good.copy()
    near_flat[3, 2] = 1e-5  # thickness 1e-6 of the size
    r = np.stack([good, flat, near_flat, good], axis=1)
    G = np.arange(9.0).reshape(3, 3)
    b = np.einsum("ij,anj->ani", G, r)
    with pytest.warns(RuntimeWarning, match=r"2 of 4 samples .*degenerate"):
        out = curlometer(r, b)
    assert np.isnan(out["curl_b"][[1, 2]]).all() and np.isnan(out["div_b"][[1, 2]]).all()
    assert np.isnan(out["j"][[1, 2]]).all()
    np.testing.assert_allclose(out["curl_b"][[0, 3]], [curl_of(G)] * 2, atol=1e-12)
    np.testing.assert_allclose(out["div_b"][[0, 3]], [12.0, 12.0], atol=1e-12)
    assert out["shape"][0] == pytest.approx(1.0)
    assert out["shape"][1] == 0.0
    # a user who accepts thin tetrahedra gets the near-flat one back, still exact here
    with pytest.warns(RuntimeWarning, match="1 of 4"):
        loose = curlometer(r, b, min_shape=0)
    np.testing.assert_allclose(loose["curl_b"][2], curl_of(G), rtol=1e-6)


def test_no_warning_for_good_tetrahedra_and_nan_inputs_stay_nan():
    r = np.stack([REGULAR * 10] * 3, axis=1)
    b = np.ones((4, 3, 3))
    b[2, 1, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = curlometer(r, b)
    assert np.isnan(out["curl_b"][1]).all()
    np.testing.assert_allclose(out["curl_b"][[0, 2]], 0.0, atol=1e-14)


def test_curlometer_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(4, N, 3\)"):
        curlometer(np.zeros((3, 5, 3)), np.zeros((3, 5, 3)))


def test_tetrahedron_shape_regular_and_degenerate():
    assert tetrahedron_shape(REGULAR[:, None, :] * 123.0)[0] == pytest.approx(1.0, rel=1e-12)
    line = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0.0]])[:, None, :]
    assert tetrahedron_shape(line)[0] == 0.0


# --------------------------------------------------------------------------- j_curl wrapper


def _vector(values, times, dim, units, frame="gse", labels=("x", "y", "z")):
    return xr.DataArray(
        values,
        dims=(dim, "component"),
        coords={dim: times, "component": list(labels)},
        attrs={"units": units, "coords": frame},
    )


def _four_probe_inputs(frame_pos="gse", pos_units="km", pos_scale=1.0):
    """B linear in space and time, positions linear in time: interpolation and curlometer exact."""
    G = np.array([[0.5, 2.0, -1.0], [-3.0, 0.2, 4.0], [1.5, -2.5, -0.2]])  # nT/km, div B = 0.5
    dgdt = np.array([0.1, -0.2, 0.05])  # nT/s, uniform drift
    velocity = np.array([1.0, -0.5, 0.25])  # km/s, whole formation
    corners = REGULAR * 15 + np.array([[0, 0, 0], [2, -1, 0], [0, 3, 1], [-1, 0, 2.0]])
    centre = np.array([6.4e4, 1.0e4, -5.0e3])
    mags, poss = {}, {}
    tb1 = np.arange(0, 20, 0.125)  # probe 1 B at 8 Hz
    for i, p in enumerate(["mms1", "mms2", "mms3", "mms4"]):
        tb = tb1 if i == 0 else np.arange(-1 + 0.03 * i, 21, 0.0625)  # other B shifted, 16 Hz
        tp = np.arange(-30, 60, 30.0) + 5 * i  # positions every 30 s
        pos = centre + corners[i] + velocity * tp[:, None]
        poss[p] = _vector(pos / pos_scale, seconds(tp), f"time_sc_pos_{p}", pos_units, frame_pos)
        rb = centre + corners[i] + velocity * tb[:, None]
        bvec = np.array([10.0, -5, 3]) + (rb - centre) @ G.T + dgdt * tb[:, None]
        tot = np.linalg.norm(bvec, axis=1, keepdims=True)
        mags[p] = _vector(
            np.hstack([bvec, tot]),
            seconds(tb),
            f"time_dc_mag_{p}",
            "nT",
            labels=("x", "y", "z", "tot"),
        )
    return {"dc_mag": mags, "sc_pos": poss}, G, tb1


def test_j_curl_wrapper_on_probe_time_bases():
    inputs, G, tb1 = _four_probe_inputs()
    ds = j_curl(inputs, None)
    assert ds["j_curl"].dims == ("time", "component")
    assert list(ds["component"].values) == ["x", "y", "z"]
    np.testing.assert_array_equal(ds["time"].values, seconds(tb1))
    assert ds["j_curl"].attrs["units"] == "nA/m^2"
    assert ds["curl_b"].attrs["units"] == "nT/km" and ds["div_b"].attrs["units"] == "nT/km"
    assert ds.attrs["method"] == "curlometer (Chanteur 1998 barycentric)"
    assert ds.attrs["probes"] == "mms1,mms2,mms3,mms4"
    assert ds.attrs["time_base"] == "dc_mag of mms1"
    assert ds.attrs["coords"] == "gse"
    curl = curl_of(G)
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(curl, (tb1.size, 1)), atol=1e-8)
    np.testing.assert_allclose(ds["div_b"].values, np.trace(G), atol=1e-8)
    np.testing.assert_allclose(
        ds["j_curl"].values, np.tile(curl * 1e-12 / MU0 * 1e9, (tb1.size, 1)), rtol=1e-8
    )
    np.testing.assert_allclose(
        ds["curl_quality"].values, abs(np.trace(G)) / np.linalg.norm(curl), rtol=1e-7
    )


def test_j_curl_converts_positions_in_earth_radii():
    inputs, G, _ = _four_probe_inputs(pos_units="Re", pos_scale=6371.2)
    ds = j_curl(inputs)
    np.testing.assert_allclose(ds["curl_b"].values[5], curl_of(G), atol=1e-7)


def test_j_curl_is_nan_where_positions_do_not_cover():
    inputs, G, tb1 = _four_probe_inputs()
    p = inputs["sc_pos"]["mms3"]
    # mms3 positions only at 10 s and 12 s: extrapolated (exactly, the motion is linear)
    # up to one spacing, 2 s, beyond each end; NaN further away
    t10, t12 = seconds([10.0, 12.0])
    r10 = p.interp({p.dims[0]: [t10, t12]})
    inputs["sc_pos"]["mms3"] = r10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # missing positions are not "degenerate" tetrahedra
        ds = j_curl(inputs)
    covered = (tb1 >= 8) & (tb1 <= 14)
    assert np.isnan(ds["j_curl"].values[~covered]).all()
    np.testing.assert_allclose(
        ds["curl_b"].values[covered], np.tile(curl_of(G), (covered.sum(), 1)), atol=1e-8
    )
    assert "extrapolated" in ds["j_curl"].attrs["interpolation"]


def test_j_curl_positions_cut_at_the_request_edges_still_cover_it():
    """MEC-like positions every 30 s, cut to [0, 20) s like a loader does: B after 0 s is covered."""
    inputs, G, tb1 = _four_probe_inputs()
    for probe, da in inputs["sc_pos"].items():
        t = da[da.dims[0]].values
        inputs["sc_pos"][probe] = da.isel(
            {da.dims[0]: (t >= seconds([0])[0]) & (t < seconds([20])[0])}
        )
        assert inputs["sc_pos"][probe].sizes[da.dims[0]] == 1
    # a single position sample has no spacing to extrapolate over: NaN but at that very time
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = j_curl(inputs)
    assert np.isnan(single["j_curl"].values).all()  # the four single samples are at 0, 5, 10, 15 s
    # positions every 5 s, cut at 0 s and 20 s: every B sample of [0, 20) s has its current
    inputs, G, tb1 = _four_probe_inputs()
    for probe, da in inputs["sc_pos"].items():
        t = da[da.dims[0]].values
        fine = t[0] + np.arange(0, 91, 5).astype("timedelta64[s]")
        fine = fine[(fine >= seconds([0])[0]) & (fine < seconds([20])[0])]
        inputs["sc_pos"][probe] = da.interp({da.dims[0]: fine})
    ds = j_curl(inputs)
    np.testing.assert_allclose(ds["curl_b"].values, np.tile(curl_of(G), (tb1.size, 1)), atol=1e-8)


def test_j_curl_errors_name_what_is_missing():
    inputs, _, _ = _four_probe_inputs()
    del inputs["sc_pos"]["mms4"]
    with pytest.raises(DerivationError, match="sc_pos of mms4"):
        j_curl(inputs)
    inputs, _, _ = _four_probe_inputs()
    for group in inputs.values():
        del group["mms2"]
    with pytest.raises(DerivationError, match="exactly 4 probes.*mms1, mms3, mms4"):
        j_curl(inputs)


def test_j_curl_refuses_mixed_frames():
    inputs, _, _ = _four_probe_inputs(frame_pos="gsm")
    with pytest.raises(DerivationError, match="one frame.*gsm"):
        j_curl(inputs)


# --------------------------------------------------------------------------- elevation


def test_mag_elev_angle_values():
    b = np.array(
        [[3.0, 4.0, 5.0], [1.0, 0.0, np.sqrt(3)], [0.0, 2.0, -2.0], [0, 0, -7.0], [5, 0, 0.0]]
    )
    # atan2(5, 5) = 45; atan2(sqrt 3, 1) = 60; atan2(-2, 2) = -45; straight down -90; in-plane 0
    np.testing.assert_allclose(mag_elev_angle(b), [45.0, 60.0, -45.0, -90.0, 0.0], atol=1e-12)


def test_mag_elev_angle_wrapper_ignores_tot_and_any_time_dim():
    t = seconds([0, 1, 2])
    b = _vector(
        [[1.0, 1.0, np.sqrt(2), 2.0], [0, -1.0, 1.0, 1.41], [np.nan, 1, 1, 1]],
        t,
        "time_dc_mag",
        "nT",
        labels=("x", "y", "z", "tot"),
    )
    out = mag_elev_angle_product({"dc_mag": b}, None)
    assert out.dims == ("time",) and out.attrs["units"] == "deg" and out.attrs["coords"] == "gse"
    np.testing.assert_array_equal(out["time"].values, t)
    np.testing.assert_allclose(out.values[:2], [45.0, 45.0], atol=1e-12)
    assert np.isnan(out.values[2])
    # components in another order are found by label
    out2 = mag_elev_angle_product({"dc_mag": b.isel(component=[2, 0, 3, 1])})
    np.testing.assert_allclose(out2.values[:2], [45.0, 45.0], atol=1e-12)


def test_archive_component_labels_are_read():
    t = seconds([0])
    for labels in (("Bx", "By", "Bz"), ("X GSE", "Y GSE", "Z GSE"), ("b_z", "b_x", "b_y")):
        b = _vector([[2.0, 0.0, 1.0]], t, "time_b", "nT", labels=labels)
        # (x, y, z) = (2, 0, 1): atan2(1, 2); labelled (z, x, y): (x, y, z) = (0, 1, 2): atan2(2, 1)
        expected = np.degrees(np.arctan2(2, 1) if labels[0] == "b_z" else np.arctan2(1, 2))
        np.testing.assert_allclose(mag_elev_angle_product({"dc_mag": b}).values, [expected])
    with pytest.raises(DerivationError, match="lack one of x, y, z"):
        mag_elev_angle_product(
            {"dc_mag": _vector([[1.0, 0, 1]], t, "time_b", "nT", labels=("a", "b", "c"))}
        )


def test_mag_elev_angle_wrapper_errors():
    with pytest.raises(DerivationError, match="dc_mag"):
        mag_elev_angle_product({"i_dens": xr.DataArray([1.0])})
    b = xr.DataArray(
        np.ones((2, 2)),
        dims=("time_b", "component"),
        coords={"time_b": seconds([0, 1]), "component": ["x", "y"]},
    )
    with pytest.raises(DerivationError, match="x, y, z"):
        mag_elev_angle_product({"dc_mag": b})


# --------------------------------------------------------------------------- beta

E = 1.602176634e-19  # J/eV
K_B = 1.380649e-23  # J/K


def test_plasma_beta_by_hand():
    # n = 10 cm^-3 = 10 * 1e6 m^-3 = 1e7 m^-3
    # T = (T_par + 2 T_perp) / 3 = (1000 + 2 * 2000) / 3 = 1666.67 eV; k T = 1666.67 * 1.602176634e-19 J
    # p = n k T = 1e7 * 2.670294e-16 = 2.670294e-9 Pa
    # B = 20 nT = 2e-8 T; B^2 / 2 mu0 = 4e-16 / (2 * 1.25663706212e-6) = 1.591549e-10 Pa
    p = 1e7 * (5000 / 3) * E
    pb = (20e-9) ** 2 / (2 * 1.25663706212e-6)
    assert p == pytest.approx(2.6702944e-9, rel=1e-7) and pb == pytest.approx(
        1.5915494e-10, rel=1e-7
    )
    assert plasma_beta(10.0, 1000.0, 2000.0, 20.0) == pytest.approx(p / pb, rel=1e-12)
    assert plasma_beta(10.0, 1000.0, 2000.0, 20.0) == pytest.approx(16.777954, rel=1e-6)
    # total temperature, and the field as a vector (12, 16, 0) nT: |B| = 20 nT
    assert plasma_beta(10.0, b_nt=20.0, t_total=5000 / 3) == pytest.approx(16.777954, rel=1e-6)
    vec = plasma_beta(
        np.array([10.0]), np.array([1000.0]), np.array([2000.0]), np.array([[12.0, 16.0, 0.0]])
    )
    np.testing.assert_allclose(vec, [16.777954], rtol=1e-6)
    # Kelvin: n = 5 cm^-3, T = 1e6 K, B = 10 nT: 5e6 * 1.380649e-23 * 1e6 / (1e-16 / 2.51327e-6)
    assert plasma_beta(5.0, b_nt=10.0, t_total=1e6, t_units="K") == pytest.approx(
        5e6 * K_B * 1e6 / (1e-16 / (2 * 1.25663706212e-6)), rel=1e-12
    )
    assert plasma_beta(5.0, b_nt=10.0, t_total=1e6, t_units="K") == pytest.approx(
        1.734976, rel=1e-6
    )
    assert np.isnan(plasma_beta(5.0, 1.0, 1.0, 0.0))


def test_plasma_beta_argument_errors():
    with pytest.raises(ValueError, match="t_units"):
        plasma_beta(1.0, 1.0, 1.0, 1.0, t_units="keV")
    with pytest.raises(ValueError, match="t_total"):
        plasma_beta(1.0, 1.0, None, 1.0)


def _scalar(values, times, dim, units):
    return xr.DataArray(
        np.asarray(values, dtype=float), dims=dim, coords={dim: times}, attrs={"units": units}
    )


def test_i_beta_wrapper_interpolates_onto_density_times():
    tn = np.array([0.0, 4.5, 9.0])
    n = _scalar([10.0, 20.0, 5.0], seconds(tn), "time_i_dens", "cm^-3")
    tt = np.array([0.0, 3.0, 6.0, 9.0])  # temperatures linear in time: 1000 + 100 t, 2000 - 50 t
    tpar = _scalar(1000 + 100 * tt, seconds(tt), "time_i_temppara", "eV")
    tperp = _scalar(2000 - 50 * tt, seconds(tt), "time_i_tempperp", "eV")
    tb = np.arange(-1.0, 10.0, 0.5)  # |B| = 20 nT throughout, with a tot component
    bvec = np.tile([12.0, 0.0, 16.0, 20.0], (tb.size, 1))
    b = _vector(bvec, seconds(tb), "time_dc_mag", "nT", labels=("x", "y", "z", "tot"))
    out = i_beta({"i_dens": n, "i_temppara": tpar, "i_tempperp": tperp, "dc_mag": b}, None)
    assert out.name == "i_beta" and out.dims == ("time",) and out.attrs["units"] == "1"
    np.testing.assert_array_equal(out["time"].values, seconds(tn))
    t_avg = ((1000 + 100 * tn) + 2 * (2000 - 50 * tn)) / 3  # = 5000/3 at every time
    expected = np.array([10.0, 20.0, 5.0]) * 1e6 * t_avg * E / ((20e-9) ** 2 / (2 * MU0))
    np.testing.assert_allclose(out.values, expected, rtol=1e-12)
    assert out.values[0] == pytest.approx(16.777954, rel=1e-6)


def test_e_beta_wrapper_kelvin_and_si_density():
    t = seconds([0, 1])
    n = _scalar([5e6, 5e6], t, "time_e_dens", "m^-3")  # = 5 cm^-3
    tpar = _scalar([1e6, 1e6], t, "time_e_temppara", "K")
    tperp = _scalar([1e6, 1e6], t, "time_e_tempperp", "K")
    b = _vector([[0, 10.0, 0], [0, 0, 10.0]], t, "time_b", "nT")
    out = e_beta({"e_dens": n, "e_temppara": tpar, "e_tempperp": tperp, "dc_mag": b})
    np.testing.assert_allclose(out.values, 5e6 * K_B * 1e6 / (1e-16 / (2 * MU0)), rtol=1e-12)
    assert out.attrs["long_name"] == "electron plasma beta"


def test_beta_wrapper_errors_on_units_and_missing_inputs():
    t = seconds([0, 1])
    n = _scalar([5, 5], t, "time_n", "furlongs")
    tp = _scalar([1, 1], t, "time_t", "eV")
    b = _vector([[0, 10.0, 0], [0, 0, 10.0]], t, "time_b", "nT")
    with pytest.raises(DerivationError, match="i_dens has units 'furlongs'.*cm\\^-3"):
        i_beta({"i_dens": n, "i_temppara": tp, "i_tempperp": tp, "dc_mag": b})
    n.attrs["units"] = "cm^-3"
    bad_t = _scalar([1, 1], t, "time_t", "degF")
    with pytest.raises(DerivationError, match="i_tempperp has units 'degF'"):
        i_beta({"i_dens": n, "i_temppara": tp, "i_tempperp": bad_t, "dc_mag": b})
    with pytest.raises(DerivationError, match="missing i_tempperp"):
        i_beta({"i_dens": n, "i_temppara": tp, "dc_mag": b})


# --------------------------------------------------------------------------- plugin


def test_plugin_registers_the_builtin_derivations_like_a_third_party():
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(derive_plugin, name="helioport-derive")
    found = {d.name: d for group in pm.hook.helioport_derivations() for d in group}
    assert set(found) == {"j_curl", "mag_elev_angle", "i_beta", "e_beta"}
    assert all(isinstance(d, Derivation) and d.description for d in found.values())
    jc = found["j_curl"]
    assert (jc.across_probes, jc.min_probes, jc.inputs, jc.kind, jc.components, jc.units) == (
        True,
        4,
        ["dc_mag", "sc_pos"],
        "vector",
        ["x", "y", "z"],
        "nA/m^2",
    )
    assert found["mag_elev_angle"].inputs == ["dc_mag"] and found["mag_elev_angle"].units == "deg"
    assert found["i_beta"].inputs == ["i_dens", "i_temppara", "i_tempperp", "dc_mag"]
    assert found["e_beta"].inputs == ["e_dens", "e_temppara", "e_tempperp", "dc_mag"]
    assert found["i_beta"].units == found["e_beta"].units == "1"
    assert found["j_curl"].product_spec().level == "L3"
    assert found["j_curl"].function.resolve() is j_curl  # named, imported at the first call


@pytest.mark.parametrize("ext_s", [None, 30])
@pytest.mark.parametrize("layout", ["sorted", "unsorted_nat_dups", "same", "empty"])
def test_interp_linear_equals_interp_to_value_for_value(layout, ext_s):
    """The j_curl interpolation (all inputs at once) gives exactly what align.interp_to gives."""
    from helioport.align import interp_to
    from helioport.derive.interpolate import interp_linear

    rng = np.random.default_rng(7)
    t0 = np.datetime64("2015-10-16T13:00", "ns")
    dst = t0 + (np.arange(500) * 62_500_000 + 3_000_000).astype("m8[ns]")
    src = {
        "sorted": t0 + (np.arange(40) * 1_000_000_000 + 400_000_000).astype("m8[ns]"),
        "same": dst.copy(),
        "empty": dst[:0],
    }.get(layout)
    if src is None:
        src = t0 + np.array([5, 1, 3, 3, 9, 2, 30], "m8[s]").astype("m8[ns]")
        src[4] = np.datetime64("NaT")
        dst = np.concatenate([dst, src[1:2], [np.datetime64("NaT")]])
    values = rng.normal(size=(src.size, 3))
    ext = None if ext_s is None else int(ext_s * 1e9)
    da = xr.DataArray(values, dims=("time_x", "component"), coords={"time_x": src})
    ref = interp_to(da, dst, "linear", extrapolate=None if ext is None else f"{ext_s}s").values
    ours = interp_linear([(src, values, ext), (src, values * 2, ext)], dst)
    assert ours.shape == (2, dst.size, 3)
    np.testing.assert_array_equal(ours[0], ref)  # NaN where NaN, equal bits elsewhere
    np.testing.assert_array_equal(
        ours[1], interp_to(da * 2, dst, extrapolate=None if ext is None else f"{ext_s}s").values
    )
    assert np.isnan(ours[0]).any() == np.isnan(ref).any()
