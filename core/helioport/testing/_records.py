"""Records shared by :mod:`helioport.testing.server` and its request handler."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "Fault", "LoggedRequest"]

#: Kinds accepted by :meth:`ArchiveServer.add_fault`, with their options.
FAULT_KINDS: Mapping[str, frozenset[str]] = {
    "status": frozenset({"status", "body"}),
    "retry_after": frozenset({"seconds", "http_date", "status"}),
    "truncate": frozenset({"fraction"}),
    "html_200": frozenset({"body"}),
    "slow": frozenset({"delay"}),
    "reset": frozenset(),
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
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]
    bytes_sent: int

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
