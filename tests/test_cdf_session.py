"""reading_session: one open and one time read per file, however many products read it."""

from __future__ import annotations

import os

import cdflib
import numpy as np
import pytest
from cdf_samples import B, vector_series_file
from helioport import cdffile as hcdf
from helioport.cdf import read_merged, read_variables, reading_session, variable_names
from helioport.cdfbackends import READER_ENV, READERS


@pytest.fixture(autouse=True, params=READERS)
def reader(request, monkeypatch):
    """Every test runs with both decoders (pycdfpp, cdflib)."""
    monkeypatch.setenv(READER_ENV, request.param)
    return request.param


@pytest.fixture
def opens(monkeypatch):
    calls: list[str] = []
    real = hcdf.open_file

    def counting(path, *a, **k):
        calls.append(str(path))
        return real(path, *a, **k)

    monkeypatch.setattr(hcdf, "open_file", counting)
    return calls


@pytest.fixture
def mag(tmp_path):
    return vector_series_file(
        tmp_path / "test_mag_l2_20151016_v1.0.0.cdf", "2015-10-16", 2000, 1 / 16
    )


def test_a_session_opens_each_file_once_and_gives_the_same_values(mag, opens):
    name = B
    alone = read_variables(mag, [name])[name]
    assert len(opens) == 1
    opens.clear()
    with reading_session():
        names = variable_names(mag)
        a = read_variables(mag, [name], start="2015-10-16T00:00:10", end="2015-10-16T00:01")[name]
        b = read_variables(mag, [name])[name]
        with reading_session():  # nested: joins the outer one
            c = read_merged([mag], [name.replace("gse", "gsm")])[name.replace("gse", "gsm")]
    assert len(opens) == 1
    assert name in names
    np.testing.assert_array_equal(b.data, alone.data)
    np.testing.assert_array_equal(b.time, alone.time)
    assert a.time[0] >= np.datetime64("2015-10-16T00:00:10") and a.time[-1] < np.datetime64(
        "2015-10-16T00:01"
    )
    np.testing.assert_array_equal(
        a.data, alone.data[(alone.time >= a.time[0]) & (alone.time <= a.time[-1])]
    )
    assert c.data.shape == alone.data.shape
    # after the session the files are closed: a new read opens again
    read_variables(mag, [name])
    assert len(opens) == 2


def test_a_file_replaced_during_a_session_is_read_again(tmp_path, opens):
    path = tmp_path / "x.cdf"
    vector_series_file(path, "2015-10-16", 100, 1 / 16)
    name = B
    with reading_session():
        first = read_variables(path, [name])[name]
        os.replace(vector_series_file(tmp_path / "y.cdf", "2015-10-16", 300, 1 / 16), path)
        second = read_variables(path, [name])[name]
    assert (first.data.shape[0], second.data.shape[0]) == (100, 300)
    assert len(opens) == 2


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) or isinstance(a, np.generic):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and (
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
            if a.dtype.kind in "fciub"
            else np.array_equal(a, b)
        )
    return a == b


@pytest.mark.parametrize(
    "parts",
    [
        ("mms", "mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"),
        ("mms", "mms1_fpi_brst_l2_dis-moms_20151016130524_v3.3.0.cdf"),
        ("cluster", "C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf"),
        ("themis", "thg_l1_asf_gako_2011010617_v01.cdf"),
        None,  # a generated file
    ],
)
def test_attributes_read_in_one_walk_equal_cdflibs(parts, tmp_path, real_file, reader):
    """Each decoder gives exactly what cdflib's varattsget/varinq/globalattsget give, in order."""
    path = (
        real_file(*parts)
        if parts
        else vector_series_file(tmp_path / "g.cdf", "2015-10-16", 50, 1 / 16)
    )
    cdf = cdflib.CDF(path)
    f = hcdf.open_file(path, reader)
    try:
        info = cdf.cdf_info()
        assert f.names == list(info.zVariables) + list(info.rVariables)
        for name in f.names:
            ours, theirs = f.attrs(name), cdf.varattsget(name) or {}
            assert list(ours) == list(theirs), name
            assert all(_same(ours[k], theirs[k]) for k in ours), name
            inq, mine = cdf.varinq(name), f.info(name)
            assert (mine.data_type, mine.type_name) == (inq.Data_Type, inq.Data_Type_Description)
            assert (mine.rec_vary, mine.nrec) == (bool(inq.Rec_Vary), inq.Last_Rec + 1), name
        glob = {k: v if isinstance(v, list) else [v] for k, v in cdf.globalattsget().items()}
        assert list(f.global_attrs()) == list(glob)
        assert all(
            len(a) == len(b) and all(map(_same, a, b))
            for a, b in zip(f.global_attrs().values(), glob.values())
        )
    finally:
        f.close()
