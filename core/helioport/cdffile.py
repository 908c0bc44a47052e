"""Open CDF files and read variables from them: the file-level half of :mod:`helioport.cdf`.

One open file per file (per :func:`reading_session`), decoded by pycdfpp or
cdflib (:mod:`helioport.cdfbackends`, the same values either way), only the
variables asked for (plus their ``DEPEND_0`` time and, with ``support=True``,
their ``DEPEND_1..3`` and ``LABL_PTR_1..3`` support variables), and with
``start``/``end`` only the records in ``[start, end)``. Damaged files raise
:class:`~helioport.errors.CorruptFileError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import functools
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cdfbackends import DECODER_ERRORS, CdfFile, cdf_reader, file_meta, known_meta
from .cdfcheck import check_header
from .cdfvariable import NAT, CdfVariable, as_dtype, invalid_mask, plain
from .epochs import (
    CDF_EPOCH,
    CDF_TIME_TT2000,
    TIME_TYPES,
    cdf_time_to_datetime64,
    datetime64_to_epoch,
    datetime64_to_tt2000,
    tt2000_offset,
)
from .errors import CorruptFileError, DataNotFoundError, HelioportError, MissingFileError
from .times import to_datetime64

logger = logging.getLogger(__name__)

__all__ = [
    "NAT",
    "CdfVariable",
    "global_attrs",
    "open_file",
    "plain",
    "read_variables",
    "reading_session",
    "variable_names",
]

PathLike = str | Path
_MARGIN = 2_000_000_000  # ns around a range: leap seconds and EPOCH rounding
_I64_MIN, _I64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


def open_file(path: PathLike, reader: str | None = None, *, _key: tuple | None = None) -> CdfFile:
    """Open a CDF with the chosen decoder (:func:`helioport.cdfbackends.cdf_reader`).

    Raises
    ------
    CorruptFileError
        The file is not a CDF, is truncated, or the decoder cannot parse it.

    Notes
    -----
    ``_key`` is internal (:func:`_reader`): the key ``(absolute path, size, mtime_ns,
    reader)`` of a regular file its caller has just stat-ed, so the file is stat-ed once.

    Examples
    --------
    >>> open_file(fgm_path).info("Epoch").type_name  # doctest: +SKIP
    'CDF_TIME_TT2000'
    """
    p = path if isinstance(path, Path) else Path(path)
    if _key is not None:  # internal: the caller has just made the key of a regular file
        return _decode(p, _key)
    try:
        st = os.stat(p)
    except OSError as exc:  # the errors Path.is_file takes as "no such file"
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            raise
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise MissingFileError(f"no such CDF file: {p}", path=p)
    return _decode(p, (os.path.abspath(p), st.st_size, st.st_mtime_ns, cdf_reader(reader)))


def _decode(p: Path, key: tuple) -> CdfFile:
    """:func:`open_file` of the regular file ``p`` whose key (path, size, mtime, reader) is known."""
    name = key[3]
    if known_meta(key) is None:  # a file opened before as it is now had its header checked
        check_header(p)
    try:
        if name == "pycdfpp":
            from .cdfpycdfpp import PycdfppFile as Decoder  # imported on first use (import cost)
        else:
            from .cdfcdflib import CdflibFile as Decoder
        return Decoder(p, key, file_meta)
    except HelioportError:
        raise
    except DECODER_ERRORS as exc:
        raise CorruptFileError(
            f"{p} could not be read as a CDF ({type(exc).__name__}: {exc}); delete it and "
            "download it again",
            path=p,
        ) from exc


@contextmanager
def _translating(p: Path) -> Iterator[None]:
    """Turn any failure inside the decoder into CorruptFileError naming the file."""
    try:
        yield
    except HelioportError:
        raise
    except DECODER_ERRORS as exc:
        raise CorruptFileError(
            f"{p} is damaged ({type(exc).__name__}: {exc}); delete it and download it again",
            path=p,
        ) from exc


@contextmanager
def _open(path: PathLike) -> Iterator[CdfFile]:
    """Open a CDF, turning any failure inside the decoder into CorruptFileError naming the file."""
    p = path if isinstance(path, Path) else Path(path)
    cdf = open_file(p)
    try:
        with _translating(p):
            yield cdf
    finally:
        cdf.close()


# Within one ``reading_session()`` (one ``helioport.load``), each file is opened
# once and its variable descriptions, attributes and time selections are read
# once, however many products read from it.
_SESSION: ContextVar[dict | None] = ContextVar("helioport_cdf_session", default=None)


@contextmanager
def reading_session(*, own: bool = False) -> Iterator[None]:
    """Share open files and their metadata between reads until the block ends.

    ``helioport.load`` wraps every product load of one request in a session,
    so products that come from the same file (``dc_mag`` and ``i_bulkv`` from
    one OMNI HRO file, say) open it and read its time axis once. Nested
    sessions join the outer one, unless ``own``: a session of its own (a thread
    reading files no other reads: they are closed, their memory freed, on that
    thread). Files are closed when the outermost ends; a file whose size or
    modification time changed is opened again.

    Examples
    --------
    >>> with reading_session():                       # doctest: +SKIP
    ...     b = read_variables(path, ["BX_GSE"])
    ...     n = read_variables(path, ["proton_density"])   # same open file, same Epoch read
    """
    if _SESSION.get() is not None and not own:
        yield
        return
    state: dict = {"files": {}, "readers": {}}
    token = _SESSION.set(state)
    try:
        yield
    finally:
        _SESSION.reset(token)
        for cdf in state["files"].values():
            cdf.close()


@contextmanager
def _reader(p: Path, start: Any, end: Any, mask_invalid: bool) -> Iterator[_Reader]:
    state = _SESSION.get()
    if state is None:
        with _open(p) as cdf:
            yield _Reader(cdf, p, _ns(start), _ns(end), mask_invalid)
        return
    # one stat per read: the same key finds the file open in this session, else opens it
    # (open_file's own stat and key, done here once; its errors when the stat fails)
    try:
        st = os.stat(p)
    except OSError:
        st = None
    regular = st is not None and stat.S_ISREG(st.st_mode)
    where, reader = os.path.abspath(p), cdf_reader()
    fkey = (where, st.st_size, st.st_mtime_ns, reader) if regular else (where, None, None, reader)
    files, readers = state["files"], state["readers"]
    if fkey not in files:
        files[fkey] = open_file(p, _key=fkey if regular else None)
    t0, t1 = _ns(start), _ns(end)
    rkey = (fkey, t0, t1, mask_invalid)
    with _translating(p):
        if rkey not in readers:
            readers[rkey] = _Reader(files[fkey], p, t0, t1, mask_invalid)
        yield readers[rkey]


def _as_dt64(value: Any) -> np.datetime64 | None:
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return value.astype("M8[ns]")
    if isinstance(value, pd.Timestamp):
        value = (
            value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
        ).to_datetime64()
        return value.astype("M8[ns]")
    return to_datetime64(value).astype("M8[ns]")


def _ns(value: Any) -> int | None:
    """A time bound as int64 nanoseconds since 1970 (``None`` stays ``None``).

    The bounds of a request are aware datetimes, the same for every file of a
    load and for the next load: those are converted once (:func:`_datetime_ns`).
    """
    if value is None:
        return None
    if type(value) is dt.datetime:
        return _datetime_ns(value)
    return int(_as_dt64(value).view(np.int64))


@functools.lru_cache(maxsize=256)
def _datetime_ns(value: dt.datetime) -> int:
    return int(_as_dt64(value).view(np.int64))


@functools.lru_cache(maxsize=256)
def _raw_bounds(code: int, lo: int | None, hi: int | None) -> tuple[Any, Any]:
    """``[lo, hi)`` ns widened by :data:`_MARGIN`, as raw values of time type ``code``."""
    to_raw = datetime64_to_tt2000 if code == CDF_TIME_TT2000 else datetime64_to_epoch
    return (
        None if lo is None else to_raw(np.array([lo - _MARGIN], "M8[ns]"))[0],
        None if hi is None else to_raw(np.array([hi + _MARGIN], "M8[ns]"))[0],
    )


def _window(raw: np.ndarray, code: int, lo: int | None, hi: int | None) -> tuple[int, int]:
    """Records ``[j0, j1)`` of sorted raw times that hold every time in ``[lo, hi)`` ns.

    A binary search on the raw values (widened by :data:`_MARGIN` for leap
    seconds and rounding), so only the window is converted to datetime64.
    """
    rlo, rhi = _raw_bounds(code, lo, hi)
    bounds = [raw[0] if rlo is None else rlo, raw[-1] if rhi is None else rhi]
    j0, j1 = (int(i) for i in np.searchsorted(raw, bounds, side="left"))
    return (0 if lo is None else j0), (raw.size if hi is None else j1)


class _Reader:
    """Reads variables from one open CDF, caching time selections."""

    def __init__(
        self, cdf: CdfFile, path: Path, t0: int | None, t1: int | None, mask_invalid: bool
    ):
        """``t0``, ``t1``: the bounds in ns since 1970 (:func:`_ns`), ``None`` when open."""
        self.cdf, self.path, self.mask_invalid = cdf, path, mask_invalid
        self.names = cdf.names
        self.ranged = t0 is not None or t1 is not None
        self.t0, self.t1 = t0, t1
        self.lo = NAT + 1 if t0 is None else t0
        self.hi = np.iinfo(np.int64).max if t1 is None else t1
        self._sel: dict[str, tuple[int, int, np.ndarray | None, np.ndarray]] = {}

    def selection(self, tname: str) -> tuple[int, int, np.ndarray | None, np.ndarray]:
        """Record range ``[i0, i1)``, optional index array within it, and the selected times."""
        if tname in self._sel:
            return self._sel[tname]
        info = self.cdf.info(tname)
        raw = self.cdf.view(tname) if info.nrec > 0 else np.zeros(0, np.int64)
        raw = np.atleast_1d(raw)
        w0, w1 = 0, raw.shape[0]
        sorted_ = self.cdf.meta.sorted_times.get(tname)
        if sorted_ is None:  # a fact of the file (remembered with its metadata)
            sorted_ = self.cdf.meta.sorted_times[tname] = (
                info.data_type in (CDF_TIME_TT2000, CDF_EPOCH)
                and raw.ndim == 1
                and raw.size > 1
                and bool(np.all(raw[1:] >= raw[:-1]))
                and not (info.data_type == CDF_EPOCH and raw[0] <= 0.0)  # EPOCH fill / pad 0
                and not (info.data_type == CDF_TIME_TT2000 and raw[0] < -(2**63) + 2)
            )
        if sorted_ and info.data_type == CDF_TIME_TT2000:
            # usually the whole file shares one UTC offset (no leap second in it)
            offset = tt2000_offset(int(raw[0]), int(raw[-1]))
            if offset is not None:
                self._sel[tname] = self._shifted(raw, 0, raw.shape[0], offset)
                return self._sel[tname]
        if sorted_ and self.ranged:
            w0, w1 = _window(raw, info.data_type, self.t0, self.t1)
        if sorted_ and info.data_type == CDF_TIME_TT2000 and w1 > w0:
            offset = tt2000_offset(int(raw[w0]), int(raw[w1 - 1]))
            if offset is not None:
                self._sel[tname] = self._shifted(raw, w0, w1, offset)
                return self._sel[tname]
        times = cdf_time_to_datetime64(raw[w0:w1], info.data_type).reshape(-1)
        i0, i1, take = 0, times.size, None
        if self.ranged and times.size:
            tv = times.view(np.int64)
            if bool(np.all(tv[1:] >= tv[:-1])):
                i0, i1 = (int(i) for i in np.searchsorted(tv, [self.lo, self.hi], side="left"))
                i1 = max(i0, i1)
            else:  # unsorted, fill times or a leap second: select by mask
                idx = np.flatnonzero((tv >= self.lo) & (tv < self.hi))
                i0, i1 = (int(idx[0]), int(idx[-1]) + 1) if idx.size else (0, 0)
                take = None if idx.size == i1 - i0 else idx - i0
        sel = times[i0:i1] if take is None else times[i0:i1][take]
        self._sel[tname] = (i0 + w0, i1 + w0, take, sel)
        return self._sel[tname]

    def _shifted(
        self, raw: np.ndarray, w0: int, w1: int, offset: int
    ) -> tuple[int, int, None, np.ndarray]:
        """:meth:`selection` of sorted TT2000 values ``raw[w0:w1]`` that share one UTC offset.

        The conversion is then one addition that keeps the order, so the records in
        ``[lo, hi)`` are found on the raw values and only those are converted.
        """
        seg = raw[w0:w1]
        bounds = [min(max(b - offset, _I64_MIN), _I64_MAX) for b in (self.lo, self.hi)]
        i0, i1 = (int(i) for i in np.searchsorted(seg, bounds, side="left"))
        i1 = max(i0, i1)
        sel = np.add(seg[i0:i1], offset, dtype=np.int64).view("M8[ns]")
        return i0 + w0, i1 + w0, None, sel

    def raw(self, name: str, i0: int, i1: int, take: np.ndarray | None) -> np.ndarray:
        info = self.cdf.info(name)
        if not info.rec_vary or info.nrec == 0:
            return self.cdf.get(name)
        if i1 <= i0:
            data = self.cdf.get(name, 0, 0)
        elif i0 == 0 and i1 == info.nrec:
            data = self.cdf.get(name)
        else:
            data = self.cdf.get(name, i0, i1)
        return data if take is None else data[take]

    def variable(self, name: str, time_var: str | None, support: bool) -> CdfVariable:
        info, attrs = self.cdf.info(name), self.cdf.attrs(name)
        rv = info.rec_vary
        is_time = info.data_type in TIME_TYPES
        dep0 = (time_var or attrs.get("DEPEND_0")) if rv else None
        if is_time and rv:
            dep0 = None
        if dep0 is not None and dep0 not in self.names:
            logger.warning(
                "%s: DEPEND_0 %r of %s is not in the file; no time axis", self.path.name, dep0, name
            )
            dep0 = None
        n = info.nrec
        i0, i1, take, time = 0, n, None, None
        if is_time and rv:
            i0, i1, take, time = self.selection(name)
        elif dep0 is not None:
            if self.cdf.info(dep0).nrec == n:
                i0, i1, take, time = self.selection(dep0)
            else:
                logger.warning(
                    "%s: %s has %d records but its DEPEND_0 %s has %d; read without a time axis",
                    self.path.name,
                    name,
                    n,
                    dep0,
                    self.cdf.info(dep0).nrec,
                )
                dep0 = None
        if is_time and rv:
            data = time
        else:
            data = self.raw(name, i0, i1, take)
            if is_time:
                data = cdf_time_to_datetime64(data, info.data_type)
            elif data.dtype.kind == "f":
                data = self._to_nan(data, attrs)
        var = CdfVariable(
            name, data, dict(attrs), dep0, time, rv, info.type_name, source=str(self.path)
        )
        if support:
            self._support(var, attrs, (i0, i1, take), time_var)
        return var

    def _to_nan(self, data: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
        if not data.flags.writeable:
            data = data.copy()
        fill = attrs.get("FILLVAL")
        if fill is not None and bool(np.isfinite(fill).all()):  # method: no numpy wrapper
            mask = data == as_dtype(fill, data.dtype)
            if mask.any():
                data[mask] = np.nan
        if self.mask_invalid:
            data[invalid_mask(data, attrs)] = np.nan
        return data

    def _support(
        self, var: CdfVariable, attrs: dict[str, Any], sel: tuple, time_var: str | None
    ) -> None:
        for i in (1, 2, 3):
            ptr = attrs.get(f"LABL_PTR_{i}") or attrs.get(f"LABEL_{i}")
            if isinstance(ptr, str) and ptr in self.names:
                labels = np.asarray(self.cdf.get(ptr)).reshape(-1)
                var.labels[i] = [str(s).strip() for s in labels]
            dep = attrs.get(f"DEPEND_{i}")
            if isinstance(dep, str) and dep in self.names:
                dinfo, dattrs = self.cdf.info(dep), self.cdf.attrs(dep)
                if dinfo.rec_vary and var.record_varying:
                    data = self.raw(dep, *sel)
                    data = self._to_nan(data, dattrs) if data.dtype.kind == "f" else data
                    var.depends[i] = CdfVariable(
                        dep,
                        data,
                        dict(dattrs),
                        var.depend_0,
                        var.time,
                        True,
                        dinfo.type_name,
                        source=str(self.path),
                    )
                else:
                    var.depends[i] = self.variable(dep, None, support=False)


def read_variables(
    path: PathLike,
    names: str | Iterable[str],
    *,
    start: Any = None,
    end: Any = None,
    time_var: str | None = None,
    support: bool = True,
    mask_invalid: bool = False,
) -> dict[str, CdfVariable]:
    """Read variables from one CDF file, optionally only the records in ``[start, end)``.

    Parameters
    ----------
    path
        The CDF file.
    names
        Variable name(s) to read.
    start, end
        Time bounds (datetime64, datetime, ISO string, pandas Timestamp);
        either may be None for an open bound.
    time_var
        Time variable to use instead of each variable's ``DEPEND_0``.
    support
        Also read ``LABL_PTR_1..3`` labels and ``DEPEND_1..3`` variables.
    mask_invalid
        Also set float values outside ``VALIDMIN``/``VALIDMAX`` to NaN.

    Returns
    -------
    dict
        ``{name: CdfVariable}`` in the order asked.

    Raises
    ------
    CorruptFileError
        The file is not a CDF, is truncated, or the decoder cannot parse it.
    DataNotFoundError
        A variable is not in the file (the message lists those that are).

    Examples
    --------
    >>> v = read_variables(fgm_path, ["mms1_fgm_b_gse_brst_l2"])["mms1_fgm_b_gse_brst_l2"]  # doctest: +SKIP
    >>> v.data.shape, v.time.dtype, v.labels[1]  # doctest: +SKIP
    ((17792, 4), dtype('<M8[ns]'), ['Bx GSE', 'By GSE', 'Bz GSE', 'Bt'])
    """
    wanted = [names] if isinstance(names, str) else list(names)
    p = path if isinstance(path, Path) else Path(path)
    with _reader(p, start, end, mask_invalid) as reader:
        missing = [n for n in wanted + ([time_var] if time_var else []) if n not in reader.names]
        if missing:
            hints = {m: difflib.get_close_matches(m, reader.names, n=3) for m in missing}
            hint = "; ".join(f"{m!r}: did you mean {h}?" for m, h in hints.items() if h)
            raise DataNotFoundError(
                f"{p.name} has no variable {', '.join(map(repr, missing))}"
                + (f" ({hint})" if hint else "")
                + f". It has: {', '.join(reader.names)}"
            )
        return {n: reader.variable(n, time_var, support) for n in wanted}


def variable_names(path: PathLike) -> list[str]:
    """Names of all variables (z then r) in a CDF file.

    Examples
    --------
    >>> variable_names(fgm_path)[:2]  # doctest: +SKIP
    ['Epoch', 'mms1_fgm_b_gse_brst_l2']
    """
    with _reader(Path(path), None, None, False) as reader:
        return list(reader.names)


def global_attrs(path: PathLike) -> dict[str, Any]:
    """Global attributes of a CDF file as plain Python values.

    Single-entry attributes become their value, multi-entry ones a list.

    Examples
    --------
    >>> global_attrs(fgm_path)["Logical_source"]  # doctest: +SKIP
    'mms1_fgm_brst_l2'
    """
    with _open(path) as cdf:
        raw = cdf.global_attrs()
    out = {}
    for key, entries in raw.items():
        values = [plain(e) for e in entries]
        out[key] = values[0] if len(values) == 1 else values
    return out
