"""Run independent parts of one load on threads, as if they ran one after the other.

pycdfpp decompresses and decodes with the GIL released, so the files of a
load's products are read on up to one thread per core (DESIGN §2, step 4).
"""

from __future__ import annotations

import contextvars
import os
import threading
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


def in_threads(fn: Callable[[T], R], items: Iterable[T], workers: int) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads, as if run in this thread.

    This thread takes items too, with up to ``workers - 1`` threads of a pool
    kept for the process (starting threads for every load costs more than a
    small load's reading), so a call never waits for a free pool thread: a
    call made inside a task, while the pool is busy, or once the interpreter
    is shutting down, goes on in its own thread. Each task runs in a copy of
    the caller's context (its context variables: the reading session, say).

    As if run one after the other: once a task fails, no item is started any
    more, and the first error in the order of ``items`` is raised here once
    the started ones have ended. The warnings tasks give through
    :func:`~helioport.errors.warn_caller` are given here, in the order of
    ``items``, for every item that ran (one that ran alongside the failing
    one may have done something to tell). ``workers <= 1`` or one item runs
    in this thread alone.

    Examples
    --------
    >>> in_threads(lambda x: x * x, [1, 2, 3], workers=2)
    [1, 4, 9]
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    contexts = [contextvars.copy_context() for _ in items]  # this thread's variables, each
    outcomes: dict[int, tuple[list, bool, object]] = {}
    turns = _Turns(len(items))

    def task(x: T) -> tuple[list, bool, object]:
        kept: list = []
        KEPT_WARNINGS.set(kept)
        try:
            return kept, True, fn(x)
        except BaseException as exc:  # noqa: BLE001 - raised in the calling thread, in order
            return kept, False, exc

    def run() -> None:
        while (i := turns.take()) is not None:
            try:
                outcomes[i] = out = contexts[i].run(task, items[i])
                if not out[1]:
                    turns.stop()
            finally:
                turns.done(i)

    try:
        pool = _pool()
        for _ in range(min(workers, len(items)) - 1):
            pool.submit(run)
    except RuntimeError:  # the interpreter is shutting down: no new threads, this one does all
        pass
    try:
        run()
    finally:
        turns.stop()  # on an interrupt here, no item is started any more
        turns.wait_others()  # and those started on other threads end before this returns
    results: list = []
    failed: BaseException | None = None
    for i in sorted(outcomes):
        kept, ok, value = outcomes[i]
        for message, category in kept:
            warn_caller(message, category)
        if not ok and failed is None:
            failed = value  # type: ignore[assignment]
        results.append(value)
    if failed is not None:
        raise failed
    return results


class _Turns:
    """The items of one :func:`in_threads` call handed out one at a time, and their end."""

    def __init__(self, n: int) -> None:
        self.n, self.next = n, 0
        self.running: dict[int, int] = {}  # item -> thread running it
        self.cond = threading.Condition()

    def take(self) -> int | None:
        with self.cond:
            if self.next >= self.n:
                return None
            self.next += 1
            self.running[self.next - 1] = threading.get_ident()
            return self.next - 1

    def done(self, i: int) -> None:
        with self.cond:
            self.running.pop(i, None)
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.next = self.n

    def wait_others(self) -> None:
        """Wait for the items other threads run (this thread's own are over, even if an
        interrupt left one counted)."""
        me = threading.get_ident()
        with self.cond:
            self.cond.wait_for(lambda: all(t == me for t in self.running.values()))


_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The process's pool (made again in a forked child, where the parent's threads are not)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(max(cores(), 2), "helioport"))
        return _POOL[1]
