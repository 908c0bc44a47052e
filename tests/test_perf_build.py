"""The warm load's remaining per-file costs are cut without changing a result (issue 12).

- :func:`helioport.cdf.to_dataarray` builds its DataArray directly (the time
  index from the values, component labels' index made once): the same
  DataArray as xarray's general constructor, whatever the variable's layout,
  and refusing what that constructor refuses (coordinates that do not fit);
  a DataArray's coordinates stay its own;
- coverage takes the median sampling step with one array made, equal to
  numpy's median of the differences for every input (Hypothesis);
- the time bounds of a read are converted once per load, whatever their type;
- the cache's "stays inside the cache" check walks only the parts below the
  cache root, and still refuses a symlink or ``..`` that leads outside.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from cdf_samples import B, vector_series_file
from helioport.cdf import CdfVariable, read_variables, to_dataarray
from helioport.errors import PluginError
from helioport.lifecycle.coverage import _median_step, covered_spans
from helioport.schema import RemoteFile, Request
from helioport.transport.cache import CacheLayout
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = np.datetime64("2015-10-16T13:05:24", "ns")


def _times(n: int) -> np.ndarray:
    return T0 + (np.arange(n) * 7_812_500).astype("m8[ns]")


def _general(var: CdfVariable, **kw) -> xr.DataArray:
    """What xarray's own constructor gives for the same dims, coords, name and attrs."""
    fast = to_dataarray(var, **kw)
    coords = {}
    for name, c in fast.coords.items():
        coords[name] = (c.dims, np.asarray(c.values).copy(), dict(c.attrs))
    return xr.DataArray(
        fast.values.copy(), dims=fast.dims, coords=coords, name=fast.name, attrs=fast.attrs
    )


def _same(a: xr.DataArray, b: xr.DataArray) -> None:
    xr.testing.assert_identical(a, b)
    assert list(a.coords) == list(b.coords)
    for name in a.coords:
        assert a.coords[name].dtype == b.coords[name].dtype, name
    assert sorted(a.xindexes) == sorted(b.xindexes)
    for name, index in a.xindexes.items():
        assert type(index) is type(b.xindexes[name])
        assert index.index.equals(b.xindexes[name].index)
        assert index.index.dtype == b.xindexes[name].index.dtype
        assert index.index.name == b.xindexes[name].index.name


def _layouts() -> dict[str, tuple[CdfVariable, dict]]:
    t = _times(6)
    rng = np.random.default_rng(1)
    energy_rv = CdfVariable("energy", rng.random((6, 4)), {"UNITS": "eV"}, "Epoch", t)
    energy_fixed = CdfVariable("mms1_des_energy", np.arange(4.0), record_varying=False)
    phi = CdfVariable("mms1_des_phi", np.arange(3.0), record_varying=False)
    return {
        "vector": (
            CdfVariable("b", rng.random((6, 4)).astype(np.float32), {"UNITS": "nT "}, "Epoch", t),
            {"component_labels": ["x", "y", "z", "tot"]},
        ),
        "file labels": (
            CdfVariable("b", rng.random((6, 3)), {}, "Epoch", t, labels={1: ["Bx", "By", "Bz"]}),
            {},
        ),
        "spectrum": (
            CdfVariable("s", rng.random((6, 4)), {}, "Epoch", t, depends={1: energy_rv}),
            {"dims": ["energy_bin"]},
        ),
        "fixed depends": (
            CdfVariable(
                "d", rng.random((6, 3, 4)), {}, "Epoch", t, depends={1: phi, 2: energy_fixed}
            ),
            {},
        ),
        "labels beside a depend": (
            CdfVariable(
                "q",
                rng.random((6, 4)),
                {},
                "Epoch",
                t,
                labels={1: ["a", "b", "c", "d"]},
                depends={1: energy_fixed},
            ),
            {},
        ),
        "scalar": (CdfVariable("n", rng.random(6), {"FILLVAL": np.float32(-1e31)}, "Epoch", t), {}),
        "no time": (CdfVariable("x", rng.random((6, 2))), {}),
        "not record varying": (CdfVariable("c", np.arange(3.0), record_varying=False), {}),
        "renamed time": (
            CdfVariable("r", rng.random((6, 4)), {}, "Epoch_state", t),
            {"time_dim": "time_pos", "component_labels": ["x", "y", "z", "tot"]},
        ),
    }


@pytest.mark.parametrize("layout", list(_layouts()))
def test_to_dataarray_is_what_xarray_builds(layout: str) -> None:
    var, kw = _layouts()[layout]
    _same(to_dataarray(var, **kw), _general(var, **kw))


def test_the_time_index_and_labels_are_those_of_the_variable() -> None:
    var, kw = _layouts()["vector"]
    da = to_dataarray(var, **kw)
    assert da.dims == ("time", "component")
    np.testing.assert_array_equal(da["time"].values, var.time)
    assert da.xindexes["time"].index.dtype == np.dtype("M8[ns]")
    assert da["component"].values.tolist() == ["x", "y", "z", "tot"]
    assert da["component"].dtype == np.dtype("<U3")
    assert da.attrs["units"] == "nT" and da.attrs["source_variable"] == "b"
    assert da.sel(component="tot").values.tolist() == var.data[:, 3].tolist()


def test_a_coordinate_that_does_not_fit_is_refused() -> None:
    t = _times(6)
    with pytest.raises(ValueError, match="does not fit"):
        to_dataarray(CdfVariable("b", np.ones((5, 3)), {}, "Epoch", t))
    with pytest.raises(ValueError, match="labels"):
        to_dataarray(CdfVariable("b", np.ones((6, 3)), {}, "Epoch", t, labels={1: ["x", "y"]}))


def test_each_dataarray_owns_its_coordinates() -> None:
    var, kw = _layouts()["vector"]
    a, b = to_dataarray(var, **kw), to_dataarray(var, **kw)
    a["component"].attrs["note"] = "mine"
    a["time"].attrs["note"] = "mine"
    assert "note" not in b["component"].attrs and "note" not in b["time"].attrs
    assert "note" not in to_dataarray(var, **kw)["component"].attrs


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(10**15), 10**15), min_size=2, max_size=40))
def test_median_step_is_numpys(values: list[int]) -> None:
    ns = np.array(values, dtype=np.int64)
    assert _median_step(ns.copy()) == int(np.median(np.diff(ns)))


def _old_covered(request, files, times):
    """covered_spans as it was before issue 12's second pass (numpy median and conversions)."""

    def as_dt(t):
        us = int(np.datetime64(t, "us").astype(np.int64))
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=us)

    start, end = request.start, request.end
    spans = [(start, end)]
    if files and all(f.start is not None and f.end is not None for f in files):
        merged: list[list[dt.datetime]] = []
        for a, b in sorted((max(f.start, start), min(f.end, end)) for f in files):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        spans = [(a, b) for a, b in merged]
    t = np.asarray(times, dtype="datetime64[ns]")
    t = t[~np.isnat(t)]
    if t.size == 0:
        return []
    if t.size == 1:
        return [(a, b) for a, b in spans if a < b]
    step = np.timedelta64(int(np.median(np.diff(t.view(np.int64)))), "ns")
    first, last = as_dt(t[0]), as_dt(t[-1] + step)
    slack = as_dt(t[0] - 2 * step)
    spans = [(a if slack <= a else max(a, first), min(b, last)) for a, b in spans]
    two = 2 * dt.timedelta(microseconds=int(np.timedelta64(step, "us").astype(np.int64)))
    if spans and spans[-1][1] > as_dt(t[-1] - step) and end - spans[-1][1] <= two:
        spans[-1] = (spans[-1][0], end)
    return [(a, b) for a, b in spans if a < b]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-(10**6), 4 * 10**6), st.none()), min_size=0, max_size=30),
    st.integers(1, 10**6),
    st.booleans(),
    st.integers(0, 3),
)
def test_coverage_is_what_it_was(offsets, unit, files, gap) -> None:
    day = np.datetime64("2015-10-16T00:00:00", "ns")
    times = np.array(
        [
            np.datetime64("NaT", "ns") if o is None else day + np.timedelta64(o * unit, "ns")
            for o in offsets
        ],
        dtype="M8[ns]",
    )
    req = _request("2015-10-16T00:00:00", "2015-10-16T01:00:00")
    hour = dt.datetime(2015, 10, 16, tzinfo=dt.timezone.utc)
    spans = [
        (hour + dt.timedelta(minutes=m), hour + dt.timedelta(minutes=m + 20))
        for m in (0, 20 + gap, 40 + 2 * gap)
    ]
    remote = (
        [
            RemoteFile(url=f"file:///x/{i}.cdf", relpath=f"{i}.cdf", mission="x", start=a, end=b)
            for i, (a, b) in enumerate(spans)
        ]
        if files
        else []
    )
    assert covered_spans(req, remote, times) == _old_covered(req, remote, times)


def _request(start: str, end: str) -> Request:
    return Request(mission="x", start=start, end=end, products=["p"])


def test_coverage_with_and_without_nat() -> None:
    req = _request("2015-10-16T13:00:00", "2015-10-16T14:00:00")
    f = RemoteFile(
        url="file:///x/a.cdf",
        relpath="a.cdf",
        mission="x",
        start=dt.datetime(2015, 10, 16, 13, tzinfo=dt.timezone.utc),
        end=dt.datetime(2015, 10, 16, 14, tzinfo=dt.timezone.utc),
    )
    t = np.datetime64("2015-10-16T13:30:00", "ns") + np.arange(0, 600, 60).astype("m8[s]")
    spans = covered_spans(req, [f], t)
    assert spans == [
        (
            dt.datetime(2015, 10, 16, 13, 30, tzinfo=dt.timezone.utc),
            dt.datetime(2015, 10, 16, 13, 40, tzinfo=dt.timezone.utc),
        )
    ]
    with_nat = np.concatenate([[np.datetime64("NaT", "ns")], t, [np.datetime64("NaT", "ns")]])
    assert covered_spans(req, [f], with_nat) == spans
    assert covered_spans(req, [f], np.array(["NaT", "NaT"], "M8[ns]")) == []


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2015, 10, 16, 0, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2015, 10, 16, 0, 1),
        "2015-10-16T00:01:00",
        np.datetime64("2015-10-16T00:01:00"),
        pd.Timestamp("2015-10-16T02:01:00", tz="Europe/Paris"),
    ],
)
def test_a_read_window_is_the_same_whatever_the_bound_type(tmp_path: Path, start) -> None:
    path = vector_series_file(tmp_path / "a.cdf", "2015-10-16", 240, 1.0)
    end = "2015-10-16T00:02:00"
    v = read_variables(path, [B], start=start, end=end)[B]
    assert v.time[0] == np.datetime64("2015-10-16T00:01:00", "ns")
    assert v.time[-1] < np.datetime64(end, "ns") and v.time.size == 60
    whole = read_variables(path, [B])[B]
    np.testing.assert_array_equal(v.data, whole.data[60:120])


def _file(relpath: str) -> RemoteFile:
    return RemoteFile(url="file:///m/x.cdf", relpath="x.cdf", mission="omni").model_copy(
        update={"relpath": relpath}
    )


def test_cache_paths_inside_are_taken_and_escapes_refused(tmp_path: Path) -> None:
    layout = CacheLayout(tmp_path / "cache")
    (layout.root / "omni" / "a").mkdir(parents=True)
    assert layout.file_path(_file("a/b/c.cdf")) == layout.root / "omni" / "a" / "b" / "c.cdf"
    assert layout.file_path(_file("new/c.cdf")) == layout.root / "omni" / "new" / "c.cdf"
    outside = tmp_path / "outside"
    outside.mkdir()
    (layout.root / "omni" / "a" / "out").symlink_to(outside)
    (layout.root / "omni" / "in").symlink_to(layout.root / "omni" / "a")
    assert layout.file_path(_file("in/c.cdf")) == layout.root / "omni" / "in" / "c.cdf"
    fresh = CacheLayout(tmp_path / "cache")  # what one layout checked, it remembers
    with pytest.raises(PluginError, match="outside the cache"):
        fresh.file_path(_file("a/out/c.cdf"))
    with pytest.raises(PluginError, match="outside the cache"):
        fresh.meta_path(_file("../../../outside/c.cdf"))
    with pytest.raises(PluginError, match="outside the cache"):
        fresh.file_path(_file(str(outside / "c.cdf")))
    assert list(outside.iterdir()) == []
