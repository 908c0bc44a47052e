"""What a fetch gives back: :class:`LocalFile`, a remote file's place in the cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..schema import RemoteFile

__all__ = ["Action", "LocalFile", "extracted_files"]

Action = Literal["cached", "downloaded", "replaced", "revalidated", "stale"]


def extracted_files(folder: Path) -> list[Path]:
    """The regular files under ``folder`` (recursively, links not followed), sorted by path.

    Examples
    --------
    >>> extracted_files(Path("/no/such/folder"))
    []
    """
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


@dataclass(frozen=True)
class LocalFile:
    """A file (or unpacked delivery) in the cache and how it got there.

    Attributes
    ----------
    path : its path in the cache: the file, or for an ``untar``/``unzip``
        delivery the folder its members were extracted into.
    remote : the :class:`RemoteFile` it stands for.
    action : ``"cached"`` (used as is, no request), ``"downloaded"`` (new),
        ``"replaced"`` (the server had a changed file), ``"revalidated"`` (the
        server answered 304) or ``"stale"`` (the server could not be reached;
        the cached copy is used).

    Examples
    --------
    >>> lf = LocalFile(Path("/c/omni/a.cdf"), RemoteFile(url="https://x/a.cdf", relpath="a.cdf",
    ...                mission="omni"), "cached")
    >>> lf.paths
    [PosixPath('/c/omni/a.cdf')]
    """

    path: Path
    remote: RemoteFile
    action: Action

    @property
    def paths(self) -> list[Path]:
        """The loadable files: ``[path]`` for a plain or ``gunzip`` file, the extracted
        regular files (recursively, sorted by their path in the folder) for ``untar``/``unzip``."""
        if self.remote.unpack in ("untar", "unzip"):
            return extracted_files(self.path)
        return [self.path]
