"""CDF -> numpy/xarray (helioport.cdf) and the CDF fixture writer (helioport.testing.cdfwriter).

Synthetic files are mission-neutral (:mod:`cdf_samples`); the real files of
../shared/data/real check the reader against cdflib (skipped when absent).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cdflib
import cdflib.xarray
import numpy as np
import pytest
import xarray as xr
from cdf_samples import LOGICAL_SOURCE, B, R, vector_series_file
from helioport.cdf import (
    CdfVariable,
    global_attrs,
    load_variables,
    merge_variables,
    read_variables,
    to_dataarray,
    variable_names,
)
from helioport.cdfbackends import READER_ENV, READERS
from helioport.errors import CorruptFileError, DataNotFoundError
from helioport.testing.cdfwriter import VarSpec, write_cdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FGM_REAL = ("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")
FPI_REAL = ("mms", "mms1_fpi_fast_l2_des-moms_20151201000000_v3.3.0.cdf")
CLUSTER_REAL = ("cluster", "C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf")
T0 = np.datetime64("2015-10-16T00:00:00", "ns")
SIXTEENTH = np.timedelta64(62_500_000, "ns")


@pytest.fixture(autouse=True, params=READERS)
def reader(request, monkeypatch):
    """Every test runs with both decoders (pycdfpp, cdflib): the same values either way."""
    monkeypatch.setenv(READER_ENV, request.param)
    return request.param


@pytest.fixture
def real(real_file):
    """``real(*parts)``: a file of ../shared/data/real, or skip saying it is absent."""
    return real_file


@pytest.fixture(scope="module")
def mag(tmp_path_factory) -> Path:
    """2000 vector records at 16 S/s, B fill at records 3 and 7, positions every 30 s."""
    path = tmp_path_factory.mktemp("mag") / "test_mag_l2_20151016_v1.0.0.cdf"
    return vector_series_file(path, "2015-10-16", 2000, 1 / 16, fill_records=[3, 7])


# ---------------------------------------------------------------- real files


@pytest.mark.real
def test_real_fgm_matches_cdflib_varget(real):
    path = real(*FGM_REAL)
    names = ["mms1_fgm_b_gse_brst_l2", "mms1_fgm_r_gse_brst_l2", "mms1_fgm_flag_brst_l2"]
    out = read_variables(path, names)
    cdf = cdflib.CDF(path)
    b = out["mms1_fgm_b_gse_brst_l2"]
    assert b.data.shape == (17792, 4) and b.data.dtype == np.float32
    np.testing.assert_array_equal(b.data[0], cdf.varget("mms1_fgm_b_gse_brst_l2")[0])
    np.testing.assert_allclose(b.data[0], [12.059261, -0.50258404, 37.09482, 39.009026], rtol=1e-6)
    np.testing.assert_array_equal(b.time, cdflib.cdfepoch.to_datetime(cdf.varget("Epoch")))
    assert b.depend_0 == "Epoch" and b.labels == {1: ["Bx GSE", "By GSE", "Bz GSE", "Bt"]}
    assert b.attrs["UNITS"] == "nT" and b.cdf_type == "CDF_REAL4"
    r = out["mms1_fgm_r_gse_brst_l2"]
    assert r.depend_0 == "Epoch_state" and r.data.shape == (8, 4)
    assert r.time[0] == np.datetime64("2015-10-16T13:04:54.248", "ns")
    assert out["mms1_fgm_flag_brst_l2"].data.dtype == np.uint32


@pytest.mark.real
def test_real_fgm_dataarray_matches_cdf_to_xarray(real):
    path = real(*FGM_REAL)
    ref = cdflib.xarray.cdf_to_xarray(str(path), fillval_to_nan=True)["mms1_fgm_b_gse_brst_l2"]
    da = load_variables(path, "mms1_fgm_b_gse_brst_l2")["mms1_fgm_b_gse_brst_l2"]
    assert da.dims == ("time", "component")
    np.testing.assert_array_equal(da.values, ref.values)
    np.testing.assert_array_equal(da["time"].values, ref["Epoch"].values)
    assert list(da["component"].values) == ["Bx GSE", "By GSE", "Bz GSE", "Bt"]
    assert da.attrs["units"] == "nT" and da.attrs["source_variable"] == "mms1_fgm_b_gse_brst_l2"
    assert da.attrs["FILLVAL"] == -1e31 and da.attrs["VALIDMIN"] == [
        -20000.0,
        -20000.0,
        -20000.0,
        0.0,
    ]
    assert da.attrs["COORDINATE_SYSTEM"] == "GSE" and da.attrs["TENSOR_ORDER"] == 1


@pytest.mark.real
def test_real_cluster_epoch_file_matches_cdf_to_xarray(real):
    path = real(*CLUSTER_REAL)
    name = "B_vec_xyz_gse__C1_CP_FGM_SPIN"
    ref = cdflib.xarray.cdf_to_xarray(str(path), fillval_to_nan=True)[name]
    da = load_variables(path, name)[name]
    np.testing.assert_array_equal(da.values, ref.values)
    np.testing.assert_array_equal(da["time"].values, ref["time_tags__C1_CP_FGM_SPIN"].values)
    np.testing.assert_array_equal(da.values[0], np.array([2.144, -0.773, -8.095], np.float32))
    assert da["time"].values[0] == np.datetime64("2001-06-11T20:00:01.174", "ns")
    assert list(da["component"].values) == ["Bx", "By", "Bz"]  # the CSA's LABEL_1 pointer


@pytest.mark.real
# cdflib's cdf_to_xarray (the reference here) names both tensor axes dim0; xarray warns about it
@pytest.mark.filterwarnings("ignore:Duplicate dimension names:UserWarning")
def test_real_fpi_tensor_spectrum_and_time_varying_energy(real):
    path = real(*FPI_REAL)
    names = [
        "mms1_des_prestensor_gse_fast",
        "mms1_des_energyspectr_omni_fast",
        "mms1_des_pitchangdist_lowen_fast",
    ]
    das = load_variables(path, names)
    ref = cdflib.xarray.cdf_to_xarray(str(path), fillval_to_nan=True)
    p = das["mms1_des_prestensor_gse_fast"]
    assert p.dims == ("time", "component_1", "component_2") and p.shape == (1600, 3, 3)
    np.testing.assert_array_equal(p.values, ref["mms1_des_prestensor_gse_fast"].values)
    np.testing.assert_allclose(
        p.values, np.swapaxes(p.values, 1, 2)
    )  # symmetric: axes not mixed up
    e = das["mms1_des_energyspectr_omni_fast"]
    assert e.dims == ("time", "dim1") and e["mms1_des_energy_fast"].dims == ("time", "dim1")
    np.testing.assert_array_equal(e.values, ref["mms1_des_energyspectr_omni_fast"].values)
    np.testing.assert_array_equal(
        e["mms1_des_energy_fast"].values, ref["mms1_des_energy_fast"].values
    )
    pa = das["mms1_des_pitchangdist_lowen_fast"]
    assert pa.dims == ("time", "mms1_des_alpha_fast")
    np.testing.assert_array_equal(pa["mms1_des_alpha_fast"].values, np.arange(3.0, 180.0, 6.0))


@pytest.mark.real
def test_real_record_range_and_time_varying_energy_stay_aligned(real):
    path = real(*FPI_REAL)
    full = read_variables(path, "mms1_des_energyspectr_omni_fast")[
        "mms1_des_energyspectr_omni_fast"
    ]
    start, end = np.datetime64("2015-12-01T01:00", "ns"), np.datetime64("2015-12-01T01:10", "ns")
    part = read_variables(path, "mms1_des_energyspectr_omni_fast", start=start, end=end)[
        "mms1_des_energyspectr_omni_fast"
    ]
    keep = (full.time >= start) & (full.time < end)
    assert part.time.size == keep.sum() == 134
    np.testing.assert_array_equal(part.time, full.time[keep])
    np.testing.assert_array_equal(part.data, full.data[keep])
    np.testing.assert_array_equal(part.depends[1].data, full.depends[1].data[keep])


@pytest.mark.real
def test_real_truncated_copy_is_corrupt(tmp_path, real):
    src = real(*FGM_REAL)
    bad = tmp_path / src.name
    bad.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(CorruptFileError, match=src.name):
        read_variables(bad, ["mms1_fgm_b_gse_brst_l2"])


# ---------------------------------------------------------------- synthetic vector file


def test_fill_becomes_nan_and_labels_come_along(mag):
    v = read_variables(mag, [B])[B]
    assert np.isnan(v.data[[3, 7]]).all() and not np.isnan(np.delete(v.data, [3, 7], axis=0)).any()
    np.testing.assert_array_equal(v.fill_mask()[:, 0], np.isin(np.arange(2000), [3, 7]))
    assert v.time[1] - v.time[0] == SIXTEENTH and v.time[0] == T0
    raw = cdflib.CDF(mag).varget(B)
    np.testing.assert_array_equal(v.data[0], raw[0])
    assert raw[3, 0] == np.float32(-1e31)


def test_integers_stay_integers_with_a_fill_mask(tmp_path):
    t = T0 + np.arange(5) * SIXTEENTH
    path = write_cdf(tmp_path / "ints.cdf", {
        "Epoch": (t, {}),
        "q": (np.array([0, 1, 255, 2, 255], np.uint8), {"DEPEND_0": "Epoch", "FILLVAL": np.uint8(255),
                                                        "VALIDMIN": np.uint8(0), "VALIDMAX": np.uint8(1)}),
    })  # fmt: skip
    q = read_variables(path, "q")["q"]
    assert q.data.dtype == np.uint8 and q.data.tolist() == [0, 1, 255, 2, 255]
    assert q.fill_mask().tolist() == [False, False, True, False, True]
    assert q.fill_mask(invalid=True).tolist() == [False, False, True, True, True]


def test_mask_invalid_sets_out_of_range_floats_to_nan(tmp_path):
    t = T0 + np.arange(4) * SIXTEENTH
    attrs = {
        "DEPEND_0": "Epoch",
        "FILLVAL": np.float32(-1e31),
        "VALIDMIN": np.float32(0),
        "VALIDMAX": np.float32(10),
    }
    path = write_cdf(
        tmp_path / "v.cdf", {"Epoch": (t, {}), "x": (np.array([1, -1, 11, 5], "f4"), attrs)}
    )
    assert np.isnan(read_variables(path, "x", mask_invalid=True)["x"].data).tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert not np.isnan(read_variables(path, "x")["x"].data).any()


def test_dataarray_dims_coords_attrs(mag):
    v = read_variables(mag, [B])[B]
    da = to_dataarray(v, component_labels=["x", "y", "z", "tot"], name="dc_mag_mms1")
    assert da.name == "dc_mag_mms1" and da.dims == ("time", "component")
    assert list(da["component"].values) == ["x", "y", "z", "tot"]
    assert da.attrs["units"] == "nT" and da.attrs["source_variable"] == B
    assert da.attrs["FILLVAL"] == -1e31 and isinstance(da.attrs["FILLVAL"], float)
    assert isinstance(da.attrs["TENSOR_ORDER"], int) and da.attrs["LABL_PTR_1"] == "label_b_gse"
    assert to_dataarray(v, dims=["xyz"], time_dim="time_b").dims == ("time_b", "xyz")
    with pytest.raises(ValueError, match="3 labels"):
        to_dataarray(v, component_labels=["x", "y", "z"])


def test_time_variable_and_metadata_variable(mag):
    out = read_variables(mag, ["Epoch", "label_b_gse"])
    epoch = to_dataarray(out["Epoch"])
    assert epoch.dims == ("time",) and epoch.dtype == np.dtype("M8[ns]") and epoch.values[0] == T0
    assert not out["label_b_gse"].record_varying and out["label_b_gse"].time is None


# ---------------------------------------------------------------- record ranges


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(-100, 2100), st.integers(-100, 2100), st.integers(0, 62_499_999))
def test_record_range_is_exactly_start_to_end(mag, i, j, jitter):
    start = T0 + i * SIXTEENTH + np.timedelta64(jitter, "ns")
    end = T0 + j * SIXTEENTH
    full = read_variables(mag, [B])[B]
    part = read_variables(mag, [B], start=start, end=end)[B]
    keep = (full.time >= start) & (full.time < end)
    np.testing.assert_array_equal(part.time, full.time[keep])
    np.testing.assert_array_equal(part.data, full.data[keep])
    assert part.data.shape[1:] == (4,)


def test_open_ended_ranges_and_other_time_inputs(mag):
    import datetime as dt

    import pandas as pd

    after = read_variables(mag, [B], start="2015-10-16T00:01:00")[B]
    assert after.time[0] == T0 + np.timedelta64(60, "s") and after.time.size == 2000 - 960
    before = read_variables(mag, [B], end=dt.datetime(2015, 10, 16, 0, 0, 1))[B]
    assert before.time.size == 16
    ts = read_variables(
        mag, [B], start=pd.Timestamp("2015-10-16T00:00:00.0625", tz="UTC"), end=T0 + 3 * SIXTEENTH
    )
    assert ts[B].time.size == 2


def test_range_with_unsorted_and_fill_times(tmp_path):
    t = T0 + np.array([0, 1, 2, 5, 3, 4, 6], dtype=np.int64) * np.timedelta64(1, "s")
    raw = t.copy()
    raw[6] = np.datetime64("NaT")
    path = write_cdf(
        tmp_path / "odd.cdf", {"Epoch": (raw, {}), "x": (np.arange(7.0), {"DEPEND_0": "Epoch"})}
    )
    x = read_variables(
        path, "x", start=T0 + np.timedelta64(2, "s"), end=T0 + np.timedelta64(5, "s")
    )["x"]
    assert x.data.tolist() == [2.0, 4.0, 5.0]
    assert np.isnat(read_variables(path, "x")["x"].time[6])


def test_variables_on_two_time_bases_in_one_range(mag):
    out = read_variables(mag, [B, R], start=T0 + np.timedelta64(30, "s"))
    r = out[R]
    assert r.depend_0 == "Epoch_state"
    np.testing.assert_array_equal(r.time, T0 + np.arange(30, 151, 30) * np.timedelta64(1, "s"))
    assert out[B].time[0] == T0 + np.timedelta64(30, "s")


# ---------------------------------------------------------------- many files


@pytest.fixture
def three_files(tmp_path) -> list[Path]:
    """Three 100-record files, each starting with the previous one's last timestamp."""
    a = vector_series_file(tmp_path / "a.cdf", T0, 100, 1 / 16, seed=1)
    b = vector_series_file(tmp_path / "b.cdf", T0 + 99 * SIXTEENTH, 100, 1 / 16, seed=2)
    c = vector_series_file(tmp_path / "c.cdf", T0 + 198 * SIXTEENTH, 100, 1 / 16, seed=3)
    return [a, b, c]


def test_multi_file_concatenation_dedups_edges_and_sorts(three_files):
    a, b, c = three_files
    da = load_variables([c, a, b], B)[B]
    t = da["time"].values
    assert t.size == 298 and (np.diff(t.astype(np.int64)) == 62_500_000).all()
    first = read_variables(a, B)[B].data
    np.testing.assert_array_equal(
        da.values[:100], first
    )  # the edge sample comes from the first file
    np.testing.assert_array_equal(da.values[100], read_variables(b, B)[B].data[1])
    assert list(da["component"].values) == ["Bx GSE", "By GSE", "Bz GSE", "Bt"]
    r = load_variables([a, b, c], R)[R]
    assert (np.diff(r["time"].values.astype(np.int64)) > 0).all()


def test_multi_file_range_slices_across_files(three_files):
    start, end = T0 + 50 * SIXTEENTH, T0 + 250 * SIXTEENTH
    da = load_variables(three_files, [B], start=start, end=end)[B]
    assert da.sizes["time"] == 200 and da["time"].values[0] == start and da["time"].values[-1] < end
    whole = load_variables(three_files, [B])[B]
    xr.testing.assert_identical(da, whole.sel(time=slice(start, end - np.timedelta64(1, "ns"))))


def test_merge_overlapping_pieces_keeps_the_earlier_file():
    t = T0 + np.arange(5) * SIXTEENTH
    a = CdfVariable("x", np.arange(5.0), time=t)
    b = CdfVariable("x", np.arange(5.0) + 100, time=t + 3 * SIXTEENTH)
    m = merge_variables([b, a])
    assert m.data.tolist() == [0, 1, 2, 3, 4, 102, 103, 104]
    assert (np.diff(m.time.astype(np.int64)) > 0).all()


# ---------------------------------------------------------------- errors, metadata


def test_unknown_variable_lists_what_the_file_has(mag):
    with pytest.raises(DataNotFoundError) as err:
        read_variables(mag, [B, "b_gse_l3"])
    text = str(err.value)
    assert mag.name in text and "b_gse_l3" in text and "Epoch_state" in text
    assert "did you mean" in text


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01",
        b"<html><body>404 Not Found</body></html>",
        b"\xcd\xf3\x00\x01\x00\x00\xff\xff" + b"\x00" * 10,
    ],
)
def test_not_a_cdf_or_damaged_is_corrupt(tmp_path, content):
    path = tmp_path / "test_mag_l2_20151016_v1.0.0.cdf"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match=path.name):
        read_variables(path, [B])


@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated_file_is_corrupt(mag, tmp_path, keep):
    data = mag.read_bytes()
    bad = tmp_path / mag.name
    bad.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptFileError, match=mag.name):
        load_variables(bad, [B])


def test_truncated_compressed_file_is_corrupt(tmp_path):
    path = vector_series_file(tmp_path / "z.cdf", T0, 5000, 1 / 16, compress=6)
    assert np.isfinite(read_variables(path, B)[B].data).all()
    shutil.copy(path, tmp_path / "full.cdf")
    path.write_bytes(path.read_bytes()[:-2000])
    with pytest.raises(CorruptFileError, match="z.cdf"):
        read_variables(path, B)


def test_global_attrs_and_variable_names(mag):
    g = global_attrs(mag)
    assert g["Logical_source"] == LOGICAL_SOURCE and g["Mission_group"] == "TEST"
    assert variable_names(mag)[:2] == ["Epoch", B]


# ---------------------------------------------------------------- writer


def test_writer_round_trips_every_time_type(tmp_path):
    t = np.array(["2001-06-11T20:00:01.174", "2016-12-31T23:59:59.5", "NaT"], dtype="M8[ns]")
    path = write_cdf(tmp_path / "times.cdf", {
        "tt": VarSpec(t, {"FILLVAL": np.datetime64("NaT")}),
        "ep": VarSpec(t, {"FILLVAL": -1e31}, cdf_type="CDF_EPOCH"),
        "e16": VarSpec(t, {"FILLVAL": np.datetime64("NaT")}, cdf_type=32),
        "n": (np.array([1, 2, 3], np.int16), {"DEPEND_0": "ep"}),
        "lab": (np.array(["a", "bb"]), {}),
    }, {"TEXT": ["line one", "line two"], "Version": 3})  # fmt: skip
    cdf = cdflib.CDF(path)
    assert [cdf.varinq(n).Data_Type for n in ("tt", "ep", "e16", "n", "lab")] == [33, 31, 32, 2, 51]
    assert cdf.varget("tt")[2] == -(2**63) and cdf.varattsget("tt")["FILLVAL"] == -(2**63)
    out = read_variables(path, ["tt", "ep", "e16", "n", "lab"])
    for name in ("tt", "ep", "e16"):
        np.testing.assert_array_equal(out[name].data, t)
    assert out["n"].time[0] == t[0] and out["lab"].data.tolist() == ["a", "bb"]
    assert global_attrs(path) == {"TEXT": ["line one", "line two"], "Version": 3}


def test_writer_is_atomic(tmp_path):
    path = tmp_path / "x.cdf"
    write_cdf(path, {"a": (np.arange(3.0), {})})
    write_cdf(path, {"a": (np.arange(4.0), {})})  # replaces
    assert read_variables(path, "a")["a"].data.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="CDF_NOPE"):
        write_cdf(
            tmp_path / "y.cdf", {"a": (np.arange(3.0), {}), "b": (np.arange(2), {}, "CDF_NOPE")}
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.cdf"]
