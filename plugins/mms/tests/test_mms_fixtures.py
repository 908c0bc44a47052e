"""helioport_mms.fixtures.fgm_like_file: an FGM L2 file shaped like the real ones."""

from __future__ import annotations

from pathlib import Path

import cdflib
import numpy as np
import pytest
from helioport_mms.fixtures import fgm_like_file

FGM_REAL = ("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")
B = "mms1_fgm_b_gse_srvy_l2"


@pytest.fixture(scope="module")
def fgm(tmp_path_factory) -> Path:
    """2000 records of 16 S/s FGM survey, B fill at records 3 and 7."""
    path = tmp_path_factory.mktemp("fgm") / "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
    return fgm_like_file(path, "2015-10-16", 2000, 1 / 16, fill_records=[3, 7])


def test_fgm_like_file_has_the_fgm_layout(fgm):
    ours = cdflib.CDF(fgm)
    names = set(ours.cdf_info().zVariables)
    assert {
        "Epoch",
        "Epoch_state",
        B,
        "mms1_fgm_b_gsm_srvy_l2",
        "mms1_fgm_r_gse_srvy_l2",
        "label_b_gse",
    } <= names
    assert ours.varinq("Epoch").Data_Type_Description == "CDF_TIME_TT2000"
    assert ours.varinq(B).Data_Type_Description == "CDF_REAL4" and ours.varinq(B).Dim_Sizes == [4]
    assert not ours.varinq("label_b_gse").Rec_Vary


@pytest.mark.real
def test_fgm_like_file_mirrors_the_real_fgm_file(tmp_path, real_file):
    ref = cdflib.CDF(real_file(*FGM_REAL))
    ours = cdflib.CDF(
        fgm_like_file(tmp_path / "f.cdf", "2015-10-16T13:05:24", 100, 1 / 128, rate="brst")
    )
    assert set(ours.cdf_info().zVariables) <= set(ref.cdf_info().zVariables)
    for name in ours.cdf_info().zVariables:
        a, b = ours.varinq(name), ref.varinq(name)
        assert (a.Data_Type, a.Dim_Sizes, a.Rec_Vary) == (b.Data_Type, b.Dim_Sizes, b.Rec_Vary), (
            name
        )
        our_attrs, ref_attrs = ours.varattsget(name), ref.varattsget(name)
        assert set(our_attrs) <= set(ref_attrs), name
        for key in set(our_attrs) & {
            "FILLVAL",
            "VALIDMIN",
            "VALIDMAX",
            "TENSOR_ORDER",
            "DEPEND_0",
            "LABL_PTR_1",
        }:
            assert np.asarray(our_attrs[key]).dtype == np.asarray(ref_attrs[key]).dtype, (name, key)
            if key in ("DEPEND_0", "LABL_PTR_1", "FILLVAL"):
                assert our_attrs[key] == ref_attrs[key], (name, key)


def test_fgm_like_file_fill_records_and_global_attrs(fgm):
    cdf = cdflib.CDF(fgm)
    b = cdf.varget(B)
    assert b.shape == (2000, 4) and (b[[3, 7]] == np.float32(-1e31)).all()
    assert not (np.delete(b, [3, 7], axis=0) == np.float32(-1e31)).any()
    np.testing.assert_allclose(np.linalg.norm(b[0, :3]), b[0, 3], rtol=1e-6)
    g = cdf.globalattsget()
    assert g["Logical_source"] == ["mms1_fgm_srvy_l2"] and g["Mission_group"] == ["MMS"]
    assert cdf.varget("Epoch")[1] - cdf.varget("Epoch")[0] == 62_500_000
