"""One download attempt of one file, written atomically and verified.

:func:`http_attempt` streams an ``http(s)`` URL with a plain
:class:`requests.Session` (files never go to the listing cache);
:func:`fs_attempt` copies from every other URL (a folder mirror, ``file://``,
``s3://``, ``gs://``, ``az://``) through fsspec (:mod:`.stores`). Both write to ``.{name}.part-<random>`` next to the destination,
verify (size, and first bytes against what was declared: :func:`verify_head`),
then hand the temporary file to ``place`` (``os.replace`` by default; the
unpacking of a packed delivery, :func:`helioport.transport.unpack.unpack`);
the temporary file is removed in ``finally`` on any failure, including
``KeyboardInterrupt``. Retrying is the caller's job
(:mod:`helioport.transport.retry`).
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import CorruptFileError, DownloadError
from ..magic import looks_like
from ..schema import RemoteFile, Unpack
from . import stores
from .listing import url_name, url_to_path
from .retry import Cancelled, Transient, connection_failure, failure, parse_retry_after

if TYPE_CHECKING:  # imported when a file is first downloaded over HTTP (import cost)
    import requests
    import urllib3

__all__ = [
    "CHUNK",
    "Outcome",
    "Pace",
    "Place",
    "first_line",
    "fs_attempt",
    "http_attempt",
    "pace_hook",
    "replace_file",
    "size_matches",
    "verify_head",
]

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
HEAD = 4096  # first bytes kept for the checks and to quote a page sent instead of data
_HTML_NAMES = (".html", ".htm", ".xml", ".xhtml")
Progress = Callable[[int], None]
#: ``place(temporary, dest) -> bytes stored``: what to do with a verified download.
Place = Callable[[Path, Path], int]

# declared kind -> (what it is called, the magic.looks_like kind)
_DECLARED: dict[str, tuple[str, str]] = {
    "gunzip": ("gzip data", "gzip"),
    "untar": ("a tar archive", "compressed_tar"),
    "unzip": ("a zip archive", "zip"),
}
# file name ending -> (what it is called, the magic.looks_like kind)
_BY_NAME: tuple[tuple[tuple[str, ...], str, str], ...] = (
    ((".cdf",), "a CDF file", "cdf"),
    ((".gz", ".tgz"), "gzip data", "gzip"),
    ((".zip",), "a zip archive", "zip"),
    ((".tar",), "a tar archive", "tar"),
    ((".bz2", ".tbz2"), "bzip2 data", "bzip2"),
    ((".xz", ".txz"), "xz data", "xz"),
)
_SKIP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*(?:>|$)")  # a tag, or one cut off at the end


@dataclass(frozen=True)
class Outcome:
    """What one successful attempt did: wrote a new file or found it unchanged (304)."""

    modified: bool
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None


class Pace:
    """Cuts a download slower than ``min_speed`` bytes/s over any ``window`` seconds.

    A server that sends its headers and then a byte every few seconds never
    trips a socket timeout (each wait for bytes is short); this does. Call
    :meth:`check` with the bytes received so far each time bytes arrive: it
    raises :class:`Transient` when the last full ``window`` brought fewer than
    ``min_speed * window`` bytes. ``min_speed=0`` never cuts.

    Examples
    --------
    >>> clock = iter([0.0, 11.0]).__next__
    >>> pace = Pace(100, 10, clock=clock)
    >>> pace.check(50)
    Traceback (most recent call last):
    ...
    helioport.transport.retry.Transient: too slow: 50 bytes in the last 11 s (5 B/s), below min_speed=100 B/s over speed_window=10 s
    """

    def __init__(
        self, min_speed: float, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.min_speed, self.window, self.clock = float(min_speed), float(window), clock
        self.mark_t, self.mark_n = clock(), 0

    def check(self, received: int) -> None:
        if self.min_speed <= 0:
            return
        now = self.clock()
        span = now - self.mark_t
        if span < self.window:
            return
        got = received - self.mark_n
        if got < self.min_speed * span:
            raise Transient(
                f"too slow: {got} bytes in the last {span:.0f} s ({got / span:.0f} B/s), below "
                f"min_speed={self.min_speed:.0f} B/s over speed_window={self.window:g} s"
            )
        self.mark_t, self.mark_n = now, received


def _paced(raw: urllib3.BaseHTTPResponse, pace: Pace) -> Iterable[bytes]:
    """The body of a streamed response as it arrives (one read of the socket per chunk, so
    :class:`Pace` sees every byte), checked against ``pace``."""
    read = getattr(raw, "read1", None) or raw.read
    received = 0
    while True:
        chunk = read(CHUNK, decode_content=False)
        if not chunk:
            return
        received += len(chunk)
        pace.check(received)
        yield chunk


def pace_hook(min_speed: float, window: float) -> Callable[..., requests.Response]:
    """A requests ``response`` hook that reads the body through :class:`Pace`.

    For requests that are not streamed by helioport itself (listings and API
    answers, read whole by requests and requests-cache): the hook runs before
    the body is read, and makes that reading stop with :class:`Transient` when
    it is slower than ``min_speed`` bytes/s over ``window`` seconds.

    Examples
    --------
    >>> session.get(url, hooks={"response": pace_hook(1024, 30)})  # doctest: +SKIP
    """

    def hook(resp: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        raw = resp.raw
        read1 = getattr(raw, "read1", None)
        if read1 is None or min_speed <= 0:
            return resp

        def stream(amt: int = CHUNK, decode_content: bool | None = None) -> Iterable[bytes]:
            pace, received = Pace(min_speed, window), 0
            while True:
                chunk = read1(amt, decode_content=decode_content)
                if not chunk:
                    return
                received += len(chunk)
                pace.check(received)
                yield chunk

        raw.stream = stream
        return resp

    return hook


def size_matches(expected: int, actual: int) -> bool:
    """Whether ``actual`` bytes agree with a listing's ``expected`` size.

    Exact below 1 KiB; above, listings often abbreviate (``1.2M``, ``36M``), so
    the sizes must agree to the precision such a figure carries (one unit's
    tenth below ten units, one unit above).

    Examples
    --------
    >>> size_matches(1258291, 1250000), size_matches(1258291, 629145), size_matches(12, 11)
    (True, False, False)
    """
    if expected == actual:
        return True
    for unit in (1024**4, 1024**3, 1024**2, 1024):
        if expected >= unit:
            tolerance = 0.1 * unit if expected < 10 * unit else unit
            return abs(actual - expected) <= tolerance
    return False


def first_line(page: bytes, limit: int = 200) -> str | None:
    """The first non-empty line of text of an HTML or text ``page`` (tags, scripts and
    comments removed, entities decoded, spaces collapsed), cut to ``limit`` characters;
    ``None`` when ``page`` is binary or has no text.

    Examples
    --------
    >>> first_line(b"<!DOCTYPE html>\\n<html><head><title>Error - Archive</title></head>")
    'Error - Archive'
    >>> first_line(b"\\x1f\\x8b\\x08\\x00") is None
    True
    """
    if any(b < 9 or 13 < b < 32 or b == 127 for b in page[:512]):
        return None
    text = _TAG.sub("\n", _SKIP.sub("", page.decode("utf-8", errors="replace")))
    for line in html.unescape(text).splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return None


def _quoted(page: bytes) -> str:
    line = first_line(page)
    return f': "{line}"' if line else ""


def verify_head(name: str, head: bytes, unpack: Unpack | None = None) -> str | None:
    """Why the first bytes of a download show it is not what was declared, or ``None``.

    What is expected comes from ``unpack`` when the file is a packed delivery
    (gzip data, a tar archive plain or compressed, a zip archive), else from
    ``name`` (a ``.cdf`` starts with a CDF magic number, ``.gz`` with gzip's...).
    An HTML page, or a text page where binary data is expected, is quoted
    (its first line of text).

    Examples
    --------
    >>> verify_head("a.cdf", b"\\xcd\\xf3\\x00\\x01rest") is None
    True
    >>> verify_head("a.cdf", b"<!DOCTYPE html><html>")
    'the body is an HTML page, not a.cdf'
    >>> verify_head("d.tar.gz", b"<html><title>No such file</title>", unpack="untar")
    'the body is an HTML page, not d.tar.gz: "No such file"'
    >>> verify_head("d", b"Error 500: archive offline", unpack="unzip")
    'd is not a zip archive (got b\\'Error 50\\'); it is a text page: "Error 500: archive offline"'
    """
    lower = name.lower()
    page = head[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))
    if page and (unpack or not lower.endswith(_HTML_NAMES)):
        return f"the body is an HTML page, not {name}{_quoted(head)}"
    if unpack is not None:
        what, kind = _DECLARED[unpack]
    else:
        expected = [(w, k) for ends, w, k in _BY_NAME if lower.endswith(ends)]
        if not expected:
            return None
        what, kind = expected[0]
    if looks_like(kind, head):
        return None
    if kind == "cdf":
        problem = f"{name} does not start with the CDF magic number (got {head[:4]!r})"
    else:
        problem = f"{name} is not {what} (got {head[:8]!r})"
    line = first_line(head)
    return f'{problem}; it is a text page: "{line}"' if line else problem


def _delivery_name(f: RemoteFile) -> str:
    """What is downloaded: the file, or for a packed delivery the packed file the URL names."""
    return f.name if f.unpack is None else (url_name(f.url) or f.name)


def replace_file(tmp: Path, dest: Path) -> int:
    """The default :data:`Place`: rename the download onto ``dest``; return its size."""
    os.replace(tmp, dest)
    return dest.stat().st_size


def _write_chunk(fh: IO[bytes], chunk: bytes) -> None:
    """Write one chunk (a separate function so tests can interrupt a download here)."""
    fh.write(chunk)


def _stream_to(
    dest: Path,
    chunks: Iterable[bytes],
    f: RemoteFile,
    *,
    expected: int | None,
    progress: Progress | None,
    cancel: threading.Event | None,
    place: Place,
) -> int:
    """Write ``chunks`` to a temporary file beside ``dest``, verify, ``place`` it; return the
    bytes stored."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.part-", dir=dest.parent)
    received = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f.url)
                if not chunk:
                    continue
                if len(head) < HEAD:
                    head += chunk[: HEAD - len(head)]
                _write_chunk(fh, chunk)
                received += len(chunk)
                if progress:
                    progress(len(chunk))
        if expected is not None and received != expected:
            raise Transient(
                f"truncated body: received {received} of {expected} bytes",
                error_cls=CorruptFileError,
            )
        if f.size is not None and not size_matches(f.size, received):
            raise Transient(
                f"received {received} bytes but the listing says {f.size}",
                error_cls=CorruptFileError,
            )
        problem = verify_head(_delivery_name(f), head, f.unpack)
        if problem and first_line(head) is not None:
            # the server answered a page (an error text) instead of the file: asking again
            # at once gets the same page, so it is final (a cached copy may still stand in)
            raise failure(CorruptFileError, f"{f.url}: {problem}", transient=True)
        if problem:
            raise Transient(problem, error_cls=CorruptFileError)
        return place(Path(tmp), dest)
    except BaseException:
        if progress and received:
            progress(-received)
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def http_attempt(
    session: requests.Session,
    f: RemoteFile,
    dest: Path,
    *,
    timeout: float,
    etag: str | None = None,
    last_modified: str | None = None,
    auth: tuple[str, str] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    place: Place = replace_file,
    min_speed: float = 0.0,
    speed_window: float = 30.0,
) -> Outcome:
    """One GET of ``f.url`` into ``dest``; conditional when ``etag``/``last_modified`` are given.

    ``place`` puts the verified download at ``dest`` (default: rename it there).
    ``timeout`` bounds the connection and each wait for bytes; a body arriving
    slower than ``min_speed`` bytes/s over ``speed_window`` seconds is cut
    (:class:`Pace`), so no server keeps a download going for ever.
    Raises :class:`Transient` for retryable failures and :class:`DownloadError`
    for final ones (404, 403, other 4xx, an unsafe delivery).
    """
    import requests
    import urllib3

    headers = {"Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        resp = session.get(f.url, headers=headers, stream=True, timeout=timeout, auth=auth)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise connection_failure(exc, f.url) from exc
    except requests.TooManyRedirects as exc:
        raise failure(
            DownloadError,
            f"cannot fetch {f.url}: it redirects in a loop ({exc}); the server or the mirror "
            "setting is misconfigured: check the URL (base_url= or HELIOPORT_<SOURCE>_URL)",
            transient=False,
        ) from exc
    except requests.RequestException as exc:
        raise failure(DownloadError, f"cannot fetch {f.url}: {exc}", transient=False) from exc
    with resp:
        status = resp.status_code
        if status == 304 and (etag or last_modified):
            return Outcome(
                modified=False,
                etag=resp.headers.get("ETag") or etag,
                last_modified=resp.headers.get("Last-Modified") or last_modified,
            )
        if status in (429, 503):
            wait = parse_retry_after(resp.headers.get("Retry-After"))
            raise Transient(f"HTTP {status} {resp.reason}", retry_after=wait)
        if status >= 500:
            raise Transient(f"HTTP {status} {resp.reason}")
        if status == 404 or status == 410:
            raise stores.missing_file(
                f"{f.url} answered {status} {resp.reason}: the archive no longer has {f.name}; "
                "try again to refresh the listing (a newer version may have replaced it)"
            )
        if status in (401, 403):
            raise failure(
                DownloadError,
                f"{f.url} answered {status} {resp.reason}: access to {f.name} is refused; "
                "check the archive's access rules or credentials",
                transient=False,
            )
        if status != 200:
            raise failure(
                DownloadError, f"{f.url} answered HTTP {status} {resp.reason}", transient=False
            )
        ctype = resp.headers.get("Content-Type", "").lower()
        if "text/html" in ctype and (f.unpack or not f.name.lower().endswith(_HTML_NAMES)):
            try:
                page = resp.raw.read(HEAD, decode_content=True)
            except (urllib3.exceptions.HTTPError, OSError):
                page = b""
            raise failure(
                CorruptFileError,
                f"{f.url}: the server sent an HTML page (Content-Type {ctype}) instead of "
                f"{_delivery_name(f)}{_quoted(page)}",
                transient=True,
            )
        length = resp.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        try:
            size = _stream_to(
                dest,
                _paced(resp.raw, Pace(min_speed, speed_window)),
                f,
                expected=expected,
                progress=progress,
                cancel=cancel,
                place=place,
            )
        except (urllib3.exceptions.HTTPError, requests.RequestException, ConnectionError) as exc:
            raise Transient(f"connection broken while reading the body: {exc}") from exc
        # an OSError from writing the cache passes: the fetch names the cache folder
        return Outcome(
            modified=True,
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
            size=size,
        )


def fs_attempt(
    f: RemoteFile,
    dest: Path,
    *,
    etag: str | None = None,
    timeout: float = 60.0,
    min_speed: float = 0.0,
    speed_window: float = 30.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    place: Place = replace_file,
) -> Outcome:
    """Copy ``f.url`` (a folder path, ``file://``, ``s3://``, ``gs://``, ``az://``) into ``dest``
    through fsspec, then ``place`` it.

    The store's tag of the file (an object store's ETag; a local file's size
    and modification time, ``local-<size>-<mtime>``) is compared with
    ``etag``, the cached copy's: when they are equal nothing is copied
    (``modified=False``). A store's body arriving slower than ``min_speed``
    bytes/s over ``speed_window`` seconds is cut (:class:`Pace`). Raises
    :class:`Transient` for retryable failures and :class:`DownloadError` for
    final ones (no such file, access refused).
    """
    info = stores.file_info(f.url, timeout=timeout)
    if info is None:
        where = (
            f"the mirror has no file {url_to_path(f.url)}"
            if stores.is_local(f.url)
            else f"{stores.store_host(f.url)} has no object {f.url}"
        )
        raise stores.missing_file(
            f"{where} ({f.url}); check the mirror's layout or refresh the listing"
        )
    if etag == info.tag:
        return Outcome(modified=False, etag=info.tag, last_modified=info.last_modified)
    chunks: Iterable[bytes] = stores.read_chunks(f.url, chunk=CHUNK, info=info, timeout=timeout)
    if not stores.is_local(f.url):
        chunks = _checked(chunks, Pace(min_speed, speed_window))
    size = _stream_to(
        dest, chunks, f, expected=info.size, progress=progress, cancel=cancel, place=place
    )
    # an OSError from writing the cache passes: the fetch names the cache folder
    return Outcome(modified=True, etag=info.tag, last_modified=info.last_modified, size=size)


def _checked(chunks: Iterable[bytes], pace: Pace) -> Iterator[bytes]:
    """``chunks`` as they arrive, checked against ``pace``."""
    received = 0
    for chunk in chunks:
        received += len(chunk)
        pace.check(received)
        yield chunk
