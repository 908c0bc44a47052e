"""The transport against the test archive server on 127.0.0.1: listings, fetches, cache, faults."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from helioport.config import Config
from helioport.errors import (
    ConfigError,
    CorruptFileError,
    DownloadError,
    InvalidRequestError,
    OfflineError,
    PluginError,
)
from helioport.schema import MissionSpec, RemoteFile, SourceSpec, VersionPolicy
from helioport.testing import ApiResponse
from helioport.testing.server import ArchiveServer
from helioport.transport import DirEntry, Transport, parse_index, select_versions
from helioport.transport import download as download_mod
from helioport.transport.download import size_matches, verify_head
from helioport.transport.retry import parse_retry_after
from pydantic import ValidationError

UTC = dt.timezone.utc
CDF_HEAD = b"\xcd\xf3\x00\x01\x00\x00\xff\xff"
FOLDER = "omni/hro_1min/2010"


def cdf_bytes(n: int, seed: int = 0) -> bytes:
    body = bytes((i * 7 + seed) % 251 for i in range(n - len(CDF_HEAD)))
    return CDF_HEAD + body


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)  # no config file


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    folder = root / FOLDER
    folder.mkdir(parents=True)
    (folder / "omni_hro_1min_20100101_v01.cdf").write_bytes(cdf_bytes(700, 1))
    (folder / "omni_hro_1min_20100201_v01.cdf").write_bytes(cdf_bytes(900, 2))
    (root / "omni/hro_1min/2011").mkdir()
    return root


@pytest.fixture
def server(archive: Path):
    with ArchiveServer(archive) as srv:
        yield srv


def make_config(tmp_path: Path, **kw) -> Config:
    kw = {"cache_dir": tmp_path / "cache", "backoff": 0.01, "retries": 3, "progress": False, **kw}
    return Config.load(**kw)


@pytest.fixture
def transport(tmp_path: Path):
    with Transport(make_config(tmp_path)) as t:
        yield t


def omni_spec(base: str) -> MissionSpec:
    return MissionSpec(
        name="omni",
        sources=[
            SourceSpec(key="omni", url=base, env="HELIOPORT_OMNI_URL"),
            SourceSpec(key="omni_low", url=base + "low_res_omni/", env="HELIOPORT_OMNI_LOW_URL"),
        ],
    )


def remote_files(entries: list[DirEntry], folder: str = "hro_1min/2010") -> list[RemoteFile]:
    out = []
    for e in entries:
        stem, version = e.name[: -len(".cdf")].rsplit("_v", 1)
        out.append(
            RemoteFile(
                url=e.url,
                relpath=f"{folder}/{e.name}",
                mission="omni",
                key=stem,
                version=version,
                size=e.size,
                mtime=e.mtime,
            )
        )
    return out


def listed(server: ArchiveServer, transport: Transport) -> list[RemoteFile]:
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    return remote_files(ctx.list_dir(ctx.join(ctx.base_url(), "hro_1min", "2010/")))


def file_requests(server: ArchiveServer, expect: int | None = None) -> list[tuple[str, int]]:
    """(name, status) of the .cdf requests; waits briefly for ``expect`` entries
    (the server logs a request just after answering it)."""
    deadline = time.monotonic() + 2.0
    while expect is not None and time.monotonic() < deadline:
        if sum(r.path.endswith(".cdf") for r in server.log) >= expect:
            break
        time.sleep(0.01)
    return [(r.path.rsplit("/", 1)[-1], r.status) for r in server.log if r.path.endswith(".cdf")]


def leftovers(cache: Path) -> list[str]:
    """Files in the cache tree that are not bookkeeping (locks, HTTP cache)."""
    out = []
    for dirpath, _dirs, files in os.walk(cache):
        rel = Path(dirpath).relative_to(cache)
        if rel.parts[:1] == (".locks",):
            continue
        out += [str(rel / f) for f in files if not f.startswith("http_cache.sqlite")]
    return sorted(out)


# -- listings ---------------------------------------------------------------------------
PRE_INDEX = """<html><head><title>Index of /pub/data/omni/hro_1min/2010</title></head><body>
<h1>Index of /pub/data/omni/hro_1min/2010</h1>
<pre><img src="/icons/blank.gif" alt="Icon "> <a href="?C=N;O=D">Name</a>                    <a href="?C=M;O=A">Last modified</a>      <a href="?C=S;O=A">Size</a>  <a href="?C=D;O=A">Description</a><hr><img src="/icons/back.gif" alt="[PARENTDIR]"> <a href="/pub/data/omni/hro_1min/">Parent Directory</a>                             -
<img src="/icons/unknown.gif" alt="[   ]"> <a href="omni_hro_1min_20100101_v01.cdf">omni_hro_1min_20100101_v01.cdf</a>    05-Jan-2010 14:32  1.2M
<img src="/icons/unknown.gif" alt="[   ]"> <a href="themis_skymap_gako_20150101-%2B_v02.sav">themis_skymap_gako_20150101-+_v02.sav</a> 2015-02-03 04:05:06   512K
<img src="/icons/folder.gif" alt="[DIR]"> <a href="sub/">sub/</a>                 06-Jan-2010 00:01    -
<img src="/icons/text.gif" alt="[TXT]"> <a href="README.txt">README.txt</a>            2009-12-31 23:59   12
<a href="https://elsewhere.example/x.cdf">x.cdf</a> <a href="mailto:help@example.org">help</a>
</pre><hr></body></html>"""

TABLE_INDEX = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /d</title></head><body><h1>Index of /d</h1>
<table><tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>
<tr><th colspan="5"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/unknown.gif" alt="[   ]"></td><td><a href="a_v01.cdf">a_v01.cdf</a></td><td align="right">2010-01-05 14:32  </td><td align="right"> 36M</td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/folder.gif" alt="[DIR]"></td><td><a href="2011/">2011/</a></td><td align="right">2012-03-04 05:06  </td><td align="right">  - </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/unknown.gif" alt="[   ]"></td><td><a href="b.dat">b.dat</a></td><td align="right">2010-01-06 00:00  </td><td align="right">977</td><td>&nbsp;</td></tr>
</table></body></html>"""


def test_parse_index_pre_layout() -> None:
    entries = parse_index(PRE_INDEX, "https://spdf.example/pub/data/omni/hro_1min/2010/")
    assert [(e.name, e.is_dir, e.size) for e in entries] == [
        ("omni_hro_1min_20100101_v01.cdf", False, int(1.2 * 1024**2)),
        ("themis_skymap_gako_20150101-+_v02.sav", False, 512 * 1024),
        ("sub", True, None),
        ("README.txt", False, 12),
    ]
    assert entries[0].mtime == dt.datetime(2010, 1, 5, 14, 32, tzinfo=UTC)
    assert entries[1].mtime == dt.datetime(2015, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert entries[1].url.endswith("/2010/themis_skymap_gako_20150101-%2B_v02.sav")
    assert entries[2].url == "https://spdf.example/pub/data/omni/hro_1min/2010/sub/"
    assert entries[3].mtime == dt.datetime(2009, 12, 31, 23, 59, tzinfo=UTC)


def test_parse_index_table_layout() -> None:
    entries = parse_index(TABLE_INDEX, "http://h/d")
    assert [(e.name, e.url, e.is_dir, e.size) for e in entries] == [
        ("a_v01.cdf", "http://h/d/a_v01.cdf", False, 36 * 1024**2),
        ("2011", "http://h/d/2011/", True, None),
        ("b.dat", "http://h/d/b.dat", False, 977),
    ]
    assert entries[1].mtime == dt.datetime(2012, 3, 4, 5, 6, tzinfo=UTC)


def test_retry_after_and_size_helpers() -> None:
    now = dt.datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=now) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("later") is None and parse_retry_after(None) is None
    assert size_matches(int(1.2 * 1024**2), 1_230_000)  # listing "1.2M"
    assert not size_matches(int(1.2 * 1024**2), 600_000)
    assert size_matches(36 * 1024**2, 36 * 1024**2 + 300_000)  # listing "36M"
    assert not size_matches(977, 976)  # small sizes are exact
    assert verify_head("x.cdf", b"\xcd\xf2\x60\x02....") is None
    assert verify_head("x.cdf", b"\x00\x00\xff\xff....") is None
    assert "gzip" in verify_head("x.tar.gz", b"PK\x03\x04")
    assert verify_head("x.tgz", b"\x1f\x8b\x08\x00") is None
    assert "HTML" in verify_head("omni2_2010.dat", b"  <!DOCTYPE HTML PUBLIC")
    assert verify_head("index.html", b"<html>") is None


def test_list_dir_http(server: ArchiveServer, transport: Transport, archive: Path) -> None:
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    base = ctx.base_url()
    assert base == server.url + "omni/"
    top = ctx.list_dir(ctx.join(base, "hro_1min/"))
    assert [(e.name, e.is_dir, e.url) for e in top] == [
        ("2010", True, server.url + "omni/hro_1min/2010/"),
        ("2011", True, server.url + "omni/hro_1min/2011/"),
    ]
    entries = ctx.list_dir(top[0].url)
    assert [(e.name, e.size) for e in entries] == [
        ("omni_hro_1min_20100101_v01.cdf", 700),
        ("omni_hro_1min_20100201_v01.cdf", 900),
    ]
    mtime = (archive / FOLDER / "omni_hro_1min_20100101_v01.cdf").stat().st_mtime
    expected = dt.datetime.fromtimestamp(mtime, UTC).replace(second=0, microsecond=0)
    assert entries[0].mtime == expected
    assert ctx.list_dir(ctx.join(base, "hro_1min", "2011/")) == []
    assert ctx.list_dir(ctx.join(base, "no_such_folder/")) == []


def test_list_dir_local_mirror(tmp_path: Path, archive: Path) -> None:
    plain = str(archive / "omni")
    t = Transport(make_config(tmp_path, urls={"omni": plain}))
    ctx = t.context(omni_spec("https://spdf.invalid/omni/"), offline=False)
    base = ctx.base_url("omni")
    assert base == (archive / "omni").as_uri() + "/"
    entries = ctx.list_dir(ctx.join(base, "hro_1min", "2010"))
    assert [(e.name, e.size, e.is_dir) for e in entries] == [
        ("omni_hro_1min_20100101_v01.cdf", 700, False),
        ("omni_hro_1min_20100201_v01.cdf", 900, False),
    ]
    assert entries[0].url == base + "hro_1min/2010/omni_hro_1min_20100101_v01.cdf"
    assert ctx.list_dir(plain + "/hro_1min/")[0].is_dir
    assert ctx.list_dir(ctx.join(base, "missing/")) == []
    files = t.fetch(remote_files(entries), offline=False)
    assert [f.action for f in files] == ["downloaded", "downloaded"]
    assert files[1].path.read_bytes() == (archive / FOLDER / entries[1].name).read_bytes()
    again = t.fetch(
        [f.remote.model_copy(update={"size": None, "mtime": None}) for f in files], offline=False
    )
    assert [f.action for f in again] == ["revalidated", "revalidated"]


def test_base_url_mirrors_and_errors(tmp_path: Path) -> None:
    t = Transport(make_config(tmp_path, urls={"omni_low": "https://mirror.example/low"}))
    ctx = t.context(omni_spec("https://spdf.example/omni/"), offline=False)
    assert ctx.base_url() == "https://spdf.example/omni/"
    assert ctx.base_url("omni_low") == "https://mirror.example/low/"
    with pytest.raises(ConfigError, match="omni, omni_low"):
        ctx.base_url("cdaweb")
    assert ctx.join("https://x.org/a", "b c", "d/") == "https://x.org/a/b%20c/d/"
    assert ctx.join("file:///srv/a/", "x+y.sav") == "file:///srv/a/x+y.sav"


def test_unchanged_listing_costs_one_304(server: ArchiveServer, transport: Transport) -> None:
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    url = ctx.join(ctx.base_url(), "hro_1min", "2010/")
    first = ctx.list_dir(url)
    server.clear_log()
    assert ctx.list_dir(url) == first  # same context (one load): answered from memory
    assert server.log == []
    again = transport.context(omni_spec(server.url + "omni/"), offline=False)  # the next load
    assert again.list_dir(url) == first
    assert [(r.path, r.status, r.conditional) for r in server.log] == [
        ("/omni/hro_1min/2010/", 304, True)
    ]
    db = transport.layout.root / "http_cache.sqlite"
    assert db.is_file()
    with closing(sqlite3.connect(db)) as con:  # WAL mode is stored in the database file
        assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


def test_listing_outage_uses_cached_listing_with_warning(
    server: ArchiveServer, transport: Transport
) -> None:
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    url = ctx.join(ctx.base_url(), "hro_1min", "2010/")
    first = ctx.list_dir(url)
    server.clear_log()
    server.add_fault("*/2010/", "status", times=10, status=503)
    later = transport.context(omni_spec(server.url + "omni/"), offline=False)
    with pytest.warns(UserWarning, match="cached answer"):
        assert later.list_dir(url) == first
    assert [r.status for r in server.log] == [503] * 4  # 1 + config.retries


def test_offline_listing_from_http_cache_then_cache_folder(
    server: ArchiveServer, transport: Transport
) -> None:
    files = listed(server, transport)
    transport.fetch(files, offline=False)
    spec = omni_spec(server.url + "omni/")
    off = transport.context(spec, offline=True)
    server.clear_log()
    url = off.join(off.base_url(), "hro_1min", "2010/")
    assert [e.name for e in off.list_dir(url)] == [f.name for f in files]
    # a listing never fetched online (HTTP cache gone): the cache folder stands in,
    # reporting the sizes and times the archive's listing showed
    transport.close()
    for p in transport.layout.root.glob("http_cache.sqlite*"):
        p.unlink()
    ctx2 = Transport(make_config(transport.layout.root.parent)).context(spec, offline=True)
    entries = ctx2.list_dir(url)
    assert [(e.name, e.size, e.mtime, e.url) for e in entries] == [
        (f.name, f.size, f.mtime, f.url) for f in files
    ]
    assert ctx2.list_dir(ctx2.join(ctx2.base_url(), "hro_1min", "1999/")) == []
    assert server.log == []


def test_get_json_online_cached_and_offline(server: ArchiveServer, transport: Transport) -> None:
    spec = omni_spec(server.url + "omni/")
    server.mount("api/", lambda request: ApiResponse.json({"files": []}))
    url = server.api_url("api/") + "file_info/science"
    params = {"sc_id": "mms1", "instrument_id": "fgm"}
    answer = transport.context(spec, offline=False).get_json(url, params)
    assert answer == {"files": []}
    server.clear_log()
    assert transport.context(spec, offline=True).get_json(url, params) == answer
    assert server.log == []
    with pytest.raises(OfflineError, match=r"file_info/science\?sc_id=mms2"):
        transport.context(spec, offline=True).get_json(url, {"sc_id": "mms2"})


def test_read_bytes_over_http_cached_once_per_load_and_offline(
    server: ArchiveServer, transport: Transport
) -> None:
    spec = omni_spec(server.url + "omni/")
    server.mount("docs/", lambda request: ApiResponse.json({"version": 1}))
    url = server.api_url("docs/") + "catalog.json"
    ctx = transport.context(spec, offline=False)
    assert ctx.read_bytes(url) == b'{"version": 1}'
    assert ctx.read_bytes(url) == b'{"version": 1}'
    assert len(server.log) == 1  # one request per load (context)
    server.clear_log()
    assert transport.context(spec, offline=True).read_bytes(url) == b'{"version": 1}'
    assert server.log == []
    with pytest.raises(OfflineError, match=r"other\.json is not cached"):
        transport.context(spec, offline=True).read_bytes(server.api_url("docs/") + "other.json")
    with pytest.raises(DownloadError, match="404 Not Found"):
        transport.context(spec, offline=False).read_bytes(server.url + "omni/nothing.json")


# -- fetching: freshness and versions -------------------------------------------------------
def test_second_fetch_of_unchanged_file_makes_no_file_request(
    server: ArchiveServer, transport: Transport, archive: Path
) -> None:
    files = listed(server, transport)
    got = transport.fetch(files, offline=False)
    assert [f.action for f in got] == ["downloaded", "downloaded"]
    assert (
        got[0].path
        == transport.layout.root / "omni" / "hro_1min/2010/omni_hro_1min_20100101_v01.cdf"
    )
    assert got[0].path.read_bytes() == cdf_bytes(700, 1)
    meta = transport.layout.read_meta(files[0])
    assert meta["size"] == 700 and meta["listing_size"] == 700 and meta["version"] == "01"
    assert meta["etag"].startswith('"') and meta["url"] == files[0].url
    server.clear_log()
    again = transport.fetch(listed(server, transport), offline=False)
    assert [f.action for f in again] == ["cached", "cached"]
    assert [r.status for r in server.log] == [304]  # the listing only
    assert file_requests(server) == []


def test_changed_file_is_replaced(
    server: ArchiveServer, transport: Transport, archive: Path
) -> None:
    transport.fetch(listed(server, transport), offline=False)
    path = archive / FOLDER / "omni_hro_1min_20100201_v01.cdf"
    path.write_bytes(cdf_bytes(1000, 9))
    server.touch(path.relative_to(archive), mtime=time.time() + 3600)
    server.clear_log()
    got = transport.fetch(listed(server, transport), offline=False)
    assert [f.action for f in got] == ["cached", "replaced"]
    assert got[1].path.read_bytes() == cdf_bytes(1000, 9)
    assert file_requests(server, expect=1) == [("omni_hro_1min_20100201_v01.cdf", 200)]


def test_conditional_get_without_listing_metadata(
    server: ArchiveServer, transport: Transport
) -> None:
    bare = [f.model_copy(update={"size": None, "mtime": None}) for f in listed(server, transport)]
    assert [f.action for f in transport.fetch(bare, offline=False)] == ["downloaded"] * 2
    server.clear_log()
    assert [f.action for f in transport.fetch(bare, offline=False)] == ["revalidated"] * 2
    assert (
        sorted((r.status, r.conditional, r.bytes_sent) for r in server.log) == [(304, True, 0)] * 2
    )


def test_newer_version_replaces_cached_one(
    server: ArchiveServer, transport: Transport, archive: Path
) -> None:
    first = select_versions(listed(server, transport), VersionPolicy())
    old = transport.fetch(first, offline=False)[0]
    old_meta = transport.layout.meta_path(old.remote)
    assert old.path.is_file() and old_meta.is_file()
    (archive / FOLDER / "omni_hro_1min_20100101_v02.cdf").write_bytes(cdf_bytes(800, 5))
    found = listed(server, transport)
    chosen = select_versions(found, VersionPolicy())
    assert [f.name for f in chosen] == [
        "omni_hro_1min_20100101_v02.cdf",
        "omni_hro_1min_20100201_v01.cdf",
    ]
    got = transport.fetch(chosen, offline=False, candidates=found)
    assert [f.action for f in got] == ["downloaded", "cached"]
    assert got[0].path.read_bytes() == cdf_bytes(800, 5)
    assert not old.path.exists() and not old_meta.exists()
    # pinning the old version again downloads it, and keeps the newer one
    pinned = select_versions(found, VersionPolicy.parse("1"))
    assert [f.version for f in pinned] == ["01", "01"]
    back = transport.fetch(pinned, offline=False, candidates=found)
    assert [f.action for f in back] == ["downloaded", "cached"]
    assert got[0].path.is_file()


def test_offline_hit_and_miss(server: ArchiveServer, transport: Transport) -> None:
    files = listed(server, transport)
    transport.fetch(files[:1], offline=False)
    server.clear_log()
    hit = transport.fetch(files[:1], offline=True)
    assert [(f.action, f.path.read_bytes()) for f in hit] == [("cached", cdf_bytes(700, 1))]
    with pytest.raises(OfflineError) as err:
        transport.fetch(files, offline=True)
    msg = str(err.value)
    assert "hro_1min/2010/omni_hro_1min_20100201_v01.cdf" in msg
    assert "omni_hro_1min_20100101" not in msg
    assert "HELIOPORT_OFFLINE" in msg
    assert server.log == []


# -- faults -------------------------------------------------------------------------------
def test_server_errors_are_retried(server: ArchiveServer, transport: Transport) -> None:
    files = listed(server, transport)[:1]
    server.add_fault("*.cdf", "status", times=2, status=500)
    server.clear_log()
    assert [f.action for f in transport.fetch(files, offline=False)] == ["downloaded"]
    assert file_requests(server, expect=3) == [(files[0].name, s) for s in (500, 500, 200)]


def test_retry_after_is_honoured(server: ArchiveServer, transport: Transport) -> None:
    files = listed(server, transport)[:1]
    server.add_fault("*.cdf", "retry_after", seconds=1)
    server.clear_log()
    start = time.monotonic()
    assert [f.action for f in transport.fetch(files, offline=False)] == ["downloaded"]
    assert time.monotonic() - start >= 1.0
    assert [s for _, s in file_requests(server, expect=2)] == [429, 200]


def test_long_retry_after_fails_fast(server: ArchiveServer, transport: Transport) -> None:
    files = listed(server, transport)[:1]
    server.add_fault("*.cdf", "retry_after", seconds=9999)
    server.clear_log()
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"wait 9999 s.*retry later") as err:
        transport.fetch(files, offline=False)
    assert time.monotonic() - start < 1.0
    assert files[0].url in str(err.value)
    assert [s for _, s in file_requests(server, expect=1)] == [429]
    assert leftovers(transport.layout.root) == []


def test_truncated_body_is_retried(server: ArchiveServer, transport: Transport) -> None:
    files = listed(server, transport)[1:]
    server.add_fault("*.cdf", "truncate", fraction=0.5)
    server.clear_log()
    got = transport.fetch(files, offline=False)
    assert got[0].path.read_bytes() == cdf_bytes(900, 2)
    file_requests(server, expect=2)
    assert [(r.status, r.bytes_sent) for r in server.log] == [(200, 450), (200, 900)]


def test_html_instead_of_data_is_corrupt_and_leaves_nothing(
    server: ArchiveServer, transport: Transport
) -> None:
    files = listed(server, transport)[:1]
    server.add_fault("*.cdf", "html_200", times=100)
    server.clear_log()
    with pytest.raises(CorruptFileError) as err:
        transport.fetch(files, offline=False)
    assert files[0].url in str(err.value) and "HTML" in str(err.value)
    # a page instead of the file is the server's answer: asking again at once is pointless
    assert len(file_requests(server, expect=1)) == 1
    assert leftovers(transport.layout.root) == []


def test_wrong_magic_bytes_are_corrupt(
    server: ArchiveServer, transport: Transport, archive: Path
) -> None:
    (archive / FOLDER / "omni_hro_1min_20100301_v01.cdf").write_bytes(b"NOTACDF" * 50)
    files = [f for f in listed(server, transport) if "0301" in f.name]
    with pytest.raises(CorruptFileError, match="CDF magic"):
        transport.fetch(files, offline=False)
    assert leftovers(transport.layout.root) == []


def test_context_fetch_of_a_tarball(server: ArchiveServer, transport: Transport, archive: Path):
    import gzip

    (archive / "csa").mkdir()
    (archive / "csa" / "delivery.tar.gz").write_bytes(gzip.compress(b"tar bytes" * 100))
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    tarball = RemoteFile(
        url=server.url + "csa/delivery.tar.gz", relpath="tar/d.tar.gz", mission="omni"
    )
    got = ctx.fetch([tarball])
    assert gzip.decompress(got[0].path.read_bytes()) == b"tar bytes" * 100
    assert got[0].path == ctx.cache_path(tarball)
    server.add_fault("*.tar.gz", "html_200", times=10)
    with pytest.raises(CorruptFileError):
        ctx.fetch([tarball.model_copy(update={"relpath": "tar/e.tar.gz"})])
    assert [f.action for f in transport.context(ctx.mission, offline=True).fetch([tarball])] == [
        "cached"
    ]


def test_credentials_are_sent_but_never_stored(server: ArchiveServer, transport: Transport) -> None:
    ctx = transport.context(omni_spec(server.url + "omni/"), offline=False)
    ctx.register_auth(server.url + "omni/hro_1min/", ("alice", "s3cret-pw"))
    transport.fetch(listed(server, transport), offline=False)
    server.mount("api/", lambda request: ApiResponse.json({"files": []}))
    ctx.get_json(server.api_url("api/") + "file_info/science", {"sc_id": "mms1"})
    sent = {r.path: r.header("Authorization") for r in server.log}
    assert sent["/omni/hro_1min/2010/"] == "Basic YWxpY2U6czNjcmV0LXB3"  # alice:s3cret-pw
    assert sent[f"/{FOLDER}/omni_hro_1min_20100101_v01.cdf"] == "Basic YWxpY2U6czNjcmV0LXB3"
    assert sent["/api/file_info/science"] is None  # outside the registered prefix
    transport.close()
    stored = b"".join(p.read_bytes() for p in transport.layout.root.rglob("*") if p.is_file())
    assert b"s3cret" not in stored and b"YWxpY2U6czNjcmV0LXB3" not in stored
    with pytest.raises(ConfigError):
        ctx.register_auth("file:///srv/", ("a", "b"))


def test_missing_file_fails_at_once(
    server: ArchiveServer, transport: Transport, archive: Path
) -> None:
    files = listed(server, transport)[:1]
    (archive / FOLDER / files[0].name).unlink()
    server.clear_log()
    with pytest.raises(DownloadError, match="no longer has omni_hro_1min_20100101_v01.cdf") as err:
        transport.fetch(files, offline=False)
    assert "404" in str(err.value) and "refresh the listing" in str(err.value)
    assert [s for _, s in file_requests(server, expect=1)] == [404]


def test_failure_with_cached_copy_gives_stale(server: ArchiveServer, transport: Transport) -> None:
    bare = [
        f.model_copy(update={"size": None, "mtime": None}) for f in listed(server, transport)[:1]
    ]
    transport.fetch(bare, offline=False)
    server.add_fault("*.cdf", "reset", times=100)
    with pytest.warns(
        UserWarning, match="using the cached copy of hro_1min/2010/omni_hro_1min_20100101"
    ):
        got = transport.fetch(bare, offline=False)
    assert [(f.action, f.path.read_bytes()) for f in got] == [("stale", cdf_bytes(700, 1))]


def test_interrupted_download_leaves_no_partial_file(
    server: ArchiveServer, transport: Transport, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = listed(server, transport)

    def interrupted(fh, chunk: bytes) -> None:
        fh.write(chunk[: len(chunk) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(download_mod, "_write_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        transport.fetch(files[:1], offline=False)  # one file: in the calling thread
    with pytest.raises(KeyboardInterrupt):
        transport.fetch(files, offline=False)  # several: in worker threads
    assert leftovers(transport.layout.root) == []
    monkeypatch.undo()


# -- concurrency -------------------------------------------------------------------------------
def test_parallel_fetch_with_per_host_limit(
    server: ArchiveServer, archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3, 9):
        (archive / FOLDER / f"omni_hro_1min_2010{i:02d}01_v01.cdf").write_bytes(
            cdf_bytes(600 + i, i)
        )
    t = Transport(make_config(tmp_path, max_workers=6, per_host=3, progress=True))
    files = listed(server, t)
    assert len(files) == 8
    session, real_get = t.file_session, t.file_session.get
    active, peak, lock = [0], [0], threading.Lock()

    def counting_get(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            return real_get(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(session, "get", counting_get)
    server.add_fault("*.cdf", "slow", times=8, delay=0.4)
    start = time.monotonic()
    got = t.fetch(files, offline=False)
    elapsed = time.monotonic() - start
    assert [f.action for f in got] == ["downloaded"] * 8
    assert [f.remote for f in got] == files  # input order kept
    assert got[5].path.read_bytes() == cdf_bytes(606, 6)
    # 6 workers, but never more than per_host=3 requests to one host at once
    assert peak[0] == 3
    assert elapsed >= 3 * 0.4  # 8 slow answers, 3 at a time: at least three rounds


def _child_fetch(cache_dir: str, files: list[dict], barrier, queue) -> None:
    t = Transport(Config.load(cache_dir=cache_dir, backoff=0.01, retries=3, progress=False))
    remote = [RemoteFile(**f) for f in files]
    barrier.wait(timeout=30)
    try:
        queue.put(sorted(f.action for f in t.fetch(remote, offline=False)))
    except Exception as exc:  # noqa: BLE001 - report anything, never hang the parent
        queue.put(repr(exc))


def test_two_processes_download_each_file_once(
    server: ArchiveServer, transport: Transport, tmp_path: Path
) -> None:
    files = listed(server, transport)
    server.add_fault("*.cdf", "slow", times=2, delay=0.5)
    server.clear_log()
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    payload = [f.model_dump() for f in files]
    procs = [
        ctx.Process(target=_child_fetch, args=(str(tmp_path / "cache"), payload, barrier, queue))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert sorted(map(str, results)) == sorted(
        [str(["downloaded", "downloaded"]), str(["cached", "cached"])]
    ) or all(isinstance(r, list) and set(r) <= {"downloaded", "cached"} for r in results)
    flat = [a for r in results for a in r]
    assert flat.count("downloaded") == 2  # each file downloaded by exactly one process
    bodies = [
        (r.path, r.bytes_sent) for r in server.log if r.path.endswith(".cdf") and r.status == 200
    ]
    assert sorted(bodies) == sorted((f"/{FOLDER}/{f.name}", f.size) for f in files)


# -- safety and cache management ----------------------------------------------------------------
def test_paths_never_escape_the_cache(
    tmp_path: Path, transport: Transport, server: ArchiveServer
) -> None:
    with pytest.raises(ValidationError, match="escape"):
        RemoteFile(url=server.url + "x.cdf", relpath="../../etc/passwd", mission="omni")
    outside = tmp_path / "outside"
    outside.mkdir()
    (transport.layout.root / "omni").mkdir(parents=True)
    (transport.layout.root / "omni" / "evil").symlink_to(outside)
    f = listed(server, transport)[0].model_copy(update={"relpath": "evil/x.cdf"})
    with pytest.raises(PluginError, match="outside the cache"):
        transport.fetch([f], offline=False)
    with pytest.raises(PluginError):
        transport.context(omni_spec(server.url), offline=False).cache_path(f)
    with pytest.raises(InvalidRequestError):
        transport.fetch(
            [f.model_copy(update={"mission": "../x", "relpath": "x.cdf"})], offline=False
        )
    assert list(outside.iterdir()) == []


def test_cache_info_and_clear(server: ArchiveServer, transport: Transport, tmp_path: Path) -> None:
    files = listed(server, transport)
    transport.fetch(files, offline=False)
    other = RemoteFile(url=files[0].url, relpath="x/one.cdf", mission="mms", key="one")
    transport.fetch([other], offline=False)
    info = transport.cache_info()
    assert info["cache_dir"] == str(tmp_path / "cache")
    assert info["missions"] == {
        "mms": {"files": 1, "bytes": 700},
        "omni": {"files": 2, "bytes": 1600},
    }
    assert info["http_cache_bytes"] > 0
    assert info["total_bytes"] >= 2300 + info["http_cache_bytes"]
    outside = tmp_path / "keep.txt"
    outside.write_text("not cache")
    (transport.layout.root / "omni" / "link").symlink_to(outside)
    freed = transport.clear("omni")
    assert freed >= 1600
    assert transport.cache_info()["missions"] == {"mms": {"files": 1, "bytes": 700}}
    assert outside.read_text() == "not cache"
    assert not transport.layout.meta_path(files[0]).exists()
    assert transport.clear() >= 700
    assert not (transport.layout.root / "http_cache.sqlite").exists()
    assert transport.cache_info()["missions"] == {}
    assert leftovers(transport.layout.root) == []
    assert outside.exists()
    # still usable after a full clear (sessions are re-created)
    assert [f.action for f in transport.fetch(listed(server, transport), offline=False)] == [
        "downloaded",
        "downloaded",
    ]


def _open_listing_caches(roots: list[str], barrier, queue) -> None:
    """Child process: open the listing cache of each fresh cache root at the same instant as a sibling."""
    errors = []
    for root in roots:
        barrier.wait(timeout=60)
        try:
            t = Transport(Config.load(cache_dir=root))
            t.listing_session.close()
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            errors.append(repr(exc))
    queue.put(errors)


def test_two_processes_opening_a_new_listing_cache_at_once(tmp_path: Path) -> None:
    """Creating the SQLite cache (tables, switch to WAL) from two processes never fails as 'locked'."""
    roots = [str(tmp_path / f"cache{i}") for i in range(8)]
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_open_listing_caches, args=(roots, barrier, queue)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == [[], []]
    for root in roots:
        with closing(sqlite3.connect(Path(root) / "http_cache.sqlite")) as con:
            assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_loads_share_sessions_and_a_cleared_cache_gets_a_new_database(
    server: ArchiveServer, tmp_path: Path
) -> None:
    """Two Transports on one cache folder share the open listing database and connections;
    clearing the cache closes it, and the next use creates a fresh database."""
    from helioport.transport.sessions import close_shared_sessions

    close_shared_sessions()
    a, b = Transport(make_config(tmp_path)), Transport(make_config(tmp_path))
    assert a.listing_session is b.listing_session and a.file_session is b.file_session
    other = Transport(make_config(tmp_path / "elsewhere"))
    assert other.listing_session is not a.listing_session
    url = server.url + "omni/hro_1min/2010/"
    ctx = a.context(omni_spec(server.url + "omni/"), offline=False)
    assert ctx.list_dir(url)
    db = tmp_path / "cache" / "http_cache.sqlite"
    assert db.is_file()
    a.clear()
    assert not db.exists()
    c = Transport(make_config(tmp_path))
    assert c.listing_session is not b.listing_session  # the old handle was on the deleted file
    server.clear_log()
    assert c.context(omni_spec(server.url + "omni/"), offline=False).list_dir(url)
    assert [r.status for r in server.log] == [200]  # nothing cached any more: a full answer
    assert db.is_file()
    close_shared_sessions()


# -- slow servers ------------------------------------------------------------------------------
def test_a_server_dripping_bytes_is_cut_below_the_minimum_speed(
    server: ArchiveServer, tmp_path: Path
) -> None:
    """Headers, then one byte every 0.1 s: no socket timeout ever fires, the minimum speed does."""
    files = listed(server, Transport(make_config(tmp_path)))[:1]
    cfg = make_config(tmp_path, retries=1, min_speed=100, speed_window=0.5)
    server.add_fault("*.cdf", "drip", times=2, interval=0.1, size=1)
    server.clear_log()
    start = time.monotonic()
    with Transport(cfg) as t, pytest.raises(DownloadError) as err:
        t.fetch(files, offline=False)
    elapsed = time.monotonic() - start
    assert elapsed < 5, elapsed  # two attempts of about 0.5 s each, not 70 s of dripping
    text = str(err.value)
    assert "too slow" in text and "min_speed=100 B/s" in text and files[0].url in text
    assert "after 2 attempt(s)" in text
    sent = [r.bytes_sent for r in server.log if r.path.endswith(".cdf")]
    assert len(sent) == 2 and all(0 < n < 700 for n in sent), sent
    assert leftovers(cfg.cache_dir) == []


def test_a_slow_server_above_the_minimum_speed_is_not_cut(
    server: ArchiveServer, tmp_path: Path
) -> None:
    files = listed(server, Transport(make_config(tmp_path)))[:1]
    cfg = make_config(tmp_path, retries=0, min_speed=100, speed_window=0.1)
    server.add_fault("*.cdf", "drip", interval=0.02, size=50)  # about 2500 B/s, checked every 0.1 s
    with Transport(cfg) as t:
        got = t.fetch(files, offline=False)
    assert got[0].action == "downloaded" and got[0].path.read_bytes() == cdf_bytes(700, 1)


def test_min_speed_is_a_setting_and_zero_turns_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helioport.transport.download import Pace

    default = Config.load(cache_dir=tmp_path)
    assert (default.min_speed, default.speed_window) == (1024.0, 30.0)
    (tmp_path / "c.toml").write_text("min_speed = 10\nspeed_window = 2\n")
    monkeypatch.setenv("HELIOPORT_CONFIG", str(tmp_path / "c.toml"))
    assert (Config.load().min_speed, Config.load().speed_window) == (10.0, 2.0)
    Pace(0, 1, clock=iter([0.0, 100.0]).__next__).check(0)  # off: never cuts, however slow
    with pytest.raises(Exception, match="too slow: 0 bytes in the last 100 s"):
        Pace(1, 1, clock=iter([0.0, 100.0]).__next__).check(0)
    with pytest.raises(ConfigError, match="min_speed"):
        Config.load(min_speed=-1)


def test_a_listing_dripping_bytes_is_cut_too(server: ArchiveServer, tmp_path: Path) -> None:
    cfg = make_config(tmp_path, retries=1, min_speed=100, speed_window=0.5)
    server.add_fault("*/hro_1min/2010/", "drip", times=2, interval=0.1, size=1)
    start = time.monotonic()
    with Transport(cfg) as t:
        ctx = t.context(omni_spec(server.url + "omni/"), offline=False)
        with pytest.raises(DownloadError, match="too slow: .* below min_speed=100 B/s"):
            ctx.list_dir(ctx.join(ctx.base_url(), "hro_1min", "2010/"))
        assert time.monotonic() - start < 5
        # the next listing (no fault left) is complete and parsed as usual
        names = [e.name for e in ctx.list_dir(ctx.join(ctx.base_url(), "hro_1min", "2010/"))]
    assert names == ["omni_hro_1min_20100101_v01.cdf", "omni_hro_1min_20100201_v01.cdf"]
