"""FPI distributions as 4-D labelled arrays, burst days over many files, positions on request."""

from __future__ import annotations

import cdflib
import helioport
import numpy as np
import pytest
from helioport_mms import fixtures, sample
from helioport_mms.loading import DIST_DIMS


@pytest.fixture
def brst_day(tmp_path):
    """Ion burst distributions of 2015-10-16: four intervals, written out of order; the
    second starts on the last record of the first (a duplicate at the file edge)."""
    root = tmp_path / "spdf"
    a = fixtures.write_fpi_dist(root, "mms1", "dis", "brst", "2015-10-16T13:05:00", 20, seed=1)
    d = fixtures.write_fpi_dist(root, "mms1", "dis", "brst", "2015-10-16T22:00:00", 8, seed=4)
    b = fixtures.write_fpi_dist(root, "mms1", "dis", "brst", "2015-10-16T13:05:02.850", 20, seed=2)
    c = fixtures.write_fpi_dist(root, "mms1", "dis", "brst", "2015-10-16T08:30:00", 10, seed=3)
    return root, [c, a, b, d]


def test_a_distribution_is_a_4d_labelled_array(brst_day):
    root, files = brst_day
    path = files[0]
    ds = helioport.load(
        "mms",
        "2015-10-16T08:00",
        "2015-10-16T09:00",
        products="i_dist",
        mode="brst",
        base_url=str(root),
    )
    da = ds["i_dist_mms1"]
    tdim = "time_i_dist_mms1"
    # the angle and energy axes are the variable's own: <axis>_<variable>
    assert da.dims == (tdim,) + tuple(f"{d}_i_dist_mms1" for d in DIST_DIMS)
    da = da.rename({f"{d}_i_dist_mms1": d for d in DIST_DIMS})
    assert da.shape == (10, 32, 16, 32)
    assert da.attrs["units"] == "s^3/cm^6" and da.attrs["source_variable"] == "mms1_dis_dist_brst"
    cdf = cdflib.CDF(path)
    raw = cdf.varget("mms1_dis_dist_brst")
    np.testing.assert_array_equal(da.values, raw)
    # each value encodes its indices: 1e-25 (1 + t + 1e-2 phi + 1e-4 theta + 1e-6 energy)
    assert float(
        da.isel({tdim: 0, "phi_bin": 31, "theta_bin": 0, "energy_bin": 0})
    ) == pytest.approx(1.31e-25)
    assert float(
        da.isel({tdim: 0, "phi_bin": 0, "theta_bin": 15, "energy_bin": 0})
    ) == pytest.approx(1.0015e-25)
    assert float(
        da.isel({tdim: 0, "phi_bin": 0, "theta_bin": 0, "energy_bin": 31})
    ) == pytest.approx(1.000031e-25, rel=1e-6)
    assert float(
        da.isel({tdim: 3, "phi_bin": 0, "theta_bin": 0, "energy_bin": 0})
    ) == pytest.approx(4e-25)
    # angles and the time-varying energy table are coordinates
    phi, theta, energy = (da.coords[f"{k}_i_dist_mms1"] for k in ("phi", "theta", "energy"))
    assert (
        phi.dims == (tdim, "phi_bin")
        and theta.dims == ("theta_bin",)
        and energy.dims == (tdim, "energy_bin")
    )
    np.testing.assert_array_equal(phi.values, cdf.varget("mms1_dis_phi_brst"))
    np.testing.assert_array_equal(theta.values, cdf.varget("mms1_dis_theta_brst"))
    np.testing.assert_array_equal(energy.values, cdf.varget("mms1_dis_energy_brst"))
    assert not np.array_equal(energy.values[0], energy.values[1])
    assert phi.attrs["units"] == "deg" and energy.attrs["units"] == "eV"


def test_fixed_phi_table_stays_one_dimensional(tmp_path):
    root = tmp_path / "spdf"
    fixtures.write_fpi_dist(root, "mms2", "des", "fast", "2015-10-16T00:00:00", 4, phi_varies=False)
    da = helioport.load(
        "mms",
        "2015-10-16T00:00",
        "2015-10-16T01:00",
        products="e_dist",
        probes="mms2",
        base_url=str(root),
    )["e_dist_mms2"]
    assert da.coords["phi_e_dist_mms2"].dims == ("phi_bin_e_dist_mms2",)
    assert da.attrs["source_variable"] == "mms2_des_dist_fast"


def test_a_day_of_burst_intervals_is_concatenated_in_time_order_without_edge_duplicates(brst_day):
    root, files = brst_day
    ds = helioport.load(
        "mms", "2015-10-16", "2015-10-17", products="i_dist", mode="brst", base_url=str(root)
    )
    da = ds["i_dist_mms1"]
    t = da[da.dims[0]].values
    assert t.size == 10 + 20 + 19 + 8  # the shared edge record once
    assert np.all(np.diff(t) > np.timedelta64(0))
    expected_t = np.concatenate(
        [
            cdflib.cdfepoch.to_datetime(cdflib.CDF(f).varget("Epoch")).astype("datetime64[ns]")
            for f in files
        ]
    )
    np.testing.assert_array_equal(t, np.unique(expected_t))
    # records come from the right files: the edge record is kept from the first interval
    raw = [cdflib.CDF(f).varget("mms1_dis_dist_brst") for f in files]
    np.testing.assert_array_equal(da.values[:10], raw[0])
    np.testing.assert_array_equal(da.values[10:30], raw[1])
    np.testing.assert_array_equal(da.values[30:49], raw[2][1:])
    np.testing.assert_array_equal(da.values[49:], raw[3])
    energy = da.coords["energy_i_dist_mms1"].values
    np.testing.assert_array_equal(
        energy[30:49], cdflib.CDF(files[2]).varget("mms1_dis_energy_brst")[1:]
    )
    assert da.attrs["files"].split(", ") == [f.name for f in files]


def test_positions_come_only_when_asked(tmp_path):
    root = tmp_path / "spdf"
    path = fixtures.write_fgm(root, "mms1", "srvy", "2015-10-16", 16 * 600)
    fixtures.write_mec(root, "mms1", "2015-10-16")
    plain = helioport.load(
        "mms", "2015-10-16T00:00", "2015-10-16T00:10", products="dc_mag", base_url=str(root)
    )
    assert list(plain.data_vars) == ["dc_mag_mms1", "dc_mag_tot_mms1"]
    ds = helioport.load(
        "mms",
        "2015-10-16T00:00",
        "2015-10-16T00:10",
        products="dc_mag",
        coords="gsm",
        positions=True,
        base_url=str(root),
    )
    # the magnitudes the file gives with B and with the position are variables of their own
    assert list(ds.data_vars) == [
        "dc_mag_mms1",
        "dc_mag_tot_mms1",
        "dc_mag_pos_mms1",
        "dc_mag_pos_tot_mms1",
    ]
    pos = ds["dc_mag_pos_mms1"]
    raw = cdflib.CDF(path).varget("mms1_fgm_r_gsm_srvy_l2")
    assert pos.sizes[pos.dims[0]] == 20  # 10 min at 30 s
    np.testing.assert_array_equal(pos.values, raw[:20, :3])
    np.testing.assert_array_equal(ds["dc_mag_pos_tot_mms1"].values, raw[:20, 3])
    assert pos.attrs["units"] == "km" and pos.attrs["coords"] == "gsm"
    assert pos.attrs["files"] == path.name  # the FGM file itself: nothing more was fetched
    mec = helioport.load(
        "mms",
        "2015-10-16T00:00",
        "2015-10-16T00:10",
        products=["dc_mag", "sc_pos"],
        base_url=str(root),
    )
    assert mec["sc_pos_mms1"].attrs["source_variable"] == "mms1_mec_r_gse"


def test_sample_archive_request_loads(tmp_path):
    req = sample.make_sample_archive(tmp_path / "archive")
    ds = helioport.load(
        "mms", base_url={req.source: str(tmp_path / "archive")}, **req.load_kwargs()
    )
    assert {
        "dc_mag_mms1",
        "dc_mag_mms2",
        "i_dens_mms2",
        "sc_pos_mms1",
        "mag_elev_angle_mms1",
    } <= set(ds.data_vars)
    assert ds["dc_mag_mms1"].attrs["versions"] == "4.18.1"  # the older 4.17.0 beside it is ignored
    b = ds["dc_mag_mms1"]
    assert b.sizes[b.dims[0]] == 2 * 3600 * 16
