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

from ..exports import lazy_package

# public name -> its module, imported on first use: a plugin's product table that
# names a retry rule or a listing entry (``helioport missions``) needs no HTTP code
_LAZY = {
    "ArchiveContext": "context",
    "DirEntry": "listing",
    "LocalFile": "localfile",
    "Transport": "core",
    "parse_index": "listing",
    "select_versions": "versions",
    "version_key": "versions",
}

__all__ = [
    "ArchiveContext",
    "DirEntry",
    "LocalFile",
    "Transport",
    "parse_index",
    "select_versions",
    "version_key",
]

lazy_package(__name__, _LAZY)
