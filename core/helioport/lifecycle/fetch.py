"""Step 3: every selected file into the cache, once, in parallel (or from the cache offline).

A lazy load reads its files later, maybe on another machine (a dask worker):
:meth:`LocalFiles.stamp` describes a fetched file for that reader, and
:func:`files_here` finds it there, in the caller's cache when that is the same
file (a shared disk, or the same machine), else by fetching it into the
reader's own cache.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Config
from ..errors import CorruptFileError, DownloadError, OfflineError, warn_caller
from ..schema import RemoteFile
from ..transport import LocalFile, Transport
from ..transport.cache import CacheLayout, stored_size
from .find import Found
from .plan import Key, Plan

__all__ = ["FileStamp", "LocalFiles", "fetch_files", "files_here", "server_of", "unique_files"]


class LocalFiles(dict[str, LocalFile]):
    """The fetched files by ``relpath``, and the way to fetch one of them again.

    A cached file can be damaged on disk while its size is right (a disk
    fault, a copy interrupted by hand): the read step then calls
    :meth:`refetch`, which moves it aside and downloads it once more.
    """

    def __init__(
        self, transport: Transport, offline: bool, items: Iterable[tuple[str, LocalFile]] = ()
    ) -> None:
        super().__init__(items)
        self.transport, self.offline = transport, offline

    def refetch(self, lf: LocalFile, problem: str) -> LocalFile:
        """Move the damaged ``lf`` aside and fetch it again; the new :class:`LocalFile`.

        Raises
        ------
        CorruptFileError
            Offline, or the server cannot be reached: the message names the
            file, the server and what to do.
        """
        f = lf.remote
        moved = self.transport.set_aside(f)
        where = f" (moved aside to {moved})" if moved else ""
        if self.offline:
            raise CorruptFileError(
                f"the cached {f.name} fails to read: {problem}{where}; offline mode is on, so it "
                f"cannot be fetched again from {server_of(f)}: go online (offline=False, "
                "--offline not given) to download it again",
                path=lf.path,
            )
        try:
            new = self.transport.fetch([f], offline=False)[0]
        except DownloadError as exc:
            raise CorruptFileError(
                f"the cached {f.name} fails to read: {problem}{where}, and it could not be "
                f"fetched again from {server_of(f)}: {exc}",
                path=lf.path,
            ) from exc
        self[f.relpath] = new
        return new

    def stamp(self, lf: LocalFile) -> FileStamp:
        """``lf`` as a reader elsewhere needs it: the cache it is in and what its sidecar says."""
        meta = self.transport.layout.read_meta(lf.remote) or {}
        return FileStamp(
            local=lf,
            cache_dir=self.transport.layout.root,
            size=meta.get("size"),
            version=meta.get("version"),
            etag=meta.get("etag"),
            offline=self.offline,
            origin=_this_process(),
            identity=_identity(meta),
        )


@dataclass(frozen=True)
class FileStamp:
    """A fetched file as a reader in another process (a dask worker) needs it.

    Attributes
    ----------
    local : the file in the cache of the process that fetched it.
    cache_dir : that cache folder.
    size, version, etag : what the file's sidecar recorded: the reader takes the
        cached copy it sees at ``local.path`` only when they match.
    offline : the load's offline setting, which the reader keeps.
    origin : host name and process id of the process that fetched it.
    """

    local: LocalFile
    cache_dir: Path
    size: int | None
    version: str | None
    etag: str | None
    offline: bool
    origin: tuple[str, int]
    identity: tuple = ()


def _this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def _identity(meta: dict) -> tuple:
    """What tells one copy of a file from another in a sidecar: version, ETag and
    Last-Modified; when the server gave neither of the latter, the time it was fetched
    (an older copy of the same size and name in another cache is then not taken for it)."""
    version, etag, modified = meta.get("version"), meta.get("etag"), meta.get("last_modified")
    if etag is None and modified is None:
        return (version, None, None, meta.get("fetched_at_ts"))
    return (version, etag, modified)


def _same_file(s: FileStamp) -> bool:
    """The file at ``s.local.path`` here is the one stamped: its size and sidecar match."""
    size = stored_size(s.local.path)
    if size is None or (s.size is not None and size != s.size):
        return False
    meta = CacheLayout(s.cache_dir).read_meta(s.local.remote)
    if meta is None or (meta.get("version"), meta.get("etag")) != (s.version, s.etag):
        return False
    return not s.identity or _identity(meta) == s.identity


def files_here(s: FileStamp) -> LocalFiles:
    """The stamped file, readable in this process, as :class:`LocalFiles` (to heal it in place).

    * The cached copy at ``s.local.path`` when it is the same file here (the
      size and the sidecar's version and ETag match): the caller's own process,
      a worker on the same machine, or a shared disk. A damaged copy is then
      fetched again into that cache.
    * Otherwise the file is fetched from where it is (``s.local.remote.url``:
      an archive, a mirror, an object store) into this process's own cache,
      which its own configuration names (:meth:`Config.load`:
      ``HELIOPORT_CACHE_DIR``, the config file or the default), keeping the
      load's offline setting; in the caller's own process that is the load's
      cache folder. The transport's lock and sidecar make concurrent tasks
      safe: each file is downloaded once per cache.

    Raises
    ------
    OfflineError
        The load is offline and this process's cache lacks the file.
    DownloadError
        The file could not be fetched here.
    """
    relpath = s.local.remote.relpath
    if _same_file(s):
        cfg = Config.load(cache_dir=str(s.cache_dir), offline=s.offline)
        return LocalFiles(Transport(cfg), s.offline, [(relpath, s.local)])
    own = str(s.cache_dir) if s.origin == _this_process() else None
    transport = Transport(Config.load(cache_dir=own, offline=s.offline))
    try:
        got = transport.fetch([s.local.remote], offline=s.offline)[0]
    except OfflineError as exc:
        if own is not None:
            raise
        raise OfflineError(
            f"{s.local.remote.name} is read on {socket.gethostname()} (a dask worker), which "
            f"does not see the cache {s.cache_dir} of the process that opened the load: {exc} "
            "Or give the workers that cache folder (a shared disk, HELIOPORT_CACHE_DIR)."
        ) from exc
    return LocalFiles(transport, s.offline, [(relpath, got)])


def server_of(f: RemoteFile) -> str:
    """The host a remote file comes from, the bucket of an object store (``s3://bucket``), or
    its folder for a ``file://`` or folder mirror.

    Examples
    --------
    >>> server_of(RemoteFile(url="s3://helio/omni/a.cdf", relpath="a.cdf", mission="omni"))
    's3://helio'
    """
    parts = urlsplit(f.url)
    if parts.scheme in ("http", "https"):
        return parts.netloc
    if parts.scheme not in ("", "file") and len(parts.scheme) > 1:  # not a Windows drive
        return f"{parts.scheme}://{parts.netloc}"
    return f"the mirror {Path(parts.path if parts.scheme else f.url).parent}"


def unique_files(found: dict[Key, Found]) -> tuple[dict[str, RemoteFile], dict[str, RemoteFile]]:
    """The selected files of every product, each once, and every version listed, by ``relpath``."""
    unique: dict[str, RemoteFile] = {}
    candidates: dict[str, RemoteFile] = {}
    for f in found.values():
        for r in f.selected:
            unique.setdefault(r.relpath, r)
        for r in f.candidates:
            candidates.setdefault(r.relpath, r)
    return unique, candidates


def fetch_files(transport: Transport, plan: Plan, found: dict[Key, Found]) -> LocalFiles:
    """Fetch the files of every product at once, each file once; local files by ``relpath``.

    Offline, a warning says the newest *cached* versions are used.
    """
    unique, candidates = unique_files(found)
    offline = plan.request.offline
    got = transport.fetch(
        list(unique.values()), offline=offline, candidates=list(candidates.values())
    )
    local = LocalFiles(transport, offline, ((lf.remote.relpath, lf) for lf in got))
    if offline and local:
        names = sorted(lf.remote.name for lf in local.values())
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        warn_caller(
            f"offline: {plan.spec.name} loaded from the cache, newest cached versions ({shown}); "
            "the archive may hold newer ones. Go online (offline=False) to check."
        )
    return local
