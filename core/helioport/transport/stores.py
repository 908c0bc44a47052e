"""Listings and files of folders and object stores, with only helioport errors.

Every URL that is not ``http(s)`` is read through the fsspec filesystem of its
protocol (:func:`~helioport.transport.storefs.filesystem`). The operations a
transport needs (:func:`list_folder`, :func:`file_info`, :func:`read_file`,
:func:`read_chunks`, :func:`folder_exists`) raise only helioport errors:
:class:`Transient` for what another attempt may cure (timeouts, resets, 5xx,
throttling; an unreachable endpoint with ``unreachable`` set),
:class:`ConfigError` for a missing bucket or broken credentials,
:class:`DownloadError` for a refusal (:func:`store_error`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import importlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from ..errors import ConfigError, DownloadError, HelioportError
from .listing import DirEntry, scan_folder, store_entries, url_to_path
from .retry import Transient, connection_failure, failure
from .storefs import (
    anonymous,
    bucket_of,
    described,
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
_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "TooManyRequests",
    "503",
    "500",
    "502",
    "504",
}
_TRANSIENT_TYPES = {
    "ReadTimeoutError",
    "ReadTimeout",
    "TimeoutError",
    "timeout",
    "FSTimeoutError",
    "ConnectionResetError",
    "ConnectionClosedError",
    "IncompleteRead",
    "IncompleteReadError",
    "ClientPayloadError",
    "ServerDisconnectedError",
    "ResponseParserError",
    "BrokenPipeError",
}
_UNREACHABLE_TYPES = {"EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError"}


# -- errors --------------------------------------------------------------------------
@functools.cache
def _store_errors() -> tuple[type[BaseException], ...]:
    """What fsspec backends raise: OS errors, timeouts, and botocore's and aiohttp's errors."""
    found: list[type[BaseException]] = [OSError, TimeoutError, asyncio.TimeoutError, ValueError]
    for module, names in (
        ("botocore.exceptions", ("BotoCoreError", "ClientError")),
        ("aiohttp", ("ClientError",)),
    ):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        found += [getattr(mod, n) for n in names if hasattr(mod, n)]
    return tuple(found)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [v for v in getattr(e, "kwargs", {}).values() if isinstance(v, BaseException)]


def _codes(exc: BaseException) -> tuple[set[str], int | None]:
    """The error codes (``NoSuchBucket``, ``SlowDown``) and HTTP status in ``exc``'s chain."""
    codes: set[str] = set()
    status = None
    for e in _chain(exc):
        response = getattr(e, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
            if code:
                codes.add(str(code))
            status = status or (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return codes, status


def store_error(exc: BaseException, url: str, *, what: str = "read") -> Exception:
    """What a failure of the store means: a :class:`Transient` (another try may cure it; an
    unreachable endpoint has ``unreachable`` set) or a final helioport error naming ``url``.

    ``FileNotFoundError`` is not mapped here: the callers know what a missing path means.
    """
    if isinstance(exc, (Transient, HelioportError)):
        return exc
    host = store_host(url)
    names = {type(e).__name__ for e in _chain(exc)}
    codes, status = _codes(exc)
    if "NoSuchBucket" in codes:
        return ConfigError(
            f"the bucket {bucket_of(url)!r} does not exist at {host} ({url}); check the URL "
            "(base_url= or HELIOPORT_<SOURCE>_URL) and the endpoint (AWS_ENDPOINT_URL_S3)"
        )
    if names & {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}:
        return ConfigError(
            f"cannot {what} {url}: the AWS credentials are incomplete ({exc}); set "
            "AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or remove them to read "
            "public buckets anonymously"
        )
    if names & _UNREACHABLE_TYPES or "ConnectionRefusedError" in names or "gaierror" in names:
        found = connection_failure(exc, url)
        reason = found.cause.partition(": ")[2] if found.unreachable else str(exc)
        return Transient(f"cannot reach {described(url)}: {reason}", unreachable=True)
    if codes & _TRANSIENT_CODES or (status is not None and status >= 500):
        return Transient(f"{host} answered {status or ''} {'/'.join(sorted(codes))}".strip())
    if names & _TRANSIENT_TYPES:
        return Transient(f"{type(exc).__name__} talking to {host}: {exc}")
    if isinstance(exc, PermissionError) or status in (401, 403) or "AccessDenied" in codes:
        return _refused(url, host, what)
    return failure(
        DownloadError,
        f"cannot {what} {url} ({host}): {type(exc).__name__}: {exc}",
        transient=False,
    )


def _refused(url: str, host: str, what: str) -> DownloadError:
    if is_local(url):
        return failure(
            DownloadError,
            f"cannot {what} {url}: permission denied; check the mirror folder's permissions",
            transient=False,
        )
    if not is_s3(url):
        hint = "check the credentials the backend uses and their rights on this bucket"
    elif anonymous():
        hint = (
            "no credentials were found, so the request was anonymous: set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for a private bucket"
        )
    else:
        hint = "check that the credentials in use may read this bucket"
    return failure(
        DownloadError, f"cannot {what} {url}: {host} refused access (403); {hint}", transient=False
    )


# -- operations ----------------------------------------------------------------------
def list_folder(url: str, *, timeout: float = 60.0) -> list[DirEntry] | None:
    """The entries of the folder ``url`` (the store's own listing); ``None`` when it does not exist.

    Local folders are scanned (:func:`scan_folder`: symlinked folders are
    folders, hidden names skipped); stores are listed with ``fs.ls``.
    """
    if is_local(url):
        folder = url_to_path(url)
        return scan_folder(folder, url) if folder.is_dir() else None
    fs, path = filesystem(url, timeout=timeout)
    try:
        infos = fs.ls(path, detail=True)
    except FileNotFoundError as exc:
        if "NoSuchBucket" in _codes(exc)[0]:
            raise store_error(exc, url, what="list") from None
        return None
    except _store_errors() as exc:
        raise store_error(exc, url, what="list") from exc
    return store_entries(infos, url)


def folder_exists(url: str, *, timeout: float = 60.0) -> bool:
    """Whether the folder (bucket, prefix) ``url`` exists."""
    if is_local(url):
        return url_to_path(url).is_dir()
    fs, path = filesystem(url, timeout=timeout)
    try:
        return bool(fs.isdir(path))
    except FileNotFoundError:
        return False
    except _store_errors() as exc:
        err = store_error(exc, url, what="list")
        if isinstance(err, ConfigError) and "does not exist" in str(err):
            return False
        raise err from exc


@dataclass(frozen=True)
class FileInfo:
    """What a store says of a file: its size, a tag that changes with its content, its time,
    and the backend's own description (``details``: reading with it needs no second request,
    and an object store then refuses to serve bytes of a newer content, ``If-Match``)."""

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
        if "NoSuchBucket" in _codes(exc)[0]:
            raise store_error(exc, url, what="fetch") from None
        return None
    except _store_errors() as exc:
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
        if "NoSuchBucket" in _codes(exc)[0]:
            raise store_error(exc, url) from None
        return None
    except IsADirectoryError:
        return None
    except _store_errors() as exc:
        raise store_error(exc, url) from exc


def read_chunks(url: str, *, chunk: int, info: FileInfo, timeout: float = 60.0) -> Iterator[bytes]:
    """The content of ``url`` in blocks of ``chunk`` bytes (stores: range requests of 8 MiB, each
    for the content ``info`` describes, from :func:`file_info`).

    Raises :class:`Transient` for failures worth another try (the object
    changed meanwhile among them) and a final :class:`DownloadError` when the
    file is gone or refused.
    """
    fs, path = filesystem(url, timeout=timeout)
    options: dict[str, Any] = {}
    if not is_local(url):
        options = {"block_size": _BLOCK, "cache_type": "readahead", "size": info.size}
    try:
        with fs.open(path, "rb", **options) as fh:
            if info.details and not is_local(url):
                fh.details = info.details
            while block := fh.read(chunk):
                yield block
    except FileNotFoundError:
        raise failure(
            DownloadError,
            f"{url} is no longer there ({store_host(url)}); try again to refresh the listing "
            "(a newer version may have replaced it)",
            transient=False,
        ) from None
    except _store_errors() as exc:
        if type(exc).__name__ == "FileExpired":
            raise Transient(f"{url} changed while it was read") from exc
        raise store_error(exc, url, what="fetch") from exc
