"""Every MMS product against a generated file with the real variable names.

One archive in the SPDF layout (FGM, EDP, FPI moments and distributions,
ASPOC, MEC) is written per session; each product is loaded from it through a
local mirror and compared with what cdflib reads from the file.
"""

from __future__ import annotations

import cdflib
import helioport
import numpy as np
import pytest
from helioport.errors import InvalidRequestError, UnknownProductError
from helioport_mms import fixtures, products

START, END = "2015-10-16T00:00", "2015-10-16T01:00"


@pytest.fixture(scope="session")
def mms_archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("mms_products")
    fixtures.write_fgm(root, "mms1", "srvy", "2015-10-16", 16 * 600, seed=1)
    fixtures.write_edp_dce(root, "mms1", "fast", "2015-10-16", 32 * 600, seed=2)
    for species in ("dis", "des"):
        fixtures.write_fpi_moms(
            root, "mms1", species, "fast", "2015-10-16T00:00", 200, seed=3, fill_records=[7]
        )
        fixtures.write_fpi_dist(root, "mms1", species, "fast", "2015-10-16T00:00", 6, seed=4)
    fixtures.write_aspoc(root, "mms1", "2015-10-16", 600, seed=5)
    fixtures.write_mec(root, "mms1", "2015-10-16", seed=6)
    return root


# product -> (load kwargs, file glob, CDF variable, component labels or dims after time)
CASES = {
    "dc_mag": (
        {"coords": "gsm"},
        "mms1/fgm/srvy/**/*.cdf",
        "mms1_fgm_b_gsm_srvy_l2",
        ["x", "y", "z", "tot"],  # tot becomes dc_mag_tot_mms1
    ),
    "dc_elec": (
        {"coords": "dsl"},
        "mms1/edp/fast/l2/dce/**/*.cdf",
        "mms1_edp_dce_dsl_fast_l2",
        ["x", "y", "z"],
    ),
    "i_dens": ({}, "mms1/fpi/fast/l2/dis-moms/**/*.cdf", "mms1_dis_numberdensity_fast", None),
    "e_dens": ({}, "mms1/fpi/fast/l2/des-moms/**/*.cdf", "mms1_des_numberdensity_fast", None),
    "i_bulkv": (
        {},
        "mms1/fpi/fast/l2/dis-moms/**/*.cdf",
        "mms1_dis_bulkv_gse_fast",
        ["x", "y", "z"],
    ),
    "e_bulkv": (
        {"coords": "dbcs"},
        "mms1/fpi/fast/l2/des-moms/**/*.cdf",
        "mms1_des_bulkv_dbcs_fast",
        ["x", "y", "z"],
    ),
    "i_temppara": ({}, "mms1/fpi/fast/l2/dis-moms/**/*.cdf", "mms1_dis_temppara_fast", None),
    "i_tempperp": ({}, "mms1/fpi/fast/l2/dis-moms/**/*.cdf", "mms1_dis_tempperp_fast", None),
    "e_temppara": ({}, "mms1/fpi/fast/l2/des-moms/**/*.cdf", "mms1_des_temppara_fast", None),
    "e_tempperp": ({}, "mms1/fpi/fast/l2/des-moms/**/*.cdf", "mms1_des_tempperp_fast", None),
    "i_prestens": (
        {"coords": "dbcs"},
        "mms1/fpi/fast/l2/dis-moms/**/*.cdf",
        "mms1_dis_prestensor_dbcs_fast",
        ("component_1", "component_2"),
    ),
    "i_temptens": (
        {},
        "mms1/fpi/fast/l2/dis-moms/**/*.cdf",
        "mms1_dis_temptensor_gse_fast",
        ("component_1", "component_2"),
    ),
    "i_heatq": (
        {},
        "mms1/fpi/fast/l2/dis-moms/**/*.cdf",
        "mms1_dis_heatq_gse_fast",
        ["x", "y", "z"],
    ),
    "i_omniflux": (
        {},
        "mms1/fpi/fast/l2/dis-moms/**/*.cdf",
        "mms1_dis_energyspectr_omni_fast",
        ("energy_bin",),
    ),
    "i_energy": ({}, "mms1/fpi/fast/l2/dis-moms/**/*.cdf", "mms1_dis_energy_fast", ("energy_bin",)),
    "i_dist": (
        {},
        "mms1/fpi/fast/l2/dis-dist/**/*.cdf",
        "mms1_dis_dist_fast",
        ("phi_bin", "theta_bin", "energy_bin"),
    ),
    "e_dist": (
        {},
        "mms1/fpi/fast/l2/des-dist/**/*.cdf",
        "mms1_des_dist_fast",
        ("phi_bin", "theta_bin", "energy_bin"),
    ),
    "i_aspoc": ({}, "mms1/aspoc/srvy/**/*.cdf", "mms1_aspoc_ionc_l2", None),
    "sc_pos": (
        {"coords": "gsm"},
        "mms1/mec/srvy/l2/epht89d/**/*.cdf",
        "mms1_mec_r_gsm",
        ["x", "y", "z"],
    ),
    "sc_att": (
        {"quat_frame": "bcs"},
        "mms1/mec/srvy/l2/epht89d/**/*.cdf",
        "mms1_mec_quat_eci_to_bcs",
        ["x", "y", "z", "w"],
    ),
}


def test_every_catalog_product_has_a_case():
    assert set(CASES) == set(products.BY_NAME)
    assert set(products.BY_NAME) >= {
        "dc_mag",
        "dc_elec",
        "i_dens",
        "e_dens",
        "i_bulkv",
        "e_bulkv",
        "i_temppara",
        "i_tempperp",
        "e_temppara",
        "e_tempperp",
        "i_prestens",
        "i_temptens",
        "i_heatq",
        "i_omniflux",
        "i_energy",
        "i_dist",
        "e_dist",
        "i_aspoc",
        "sc_pos",
        "sc_att",
    }


def _expected(path, var):
    cdf = cdflib.CDF(path)
    t = cdflib.cdfepoch.to_datetime(cdf.varget(cdf.varattsget(var)["DEPEND_0"])).astype(
        "datetime64[ns]"
    )
    data = np.asarray(cdf.varget(var))
    fill = cdf.varattsget(var).get("FILLVAL")
    if data.dtype.kind == "f":
        data = data.copy()
        data[data == np.asarray(fill, data.dtype)] = np.nan
    inside = (t >= np.datetime64(START)) & (t < np.datetime64(END))
    return t[inside], data[inside], cdf.varattsget(var)


@pytest.mark.parametrize("product", sorted(CASES))
def test_product_loads_the_real_variable(product, mms_archive):
    kw, pattern, var, tail = CASES[product]
    (path,) = sorted(mms_archive.glob(pattern))
    ds = helioport.load(
        "mms", START, END, products=product, probes="mms1", base_url=str(mms_archive), **kw
    )
    da = ds[f"{product}_mms1"]
    t, data, attrs = _expected(path, var)
    assert da.attrs["source_variable"] == var
    assert da.attrs["files"] == path.name
    assert (
        da.attrs["units"] == str(attrs["UNITS"]).strip()
        or da.attrs["units"] == products.BY_NAME[product].spec.units
    )
    assert da.attrs["instrument"] == products.BY_NAME[product].instrument
    if isinstance(tail, list) and "tot" in tail:  # the archive's magnitude: a variable of its own
        mag = ds[f"{product}_tot_mms1"]
        assert mag.dims == (f"time_{product}_tot_mms1",)
        np.testing.assert_array_equal(mag.values, data[:, tail.index("tot")])
        tail = [c for c in tail if c != "tot"]
        data = data[:, [i for i, c in enumerate(CASES[product][3]) if c != "tot"]]
    np.testing.assert_array_equal(da[da.dims[0]].values, t)
    np.testing.assert_array_equal(da.values, data)
    assert da.dtype == data.dtype
    assert da.dims[0] == f"time_{product}_mms1"
    if tail is None:
        assert da.ndim == 1
    elif tail == ["x", "y", "z"]:  # 3-vectors share one component dimension
        assert da.dims[1] == "component" and list(da["component"].values) == tail
    elif isinstance(tail, list):  # other labels (a quaternion's x, y, z, w) are the variable's own
        dim = f"component_{product}_mms1"
        assert da.dims[1] == dim and list(da[dim].values) == tail
    elif tail[0] == "component_1":  # tensors share component_1, component_2
        assert da.dims[1:] == tail
    else:  # spectra and distributions: <axis>_<variable>
        assert da.dims[1:] == tuple(f"{d}_{product}_mms1" for d in tail)
    if "coords" in kw:
        assert da.attrs["coords"] == kw["coords"]


def test_fill_values_become_nan(mms_archive):
    ds = helioport.load(
        "mms", START, END, products=["i_dens", "i_bulkv"], base_url=str(mms_archive)
    )
    assert np.isnan(ds["i_dens_mms1"].values[7]) and not np.isnan(ds["i_dens_mms1"].values[6])
    assert np.isnan(ds["i_bulkv_mms1"].values[7]).all()


def test_tensor_rows_and_columns_are_those_of_the_file(mms_archive):
    (path,) = sorted(mms_archive.glob("mms1/fpi/fast/l2/dis-moms/**/*.cdf"))
    raw = cdflib.CDF(path).varget("mms1_dis_temptensor_gse_fast")
    da = helioport.load("mms", START, END, products="i_temptens", base_url=str(mms_archive))[
        "i_temptens_mms1"
    ]
    assert float(da.sel(component_1="x", component_2="z")[3]) == raw[3, 0, 2]
    assert raw[3, 0, 2] != raw[3, 1, 1]


def test_spectrum_carries_its_time_varying_energy_table(mms_archive):
    da = helioport.load("mms", START, END, products="i_omniflux", base_url=str(mms_archive))[
        "i_omniflux_mms1"
    ]
    energy = da.coords["energy_i_omniflux_mms1"]
    assert energy.dims == (da.dims[0], "energy_bin_i_omniflux_mms1")
    assert energy.attrs["units"] == "eV"
    assert not np.array_equal(energy.values[0], energy.values[1])  # the two step tables alternate
    np.testing.assert_array_equal(energy.values[0], fixtures.energy_table(1, "dis")[0])


def test_quaternion_frame_follows_coords_unless_quat_frame_is_given(mms_archive):
    a = helioport.load(
        "mms", START, END, products="sc_att", coords="gsm", base_url=str(mms_archive)
    )
    assert a["sc_att_mms1"].attrs["source_variable"] == "mms1_mec_quat_eci_to_gsm"
    q = a["sc_att_mms1"].values
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, rtol=1e-12)
    with pytest.raises(InvalidRequestError, match="quat_frame.*valid"):
        helioport.load(
            "mms", START, END, products="sc_att", quat_frame="xyz", base_url=str(mms_archive)
        )


def test_bad_requests_say_what_is_valid(mms_archive):
    url = str(mms_archive)
    with pytest.raises(UnknownProductError, match="i_dens"):
        helioport.load("mms", START, END, products="b_field", base_url=url)
    with pytest.raises(InvalidRequestError, match="mms1, mms2, mms3, mms4"):
        helioport.load("mms", START, END, products="dc_mag", probes="mms5", base_url=url)
    with pytest.raises(InvalidRequestError, match="has no coords='dsl'.*gse, gsm"):
        helioport.load("mms", START, END, products="dc_mag", coords="dsl", base_url=url)
    with pytest.raises(
        InvalidRequestError, match="'i_aspoc' is not in mode 'brst'; it exists in: srvy"
    ):
        helioport.load("mms", START, END, products="i_aspoc", mode="brst", base_url=url)
    with pytest.raises(InvalidRequestError, match="valid modes.*low_res"):
        helioport.load("mms", START, END, products="dc_mag", mode="slow", base_url=url)
    with pytest.raises(InvalidRequestError, match="valid options") as err:
        helioport.load("mms", START, END, products="dc_mag", colour="red", base_url=url)
    # the plugin's options and those of the derivations MMS gets (j_curl's) are the valid ones
    for name in ("source (", "positions (", "curlometer_min_shape ("):
        assert name in str(err.value)
    with pytest.raises(InvalidRequestError, match="source='ftp'.*sdc, spdf"):
        helioport.load("mms", START, END, products="dc_mag", source="ftp", base_url=url)


def test_modes_map_to_each_instruments_rate():
    assert products.archive_rate(products.BY_NAME["dc_mag"], "fast") == "srvy"
    assert products.archive_rate(products.BY_NAME["i_dens"], "srvy") == "fast"
    assert products.archive_rate(products.BY_NAME["dc_elec"], "low_res") == "fast"
    assert products.archive_rate(products.BY_NAME["i_dist"], "high_res") == "brst"
    assert products.archive_rate(products.BY_NAME["sc_pos"], "brst") == "brst"  # survey fallback


def test_products_are_listed_with_units():
    spec = helioport.mission_info("mms")
    assert spec.probes == ["mms1", "mms2", "mms3", "mms4"]
    assert {"srvy", "fast", "brst"} <= set(spec.modes) and spec.mode_aliases["low_res"] == "srvy"
    assert {s.env for s in spec.sources} >= {"HELIOPORT_MMS_URL", "HELIOPORT_MMS_SDC_URL"}
    table = helioport.products("mms", as_frame=True)
    assert table.loc["dc_mag", "units"] == "nT" and table.loc["i_dist", "kind"] == "distribution"
