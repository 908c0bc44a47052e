"""The cache tree on disk: where files, sidecars and locks live, and how to measure or clear it.

Layout under ``cache_dir``::

    <mission>/<relpath>                  the cached files, mirroring the archive
    .meta/<mission>/<relpath>.json       one metadata sidecar per cached file
    .locks/<sha1(mission/relpath)>.lock  one lock file per cached file
    .stores/<kind>-<sha1(url)>           the last answer of an object store (listing, document)
    http_cache.sqlite                    listings and API answers (requests-cache)

Nothing here touches the network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InvalidRequestError, PluginError
from ..schema import RemoteFile
from ..stamps import settled, stamp

__all__ = [
    "HTTP_CACHE_NAME",
    "CacheLayout",
    "atomic_write_bytes",
    "cache_write_error",
    "remove_stale_parts",
    "remove_tree",
    "stored_size",
]

log = logging.getLogger(__name__)

HTTP_CACHE_NAME = "http_cache.sqlite"
_MISSION = re.compile(r"[a-z0-9][a-z0-9_\-]*")

#: Linux names an open file's real path in ``/proc/self/fd``: one open tells whether any
#: part of a path is a symlink (elsewhere every part is looked at, one ``lstat`` each)
_FD_NAMES = "/proc/self/fd/"
_HAS_FD_NAMES = (
    sys.platform.startswith("linux") and hasattr(os, "O_PATH") and os.path.isdir(_FD_NAMES)
)

#: parsed sidecars by path, with the stamp of the file read (:func:`helioport.stamps.stamp`);
#: a warm load then costs one ``stat`` per sidecar instead of reading and parsing it
_SIDECARS: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}
_SIDECARS_MAX = 4096
_SIDECARS_LOCK = threading.Lock()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.part-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cache_write_error(exc: OSError, root: Path) -> ConfigError:
    """A one-line :class:`ConfigError` for a failure to write in the cache folder ``root``.

    Names the path, says why (read-only, a file where a folder must go, a full
    disk) and what to do.

    Examples
    --------
    >>> err = cache_write_error(PermissionError(13, "Permission denied", "/c/omni"), Path("/c"))
    >>> str(err).split(";")[0]
    'cannot write in the cache folder /c: /c/omni: Permission denied (read-only?)'
    """
    target = exc.filename2 or exc.filename  # a rename names its destination second
    where = Path(target) if target else root
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, NotADirectoryError) or exc.errno == 20:
        blocker = next((p for p in [where, *where.parents] if p.is_file()), where)
        return ConfigError(
            f"cannot write in the cache folder {root}: {blocker} is a file where the cache needs "
            f"a folder; remove it (or run `helioport cache clear`) or use another cache_dir"
        )
    if isinstance(exc, IsADirectoryError) or exc.errno in (21, 39):
        return ConfigError(
            f"cannot write in the cache folder {root}: {where} is a folder where the cache needs "
            "a file; remove it (or run `helioport cache clear`) or use another cache_dir"
        )
    if isinstance(exc, PermissionError) or exc.errno in (1, 13, 30):
        return ConfigError(
            f"cannot write in the cache folder {root}: {where}: {reason} (read-only?); "
            "make it writable, choose another cache_dir (HELIOPORT_CACHE_DIR), or load "
            "offline (--offline, offline=True) to use what it holds"
        )
    return ConfigError(
        f"cannot write in the cache folder {root}: {where}: {reason}; free space or choose "
        "another cache_dir (HELIOPORT_CACHE_DIR)"
    )


def stored_size(path: Path) -> int | None:
    """Bytes stored at ``path``: a file's size, or the total of the regular files under a
    folder (an unpacked delivery; links not followed); ``None`` when nothing is there.

    Examples
    --------
    >>> stored_size(Path("/no/such/file")) is None
    True
    """
    try:
        if not path.is_dir() or path.is_symlink():
            return path.stat().st_size
    except OSError:
        return None
    return _tree_size(path)[1]


def remove_stale_parts(path: Path) -> int:
    """Remove what an interrupted download or unpack of ``path`` left beside it.

    Temporary names are ``.{name}.part-*`` and ``.{name}.unpack-*``. Call it
    holding the file's lock: any such leftover then belongs to a process that
    died, never to one at work. Returns the bytes freed.
    """
    folder = path.parent
    if not folder.is_dir():
        return 0
    freed = 0
    for pattern in (f".{path.name}.part-*", f".{path.name}.unpack-*"):
        for stale in folder.glob(pattern):
            freed += remove_tree(stale)
    if freed:
        log.info("removed %d bytes left by an interrupted download of %s", freed, path)
    return freed


def remove_tree(path: Path) -> int:
    """Remove the file, link or folder at ``path`` (links unlinked, never followed); return
    the bytes freed (0 when nothing was there)."""
    if path.is_dir() and not path.is_symlink():
        freed = _tree_size(path)[1]
        shutil.rmtree(path, ignore_errors=True)
        return freed
    freed = _size(path)
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return freed


class CacheLayout:
    """Paths of the cache tree rooted at ``cache_dir``, with safety checks.

    Examples
    --------
    >>> layout = CacheLayout(Path("/tmp/hp-cache"))
    >>> layout.mission_dir("omni")
    PosixPath('/tmp/hp-cache/omni')
    """

    def __init__(self, cache_dir: Path) -> None:
        root = Path(cache_dir).expanduser()
        # a folder the kernel names as written is resolved already (the config resolves it):
        # one open instead of an lstat per part
        self.root = root if root.is_absolute() and _named_as(str(root)) else root.resolve()
        self._root_parts = self.root.parts
        self._root_text = str(self.root)
        # paths found inside the cache: a load asks for each several times, and resolving
        # is a system call per folder (a layout lives for one load: a symlink added later
        # is seen by the next)
        self._checked: dict[str, Path] = {}
        self._files: dict[tuple[str, str, str], Path] = {}  # the same, by (kind, mission, relpath)

    # -- paths -----------------------------------------------------------------
    def mission_dir(self, mission: str) -> Path:
        return self.root / _mission_name(mission)

    def path(self, mission: str, relpath: str) -> Path:
        """``<cache_dir>/<mission>/<relpath>``, refused (:class:`PluginError`) if it leaves the cache."""
        key = ("file", mission, relpath)
        found = self._files.get(key)
        if found is None:
            path = self._below(_mission_name(mission), relpath)
            found = self._remember(key, self._inside(path, relpath))
        return found

    def file_path(self, f: RemoteFile) -> Path:
        return self.path(f.mission, f.relpath)

    def meta_path(self, f: RemoteFile) -> Path:
        key = ("meta", f.mission, f.relpath)
        found = self._files.get(key)
        if found is None:
            path = self._below(".meta", _mission_name(f.mission), f.relpath + ".json")
            found = self._remember(key, self._inside(path, f.relpath))
        return found

    def _below(self, *parts: str) -> Path:
        """``root / part / ...``: on POSIX one path made from the joined text, which names the
        same path (an absolute part restarts both) at a third of the cost."""
        if os.name == "posix":
            return Path(os.path.join(self._root_text, *parts))
        return self.root.joinpath(*parts)

    def _remember(self, key: tuple[str, str, str], path: Path) -> Path:
        if len(self._files) < 100_000:
            self._files[key] = path
        return path

    def lock_path(self, f: RemoteFile) -> Path:
        digest = hashlib.sha1(f"{f.mission}/{f.relpath}".encode()).hexdigest()
        return self.root / ".locks" / f"{digest}.lock"

    def _inside(self, path: Path, relpath: str) -> Path:
        text = str(path)
        if text in self._checked:
            return self._checked[text]
        if not self._plain(path):
            self._check_resolved(path, relpath)
        if len(self._checked) < 100_000:
            self._checked[text] = path
        return path

    def _plain(self, path: Path) -> bool:
        """``path`` is under the root as written, and none of its parts below the root is ``..``
        or a symlink: it resolves to itself, inside the cache (on Linux one open of it, or of
        its folder and one ``lstat`` when it is not there yet; elsewhere one ``lstat`` per part
        below the root; instead of resolving every folder from ``/``)."""
        parts, n = path.parts, len(self._root_parts)
        if parts[:n] != self._root_parts or ".." in parts[n:]:
            return False
        text = str(path)
        if _named_as(text):
            return True  # it exists, and neither it nor any folder on the way is a symlink
        if len(parts) > n and _named_as(os.path.dirname(text)):
            # no folder on the way is a symlink: only the last part is left to look at
            try:
                return not stat.S_ISLNK(os.lstat(text).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                return True
            except OSError:
                return False
        current = str(self.root)
        for part in parts[n:]:
            current = os.path.join(current, part)
            try:
                if stat.S_ISLNK(os.lstat(current).st_mode):
                    return False
            except (FileNotFoundError, NotADirectoryError):
                return True  # nothing below exists, so no symlink either
            except OSError:
                return False
        return True

    def _check_resolved(self, path: Path, relpath: str) -> None:
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PluginError(
                f"remote path {relpath!r} resolves to {resolved}, outside the cache {self.root}; "
                "refusing to write there (check the plugin's RemoteFile.relpath and any symlinks "
                "in the cache)"
            )

    # -- sidecars --------------------------------------------------------------
    def read_meta(self, f: RemoteFile) -> dict[str, Any] | None:
        """The sidecar of ``f`` (a new dict), ``None`` when there is none or it is unreadable.

        A sidecar read before is not read again while its file is the same
        (:func:`helioport.stamps.stamp`): every change replaces it (:meth:`write_meta`), which a
        ``stat`` sees.
        """
        path = str(self.meta_path(f))
        try:
            kept = _SIDECARS.get(path)
            if kept is not None and kept[0] == stamp(os.stat(path)):
                return dict(kept[1])
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            pass  # reading it says why
        return self._load_meta(f, path)

    def _load_meta(self, f: RemoteFile, path: str) -> dict[str, Any] | None:
        try:
            with open(path, encoding="utf-8") as fh:
                ident = stamp(os.fstat(fh.fileno()))
                meta = json.load(fh)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache sidecar for %s: %s", f.relpath, exc)
            return None
        if not isinstance(meta, dict):
            return None
        _keep_sidecar(path, ident, meta)
        return meta

    def write_meta(self, f: RemoteFile, meta: dict[str, Any]) -> None:
        path = self.meta_path(f)
        _forget_sidecar(path)
        atomic_write_bytes(path, json.dumps(meta, indent=1, sort_keys=True).encode())

    def folder_meta(self, mission: str, relfolder: str) -> dict[str, dict]:
        """Sidecars of the files directly in ``<mission>/<relfolder>``, by file name."""
        folder = self._inside(self.root / ".meta" / mission / relfolder, relfolder)
        out: dict[str, dict] = {}
        try:
            names = os.listdir(folder)
        except OSError:
            return out
        for name in names:
            if name.endswith(".json") and not name.startswith("."):
                try:
                    out[name[:-5]] = json.loads((folder / name).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
        return out

    def set_aside(self, f: RemoteFile) -> Path | None:
        """Move a cached file (or unpacked folder) that fails to read to ``.{name}.damaged``
        beside it (replacing an older one), and drop its sidecar, so the next fetch downloads
        it again. Returns where it went, ``None`` when nothing was there.

        The hidden name keeps it out of listings of the cache and of ``cache info``'s file
        counts, for inspection until the next ``cache clear``.
        """
        path = self.file_path(f)
        if not path.exists() and not path.is_symlink():
            _remove_meta(self.meta_path(f))
            return None
        target = path.with_name(f".{path.name}.damaged")
        remove_tree(target)
        path.replace(target)
        _remove_meta(self.meta_path(f))
        log.info("moved the damaged cached file %s aside to %s", path, target)
        return target

    def remove(self, f: RemoteFile) -> int:
        """Delete a cached file (or unpacked folder) and its sidecar; return the bytes freed."""
        return remove_tree(self.file_path(f)) + _remove_meta(self.meta_path(f))

    # -- answers of object stores ---------------------------------------------------
    def answer_path(self, kind: str, url: str) -> Path:
        """Where the last answer of kind ``kind`` (``list``, ``read``) for a store ``url`` is kept."""
        return self.root / ".stores" / f"{kind}-{hashlib.sha1(url.encode()).hexdigest()}"

    def read_answer(self, kind: str, url: str) -> tuple[bytes, dt.datetime] | None:
        """The kept answer for ``url`` and when it was stored, or ``None``."""
        path = self.answer_path(kind, url)
        try:
            return path.read_bytes(), dt.datetime.fromtimestamp(
                path.stat().st_mtime, dt.timezone.utc
            )
        except OSError:
            return None

    def write_answer(self, kind: str, url: str, data: bytes) -> None:
        """Keep ``data`` as the last answer for ``url`` (atomically; a read-only cache is
        passed over: the answer is only a fallback)."""
        path = self.answer_path(kind, url)
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            log.info("cannot keep the answer of %s in %s: %s", url, path.parent, exc)

    # -- whole cache -----------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """Plain-data summary: folder, total bytes, files and bytes per mission, HTTP cache size."""
        missions: dict[str, dict[str, int]] = {}
        if self.root.is_dir():
            for item in sorted(os.scandir(self.root), key=lambda e: e.name):
                if item.name.startswith(".") or not item.is_dir(follow_symlinks=False):
                    continue
                # hidden names are no cached files: an interrupted download's .part,
                # a damaged copy set aside (they still count in total_bytes)
                n, size = _tree_size(Path(item.path), visible_only=True)
                missions[item.name] = {"files": n, "bytes": size}
        http = sum(_size(self.root / (HTTP_CACHE_NAME + s)) for s in ("", "-wal", "-shm"))
        total = _tree_size(self.root)[1] if self.root.is_dir() else 0
        return {
            "cache_dir": str(self.root),
            "total_bytes": total,
            "missions": missions,
            "http_cache": str(self.root / HTTP_CACHE_NAME),
            "http_cache_bytes": http,
            "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        }

    def clear(self, mission: str | None = None) -> int:
        """Remove a mission's files and sidecars (or every mission's, and the HTTP cache files).

        Only paths inside the cache folder are ever removed; symlinks are
        unlinked, never followed. Returns the bytes removed.
        """
        if not self.root.is_dir():
            return 0
        if mission is not None:
            targets = [self.mission_dir(mission), self.root / ".meta" / mission]
        else:
            targets = [Path(e.path) for e in os.scandir(self.root) if e.name != ".locks"]
        freed = 0
        for target in targets:
            if not _is_under(target, self.root):
                continue
            freed += remove_tree(target)
        return freed


def _mission_name(mission: str) -> str:
    """``mission``, refused (:class:`InvalidRequestError`) when it cannot name a cache folder."""
    if not _MISSION.fullmatch(mission or ""):
        raise InvalidRequestError(
            f"mission name {mission!r} cannot name a cache folder; use lower-case letters, "
            "digits and '_'"
        )
    return mission


def _named_as(path: str) -> bool:
    """Whether the kernel names what is at ``path`` (a file or folder, links followed) exactly as
    written, so that none of its parts is a symlink (a link's target has another path): what
    resolving it would say, in three system calls. ``False`` when nothing is there or it
    cannot tell."""
    if not _HAS_FD_NAMES:
        return False
    try:
        fd = os.open(path, os.O_PATH)  # no file opened for reading: a FIFO or device is inert
    except (OSError, ValueError):
        return False
    try:
        return os.readlink(f"{_FD_NAMES}{fd}") == path
    except OSError:
        return False
    finally:
        os.close(fd)


def _keep_sidecar(path: str, ident: tuple[int, ...], meta: dict[str, Any]) -> None:
    """Keep the parsed sidecar at ``path`` for :meth:`CacheLayout.read_meta`: only a flat one
    (callers get a shallow copy) whose file has settled (:func:`helioport.stamps.settled`)."""
    if not settled(ident):
        return
    if any(isinstance(v, (dict, list)) for v in meta.values()):
        return
    with _SIDECARS_LOCK:
        if len(_SIDECARS) >= _SIDECARS_MAX:
            _SIDECARS.pop(next(iter(_SIDECARS)))  # the oldest kept
        _SIDECARS[path] = (ident, dict(meta))


def _forget_sidecar(path: Path) -> None:
    with _SIDECARS_LOCK:  # not while another thread drops the oldest
        _SIDECARS.pop(str(path), None)


def _remove_meta(path: Path) -> int:
    """:func:`remove_tree` of a sidecar, forgetting what was read of it."""
    _forget_sidecar(path)
    return remove_tree(path)


def _is_under(path: Path, root: Path) -> bool:
    parent = path.parent.resolve()
    return (parent == root or root in parent.parents) and path.name not in ("", ".", "..")


def _size(p: Path) -> int:
    try:
        return p.lstat().st_size
    except OSError:
        return 0


def _tree_size(folder: Path, *, visible_only: bool = False) -> tuple[int, int]:
    """(number of files, total bytes) under ``folder``, links not followed; hidden files and
    folders (bookkeeping, temporary downloads) included unless ``visible_only``."""
    n = size = 0
    for dirpath, dirs, files in os.walk(folder):
        if visible_only:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
        for name in files:
            size += _size(Path(dirpath) / name)
            n += 1
    return n, size
