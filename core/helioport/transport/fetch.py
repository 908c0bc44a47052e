"""Bringing remote files into the cache: freshness, locks, retries, parallelism, progress.

For each :class:`~helioport.schema.RemoteFile`:

- cached, and the listing's size/mtime equal what the sidecar recorded ->
  ``"cached"`` (no request: the listing revalidation already covered it); the
  same for a file declared ``revalidate=False`` cached as the same version;
- cached otherwise -> conditional GET (a folder or object store: its tag compared):
  unchanged ``"revalidated"``, else ``"replaced"``;
- not cached -> ``"downloaded"`` (then older cached versions of the same key,
  named in ``candidates``, are removed);
- network failure with a cached copy -> ``"stale"`` with a warning.

Each file is fetched under a per-file :class:`filelock.FileLock`; after
acquiring it the cache is checked again, since another process may have just
fetched the file.

A packed delivery (``RemoteFile.unpack``) is downloaded and verified like any
file, then unpacked (:mod:`helioport.transport.unpack`) into the file or
folder ``relpath`` names; freshness, sidecars and the removal of older
versions then apply to that file or folder.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import DownloadError, HelioportError, OfflineError, warn_caller
from ..schema import RemoteFile
from .cache import CacheLayout, cache_write_error, remove_stale_parts, stored_size
from .download import Outcome, fs_attempt, http_attempt, replace_file
from .localfile import Action, LocalFile
from .retry import Cancelled, RetryPolicy, with_retries
from .sessions import Sessions
from .stores import is_http, is_local
from .unpack import unpack
from .versions import version_key

__all__ = ["fetch_files"]

log = logging.getLogger(__name__)

#: what :meth:`pathlib.Path.is_file` takes for "nothing there" rather than an error (its
#: ``_IGNORED_ERRNOS`` and, on Windows, ``_IGNORED_WINERRORS``)
_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
_ABSENT_WINDOWS = (21, 123, 1921)

_PROGRESS_BYTES = 5 * 1024 * 1024
_PROGRESS_FILES = 3


def _iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return (
        (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc))
        .astimezone(dt.timezone.utc)
        .isoformat()
    )


def _present(path: Path, f: RemoteFile) -> bool:
    """Something of the right kind is at ``path``: a folder for ``untar``/``unzip``, else a file."""
    return path.is_dir() if f.unpack in ("untar", "unzip") else path.is_file()


def _stat(path: Path) -> os.stat_result | None:
    """``os.stat`` of ``path`` (links followed), ``None`` when nothing is there; other errors
    raised, as :meth:`pathlib.Path.is_file` does."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno in _ABSENT or getattr(exc, "winerror", None) in _ABSENT_WINDOWS:
            return None
        raise
    except ValueError:  # a path the system cannot name (a NUL byte)
        return None


def _intact(path: Path, meta: dict[str, Any] | None, f: RemoteFile) -> bool:
    """The cached file (or unpacked folder) exists, was unpacked as ``f`` declares, and
    holds the bytes its sidecar recorded (one ``stat`` for a file)."""
    if meta is None:
        return False
    st = _stat(path)
    if st is None:
        return False
    is_dir = stat.S_ISDIR(st.st_mode)
    if not (is_dir if f.unpack in ("untar", "unzip") else stat.S_ISREG(st.st_mode)):
        return False
    if (meta.get("unpack"), meta.get("members")) != (f.unpack, f.members):
        return False
    size = meta.get("size")
    # a folder's bytes are those of the files under it (stored_size walks it)
    return size is None or size == (stored_size(path) if is_dir else st.st_size)


def _listing_fresh(
    path: Path, meta: dict[str, Any] | None, f: RemoteFile, tag: str | None = None
) -> bool:
    """The cached copy is what the listing describes, so no request is needed.

    ``tag`` is the ETag an object store's listing showed for ``f.url``: when
    known, it decides (equal to the cached copy's: fresh, whatever the time).
    With neither size nor mtime listed, only a file that needs no revalidation
    (``RemoteFile.revalidate`` false) and was cached as the same version (or
    whose version cannot be known now) is.
    """
    if meta is None:
        return False
    if tag is not None and meta.get("url") == f.url:
        return meta.get("etag") == tag and _intact(path, meta, f)
    if f.size is None and f.mtime is None:
        same = f.version is None or meta.get("version") == f.version
        return not f.revalidate and same and _intact(path, meta, f)
    if f.size is not None and meta.get("listing_size") != f.size:
        return False
    if f.mtime is not None and meta.get("listing_mtime") != _iso(f.mtime):
        return False
    return _intact(path, meta, f)


def fetch_files(
    sessions: Sessions,
    layout: CacheLayout,
    files: list[RemoteFile],
    *,
    offline: bool,
    candidates: list[RemoteFile] | None = None,
) -> list[LocalFile]:
    """Bring ``files`` into the cache ``layout`` through ``sessions``; see
    :meth:`helioport.transport.Transport.fetch`."""
    files = list(files)
    if offline:
        return _offline(layout, files)
    return _Job(sessions, layout, candidates or []).run(files)


def _offline(layout: CacheLayout, files: list[RemoteFile]) -> list[LocalFile]:
    out, missing = [], []
    for f in files:
        path = layout.file_path(f)
        meta = layout.read_meta(f)
        if _intact(path, meta, f) or (meta is None and _present(path, f)):
            out.append(LocalFile(path, f, "cached"))
        else:
            missing.append(f.relpath)
    if missing:
        where = layout.mission_dir(files[0].mission)
        raise OfflineError(
            f"offline mode is on and {len(missing)} file(s) are not in the cache ({where}): "
            f"{', '.join(missing)}. Go online (offline=False) or unset HELIOPORT_OFFLINE to "
            "download them."
        )
    return out


class _Job:
    """One call of :meth:`Transport.fetch`: shared start time, cancel flag and progress bar."""

    def __init__(
        self, sessions: Sessions, layout: CacheLayout, candidates: list[RemoteFile]
    ) -> None:
        self.sessions = sessions
        self.layout = layout
        self.cfg = sessions.config
        self.policy = RetryPolicy.from_config(self.cfg)
        self.candidates = candidates
        self.started = time.time()
        self.cancel = threading.Event()
        self.bar: Any = None
        self.notes: list[str] = []
        self._notes_lock = threading.Lock()

    # -- orchestration ---------------------------------------------------------
    def run(self, files: list[RemoteFile]) -> list[LocalFile]:
        unique: dict[tuple[str, str], RemoteFile] = {}
        for f in files:
            self.layout.file_path(f)  # refuse escaping paths before any work
            unique.setdefault((f.mission, f.relpath), f)
        # a cached copy the listing still describes needs no lock, thread or request
        results: dict[tuple[str, str], LocalFile] = {}
        pending: dict[tuple[str, str], RemoteFile] = {}
        for key, f in unique.items():
            if self._quick(f):
                log.debug("%s: cached, listing unchanged", f.relpath)
                results[key] = LocalFile(self.layout.file_path(f), f, "cached")
            else:
                pending[key] = f
        self.bar = self._progress_bar(list(pending.values()))
        errors: list[BaseException] = []
        try:
            if len(pending) <= 1:
                for key, f in pending.items():
                    results[key] = self.one(f)
            else:
                done, errors = self._parallel(pending)
                results.update(done)
        finally:
            if self.bar is not None:
                self.bar.close()
            for note in self.notes:
                warn_caller(note)  # the user's line; kept in order on a reading thread
        if errors:
            raise _combine(errors)
        return [
            LocalFile(
                results[(f.mission, f.relpath)].path, f, results[(f.mission, f.relpath)].action
            )
            for f in files
        ]

    def _parallel(self, unique: dict) -> tuple[dict, list[BaseException]]:
        results: dict[tuple[str, str], LocalFile] = {}
        errors: list[BaseException] = []
        workers = min(self.cfg.max_workers, len(unique))
        pool = ThreadPoolExecutor(workers, thread_name_prefix="helioport-fetch")
        try:
            futures = {pool.submit(self.one, f): key for key, f in unique.items()}
            for fut in as_completed(futures):
                exc = fut.exception()
                if exc is None:
                    results[futures[fut]] = fut.result()
                elif isinstance(exc, Exception):
                    errors.append(exc)
                else:  # KeyboardInterrupt / SystemExit inside a worker: stop everything
                    raise exc
        except BaseException:
            self.cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results, errors

    def _progress_bar(self, pending: list[RemoteFile]) -> Any:
        setting = self.cfg.progress
        if setting is False or not pending:
            return None
        if setting is None and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
            return None
        known = sum(f.size or 0 for f in pending)
        if len(pending) <= _PROGRESS_FILES and known <= _PROGRESS_BYTES:
            return None
        total = known if all(f.size is not None for f in pending) else None
        from tqdm.auto import tqdm  # imported when a bar is first shown (import cost)

        return tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
            desc=f"helioport {pending[0].mission} ({len(pending)} files)",
        )

    def _progress(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def _note(self, text: str) -> None:
        log.warning(text)
        with self._notes_lock:
            self.notes.append(text)

    # -- one file ----------------------------------------------------------------
    def _quick(self, f: RemoteFile) -> bool:
        return self._fresh(self.layout.file_path(f), self.layout.read_meta(f), f)

    def _fresh(self, path: Path, meta: dict[str, Any] | None, f: RemoteFile) -> bool:
        return _listing_fresh(path, meta, f, self.sessions.listed_tag(f.url))

    def one(self, f: RemoteFile) -> LocalFile:
        try:
            return self._one(f)
        except HelioportError:
            raise
        except OSError as exc:  # the cache folder cannot be written (locks, sidecars, folders)
            raise cache_write_error(exc, self.layout.root) from exc

    def _one(self, f: RemoteFile) -> LocalFile:
        path = self.layout.file_path(f)
        if self._quick(f):
            log.debug("%s: cached, listing unchanged", f.relpath)
            return LocalFile(path, f, "cached")
        lock_path = self.layout.lock_path(f)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(f, lock_path):
            remove_stale_parts(path)  # a killed process's leftovers (we hold the lock)
            meta = self.layout.read_meta(f)
            had = _intact(path, meta, f)
            if had and (meta.get("fetched_at_ts") or 0) >= self.started:
                log.debug("%s: fetched meanwhile by another process", f.relpath)
                return LocalFile(path, f, "cached")
            if had and self._fresh(path, meta, f):
                return LocalFile(path, f, "cached")
            # the cached copy's validators stand for this file only if it is the same version
            validators = meta if had and meta.get("version") == f.version else {}
            try:
                outcome = with_retries(
                    lambda: self._attempt(f, path, validators),
                    url=f.url,
                    policy=self.policy,
                    what="download",
                    cancel=self.cancel,
                )
            except DownloadError as exc:
                if had and getattr(exc, "transient", False):
                    self._note(
                        f"using the cached copy of {f.relpath} (fetched {meta.get('fetched_at')}): "
                        f"it could not be refreshed: {exc}"
                    )
                    return LocalFile(path, f, "stale")
                raise
            self._record(f, outcome, meta if had else None)
        if not outcome.modified:
            action: Action = "revalidated"
        else:
            action = "replaced" if had else "downloaded"
        log.info("%s: %s", f.relpath, action)
        if action == "downloaded":
            self._drop_older(f)
        return LocalFile(path, f, action)

    @contextmanager
    def _locked(self, f: RemoteFile, lock_path: Path) -> Iterator[None]:
        """Hold the file's lock; wait for another process's download, but stop on cancel."""
        import filelock  # imported on first use (import cost)

        lock = filelock.FileLock(str(lock_path))
        waited = False
        while True:
            try:
                lock.acquire(timeout=0.25)
                break
            except filelock.Timeout:
                if self.cancel.is_set():
                    raise Cancelled(f.url) from None
                if not waited:
                    log.info("%s: waiting for another process fetching it", f.relpath)
                    waited = True
        try:
            yield
        finally:
            lock.release()

    def _attempt(self, f: RemoteFile, path: Path, validators: dict[str, Any]) -> Outcome:
        place = replace_file if f.unpack is None else partial(unpack, f)
        if not is_http(f.url):
            # folders are copied freely; an object store's bucket is limited like a host
            limit = nullcontext() if is_local(f.url) else self.sessions.host_limit(f.url)
            with limit:
                return fs_attempt(
                    f,
                    path,
                    etag=validators.get("etag"),
                    timeout=self.cfg.timeout,
                    min_speed=self.cfg.min_speed,
                    speed_window=self.cfg.speed_window,
                    progress=self._progress,
                    cancel=self.cancel,
                    place=place,
                )
        same_url = validators.get("url") == f.url
        with self.sessions.host_limit(f.url):
            return http_attempt(
                self.sessions.files,
                f,
                path,
                timeout=self.cfg.timeout,
                min_speed=self.cfg.min_speed,
                speed_window=self.cfg.speed_window,
                etag=validators.get("etag") if same_url else None,
                last_modified=validators.get("last_modified"),
                auth=self.sessions.auth_for(f.url),
                progress=self._progress,
                cancel=self.cancel,
                place=place,
            )

    def _record(self, f: RemoteFile, outcome: Outcome, old: dict[str, Any] | None) -> None:
        meta = dict(old or {})
        now = time.time()
        meta.update(
            url=f.url,
            mission=f.mission,
            relpath=f.relpath,
            key=f.key,
            version=f.version,
            unpack=f.unpack,
            members=f.members,
            etag=outcome.etag or (None if outcome.modified else meta.get("etag")),
            last_modified=outcome.last_modified
            or (None if outcome.modified else meta.get("last_modified")),
            listing_size=f.size,
            listing_mtime=_iso(f.mtime),
            fetched_at=dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat(),
            fetched_at_ts=now,
        )
        if outcome.size is not None:
            meta["size"] = outcome.size
        self.layout.write_meta(f, meta)

    def _drop_older(self, f: RemoteFile) -> None:
        """Remove cached versions of ``f.key`` that sort below ``f.version`` (a newer one replaced
        them), files and unpacked folders alike."""
        import filelock

        if f.version is None:
            return
        mine = version_key(f.version)
        for c in self.candidates:
            if (
                (c.mission, c.key) != (f.mission, f.key)
                or c.relpath == f.relpath
                or c.version is None
            ):
                continue
            if version_key(c.version) >= mine or not self.layout.file_path(c).exists():
                continue
            lock = filelock.FileLock(str(self.layout.lock_path(c)), timeout=0)
            try:
                with lock:
                    freed = self.layout.remove(c)
            except filelock.Timeout:
                log.info("not removing %s: another process is using it", c.relpath)
                continue
            log.info("removed %s (%d bytes): replaced by version %s", c.relpath, freed, f.version)


def _combine(errors: list[BaseException]) -> BaseException:
    """One exception for several failed files (a single failure is raised as is)."""
    others = [e for e in errors if not isinstance(e, DownloadError)]
    if len(errors) == 1 or others:
        return (others or errors)[0]
    kinds = {type(e) for e in errors}
    cls = kinds.pop() if len(kinds) == 1 else DownloadError
    lines = "\n  ".join(str(e) for e in errors)
    err = cls(f"{len(errors)} files could not be fetched:\n  {lines}")
    err.errors = errors  # type: ignore[attr-defined]
    err.transient = all(getattr(e, "transient", False) for e in errors)  # type: ignore[attr-defined]
    return err
