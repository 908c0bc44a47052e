"""find_events on synthetic OMNI-like and MMS-like data with events planted at known times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport.errors import (
    CriteriaError,
    DataNotFoundError,
    InvalidRequestError,
    UnknownProductError,
)
from helioport.events import event_search, find_events, parse_criteria
from helioport.events.aidapy import preset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CRIT = "dc_mag_tot < 5 and abs(e_bulkv_x) > 4000"
T0 = np.datetime64("2020-01-01T00:00:00", "ns")
MIN = np.timedelta64(60, "s")


def _vector(name, t, data, units):
    return xr.DataArray(
        data,
        dims=(f"time_{name}", "component"),
        coords={f"time_{name}": t, "component": ["x", "y", "z"]},
        attrs={"units": units},
    )


# --------------------------------------------------------------------------- synthetic data

N_OMNI = 4320  # 3 days of 1-min data
# (first, last) sample of each planted event (window 180 s, step 120 s -> W=3, S=2)
OMNI_EVENTS = [
    (100, 104),
    (1437, 1444),
    (2000, 2003),
    (2010, 2012),
    (3000, 3000),
    (N_OMNI - 1, N_OMNI - 1),
]


def omni_dataset(events=OMNI_EVENTS, n=N_OMNI) -> xr.Dataset:
    t = T0 + np.arange(n) * MIN
    rng = np.random.default_rng(1)
    b = 10 + rng.normal(0, 0.2, (n, 3))
    v = rng.normal(0, 300, (n, 3))
    for a, z in events:
        b[a : z + 1] = [1.0, 2.0, 2.0]  # |B| = 3
        v[a : z + 1, 0] = -5000.0 - np.arange(z + 1 - a)
    b[2500:2511] = 1.0  # |B| low but no fast flow: no event
    pos = np.column_stack([np.arange(n) * 10.0, np.full(n, 2e4), np.full(n, -3e4)])
    ds = xr.Dataset(
        {
            "dc_mag": _vector("dc_mag", t, b, "nT"),
            "e_bulkv": _vector("e_bulkv", t, v, "km/s"),
            "sc_pos": _vector("sc_pos", t, pos, "km"),
        },
        attrs={"mission": "omni"},
    )
    for name in ds.data_vars:
        ds[name].attrs["versions"] = ["v01"]
    return ds


def omni_times(i):
    return pd.Timestamp(T0 + i * MIN, tz="UTC")


# MMS: FGM at 1 s (finer than the grid, averaged), FPI at 4 s (the grid), two probes
DT_MMS = np.timedelta64(4, "s")
N_MMS = 5400  # 6 h of 4-s samples
MMS_EVENTS = [(300, 310), (895, 905), (2000, 2004), (2013, 2016), (N_MMS - 1, N_MMS - 1)]


def mms_dataset(events=MMS_EVENTS, n=N_MMS, probes=("mms1", "mms2")) -> xr.Dataset:
    t_fpi = T0 + np.arange(n) * DT_MMS
    t_fgm = T0 - np.timedelta64(2, "s") + np.arange(4 * n) * np.timedelta64(1, "s")
    rng = np.random.default_rng(2)
    out = {}
    for k, probe in enumerate(probes):
        b = 20 + rng.normal(0, 0.5, (4 * n, 3))
        v = rng.normal(0, 500, (n, 3))
        for a, z in events:
            a2, z2 = a + k * 50, z + k * 50  # mms2's events come 200 s later
            if z2 >= n:
                a2, z2 = a, z
            b[4 * a2 : 4 * z2 + 4] = [3.0, 0.0, 0.0]  # whole 4-s cells of |B| = 3
            v[a2 : z2 + 1, 0] = 6000.0
        out[f"dc_mag_{probe}"] = _vector(f"dc_mag_{probe}", t_fgm, b, "nT")
        out[f"e_bulkv_{probe}"] = _vector(f"e_bulkv_{probe}", t_fpi, v, "km/s")
        pos = np.column_stack([np.full(n, -6e4 - k), np.arange(n) * 1.0, np.zeros(n)])
        out[f"sc_pos_{probe}"] = _vector(f"sc_pos_{probe}", t_fpi, pos, "km")
        for name in (f"dc_mag_{probe}", f"e_bulkv_{probe}", f"sc_pos_{probe}"):
            out[name].attrs["probe"] = probe
    j = np.zeros((n, 3))
    j[300:311, 2] = 100.0
    out["j_curl"] = _vector("j_curl", t_fpi, j, "nA/m^2")
    return xr.Dataset(out, attrs={"mission": "mms"})


def slicing_loader(ds: xr.Dataset, calls: list | None = None):
    """A loader with helioport.load's signature that slices ``ds`` by time."""

    def load(mission, start, end, products=(), probes=(), coords=None, mode=None, **kw):
        assert mission == ds.attrs["mission"]
        t0 = np.datetime64(pd.Timestamp(start).tz_convert(None).to_datetime64(), "ns")
        t1 = np.datetime64(pd.Timestamp(end).tz_convert(None).to_datetime64(), "ns")
        if calls is not None:
            calls.append((t0, t1, tuple(products)))
        probes = [p if str(p).startswith("mms") else f"mms{p}" for p in probes] or ["mms1"]
        out = {}
        for product in products:
            names = [product] + [f"{product}_{p}" for p in probes]
            found = [n for n in names if n in ds.data_vars]
            if not found:
                raise UnknownProductError(f"{mission} has no product {product!r}")
            for n in found:
                out[n] = ds[n].sel({f"time_{n}": slice(t0, t1)})
        if all(v.size == 0 for v in out.values()):
            raise DataNotFoundError(f"no data between {t0} and {t1}")
        return xr.Dataset(out, attrs=ds.attrs)

    return load


def spans(cat):
    return [(e.start, e.stop) for e in cat]


# --------------------------------------------------------------------------- OMNI-like


@pytest.fixture(scope="module")
def omni():
    return omni_dataset()


def test_dataset_mode_finds_exactly_the_planted_events(omni):
    cat = find_events(omni, CRIT, window="180s", step="120s", progress=False)
    assert spans(cat) == [(omni_times(a), omni_times(z)) for a, z in OMNI_EVENTS]
    first = cat[0]
    assert first.values["e_bulkv_x_min"] == -5004.0 and first.values["e_bulkv_x_max"] == -5000.0
    assert first.values["dc_mag_tot_max"] == pytest.approx(3.0)
    assert first.location == pytest.approx((1020.0, 2e4, -3e4))  # mean of samples 100..104
    assert cat[-1].probe is None and cat.provenance["mission"] == "omni"
    s = cat.settings
    assert (s["window_s"], s["step_s"], s["sample_freq"]) == (180.0, 120.0, 1 / 60)
    assert s["resampling"]["dc_mag_tot"].startswith("nearest")
    assert cat.provenance["variables"]["dc_mag"] == {"units": "nT", "versions": ["v01"]}


def test_merge_gap_is_strict_and_min_duration_drops_short_events(omni):
    seven = find_events(omni, CRIT, "180s", "120s", merge_gap="7min", progress=False)
    eight = find_events(omni, CRIT, "180s", "120s", merge_gap="8min", progress=False)
    assert (omni_times(2000), omni_times(2003)) in spans(seven)  # gap is exactly 7 min
    assert (omni_times(2000), omni_times(2012)) in spans(eight) and len(eight) == len(
        OMNI_EVENTS
    ) - 1
    longer = find_events(omni, CRIT, "180s", "120s", min_duration="2min", progress=False)
    assert spans(longer) == [(omni_times(a), omni_times(z)) for a, z in OMNI_EVENTS if z - a >= 2]


@pytest.mark.parametrize("chunk", ["1D", "7h", "10min"])
def test_request_mode_in_chunks_equals_dataset_mode(omni, chunk):
    calls = []
    req = {"mission": "omni", "start": T0, "end": T0 + N_OMNI * MIN}
    cat = find_events(
        req, CRIT, "180s", "120s", chunk=chunk, loader=slicing_loader(omni, calls), progress=False
    )
    ref = find_events(omni, CRIT, "180s", "120s", progress=False)
    assert cat.events == ref.events
    assert cat.settings["chunk"] == {"1D": "86400s", "7h": "25200s", "10min": "600s"}[chunk]
    # every chunk load is bounded: its own span plus overlap and margin
    longest = max(t1 - t0 for t0, t1, _ in calls[1:])
    assert longest <= pd.Timedelta(chunk) + 2 * pd.Timedelta("180s") + 2 * pd.Timedelta("4min")
    assert all("sc_pos" in p for _, _, p in calls[1:])


def test_auto_chunk_is_sized_in_samples_and_probes_with_a_short_first_load(omni, monkeypatch):
    from helioport.events import planning

    calls = []
    req = {"mission": "omni", "start": T0, "end": T0 + N_OMNI * MIN}
    ref = find_events(omni, CRIT, "180s", "120s", progress=False)
    monkeypatch.setattr(planning, "AUTO_CHUNK_SAMPLES", 1000)  # 1000 1-min samples: 3 chunks here
    cat = find_events(req, CRIT, "180s", "120s", loader=slicing_loader(omni, calls), progress=False)
    assert cat.events == ref.events
    assert (
        cat.settings["chunk"] == "60000s"
    )  # 1000 samples of 60 s, a multiple of the 2-sample step
    t0, t1, _ = calls[0]
    assert t1 - t0 == pd.Timedelta("1h")  # the probe load: one hour of 1-min data is enough
    assert len(calls) == 1 + -(-N_OMNI // 1000)
    # a window longer than the sample count asks for keeps 8 windows per chunk
    monkeypatch.setattr(planning, "AUTO_CHUNK_SAMPLES", 10)
    cat = find_events(req, CRIT, "180s", "120s", loader=slicing_loader(omni), progress=False)
    assert (
        cat.settings["chunk"] == "1440s" and cat.events == ref.events
    )  # 8 windows of 3 samples -> 24


def times_held(calls) -> np.ndarray:
    """How many loads held each sample of the OMNI fixture."""
    t = T0 + np.arange(N_OMNI) * MIN
    return sum(((t >= t0) & (t <= t1)).astype(int) for t0, t1, _ in calls)


@pytest.mark.parametrize("chunk", ["auto", "1D"])
def test_the_probe_load_is_the_first_chunk(omni, monkeypatch, chunk):
    """The probe's data serves as chunk 0: the first chunk's samples are loaded once, not twice."""
    from helioport.events import planning

    ref = find_events(omni, CRIT, "180s", "120s", progress=False)
    monkeypatch.setattr(planning, "AUTO_CHUNK_SAMPLES", 1000)  # auto: chunks of 1000 samples
    calls = []
    req = {"mission": "omni", "start": T0, "end": T0 + N_OMNI * MIN}
    cat = find_events(
        req, CRIT, "180s", "120s", chunk=chunk, loader=slicing_loader(omni, calls), progress=False
    )
    assert cat.events == ref.events
    t0, t1, products = calls[0]  # the probe: 1 h (auto) or the first chunk's length
    assert t0 == T0 and t1 - t0 == pd.Timedelta({"auto": "1h", "1D": "1D"}[chunk])
    assert products == ("dc_mag", "e_bulkv", "sc_pos")  # loaded as a chunk loads it
    # no second load of the probe's span but the edge every two chunks share: one window (3 min)
    # and the margin (3 min) on each side of the boundary
    held = times_held(calls)
    probe_samples = (t1 - t0) // MIN
    edge = 2 * (3 + 3)
    assert (held[: probe_samples - edge] == 1).all()
    assert held.max() == 2 and (held >= 1).all()
    # a request shorter than the probe's first hour: the probe is the whole search, one load
    calls = []
    short = {"mission": "omni", "start": T0 + 90 * MIN, "end": T0 + 140 * MIN}
    cat = find_events(
        short, CRIT, "180s", "120s", chunk=chunk, loader=slicing_loader(omni, calls), progress=False
    )
    assert len(calls) == 1 and spans(cat) == [(omni_times(100), omni_times(104))]


def test_chunk_boundary_event_and_last_partial_window(omni):
    req = ("omni", T0, T0 + N_OMNI * MIN)
    cat = find_events(
        req, CRIT, "180s", "120s", chunk="1D", loader=slicing_loader(omni), progress=False
    )
    assert (omni_times(1437), omni_times(1444)) in spans(cat)  # crosses 2020-01-02T00:00
    assert spans(cat)[-1] == (omni_times(N_OMNI - 1), omni_times(N_OMNI - 1))


def test_modes_all_and_fraction(omni):
    # window 5 min, step 5 min: "all" needs five consecutive true samples
    cat_all = find_events(omni, CRIT, "5min", "5min", mode="all", progress=False)
    assert spans(cat_all) == [
        (omni_times(100), omni_times(104)),
        (omni_times(1440), omni_times(1444)),
    ]
    # 0.6: windows 1435..1439 (3/5), 2000..2004 (4/5), 2010..2014 (3/5) count; 3000 (1/5) does not
    cat_frac = find_events(omni, CRIT, "5min", "5min", mode=0.6, progress=False)
    assert spans(cat_frac) == [(omni_times(a), omni_times(z)) for a, z in OMNI_EVENTS[:4]]
    with pytest.raises(InvalidRequestError, match="fraction"):
        find_events(omni, CRIT, mode=1.5)


def test_data_gaps_and_missing_products_in_request_mode(omni):
    gappy = omni.drop_sel(time_dc_mag=omni.time_dc_mag.values[1500:1700])
    gappy = gappy.drop_sel(time_e_bulkv=gappy.time_e_bulkv.values[1500:1700])
    gappy = gappy.drop_vars("sc_pos")  # the loader answers UnknownProductError for sc_pos
    req = {"mission": "omni", "start": T0, "end": T0 + N_OMNI * MIN}
    cat = find_events(
        req, CRIT, "180s", "120s", chunk="2h", loader=slicing_loader(gappy), progress=False
    )
    assert spans(cat) == [(omni_times(a), omni_times(z)) for a, z in OMNI_EVENTS]
    assert all(e.location is None for e in cat)


def test_unknown_variable_and_bad_source(omni):
    with pytest.raises(CriteriaError, match="i_dens"):
        find_events(omni, "i_dens > 3", progress=False)
    with pytest.raises(CriteriaError, match="vector"):
        find_events(omni, "dc_mag > 3", progress=False)
    with pytest.raises(InvalidRequestError, match="Dataset or a request"):
        find_events(42, CRIT)


# --------------------------------------------------------------------------- MMS-like


@pytest.fixture(scope="module")
def mms():
    return mms_dataset()


def mms_times(i):
    return pd.Timestamp(T0 + i * DT_MMS, tz="UTC")


def test_same_criteria_on_mms_with_probes_and_finer_fgm(mms):
    cat = find_events(mms, CRIT, window="20s", step="8s", progress=False)
    assert cat.provenance["probes"] == ["mms1", "mms2"]
    mms1 = [(e.start, e.stop) for e in cat if e.probe == "mms1"]
    assert mms1 == [(mms_times(a), mms_times(z)) for a, z in MMS_EVENTS]
    mms2 = [(e.start, e.stop) for e in cat if e.probe == "mms2"]
    assert mms2[0] == (mms_times(350), mms_times(360))
    assert cat.settings["sample_freq"] == 0.25
    assert cat.settings["resampling"]["dc_mag_tot"] == "mean over each grid cell"
    e = cat.filter(probe="mms1")[0]
    assert e.values["dc_mag_tot_max"] == pytest.approx(3.0) and e.values["e_bulkv_x_min"] == 6000.0
    assert e.location == pytest.approx((-6e4, 305.0, 0.0))


def test_mms_request_mode_one_probe_across_hours(mms):
    req = {
        "mission": "mms",
        "start": T0,
        "end": T0 + N_MMS * DT_MMS,
        "probes": ["1"],
        "mode": "brst",
    }
    cat = find_events(
        req, CRIT, "20s", "8s", chunk="1h", loader=slicing_loader(mms), progress=False
    )
    assert spans(cat) == [(mms_times(a), mms_times(z)) for a, z in MMS_EVENTS]
    assert (mms_times(895), mms_times(905)) in spans(cat)  # crosses 01:00
    assert cat.provenance["probes"] == ["mms1"] and cat.provenance["data_mode"] == "brst"


def test_dask_gives_identical_results(mms):
    pytest.importorskip("dask")
    req = {"mission": "mms", "start": T0, "end": T0 + N_MMS * DT_MMS, "probes": ["mms1", "mms2"]}
    kw = {
        "window": "20s",
        "step": "8s",
        "chunk": "30min",
        "loader": slicing_loader(mms),
        "progress": False,
    }
    seq = find_events(req, CRIT, use_dask=False, **kw)
    par = find_events(req, CRIT, use_dask=True, **kw)
    assert par.events == seq.events and len(seq) == 2 * len(MMS_EVENTS)


def test_dask_distributed_local_cluster(omni):
    distributed = pytest.importorskip("distributed")
    req = {"mission": "omni", "start": T0, "end": T0 + N_OMNI * MIN}
    kw = {
        "window": "180s",
        "step": "120s",
        "chunk": "6h",
        "loader": slicing_loader(omni),
        "progress": False,
    }
    ref = find_events(req, CRIT, use_dask=False, **kw)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        got = find_events(req, CRIT, **kw)  # use_dask=None: the active client is used
    assert got.events == ref.events


def test_window_level_criteria_and_aidapy_callables(mms):
    expr = "any(dc_mag_tot < 5) & any(abs(e_bulkv_x) > 4000)"
    cat = find_events(mms, expr, "20s", "20s", probes="mms1", progress=False)
    assert cat.settings["level"] == "window"
    # window-level events span whole windows: 300..310 lies in windows 300..304 to 310..314
    assert spans(cat)[0] == (mms_times(300), mms_times(314))
    legacy = find_events(
        mms,
        lambda dc_mag_tot, e_bulkv_x: np.any(dc_mag_tot < 5) & np.any(np.abs(e_bulkv_x) > 4000),
        "20s",
        "20s",
        probes="mms1",
        progress=False,
    )
    assert legacy.events == cat.events
    per_sample = find_events(
        mms,
        lambda dc_mag_tot, e_bulkv_x: (dc_mag_tot < 5) & (np.abs(e_bulkv_x) > 4000),
        "20s",
        "8s",
        probes=["mms1"],
        progress=False,
    )
    assert spans(per_sample) == [(mms_times(a), mms_times(z)) for a, z in MMS_EVENTS]


def test_event_search_edr_preset_and_to_file(mms, tmp_path):
    settings = preset("edr")
    settings["parameters"]["time_window"] = 40
    settings["parameters"]["time_step"] = 40
    cat = event_search(
        settings, T0, T0 + N_MMS * DT_MMS, to_file=tmp_path, plot=True, loader=slicing_loader(mms)
    )
    assert spans(cat) == [(mms_times(300), mms_times(319))]  # j_curl > 70 only at 300..310
    assert cat.settings["process"] == "edr" and cat.provenance["data_mode"] == "brst"
    txt = tmp_path / "Output_list_events_mms_20200101T000000_20200101T060000.txt"
    assert txt.exists() and txt.with_suffix(".png").stat().st_size > 1000
    assert "Criteria: any(dc_mag_tot < 5)" in txt.read_text()


def test_df_preset_finds_a_front():
    n = 3600
    t = T0 + np.arange(n) * np.timedelta64(1, "s")
    bz = np.full(n, 5.0)
    bz[1000:1010] = 2.0  # dip, then a sharp rise
    bz[1010:1030] = 25.0
    b = np.column_stack([np.full(n, 5.0), np.zeros(n), bz])
    elev = np.degrees(np.arctan2(bz, 5.0))
    pos = np.column_stack([np.full(n, -10 * 6378.0), np.full(n, 1000.0), np.zeros(n)])
    ds = xr.Dataset(
        {
            "dc_mag_mms1": _vector("dc_mag_mms1", t, b, "nT"),
            "mag_elev_angle_mms1": xr.DataArray(
                elev, dims=("time_mag_elev_angle_mms1",), coords={"time_mag_elev_angle_mms1": t}
            ),
            "sc_pos_mms1": _vector("sc_pos_mms1", t, pos, "km"),
        },
        attrs={"mission": "mms"},
    )
    s = preset("df")
    cat = event_search(s, T0, T0 + n * np.timedelta64(1, "s"), loader=slicing_loader(ds))
    assert spans(cat) == [
        (
            pd.Timestamp(T0 + np.timedelta64(918, "s"), tz="UTC"),
            pd.Timestamp(T0 + np.timedelta64(1223, "s"), tz="UTC"),
        )
    ]
    assert cat.settings["level"] == "window" and cat.settings["window_s"] == 306.0


# --------------------------------------------------------------------------- properties


def naive_events(truth, valid, values, W, S, mode, gap, min_len):
    """Reference: a plain loop over windows, as the definitions read."""
    n = len(truth)
    hits = []
    for k in range(-(-n // S)):
        a, b = k * S, min(k * S + W, n)
        c, v = sum(truth[a:b]), sum(valid[a:b])
        ok = c > 0 and (
            mode == "any"
            or (mode == "all" and c == v)
            or (mode not in ("any", "all") and c >= mode * v - 1e-9)
        )
        if ok:
            hits.append(k)
    runs = []
    for k in hits:
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    events = []
    for k0, k1 in runs:
        idx = [i for i in range(k0 * S, min(k1 * S + W, n)) if truth[i]]
        events.append([idx[0], idx[-1]])
    events.sort()
    merged = []
    for f, l in events:
        if merged and (f - merged[-1][1] <= 0 or f - merged[-1][1] < gap):
            merged[-1][1] = max(merged[-1][1], l)
        else:
            merged.append([f, l])
    return [
        (f, l, float(np.nanmin(values[f : l + 1])), float(np.nanmax(values[f : l + 1])))
        for f, l in merged
        if l - f >= min_len
    ]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=5, max_size=160),
    W=st.integers(1, 6),
    S=st.integers(1, 6),
    chunk=st.integers(1, 40),
    mode=st.sampled_from(["any", "all", 0.5]),
    gap=st.integers(0, 5),
    min_len=st.integers(0, 3),
)
def test_property_chunked_equals_dataset_equals_naive(data, W, S, chunk, mode, gap, min_len):
    x = np.array(data)
    n = x.size
    t = T0 + np.arange(n) * MIN
    ds = xr.Dataset(
        {"i_dens": xr.DataArray(x, dims=("time_i_dens",), coords={"time_i_dens": t})},
        attrs={"mission": "omni"},
    )
    kw = {
        "window": f"{W}min",
        "step": f"{S}min",
        "mode": mode,
        "merge_gap": f"{gap}min",
        "min_duration": f"{min_len}min",
        "progress": False,
    }
    expected = naive_events(list(x > 0.5), list(np.isfinite(x)), x, W, S, mode, gap, min_len)
    got = find_events(ds, "i_dens > 0.5", **kw)
    assert [(e.start, e.stop, e.values["i_dens_min"], e.values["i_dens_max"]) for e in got] == [
        (omni_times(f), omni_times(l), lo, hi) for f, l, lo, hi in expected
    ]
    req = {"mission": "omni", "start": T0, "end": T0 + n * MIN}
    chunked = find_events(req, "i_dens > 0.5", chunk=f"{chunk}min", loader=slicing_loader(ds), **kw)
    assert chunked.events == got.events


def test_parse_criteria_is_reused_not_reparsed():
    c = parse_criteria(CRIT)
    assert parse_criteria(c) is c
