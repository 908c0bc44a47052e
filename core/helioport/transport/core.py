"""The :class:`Transport`: one per configuration, holding the HTTP sessions and the cache layout.

It is cheap to build: the listing cache (a requests-cache ``CachedSession`` on
``<cache_dir>/http_cache.sqlite`` in WAL mode) and the plain file session are
created on first use. It is safe to share between threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import requests
from filelock import FileLock
from requests.adapters import HTTPAdapter
from requests_cache import CachedSession, SQLiteCache
from typing_extensions import Self

from ..config import Config
from ..errors import ConfigError
from ..schema import MissionSpec, RemoteFile
from .cache import HTTP_CACHE_NAME, CacheLayout
from .context import ArchiveContext
from .fetch import LocalFile, fetch_files

__all__ = ["Transport"]

log = logging.getLogger(__name__)

# HTTP sessions shared by the Transports of one process: one helioport.load after
# another (an event search loads chunk after chunk) reuses the open listing database
# and the kept-alive connections instead of a new SQLite open and a new TCP/TLS
# handshake per load. Keyed by process id (a forked child opens its own), bounded
# (least recently used closed first).
_SHARED_MAX = 8
_shared_lock = threading.Lock()
_shared: OrderedDict[tuple, Any] = OrderedDict()


def _shared_session(key: tuple, make: Any) -> Any:
    full = (os.getpid(), *key)
    with _shared_lock:
        session = _shared.get(full)
        if session is not None:
            _shared.move_to_end(full)
            return session
    return _register_shared(key, make())


def _register_shared(key: tuple, session: Any) -> Any:
    full = (os.getpid(), *key)
    with _shared_lock:
        if full in _shared:  # another thread made one meanwhile: use it
            session.close()
            return _shared[full]
        _shared[full] = session
        while len(_shared) > _SHARED_MAX:
            _, old = _shared.popitem(last=False)
            old.close()
    return session


def _inode(path: Any) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _close_shared_for(db: str) -> None:
    with _shared_lock:
        keys = [k for k in _shared if len(k) > 2 and k[1] == "listing" and k[2] == db]
        sessions = [_shared.pop(k) for k in keys]
    for s in sessions:
        s.close()


def close_shared_sessions() -> None:
    """Close every HTTP session this process shares between loads (they reopen on use)."""
    with _shared_lock:
        sessions = list(_shared.values())
        _shared.clear()
    for s in sessions:
        s.close()


_USER_AGENT = "helioport (https://github.com/helioport; heliophysics data client)"


class Transport:
    """Listings, downloads and the cache for one :class:`~helioport.config.Config`.

    Parameters
    ----------
    config : Config
        Cache folder, mirrors, network limits.

    Examples
    --------
    >>> from helioport.config import Config
    >>> t = Transport(Config.load(cache_dir="/tmp/hp-doc-cache"))
    >>> t.cache_info()["cache_dir"]
    '/tmp/hp-doc-cache'
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.layout = CacheLayout(config.cache_dir)
        self._lock = threading.Lock()
        self._listing: CachedSession | None = None
        self._files: requests.Session | None = None
        self._hosts: dict[str, threading.Semaphore] = {}
        self._auth: dict[str, tuple[str, str]] = {}

    def __repr__(self) -> str:
        return f"Transport(cache_dir={str(self.layout.root)!r})"

    # -- sessions ----------------------------------------------------------------
    @property
    def listing_session(self) -> CachedSession:
        """The requests-cache session for listings and API answers (created on first use).

        Shared with the other Transports of this process on the same cache
        folder (see :func:`_shared_session`).
        """
        with self._lock:
            if self._listing is None:
                db = self.layout.root / HTTP_CACHE_NAME
                ident = _inode(db)
                if ident is None:  # a new database: opening it creates the file it is shared under
                    session = self._open_listing_session()
                    self._listing = _register_shared(("listing", str(db), _inode(db)), session)
                else:
                    self._listing = _shared_session(
                        ("listing", str(db), ident), self._open_listing_session
                    )
            return self._listing

    def _open_listing_session(self) -> CachedSession:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        (self.layout.root / ".locks").mkdir(exist_ok=True)
        # Opening the database creates its tables and switches it to WAL, which needs
        # the database to itself: another process doing the same at that moment would
        # get "database is locked". One process at a time opens it; later opens find
        # it in WAL already, where readers and a writer do not block each other.
        with FileLock(str(self.layout.root / ".locks" / f"{HTTP_CACHE_NAME}.lock"), timeout=120):
            backend = SQLiteCache(str(self.layout.root / HTTP_CACHE_NAME), wal=True, timeout=60)
        session = CachedSession(
            backend=backend,
            expire_after=0,  # stored, but revalidated (ETag / Last-Modified) on every use
            always_revalidate=True,
            stale_if_error=True,
            allowable_codes=(200,),
            allowable_methods=("GET", "HEAD"),
        )
        session.headers["User-Agent"] = _USER_AGENT
        return session

    @property
    def file_session(self) -> requests.Session:
        """The plain streaming session for file bodies (never cached in SQLite), shared likewise."""
        with self._lock:
            if self._files is None:
                self._files = _shared_session(
                    ("files", self.config.max_workers), self._open_file_session
                )
            return self._files

    def _open_file_session(self) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=self.config.max_workers,
            pool_maxsize=self.config.max_workers,
            max_retries=0,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = _USER_AGENT
        return session

    def host_limit(self, url: str) -> AbstractContextManager:
        """The semaphore limiting concurrent downloads from ``url``'s host to ``config.per_host``."""
        host = urlsplit(url).netloc.lower()
        with self._lock:
            sem = self._hosts.get(host)
            if sem is None:
                sem = self._hosts[host] = threading.Semaphore(self.config.per_host)
            return sem

    def register_auth(self, url_prefix: str, auth: tuple[str, str]) -> None:
        """Send HTTP Basic ``auth`` with every request whose URL starts with ``url_prefix``.

        Credentials stay in memory only: never logged, never in a URL, and
        excluded from (and redacted in) the listing cache, whose keys ignore
        ``Authorization``. requests drops them on a redirect to another host.
        """
        if not url_prefix.lower().startswith(("http://", "https://")):
            raise ConfigError(f"credentials can only be sent to http(s) URLs, not {url_prefix!r}")
        user, password = auth
        with self._lock:
            self._auth[url_prefix] = (str(user), str(password))

    def auth_for(self, url: str) -> tuple[str, str] | None:
        """The credentials registered for the longest prefix of ``url``, if any."""
        with self._lock:
            matches = [p for p in self._auth if url.startswith(p)]
            return self._auth[max(matches, key=len)] if matches else None

    def close(self) -> None:
        """Let go of the HTTP sessions (shared ones stay open for the process; see
        :func:`close_shared_sessions`)."""
        with self._lock:
            self._listing = self._files = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public operations ---------------------------------------------------------
    def context(self, mission: MissionSpec, offline: bool | None = None) -> ArchiveContext:
        """The :class:`ArchiveContext` handed to a mission's plugin hooks.

        ``offline=None`` takes ``config.offline``.
        """
        return ArchiveContext(self, mission, self.config.offline if offline is None else offline)

    def fetch(
        self,
        remote_files: list[RemoteFile],
        *,
        offline: bool | None = None,
        candidates: list[RemoteFile] | None = None,
    ) -> list[LocalFile]:
        """Bring ``remote_files`` into the cache and return them as :class:`LocalFile`, in input order.

        Parameters
        ----------
        remote_files : list of RemoteFile
            The files to have locally (normally one version per key, from
            :func:`select_versions`).
        offline : bool, optional
            Use the cache only; a missing file raises :class:`OfflineError`
            naming every missing file. ``None`` takes ``config.offline``.
        candidates : list of RemoteFile, optional
            Every version the listing showed. When a file is downloaded, cached
            files of the same key with a lower version are removed.

        Raises
        ------
        OfflineError, DownloadError, CorruptFileError
            With the URL, the attempts and the last cause.

        Examples
        --------
        >>> files = t.fetch(select_versions(found, policy), offline=False, candidates=found)  # doctest: +SKIP
        >>> [f.action for f in files]                                                         # doctest: +SKIP
        ['downloaded', 'cached']
        """
        off = self.config.offline if offline is None else offline
        return fetch_files(self, list(remote_files), offline=off, candidates=candidates)

    def cache_info(self) -> dict[str, Any]:
        """Cache folder, total size, files and bytes per mission, and the HTTP cache's size.

        Examples
        --------
        >>> t.cache_info()["missions"]   # doctest: +SKIP
        {'omni': {'files': 12, 'bytes': 40960123}}
        """
        return self.layout.info()

    def clear(self, mission: str | None = None) -> int:
        """Delete cached files (and sidecars) of ``mission``, or everything including the HTTP cache.

        Returns the number of bytes removed. Nothing outside ``cache_dir`` is
        ever removed.
        """
        if mission is None:  # the listing database goes too: close this process's handle on it
            self.close()
            _close_shared_for(str(self.layout.root / HTTP_CACHE_NAME))
        freed = self.layout.clear(mission)
        log.info("cleared %s from %s: %d bytes", mission or "everything", self.layout.root, freed)
        return freed
