"""Run independent parts of one load on threads, as if they ran one after the other.

pycdfpp decompresses and decodes with the GIL released, so the files of a
load's products are read on up to one thread per core (DESIGN §2, step 4).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import KEPT_WARNINGS, warn_caller

__all__ = ["cores", "in_threads"]

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def in_threads(fn: Callable[[T], R], items: Iterable[T], workers: int, name: str) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads, as if run in this thread.

    Each task runs in a copy of the caller's context (its context variables:
    the reading session, say). The warnings a task gives through
    :func:`~helioport.errors.warn_caller` are given here, in the order of
    ``items``, once all tasks have ended; so is an exception: the first in
    the order of ``items``, with the warnings of the tasks before it, and no
    task is left running. ``workers <= 1`` or one item runs in this thread.

    Examples
    --------
    >>> in_threads(lambda x: x * x, [1, 2, 3], workers=2, name="demo")
    [1, 4, 9]
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]

    def task(x: T) -> tuple[list, bool, object]:
        kept: list = []
        KEPT_WARNINGS.set(kept)
        try:
            return kept, True, fn(x)
        except Exception as exc:  # noqa: BLE001 - raised in the calling thread, in order
            return kept, False, exc

    pool = ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix=name)
    try:
        futures = [pool.submit(contextvars.copy_context().run, task, x) for x in items]
        outcomes = [fut.result() for fut in futures]
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    out: list = []
    for kept, ok, value in outcomes:
        for message, category in kept:
            warn_caller(message, category)
        if not ok:
            raise value  # type: ignore[misc]
        out.append(value)
    return out
