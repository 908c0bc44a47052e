"""The HelioCloud source: catalog.json and <id>_YYYY.csv registries instead of listings.

The bucket is written by :func:`helioport.testing.heliocloud.write_heliocloud_tree`
from the OMNI, MMS and Cluster sample archives (SPDF layout); loads through
``source="heliocloud"`` must equal the loads from the SPDF-layout folder
mirrors, without a single directory or object listing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import helioport
import numpy as np
import pytest
import xarray as xr
from helioport import heliocloud
from helioport.config import Config
from helioport.errors import DataNotFoundError, DownloadError, InvalidRequestError, OfflineError
from helioport.registry import get_registry
from helioport.schema import Request
from helioport.templates import FileTemplate, find_files
from helioport.testing.heliocloud import HelioCloudTree, set_modification, write_heliocloud_tree
from helioport.transport import ArchiveContext, Transport
from hypothesis import given
from hypothesis import strategies as st

UTC = dt.timezone.utc
#: attrs that name where the data came from (provenance), not what it is
PROVENANCE = {"files", "versions", "request", "request_json", "source"}


@pytest.fixture(scope="session")
def spdf_trees(sample_archive) -> dict[str, Path]:
    return {m: sample_archive(m).root for m in ("omni", "mms", "cluster")}


@pytest.fixture(scope="session")
def written_tree(spdf_trees, tmp_path_factory) -> HelioCloudTree:
    return write_heliocloud_tree(tmp_path_factory.mktemp("bucket"), spdf_trees)


@pytest.fixture
def tree(written_tree, tmp_path) -> HelioCloudTree:
    """A private copy of the bucket a test may change."""
    root = tmp_path / "bucket"
    shutil.copytree(written_tree.root, root)
    datasets = {
        ident: {y: root / p.relative_to(written_tree.root) for y, p in years.items()}
        for ident, years in written_tree.datasets.items()
    }
    return HelioCloudTree(root, written_tree.bucket, datasets)


@pytest.fixture
def listings(monkeypatch) -> Counter:
    """Counts every folder / object-store listing the transport is asked for."""
    calls: Counter = Counter()
    for name in ("list_dir", "list_cache_folder"):
        original = getattr(ArchiveContext, name)

        def counted(self, url, _original=original, _name=name):
            calls[_name] += 1
            return _original(self, url)

        monkeypatch.setattr(ArchiveContext, name, counted)
    return calls


def _ctx(mission: str, offline: bool = False, **urls: str) -> ArchiveContext:
    cfg = Config.load(urls=urls)
    return Transport(cfg).context(get_registry().mission(mission), offline=offline)


def _described(attrs: dict) -> dict:
    return {k: v for k, v in attrs.items() if k not in PROVENANCE}


def _assert_same_data(a: xr.Dataset, b: xr.Dataset) -> None:
    """Same variables, dims, coordinates, values and attrs, provenance aside."""
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        va, vb = a[name], b[name]
        assert va.dims == vb.dims, name
        assert np.array_equal(va.values, vb.values, equal_nan=True), name
        for c in va.coords:
            assert np.array_equal(va[c].values, vb[c].values), (name, c)
        assert _described(va.attrs) == _described(vb.attrs), name
    assert a.attrs["mission"] == b.attrs["mission"]


# -- the loads ---------------------------------------------------------------------


def test_omni_hro_1min_through_heliocloud_equals_the_folder_mirror(
    spdf_trees, tree, listings, cache_dir
):
    args = {"products": ["dc_mag", "i_dens", "sym_h"], "mode": "1min"}
    mirror = helioport.load(
        "omni", "2010-01-01", "2010-01-02T12:00", base_url={"omni": str(spdf_trees["omni"])}, **args
    )
    assert listings["list_dir"] > 0  # the folder mirror is listed: the counter works
    listings.clear()
    cloud = helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-02T12:00",
        base_url={"heliocloud": str(tree.root)},
        source="heliocloud",
        **args,
    )
    assert sum(listings.values()) == 0
    _assert_same_data(mirror, cloud)
    assert cloud["dc_mag"].sizes["time_dc_mag"] == 36 * 60
    cached = cache_dir / "omni/heliocloud/cdaweb/omni/omni_cdaweb/hro_1min/2010"
    assert (cached / "omni_hro_1min_20100101_v01.cdf").is_file()  # beside, not over, SPDF's copy


def test_one_load_fetches_the_catalog_and_each_registry_once(tree, monkeypatch):
    fetched: Counter = Counter()
    original = ArchiveContext.fetch

    def counting(self, files, candidates=None):
        fetched.update(f.relpath.rpartition("/")[2] for f in files)
        return original(self, files, candidates)

    monkeypatch.setattr(ArchiveContext, "fetch", counting)
    helioport.load(
        "omni",
        "2010-01-01",
        "2010-01-02",
        products=["dc_mag", "i_dens", "sym_h"],  # three products of one dataset
        mode="1min",
        base_url={"heliocloud": str(tree.root)},
        source="heliocloud",
    )
    assert fetched["catalog.json"] == 1
    assert fetched["OMNI_HRO_1MIN_2010.csv"] == 1


def test_mms_fgm_fpi_mec_through_heliocloud_equal_the_folder_mirror(spdf_trees, tree, listings):
    # FGM, FPI (descriptor dis-moms) and MEC (epht89d) datasets
    args = {"products": ["dc_mag", "i_dens", "sc_pos"], "probes": ["mms1", "mms2"], "mode": "srvy"}
    start, end = "2015-10-16T00:30", "2015-10-16T01:30"
    mirror = helioport.load(
        "mms", start, end, base_url={"mms": str(spdf_trees["mms"])}, source="spdf", **args
    )
    listings.clear()
    cloud = helioport.load(
        "mms", start, end, base_url={"heliocloud": str(tree.root)}, source="heliocloud", **args
    )
    assert sum(listings.values()) == 0
    _assert_same_data(mirror, cloud)
    # the newest version only, as from the SPDF tree
    assert "v4.18.1" in str(cloud["dc_mag_mms1"].attrs["files"])
    assert "v4.17.0" not in str(cloud["dc_mag_mms1"].attrs["files"])
    assert cloud["dc_mag_mms1"].sizes["time_dc_mag_mms1"] == 3600 * 16


def test_cluster_fgm_spin_through_heliocloud_equals_the_spdf_copy(spdf_trees, tree, listings):
    args = {"products": ["dc_mag", "sc_pos"], "probes": ["c1", "c3"], "mode": "spin"}
    start, end = "2001-06-11T00:00", "2001-06-11T01:00"
    mirror = helioport.load(
        "cluster",
        start,
        end,
        base_url={"cluster_spdf": str(spdf_trees["cluster"])},
        source="spdf",
        **args,
    )
    listings.clear()
    cloud = helioport.load(
        "cluster", start, end, base_url={"heliocloud": str(tree.root)}, source="heliocloud", **args
    )
    assert sum(listings.values()) == 0
    _assert_same_data(mirror, cloud)
    assert cloud["dc_mag_c3"].attrs.get("covered") == mirror["dc_mag_c3"].attrs.get("covered")


def test_offline_after_a_load_uses_the_cached_catalog_registries_and_files(tree, listings):
    args = {"products": ["dc_mag"], "mode": "1min", "source": "heliocloud"}
    online = helioport.load(
        "omni", "2010-01-01", "2010-01-02", base_url={"heliocloud": str(tree.root)}, **args
    )
    shutil.rmtree(tree.root)  # the bucket is gone: only the cache answers
    with pytest.warns(UserWarning, match="offline: omni loaded from the cache"):
        offline = helioport.load(
            "omni",
            "2010-01-01",
            "2010-01-02",
            base_url={"heliocloud": str(tree.root)},
            offline=True,
            **args,
        )
    _assert_same_data(online, offline)
    assert sum(listings.values()) == 0


def test_offline_without_a_cached_catalog_says_so(tree):
    ctx = _ctx("omni", offline=True, heliocloud=str(tree.root))
    with pytest.raises(OfflineError, match=r"HelioCloud catalog .*catalog\.json.* not cached"):
        heliocloud.find_files(
            ctx,
            "OMNI_HRO_1MIN",
            dt.datetime(2010, 1, 1, tzinfo=UTC),
            dt.datetime(2010, 1, 2, tzinfo=UTC),
        )


# -- the catalog and the registries -----------------------------------------------

T0 = dt.datetime(2010, 1, 1, tzinfo=UTC)
T1 = dt.datetime(2010, 1, 2, tzinfo=UTC)


def test_dataset_ids_match_case_insensitively(tree):
    ctx = _ctx("omni", heliocloud=str(tree.root))
    upper = heliocloud.find_files(ctx, "OMNI_HRO_1MIN", T0, T1)
    lower = heliocloud.find_files(ctx, "omni_hro_1min", T0, T1)
    assert [f.relpath for f in upper] == [f.relpath for f in lower]
    (f,) = upper
    assert (
        f.relpath
        == "heliocloud/cdaweb/omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf"
    )
    assert f.key == "heliocloud/cdaweb/omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v.cdf"
    assert f.version == "01"
    assert f.url.startswith(Path(tree.root).resolve().as_uri())  # re-rooted onto the mirror
    assert f.size == (tree.root / f.relpath.removeprefix("heliocloud/")).stat().st_size
    assert f.mtime == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert (f.start, f.end) == (T0, dt.datetime(2010, 1, 3, 23, 59, tzinfo=UTC))
    assert f.source == "heliocloud"


def test_registries_without_header_give_the_same_files(spdf_trees, tmp_path):
    with_header = write_heliocloud_tree(tmp_path / "a", {"mms": spdf_trees["mms"]})
    without = write_heliocloud_tree(tmp_path / "b", {"mms": spdf_trees["mms"]}, header=False)
    reg = without.datasets["MMS1_FGM_SRVY_L2"][2015]
    assert not reg.read_text().startswith("#")
    assert with_header.datasets["MMS1_FGM_SRVY_L2"][2015].read_text().startswith("#start,")
    t0, t1 = dt.datetime(2015, 10, 16, tzinfo=UTC), dt.datetime(2015, 10, 17, tzinfo=UTC)
    got = [
        [
            (f.relpath, f.version, f.size)
            for f in heliocloud.find_files(
                _ctx("mms", heliocloud=str(t.root)), "mms1_fgm_srvy_l2", t0, t1
            )
        ]
        for t in (with_header, without)
    ]
    assert got[0] == got[1]
    assert [v for _, v, _ in got[0]] == ["4.17.0", "4.18.1"]


def test_registry_columns_follow_the_header_quotes_and_cdaweb_names():
    text = (
        "\n"
        "# s3key, filesize, start, stop\n"
        "'s3://b/x/a_20100101_v01.cdf','100','2010-01-01T00:00Z','2010-01-31T23:59Z'\n"
        "\n"
        "s3://b/x/a_20100201_v01.cdf, 200, 2010-032T00:00:00.000Z, 2010-02-28T23:59:00Z\n"
        "not a time,stop,s3://b/x/bad.cdf,1\n"
    )
    with pytest.warns(UserWarning, match=r"1 unreadable row.*not a time"):
        rows = heliocloud.parse_registry(text, "s3://b/x/A_2010.csv")
    assert [(r.datakey, r.filesize, r.start.month, r.start.day) for r in rows] == [
        ("s3://b/x/a_20100101_v01.cdf", 100, 1, 1),
        ("s3://b/x/a_20100201_v01.cdf", 200, 2, 1),
    ]
    assert rows[1].stop == dt.datetime(2010, 2, 28, 23, 59, tzinfo=UTC)


@given(
    st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    st.sampled_from(
        [
            "%Y-%m-%dT%H:%M:%S.%fZ",
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%dT%H:%MZ",
            "%Y-%jT%H:%M:%SZ",
            "%Y-%m-%d",
        ]
    ),
)
def test_times_of_any_precision_parse_to_what_they_state(t, fmt):
    text = t.strftime(fmt)
    if fmt.endswith("%fZ"):
        want = t
    elif "%S" in fmt:
        want = t.replace(microsecond=0)
    elif "%M" in fmt:
        want = t.replace(second=0, microsecond=0)
    else:
        want = t.replace(hour=0, minute=0, second=0, microsecond=0)
    assert heliocloud.parse_time(text) == want.replace(tzinfo=UTC)
    assert heliocloud.parse_time(f"'{text}'") == want.replace(tzinfo=UTC)


def test_registry_without_header_uses_the_spec_order():
    rows = heliocloud.parse_registry(
        "2010-05-08T12:05:30.000Z,2010-05-08T12:06:14.000Z,s3://b/e/f1.fts,246000\n", "u"
    )
    assert rows[0].datakey == "s3://b/e/f1.fts"
    assert rows[0].stop - rows[0].start == dt.timedelta(seconds=44)


def test_unreadable_registry_rows_are_skipped_with_one_warning():
    good = "2010-01-01T00:00Z,2010-01-01T23:59Z,s3://b/a_v01.cdf,1200"
    bad = [
        "2010-01-02T00:00Z,2010-01-02T23:59Z,s3://b/inf_v01.cdf,inf",
        "2010-01-03T00:00Z,2010-01-03T23:59Z,s3://b/huge_v01.cdf,1e999",
        "2010-365T00:00Z,2010-366T00:00Z,s3://b/doy_v01.cdf,1200",
        "2010-01-05T00:00Z,2010-01-04T00:00Z,s3://b/back_v01.cdf,1200",
        "2010-01-06T00:00Z,2010-01-06T23:59Z,s3://b/neg_v01.cdf,-3",
    ]
    with pytest.warns(UserWarning, match=r"has 5 unreadable row\(s\), skipped \(first: .*inf_v01"):
        rows = heliocloud.parse_registry("\n".join([good, *bad]) + "\n", "s3://b/X_2010.csv")
    assert [(r.datakey, r.filesize) for r in rows] == [("s3://b/a_v01.cdf", 1200)]


@given(st.integers(1900, 2100))
def test_a_day_of_year_past_the_years_end_is_not_a_time(year):
    days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    assert heliocloud.parse_time(f"{year}-{days:03d}T12:00Z") == dt.datetime(
        year, 12, 31, 12, tzinfo=UTC
    )
    for doy in (0, days + 1):
        with pytest.raises(ValueError, match=f"day {doy:03d} is not a day of {year}"):
            heliocloud.parse_time(f"{year}-{doy:03d}T12:00Z")


def test_unknown_dataset_lists_close_ids(tree):
    ctx = _ctx("omni", heliocloud=str(tree.root))
    with pytest.raises(
        DataNotFoundError, match=r"no dataset 'OMNI_HRO_1MN'.*close IDs: OMNI_HRO_1MIN"
    ):
        heliocloud.find_files(ctx, "OMNI_HRO_1MN", T0, T1)


def test_a_year_without_registry_has_no_files_and_no_registry_at_all_is_an_error(tree):
    data = json.loads(tree.catalog.read_text())
    for entry in data["catalog"]:
        if entry["id"] == "OMNI_HRO_1MIN":
            entry["start"] = "2009-06-01T00:00:00.000Z"
    tree.catalog.write_text(json.dumps(data))
    ctx = _ctx("omni", heliocloud=str(tree.root))
    got = heliocloud.find_files(ctx, "OMNI_HRO_1MIN", dt.datetime(2009, 12, 30, tzinfo=UTC), T1)
    assert [f.name for f in got] == ["omni_hro_1min_20100101_v01.cdf"]
    with pytest.raises(DataNotFoundError, match=r"no registry of OMNI_HRO_1MIN for 2009 below"):
        heliocloud.find_files(
            ctx,
            "OMNI_HRO_1MIN",
            dt.datetime(2009, 7, 1, tzinfo=UTC),
            dt.datetime(2009, 8, 1, tzinfo=UTC),
        )


def _starting_2009(tree: HelioCloudTree) -> None:
    """Make OMNI_HRO_1MIN start in 2009 (the bucket holds no 2009 registry)."""
    data = json.loads(tree.catalog.read_text())
    for entry in data["catalog"]:
        if entry["id"] == "OMNI_HRO_1MIN":
            entry["start"] = "2009-06-01T00:00:00.000Z"
    tree.catalog.write_text(json.dumps(data))


def test_only_a_missing_registry_is_an_absent_year_a_refused_one_is_an_error(tree, server_for):
    _starting_2009(tree)
    server = server_for(tree.root)
    ctx = _ctx("omni", heliocloud=server.url)
    t = dt.datetime(2009, 12, 30, tzinfo=UTC)
    # 404 for 2009: no files that year
    assert [f.name for f in heliocloud.find_files(ctx, "OMNI_HRO_1MIN", t, T1)] == [
        "omni_hro_1min_20100101_v01.cdf"
    ]
    server.add_fault("*OMNI_HRO_1MIN_2009.csv", "status", status=403)
    with pytest.raises(DownloadError, match=r"OMNI_HRO_1MIN_2009\.csv answered 403") as err:
        heliocloud.find_files(_ctx("omni", heliocloud=server.url), "OMNI_HRO_1MIN", t, T1)
    assert not isinstance(err.value, DataNotFoundError) and not err.value.transient


def test_offline_a_registry_not_cached_is_an_error_but_a_known_absent_year_is_not(tree):
    _starting_2009(tree)
    t = dt.datetime(2009, 12, 30, tzinfo=UTC)
    online = _ctx("omni", heliocloud=str(tree.root))
    assert len(heliocloud.find_files(online, "OMNI_HRO_1MIN", T0, T1)) == 1  # 2010 cached
    offline = _ctx("omni", offline=True, heliocloud=str(tree.root))
    with pytest.raises(OfflineError, match=r"OMNI_HRO_1MIN for 2009 is not cached"):
        heliocloud.find_files(offline, "OMNI_HRO_1MIN", t, T1)
    # once an online load saw that 2009 has no registry, offline loads know it too
    assert len(heliocloud.find_files(online, "OMNI_HRO_1MIN", t, T1)) == 1
    got = heliocloud.find_files(offline, "OMNI_HRO_1MIN", t, T1)
    assert [f.name for f in got] == ["omni_hro_1min_20100101_v01.cdf"]
    # a registry that appears later is used, and offline after that too
    reg10 = tree.datasets["OMNI_HRO_1MIN"][2010]
    fields = reg10.read_text().splitlines()[1].split(",")
    key = fields[2].replace("2010/omni_hro_1min_20100101", "2009/omni_hro_1min_20091231")
    reg10.with_name("OMNI_HRO_1MIN_2009.csv").write_text(
        f"start,stop,datakey,filesize\n2009-12-31T00:00:00Z,2009-12-31T23:59:00Z,{key},"
        f"{fields[3]}\n"
    )
    names = ["omni_hro_1min_20091231_v01.cdf", "omni_hro_1min_20100101_v01.cdf"]
    assert [f.name for f in heliocloud.find_files(online, "OMNI_HRO_1MIN", t, T1)] == names
    assert [f.name for f in heliocloud.find_files(offline, "OMNI_HRO_1MIN", t, T1)] == names


def test_a_catalog_that_cannot_be_fetched_keeps_its_error_class_and_transience(tree, server_for):
    server = server_for(tree.root)
    server.add_fault("*catalog.json", "status", status=503, times=2)
    ctx = Transport(Config.load(urls={"heliocloud": server.url}, retries=1, backoff=0)).context(
        get_registry().mission("omni")
    )
    with pytest.raises(DownloadError, match=r"HelioCloud catalog .* could not be fetched") as err:
        heliocloud.read_catalog(ctx)
    assert err.value.transient is True and "503" in err.value.last.cause


def test_a_range_outside_the_dataset_reads_no_registry(tree):
    ctx = _ctx("omni", heliocloud=str(tree.root))
    t = dt.datetime(2012, 1, 1, tzinfo=UTC)
    assert heliocloud.find_files(ctx, "OMNI_HRO_1MIN", t, t + dt.timedelta(days=1)) == []


def test_an_unavailable_dataset_is_refused(tree):
    data = json.loads(tree.catalog.read_text())
    data["catalog"][0]["status"] = {"code": 1400, "message": "temporarily unavailable"}
    tree.catalog.write_text(json.dumps(data))
    ident = data["catalog"][0]["id"]
    ctx = _ctx("omni", heliocloud=str(tree.root))
    with pytest.raises(
        DownloadError, match=rf"marks dataset {ident} as '1400 temporarily unavailable'"
    ):
        heliocloud.find_files(ctx, ident, T0, T1)


def test_modification_decides_when_registries_and_files_are_revalidated(tree):
    ctx = _ctx("omni", heliocloud=str(tree.root))
    first = ctx.fetch(heliocloud.find_files(ctx, "OMNI_HRO_1MIN", T0, T1))
    assert [f.action for f in first] == ["downloaded"]
    # a new version appears in the bucket, the registry says so, but the catalog does not yet
    old = tree.root / "cdaweb/omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf"
    new = old.with_name("omni_hro_1min_20100101_v02.cdf")
    shutil.copy(old, new)
    registry = tree.datasets["OMNI_HRO_1MIN"][2010]
    row = registry.read_text().splitlines()[1].replace("_v01.cdf", "_v02.cdf")
    registry.write_text(registry.read_text() + row + "\n")
    ctx = _ctx("omni", heliocloud=str(tree.root))
    again = heliocloud.find_files(ctx, "OMNI_HRO_1MIN", T0, T1)
    assert [f.version for f in again] == ["01"]  # the cached registry stands
    assert [f.action for f in ctx.fetch(again)] == ["cached"]  # no request at all
    set_modification(tree, "OMNI_HRO_1MIN", dt.datetime(2024, 6, 1, tzinfo=UTC))
    ctx = _ctx("omni", heliocloud=str(tree.root))
    bumped = heliocloud.find_files(ctx, "OMNI_HRO_1MIN", T0, T1)
    assert sorted(f.version for f in bumped) == ["01", "02"]
    actions = {f.remote.version: f.action for f in ctx.fetch(bumped)}
    assert actions == {"01": "revalidated", "02": "downloaded"}


# -- plugins and templates ----------------------------------------------------------


def test_omni_ascii_hourly_is_not_in_heliocloud(tree):
    with pytest.raises(InvalidRequestError, match=r"hourly_source='cdf'"):
        helioport.load(
            "omni",
            "2010-01-01",
            "2010-01-02",
            products=["dc_mag"],
            mode="hourly",
            source="heliocloud",
            base_url={"heliocloud": str(tree.root)},
        )


def test_cluster_products_spdf_does_not_copy_are_not_in_heliocloud(tree):
    with pytest.raises(InvalidRequestError, match=r"HelioCloud .*has no copy of C1_CP_CIS-HIA"):
        helioport.load(
            "cluster",
            "2001-06-11T00:00",
            "2001-06-11T01:00",
            products=["i_dens"],
            probes=["c1"],
            source="heliocloud",
            base_url={"heliocloud": str(tree.root)},
        )


def test_a_template_without_dataset_names_the_sources_that_serve_it(tree):
    spec = get_registry().mission("omni")
    request = Request.for_mission(
        spec, "2010-01-01", "2010-01-02", ["dc_mag"], options={"source": "heliocloud"}
    )
    template = FileTemplate("omni", "low_res_omni/omni2_%Y.dat", "year")
    with pytest.raises(
        InvalidRequestError, match=r"HelioCloud does not serve the omni files .*source='spdf'"
    ):
        find_files(template, request, _ctx("omni", heliocloud=str(tree.root)))


def test_the_template_dataset_fills_its_fields(tree):
    spec = get_registry().mission("omni")
    request = Request.for_mission(
        spec, "2010-01-01", "2010-01-02", ["dc_mag"], mode="5min", options={"source": "heliocloud"}
    )
    template = FileTemplate(
        "omni", "unused/%Y/x_v{version}.cdf", "month", dataset="omni_hro_{mode}"
    )
    (f,) = find_files(template, request, _ctx("omni", heliocloud=str(tree.root)), mode="5min")
    assert f.name == "omni_hro_5min_20100101_v01.cdf"


# -- on a real S3 API ---------------------------------------------------------------


def test_loads_from_the_local_s3_server_equal_the_folder_mirror(
    request, spdf_trees, written_tree, monkeypatch
):
    pytest.importorskip("helioport.testing.s3server", reason="the moto S3 test server is not there")
    server = request.getfixturevalue("s3_server")
    bucket = "heliocloud-copy"  # another bucket than the registries name: keys are re-rooted
    server.make_bucket(bucket, public=True)
    server.upload_folder(written_tree.root, f"s3://{bucket}/")
    monkeypatch.setenv("HELIOPORT_HELIOCLOUD_URL", f"s3://{bucket}/")
    omni = {"products": ["dc_mag", "i_dens"], "mode": "1min"}
    mms = {"products": ["dc_mag"], "probes": ["mms1"], "mode": "srvy"}
    span = ("2015-10-16T00:30", "2015-10-16T01:30")
    server.reset_counts()
    cloud_omni = helioport.load("omni", "2010-01-01", "2010-01-02", source="heliocloud", **omni)
    cloud_mms = helioport.load("mms", *span, source="heliocloud", **mms)
    counts = dict(server.counts)
    assert counts.get("GetObject", 0) >= 6, counts  # catalog, registries and files, twice
    assert not {op for op in counts if op.startswith("List")}, counts
    monkeypatch.delenv("HELIOPORT_HELIOCLOUD_URL")
    mirror_omni = helioport.load(
        "omni", "2010-01-01", "2010-01-02", base_url={"omni": str(spdf_trees["omni"])}, **omni
    )
    mirror_mms = helioport.load(
        "mms", *span, base_url={"mms": str(spdf_trees["mms"])}, source="spdf", **mms
    )
    _assert_same_data(mirror_omni, cloud_omni)
    _assert_same_data(mirror_mms, cloud_mms)
