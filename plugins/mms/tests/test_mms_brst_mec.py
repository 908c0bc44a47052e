"""MMS burst ephemeris: MEC burst files where the archive has them, survey otherwise (stated);
``j_curl`` with ``positions="fgm"``: the FGM files' own positions, no MEC file needed.

The archive is generated (:mod:`helioport_mms.fixtures`) with the real names:
``mms1_mec_brst_l2_epht89d_20151016130525_v2.2.0.cdf`` in ``mms1/mec/brst/l2/epht89d/2015/10/16/``
(30 ms records, the survey files' variables), as the SDC publishes them
(e.g. ``mms1_mec_brst_l2_epht89d_20160301002916_v2.1.0.cdf``).
"""

from __future__ import annotations

import warnings

import cdflib
import helioport
import numpy as np
import pytest
from helioport.derive.curlometer import curlometer
from helioport.errors import DataNotFoundError, InvalidRequestError
from helioport.naming import find_time_dim
from helioport_mms import fixtures
from helioport_mms.sdc_server import SDC_PREFIX, sdc_server

PROBES = ["mms1", "mms2", "mms3", "mms4"]
START, END = "2015-10-16T13:05:30", "2015-10-16T13:06:30"
BRST = "2015-10-16T13:05:24"
N_FGM = 128 * 120  # two minutes at 128 S/s


def _times(da):
    return da[find_time_dim(da)].values


def _mec_brst(root, probe="mms1", datatype="epht89d"):
    # 2 min 10 s of 30 ms records, starting a second after the FGM burst file (as the real ones do)
    return fixtures.write_mec(
        root, probe, "2015-10-16", rate="brst", start="2015-10-16T13:05:25", n=4334,
        datatype=datatype,
    )  # fmt: skip


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "spdf"
    survey = fixtures.write_mec(root, "mms1", "2015-10-16")
    burst = _mec_brst(root)
    return root, survey, burst


def _raw(path, var):
    return cdflib.CDF(path).varget(var)


def _epoch(path):
    return cdflib.cdfepoch.to_datetime(cdflib.CDF(path).varget("Epoch"))


@pytest.mark.parametrize("source", ["mms", "mms_sdc"])
def test_burst_mode_reads_the_mec_burst_files(archive, source, cache_dir):
    root, survey, burst = archive
    assert burst.name == "mms1_mec_brst_l2_epht89d_20151016130525_v2.2.0.cdf"
    assert burst.parent.as_posix().endswith("mms1/mec/brst/l2/epht89d/2015/10/16")
    kw = {"products": ["sc_pos", "sc_att"], "mode": "brst", "coords": "gsm"}
    if source == "mms":
        ds = helioport.load("mms", START, END, base_url=str(root), **kw)
    else:
        with sdc_server(root) as srv:
            ds = helioport.load(
                "mms", START, END, base_url={"mms_sdc": srv.api_url(SDC_PREFIX)}, **kw
            )
            queries = [e.query for e in srv.log if e.path.endswith("file_info/science")]
        # one query for the burst files, none for survey: they were there
        assert [(q["data_rate_mode"], q["descriptor"]) for q in queries] == [("brst", "epht89d")]
    pos = ds["sc_pos_mms1"]
    assert pos.attrs["dataset"] == "mms1_mec_brst_l2_epht89d"
    assert pos.attrs["data_rate"] == "brst" and "rate_fallback" not in pos.attrs
    assert pos.attrs["files"] == burst.name and pos.attrs["source_variable"] == "mms1_mec_r_gsm"
    t = _times(pos)
    assert np.median(np.diff(t)) == np.timedelta64(30, "ms")  # not the survey's 30 s
    assert t.size == 2000  # 60 s at 30 ms
    epoch = _epoch(burst)
    i0 = int(np.searchsorted(epoch, t[0]))
    np.testing.assert_array_equal(pos.values, _raw(burst, "mms1_mec_r_gsm")[i0 : i0 + t.size])
    att = ds["sc_att_mms1"]
    assert att.attrs["data_rate"] == "brst" and att.attrs["files"] == burst.name
    # the burst positions lie on the survey orbit (the fixture's promise, checked once)
    srv_t = _epoch(survey).astype("M8[ns]").astype(np.int64)
    srv_x = _raw(survey, "mms1_mec_r_gsm")[:, 0]
    interp = np.interp(t.astype("M8[ns]").astype(np.int64), srv_t, srv_x)
    np.testing.assert_allclose(pos.sel(component="x").values, interp, rtol=1e-6)


def test_without_burst_files_survey_is_used_and_said(archive, cache_dir, caplog):
    root, survey, burst = archive
    burst.unlink()
    with caplog.at_level("INFO", logger="helioport_mms.sources"):
        ds = helioport.load("mms", START, END, products=["sc_pos"], mode="brst", base_url=str(root))
    pos = ds["sc_pos_mms1"]
    assert pos.attrs["dataset"] == "mms1_mec_srvy_l2_epht89d"
    assert pos.attrs["data_rate"] == "srvy" and pos.attrs["files"] == survey.name
    assert pos.attrs["rate_fallback"] == (
        "no mms1_mec_brst_l2_epht89d file for the request: mms1_mec_srvy_l2_epht89d (srvy) "
        "used instead"
    )
    assert np.median(np.diff(_times(pos))) == np.timedelta64(30, "s")
    assert "no mms1_mec_brst_l2_epht89d file for the request" in caplog.text
    # survey mode never looks for burst files, and says nothing
    plain = helioport.load("mms", START, END, products=["sc_pos"], base_url=str(root))
    assert "rate_fallback" not in plain["sc_pos_mms1"].attrs


def test_the_mec_datatype_option_picks_the_burst_file(archive, cache_dir):
    root, _, _ = archive
    q = _mec_brst(root, datatype="epht89q")
    ds = helioport.load(
        "mms", START, END, products=["sc_pos"], mode="brst", mec_datatype="epht89q",
        base_url=str(root),
    )  # fmt: skip
    assert ds["sc_pos_mms1"].attrs["files"] == q.name
    assert ds["sc_pos_mms1"].attrs["dataset"] == "mms1_mec_brst_l2_epht89q"


# --------------------------------------------------------------------------- j_curl, FGM positions


@pytest.fixture
def fgm_burst(tmp_path):
    """FGM burst files of the four probes, with positions at a tetrahedron's corners; no MEC."""
    root = tmp_path / "fgm_only"
    paths = {
        p: fixtures.write_fgm(root, p, "brst", BRST, N_FGM, seed=i, version="4.18.1")
        for i, p in enumerate(PROBES)
    }
    return root, paths


def test_j_curl_with_fgm_positions_needs_no_mec_file(fgm_burst, cache_dir):
    root, paths = fgm_burst
    kw = {"probes": PROBES, "mode": "brst", "coords": "gse", "base_url": str(root)}
    # the default positions are MEC's, which this archive lacks
    with pytest.raises(DataNotFoundError, match="no file for mms sc_pos mms1 mode brst"):
        helioport.load("mms", START, END, products=["j_curl"], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no degenerate tetrahedron
        ds = helioport.load("mms", START, END, products=["j_curl"], positions="fgm", **kw)
    j = ds["j_curl"]
    assert "fgm" in j.attrs["positions"] and "mms1_fgm_r_gse_brst_l2" in j.attrs["positions"]
    assert sorted(j.attrs["files"].split(", ")) == sorted(p.name for p in paths.values())
    # the same numbers from the files: B of each probe (same time tags) and the FGM positions
    t = _times(j).astype("M8[ns]").astype(np.int64)
    epoch = cdflib.CDF(paths["mms1"]).varget("Epoch")
    b_t = cdflib.cdfepoch.to_datetime(epoch).astype("M8[ns]").astype(np.int64)
    i0 = int(np.searchsorted(b_t, t[0]))
    b = np.stack([_raw(paths[p], f"{p}_fgm_b_gse_brst_l2")[i0 : i0 + t.size, :3] for p in PROBES])
    r = []
    for p in PROBES:
        state = cdflib.cdfepoch.to_datetime(cdflib.CDF(paths[p]).varget("Epoch_state"))
        ts = state.astype("M8[ns]").astype(np.int64)
        raw = _raw(paths[p], f"{p}_fgm_r_gse_brst_l2").astype(np.float64)
        r.append(np.stack([np.interp(t, ts, raw[:, k]) for k in range(3)], axis=1))
    expected = curlometer(np.stack(r), b.astype(np.float64))["j"] * 1e9
    np.testing.assert_allclose(j.values, expected, rtol=1e-5, atol=1e-4)  # |j| up to ~10 nA/m^2
    assert np.isfinite(j.values).all() and np.abs(j.values).max() > 0
    # asked on its own, sc_pos with positions="fgm" is the FGM files' position too
    pos = helioport.load("mms", START, END, products=["sc_pos"], positions="fgm", **kw)
    p1 = pos["sc_pos_mms1"]
    assert p1.attrs["source_variable"] == "mms1_fgm_r_gse_brst_l2"
    assert p1.attrs["instrument"] == "fgm" and p1.attrs["files"] == paths["mms1"].name
    assert list(p1["component"].values) == ["x", "y", "z"] and p1.attrs["units"] == "km"


def test_fgm_positions_exist_in_gse_and_gsm_only(fgm_burst, cache_dir):
    root, _ = fgm_burst
    with pytest.raises(InvalidRequestError, match="gse and gsm only, not 'sm'"):
        helioport.load(
            "mms", START, END, products=["sc_pos"], positions="fgm", coords="sm", mode="brst",
            base_url=str(root),
        )  # fmt: skip
    with pytest.raises(InvalidRequestError, match="positions='eph'.*mec, fgm"):
        helioport.load(
            "mms", START, END, products=["sc_pos"], positions="eph", mode="brst",
            base_url=str(root),
        )  # fmt: skip
