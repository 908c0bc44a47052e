"""A warm find and fetch (issue 12) do only what tells them the archive and cache are unchanged.

- a sidecar is parsed once while its file is the same (device, inode, size, mtime and
  ctime) and has settled; a sidecar rewritten with the same size and mtime, atomically or
  in place, is read again, and so is one this process writes or removes;
- the MMS plugin builds the RemoteFiles of an unchanged listing once; a new version or a
  changed file in the mirror is seen by the very next load;
- a cached file's presence, kind and size take one ``stat``: a missing, shrunk or
  replaced file is not taken as intact;
- cache paths: a symlinked folder is judged the same with or without the kernel's name for
  a folder, a symlink added later is seen by the next layout; the cache root is resolved
  as before; a ``~`` mirror folder follows ``HOME``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import helioport
import numpy as np
import pytest
from helioport import stamps
from helioport.config import Config
from helioport.errors import ConfigError, DataNotFoundError, PluginError
from helioport.schema import MissionSpec, RemoteFile, Request, SourceSpec
from helioport.transport import Transport, cache, stores
from helioport.transport.cache import CacheLayout, atomic_write_bytes
from helioport.transport.fetch import _intact
from helioport_mms import sources
from helioport_mms.fixtures import write_fgm

START = "2015-10-16T13:05:24"
END = "2015-10-16T13:05:30"
PAST_NS = 1_600_000_000 * 10**9


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sidecars parsed from disk (not taken from memory)."""
    calls: list[str] = []
    real = CacheLayout._load_meta

    def counting(self: CacheLayout, f: RemoteFile, path: str) -> dict | None:
        calls.append(f.relpath)
        return real(self, f, path)

    monkeypatch.setattr(CacheLayout, "_load_meta", counting)
    return calls


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sidecar counts as settled at once (the tests write and read within a second)."""
    monkeypatch.setattr(stamps, "SETTLE_NS", 0)


def _remote(relpath: str = "a/x_v01.cdf", **kw) -> RemoteFile:
    return RemoteFile(url=f"file:///m/{relpath}", relpath=relpath, mission="omni", **kw)


# -- sidecars ---------------------------------------------------------------------------
@pytest.mark.usefixtures("settled")
def test_a_settled_sidecar_is_parsed_once_and_each_caller_gets_its_own_dict(
    tmp_path: Path, loads: list[str]
) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    layout.write_meta(f, {"size": 3, "etag": "A"})
    for _ in range(3):
        got = layout.read_meta(f)
        assert got == {"size": 3, "etag": "A"}
        got["etag"] = "changed by a caller"
    assert CacheLayout(tmp_path / "c").read_meta(f) == {"size": 3, "etag": "A"}  # a next load
    assert loads == [f.relpath]


@pytest.mark.usefixtures("settled")
def test_a_sidecar_replaced_with_the_same_size_and_mtime_is_read_again(
    tmp_path: Path, loads: list[str]
) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    layout.write_meta(f, {"etag": "A"})
    path = layout.meta_path(f)
    os.utime(path, ns=(PAST_NS, PAST_NS))
    assert layout.read_meta(f) == {"etag": "A"}
    before = path.stat()
    atomic_write_bytes(path, path.read_bytes().replace(b'"A"', b'"B"'))  # another process
    os.utime(path, ns=(PAST_NS, PAST_NS))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert layout.read_meta(f) == {"etag": "B"}
    assert len(loads) == 2


def test_a_sidecar_rewritten_in_place_within_a_clock_tick_is_read_again(
    tmp_path: Path, loads: list[str]
) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    layout.write_meta(f, {"etag": "A"})
    path = layout.meta_path(f)
    assert layout.read_meta(f) == {"etag": "A"}
    before = path.stat()
    with open(path, "r+b") as fh:  # same inode, same size, and the mtime set back
        fh.write(path.read_bytes().replace(b'"A"', b'"B"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert layout.read_meta(f) == {"etag": "B"}
    assert str(path) not in cache._SIDECARS  # just written: not settled, never kept
    assert len(loads) == 2


@pytest.mark.usefixtures("settled")
def test_a_sidecar_this_process_writes_or_removes_is_read_again(
    tmp_path: Path, loads: list[str]
) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    (layout.root / "omni" / "a").mkdir(parents=True)
    layout.file_path(f).write_bytes(b"abc")
    layout.write_meta(f, {"etag": "A"})
    assert layout.read_meta(f) == {"etag": "A"}
    layout.write_meta(f, {"etag": "B"})
    assert layout.read_meta(f) == {"etag": "B"}
    layout.set_aside(f)
    assert layout.read_meta(f) is None
    layout.file_path(f).write_bytes(b"abc")
    layout.write_meta(f, {"etag": "C"})
    assert layout.read_meta(f) == {"etag": "C"}
    layout.remove(f)
    assert layout.read_meta(f) is None


@pytest.mark.usefixtures("settled")
def test_a_sidecar_with_lists_is_parsed_each_time(tmp_path: Path, loads: list[str]) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    layout.write_meta(f, {"members": ["a.cdf"]})
    layout.read_meta(f)["members"].append("b.cdf")
    assert layout.read_meta(f) == {"members": ["a.cdf"]}
    assert len(loads) == 2


@pytest.mark.usefixtures("settled")
def test_an_unreadable_sidecar_still_warns_each_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    layout.write_meta(f, {"etag": "A"})
    layout.meta_path(f).write_text("{not json", encoding="utf-8")
    for _ in range(2):
        assert layout.read_meta(f) is None
    assert caplog.text.count("ignoring unreadable cache sidecar") == 2


# -- cached files -----------------------------------------------------------------------
def test_a_cached_file_is_intact_only_when_there_with_its_recorded_size(tmp_path: Path) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote()
    path = layout.file_path(f)
    meta = {"size": 3, "unpack": None, "members": None}
    assert not _intact(path, meta, f)  # missing
    path.parent.mkdir(parents=True)
    path.write_bytes(b"abc")
    assert _intact(path, meta, f)
    assert _intact(path, {**meta, "size": None}, f)
    assert not _intact(path, None, f)
    path.write_bytes(b"ab")  # shrunk
    assert not _intact(path, meta, f)
    path.unlink()
    path.mkdir()  # a folder where the file goes
    assert not _intact(path, {**meta, "size": None}, f)
    path.rmdir()
    target = tmp_path / "elsewhere.cdf"
    target.write_bytes(b"abc")
    path.symlink_to(target)  # a link to a file is the file, as before
    assert _intact(path, meta, f)
    target.unlink()  # a dangling link is nothing
    assert not _intact(path, meta, f)


def test_an_unpacked_folder_is_intact_with_the_bytes_of_its_files(tmp_path: Path) -> None:
    layout, f = CacheLayout(tmp_path / "c"), _remote("a/pack", unpack="untar")
    path = layout.file_path(f)
    (path / "sub").mkdir(parents=True)
    (path / "x.cdf").write_bytes(b"abc")
    (path / "sub" / "y.cdf").write_bytes(b"de")
    meta = {"size": 5, "unpack": "untar", "members": None}
    assert _intact(path, meta, f)
    assert not _intact(path, {**meta, "size": 4}, f)
    assert not _intact(path, {**meta, "unpack": None}, f)
    assert not _intact(path, meta, _remote("a/pack"))  # a plain file was expected


# -- cache paths ------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_names", [True, False])
def test_symlinked_cache_folders_are_judged_the_same_with_or_without_the_kernels_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_names: bool
) -> None:
    if not kernel_names:
        monkeypatch.setattr(cache, "_HAS_FD_NAMES", False)
    layout = CacheLayout(tmp_path / "cache")
    (layout.root / "omni" / "a" / "b").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    assert layout.file_path(_remote("a/b/c.cdf")) == layout.root / "omni" / "a" / "b" / "c.cdf"
    (layout.root / "omni" / "in").symlink_to(layout.root / "omni" / "a")
    assert layout.file_path(_remote("in/b/c.cdf")) == layout.root / "omni" / "in" / "b" / "c.cdf"
    (layout.root / "omni" / "a" / "b" / "out.cdf").symlink_to(outside / "out.cdf")
    with pytest.raises(PluginError, match="outside the cache"):
        layout.file_path(_remote("a/b/out.cdf"))  # a dangling link to outside
    (outside / "there.cdf").write_bytes(b"x")
    (layout.root / "omni" / "a" / "b" / "there.cdf").symlink_to(outside / "there.cdf")
    with pytest.raises(PluginError, match="outside the cache"):
        layout.file_path(_remote("a/b/there.cdf"))  # a link to a file outside
    (layout.root / "omni" / "a" / "b" / "real.cdf").write_bytes(b"x")
    (layout.root / "omni" / "a" / "b" / "here.cdf").symlink_to("real.cdf")
    assert layout.meta_path(_remote("a/b/here.cdf")).name == "here.cdf.json"
    assert (
        layout.file_path(_remote("a/b/here.cdf")) == layout.root / "omni" / "a" / "b" / "here.cdf"
    )
    (layout.root / "omni" / "a" / "b" / "out.cdf").unlink()
    (layout.root / "omni" / "a" / "b" / "there.cdf").unlink()
    # the folder replaced by a link to outside: the next layout (load) sees it
    shutil.rmtree(layout.root / "omni" / "a" / "b")
    (layout.root / "omni" / "a" / "b").symlink_to(outside)
    with pytest.raises(PluginError, match="outside the cache"):
        CacheLayout(tmp_path / "cache").file_path(_remote("a/b/c.cdf"))
    with pytest.raises(PluginError, match="outside the cache"):
        CacheLayout(tmp_path / "cache").file_path(_remote("in/b/c.cdf"))


def test_the_cache_root_is_resolved_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real" / "cache").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    for given in [
        tmp_path / "real" / "cache",
        tmp_path / "link" / "cache",
        tmp_path / "real" / ".." / "real" / "cache",
        Path("real/cache"),
        tmp_path / "not" / "yet",
        tmp_path / "link" / "not-yet",
    ]:
        assert CacheLayout(given).root == given.expanduser().resolve(), given


def test_a_home_mirror_folder_follows_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for home, name in (("h1", "a.cdf"), ("h2", "b.cdf")):
        (tmp_path / home / "m").mkdir(parents=True)
        (tmp_path / home / "m" / name).write_bytes(b"x")
    for home, name in (("h1", "a.cdf"), ("h2", "b.cdf"), ("h1", "a.cdf")):
        monkeypatch.setenv("HOME", str(tmp_path / home))
        assert [e.name for e in stores.list_folder("~/m/")] == [name]
        assert stores.folder_exists("~/m/")


def test_a_base_url_is_the_configured_one_and_an_unknown_source_still_raises(
    tmp_path: Path,
) -> None:
    spec = MissionSpec(
        name="omni", sources=[SourceSpec(key="omni", url="https://x.org/o", env="HELIOPORT_X_URL")]
    )
    for mirror in ("https://a.org/omni", "https://b.org/omni"):
        cfg = Config.load(cache_dir=tmp_path / "c", urls={"omni": mirror})
        ctx = Transport(cfg).context(spec, offline=False)
        assert ctx.base_url("omni") == ctx.base_url("OMNI") == ctx.base_url() == mirror + "/"
        for _ in range(2):
            with pytest.raises(ConfigError, match="no source 'nope'"):
                ctx.base_url("nope")


# -- the MMS listing ----------------------------------------------------------------------
def _find(mirror: Path, tmp_path: Path) -> list[RemoteFile]:
    cfg = Config.load(cache_dir=tmp_path / "cache", urls={"mms": str(mirror)})
    reg = helioport.registry.get_registry()
    ctx = Transport(cfg).context(reg.mission("mms"), offline=False)
    request = Request(mission="mms", start=START, end=END, products=["dc_mag"], mode="brst")
    return sources.find_files(request, "dc_mag", "mms1", ctx)


def test_an_unchanged_listing_gives_the_same_files_and_a_change_is_seen_at_once(
    tmp_path: Path,
) -> None:
    mirror = tmp_path / "mirror"
    old = write_fgm(mirror, "mms1", "brst", START, 256)
    sources._overlapping.cache_clear()
    first = _find(mirror, tmp_path)
    assert _find(mirror, tmp_path) == first
    assert sources._overlapping.cache_info().hits == 1
    assert [(f.version, f.size) for f in first] == [("4.18.0", old.stat().st_size)]
    new = write_fgm(mirror, "mms1", "brst", START, 300, version="4.19.0")  # a new version
    assert sorted((f.version, f.size) for f in _find(mirror, tmp_path)) == [
        ("4.18.0", old.stat().st_size),
        ("4.19.0", new.stat().st_size),
    ]
    os.utime(new, ns=(PAST_NS, PAST_NS))  # the same file, another time: another listing
    (found,) = [f for f in _find(mirror, tmp_path) if f.version == "4.19.0"]
    assert found.mtime == dt.datetime.fromtimestamp(PAST_NS / 1e9, dt.timezone.utc)


def _load(mirror: Path):
    return helioport.load(
        "mms", START, END, products="dc_mag", probes=["mms1"], mode="brst", coords="gse"
    )


def test_a_mirror_file_replaced_between_two_warm_loads_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    monkeypatch.setenv("HELIOPORT_MMS_URL", str(mirror))
    path = write_fgm(mirror, "mms1", "brst", START, 1280, seed=1)
    os.utime(path, ns=(PAST_NS, PAST_NS))
    first = _load(mirror)
    assert _load(mirror).identical(first)  # warm
    size = path.stat().st_size
    write_fgm(mirror, "mms1", "brst", START, 1280, seed=2)  # other values, the same size
    assert path.stat().st_size == size
    os.utime(path, ns=(PAST_NS + 10**9, PAST_NS + 10**9))
    second = _load(mirror)
    assert not np.array_equal(second["dc_mag_mms1"].values, first["dc_mag_mms1"].values)
    assert _load(mirror).identical(second)


def test_an_empty_mirror_folder_names_the_request_in_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("HELIOPORT_MMS_URL", str(tmp_path / "mirror"))
    with pytest.raises(DataNotFoundError, match="mms dc_mag mms1 mode brst between"):
        _load(tmp_path / "mirror")


def test_equal_instants_in_other_time_zones_keep_their_own_folders_and_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    write_fgm(mirror, "mms1", "brst", "2015-10-16T01:00:00", 128)
    cfg = Config.load(cache_dir=tmp_path / "cache", urls={"mms": str(mirror)})
    reg = helioport.registry.get_registry()
    ctx = Transport(cfg).context(reg.mission("mms"), offline=False)
    request = Request(mission="mms", start=START, end=END, products=["dc_mag"], mode="brst")
    ds = sources.dataset_for(request, "dc_mag", "mms1")
    base = ctx.base_url("mms")
    utc = dt.datetime(2015, 10, 15, 20, 0, tzinfo=dt.timezone.utc)  # the 16th at UTC+5
    east = dt.timezone(dt.timedelta(hours=5))
    for start, n in ((utc, 0), (utc.astimezone(east), 1), (utc, 0)):
        end = start + dt.timedelta(hours=1)
        assert len(sources.list_spdf(ctx, base, ds, start, end, "mms")) == n, start
    # the same listing with its times in another zone: the RemoteFiles keep each zone
    name = "mms1_fgm_brst_l2_20151016130524_v4.18.0.cdf"
    t = dt.datetime(2015, 10, 20, tzinfo=dt.timezone.utc)
    for when in (t, t.astimezone(east), t):
        listed = [sources.Listed(name, f"file:///m/{name}", 3, when, "mms")]
        monkeypatch.setattr(sources, "_listing", lambda *a, listed=listed: listed)
        (f,) = sources._remote_files(request, ds, ctx)
        assert f.mtime == when and f.mtime.utcoffset() == when.utcoffset()
