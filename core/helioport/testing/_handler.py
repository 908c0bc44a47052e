"""The HTTP request handler behind :class:`helioport.testing.server.ArchiveServer`.

Everything about answering one request lives here: path decoding and
confinement to the root, files with ETag/Last-Modified/304/Range, Apache-style
folder indexes, the APIs mounted under a URL prefix and the injected faults.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import os
import socket
import stat
import struct
import sys
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from ._apache import IndexEntry, content_type, error_page, parse_sort, render_index
from ._records import ApiHandler, ApiRequest, ApiResponse, Fault, LoggedRequest

if TYPE_CHECKING:
    from .server import ArchiveServer

__all__ = ["SERVER_SOFTWARE", "ArchiveHTTPServer", "RequestHandler", "is_inside"]

logger = logging.getLogger("helioport.testing.server")

SERVER_SOFTWARE = "Apache/2.4 (helioport.testing)"
_CHUNK = 64 * 1024
_HTML_ERROR_TYPE = "text/html; charset=iso-8859-1"

#: Body of an ``html_200`` fault: the kind of page a portal or proxy answers
#: with status 200 instead of the data (the CSA does this).
DEFAULT_HTML_200_BODY = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Error - Archive</title></head>
<body>
<h1>Service temporarily unavailable</h1>
<p>The archive could not process your request at this time.
Please try again later or contact the helpdesk.</p>
</body>
</html>
"""


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    file: Path | None = None
    offset: int = 0
    length: int = 0


class _Unsatisfiable(Exception):
    pass


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def _parse_http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _file_etag(st: os.stat_result, path: Path) -> str:
    ident = st.st_ino or zlib.crc32(os.fsencode(path))
    return f'"{ident:x}-{st.st_size:x}-{st.st_mtime_ns // 1000:x}"'


def _etag_listed(header: str, etag: str) -> bool:
    """``If-None-Match`` weak comparison of ``etag`` against a header value."""
    if header.strip() == "*":
        return True
    target = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == target for tag in header.split(","))


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """Parse a single ``bytes=`` range; ``None`` means "ignore the header"."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # other units / multipart ranges: a full 200 is allowed
    first, dash, last = spec.strip().partition("-")
    if not dash or (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _Unsatisfiable
    return start, min(end, size - 1)


def is_inside(real: str, real_root: str) -> bool:
    """Whether the resolved path ``real`` is ``real_root`` or below it."""
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _url_segments(raw_path: str) -> list[str] | None:
    """Decode a URL path into safe segments; ``None`` when it must be refused."""
    segments = []
    for raw in raw_path.split("/"):
        try:
            seg = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        if seg in ("", "."):
            continue
        if seg == ".." or any(c in seg for c in "/\\\x00") or os.path.isabs(seg):
            return None
        if os.name == "nt" and ":" in seg:
            return None
        segments.append(seg)
    return segments


class ArchiveHTTPServer(ThreadingHTTPServer):
    """The threading HTTP server behind an :class:`ArchiveServer` (``archive``)."""

    daemon_threads = True
    block_on_close = False  # never wait for idle keep-alive connections on close

    def __init__(self, address: tuple[str, int], archive: ArchiveServer) -> None:
        self.archive = archive
        super().__init__(address, RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            logger.debug("connection from %s dropped: %s", client_address, exc)
        else:
            logger.exception("error while serving %s", client_address)


class RequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for ``server.archive``."""

    protocol_version = "HTTP/1.1"
    server_version = SERVER_SOFTWARE
    timeout = 30  # idle keep-alive connections end after this
    server: ArchiveHTTPServer

    # -- plumbing ---------------------------------------------------------------
    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def setup(self) -> None:
        super().setup()
        self.server.archive._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.archive._track(self.connection, add=False)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as exc:  # BrokenPipe, ConnectionReset...
            logger.debug("client %s went away: %s", self.client_address, exc)
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # -- request flow -----------------------------------------------------------
    def _serve(self) -> None:
        archive = self.server.archive
        split = urlsplit(self.path)
        raw_path = split.path or "/"
        decoded = unquote(raw_path, errors="replace")
        self._sent = 0
        responding = False
        status = 0
        sent_headers: dict[str, str] = {}
        try:
            fault = archive._take_fault(decoded)
            truncate: float | None = None
            drip: tuple[float, int] | None = None
            response: _Response | None = None
            if fault is not None:
                if fault.kind == "reset":
                    archive._begin_response()
                    responding = True
                    self._reset()
                    return
                if fault.kind == "slow":
                    if archive._stopping.wait(float(fault.opts.get("delay", 1.0))):
                        self.close_connection = True
                        return
                elif fault.kind == "truncate":
                    truncate = float(fault.opts.get("fraction", 0.5))
                elif fault.kind == "drip":
                    drip = (float(fault.opts.get("interval", 5.0)), int(fault.opts.get("size", 1)))
                else:
                    response = self._fault_response(fault)
            if response is None:
                try:
                    response = self._route(raw_path, split.query)
                except OSError as exc:  # file vanished between checks, permissions...
                    logger.debug("cannot serve %s: %s", raw_path, exc)
                    response = self._html_error(404)
                except Exception:
                    logger.exception("internal error serving %s", self.path)
                    response = self._html_error(500)
            if self.command not in ("GET", "HEAD"):
                self.close_connection = True  # request bodies are never read
            status, sent_headers = response.status, dict(response.headers)
            archive._begin_response()
            responding = True
            self._send(response, truncate, drip)
        finally:
            archive._record(
                LoggedRequest(
                    method=self.command,
                    path=decoded,
                    query=dict(parse_qsl(split.query, keep_blank_values=True)),
                    status=status,
                    headers=dict(self.headers.items()),
                    bytes_sent=self._sent,
                    response_headers=sent_headers,
                ),
                responding=responding,
            )

    def _send(
        self, response: _Response, truncate: float | None, drip: tuple[float, int] | None = None
    ) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD" or response.status in (204, 304):
            return
        length = response.length if response.file is not None else len(response.body)
        limit = length if truncate is None else int(length * truncate)
        if response.file is None:
            self._write(response.body[:limit], drip)
        else:
            with open(response.file, "rb") as fh:
                fh.seek(response.offset)
                while self._sent < limit:
                    chunk = fh.read(min(_CHUNK, limit - self._sent))
                    if not chunk or not self._write(chunk, drip):
                        break
        if self._sent < length:  # truncated on purpose, cut by stop(), or the file shrank
            self.wfile.flush()
            self.close_connection = True

    def _write(self, data: bytes, drip: tuple[float, int] | None) -> bool:
        """Send ``data``, all at once or (``drip``) ``size`` bytes every ``interval`` seconds;
        ``False`` when the server stopped meanwhile."""
        if drip is None:
            self.wfile.write(data)
            self._sent += len(data)
            return True
        interval, size = drip
        for i in range(0, len(data), max(size, 1)):
            if i and self.server.archive._stopping.wait(interval):
                return False
            piece = data[i : i + max(size, 1)]
            self.wfile.write(piece)
            self.wfile.flush()
            self._sent += len(piece)
        return True

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, answering nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    # -- responses ----------------------------------------------------------------
    def _address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{SERVER_SOFTWARE} Server at {host} Port {port}"

    def _body(
        self, status: int, body: bytes | str, ctype: str, headers: Mapping[str, str] | None = None
    ) -> _Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = {"Content-Type": ctype, "Content-Length": str(len(data))}
        hdrs.update(headers or {})
        return _Response(status, hdrs, body=data)

    def _html_error(self, status: int, **headers: str) -> _Response:
        page = error_page(status, location=headers.get("Location", ""), address=self._address())
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        return self._body(status, page, _HTML_ERROR_TYPE, hdrs)

    def _fault_response(self, fault: Fault) -> _Response:
        opts = fault.opts
        if fault.kind == "status":
            status = int(opts.get("status", 500))
            if "body" in opts:
                return self._body(status, opts["body"], "text/html; charset=utf-8")
            return self._html_error(status)
        if fault.kind == "retry_after":
            status = int(opts.get("status", 429))
            seconds = float(opts.get("seconds", 1))
            if opts.get("http_date"):
                value = _http_date(time.time() + seconds)
            else:
                value = str(int(seconds))
            return self._html_error(status, Retry_After=value)
        if fault.kind == "redirect_loop":  # a redirect to the very URL asked
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            return self._html_error(302, Location=f"http://{host}{self.path}")
        # html_200
        return self._body(200, opts.get("body", DEFAULT_HTML_200_BODY), "text/html; charset=utf-8")

    def _not_modified(self, etag: str, mtime: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return _etag_listed(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            since = _parse_http_date(ims)
            return since is not None and int(mtime) <= since
        return False

    def _range_allowed(self, etag: str, mtime: float) -> bool:
        if_range = self.headers.get("If-Range")
        if if_range is None:
            return True
        if_range = if_range.strip()
        if if_range.startswith(('"', "W/")):
            return if_range == etag  # strong comparison
        when = _parse_http_date(if_range)
        return when is not None and int(when) == int(mtime)

    def _file(self, path: Path, name: str, extra: Mapping[str, str] | None = None) -> _Response:
        st = path.stat()
        etag = _file_etag(st, path)
        headers = {
            "Last-Modified": _http_date(st.st_mtime),
            "ETag": etag,
            "Accept-Ranges": "bytes",
        }
        if self._not_modified(etag, st.st_mtime):
            return _Response(304, headers)
        headers["Content-Type"] = content_type(name)
        headers.update(extra or {})
        size = st.st_size
        range_header = self.headers.get("Range")
        if range_header is not None and self._range_allowed(etag, st.st_mtime):
            try:
                span = _parse_range(range_header, size)
            except _Unsatisfiable:
                return self._html_error(416, Content_Range=f"bytes */{size}")
            if span is not None:
                start, end = span
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
                headers["Content-Length"] = str(end - start + 1)
                return _Response(206, headers, file=path, offset=start, length=end - start + 1)
        headers["Content-Length"] = str(size)
        return _Response(200, headers, file=path, length=size)

    def _index(self, folder: str, url_path: str, query: str) -> _Response:
        real_root = self.server.archive._real_root
        entries: list[IndexEntry] = []
        digest = hashlib.sha1(usedforsecurity=False)
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                try:
                    st = entry.stat()
                except OSError:  # broken symlink
                    continue
                if entry.is_symlink() and not is_inside(os.path.realpath(entry.path), real_root):
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                entries.append(IndexEntry(entry.name, is_dir, st.st_size, st.st_mtime))
                digest.update(f"{entry.name}\0{is_dir}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        entries.sort(key=lambda e: e.name)
        sort = parse_sort(query)
        digest.update(f"{url_path}\0{sort}\0{self._address()}".encode())
        etag = f'"{digest.hexdigest()[:24]}"'
        mtime = max([os.stat(folder).st_mtime] + [e.mtime for e in entries])
        headers = {"Last-Modified": _http_date(mtime), "ETag": etag}
        if self._not_modified(etag, mtime):
            return _Response(304, headers)
        page = render_index(url_path, entries, sort=sort, address=self._address())
        return self._body(200, page, "text/html;charset=UTF-8", headers)

    # -- routing ------------------------------------------------------------------
    def _route(self, raw_path: str, query: str) -> _Response:
        archive = self.server.archive
        if self.command not in ("GET", "HEAD"):
            return self._html_error(405, Allow="GET, HEAD")
        segments = _url_segments(raw_path)
        if segments is None:
            return self._html_error(404)
        rel = "/".join(segments)
        mounted = archive.api_for(rel)
        if mounted is not None:
            prefix, api = mounted
            return self._api(api, rel[len(prefix) :].strip("/"), query)
        target = archive.root.joinpath(*segments)
        real = os.path.realpath(target)
        if not is_inside(real, archive._real_root):
            return self._html_error(403)
        if os.path.isdir(real):
            if not raw_path.endswith("/"):
                host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
                location = f"http://{host}{raw_path}/" + (f"?{query}" if query else "")
                return self._html_error(301, Location=location)
            return self._index(real, "/" + rel + ("/" if rel else ""), query)
        if os.path.isfile(real) and not raw_path.endswith("/"):
            return self._file(Path(real), target.name)
        return self._html_error(404)

    def _api(self, api: ApiHandler, path: str, query: str) -> _Response:
        request = ApiRequest(
            method=self.command,
            path=path,
            query=parse_qs(query),
            headers=dict(self.headers.items()),
        )
        answer: ApiResponse = api(request)
        if answer.file is not None:
            return self._file(answer.file, answer.file.name, answer.headers)
        if answer.status != 200:
            return self._body(answer.status, answer.body, answer.content_type, answer.headers)
        etag = f'"{hashlib.sha1(answer.body, usedforsecurity=False).hexdigest()[:24]}"'
        inm = self.headers.get("If-None-Match")
        if inm is not None and _etag_listed(inm, etag):
            return _Response(304, {"ETag": etag})
        return self._body(200, answer.body, answer.content_type, {"ETag": etag, **answer.headers})
