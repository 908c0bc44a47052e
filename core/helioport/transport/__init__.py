"""Transport: listings, downloads, the cache and file versions.

- :class:`Transport` holds the HTTP sessions and the cache for one config;
- :class:`ArchiveContext` is what plugins get (base URLs, cached listings, JSON);
- :mod:`.stores` reads folders and object stores (``s3://``, ``gs://``, ``az://``)
  through fsspec, for listings and files alike;
- :func:`select_versions` / :func:`version_key` pick one version per logical file;
- :class:`LocalFile` and :class:`DirEntry` are the results (``LocalFile.paths``
  lists the loadable files, the members of an unpacked delivery included).
"""

from __future__ import annotations

from .context import ArchiveContext
from .core import Transport
from .listing import DirEntry, parse_index
from .localfile import LocalFile
from .versions import select_versions, version_key

__all__ = [
    "ArchiveContext",
    "DirEntry",
    "LocalFile",
    "Transport",
    "parse_index",
    "select_versions",
    "version_key",
]
