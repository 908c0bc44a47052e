"""Test tooling for helioport and its plugin authors (public API).

- :class:`ArchiveServer`: serves a folder over HTTP on 127.0.0.1 like the real
  archives (Apache indexes, ETag/Last-Modified/304, Range, the MMS SDC API) with
  fault injection;
- :mod:`helioport.testing.cdfwriter`: CDF fixtures with real variable names;
- :func:`check_plugin`: the plugin conformance suite.
"""

from .server import ArchiveServer, LoggedRequest, serve_forever

__all__ = ["ArchiveServer", "LoggedRequest", "serve_forever"]
