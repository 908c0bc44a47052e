"""Frames on demand: vectors transformed with SpacePy, checked against the archives' own pairs."""

from __future__ import annotations

import shutil

import cdflib
import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.errors import InvalidRequestError
from helioport.frames import rotation_matrices, transform

pytest.importorskip("spacepy")


def _vector(values, times, frame="gse", labels=("x", "y", "z")):
    return xr.DataArray(
        np.asarray(values, dtype=float),
        dims=("time", "component"),
        coords={"time": np.asarray(times, dtype="datetime64[ns]"), "component": list(labels)},
        attrs={"coords": frame, "units": "nT"},
        name="dc_mag",
    )


def test_mms_fgm_gse_to_gsm_agrees_with_the_files_own_gsm(real_file):
    cdf = cdflib.CDF(str(real_file("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")))
    t = cdflib.cdfepoch.to_datetime(cdf.varget("Epoch"))
    gse = cdf.varget("mms1_fgm_b_gse_brst_l2")
    gsm = cdf.varget("mms1_fgm_b_gsm_brst_l2")
    out = transform(_vector(gse, t, labels=("x", "y", "z", "tot")), "gsm")
    # within the float32 precision of the file (|B| ~ 34 nT: ~4e-6 relative)
    np.testing.assert_allclose(out.values[:, :3], gsm[:, :3], atol=0.01)
    np.testing.assert_array_equal(out.sel(component="tot").values, gse[:, 3])
    assert out.attrs["coords"] == "gsm" and out.attrs["transformed_from"] == "gse"
    assert "spacepy" in out.attrs["transform"]
    assert np.abs(gse[:, 1:3] - gsm[:, 1:3]).max() > 1  # the frames really differ here


def test_mms_dc_mag_loaded_in_gse_then_transformed_agrees_with_the_loaded_gsm(real_file, tmp_path):
    """The same check through helioport.load: MMS FGM's own pair, b_gse and b_gsm."""
    if "mms" not in helioport.missions():
        pytest.skip("the MMS plugin is not installed")
    name = "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"
    folder = tmp_path / "mirror" / "mms1" / "fgm" / "brst" / "l2" / "2015" / "10" / "16"
    folder.mkdir(parents=True)
    (folder / name).symlink_to(real_file("mms", name))
    kw = {
        "products": "dc_mag",
        "probes": "mms1",
        "mode": "brst",
        "base_url": str(folder.parents[6]),
    }
    span = ("2015-10-16T13:05:30", "2015-10-16T13:07:30")
    gse = helioport.load("mms", *span, coords="gse", **kw)
    gsm = helioport.load("mms", *span, coords="gsm", **kw)
    ours = transform(gse["dc_mag_mms1"], "gsm")
    archive = gsm["dc_mag_mms1"]
    assert ours.dims == archive.dims == ("time_dc_mag_mms1", "component")
    assert ours.sizes["time_dc_mag_mms1"] == 120 * 128
    # float32 in the file, |B| ~ 34 nT: agreement to 0.01 nT, while the frames differ by > 1 nT
    np.testing.assert_allclose(ours.values, archive.values, atol=0.01)
    assert np.abs(gse["dc_mag_mms1"].values - archive.values)[:, 1:].max() > 1
    # the archive's |B| is its own variable, the same in both frames
    np.testing.assert_array_equal(gse["dc_mag_tot_mms1"].values, gsm["dc_mag_tot_mms1"].values)


def test_omni_hourly_gsm_on_demand_matches_the_archives_gsm_columns(real_file, tmp_path):
    src = real_file("omni", "omni2_2010.dat")
    (tmp_path / "low_res_omni").mkdir()
    shutil.copy(src, tmp_path / "low_res_omni" / src.name)
    kw = {"products": ["dc_mag"], "mode": "hourly", "base_url": str(tmp_path)}
    archive_gsm = helioport.load("omni", "2010-03-01", "2010-04-01", coords="gsm", **kw)["dc_mag"]
    gse = helioport.load("omni", "2010-03-01", "2010-04-01", coords="gse", **kw)["dc_mag"]
    ours = transform(gse, "gsm")
    diff = np.abs((ours - archive_gsm).sel(component=["y", "z"]).values)
    # hourly averages of a rotating frame, printed to 0.1 nT: agreement to a few tenths
    assert np.nanmedian(diff) < 0.1 and np.nanpercentile(diff, 99) < 0.6
    assert np.nanmax(np.abs((gse - archive_gsm).sel(component="z").values)) > 2


def test_load_transforms_a_vector_the_archive_lacks_in_the_frame(omni_root):
    ds = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-01T06:00",
        products=["dc_mag", "i_bulkv"],
        coords="sm",
        base_url=str(omni_root),
    )
    b, v = ds["dc_mag"], ds["i_bulkv"]
    assert b.attrs["coords"] == "sm" and b.attrs["transformed_from"] == "gse"
    assert v.attrs["coords"] == "sm" and "spacepy" in v.attrs["transform"]
    ds_gse = helioport.load(
        "omni", "2010-01-01", "2010-01-01T06:00", products=["dc_mag"], base_url=str(omni_root)
    )
    gse = ds_gse["dc_mag"]
    np.testing.assert_allclose(transform(gse, "sm").values, b.values)
    # magnitudes are frame-free: the archive's |B| (its own variable) is the same in both
    np.testing.assert_array_equal(ds["dc_mag_tot"].values, ds_gse["dc_mag_tot"].values)
    assert np.isfinite(ds["dc_mag_tot"].values).sum() > 300
    assert ds["dc_mag_tot"].attrs["source_variable"] == "F"
    assert "transformed_from" not in ds["dc_mag_tot"].attrs
    np.testing.assert_allclose(
        np.linalg.norm(b.sel(component=["x", "y", "z"]), axis=1),
        np.linalg.norm(gse.sel(component=["x", "y", "z"]), axis=1),
        rtol=1e-4,  # a rotation: lengths kept (to the interpolation between exact matrices)
    )


def test_rotation_matrices_are_orthonormal_and_interpolated_smoothly():
    t = np.datetime64("2015-10-16") + np.arange(0, 3 * 3600, 7).astype("timedelta64[s]")
    m = rotation_matrices(t, "gse", "gsm")
    eye = np.einsum("nij,nkj->nik", m, m)
    np.testing.assert_allclose(eye, np.broadcast_to(np.eye(3), eye.shape), atol=1e-4)
    exact = rotation_matrices(t[::97], "gse", "gsm")  # few times: evaluated exactly
    np.testing.assert_allclose(m[::97], exact, atol=1e-4)
    assert np.abs(m[::97] - exact).max() > 0  # the long series was interpolated
    assert np.allclose(m[:, 0, 0], 1.0)  # GSE and GSM share the x axis
    back = np.einsum("nij,njk->nik", rotation_matrices(t, "gsm", "gse"), m)
    np.testing.assert_allclose(back, np.broadcast_to(np.eye(3), back.shape), atol=1e-4)


def test_bad_transforms_say_why():
    v = _vector([[1, 2, 3]], ["2020-01-01"])
    with pytest.raises(InvalidRequestError, match="from frame 'dmpa' to 'gsm'"):
        transform(v.assign_attrs(coords="dmpa"), "gsm")
    with pytest.raises(InvalidRequestError, match="not a vector over time"):
        transform(v.isel(component=0), "gsm")
    assert transform(v, "gse") is v


def test_top_level_transform_and_unknown_frames_in_requests():
    assert helioport.transform is transform
    with pytest.raises(InvalidRequestError, match="no coordinate system 'dmpa'"):
        helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], coords="dmpa")


def test_a_spacepy_failure_is_one_clear_error(monkeypatch):
    import spacepy.coordinates as spc
    from helioport.errors import HelioportError

    def broken(self, *args, **kwargs):
        raise ValueError("no leap-second table")

    monkeypatch.setattr(spc.Coords, "convert", broken)
    v = _vector([[1, 2, 3]], ["2020-01-01"])
    with pytest.raises(HelioportError, match="SpacePy could not transform gse -> gsm.*leap-second"):
        transform(v, "gsm")
