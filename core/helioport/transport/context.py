"""What a plugin sees of the transport: base URLs, cached listings and JSON answers.

An :class:`ArchiveContext` is handed to the plugin hooks
(``helioport_find_files``, ``helioport_fetch``). ``http(s)`` listings and JSON
answers go through the transport's one requests-cache session and are
revalidated on every use (a 304 costs one round trip); when the server fails,
the cached answer is used with a warning. Offline, only cached answers are
used. Folders and object stores (``s3://``, ``gs://``, ``az://``) are read
through fsspec (:mod:`.storeread`): a store is listed again on every load,
its last answer kept as the fallback.
"""

from __future__ import annotations

import copy
import json
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode

from ..config import Config
from ..errors import ConfigError, DownloadError, OfflineError
from ..schema import MissionSpec, RemoteFile
from .cache import CacheLayout
from .download import pace_hook
from .fetch import fetch_files
from .listing import DirEntry, parse_index, scan_folder, url_to_path
from .localfile import LocalFile
from .retry import RetryPolicy, Transient, connection_failure, parse_retry_after, with_retries
from .sessions import Sessions
from .storeread import StoreReader
from .stores import is_http, is_local, store_host

if TYPE_CHECKING:  # requests is imported when an HTTP archive is first asked (import cost)
    import requests

__all__ = ["ArchiveContext"]

log = logging.getLogger(__name__)

_SAFE = "/:@!$&'()*+,;=~%-._"


class ArchiveContext:
    """The archive access a plugin gets for one mission.

    Build it with :meth:`helioport.transport.Transport.context`.

    Attributes
    ----------
    mission : the :class:`MissionSpec` served.
    offline : whether only the cache may be used.
    config : the :class:`~helioport.config.Config` in force.

    Examples
    --------
    >>> ctx = transport.context(spec, offline=False)             # doctest: +SKIP
    >>> year = ctx.join(ctx.base_url("omni"), "hro_1min", "2010/")  # doctest: +SKIP
    >>> [e.name for e in ctx.list_dir(year)]                     # doctest: +SKIP
    ['omni_hro_1min_20100101_v01.cdf', ...]
    """

    def __init__(
        self, sessions: Sessions, layout: CacheLayout, mission: MissionSpec, offline: bool
    ) -> None:
        self._sessions = sessions
        self._layout = layout
        self.mission = mission
        self.offline = bool(offline)
        # one answer per URL for the life of the context (one load): several
        # products listing the same folder cost one revalidation, not one each
        self._memo: dict[tuple, Any] = {}
        self._stores = StoreReader(
            sessions.config,
            layout,
            self.offline,
            self._check_mirror,
            self._cache_folder_listing,
            sessions.note_tags,
        )

    def __repr__(self) -> str:
        return f"ArchiveContext(mission={self.mission.name!r}, offline={self.offline})"

    @property
    def config(self) -> Config:
        return self._sessions.config

    # -- URLs --------------------------------------------------------------------
    def base_url(self, key: str | None = None) -> str:
        """The base URL of source ``key`` (the first source when ``None``), mirrors applied.

        A mirror comes from the config (``[urls]`` table, ``HELIOPORT_<KEY>_URL``,
        ``urls=`` keyword) under the source's key or under the name in its
        ``env`` variable. Always ends with ``/``.

        Raises
        ------
        ConfigError
            When the mission has no source ``key``; the message lists its keys.
        """
        # asked for every folder listed (mirror checks): worked out once per context
        memo_key = ("base", None if key is None else key.lower())
        url = self._memo.get(memo_key)
        if url is None:
            url = self._memo[memo_key] = self._base_url(key)
        return url

    def _base_url(self, key: str | None) -> str:
        sources = self.mission.sources
        if not sources:
            raise ConfigError(f"mission {self.mission.name!r} declares no archive source")
        if key is None:
            src = sources[0]
        else:
            matches = [s for s in sources if s.key.lower() == key.lower()]
            if not matches:
                raise ConfigError(
                    f"mission {self.mission.name!r} has no source {key!r}; its sources are: "
                    f"{', '.join(s.key for s in sources)}"
                )
            src = matches[0]
        env = src.env.upper()
        if env.startswith("HELIOPORT_") and env.endswith("_URL"):
            alias = env[len("HELIOPORT_") : -len("_URL")].lower()
            if alias and alias not in self.config.urls:
                alias = ""
        else:
            alias = ""
        url = self.config.urls.get(src.key.lower()) or (alias and self.config.urls[alias])
        url = url or self.config.base_url(src.key, src.url)
        return url if url.endswith("/") else url + "/"

    @staticmethod
    def join(base: str, *parts: str) -> str:
        """Join path parts onto a base URL (``https://``, ``file://``, ``s3://``...), quoting unsafe
        characters.

        A trailing ``/`` on the last part is kept (a folder URL).

        Examples
        --------
        >>> ArchiveContext.join("file:///srv/omni/", "hro_1min", "2010/")
        'file:///srv/omni/hro_1min/2010/'
        """
        url = base if base.endswith("/") else base + "/"
        pieces = [quote(str(p).strip("/"), safe=_SAFE) for p in parts if str(p).strip("/")]
        url += "/".join(pieces)
        if parts and str(parts[-1]).endswith("/") and not url.endswith("/"):
            url += "/"
        return url

    def cache_path(self, f: RemoteFile) -> Path:
        """Where ``f`` lives in the cache: ``<cache_dir>/<mission>/<f.relpath>``."""
        return self._layout.file_path(f)

    def fetch(
        self, files: list[RemoteFile], candidates: list[RemoteFile] | None = None
    ) -> list[LocalFile]:
        """Fetch ``files`` into the cache through the core transport (offline setting applied).

        Atomic, locked, retried and verified like every file; packed
        deliveries (``RemoteFile.unpack``) are unpacked on the way (see
        :attr:`LocalFile.paths`).
        """
        return fetch_files(
            self._sessions, self._layout, files, offline=self.offline, candidates=candidates
        )

    def fetch_once(self, f: RemoteFile) -> Path:
        """:meth:`fetch` of one small document (a catalog, a file registry) at most once per
        context (one load): several products reading it cost one revalidation, not one each."""
        key = ("fetch", f.url, f.relpath)
        if key not in self._memo:
            self._memo[key] = self.fetch([f])[0].path
        return self._memo[key]

    def register_auth(self, url_prefix: str, auth: tuple[str, str]) -> None:
        """Send HTTP Basic ``auth`` with requests under ``url_prefix`` (listings, JSON and files).

        For archives with logins (MMS SDC team API). The credentials are never
        logged nor part of a URL or cache key.
        """
        self._sessions.register_auth(url_prefix, auth)

    # -- listings ----------------------------------------------------------------
    def list_dir(self, url: str) -> list[DirEntry]:
        """The entries of the folder at ``url``; ``[]`` when it does not exist.

        ``http(s)``: the HTML index, cached and revalidated. ``file://`` or a
        folder path: the folder itself. ``s3://``, ``gs://``, ``az://``: the
        store's own listing, asked on every load (with its ETags in
        :attr:`DirEntry.etag`). Offline, an ``http`` listing comes from the
        cached index, else from the matching cache folder; a store's from the
        cache folder.
        """
        if not url.endswith("/"):
            url += "/"
        key = ("list", url)
        if key not in self._memo:
            self._memo[key] = self._list_dir(url)
        return list(self._memo[key])

    def _list_dir(self, url: str) -> list[DirEntry]:
        if not is_http(url):
            return self._stores.list_dir(url)
        if self.offline:
            resp = self._stored_if_readable(url, None)
            if resp is not None:
                return parse_index(resp.text, url)
            return self._cache_folder_listing(url)
        resp = self._get(url, None, what="list")
        if resp is None:
            return []
        return parse_index(resp.text, resp.url if is_http(resp.url or "") else url)

    def list_cache_folder(self, url: str) -> list[DirEntry]:
        """The entries the cache holds below the archive folder ``url`` (no request made)."""
        return self._cache_folder_listing(url if url.endswith("/") else url + "/")

    def _cache_folder_listing(self, url: str) -> list[DirEntry]:
        # the longest base first: a mirror inside another source's mirror is its own source
        sources = sorted(
            self.mission.sources, key=lambda s: len(self.base_url(s.key)), reverse=True
        )
        for src in sources:
            base = self.base_url(src.key)
            if url.startswith(base):
                rel = unquote(url[len(base) :]).strip("/")
                layout = self._layout
                folder = (
                    layout.path(self.mission.name, rel)
                    if rel
                    else layout.mission_dir(self.mission.name)
                )
                log.info("offline: listing %s from the cache folder %s", url, folder)
                return scan_folder(folder, url, meta=layout.folder_meta(self.mission.name, rel))
        log.info("offline: %s is under no source of %s and is not cached", url, self.mission.name)
        return []

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of ``url`` with query ``params``, cached and revalidated.

        A ``file://`` URL, folder path or store URL (``s3://``...) is read through
        fsspec (``params`` ignored).

        Raises
        ------
        OfflineError
            Offline, when the answer is not cached.
        DownloadError
            When the server fails and nothing is cached, or answers with an error.
        """
        key = ("json", url, json.dumps(params or {}, sort_keys=True, default=str))
        if key not in self._memo:
            self._memo[key] = self._get_json(url, params)
        return copy.deepcopy(self._memo[key])

    def read_bytes(self, url: str, params: dict[str, Any] | None = None) -> bytes:
        """The body of ``url`` (a small document: a catalog, a registry, an API answer),
        cached and revalidated like a listing; a ``file://`` URL or folder path is read directly,
        a store URL (``s3://``...) through fsspec, its last answer kept for when it fails.

        Raises
        ------
        OfflineError
            Offline, when the answer is not cached.
        DownloadError
            When nothing is there (404), or the server fails and nothing is cached.
        """
        key = ("bytes", url, json.dumps(params or {}, sort_keys=True, default=str))
        if key not in self._memo:
            self._memo[key] = self._read_bytes(url, params)
        return self._memo[key]

    def _read_bytes(self, url: str, params: dict[str, Any] | None) -> bytes:
        if not is_http(url):
            return self._stores.read_bytes(url)
        return self._answer(url, params, what="read").content

    def _answer(
        self, url: str, params: dict[str, Any] | None, *, what: str, want_json: bool = False
    ) -> requests.Response:
        """The HTTP answer of ``url``: cached and revalidated, or offline the stored one."""
        if self.offline:
            resp = self._stored_if_readable(url, params)
            if resp is None:
                shown = url + ("?" + urlencode(params) if params else "")
                raise OfflineError(
                    f"offline mode is on and the answer of {shown} is not cached; go online "
                    "(offline=False) or unset HELIOPORT_OFFLINE"
                )
            return resp
        resp = self._get(url, params, what=what, want_json=want_json)
        if resp is None:
            raise DownloadError(
                f"{url} answered 404 Not Found; check the URL or the mirror setting"
            )
        return resp

    def _check_mirror(self, url: str) -> None:
        """Raise :class:`ConfigError` when ``url`` lies under a folder or store mirror that does
        not exist (a missing folder inside an existing mirror is just an empty listing)."""
        for src in self.mission.sources:
            base = self.base_url(src.key)
            if is_http(base) or not url.startswith(base):
                continue
            key = ("mirror", base)
            if key not in self._memo or is_local(base):
                self._memo[key] = self._stores.root_state(base)
            why = self._memo[key]
            if why is None:
                continue
            env = src.env or f"HELIOPORT_{src.key.upper()}_URL"
            if is_local(base):
                raise ConfigError(
                    f"the {self.mission.name} mirror folder {url_to_path(base)} (source "
                    f"{src.key!r}) does not exist; check base_url= / --base-url or {env}, or "
                    "create the folder"
                )
            endpoint = " and AWS_ENDPOINT_URL_S3" if base.lower().startswith("s3") else ""
            raise ConfigError(
                f"the {self.mission.name} mirror {base} (source {src.key!r}) does not exist at "
                f"{store_host(base)}: {why}; check base_url= / --base-url or {env}{endpoint}"
            )

    def _get_json(self, url: str, params: dict[str, Any] | None) -> Any:
        if not is_http(url):
            data = self.read_bytes(url)
            try:
                return json.loads(data.decode("utf-8"))
            except ValueError as exc:
                raise DownloadError(f"cannot read JSON from {url}: {exc}") from exc
        return self._answer(url, params, what="query", want_json=True).json()

    def _get(
        self, url: str, params: dict[str, Any] | None, *, what: str, want_json: bool = False
    ) -> requests.Response | None:
        """GET through the cached session with retries; ``None`` for 404/410."""
        import requests

        session = self._sessions.listing
        cfg = self.config

        def attempt() -> requests.Response | None:
            try:
                resp = session.get(
                    url,
                    params=params,
                    timeout=self.config.timeout,
                    auth=self._sessions.auth_for(url),
                    hooks={"response": pace_hook(cfg.min_speed, cfg.speed_window)},
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise connection_failure(exc, url) from exc
            except requests.TooManyRedirects as exc:
                raise DownloadError(
                    f"{url} redirects in a loop ({exc}); the server or the mirror setting is "
                    "misconfigured: check the URL (base_url= or HELIOPORT_<SOURCE>_URL)"
                ) from None
            except requests.RequestException as exc:
                raise DownloadError(f"cannot {what} {url}: {exc}") from None
            status = resp.status_code
            if status in (404, 410):
                return None
            if status in (429, 503) or status >= 500:
                raise Transient(
                    f"HTTP {status} {resp.reason}",
                    retry_after=parse_retry_after(resp.headers.get("Retry-After"))
                    if status in (429, 503)
                    else None,
                )
            if status != 200:
                raise DownloadError(f"{url} answered HTTP {status} {resp.reason}")
            if want_json:
                try:
                    resp.json()
                except ValueError:
                    raise Transient(
                        f"the answer is not JSON (Content-Type {resp.headers.get('Content-Type')})"
                    ) from None
            return resp

        try:
            return with_retries(
                attempt, url=url, policy=RetryPolicy.from_config(self.config), what=what
            )
        except DownloadError as exc:
            last = getattr(exc, "last", None)
            stale = getattr(last, "payload", None)
            if stale is None:
                stale = self._stored(url, params)
            if stale is None:
                raise
            created = getattr(stale, "created_at", None)
            msg = (
                f"using the cached answer of {url} (stored {created:%Y-%m-%d %H:%M} UTC): "
                f"the server could not be reached ({exc})"
                if created
                else f"using the cached answer of {url}: {exc}"
            )
            log.warning(msg)
            warnings.warn(msg, UserWarning, stacklevel=4)
            return stale

    def _stored_if_readable(
        self, url: str, params: dict[str, Any] | None
    ) -> requests.Response | None:
        """:meth:`_stored`, or ``None`` when the listing cache cannot be opened (a read-only
        cache folder): offline, the cache folders themselves still answer."""
        try:
            return self._stored(url, params)
        except ConfigError as exc:
            log.info("offline: the listing cache is not usable (%s); using the cache folders", exc)
            return None

    def _stored(self, url: str, params: dict[str, Any] | None) -> requests.Response | None:
        """The stored answer of ``url`` (however old), or ``None``: offline, or the server failing."""
        import requests

        session = self._sessions.listing
        request = session.prepare_request(requests.Request("GET", url, params=params))
        resp = session.cache.get_response(session.cache.create_key(request))
        return resp if resp is not None and resp.status_code == 200 else None
