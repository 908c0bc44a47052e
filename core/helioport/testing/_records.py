"""Records shared by :mod:`helioport.testing.server` and its request handler.

Besides the request log and the faults, this is the contract of a mounted API
(:meth:`ArchiveServer.mount <helioport.testing.server.ArchiveServer.mount>`):
an :data:`ApiHandler` receives an :class:`ApiRequest` and answers an
:class:`ApiResponse`; the server does the HTTP (ETag and ``304`` for bodies,
``Range``/``304`` for files, faults, the request log).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FAULT_KINDS",
    "ApiHandler",
    "ApiRequest",
    "ApiResponse",
    "Fault",
    "LoggedRequest",
]

#: Kinds accepted by :meth:`ArchiveServer.add_fault`, with their options.
FAULT_KINDS: Mapping[str, frozenset[str]] = {
    "status": frozenset({"status", "body"}),
    "retry_after": frozenset({"seconds", "http_date", "status"}),
    "truncate": frozenset({"fraction"}),
    "html_200": frozenset({"body"}),
    "slow": frozenset({"delay"}),
    "reset": frozenset(),
    "drip": frozenset({"interval", "size"}),
    "redirect_loop": frozenset(),
}


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered (or dropped), for tests to inspect.

    Attributes
    ----------
    method : str
        ``GET``, ``HEAD``...
    path : str
        Percent-decoded URL path, with leading slash, without query.
    query : dict of str to str
        Query parameters (last value wins).
    status : int
        Status sent; ``0`` when the connection was dropped without answer.
    headers : dict of str to str
        Request headers, names as the client sent them.
    bytes_sent : int
        Body bytes actually written (0 for HEAD and 304).
    response_headers : dict of str to str
        Headers of the answer (empty when none was sent).
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]
    bytes_sent: int
    response_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return request header ``name`` (case-insensitive)."""
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return default

    @property
    def conditional(self) -> bool:
        """Whether the request carried ``If-None-Match`` or ``If-Modified-Since``."""
        return any(self.header(n) is not None for n in ("If-None-Match", "If-Modified-Since"))

    @property
    def content_type(self) -> str:
        """The answer's media type, lower case without parameters (``""`` when none)."""
        for key, value in self.response_headers.items():
            if key.lower() == "content-type":
                return value.split(";", 1)[0].strip().lower()
        return ""


@dataclass
class Fault:
    """A fault armed with :meth:`ArchiveServer.add_fault`.

    Attributes
    ----------
    pattern : str
        fnmatch glob on the decoded request path (tried with and without the
        leading slash).
    kind : str
        One of :data:`FAULT_KINDS`.
    times : int
        How many matching requests it fires for.
    opts : dict
        Kind-specific options.
    fired : int
        How many times it has fired so far.
    """

    pattern: str
    kind: str
    times: int
    opts: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    @property
    def remaining(self) -> int:
        """Firings left."""
        return self.times - self.fired

    def matches(self, path: str) -> bool:
        """Whether the decoded request ``path`` matches :attr:`pattern`."""
        return fnmatch.fnmatchcase(path, self.pattern) or fnmatch.fnmatchcase(
            path.lstrip("/"), self.pattern
        )


@dataclass(frozen=True)
class ApiRequest:
    """A request under the URL prefix of a mounted API.

    Attributes
    ----------
    method : str
        ``GET`` or ``HEAD`` (other methods are answered 405 before any API sees them).
    path : str
        The decoded path below the prefix, without surrounding slashes
        (``"file_info/science"``; ``""`` for the prefix itself).
    query : dict of str to list of str
        Query parameters as :func:`urllib.parse.parse_qs` gives them (blank values dropped).
    headers : Mapping of str to str
        Request headers.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return request header ``name`` (case-insensitive)."""
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return default


@dataclass(frozen=True)
class ApiResponse:
    """What a mounted API answers; the server turns it into HTTP.

    Attributes
    ----------
    status : int
        HTTP status.
    body : bytes
        The body (ignored when ``file`` is set).
    content_type : str
        ``Content-Type`` of ``body``.
    headers : Mapping of str to str
        Extra headers (``Content-Disposition``...).
    file : pathlib.Path or None
        A file to send as the archive sends its files: ``Last-Modified``, a
        strong ``ETag``, ``304``, ``Range``; its ``Content-Type`` by extension.
        The API is responsible for keeping it inside the folder it serves.

    A ``200`` body gets an ``ETag`` (a hash of the body) and answers ``304``
    to a matching ``If-None-Match``, as the real APIs' caches do.

    Examples
    --------
    >>> ApiResponse.json({"files": []}).status
    200
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    file: Path | None = None

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> ApiResponse:
        """A JSON answer (``application/json``)."""
        return cls(status, json.dumps(payload).encode(), "application/json")

    @classmethod
    def send_file(cls, path: Path, headers: Mapping[str, str] | None = None) -> ApiResponse:
        """A file download (see :attr:`file`)."""
        return cls(200, headers=dict(headers or {}), file=Path(path))


#: A mounted API: called with each request under its prefix, in the server's
#: thread for that connection (so it must be thread-safe); an exception becomes a 500.
ApiHandler = Callable[[ApiRequest], ApiResponse]
