"""The helioport exception hierarchy.

Every failure a user can act on has a class of its own, all under
:class:`HelioportError`, so ``except helioport.HelioportError`` catches
everything helioport raises on purpose. Messages say what was asked, what is
possible and what to do next.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent)

__all__ = [
    "ConfigError",
    "CorruptFileError",
    "CriteriaError",
    "DataNotFoundError",
    "DerivationError",
    "DownloadError",
    "HelioportError",
    "InvalidRequestError",
    "MissingFileError",
    "OfflineError",
    "PluginError",
    "UnknownMissionError",
    "UnknownProductError",
    "one_line",
    "warn_caller",
]


class HelioportError(Exception):
    """Base class of every error helioport raises on purpose."""


class ConfigError(HelioportError, ValueError):
    """A configuration value (file, environment or keyword) is invalid."""


class PluginError(HelioportError):
    """A plugin misbehaved (bad hook result, conflicting mission names)."""


class InvalidRequestError(HelioportError, ValueError):
    """The request itself is malformed: times, probes, coordinates, modes, versions."""


class UnknownMissionError(InvalidRequestError, LookupError):
    """No installed plugin serves the mission asked for."""


class UnknownProductError(InvalidRequestError, LookupError):
    """The mission has no product of that name."""


class DataNotFoundError(HelioportError, LookupError):
    """The archive holds no file for the requested product and time range."""


class DownloadError(HelioportError, IOError):
    """A file or listing could not be fetched after all retries."""


class OfflineError(DownloadError):
    """Offline mode is on (or the network is down) and the data is not cached."""


class CorruptFileError(DownloadError):
    """A fetched or cached file is truncated, the wrong size, or not what it claims.

    ``path`` is the damaged file when it is known (a cached file that fails to
    read): the lifecycle moves it aside and fetches it once more.
    """

    def __init__(self, *args: object, path: str | Path | None = None) -> None:
        super().__init__(*args)
        self.path = None if path is None else Path(path)


class MissingFileError(CorruptFileError, FileNotFoundError):
    """A file that should be on disk (a cached file, a path given to a reader) is not there."""


class DerivationError(HelioportError):
    """A derived product cannot be computed from its inputs."""


class CriteriaError(HelioportError, ValueError):
    """An event-search criterion is malformed or not allowed."""


def one_line(exc: BaseException) -> str:
    """A validation error (pydantic's included) as one line: ``field: problem (got value); ...``.

    Examples
    --------
    >>> from pydantic import BaseModel, ValidationError
    >>> class M(BaseModel):
    ...     offline: bool
    >>> try:
    ...     M(offline="maybe")
    ... except ValidationError as exc:
    ...     print(one_line(exc))
    offline: Input should be a valid boolean, unable to interpret input (got 'maybe')
    """
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for e in errors():
            where = ".".join(str(x) for x in e.get("loc", ())) or "value"
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            got = e.get("input")
            shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
            parts.append(f"{where}: {msg}{shown}")
        if parts:
            return "; ".join(parts)
    return " ".join(str(exc).split())


# In a task of :func:`helioport.threads.in_threads`, helioport's warnings are
# kept here and given by the calling thread.
KEPT_WARNINGS: ContextVar[list | None] = ContextVar("helioport_kept_warnings", default=None)


def warn_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn with the location of the first caller outside helioport (the user's line).

    However deep in the lifecycle a warning starts, it points at the user's
    ``helioport.load(...)`` call, not at helioport's internals. In a task of
    :func:`helioport.threads.in_threads`, the warning is given when the tasks
    end, in the calling thread and in the tasks' order.
    """
    kept = KEPT_WARNINGS.get()
    if kept is not None:
        kept.append((message, category))
        return
    # stacklevel 1 is this line; 2 is the frame of our caller, where the walk starts
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


_QUIET = threading.RLock()


@contextmanager
def quiet(category: type[Warning] = Warning, message: str = "") -> Iterator[None]:
    """Ignore warnings of ``category`` (whose text starts with ``message``) inside the block.

    :func:`warnings.catch_warnings` saves and restores the process's one filter
    list, so two blocks interleaved on two threads (products read at once,
    :mod:`helioport.threads`) would leave one's filter behind for good: blocks
    of helioport's take turns here.
    """
    with _QUIET, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=message, category=category)
        yield
