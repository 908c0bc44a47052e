"""MMS against the real files of ../shared/data/real/mms, from a mirror in the SPDF layout.

The mirror is built in ``tmp_path`` (symlinks for a local folder, copies for
the HTTP server, which refuses links leading out of its root); values are
compared with what cdflib reads from the same files.
"""

from __future__ import annotations

import shutil

import cdflib
import helioport
import numpy as np
import pytest
from helioport.errors import CorruptFileError

FGM = "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"
DIS_BRST = "mms1_fpi_brst_l2_dis-moms_20151016130524_v3.3.0.cdf"
DIS_FAST = "mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf"
DES_FAST = "mms1_fpi_fast_l2_des-moms_20151201000000_v3.3.0.cdf"
FOLDERS = {
    FGM: "mms1/fgm/brst/l2/2015/10/16",
    DIS_BRST: "mms1/fpi/brst/l2/dis-moms/2015/10/16",
    DIS_FAST: "mms1/fpi/fast/l2/dis-moms/2015/12",
    DES_FAST: "mms1/fpi/fast/l2/des-moms/2015/12",
}
BRST = ("2015-10-16T13:00", "2015-10-16T14:00")


def _mirror(real_file, tmp_path, names, *, copy=False):
    root = tmp_path / "mirror"
    for name in names:
        src = real_file("mms", name)
        folder = root / FOLDERS[name]
        folder.mkdir(parents=True, exist_ok=True)
        if copy:
            shutil.copy(src, folder / name)
        else:
            (folder / name).symlink_to(src)
    return root


def _epoch(cdf, name="Epoch"):
    return cdflib.cdfepoch.to_datetime(cdf.varget(name)).astype("datetime64[ns]")


def _as_nan(values):
    out = np.asarray(values, dtype=np.float32).copy()
    out[out == np.float32(-1e31)] = np.nan
    return out


@pytest.fixture
def fgm_mirror(tmp_path, real_file):
    return _mirror(real_file, tmp_path, [FGM])


@pytest.mark.parametrize("frame", ["gse", "gsm"])
def test_dc_mag_is_the_files_b_exactly(fgm_mirror, frame, monkeypatch, real_file):
    monkeypatch.setenv("HELIOPORT_MMS_URL", str(fgm_mirror))
    ds = helioport.load("mms", *BRST, products="dc_mag", probes="mms1", coords=frame, mode="brst")
    cdf = cdflib.CDF(real_file("mms", FGM))
    expected = _as_nan(cdf.varget(f"mms1_fgm_b_{frame}_brst_l2"))
    b = ds["dc_mag_mms1"]
    assert b.dims == ("time_dc_mag_mms1", "component")
    assert list(b["component"].values) == ["x", "y", "z"]
    assert b.dtype == np.float32
    np.testing.assert_array_equal(b.values, expected[:, :3])
    # the file's fourth column, |B|, is a variable of its own with its own time dimension
    mag = ds["dc_mag_tot_mms1"]
    assert mag.dims == ("time_dc_mag_tot_mms1",) and mag.dtype == np.float32
    np.testing.assert_array_equal(mag.values, expected[:, 3])
    np.testing.assert_array_equal(mag["time_dc_mag_tot_mms1"].values, _epoch(cdf))
    assert mag.attrs["units"] == "nT" and mag.attrs["files"] == FGM
    assert "magnitude the archive gives" in mag.attrs["long_name"]
    np.testing.assert_array_equal(b["time_dc_mag_mms1"].values, _epoch(cdf))
    assert b.sizes["time_dc_mag_mms1"] == 17792
    assert b.attrs["coords"] == frame and b.attrs["units"] == "nT"
    assert b.attrs["source_variable"] == f"mms1_fgm_b_{frame}_brst_l2"
    assert b.attrs["files"] == FGM and b.attrs["versions"] == "4.18.1"
    assert b.attrs["probe"] == "mms1" and b.attrs["dataset"] == "mms1_fgm_brst_l2"


def test_dc_mag_gse_and_gsm_differ_but_share_the_magnitude(fgm_mirror):
    gse = helioport.load(
        "mms", *BRST, products="dc_mag", coords="gse", mode="brst", base_url=str(fgm_mirror)
    )
    gsm = helioport.load(
        "mms", *BRST, products="dc_mag", coords="gsm", mode="high_res", base_url=str(fgm_mirror)
    )
    a, b = gse["dc_mag_mms1"], gsm["dc_mag_mms1"]
    np.testing.assert_array_equal(
        a.sel(component="x").values, b.sel(component="x").values
    )  # X_GSE = X_GSM
    assert not np.allclose(a.sel(component="z").values, b.sel(component="z").values)
    np.testing.assert_array_equal(gse["dc_mag_tot_mms1"].values, gsm["dc_mag_tot_mms1"].values)


def test_dc_mag_sub_range_keeps_only_records_inside(fgm_mirror, real_file):
    ds = helioport.load(
        "mms",
        "2015-10-16T13:06:00",
        "2015-10-16T13:06:10",
        products="dc_mag",
        mode="brst",
        base_url=str(fgm_mirror),
    )
    cdf = cdflib.CDF(real_file("mms", FGM))
    t = _epoch(cdf)
    inside = (t >= np.datetime64("2015-10-16T13:06:00")) & (
        t < np.datetime64("2015-10-16T13:06:10")
    )
    b = ds["dc_mag_mms1"]
    assert b.sizes["time_dc_mag_mms1"] == inside.sum() == 1280  # 10 s at 128 S/s
    expected = _as_nan(cdf.varget("mms1_fgm_b_gse_brst_l2"))[inside]
    np.testing.assert_array_equal(b.values, expected[:, :3])
    np.testing.assert_array_equal(ds["dc_mag_tot_mms1"].values, expected[:, 3])


def test_fpi_moments_match_the_real_burst_file(tmp_path, server_for, real_file):
    root = _mirror(real_file, tmp_path, [DIS_BRST, FGM], copy=True)
    srv = server_for(root)
    products = [
        "i_dens",
        "i_bulkv",
        "i_prestens",
        "i_omniflux",
        "i_energy",
        "i_temppara",
        "i_tempperp",
        "i_temptens",
        "i_heatq",
        "dc_mag",
    ]
    ds = helioport.load(
        "mms", *BRST, products=products, probes=["1"], mode="brst", base_url={"mms": srv.url}
    )
    cdf = cdflib.CDF(real_file("mms", DIS_BRST))
    t = _epoch(cdf)
    pairs = {
        "i_dens": "mms1_dis_numberdensity_brst",
        "i_bulkv": "mms1_dis_bulkv_gse_brst",
        "i_prestens": "mms1_dis_prestensor_gse_brst",
        "i_omniflux": "mms1_dis_energyspectr_omni_brst",
        "i_energy": "mms1_dis_energy_brst",
        "i_temppara": "mms1_dis_temppara_brst",
        "i_tempperp": "mms1_dis_tempperp_brst",
        "i_temptens": "mms1_dis_temptensor_gse_brst",
        "i_heatq": "mms1_dis_heatq_gse_brst",
    }
    for product, var in pairs.items():
        da = ds[f"{product}_mms1"]
        np.testing.assert_array_equal(da.values, _as_nan(cdf.varget(var)), err_msg=product)
        np.testing.assert_array_equal(da[da.dims[0]].values, t, err_msg=product)
        assert da.attrs["source_variable"] == var
        assert da.attrs["units"] == cdf.varattsget(var)["UNITS"]
    # every variable has its own time dimension, whatever shares its time base
    assert ds["i_dens_mms1"].dims == ("time_i_dens_mms1",)
    assert ds["i_bulkv_mms1"].dims[0] == "time_i_bulkv_mms1"
    assert ds["dc_mag_mms1"].dims[0] == "time_dc_mag_mms1"
    # vectors share one component dimension x, y, z (no NaN padding); B's magnitude is apart
    v, b = ds["i_bulkv_mms1"], ds["dc_mag_mms1"]
    assert v.dims[1] == b.dims[1] == "component" and list(v["component"].values) == ["x", "y", "z"]
    assert ds["dc_mag_tot_mms1"].dims == ("time_dc_mag_tot_mms1",)
    assert not np.isnan(v.values).all(axis=1).any()
    p = ds["i_prestens_mms1"]
    assert p.dims[1:] == ("component_1", "component_2")
    assert float(p.sel(component_1="x", component_2="y")[5]) == pytest.approx(
        float(cdf.varget("mms1_dis_prestensor_gse_brst")[5, 0, 1])
    )
    omni = ds["i_omniflux_mms1"]
    energy = omni.coords["energy_i_omniflux_mms1"]
    assert energy.dims == ("time_i_omniflux_mms1", "energy_bin_i_omniflux_mms1")
    assert energy.attrs["units"] == "eV"
    np.testing.assert_array_equal(energy.values, cdf.varget("mms1_dis_energy_brst"))
    assert ds.attrs["mission"] == "mms"
    assert any(e.path.endswith(DIS_BRST) for e in srv.log)


def test_fast_survey_electron_moments_match_the_real_file(tmp_path, real_file):
    root = _mirror(real_file, tmp_path, [DES_FAST])
    ds = helioport.load(
        "mms",
        "2015-12-01T00:00",
        "2015-12-01T02:00",
        products=["e_dens", "e_bulkv", "e_temppara", "e_tempperp"],
        mode="fast",
        base_url=str(root),
    )
    cdf = cdflib.CDF(real_file("mms", DES_FAST))
    for product, var in (
        ("e_dens", "mms1_des_numberdensity_fast"),
        ("e_bulkv", "mms1_des_bulkv_gse_fast"),
        ("e_temppara", "mms1_des_temppara_fast"),
        ("e_tempperp", "mms1_des_tempperp_fast"),
    ):
        np.testing.assert_array_equal(
            ds[f"{product}_mms1"].values, _as_nan(cdf.varget(var)), err_msg=product
        )
    assert ds["e_dens_mms1"].sizes[ds["e_dens_mms1"].dims[0]] == 1600
    # srvy is the AIDApy default and maps to FPI's fast survey
    again = helioport.load(
        "mms",
        "2015-12-01T00:00",
        "2015-12-01T02:00",
        products="e_dens",
        mode="low_res",
        base_url=str(root),
    )
    np.testing.assert_array_equal(again["e_dens_mms1"].values, ds["e_dens_mms1"].values)


def test_the_truncated_real_fast_ion_file_is_reported_as_corrupt(tmp_path, real_file):
    # this real file is 4746 bytes shorter than its header says (its last variable is cut)
    root = _mirror(real_file, tmp_path, [DIS_FAST])
    with pytest.raises(CorruptFileError, match="truncated"):
        helioport.load(
            "mms",
            "2015-12-01T00:00",
            "2015-12-01T02:00",
            products="i_dens",
            mode="fast",
            base_url=str(root),
        )
