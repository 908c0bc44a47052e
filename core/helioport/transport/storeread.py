"""Listings and small documents of folders and object stores, revalidated like HTTP answers.

What :class:`~helioport.transport.context.ArchiveContext` does for every URL
that is not ``http(s)``:

- a folder (a path or ``file://``) is read directly, online or offline;
- an object store (``s3://``, ``gs://``, ``az://``) is asked again on every
  load (a LIST is its revalidation), with retries. Its answer is kept in the
  cache (``.stores/``); when the store cannot be reached, the kept answer (or,
  for a listing, the cache folder) stands in, with a warning naming the store,
  as HTTP's stale-if-error does. Offline, a listing comes from the cache
  folder (the newest *cached* versions are used) and a document from the
  kept answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
from collections.abc import Callable

from ..config import Config
from ..errors import ConfigError, DownloadError, HelioportError, OfflineError
from . import stores
from .cache import CacheLayout
from .listing import DirEntry
from .retry import RetryPolicy, Transient, with_retries

__all__ = ["StoreReader", "dump_entries", "load_entries"]

log = logging.getLogger(__name__)


def dump_entries(entries: list[DirEntry]) -> bytes:
    """A listing as JSON (to keep it in the cache).

    Examples
    --------
    >>> e = DirEntry("a_v01.cdf", "s3://b/a_v01.cdf", False, 3, None, '"9f"')
    >>> load_entries(dump_entries([e])) == [e]
    True
    """
    rows = [
        {
            "name": e.name,
            "url": e.url,
            "is_dir": e.is_dir,
            "size": e.size,
            "mtime": e.mtime.isoformat() if e.mtime else None,
            "etag": e.etag,
        }
        for e in entries
    ]
    return json.dumps(rows).encode()


def load_entries(data: bytes) -> list[DirEntry]:
    """The listing :func:`dump_entries` wrote."""
    return [
        DirEntry(
            name=r["name"],
            url=r["url"],
            is_dir=bool(r["is_dir"]),
            size=r.get("size"),
            mtime=dt.datetime.fromisoformat(r["mtime"]) if r.get("mtime") else None,
            etag=r.get("etag"),
        )
        for r in json.loads(data)
    ]


class StoreReader:
    """Listings and documents of non-HTTP URLs for one context.

    Parameters
    ----------
    config, layout, offline : the context's settings and cache.
    check_mirror : raises :class:`ConfigError` when a URL lies under a mirror
        (a source's base URL) that does not exist.
    cache_listing : the entries the cache folder holds for a URL.
    note_tags : told the ETags of every store listing (file URL -> ETag).
    """

    def __init__(
        self,
        config: Config,
        layout: CacheLayout,
        offline: bool,
        check_mirror: Callable[[str], None],
        cache_listing: Callable[[str], list[DirEntry]],
        note_tags: Callable[[dict[str, str]], None],
    ) -> None:
        self.config = config
        self.layout = layout
        self.offline = offline
        self.check_mirror = check_mirror
        self.cache_listing = cache_listing
        self.note_tags = note_tags

    def _retried(self, call: Callable[[], object], url: str, what: str) -> object:
        return with_retries(call, url=url, policy=RetryPolicy.from_config(self.config), what=what)

    # -- listings ------------------------------------------------------------------
    def list_dir(self, url: str) -> list[DirEntry]:
        """The entries of the folder ``url``; ``[]`` when it does not exist."""
        if stores.is_local(url):
            entries = stores.list_folder(url)
            if entries is None:
                self.check_mirror(url)
                return []
            return entries
        if self.offline:
            return self.cache_listing(url)
        try:
            found = self._retried(
                lambda: stores.list_folder(url, timeout=self.config.timeout), url, "list"
            )
        except ConfigError:
            self.check_mirror(url)  # a missing bucket under a mirror: the mirror's message
            raise
        except DownloadError as exc:
            if not getattr(exc, "transient", False):
                raise
            return self._listing_fallback(url, exc)
        if found is None:
            self.check_mirror(url)
            return []
        entries: list[DirEntry] = found  # type: ignore[assignment]
        self.layout.write_answer("list", url, dump_entries(entries))
        self.note_tags({e.url: e.etag for e in entries if e.etag and not e.is_dir})
        return entries

    def _listing_fallback(self, url: str, exc: DownloadError) -> list[DirEntry]:
        kept = self.layout.read_answer("list", url)
        if kept is not None:
            try:
                entries = load_entries(kept[0])
            except (ValueError, KeyError, TypeError):
                entries = None
            if entries is not None:
                _warn(f"using the listing of {url} kept from {kept[1]:%Y-%m-%d %H:%M} UTC: {exc}")
                return entries
        cached = self.cache_listing(url)
        if not cached:
            raise exc
        _warn(f"listing {url} from the cache folder (the files cached so far): {exc}")
        return cached

    # -- documents -----------------------------------------------------------------
    def read_bytes(self, url: str) -> bytes:
        """The content of the file ``url`` (a small document)."""
        if stores.is_local(url):
            data = stores.read_file(url)
        elif self.offline:
            kept = self.layout.read_answer("read", url)
            if kept is None:
                raise OfflineError(
                    f"offline mode is on and {url} is not cached; go online "
                    "(offline=False) or unset HELIOPORT_OFFLINE"
                )
            return kept[0]
        else:
            data = self._read_online(url)
        if data is None:
            self.check_mirror(url)
            raise DownloadError(
                f"{url} does not exist ({stores.store_host(url)}); check the URL or the mirror "
                "setting (base_url= or HELIOPORT_<SOURCE>_URL)"
            )
        return data

    def _read_online(self, url: str) -> bytes | None:
        try:
            data = self._retried(
                lambda: stores.read_file(url, timeout=self.config.timeout), url, "read"
            )
        except ConfigError:
            self.check_mirror(url)
            raise
        except DownloadError as exc:
            kept = self.layout.read_answer("read", url)
            if kept is None or not getattr(exc, "transient", False):
                raise
            _warn(f"using the copy of {url} kept from {kept[1]:%Y-%m-%d %H:%M} UTC: {exc}")
            return kept[0]
        if data is not None:
            self.layout.write_answer("read", url, data)  # type: ignore[arg-type]
        return data  # type: ignore[return-value]

    # -- mirrors -------------------------------------------------------------------
    def root_state(self, base: str) -> str | None:
        """Why the mirror ``base`` does not exist (``None`` when it does or cannot be told)."""
        try:
            if stores.folder_exists(base, timeout=self.config.timeout):
                return None
            if stores.is_local(base):
                return "missing"
            bucket = f"{stores.scheme_of(base)}://{stores.store_path(base).split('/')[0]}/"
            if bucket != base and stores.folder_exists(bucket, timeout=self.config.timeout):
                return "nothing is stored under it"
            return f"there is no bucket {stores.store_path(base).split('/')[0]!r}"
        except (
            HelioportError,
            Transient,
        ) as exc:  # cannot tell now: the listing's failure says why
            log.info("cannot check the mirror %s: %s", base, exc)
            return None


def _warn(msg: str) -> None:
    log.warning(msg)
    warnings.warn(msg, UserWarning, stacklevel=5)
