"""A file's stamp from its ``stat``, and whether it has settled enough to be remembered by it.

Several things are kept between loads while their file is unchanged (the
parsed config file, cache sidecars). A stamp tells one file from another at
the same path: an atomic replace gives a new inode, any change a new change
time (``ctime``, which no program can set back). Two writes within one tick
of the file system's clock can still leave the same stamp (the "racy" case of
git's index), so a file changed less than :data:`SETTLE_NS` ago is read again
rather than remembered.
"""

from __future__ import annotations

import os
import time

__all__ = ["SETTLE_NS", "settled", "stamp"]

#: a file changed less than this long ago (ns) is not remembered by its stamp
SETTLE_NS = 3_000_000_000


def stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """``(device, inode, size, mtime_ns, ctime_ns)`` of a ``stat`` result."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def settled(file_stamp: tuple[int, ...]) -> bool:
    """Whether the file of ``file_stamp`` last changed at least :data:`SETTLE_NS` ago (a time
    in the future, from a clock set back, does not count as settled).

    Examples
    --------
    >>> settled((1, 2, 3, 0, 0))
    True
    """
    return abs(time.time_ns() - max(file_stamp[3], file_stamp[4])) >= SETTLE_NS
