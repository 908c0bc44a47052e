"""Event search without spacecraft location, over partly covered ranges, and its failures.

The location of an event is optional: a request whose mission has no ``sc_pos``
(OMNI hourly), or whose files lack the position variables, is searched exactly
as the loaded Dataset is. Missing archive data warns and the catalog records
the intervals actually searched; any other failure raises.
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings

import helioport
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport.errors import DataNotFoundError, DownloadError
from helioport.events import find_events
from helioport.events.chunks import covered_ns

HOURLY = {"mode": "hourly", "coords": "gsm"}


@pytest.fixture
def real_2010(tmp_path, real_file):
    root = tmp_path / "mirror"
    (root / "low_res_omni").mkdir(parents=True)
    shutil.copy(real_file("omni", "omni2_2010.dat"), root / "low_res_omni" / "omni2_2010.dat")
    return root


def test_find_events_is_public_at_the_top_level():
    assert helioport.find_events is find_events
    assert "find_events" in dir(helioport)


def test_omni_hourly_gsm_request_finds_what_the_loaded_dataset_finds(real_2010):
    """OMNI hourly has no sc_pos: the request is searched without location, never dropped."""
    ds = helioport.load(
        "omni", "2010-01-01", "2011-01-01", products=["i_dens"], base_url=str(real_2010), **HOURLY
    )
    ref = find_events(ds, "i_dens > 15", "3h", "1h", progress=False)
    req = {"mission": "omni", "start": "2010-01-01", "end": "2011-01-01", **HOURLY}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the whole year is there: nothing to warn about
        cat = find_events(
            dict(req, base_url=str(real_2010)), "i_dens > 15", "3h", "1h", progress=False
        )
    assert len(ref) > 20 and cat.events == ref.events
    # the hours of the first event are the hours of the file where density first exceeds 15
    dens = ds["i_dens"]
    t = dens[dens.dims[0]].values
    first = t[np.nanargmax(dens.values > 15)]
    assert cat[0].start == pd.Timestamp(first, tz="UTC")
    assert all(e.location is None for e in cat)
    assert cat.provenance["location"].startswith("none: omni product 'sc_pos' is not in mode")
    assert cat.provenance["searched"] == ["2010-01-01T00:00:00Z/2011-01-01T00:00:00Z"]
    assert (cat.provenance["start"], cat.provenance["end"]) == (
        "2010-01-01T00:00:00Z",
        "2011-01-01T00:00:00Z",
    )
    assert cat.provenance["requested"] == "2010-01-01T00:00:00Z/2011-01-01T00:00:00Z"
    # and a chunked search of the same request gives the same events
    chunked = find_events(
        dict(req, base_url=str(real_2010)), "i_dens > 15", "3h", "1h", chunk="30D", progress=False
    )
    assert chunked.events == ref.events


def test_files_without_position_variables_still_give_events(tmp_path, monkeypatch):
    """HRO files lacking x, y, z: sc_pos cannot be read, the events come without location."""
    sample = pytest.importorskip("helioport_omni.sample")
    table = {k: v for k, v in sample.HRO_VARIABLES.items() if k not in ("x", "y", "z")}
    monkeypatch.setattr(sample, "HRO_VARIABLES", table)
    sample.write_hro_month(tmp_path, dt.date(2010, 1, 1), "5min", days=3)
    kw = {"mode": "5min", "coords": "gse", "base_url": str(tmp_path)}
    with pytest.raises(helioport.HelioportError):  # the position really is unreadable
        helioport.load("omni", "2010-01-01", "2010-01-03", products=["sc_pos"], **kw)
    ds = helioport.load("omni", "2010-01-01", "2010-01-03", products=["i_dens"], **kw)
    ref = find_events(ds, "i_dens > 8", "30min", "10min", progress=False)
    req = {"mission": "omni", "start": "2010-01-01", "end": "2010-01-03", **kw}
    for chunk in ("auto", "6h"):
        cat = find_events(req, "i_dens > 8", "30min", "10min", chunk=chunk, progress=False)
        assert len(ref) >= 1 and cat.events == ref.events, chunk
        assert all(e.location is None for e in cat)
        assert cat.provenance["location"].startswith("none: ")
    # with positions in the files, the same search locates its events (Re -> km)
    full = tmp_path / "full"
    monkeypatch.undo()
    sample.write_hro_month(full, dt.date(2010, 1, 1), "5min", days=3)
    located = find_events(dict(req, base_url=str(full)), "i_dens > 8", "30min", "10min",
                          progress=False)  # fmt: skip
    assert [e.start for e in located] == [e.start for e in ref]
    assert located[0].location[0] == pytest.approx(220.0 * 6371.2, rel=1e-6)  # x = 220 Re


def test_missing_archive_data_warns_and_the_catalog_records_what_was_searched(omni_sample):
    """The OMNI2 files hold 2010 only: a search from November 2009 covers 2010 alone."""
    req = {
        "mission": "omni",
        "start": "2009-11-01",
        "end": "2010-03-01",
        "base_url": str(omni_sample),
        **HOURLY,
    }
    with pytest.warns(UserWarning, match=r"data for only part of 2009-11-01T00:00:00Z/") as rec:
        cat = find_events(req, "i_dens > 5.6", "3h", "1h", chunk="20D", progress=False)
    assert len(rec) == 1  # one warning for the search, not one per chunk load
    assert "searched 2010-01-01T00:00:00Z/2010-03-01T00:00:00Z" in str(rec[0].message)
    assert "chunk(s) short of data" in str(rec[0].message)
    assert cat.provenance["searched"] == ["2010-01-01T00:00:00Z/2010-03-01T00:00:00Z"]
    assert (cat.provenance["start"], cat.provenance["end"]) == (
        "2010-01-01T00:00:00Z",
        "2010-03-01T00:00:00Z",
    )
    assert cat.provenance["requested"] == "2009-11-01T00:00:00Z/2010-03-01T00:00:00Z"
    # the events are those of the data that exists
    ds = helioport.load(
        "omni", "2010-01-01", "2010-03-01", products=["i_dens"], base_url=str(omni_sample), **HOURLY
    )
    ref = find_events(ds, "i_dens > 5.6", "3h", "1h", progress=False)
    assert len(ref) >= 1 and cat.events == ref.events


def test_one_load_covering_part_of_the_request_states_the_covered_span(omni_sample):
    """One chunk whose files cover part of it: the variables' ``covered`` attr bounds the catalog."""
    req = {
        "mission": "omni",
        "start": "2010-12-20",
        "end": "2011-01-10",
        "base_url": str(omni_sample),
        **HOURLY,
    }
    with pytest.warns(UserWarning, match="data for only part of") as rec:
        cat = find_events(req, "i_dens > 0", "3h", "1h", progress=False)
    assert len(rec) == 1
    assert cat.provenance["searched"] == ["2010-12-20T00:00:00Z/2011-01-01T00:00:00Z"]
    assert cat.provenance["end"] == "2011-01-01T00:00:00Z"
    assert cat.events[-1].stop <= dt.datetime(2011, 1, 1, tzinfo=dt.timezone.utc)


def _dataset(n=600):
    t = np.datetime64("2020-01-01", "ns") + np.arange(n) * np.timedelta64(60, "s")
    v = np.zeros(n)
    v[100:105] = v[400:410] = 10.0
    return xr.Dataset({"i_dens": (("time_i_dens",), v)}, coords={"time_i_dens": t},
                      attrs={"mission": "toy"})  # fmt: skip


def _loader(ds, fail_after=None, error=DownloadError, position_error=None):
    def load(mission, start, end, products=(), **kw):
        if "sc_pos" in products:
            # a position-only failure
            raise (position_error or DataNotFoundError)("no ephemeris files")
        t0 = pd.Timestamp(start).tz_convert(None).to_datetime64()
        if fail_after is not None and t0 >= fail_after:
            raise error(f"host refused the connection at {t0}")
        t1 = pd.Timestamp(end).tz_convert(None).to_datetime64()
        return ds.sel(time_i_dens=slice(t0, t1))

    return load


def test_other_failures_raise_and_position_failures_do_not():
    ds = _dataset()
    req = ("toy", "2020-01-01", "2020-01-01T10:00")
    cat = find_events(req, "i_dens > 5", "5min", "1min", chunk="2h", loader=_loader(ds),
                      progress=False)  # fmt: skip
    ref = find_events(ds, "i_dens > 5", "5min", "1min", progress=False)
    assert cat.events == ref.events and len(cat) == 2
    assert cat.provenance["location"] == "none: the data holds no sc_pos (spacecraft position)"
    late = np.datetime64("2020-01-01T05:00")
    with pytest.raises(DownloadError, match="refused"):
        find_events(req, "i_dens > 5", "5min", "1min", chunk="2h",
                    loader=_loader(ds, late), progress=False)  # fmt: skip
    # a chunk without data is skipped with a warning, not an error
    with pytest.warns(UserWarning, match="short of data, e.g.: no file") as rec:
        part = find_events(req, "i_dens > 5", "5min", "1min", chunk="2h",
                           loader=_loader(ds, late, lambda m: DataNotFoundError("no file " + m)),
                           progress=False)  # fmt: skip
    assert len(rec) == 1
    assert [e.start for e in part] == [ref[0].start]  # the 06:40 event lies in the missing part
    (searched,) = part.provenance["searched"]
    start, end = searched.split("/")
    # up to the chunk boundary (chunks of 2 h after a shorter first one) before the failing loads
    assert start == "2020-01-01T00:00:00Z" and "2020-01-01T04:00" < end <= "2020-01-01T06:00"
    assert part.provenance["end"] == end


def test_a_download_failure_of_the_positions_raises_instead_of_dropping_locations():
    """Only 'not served / not there' drops the location; a failed download is an error."""
    ds = _dataset()
    req = ("toy", "2020-01-01", "2020-01-01T10:00")
    with pytest.raises(DownloadError, match="no ephemeris files"):
        find_events(req, "i_dens > 5", "5min", "1min", chunk="2h",
                    loader=_loader(ds, position_error=DownloadError), progress=False)  # fmt: skip


def test_covered_attr_text_is_read_back():
    assert covered_ns("nothing") == []
    assert covered_ns("1970-01-01T00:00:00Z/1970-01-01T00:00:01Z, 1970-01-01T00:00:05Z/"
                      "1970-01-01T00:00:06Z") == [(0, 10**9), (5 * 10**9, 6 * 10**9)]  # fmt: skip
    assert covered_ns("garbled") is None


def test_dataset_with_covered_attr_states_its_covered_span():
    ds = _dataset()
    ds["i_dens"].attrs["covered"] = "2020-01-01T01:00:00Z/2020-01-01T08:00:00Z"
    cat = find_events(ds, "i_dens > 5", "5min", "1min", progress=False)
    assert cat.provenance["searched"] == ["2020-01-01T01:00:00Z/2020-01-01T08:00:00Z"]
    assert (cat.provenance["start"], cat.provenance["end"]) == (
        "2020-01-01T01:00:00Z",
        "2020-01-01T08:00:00Z",
    )
