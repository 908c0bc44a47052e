"""The :class:`Transport`: one per configuration, holding the HTTP sessions and the cache layout.

It is cheap to build: the listing cache (a requests-cache ``CachedSession`` on
``<cache_dir>/http_cache.sqlite`` in WAL mode) and the plain file session are
created on first use (:mod:`helioport.transport.sessions`). It is safe to share
between threads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from ..config import Config
from ..schema import MissionSpec, RemoteFile
from .cache import CacheLayout
from .context import ArchiveContext
from .fetch import fetch_files
from .localfile import LocalFile
from .sessions import Sessions

if TYPE_CHECKING:
    import requests
    from requests_cache import CachedSession

__all__ = ["Transport"]

log = logging.getLogger(__name__)


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
        self.sessions = Sessions(config, self.layout.root)

    def __repr__(self) -> str:
        return f"Transport(cache_dir={str(self.layout.root)!r})"

    # -- sessions ----------------------------------------------------------------
    @property
    def listing_session(self) -> CachedSession:
        """The requests-cache session for listings and API answers (created on first use,
        shared with the other Transports of this process on the same cache folder)."""
        return self.sessions.listing

    @property
    def file_session(self) -> requests.Session:
        """The plain streaming session for file bodies (never cached in SQLite), shared likewise."""
        return self.sessions.files

    def register_auth(self, url_prefix: str, auth: tuple[str, str]) -> None:
        """Send HTTP Basic ``auth`` with every request whose URL starts with ``url_prefix``
        (see :meth:`Sessions.register_auth`)."""
        self.sessions.register_auth(url_prefix, auth)

    def close(self) -> None:
        """Let go of the HTTP sessions (shared ones stay open for the process; see
        :func:`helioport.transport.sessions.close_shared_sessions`)."""
        self.sessions.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public operations ---------------------------------------------------------
    def context(self, mission: MissionSpec, offline: bool | None = None) -> ArchiveContext:
        """The :class:`ArchiveContext` handed to a mission's plugin hooks.

        ``offline=None`` takes ``config.offline``.
        """
        off = self.config.offline if offline is None else offline
        return ArchiveContext(self.sessions, self.layout, mission, off)

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
        return fetch_files(
            self.sessions, self.layout, list(remote_files), offline=off, candidates=candidates
        )

    def set_aside(self, remote: RemoteFile) -> Path | None:
        """Move the cached copy of ``remote`` aside (it fails to read), under its lock, so the
        next :meth:`fetch` downloads it again; see :meth:`CacheLayout.set_aside`."""
        import filelock

        lock_path = self.layout.lock_path(remote)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(str(lock_path), timeout=120):
            return self.layout.set_aside(remote)

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
        if mission is None:  # the listing database goes too: close this process's handles on it
            self.sessions.close_database()
        freed = self.layout.clear(mission)
        log.info("cleared %s from %s: %d bytes", mission or "everything", self.layout.root, freed)
        return freed
