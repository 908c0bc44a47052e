"""Step 3: every selected file into the cache, once, in parallel (or from the cache offline)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import CorruptFileError, DownloadError, warn_caller
from ..schema import RemoteFile
from ..transport import LocalFile, Transport
from .find import Found
from .plan import Key, Plan

__all__ = ["LocalFiles", "fetch_files"]


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


def server_of(f: RemoteFile) -> str:
    """The host a remote file comes from, or its folder for a ``file://`` or folder mirror."""
    parts = urlsplit(f.url)
    if parts.scheme in ("http", "https"):
        return parts.netloc
    return f"the mirror {Path(parts.path if parts.scheme else f.url).parent}"


def fetch_files(transport: Transport, plan: Plan, found: dict[Key, Found]) -> LocalFiles:
    """Fetch the files of every product at once, each file once; local files by ``relpath``.

    Offline, a warning says the newest *cached* versions are used.
    """
    unique: dict[str, RemoteFile] = {}
    candidates: dict[str, RemoteFile] = {}
    for f in found.values():
        for r in f.selected:
            unique.setdefault(r.relpath, r)
        for r in f.candidates:
            candidates.setdefault(r.relpath, r)
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
