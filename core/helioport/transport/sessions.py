"""The HTTP side of a transport: its two sessions, per-host limits and credentials.

- the listing session: a requests-cache ``CachedSession`` on
  ``<cache_dir>/http_cache.sqlite`` (WAL), revalidating every answer;
- the file session: a plain streaming :class:`requests.Session`.

Both are created on first use and shared by the :class:`Sessions` of one
process (one ``helioport.load`` after another reuses the open listing
database and the kept-alive connections instead of a new SQLite open and a new
TCP/TLS handshake per load). The pool is keyed by process id (a forked child
opens its own) and bounded (least recently used closed first).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # requests(-cache) and filelock are imported when a session is first asked for
    import requests
    from requests_cache import CachedSession

from ..config import Config
from ..errors import ConfigError, warn_caller
from .cache import HTTP_CACHE_NAME, cache_write_error

__all__ = ["USER_AGENT", "Sessions", "close_shared_sessions"]

USER_AGENT = "helioport (https://github.com/helioport; heliophysics data client)"

_SHARED_MAX = 8
_shared_lock = threading.Lock()
_shared: OrderedDict[tuple, Any] = OrderedDict()


def _shared_session(key: tuple, make: Callable[[], Any]) -> Any:
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


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def close_shared_sessions() -> None:
    """Close every HTTP session this process shares between loads (they reopen on use)."""
    with _shared_lock:
        sessions = list(_shared.values())
        _shared.clear()
    for s in sessions:
        s.close()


class Sessions:
    """HTTP sessions, per-host download limits and credentials for one config.

    Parameters
    ----------
    config : Config
        ``max_workers`` and ``per_host`` size the connection pool and limits.
    cache_root : Path
        The cache folder holding the listing database.

    Examples
    --------
    >>> s = Sessions(Config.load(cache_dir="/tmp/hp-doc-cache"), Path("/tmp/hp-doc-cache"))
    >>> s.auth_for("https://lasp.example/mms/") is None
    True
    """

    def __init__(self, config: Config, cache_root: Path) -> None:
        self.config = config
        self.db = Path(cache_root) / HTTP_CACHE_NAME
        self._lock = threading.Lock()
        self._listing: CachedSession | None = None
        self._files: requests.Session | None = None
        self._hosts: dict[str, threading.Semaphore] = {}
        self._auth: dict[str, tuple[str, str]] = {}
        self._tags: dict[str, str] = {}

    @property
    def listing(self) -> CachedSession:
        """The requests-cache session for listings and API answers (created on first use)."""
        with self._lock:
            if self._listing is None:
                ident = _inode(self.db)
                if ident is None:  # a new database: opening it creates the file it is shared under
                    session = self._open_listing()
                    self._listing = _register_shared(
                        ("listing", str(self.db), _inode(self.db)), session
                    )
                else:
                    self._listing = _shared_session(
                        ("listing", str(self.db), ident), self._open_listing
                    )
            return self._listing

    def _open_listing(self) -> CachedSession:
        import sqlite3

        from filelock import FileLock
        from requests_cache import CachedSession, SQLiteCache

        root = self.db.parent
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / ".locks").mkdir(exist_ok=True)
            # Opening the database creates its tables and switches it to WAL, which needs
            # the database to itself: another process doing the same at that moment would
            # get "database is locked". One process at a time opens it; later opens find
            # it in WAL already, where readers and a writer do not block each other.
            with FileLock(str(root / ".locks" / f"{HTTP_CACHE_NAME}.lock"), timeout=120):
                heal_database(self.db)
                backend = SQLiteCache(str(self.db), wal=True, timeout=60)
                backend.responses.count()  # opens the database now, not at the first request
        except OSError as exc:
            raise cache_write_error(exc, root) from exc
        except sqlite3.Error as exc:  # a read-only database or folder
            raise ConfigError(
                f"cannot open the listing cache {self.db} ({exc}); make the cache folder "
                "writable, choose another cache_dir (HELIOPORT_CACHE_DIR), or load offline "
                "(--offline, offline=True) to use the cached files"
            ) from exc
        session = CachedSession(
            backend=backend,
            expire_after=0,  # stored, but revalidated (ETag / Last-Modified) on every use
            always_revalidate=True,
            # failures surface so that an unreachable host fails at once; the context
            # then answers from the stored copy itself, with a warning (stale-if-error)
            stale_if_error=False,
            allowable_codes=(200,),
            allowable_methods=("GET", "HEAD"),
        )
        session.headers["User-Agent"] = USER_AGENT
        return session

    @property
    def files(self) -> requests.Session:
        """The plain streaming session for file bodies (never cached in SQLite)."""
        with self._lock:
            if self._files is None:
                self._files = _shared_session(("files", self.config.max_workers), self._open_files)
            return self._files

    def _open_files(self) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=self.config.max_workers,
            pool_maxsize=self.config.max_workers,
            max_retries=0,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
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

    def note_tags(self, tags: dict[str, str]) -> None:
        """Remember the ETags an object store's listing showed, by file URL (see :meth:`listed_tag`)."""
        with self._lock:
            self._tags.update(tags)

    def listed_tag(self, url: str) -> str | None:
        """The ETag the latest listing showed for ``url`` (object stores), if any: the fetch
        compares it with the cached copy's instead of the listed size and time."""
        with self._lock:
            return self._tags.get(url)

    def close(self) -> None:
        """Let go of the sessions (shared ones stay open for the process)."""
        with self._lock:
            self._listing = self._files = None

    def close_database(self) -> None:
        """Close every session of this process on the listing database (before deleting it)."""
        self.close()
        with _shared_lock:
            keys = [k for k in _shared if len(k) > 2 and k[1] == "listing" and k[2] == str(self.db)]
            sessions = [_shared.pop(k) for k in keys]
        for s in sessions:
            s.close()


def heal_database(db: Path) -> None:
    """Move a damaged listing database aside (with its WAL files), so that it is rebuilt.

    A damaged ``http_cache.sqlite`` would otherwise fail every load, even
    offline ones, with a bare ``sqlite3.DatabaseError``. Only listings and API
    answers live there: they are fetched again. A locked database is not damaged.
    """
    if not db.exists():
        return
    import sqlite3  # imported here: a load that opens no listing database needs none

    try:
        with contextlib.closing(sqlite3.connect(str(db), timeout=60)) as con:
            row = con.execute("PRAGMA quick_check").fetchone()
        if row and row[0] == "ok":
            return
        problem = str(row[0]) if row else "no answer to an integrity check"
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            return
        problem = str(exc)
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        part = db.with_name(db.name + suffix)
        if part.exists():
            try:
                part.replace(part.with_name(f"{part.name}.damaged-{stamp}"))
            except OSError as exc:
                raise ConfigError(
                    f"the listing cache {db} is damaged ({problem}) and cannot be moved aside "
                    f"({exc.strerror or exc}); delete it by hand or use another cache_dir"
                ) from None
    warn_caller(
        f"the listing cache {db} was damaged ({problem}); it was moved aside and is rebuilt "
        "(listings and API answers are fetched again; downloaded files are kept)"
    )
