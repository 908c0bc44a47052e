"""Unpacking a packed delivery into the cache: the post-download processors.

A :class:`~helioport.schema.RemoteFile` with ``unpack`` set is downloaded to a
temporary name beside its destination, verified, then handed to
:func:`unpack`, which calls one of

- :func:`gunzip`: one gzip-compressed file -> the file ``relpath`` names;
- :func:`untar`: a tar (plain, gzip, bzip2 or xz) -> the folder ``relpath`` names;
- :func:`unzip`: a zip -> the folder ``relpath`` names.

Each writes into a temporary file or folder beside the destination and renames
it into place only when everything went well, so a failed or interrupted
unpack leaves nothing behind; a previous file or folder at the destination is
removed after the new one is in place. For ``untar``/``unzip``,
``RemoteFile.members`` (a glob on the member's base name, case-insensitive)
chooses the regular files kept; directory entries only shape the folders.

Safety: a delivery with any member whose name is absolute or has a ``..``
part, or that is a link, device or fifo, is refused whole
(:class:`~helioport.errors.CorruptFileError` naming the URL and the member);
tar members are moreover extracted with tarfile's ``data`` filter. Nothing is
written outside the destination's folder.
"""

from __future__ import annotations

import fnmatch
import gzip
import logging
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import CorruptFileError, DownloadError, HelioportError
from ..magic import looks_like
from ..schema import RemoteFile
from .cache import remove_tree, stored_size

__all__ = ["UNPACKERS", "gunzip", "unpack", "untar", "unzip"]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# what the archive modules raise on damaged data (beside OSErrors without errno)
_DAMAGED = (tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError)


def unpack(f: RemoteFile, delivery: Path, dest: Path) -> int:
    """Unpack the downloaded ``delivery`` of ``f`` into ``dest`` as ``f.unpack`` says.

    Parameters
    ----------
    f : RemoteFile
        The declared delivery (``unpack`` and ``members``; ``url`` for messages).
    delivery : Path
        The verified download (a temporary file in the cache); left in place.
    dest : Path
        The cache path: the decompressed file (``gunzip``) or the folder
        (``untar``/``unzip``). Replaced only when unpacking succeeds.

    Returns
    -------
    int
        The bytes now stored at ``dest`` (file size or total of the extracted files).

    Raises
    ------
    CorruptFileError
        The delivery is damaged, holds an unsafe member, or a ``.cdf`` inside
        is not a CDF; nothing is left behind.
    DownloadError
        The cache folder cannot be written (disk full, permissions).

    Examples
    --------
    >>> f = RemoteFile(url="https://x/d.tar.gz", relpath="d", mission="m", unpack="untar",
    ...                members="*.cdf")
    >>> unpack(f, tmp / ".d.part-1", cache / "m" / "d")  # doctest: +SKIP
    20480
    """
    try:
        unpacker = UNPACKERS[f.unpack or ""]
    except KeyError:
        raise ValueError(f"{f.relpath} is not a packed delivery (unpack={f.unpack!r})") from None
    try:
        unpacker(f, delivery, dest)
    except HelioportError:
        raise
    except _DAMAGED as exc:
        raise _damaged(f, exc) from exc
    except OSError as exc:
        if exc.errno is None:  # gzip.BadGzipFile, bz2's "Invalid data stream"
            raise _damaged(f, exc) from exc
        raise DownloadError(f"cannot unpack {f.url} into {dest}: {exc}") from exc
    size = stored_size(dest) or 0
    log.debug("unpacked %s into %s (%d bytes)", f.url, dest, size)
    return size


def gunzip(f: RemoteFile, delivery: Path, dest: Path) -> None:
    """Decompress the gzip ``delivery`` into the file ``dest``."""
    with _staging(dest, folder=False) as tmp:
        with gzip.open(delivery, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        _check_cdf(f, tmp, dest.name)


def untar(f: RemoteFile, delivery: Path, dest: Path) -> None:
    """Extract the regular files of the tar ``delivery`` matching ``f.members`` into the folder ``dest``."""
    with tarfile.open(delivery, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            _check_name(f, m.name)
            if m.issym() or m.islnk():
                _refuse(f, m.name, f"is a link (to {m.linkname!r})")
            if not (m.isfile() or m.isdir()):
                _refuse(f, m.name, "is a device, fifo or other special file")
        chosen = [m for m in members if m.isfile() and _wanted(f, m.name)]
        _note_empty(f, chosen, [m.name for m in members if m.isfile()])
        with _staging(dest, folder=True) as tmp:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+, 3.12
                tar.extractall(tmp, members=chosen, filter="data")
            else:  # pragma: no cover - the checks above already refused what the filter would
                tar.extractall(tmp, members=chosen)
            for m in chosen:
                _check_cdf(f, tmp / m.name, m.name)


def unzip(f: RemoteFile, delivery: Path, dest: Path) -> None:
    """Extract the files of the zip ``delivery`` matching ``f.members`` into the folder ``dest``."""
    try:
        zf = zipfile.ZipFile(delivery)
    except (RuntimeError, NotImplementedError) as exc:
        raise _damaged(f, exc) from exc
    with zf:
        infos = zf.infolist()
        for info in infos:
            _check_name(f, info.filename)
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind == stat.S_IFLNK:
                _refuse(f, info.filename, "is a symbolic link")
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                _refuse(f, info.filename, "is a device, fifo or other special file")
        files = [i for i in infos if not i.is_dir()]
        chosen = [i for i in files if _wanted(f, i.filename)]
        _note_empty(f, chosen, [i.filename for i in files])
        with _staging(dest, folder=True) as tmp:
            for info in chosen:
                target = tmp.joinpath(*_parts(info.filename))
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out, _CHUNK)
                except (RuntimeError, NotImplementedError) as exc:  # encrypted, unknown method
                    raise _damaged(f, exc) from exc
                _check_cdf(f, target, info.filename)


UNPACKERS: dict[str, Callable[[RemoteFile, Path, Path], None]] = {
    "gunzip": gunzip,
    "untar": untar,
    "unzip": unzip,
}


# -- helpers ---------------------------------------------------------------------------
@contextmanager
def _staging(dest: Path, *, folder: bool) -> Iterator[Path]:
    """A new temporary file or folder beside ``dest``, moved onto ``dest`` when the block
    succeeds and removed in any case otherwise."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{dest.name}.unpack-"
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        _move_into_place(tmp, dest)
    finally:
        remove_tree(tmp)  # nothing there once moved


def _move_into_place(new: Path, dest: Path) -> None:
    """Rename ``new`` onto ``dest``; a previous folder (or a file where a folder goes) is
    moved aside first and removed once ``new`` is in place."""
    if not (dest.is_dir() and not dest.is_symlink()) and new.is_file():
        os.replace(new, dest)  # file onto file: atomic
        return
    if not os.path.lexists(dest):
        os.rename(new, dest)
        return
    old = dest.with_name(f".{dest.name}.old-{uuid.uuid4().hex[:12]}")
    os.rename(dest, old)
    try:
        os.rename(new, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    remove_tree(old)


def _parts(name: str) -> list[str]:
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]


def _check_name(f: RemoteFile, name: str) -> None:
    text = name.replace("\\", "/")
    if text.startswith("/") or _DRIVE.match(text):
        _refuse(f, name, "has an absolute path")
    if ".." in text.split("/"):
        _refuse(f, name, "has a '..' path part")
    if "\x00" in text:
        _refuse(f, name, "has a NUL character in its name")


def _refuse(f: RemoteFile, member: str, why: str) -> None:
    raise CorruptFileError(
        f"refusing to unpack {f.url}: its member {member!r} {why}, which could write outside "
        "the cache; nothing was extracted. Report the delivery to the archive"
    )


def _damaged(f: RemoteFile, exc: BaseException) -> CorruptFileError:
    what = {"gunzip": "gzip file", "untar": "tar archive", "unzip": "zip archive"}[f.unpack or ""]
    return CorruptFileError(
        f"{f.url} is not a readable {what} ({type(exc).__name__}: {exc}); the delivery is "
        "truncated or damaged and nothing was unpacked. Try again later or report it to the "
        "archive"
    )


def _wanted(f: RemoteFile, name: str) -> bool:
    if f.members is None:
        return True
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(base.lower(), f.members.lower())


def _note_empty(f: RemoteFile, chosen: list, names: list[str]) -> None:
    if not chosen and names:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        log.warning("no member of %s matches %r; its files are: %s", f.url, f.members or "*", shown)


def _check_cdf(f: RemoteFile, path: Path, name: str) -> None:
    """A ``.cdf`` that came out of a delivery must start like a CDF."""
    if not name.lower().endswith(".cdf"):
        return
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not looks_like("cdf", head):
        raise CorruptFileError(
            f"{name} unpacked from {f.url} does not start with the CDF magic number "
            f"(got {head[:4]!r}); nothing was unpacked. Report the delivery to the archive"
        )
