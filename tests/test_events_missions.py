"""One criteria string on two missions' fixture archives, through helioport.load, no mission code."""

from __future__ import annotations

import helioport
import pytest
from helioport.events import find_events

CRITERIA = "dc_mag_tot > 24 and i_dens > 1"


def _omni(tmp_path):
    from helioport_omni.sample import make_sample_archive

    return make_sample_archive(tmp_path / "omni").model_dump(), tmp_path / "omni"


def _mms(tmp_path):
    sample = pytest.importorskip("helioport_mms.sample")
    return sample.make_sample_archive(tmp_path / "mms").model_dump(), tmp_path / "mms"


@pytest.mark.parametrize("mission,make", [("omni", _omni), ("mms", _mms)])
def test_same_criteria_on_omni_and_mms_fixtures(tmp_path, mission, make):
    req, root = make(tmp_path)
    kw = {
        "probes": req.get("probes"),
        "mode": req["mode"],
        "coords": req["coords"],
        "base_url": {req["source"]: str(root)},
    }
    ds = helioport.load(
        mission, req["start"], req["end"], products=["dc_mag", "i_dens", "sc_pos"], **kw
    )
    in_memory = find_events(ds, CRITERIA, window="10min", step="5min", progress=False)
    chunked = find_events(
        {"mission": mission, "start": req["start"], "end": req["end"], **kw},
        CRITERIA,
        window="10min",
        step="5min",
        chunk="40min",
        progress=False,
    )
    assert len(in_memory) >= 1
    assert [(e.start, e.stop, e.probe) for e in chunked] == [
        (e.start, e.stop, e.probe) for e in in_memory
    ]
    assert chunked.provenance["mission"] == mission
    for e in chunked:  # the criterion holds on the grid at both ends; values agree with it
        assert e.values["dc_mag_tot_max"] > 24 and e.values["i_dens_max"] > 1
        assert e.location is not None and all(abs(c) > 1000 for c in e.location[:1])


def test_dask_threads_loading_over_http_share_the_cache_safely(tmp_path, server_for):
    """Chunks as dask tasks, each a real helioport.load over HTTP in its own thread, sharing the
    process's listing database: the same catalog as the sequential search, each file fetched once."""
    pytest.importorskip("dask")
    req, _root = _omni(tmp_path)
    srv = server_for(tmp_path)
    source = {
        "mission": "omni",
        "start": req["start"],
        "end": req["end"],
        "mode": req["mode"],
        "base_url": srv.url_for("omni/"),
    }
    kw = {"window": "10min", "step": "5min", "chunk": "3h", "progress": False}
    parallel = find_events(source, CRITERIA, use_dask=True, **kw)
    sequential = find_events(source, CRITERIA, use_dask=False, **kw)
    assert len(parallel) >= 1 and parallel.events == sequential.events
    downloads = [e.path for e in srv.log if e.path.endswith(".cdf") and e.status == 200]
    assert len(downloads) == len(set(downloads)) == 1  # one HRO month file, fetched once
