"""MMS file names, folders, spans and version choice (property-based)."""

from __future__ import annotations

import datetime as dt

from helioport.schema import RemoteFile, VersionPolicy
from helioport.transport import select_versions
from helioport_mms.names import MAX_BURST, Dataset, file_spans, parse_name
from hypothesis import given
from hypothesis import strategies as st

UTC = dt.timezone.utc
probes = st.sampled_from(["mms1", "mms2", "mms3", "mms4"])
datasets = st.builds(
    Dataset,
    probes,
    st.sampled_from(["fgm", "fpi", "edp", "mec", "aspoc"]),
    st.sampled_from(["srvy", "fast", "brst"]),
    st.just("l2"),
    st.sampled_from([None, "dis-moms", "des-dist", "dce", "epht89d"]),
)
times = st.datetimes(dt.datetime(2015, 3, 1), dt.datetime(2030, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=UTC)
)
versions = st.tuples(*[st.integers(0, 120)] * 3)


@given(datasets, times, versions, st.booleans())
def test_names_round_trip(ds, start, version, daily):
    if daily:
        start = start.replace(hour=0, minute=0, second=0)
    stamp = start.strftime("%Y%m%d" if daily else "%Y%m%d%H%M%S")
    v = ".".join(map(str, version))
    name = f"{ds.prefix}{stamp}_v{v}.cdf"
    f = parse_name(name)
    assert (
        f is not None
        and f.dataset == ds
        and f.start == start
        and f.version == v
        and f.daily == daily
    )
    assert f.key == name[: -len(f"_v{v}.cdf")]
    folder = f"{ds.probe}/{ds.instrument}/{ds.rate}/l2/" + (
        f"{ds.descriptor}/" if ds.descriptor else ""
    )
    folder += start.strftime("%Y/%m/") + (start.strftime("%d/") if ds.rate == "brst" else "")
    assert f.relpath == folder + name
    assert parse_name(name + ".part") is None and parse_name(name.replace("_v", "_V")) is None


@given(st.lists(versions, min_size=1, max_size=8, unique=True))
def test_the_newest_version_wins_by_natural_order(vs):
    files = [
        RemoteFile(
            url=f"x/{i}",
            relpath=f"mms1_fgm_srvy_l2_20151016_v{'.'.join(map(str, v))}.cdf",
            mission="mms",
            key="mms1_fgm_srvy_l2_20151016",
            version=".".join(map(str, v)),
        )
        for i, v in enumerate(vs)
    ]
    (chosen,) = select_versions(files, VersionPolicy())
    assert tuple(int(x) for x in chosen.version.split(".")) == max(vs)
    pin = max(vs)[:2]
    (pinned,) = select_versions(files, VersionPolicy.parse(".".join(map(str, pin))))
    assert tuple(int(x) for x in pinned.version.split("."))[:2] == pin


@given(st.lists(times, min_size=1, max_size=10, unique=True))
def test_burst_spans_end_at_the_next_interval_or_the_cap(starts):
    ds = Dataset("mms1", "fgm", "brst")
    files = [parse_name(f"{ds.prefix}{t:%Y%m%d%H%M%S}_v4.18.0.cdf") for t in starts]
    ends = file_spans(files)
    ordered = sorted(files, key=lambda f: f.start)
    for a, b in zip(ordered, ordered[1:] + [None]):
        end = ends[a.key]
        assert a.start < end <= a.start + MAX_BURST
        if b is not None:
            assert end <= b.start
