"""The unpack processors (helioport.transport.unpack) called directly, without a server.

What is kept, what is refused (with the member named), what is left behind
(nothing, on any failure), what replaces what, and the bytes reported.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from helioport.errors import CorruptFileError, DownloadError
from helioport.schema import RemoteFile
from helioport.transport.unpack import UNPACKERS, gunzip, unpack, untar, unzip

CDF = b"\xcd\xf3\x00\x01" + b"\x00" * 60  # the CDF magic number and some bytes


def rf(kind: str | None, members: str | None = None) -> RemoteFile:
    return RemoteFile(
        url=f"https://archive.example/d.{kind}",
        relpath="d",
        mission="m",
        unpack=kind,
        members=members,
    )


def tar_of(path: Path, entries: dict[str, bytes | None], mode: str = "w:gz") -> Path:
    """A tar with files (bytes) and folders (None)."""
    with tarfile.open(path, mode) as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def zip_of(path: Path, entries: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if data is None:
                zf.writestr(zipfile.ZipInfo(name.rstrip("/") + "/"), b"")
            else:
                zf.writestr(name, data)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_unpackers_table() -> None:
    assert UNPACKERS == {"gunzip": gunzip, "untar": untar, "unzip": unzip}


@pytest.mark.parametrize("kind", [None, "unrar"])
def test_not_a_packed_delivery(tmp_path: Path, kind) -> None:
    f = rf("gunzip").model_copy(update={"unpack": kind})
    with pytest.raises(ValueError) as err:
        unpack(f, tmp_path / "x", tmp_path / "d")
    assert str(err.value) == f"d is not a packed delivery (unpack={kind!r})"


# -- gunzip -------------------------------------------------------------------------
def test_gunzip_writes_the_file_and_returns_its_size(tmp_path: Path) -> None:
    delivery = tmp_path / "in.gz"
    delivery.write_bytes(gzip.compress(b"x" * 3000))
    dest = tmp_path / "cache" / "sub" / "omni2_2010.dat"
    assert unpack(rf("gunzip"), delivery, dest) == 3000
    assert dest.read_bytes() == b"x" * 3000
    assert delivery.exists()  # the delivery is left in place
    # again: the file is replaced
    delivery.write_bytes(gzip.compress(b"yz"))
    assert unpack(rf("gunzip"), delivery, dest) == 2
    assert dest.read_bytes() == b"yz" and leftovers(dest.parent) == []


def test_gunzip_of_a_damaged_file(tmp_path: Path) -> None:
    delivery = tmp_path / "in.gz"
    delivery.write_bytes(gzip.compress(b"x" * 3000)[:-12])
    dest = tmp_path / "d.dat"
    with pytest.raises(CorruptFileError) as err:
        unpack(rf("gunzip"), delivery, dest)
    message = str(err.value)
    assert message.startswith("https://archive.example/d.gunzip is not a readable gzip file (")
    assert message.endswith(
        "); the delivery is truncated or damaged and nothing was unpacked. Try again later or "
        "report it to the archive"
    )
    assert not dest.exists() and leftovers(tmp_path) == []
    delivery.write_bytes(b"<html>not gzip</html>")
    with pytest.raises(CorruptFileError, match=r"not a readable gzip file \(BadGzipFile"):
        unpack(rf("gunzip"), delivery, dest)


def test_gunzip_checks_a_cdf(tmp_path: Path) -> None:
    delivery = tmp_path / "in.gz"
    delivery.write_bytes(gzip.compress(b"<html>"))
    with pytest.raises(CorruptFileError) as err:
        unpack(rf("gunzip"), delivery, tmp_path / "x.CDF")
    assert str(err.value) == (
        "x.CDF unpacked from https://archive.example/d.gunzip does not start with the CDF magic "
        "number (got b'<htm'); nothing was unpacked. Report the delivery to the archive"
    )
    assert not (tmp_path / "x.CDF").exists() and leftovers(tmp_path) == []
    delivery.write_bytes(gzip.compress(CDF))
    assert unpack(rf("gunzip"), delivery, tmp_path / "x.cdf") == len(CDF)


def test_a_cache_that_cannot_be_written_is_a_download_error(tmp_path: Path) -> None:
    delivery = tmp_path / "in.gz"
    delivery.write_bytes(gzip.compress(b"x"))
    (tmp_path / "blocker").write_text("a file where the folder should be")
    dest = tmp_path / "blocker" / "d.dat"
    with pytest.raises(DownloadError) as err:
        unpack(rf("gunzip"), delivery, dest)
    assert not isinstance(err.value, CorruptFileError)
    assert str(err.value).startswith(
        f"cannot unpack https://archive.example/d.gunzip into {dest}: "
    )


# -- untar --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_untar_every_compression(tmp_path: Path, mode: str) -> None:
    delivery = tar_of(
        tmp_path / "in.tar", {"top": None, "top/a.cdf": CDF, "top/b.txt": b"bee"}, mode
    )
    dest = tmp_path / "cache" / "d"
    assert unpack(rf("untar"), delivery, dest) == len(CDF) + 3
    assert files_under(dest) == {"top/a.cdf": CDF, "top/b.txt": b"bee"}


def test_untar_members_glob_on_the_base_name_any_case(tmp_path: Path) -> None:
    entries = {"x/A.CDF": CDF, "x/cdf.txt": b"t", "x/y/b.cdf": CDF, "c.cdfx": b"no"}
    delivery = tar_of(tmp_path / "in.tgz", entries)
    dest = tmp_path / "d"
    assert unpack(rf("untar", "*.cdf"), delivery, dest) == 2 * len(CDF)
    assert sorted(files_under(dest)) == ["x/A.CDF", "x/y/b.cdf"]
    dest2 = tmp_path / "d2"
    unpack(rf("untar", "A.*"), delivery, dest2)
    assert sorted(files_under(dest2)) == ["x/A.CDF"]


def test_untar_nothing_matching_warns_and_gives_an_empty_folder(tmp_path: Path, caplog) -> None:
    entries = {f"f{i:02d}.txt": b"." for i in range(12)}
    delivery = tar_of(tmp_path / "in.tgz", entries)
    dest = tmp_path / "d"
    with caplog.at_level(logging.WARNING, logger="helioport.transport.unpack"):
        assert unpack(rf("untar", "*.cdf"), delivery, dest) == 0
    assert dest.is_dir() and list(dest.iterdir()) == []
    shown = ", ".join(f"f{i:02d}.txt" for i in range(10))
    assert caplog.messages == [
        f"no member of https://archive.example/d.untar matches '*.cdf'; its files are: {shown}, ..."
    ]
    caplog.clear()
    few = tar_of(tmp_path / "few.tgz", {"a.txt": b"a", "b.txt": b"b"})
    with caplog.at_level(logging.WARNING, logger="helioport.transport.unpack"):
        unpack(rf("untar", "*.cdf"), few, tmp_path / "e")
    assert caplog.messages[0].endswith("its files are: a.txt, b.txt")


def test_untar_empty_archive_does_not_warn(tmp_path: Path, caplog) -> None:
    delivery = tar_of(tmp_path / "in.tgz", {"only_a_folder": None})
    with caplog.at_level(logging.WARNING, logger="helioport.transport.unpack"):
        assert unpack(rf("untar", "*.cdf"), delivery, tmp_path / "d") == 0
    assert caplog.messages == []


def unsafe_tar(path: Path, name: str, kind: bytes, linkname: str = "") -> Path:
    with tarfile.open(path, "w") as tar:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = linkname
        data = b"" if kind != tarfile.REGTYPE else b"evil"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("name", "kind", "linkname", "why"),
    [
        ("/etc/evil", tarfile.REGTYPE, "", "has an absolute path"),
        ("C:/evil", tarfile.REGTYPE, "", "has an absolute path"),
        ("c:evil", tarfile.REGTYPE, "", "has an absolute path"),
        ("a/../../evil", tarfile.REGTYPE, "", "has a '..' path part"),
        ("..", tarfile.DIRTYPE, "", "has a '..' path part"),
        ("a\\..\\evil", tarfile.REGTYPE, "", "has a '..' path part"),
        ("link", tarfile.SYMTYPE, "/etc/passwd", "is a link (to '/etc/passwd')"),
        ("hard", tarfile.LNKTYPE, "ok.txt", "is a link (to 'ok.txt')"),
        ("fifo", tarfile.FIFOTYPE, "", "is a device, fifo or other special file"),
        ("dev", tarfile.CHRTYPE, "", "is a device, fifo or other special file"),
    ],
)
def test_untar_refuses_unsafe_members(tmp_path: Path, name, kind, linkname, why) -> None:
    delivery = unsafe_tar(tmp_path / "in.tar", name, kind, linkname)
    dest = tmp_path / "cache" / "d"
    with pytest.raises(CorruptFileError) as err:
        unpack(rf("untar"), delivery, dest)
    assert str(err.value) == (
        f"refusing to unpack https://archive.example/d.untar: its member {name!r} {why}, which "
        "could write outside the cache; nothing was extracted. Report the delivery to the archive"
    )
    assert not dest.exists()


def test_name_with_nul_is_refused(tmp_path: Path) -> None:
    from helioport.transport.unpack import _check_name

    with pytest.raises(CorruptFileError, match="has a NUL character in its name"):
        _check_name(rf("untar"), "a\x00b")
    _check_name(rf("untar"), "a/..b/c..")  # dots inside a name are fine


def test_untar_damaged(tmp_path: Path) -> None:
    good = tar_of(tmp_path / "in.tgz", {"a.txt": os.urandom(100000)})
    delivery = tmp_path / "cut.tgz"
    delivery.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CorruptFileError, match=r"d.untar is not a readable tar archive \("):
        unpack(rf("untar"), delivery, tmp_path / "d")
    assert leftovers(tmp_path) == []


def test_untar_bad_cdf_leaves_the_previous_folder(tmp_path: Path) -> None:
    dest = tmp_path / "d"
    unpack(rf("untar"), tar_of(tmp_path / "a.tgz", {"a.cdf": CDF}), dest)
    bad = tar_of(tmp_path / "b.tgz", {"b.cdf": b"<html>"})
    with pytest.raises(CorruptFileError, match="b.cdf unpacked from"):
        unpack(rf("untar"), bad, dest)
    assert files_under(dest) == {"a.cdf": CDF} and leftovers(tmp_path) == []


def test_untar_replaces_a_folder_and_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "d"
    unpack(rf("untar"), tar_of(tmp_path / "a.tgz", {"old.txt": b"old"}), dest)
    unpack(rf("untar"), tar_of(tmp_path / "b.tgz", {"new.txt": b"new"}), dest)
    assert files_under(dest) == {"new.txt": b"new"} and leftovers(tmp_path) == []
    other = tmp_path / "e"
    other.write_text("a file where the folder goes")
    unpack(rf("untar"), tar_of(tmp_path / "c.tgz", {"n.txt": b"n"}), other)
    assert files_under(other) == {"n.txt": b"n"} and leftovers(tmp_path) == []


# -- unzip --------------------------------------------------------------------------
def test_unzip_files_folders_and_backslashes(tmp_path: Path) -> None:
    delivery = zip_of(
        tmp_path / "in.zip",
        {"top/": None, "top/a.cdf": CDF, "top\\sub\\b.txt": b"bee", "./c.txt": b"c"},
    )
    dest = tmp_path / "d"
    assert unpack(rf("unzip"), delivery, dest) == len(CDF) + 4
    assert files_under(dest) == {"top/a.cdf": CDF, "top/sub/b.txt": b"bee", "c.txt": b"c"}
    dest2 = tmp_path / "d2"
    assert unpack(rf("unzip", "B.TXT"), delivery, dest2) == 3
    assert files_under(dest2) == {"top/sub/b.txt": b"bee"}


def zip_with_mode(path: Path, name: str, mode: int) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        zf.writestr(info, b"target")
    return path


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        (0o120777, "is a symbolic link"),
        (0o010644, "is a device, fifo or other special file"),
        (0o020644, "is a device, fifo or other special file"),
    ],
)
def test_unzip_refuses_links_and_special_files(tmp_path: Path, mode: int, why: str) -> None:
    delivery = zip_with_mode(tmp_path / "in.zip", "m", mode)
    with pytest.raises(CorruptFileError) as err:
        unpack(rf("unzip"), delivery, tmp_path / "d")
    assert f"its member 'm' {why}, which could write outside the cache" in str(err.value)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("mode", [0, 0o100644, 0o040755])
def test_unzip_accepts_plain_modes(tmp_path: Path, mode: int) -> None:
    delivery = zip_with_mode(tmp_path / "in.zip", "m", mode)
    assert unpack(rf("unzip"), delivery, tmp_path / "d") == 6


def test_unzip_refuses_unsafe_names(tmp_path: Path) -> None:
    delivery = zip_of(tmp_path / "in.zip", {"ok.txt": b"ok", "../evil.txt": b"evil"})
    with pytest.raises(CorruptFileError, match=r"member '\.\./evil\.txt' has a '\.\.' path part"):
        unpack(rf("unzip"), delivery, tmp_path / "d")
    assert not (tmp_path / "d").exists() and not (tmp_path / "evil.txt").exists()


def test_unzip_damaged(tmp_path: Path) -> None:
    delivery = tmp_path / "in.zip"
    delivery.write_bytes(b"<html>error</html>")
    with pytest.raises(CorruptFileError, match=r"d.unzip is not a readable zip archive \(BadZip"):
        unpack(rf("unzip"), delivery, tmp_path / "d")
    assert leftovers(tmp_path) == []


def test_unzip_bad_cdf(tmp_path: Path) -> None:
    delivery = zip_of(tmp_path / "in.zip", {"a.cdf": b"nope"})
    with pytest.raises(CorruptFileError, match="a.cdf unpacked from .* \\(got b'nope'\\)"):
        unpack(rf("unzip"), delivery, tmp_path / "d")
    assert not (tmp_path / "d").exists() and leftovers(tmp_path) == []
