"""Listings and files of folders and object stores, with only helioport errors.

Every URL that is not ``http(s)`` is read through the fsspec filesystem of its
protocol (:func:`~helioport.transport.storefs.filesystem`). The operations a
transport needs (:func:`list_folder`, :func:`file_info`, :func:`read_file`,
:func:`read_chunks`, :func:`folder_exists`) raise only helioport errors:
:class:`Transient` for what another attempt may cure (timeouts, resets, 5xx,
throttling; an unreachable endpoint with ``unreachable`` set),
:class:`ConfigError` for a missing bucket or broken credentials,
:class:`DownloadError` for a refusal (:func:`~helioport.transport.storeerrors.store_error`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DownloadError
from .listing import DirEntry, scan_folder, store_entries, url_to_path
from .retry import Transient, failure
from .storeerrors import (
    backend_errors,
    bucket_missing,
    error_chain,
    error_codes,
    missing_file,
    store_error,
)
from .storefs import (
    filesystem,
    is_http,
    is_local,
    is_s3,
    scheme_of,
    store_host,
    store_path,
)

__all__ = [
    "FileInfo",
    "file_info",
    "filesystem",
    "folder_exists",
    "is_http",
    "is_local",
    "list_folder",
    "missing_file",
    "read_chunks",
    "read_file",
    "scheme_of",
    "store_error",
    "store_host",
    "store_path",
]

log = logging.getLogger(__name__)

#: bytes asked of an object store per range request when a file is streamed
_BLOCK = 8 * 1024 * 1024


# -- operations ----------------------------------------------------------------------
def list_folder(url: str, *, timeout: float = 60.0) -> list[DirEntry] | None:
    """The entries of the folder ``url`` (the store's own listing); ``None`` when it does not exist.

    Local folders are scanned (:func:`scan_folder`: symlinked folders are
    folders, hidden names skipped); stores are listed with ``fs.ls``.
    """
    if is_local(url):
        folder = _local_path(url)
        return scan_folder(folder, url) if folder.is_dir() else None
    fs, path = filesystem(url, timeout=timeout)
    try:
        infos = fs.ls(path, detail=True)
    except FileNotFoundError as exc:
        if bucket_missing(exc):
            raise store_error(exc, url, what="list") from None
        return None
    except backend_errors() as exc:
        raise store_error(exc, url, what="list") from exc
    return store_entries(infos, url)


def folder_exists(url: str, *, timeout: float = 60.0) -> bool:
    """Whether the folder (bucket, prefix) ``url`` exists."""
    if is_local(url):
        return _local_path(url).is_dir()
    fs, path = filesystem(url, timeout=timeout)
    try:
        return bool(fs.isdir(path))
    except FileNotFoundError:
        return False
    except backend_errors() as exc:
        err = store_error(exc, url, what="list")
        if isinstance(err, ConfigError) and "does not exist" in str(err):
            return False
        raise err from exc


def _local_path(url: str) -> Path:
    """:func:`url_to_path` of a folder URL; worked out once per URL (a warm load lists the
    same folders again), except a ``~`` path, whose meaning follows ``HOME``."""
    return url_to_path(url) if url.startswith("~") else _folder_path(url)


@functools.lru_cache(maxsize=1024)
def _folder_path(url: str) -> Path:
    return url_to_path(url)


@dataclass(frozen=True)
class FileInfo:
    """What a store says of a file: its size, a tag that changes with its content, its time,
    and the backend's own description (``details``: reading with it needs no second request).
    :func:`read_chunks` reads only the content ``tag`` names (``If-Match`` on S3, the tag
    compared again after the read elsewhere)."""

    size: int
    tag: str
    mtime: dt.datetime | None
    details: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def last_modified(self) -> str | None:
        """``mtime`` as an HTTP date."""
        return format_datetime(self.mtime, usegmt=True) if self.mtime else None


def file_info(url: str, *, timeout: float = 60.0) -> FileInfo | None:
    """Size, tag and time of the file ``url``; ``None`` when it does not exist.

    The tag is the store's ETag; a local file's is ``local-<size>-<mtime>``.
    """
    fs, path = filesystem(url, timeout=timeout)
    try:
        info = fs.info(path)
    except FileNotFoundError as exc:
        if bucket_missing(exc):
            raise store_error(exc, url, what="fetch") from None
        return None
    except backend_errors() as exc:
        raise store_error(exc, url, what="fetch") from exc
    if info.get("type") == "directory":
        return None
    entry = store_entries([info], url.rsplit("/", 1)[0] + "/")
    size = int(info.get("size") or 0)
    mtime = entry[0].mtime if entry else None
    if is_local(url):
        tag = f"local-{size}-{float(info.get('mtime') or 0.0)!r}"
    else:
        stamp = mtime.timestamp() if mtime else 0.0
        tag = entry[0].etag if entry and entry[0].etag else f"{scheme_of(url)}-{size}-{stamp!r}"
    return FileInfo(size=size, tag=tag, mtime=mtime, details=dict(info))


def read_file(url: str, *, timeout: float = 60.0) -> bytes | None:
    """The whole content of ``url`` (a small document); ``None`` when it does not exist."""
    fs, path = filesystem(url, timeout=timeout)
    try:
        return fs.cat_file(path)
    except FileNotFoundError as exc:
        if bucket_missing(exc):
            raise store_error(exc, url) from None
        return None
    except IsADirectoryError:
        return None
    except backend_errors() as exc:
        raise store_error(exc, url) from exc


def read_chunks(url: str, *, chunk: int, info: FileInfo, timeout: float = 60.0) -> Iterator[bytes]:
    """The content of ``url`` in blocks of ``chunk`` bytes (stores: range requests of 8 MiB, each
    for the content ``info`` describes, from :func:`file_info`).

    Every range request of an ``s3://`` object carries ``If-Match: <info.tag>``,
    so an object replaced while it is read is refused by the store instead of
    giving a file of two contents; other stores' tags are compared again after
    the last block.

    Raises :class:`Transient` for failures worth another try (the object
    changed or shrank meanwhile among them: the next attempt asks
    :func:`file_info` again) and a final :class:`DownloadError` when the file
    is gone or refused.
    """
    fs, path = filesystem(url, timeout=timeout)
    options: dict[str, Any] = {}
    if not is_local(url):
        options = {"block_size": _BLOCK, "cache_type": "readahead", "size": info.size}
    try:
        with fs.open(path, "rb", **options) as fh:
            if info.details and not is_local(url):
                fh.details = info.details
            _pin(fh, url, info)
            while block := fh.read(chunk):
                yield block
        if not is_s3(url) and not is_local(url):
            _check_unchanged(url, info, timeout)
    except FileNotFoundError:
        raise failure(
            DownloadError,
            f"{url} is no longer there ({store_host(url)}); try again to refresh the listing "
            "(a newer version may have replaced it)",
            transient=False,
        ) from None
    except backend_errors() as exc:
        if type(exc).__name__ == "FileExpired" or _beyond_end(exc):
            raise Transient(f"{url} changed while it was read") from exc
        raise store_error(exc, url, what="fetch") from exc


def _pin(fh: Any, url: str, info: FileInfo) -> None:
    """Make every range request of the s3fs file ``fh`` conditional on ``info``'s ETag.

    s3fs adds ``IfMatch`` itself only when it asks for the object's details,
    which passing ``size`` skips; a refused request raises ``FileExpired``.
    """
    etag = info.details.get("ETag") or (info.tag if info.tag.startswith('"') else None)
    if is_s3(url) and etag and isinstance(getattr(fh, "read_kw", None), dict):
        fh.read_kw = {**fh.read_kw, "IfMatch": etag}


def _check_unchanged(url: str, info: FileInfo, timeout: float) -> None:
    """Raise :class:`Transient` when the store's tag of ``url`` is no longer ``info.tag``."""
    now = file_info(url, timeout=timeout)
    if now is None or now.tag != info.tag:
        raise Transient(f"{url} changed while it was read")


def _beyond_end(exc: BaseException) -> bool:
    """Whether ``exc`` says a range lies past the object's end (it shrank while being read)."""
    codes, status = error_codes(exc)
    text = " ".join(str(e) for e in error_chain(exc)).lower()
    return status == 416 or "InvalidRange" in codes or "range is not satisfiable" in text
