"""OMNI hourly ``all`` offers every one of the 55 OMNI2 columns, named, with units and fills.

Also: the attrs of a vector read from the HRO CDFs describe the vector, not its first column.
"""

from __future__ import annotations

import shutil

import helioport
import numpy as np
import pytest
from helioport.naming import find_time_dim
from helioport_omni import ascii as omni2
from helioport_omni import products

DATA_COLUMNS = {c.name for c in omni2.COLUMNS[3:]}  # year, day and hour make the time


@pytest.fixture
def real_2010(tmp_path, real_file):
    src = real_file("omni", "omni2_2010.dat")
    root = tmp_path / "mirror"
    (root / "low_res_omni").mkdir(parents=True)
    shutil.copy(src, root / "low_res_omni" / "omni2_2010.dat")
    rows = [line.split() for line in src.read_text().splitlines()[:48]]
    return root, rows


def _columns_of(ds) -> dict[str, list[str]]:
    return {
        name: [c.strip() for c in da.attrs["source_variable"].split(",")]
        for name, da in ds.data_vars.items()
    }


@pytest.mark.parametrize(("frame", "extra"), [("gse", "gsm"), ("gsm", "gse")])
def test_hourly_all_holds_every_column_once(real_2010, frame, extra):
    root, rows = real_2010
    ds = helioport.load(
        "omni", "2010-01-01", "2010-01-03", products=["all"], mode="hourly", coords=frame,
        base_url=str(root),
    )  # fmt: skip
    held = _columns_of(ds)
    columns = [c for name, cols in held.items() if name != "dc_mag_tot" for c in cols]
    assert set(columns) == DATA_COLUMNS and len(DATA_COLUMNS) == 52
    # the frame dc_mag is not in comes as its own By and Bz, and only that one
    assert {f"by_{extra}", f"bz_{extra}"} <= set(ds.data_vars)
    assert not {f"by_{frame}", f"bz_{frame}"} & set(ds.data_vars)
    column = {"gse": 16, "gsm": 14}[frame]  # Bz of the other frame
    assert ds[f"bz_{extra}"].values[0] == pytest.approx(float(rows[0][column]))
    for name, da in ds.data_vars.items():
        assert da.attrs["units"], name
        assert da.attrs["description"], name
        assert da.sizes[find_time_dim(da)] == 48, name


# (product, column number in the file (0-based), scale)
CHECKED = [
    ("bartels_rotation", 3, 1.0),
    ("imf_sc_id", 4, 1.0),
    ("sw_plasma_sc_id", 5, 1.0),
    ("imf_points", 6, 1.0),
    ("plasma_points", 7, 1.0),
    ("b_vec_mag", 9, 1.0),
    ("b_latitude", 10, 1.0),
    ("b_longitude", 11, 1.0),
    ("by_gse", 13, 1.0),
    ("bz_gsm", 16, 1.0),
    ("sigma_b_mag", 17, 1.0),
    ("sigma_b", 18, 1.0),
    ("sigma_bz", 21, 1.0),
    ("flow_longitude", 25, 1.0),
    ("flow_latitude", 26, 1.0),
    ("sigma_t", 29, 1.0),
    ("sigma_n", 30, 1.0),
    ("sigma_v", 31, 1.0),
    ("sigma_flow_longitude", 32, 1.0),
    ("sigma_flow_latitude", 33, 1.0),
    ("sigma_na_np", 34, 1.0),
    ("proton_flux_2mev", 43, 1.0),
    ("proton_flux_4mev", 44, 1.0),
    ("magnetospheric_flag", 48, 1.0),
]


def test_each_new_column_product_reads_its_column(real_2010):
    root, rows = real_2010
    names = [n for n, _, _ in CHECKED]
    ds = helioport.load(
        "omni", "2010-01-01", "2010-01-03", products=names, mode="hourly", base_url=str(root)
    )
    for name, col, scale in CHECKED:
        spec_col = omni2.COLUMNS[col]
        assert ds[name].attrs["source_variable"] == spec_col.name, name
        assert ds[name].attrs["units"] == (spec_col.units or "1"), name
        for i in (0, 17, 47):
            text = rows[i][col]
            fill = spec_col.fill is not None and float(text) == spec_col.fill
            value = ds[name].values[i]
            assert np.isnan(value) if fill else value == pytest.approx(float(text) * scale), (
                name,
                i,
            )
    # 2010 has no 2 and 4 MeV fluxes: all fill, all NaN; the spacecraft IDs are real ones
    assert np.isnan(ds["proton_flux_2mev"].values).all()
    assert set(np.unique(ds["imf_sc_id"].values)) <= {51.0, 71.0}
    assert ds["sigma_t"].attrs["fill_values"] == "9999999.0"


def test_products_lists_the_columns_with_units_and_hourly_mode():
    table = helioport.products("omni", as_frame=True)
    for p in products.COLUMN_PRODUCTS:
        name = p.spec.name
        assert table.loc[name, "units"], name
        assert "hourly" in p.spec.modes
    assert table.loc["sigma_b", "units"] == "nT" and table.loc["flow_longitude", "units"] == "deg"


def test_hourly_cdf_source_refuses_an_ascii_only_column(omni_sample):
    with pytest.raises(helioport.InvalidRequestError, match="sigma_b.*hourly_source='ascii'"):
        helioport.load(
            "omni", "2010-01-01", "2010-01-02", products=["sigma_b"], mode="hourly",
            hourly_source="cdf", base_url=str(omni_sample),
        )  # fmt: skip


def test_hro_vector_attrs_describe_the_vector_not_its_first_column(omni_sample):
    ds = helioport.load(
        "omni", "2010-01-01", "2010-01-01T06:00", products=["dc_mag", "i_dens"], mode="5min",
        coords="gsm", base_url=str(omni_sample),
    )  # fmt: skip
    b = ds["dc_mag"]
    assert b.attrs["FIELDNAM"] != "Bx (nT), GSE, GSM"
    assert b.attrs["FIELDNAM"].startswith("dc_mag (GSM): BX_GSE, BY_GSM, BZ_GSM")
    catdesc = b.attrs["CATDESC"]
    assert "x: Bx (nT), GSE, GSM" in catdesc and "z: Bz (nT), GSM" in catdesc
    assert catdesc.startswith(products.BY_NAME["dc_mag"].spec.description)
    # a scalar keeps its own variable's attrs
    assert ds["i_dens"].attrs["FIELDNAM"] == "Proton Density, n/cc"
