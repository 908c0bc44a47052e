"""A local archive server for tests and the offline demo.

:class:`ArchiveServer` serves a folder over HTTP on 127.0.0.1 the way the real
archives do (Apache at SPDF/Berkeley/UCalgary), and can inject the faults
those servers show in practice::

    with ArchiveServer(tmp_path) as server:
        server.add_fault("*.cdf", "retry_after", seconds=2)
        requests.get(server.url_for("mms1/fgm/brst/l2/.../x.cdf"))   # 429
        requests.get(server.url_for("mms1/fgm/brst/l2/.../x.cdf"))   # 200
        assert [r.status for r in server.log] == [429, 200]

A web-service API (a plugin's emulation of its archive's JSON API, such as
the MMS SDC's in ``helioport_mms.sdc_server``) is mounted under a URL prefix:
an :data:`ApiHandler` is a callable taking an :class:`ApiRequest` and
answering an :class:`ApiResponse`; the server does the HTTP around it (ETag
and ``304`` for bodies, ``Range`` for files, faults, the log)::

    def api(request: ApiRequest) -> ApiResponse:
        return ApiResponse.json({"files": [], "asked": request.query})

    with ArchiveServer(tmp_path, apis={"api/v1/": api}) as server:
        requests.get(server.api_url("api/v1/") + "file_info?sc_id=mms1").json()

Behaviour of a plain file or folder URL:

* files: ``Content-Length``, ``Last-Modified``, a strong ``ETag``,
  ``Accept-Ranges: bytes``; ``If-None-Match`` / ``If-Modified-Since`` give 304;
  ``Range: bytes=a-b | a- | -n`` gives 206 (416 when unsatisfiable), honouring
  ``If-Range``; ``Content-Type`` by extension.
* folders: an Apache 2.4 ``mod_autoindex`` table listing with its own ETag and
  Last-Modified (derived from the entries' names, sizes and mtimes) and 304s;
  a folder URL without trailing slash is redirected (301).
* paths are percent-decoded (``%2B`` is ``+``); ``..``, encoded ``%2e%2e``,
  encoded slashes and NUL give 404, symlinks leading out of the root give 403.

A mounted API takes precedence over the files under its prefix (the longest
matching prefix wins). Run ``python -m helioport.testing.server ROOT [--port N]``
to serve a folder from the command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._handler import ArchiveHTTPServer, is_inside
from ._records import FAULT_KINDS, ApiHandler, ApiRequest, ApiResponse, Fault, LoggedRequest

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "FAULT_KINDS",
    "ApiHandler",
    "ApiRequest",
    "ApiResponse",
    "ArchiveServer",
    "Fault",
    "LoggedRequest",
    "main",
    "serve_forever",
]

logger = logging.getLogger(__name__)

_SETTLE_TIMEOUT = 2.0


def _normalise_prefix(prefix: str) -> str:
    stripped = prefix.strip("/")
    if not stripped:
        raise ValueError("an API prefix must not be empty: the root serves the archive's files")
    return stripped + "/"


class ArchiveServer:
    """Serve a folder over HTTP on 127.0.0.1 like a real data archive.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to serve; URL ``/a/b.cdf`` is ``root/a/b.cdf``.
    port : int
        TCP port; 0 picks a free one.
    host : str
        Address to bind; keep the default loopback address.
    apis : mapping of str to ApiHandler, optional
        Web-service APIs to mount, by URL prefix (see :meth:`mount`).

    Attributes
    ----------
    root : pathlib.Path
        The served folder (resolved).
    port : int or None
        Bound port once started.

    Examples
    --------
    >>> with ArchiveServer(tmp_path) as server:              # doctest: +SKIP
    ...     requests.get(server.url_for("omni/omni2_2010.dat"))
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        apis: Mapping[str, ApiHandler] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"archive root is not a folder: {root}")
        self.host = host
        self.port: int | None = None
        self._requested_port = port
        self._real_root = os.path.realpath(self.root)
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._responding = 0  # requests whose answer has started but is not logged yet
        self._log: list[LoggedRequest] = []
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: ArchiveHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._apis: dict[str, ApiHandler] = {}
        for prefix, api in (apis or {}).items():
            self.mount(prefix, api)

    # -- life cycle -----------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns ``self``. No-op if running."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = ArchiveHTTPServer((self.host, self._requested_port), self)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ArchiveServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.debug("serving %s at %s", self.root, self.url)
        return self

    def stop(self) -> None:
        """Stop serving promptly: close the listener and every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes "slow" faults
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        logger.debug("stopped server on port %s", self.port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._httpd is not None

    # -- URLs and files ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT/`` (ends in ``/``)."""
        if self.port is None:
            raise RuntimeError("ArchiveServer is not started")
        return f"http://{self.host}:{self.port}/"

    # -- mounted APIs ----------------------------------------------------------------
    def mount(self, prefix: str, api: ApiHandler) -> None:
        """Answer every request under the URL ``prefix`` with ``api`` (before or while running).

        Parameters
        ----------
        prefix : str
            URL path prefix, e.g. ``"mms/sdc/public/files/api/v1/"`` (surrounding
            slashes optional). Requests below it go to ``api``, never to the
            files of the root; the longest matching prefix wins.
        api : ApiHandler
            Called with an :class:`ApiRequest` whose ``path`` is the rest of the
            URL path below the prefix; answers an :class:`ApiResponse`.

        Raises
        ------
        ValueError
            An empty prefix.

        Examples
        --------
        >>> server.mount("api/", lambda req: ApiResponse.json({"path": req.path}))  # doctest: +SKIP
        >>> requests.get(server.api_url("api/") + "a/b").json()  # doctest: +SKIP
        {'path': 'a/b'}
        """
        key = _normalise_prefix(prefix)
        with self._lock:
            self._apis[key] = api

    @property
    def apis(self) -> dict[str, ApiHandler]:
        """The mounted APIs by normalised prefix (no leading, one trailing slash); a copy."""
        with self._lock:
            return dict(self._apis)

    def api_for(self, relpath: str) -> tuple[str, ApiHandler] | None:
        """The mounted ``(prefix, api)`` answering the root-relative ``relpath``, if any."""
        with self._lock:
            matches = [p for p in self._apis if (relpath.strip("/") + "/").startswith(p)]
            if not matches:
                return None
            prefix = max(matches, key=len)
            return prefix, self._apis[prefix]

    def api_url(self, prefix: str) -> str:
        """Base URL of the API mounted at ``prefix`` (ends in ``/``).

        Raises
        ------
        KeyError
            Nothing is mounted at ``prefix``.
        """
        key = _normalise_prefix(prefix)
        if key not in self.apis:
            raise KeyError(f"no API mounted at {key!r}; mounted: {sorted(self.apis) or 'none'}")
        return self.url + quote(key, safe="/")

    def url_for(self, relpath: str | os.PathLike[str]) -> str:
        """URL of ``relpath`` under the root, percent-encoded (``+`` as ``%2B``)."""
        rel = Path(relpath).as_posix() if not isinstance(relpath, str) else relpath
        return self.url + quote(rel.lstrip("/"), safe="/")

    def touch(self, relpath: str | os.PathLike[str], mtime: float | datetime | None = None) -> Path:
        """Set a file's (or folder's) modification time, creating an empty file if missing.

        Parameters
        ----------
        relpath : str or os.PathLike
            Path relative to the root.
        mtime : float or datetime, optional
            New time (epoch seconds or aware datetime). By default now, but at
            least one second after the current mtime, so that ``Last-Modified``
            (one-second resolution) changes.

        Returns
        -------
        pathlib.Path
            The file.
        """
        path = self.root / Path(relpath)
        if not is_inside(os.path.realpath(path), self._real_root):
            raise ValueError(f"{relpath!s} is outside the archive root")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        if isinstance(mtime, datetime):
            new = mtime.timestamp()
        elif mtime is None:
            new = max(time.time(), path.stat().st_mtime + 1.0)
        else:
            new = float(mtime)
        os.utime(path, (new, new))
        return path

    # -- faults ---------------------------------------------------------------------------
    def add_fault(self, pattern: str, kind: str, times: int = 1, **opts: Any) -> Fault:
        """Arm a fault for the next ``times`` requests whose path matches ``pattern``.

        Parameters
        ----------
        pattern : str
            fnmatch glob on the decoded request path without query, matched
            with and without its leading slash (``"*.cdf"``, ``"omni/*"``).
        kind : str
            ``"status"`` (``status=500``; answer that status with an HTML page),
            ``"retry_after"`` (``seconds=1``, ``http_date=False``, ``status=429``;
            answer with ``Retry-After``), ``"truncate"`` (``fraction=0.5``; full
            ``Content-Length`` but only that fraction of the body, then close),
            ``"html_200"`` (``body=...``; an HTML error page with status 200),
            ``"slow"`` (``delay=1.0``; wait, then answer normally),
            ``"reset"`` (drop the connection without answering),
            ``"drip"`` (``interval=5.0``, ``size=1``; send the headers, then the
            body ``size`` bytes every ``interval`` seconds),
            ``"redirect_loop"`` (answer ``302`` to the very URL asked; with
            ``times`` large, a client following redirects never gets further).
        times : int
            Number of matching requests it fires for; then it disappears.
        **opts
            Kind-specific options listed above.

        Returns
        -------
        Fault
            The armed fault (its ``fired`` count updates as it fires).

        Raises
        ------
        ValueError
            Unknown kind or bad ``times``.
        TypeError
            An option the kind does not accept.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        unknown = set(opts) - FAULT_KINDS[kind]
        if unknown:
            raise TypeError(f"fault {kind!r} does not accept {sorted(unknown)}")
        if not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive integer")
        if kind == "truncate" and not 0 <= float(opts.get("fraction", 0.5)) < 1:
            raise ValueError("fraction must be in [0, 1)")
        fault = Fault(pattern=pattern, kind=kind, times=times, opts=dict(opts))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def faults_pending(self) -> int:
        """Number of firings left over all armed faults."""
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.fired += 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- request log --------------------------------------------------------------------
    @property
    def log(self) -> list[LoggedRequest]:
        """Snapshot (a new list) of the requests answered so far, oldest first.

        Requests whose answer has started are waited for (up to 2 s), so a
        request the client has seen answered is always in the log.
        """
        with self._settled:
            self._settled.wait_for(lambda: self._responding == 0, timeout=_SETTLE_TIMEOUT)
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the logged requests (after the answers under way are logged)."""
        with self._settled:
            self._settled.wait_for(lambda: self._responding == 0, timeout=_SETTLE_TIMEOUT)
            self._log.clear()

    def _begin_response(self) -> None:
        with self._lock:
            self._responding += 1

    def _record(self, entry: LoggedRequest, *, responding: bool) -> None:
        with self._lock:
            self._log.append(entry)
            if responding:
                self._responding -= 1
                self._settled.notify_all()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def __repr__(self) -> str:
        where = self.url if self.port is not None and self.running else "stopped"
        return f"<ArchiveServer {self.root} {where}>"


def serve_forever(
    root: str | os.PathLike[str],
    port: int = 0,
    host: str = "127.0.0.1",
    **kwargs: Any,
) -> None:
    """Serve ``root`` until interrupted (Ctrl-C).

    Parameters
    ----------
    root : str or os.PathLike
        Folder to serve.
    port : int
        TCP port; 0 picks a free one (printed on start).
    host : str
        Address to bind.
    **kwargs
        Passed to :class:`ArchiveServer` (``apis``).
    """
    with ArchiveServer(root, port=port, host=host, **kwargs) as server:
        print(f"Serving {server.root} at {server.url}", flush=True)
        for prefix in sorted(server.apis):
            print(f"API at {server.api_url(prefix)}", flush=True)
        thread = server._thread
        try:
            while thread is not None and thread.is_alive():
                thread.join(0.5)
        except KeyboardInterrupt:
            print("Stopping.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m helioport.testing.server ROOT [--port N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m helioport.testing.server",
        description="Serve a folder like a heliophysics data archive (Apache directory indexes).",
    )
    parser.add_argument("root", help="folder to serve")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    serve_forever(args.root, port=args.port, host=args.host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
