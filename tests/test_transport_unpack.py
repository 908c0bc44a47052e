"""Packed deliveries (RemoteFile.unpack): gunzip, untar, unzip after a real HTTP download."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import stat
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helioport.cdffile import read_variables
from helioport.config import Config
from helioport.errors import CorruptFileError
from helioport.schema import MissionSpec, RemoteFile, SourceSpec
from helioport.testing.cdfwriter import write_cdf
from helioport.transport import Transport
from helioport.transport import unpack as unpack_mod
from helioport.transport.download import first_line, verify_head

MISSION = "omni"


# -- helpers -------------------------------------------------------------------------------
def small_cdf(path: Path, value: float) -> bytes:
    """A real five-record CDF whose variable ``n`` is ``value`` throughout; its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange("2015-10-16T13:00", "2015-10-16T13:00:05", np.timedelta64(1, "s"), dtype="M8[ns]")
    write_cdf(path, {"Epoch": (t, {}), "n": (np.full(5, value, "f4"), {"DEPEND_0": "Epoch"})})
    return path.read_bytes()


def cdf_members(tmp_path: Path) -> dict[str, bytes]:
    """Two CDFs in nested folders and a README, as member name -> bytes."""
    src = tmp_path / "src"
    return {
        "mms1/fgm/2015/a_v01.cdf": small_cdf(src / "a.cdf", 1.5),
        "mms1/fgm/2015/10/b_v01.cdf": small_cdf(src / "b.cdf", 2.5),
        "mms1/README.txt": b"read me\n",
    }


def add(tar: tarfile.TarFile, name: str, data: bytes, **kw) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    for key, value in kw.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isfile() else None)


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as tar:
        for name, data in members.items():
            add(tar, name, data)
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def remote(server, root: Path, name: str, relpath: str, **kw) -> RemoteFile:
    """The RemoteFile a listing would give for ``root/name`` (size and mtime included)."""
    st = (root / name).stat()
    return RemoteFile(
        url=server.url_for(name),
        relpath=relpath,
        mission=MISSION,
        size=st.st_size,
        mtime=dt.datetime.fromtimestamp(int(st.st_mtime), dt.timezone.utc),
        **kw,
    )


def leftovers(cache: Path) -> list[str]:
    """The files in the cache, and its hidden (temporary) folders, except bookkeeping
    (locks, the HTTP cache)."""
    out = []
    for dirpath, dirs, files in os.walk(cache):
        rel = Path(dirpath).relative_to(cache)
        if rel.parts[:1] == (".locks",):
            continue
        out += [f"{rel / d}/" for d in dirs if d.startswith(".") and d != ".locks"]
        out += [str(rel / f) for f in files if not f.startswith("http_cache.sqlite")]
    return sorted(out)


def body_requests(server, name: str) -> list[tuple[int, int]]:
    return [(r.status, r.bytes_sent) for r in server.log if r.path.endswith(name)]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    root.mkdir()
    return root


@pytest.fixture
def transport(cache_dir: Path):
    with Transport(Config.load(cache_dir=cache_dir, backoff=0.01, retries=1, progress=False)) as t:
        yield t


# -- content checks --------------------------------------------------------------------------
def test_first_line_and_declared_magic() -> None:
    page = b"<!DOCTYPE html>\n<html><head>\n<script>var x = 1;</script>\n<title>ESA &amp; archive</title>"
    assert first_line(page) == "ESA & archive"
    assert first_line(b"x" * 500) == "x" * 197 + "..."
    assert first_line(b"\x1f\x8b\x08\x00") is None
    tar_head = bytes(257) + b"ustar\x0000" + bytes(250)
    assert verify_head("d", tar_head, "untar") is None
    assert verify_head("d", b"BZh91AY", "untar") is None  # bzip2-compressed tar
    assert verify_head("d", b"PK\x03\x04", "unzip") is None
    assert "not a zip archive" in verify_head("d", b"\x1f\x8b\x08\x00", "unzip")
    assert "not gzip data" in verify_head("x.cdf", b"\xcd\xf3\x00\x01", "gunzip")
    assert "not a tar archive" in verify_head("d", tar_head[:200] + bytes(300), "untar")
    assert verify_head("index.html", b"<html>", "untar").startswith("the body is an HTML page")
    assert verify_head("a.zip", b"Quota exceeded for user\nbye") == (
        "a.zip is not a zip archive (got b'Quota ex'); it is a text page: "
        '"Quota exceeded for user"'
    )


# -- unpacking -------------------------------------------------------------------------------
def test_tarball_with_nested_cdfs(server_for, archive: Path, tmp_path: Path, transport) -> None:
    members = cdf_members(tmp_path)
    write_tar(archive / "deliveries" / "fgm_2015.tar.gz", members)
    server = server_for(archive)
    f = remote(server, archive, "deliveries/fgm_2015.tar.gz", "mms1/fgm_2015", unpack="untar")
    (lf,) = transport.fetch([f], offline=False)
    folder = transport.layout.root / MISSION / "mms1/fgm_2015"
    assert lf.action == "downloaded" and lf.path == folder and folder.is_dir()
    rel = [p.relative_to(folder).as_posix() for p in lf.paths]
    assert rel == sorted(members)
    assert {p.relative_to(folder).as_posix(): p.read_bytes() for p in lf.paths} == members
    assert rel[0] == "mms1/README.txt"  # sorted by path: upper case first
    values = read_variables(folder / "mms1/fgm/2015/a_v01.cdf", "n")["n"].data
    assert values.tolist() == [1.5] * 5
    meta = transport.layout.read_meta(f)
    assert meta["unpack"] == "untar" and meta["size"] == sum(map(len, members.values()))
    # only the folder, its sidecar and the sidecar's folders: no temporary names anywhere
    assert [p for p in leftovers(transport.layout.root) if ".part-" in p or ".unpack-" in p] == []


def test_members_glob_keeps_only_cdfs(server_for, archive: Path, tmp_path: Path, transport) -> None:
    members = cdf_members(tmp_path)
    write_tar(archive / "d.tar", members, mode="w")
    write_zip(archive / "d.zip", members)
    server = server_for(archive)
    tar = remote(server, archive, "d.tar", "t/d", unpack="untar", members="*.CDF")
    zipped = remote(server, archive, "d.zip", "z/d", unpack="unzip", members="*.cdf")
    got = transport.fetch([tar, zipped], offline=False)
    cdfs = {k: v for k, v in members.items() if k.endswith(".cdf")}
    for lf in got:
        assert {p.relative_to(lf.path).as_posix(): p.read_bytes() for p in lf.paths} == cdfs
        assert not (lf.path / "mms1" / "README.txt").exists()


def test_zip_without_glob_extracts_everything(
    server_for, archive: Path, tmp_path: Path, transport
) -> None:
    members = cdf_members(tmp_path)
    write_zip(archive / "d.zip", members)
    server = server_for(archive)
    (lf,) = transport.fetch(
        [remote(server, archive, "d.zip", "zips/d", unpack="unzip")], offline=False
    )
    assert [p.relative_to(lf.path).as_posix() for p in lf.paths] == sorted(members)
    assert {p.relative_to(lf.path).as_posix(): p.read_bytes() for p in lf.paths} == members


def test_gunzip_single_file(server_for, archive: Path, tmp_path: Path, transport) -> None:
    data = small_cdf(tmp_path / "src" / "x.cdf", 7.0)
    (archive / "x.cdf.gz").write_bytes(gzip.compress(data))
    server = server_for(archive)
    f = remote(server, archive, "x.cdf.gz", "gz/x_v01.cdf", unpack="gunzip")
    (lf,) = transport.fetch([f], offline=False)
    assert lf.path == transport.layout.root / MISSION / "gz/x_v01.cdf"
    assert lf.paths == [lf.path] and lf.path.read_bytes() == data
    assert read_variables(lf.path, "n")["n"].data.tolist() == [7.0] * 5
    assert transport.layout.read_meta(f)["size"] == len(data)
    assert sorted(p.name for p in lf.path.parent.iterdir()) == ["x_v01.cdf"]


def test_gunzip_of_something_not_a_cdf_is_corrupt(
    server_for, archive: Path, transport, cache_dir: Path
) -> None:
    (archive / "x.cdf.gz").write_bytes(gzip.compress(b"not a cdf at all" * 10))
    server = server_for(archive)
    f = remote(server, archive, "x.cdf.gz", "gz/x.cdf", unpack="gunzip")
    with pytest.raises(CorruptFileError, match="x.cdf unpacked from .*CDF magic number"):
        transport.fetch([f], offline=False)
    assert leftovers(cache_dir) == []


# -- safety ----------------------------------------------------------------------------------
def _evil_tar(path: Path, kind: str, outside: Path) -> str:
    """A tar.gz with one good CDF-named member and one unsafe member; the unsafe name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        add(tar, "good/a.txt", b"fine")
        if kind == "dotdot":
            name = "../../evil"
            add(tar, name, b"pwned")
        elif kind == "deep_dotdot":
            name = "good/../../../../../evil"
            add(tar, name, b"pwned")
        elif kind == "absolute":
            name = str(outside / "abs_evil")
            add(tar, name, b"pwned")
        elif kind == "symlink":
            name = "good/link"
            add(tar, name, b"", type=tarfile.SYMTYPE, linkname=str(outside))
        elif kind == "hardlink":
            name = "good/hard"
            add(tar, name, b"", type=tarfile.LNKTYPE, linkname="good/a.txt")
        else:  # fifo
            name = "good/fifo"
            add(tar, name, b"", type=tarfile.FIFOTYPE)
    return name


def _evil_zip(path: Path, kind: str, outside: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("good/a.txt", b"fine")
        if kind == "symlink":
            name = "good/link"
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, str(outside))
        else:
            name = {"dotdot": "../../evil", "absolute": str(outside / "abs_evil")}[kind]
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # ZipInfo() itself strips a leading "/"
            zf.writestr(info, b"pwned")
    return name


@pytest.mark.parametrize(
    "fmt,kind",
    [
        ("tar", "dotdot"),
        ("tar", "deep_dotdot"),
        ("tar", "absolute"),
        ("tar", "symlink"),
        ("tar", "hardlink"),
        ("tar", "fifo"),
        ("zip", "dotdot"),
        ("zip", "absolute"),
        ("zip", "symlink"),
    ],
)
def test_unsafe_member_is_refused(
    fmt: str, kind: str, server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    if fmt == "tar":
        member = _evil_tar(archive / "evil.tar.gz", kind, outside)
        f_kw = {"unpack": "untar"}
    else:
        member = _evil_zip(archive / "evil.zip", kind, outside)
        f_kw = {"unpack": "unzip"}
    before = sorted(p for p in tmp_path.rglob("*") if cache_dir not in (p, *p.parents))
    server = server_for(archive)
    f = remote(server, archive, f"evil.{'tar.gz' if fmt == 'tar' else 'zip'}", "pk/evil", **f_kw)
    with pytest.raises(CorruptFileError) as err:
        transport.fetch([f], offline=False)
    msg = str(err.value)
    assert f.url in msg and repr(member) in msg and "refusing to unpack" in msg
    # nothing outside the cache; inside it, nothing but bookkeeping
    after = sorted(p for p in tmp_path.rglob("*") if cache_dir not in (p, *p.parents))
    assert after == before
    assert not (cache_dir / MISSION / "evil").exists()
    assert leftovers(cache_dir) == []


# -- failures leave nothing ------------------------------------------------------------------
def test_truncated_tarball_leaves_nothing(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    whole = write_tar(tmp_path / "whole.tar.gz", cdf_members(tmp_path)).read_bytes()
    (archive / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    server = server_for(archive)
    f = remote(server, archive, "cut.tar.gz", "pk/cut", unpack="untar")
    with pytest.raises(CorruptFileError) as err:
        transport.fetch([f], offline=False)
    assert f"{f.url} is not a readable tar archive" in str(err.value)
    assert body_requests(server, "cut.tar.gz") == [(200, len(whole) // 2)]  # damage: no retry
    assert leftovers(cache_dir) == []


def test_truncated_zip_and_gzip_leave_nothing(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    whole = write_zip(tmp_path / "whole.zip", cdf_members(tmp_path)).read_bytes()
    (archive / "cut.zip").write_bytes(whole[:-30])
    packed = gzip.compress(b"\xcd\xf3\x00\x01" + np.random.default_rng(0).bytes(5000))
    (archive / "cut.cdf.gz").write_bytes(packed[: len(packed) // 2])
    server = server_for(archive)
    z = remote(server, archive, "cut.zip", "pk/z", unpack="unzip")
    g = remote(server, archive, "cut.cdf.gz", "pk/g.cdf", unpack="gunzip")
    with pytest.raises(CorruptFileError, match="is not a readable zip archive"):
        transport.fetch([z], offline=False)
    with pytest.raises(CorruptFileError, match="is not a readable gzip file"):
        transport.fetch([g], offline=False)
    assert leftovers(cache_dir) == []


ESA_PAGE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>ESA Archive - Product not found: solo_L2_mag-rtn-normal_20200101</title>
</head><body><h1>Error</h1></body></html>
"""


def test_html_page_with_status_200_is_quoted_and_leaves_nothing(
    server_for, archive: Path, transport, cache_dir: Path
) -> None:
    (archive / "solo.tar.gz").write_bytes(ESA_PAGE)  # served with status 200, no text/html type
    (archive / "solo.zip").write_bytes(b"0" * 300)
    server = server_for(archive)
    f = remote(server, archive, "solo.tar.gz", "solo/2020", unpack="untar")
    with pytest.raises(CorruptFileError) as err:
        transport.fetch([f], offline=False)
    quote = '"ESA Archive - Product not found: solo_L2_mag-rtn-normal_20200101"'
    assert f.url in str(err.value) and f"HTML page, not solo.tar.gz: {quote}" in str(err.value)
    # the same page announced as text/html (the server's html_200 fault)
    z = remote(server, archive, "solo.zip", "solo/z", unpack="unzip")
    server.add_fault("*.zip", "html_200", times=10, body=ESA_PAGE.decode())
    with pytest.raises(CorruptFileError) as err:
        transport.fetch([z], offline=False)
    assert "Content-Type text/html" in str(err.value) and quote in str(err.value)
    assert leftovers(cache_dir) == []


def test_interrupted_unpack_leaves_nothing(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path, monkeypatch
) -> None:
    write_tar(archive / "d.tar.gz", cdf_members(tmp_path))
    server = server_for(archive)
    f = remote(server, archive, "d.tar.gz", "pk/d", unpack="untar")
    seen = []

    def interrupt_on_second(f, path, name):
        seen.append(name)
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(unpack_mod, "_check_cdf", interrupt_on_second)
    with pytest.raises(KeyboardInterrupt):
        transport.fetch([f], offline=False)
    assert len(seen) == 2 and leftovers(cache_dir) == []


# -- cache reuse and versions ----------------------------------------------------------------
def test_second_fetch_reuses_the_unpacked_folder(
    server_for, archive: Path, tmp_path: Path, transport
) -> None:
    members = cdf_members(tmp_path)
    write_tar(archive / "d.tar.gz", members)
    server = server_for(archive)
    f = remote(server, archive, "d.tar.gz", "pk/d", unpack="untar", members="*.cdf")
    first = transport.fetch([f], offline=False)[0]
    inode = first.paths[0].stat().st_ino
    server.clear_log()
    again = transport.fetch([f], offline=False)[0]
    assert again.action == "cached" and body_requests(server, "d.tar.gz") == []
    assert again.paths == first.paths and again.paths[0].stat().st_ino == inode
    # without listing size/mtime: one conditional request, answered 304 without a body
    bare = f.model_copy(update={"size": None, "mtime": None})
    assert transport.fetch([bare], offline=False)[0].action == "revalidated"
    assert body_requests(server, "d.tar.gz") == [(304, 0)]
    offline = transport.fetch([f], offline=True)[0]
    assert offline.action == "cached" and [p.read_bytes() for p in offline.paths] == [
        members["mms1/fgm/2015/10/b_v01.cdf"],
        members["mms1/fgm/2015/a_v01.cdf"],
    ]
    # another glob is another result: fetched again, the README now kept
    everything = f.model_copy(update={"members": None})
    assert transport.fetch([everything], offline=False)[0].action == "downloaded"
    assert (first.path / "mms1" / "README.txt").read_bytes() == b"read me\n"


def test_changed_delivery_replaces_the_folder(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    src = tmp_path / "src"
    write_tar(
        archive / "d.tar.gz",
        {"a.cdf": small_cdf(src / "a1.cdf", 1.0), "b.cdf": small_cdf(src / "b.cdf", 2.0)},
    )
    server = server_for(archive)
    old = transport.fetch([remote(server, archive, "d.tar.gz", "pk/d", unpack="untar")])[0]
    assert [p.name for p in old.paths] == ["a.cdf", "b.cdf"]
    new_a = small_cdf(src / "a2.cdf", 3.0)
    write_tar(archive / "d.tar.gz", {"a.cdf": new_a, "c.cdf": small_cdf(src / "c.cdf", 4.0)})
    server.touch("d.tar.gz", mtime=time.time() + 3600)
    got = transport.fetch([remote(server, archive, "d.tar.gz", "pk/d", unpack="untar")])[0]
    assert got.action == "replaced" and got.path == old.path
    assert [p.name for p in got.paths] == ["a.cdf", "c.cdf"]
    assert got.paths[0].read_bytes() == new_a
    assert sorted(p.name for p in got.path.parent.iterdir()) == ["d"]  # no .old-/.unpack- left
    # a damaged newer delivery keeps the folder that works
    (archive / "d.tar.gz").write_bytes((archive / "d.tar.gz").read_bytes()[:300])
    server.touch("d.tar.gz", mtime=time.time() + 7200)
    with pytest.raises(CorruptFileError):
        transport.fetch([remote(server, archive, "d.tar.gz", "pk/d", unpack="untar")])
    assert got.paths[0].read_bytes() == new_a
    assert sorted(p.name for p in got.path.parent.iterdir()) == ["d"]


def test_newer_version_replaces_the_unpacked_folder(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    src = tmp_path / "src"
    write_tar(archive / "d_v01.tar.gz", {"x/a.cdf": small_cdf(src / "a1.cdf", 1.0)})
    server = server_for(archive)

    def delivery(v: str) -> RemoteFile:
        return remote(
            server, archive, f"d_v{v}.tar.gz", f"pk/d_v{v}", unpack="untar", key="d", version=v
        )

    v1 = transport.fetch([delivery("01")], offline=False)[0]
    assert v1.paths == [cache_dir / MISSION / "pk/d_v01/x/a.cdf"]
    write_tar(archive / "d_v02.tar.gz", {"x/a.cdf": small_cdf(src / "a2.cdf", 2.0)})
    found = [delivery("01"), delivery("02")]
    (v2,) = transport.fetch([found[1]], offline=False, candidates=found)
    assert v2.action == "downloaded" and v2.paths == [cache_dir / MISSION / "pk/d_v02/x/a.cdf"]
    assert read_variables(v2.paths[0], "n")["n"].data.tolist() == [2.0] * 5
    assert not v1.path.exists() and transport.layout.read_meta(found[0]) is None
    assert sorted(p.name for p in (cache_dir / MISSION / "pk").iterdir()) == ["d_v02"]


def test_offline_listing_shows_the_delivery_as_the_archive_did(
    server_for, archive: Path, tmp_path: Path, transport, cache_dir: Path
) -> None:
    write_tar(archive / "deliveries" / "d_v01.tar.gz", cdf_members(tmp_path))
    server = server_for(archive)
    f = remote(server, archive, "deliveries/d_v01.tar.gz", "deliveries/d_v01", unpack="untar")
    transport.fetch([f], offline=False)
    spec = MissionSpec(
        name=MISSION, sources=[SourceSpec(key=MISSION, url=server.url, env="HELIOPORT_OMNI_URL")]
    )
    ctx = transport.context(spec, offline=True)
    entries = ctx.list_dir(ctx.join(ctx.base_url(), "deliveries/"))
    assert [(e.name, e.is_dir, e.size, e.mtime) for e in entries] == [
        ("d_v01.tar.gz", False, f.size, f.mtime)
    ]
    # and the RemoteFile a plugin builds from it is found in the cache
    (again,) = ctx.fetch([f])
    assert again.action == "cached" and len(again.paths) == 3
