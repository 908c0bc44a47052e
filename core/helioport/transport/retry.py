"""Retrying transient failures with exponential backoff, honouring ``Retry-After``.

An attempt raises :class:`Transient` for anything worth another try
(connection errors, timeouts, 5xx, 429, truncated or corrupt bodies) and a
:class:`~helioport.errors.DownloadError` for anything that is not (404, 403).
:func:`with_retries` runs attempts until one succeeds or the budget is spent.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..config import Config
from ..errors import DownloadError

__all__ = [
    "Cancelled",
    "RetryPolicy",
    "Transient",
    "connection_failure",
    "failure",
    "parse_retry_after",
    "with_retries",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Transient(Exception):
    """A failure worth retrying.

    Parameters
    ----------
    cause : what went wrong, for the final message.
    retry_after : seconds the server asked to wait (``Retry-After``), if any.
    error_cls : the :class:`DownloadError` subclass to raise if every attempt fails.
    payload : something the caller may still use when every attempt fails
        (a stale cached response).
    unreachable : the host cannot be reached at all (name not resolved,
        connection refused, network unreachable, connect timeout): retrying
        within seconds will not help, so :func:`with_retries` stops at once.
    """

    def __init__(
        self,
        cause: str,
        *,
        retry_after: float | None = None,
        error_cls: type[DownloadError] = DownloadError,
        payload: Any = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.error_cls = error_cls
        self.payload = payload
        self.unreachable = unreachable


_UNREACHABLE = {
    "NameResolutionError": "its name could not be resolved",
    "gaierror": "its name could not be resolved",
    "ConnectionRefusedError": "it refused the connection",
    "ConnectTimeoutError": "it did not answer the connection",
    "ConnectTimeout": "it did not answer the connection",
}
_UNREACHABLE_ERRNO = {101: "the network is unreachable", 113: "there is no route to it"}


def connection_failure(exc: BaseException, url: str) -> Transient:
    """A :class:`Transient` for a connection error; ``unreachable`` when the host cannot be reached.

    Resets and read timeouts are worth retrying; a host whose name does not
    resolve or that refuses connections is not (within a load's seconds).
    """
    host = urlsplit(url).hostname or url
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        reason = _UNREACHABLE.get(type(e).__name__) or (
            _UNREACHABLE_ERRNO.get(getattr(e, "errno", None) or -1)
            if isinstance(e, OSError)
            else None
        )
        if reason:
            return Transient(f"cannot reach {host}: {reason}", unreachable=True)
        todo += [x for x in (e.__cause__, e.__context__, getattr(e, "reason", None)) if x]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    return Transient(f"{type(exc).__name__} talking to {host}: {exc}")


class Cancelled(Exception):
    """The whole fetch was interrupted (Ctrl-C in the main thread): stop quietly."""


def failure(
    cls: type[DownloadError], message: str, *, transient: bool, last: Transient | None = None
) -> DownloadError:
    """Build a :class:`DownloadError` carrying ``transient`` (a cached copy may stand in) and ``last``."""
    err = cls(message)
    err.transient = transient  # type: ignore[attr-defined]
    err.last = last  # type: ignore[attr-defined]
    return err


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait.

    ``retries`` extra attempts after the first; waits of
    ``backoff * 2**attempt`` seconds plus up to 10 % jitter, or what the
    server asked in ``Retry-After`` when that is at most ``max_retry_after``.
    """

    retries: int = 4
    backoff: float = 1.0
    max_retry_after: float = 600.0

    @classmethod
    def from_config(cls, cfg: Config) -> RetryPolicy:
        return cls(retries=cfg.retries, backoff=cfg.backoff, max_retry_after=cfg.max_retry_after)

    def delay(self, attempt: int) -> float:
        base = self.backoff * 2**attempt
        return base + random.uniform(0.0, 0.1 * base)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Examples
    --------
    >>> parse_retry_after("120")
    120.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT",
    ...                   now=dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.timezone.utc))
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now = now or dt.datetime.now(dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def with_retries(
    attempt: Callable[[], T],
    *,
    url: str,
    policy: RetryPolicy,
    what: str = "fetch",
    cancel: threading.Event | None = None,
) -> T:
    """Run ``attempt`` until it succeeds, retrying on :class:`Transient`.

    Raises
    ------
    DownloadError
        (or the :class:`Transient`'s ``error_cls``) naming the URL, the number
        of attempts and the last cause, with ``transient=True`` and ``last`` set;
        at once when the server asks to wait longer than ``max_retry_after``.

    Examples
    --------
    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise Transient("HTTP 500")
    ...     return "ok"
    >>> with_retries(flaky, url="https://x/f", policy=RetryPolicy(retries=3, backoff=0))
    'ok'
    """
    total = policy.retries + 1
    last: Transient | None = None
    for n in range(total):
        if cancel is not None and cancel.is_set():
            raise Cancelled(url)
        try:
            return attempt()
        except Transient as exc:
            last = exc
        if last.unreachable:
            raise failure(
                last.error_cls,
                f"could not {what} {url}: {last.cause}. Check the network connection; to use "
                "what is cached, go offline (--offline, offline=True or HELIOPORT_OFFLINE=1); "
                "or set a mirror (base_url= or HELIOPORT_<SOURCE>_URL)",
                transient=True,
                last=last,
            )
        if last.retry_after is not None and last.retry_after > policy.max_retry_after:
            raise failure(
                last.error_cls,
                f"could not {what} {url}: the server asked to wait {last.retry_after:.0f} s "
                f"(Retry-After, {last.cause}), more than max_retry_after={policy.max_retry_after:.0f} s; "
                "retry later",
                transient=True,
                last=last,
            )
        if n == total - 1:
            break
        wait = last.retry_after if last.retry_after is not None else policy.delay(n)
        log.info(
            "%s %s failed (%s); attempt %d of %d in %.2f s",
            what,
            url,
            last.cause,
            n + 2,
            total,
            wait,
        )
        _sleep(wait, cancel)
    assert last is not None
    raise failure(
        last.error_cls,
        f"could not {what} {url} after {total} attempt(s); last error: {last.cause}",
        transient=True,
        last=last,
    )


def _sleep(seconds: float, cancel: threading.Event | None) -> None:
    if cancel is None:
        time.sleep(seconds)
    elif cancel.wait(seconds):
        raise Cancelled("interrupted while waiting to retry")
