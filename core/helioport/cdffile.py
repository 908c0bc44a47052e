"""Open CDF files and read variables from them: the file-level half of :mod:`helioport.cdf`.

One :class:`cdflib.CDF` per file (per :func:`reading_session`), only the
variables asked for (plus their ``DEPEND_0`` time and, with ``support=True``,
their ``DEPEND_1..3`` and ``LABL_PTR_1..3`` support variables), and with
``start``/``end`` only the records in ``[start, end)``. Damaged files raise
:class:`~helioport.errors.CorruptFileError` naming the file.
"""

from __future__ import annotations

import difflib
import logging
import struct
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cdflib
import numpy as np
import pandas as pd

from .epochs import TIME_TYPES, cdf_time_to_datetime64
from .errors import CorruptFileError, DataNotFoundError, HelioportError
from .magic import CDF_MAGIC
from .times import to_datetime64

logger = logging.getLogger(__name__)

__all__ = ["CdfVariable", "global_attrs", "read_variables", "reading_session", "variable_names"]

PathLike = str | Path
_CDFLIB_ERRORS = (OSError, ValueError, EOFError, IndexError, RuntimeError, struct.error, zlib.error)
_NAT = np.iinfo(np.int64).min


@dataclass
class CdfVariable:
    """One CDF variable as read: data, attributes and its time axis.

    Attributes
    ----------
    name
        Variable name in the file.
    data
        numpy array, records first when ``record_varying``; float fill values
        are NaN, integers untouched, CDF time types ``datetime64[ns]``.
    attrs
        All the variable's attributes as cdflib returns them (ISTP ``FIELDNAM``,
        ``UNITS``, ``CATDESC``, ``VAR_TYPE``, ``FILLVAL``, ``VALIDMIN``, ...).
    depend_0
        Name of the time variable, or None.
    time
        ``datetime64[ns]`` per record, or None.
    record_varying
        False for metadata such as label or fixed energy-table variables.
    cdf_type
        CDF data type name, e.g. ``"CDF_REAL4"``.
    labels
        ``{axis: [label, ...]}`` from ``LABL_PTR_i`` (or the CSA's ``LABEL_i``).
    depends
        ``{axis: CdfVariable}`` for ``DEPEND_1..3``.
    source
        Path of the file read.

    Examples
    --------
    >>> v = CdfVariable("n", np.array([1.0, np.nan]), {"FILLVAL": -1e31})
    >>> v.fill_mask()
    array([False,  True])
    """

    name: str
    data: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)
    depend_0: str | None = None
    time: np.ndarray | None = None
    record_varying: bool = True
    cdf_type: str = ""
    labels: dict[int, list[str]] = field(default_factory=dict)
    depends: dict[int, CdfVariable] = field(default_factory=dict)
    source: str = ""

    def fill_mask(self, *, invalid: bool = False) -> np.ndarray:
        """Boolean mask of fill values (NaN/NaT too); with ``invalid``, also outside VALIDMIN/MAX."""
        d = self.data
        if d.dtype.kind in "fc":
            mask = np.isnan(d)
        elif d.dtype.kind == "M":
            mask = np.isnat(d)
        else:
            fill = self.attrs.get("FILLVAL")
            mask = d == _as_dtype(fill, d.dtype) if fill is not None else np.zeros(d.shape, bool)
        if invalid and d.dtype.kind in "iuf":
            mask |= _invalid(d, self.attrs)
        return mask


def _as_dtype(value: Any, dtype: np.dtype) -> Any:
    try:
        return np.asarray(value).astype(dtype)
    except (TypeError, ValueError, OverflowError):
        return value


def _invalid(data: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    mask = np.zeros(data.shape, bool)
    for key, op in (("VALIDMIN", np.less), ("VALIDMAX", np.greater)):
        if attrs.get(key) is None:
            continue
        try:
            mask |= op(data, _as_dtype(attrs[key], data.dtype))
        except ValueError:
            logger.warning(
                "%s of shape %s does not fit data %s; ignored",
                key,
                np.shape(attrs[key]),
                data.shape,
            )
    return mask


def _check_header(path: Path) -> None:
    """Raise CorruptFileError unless ``path`` starts like a CDF and is as long as it says."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(32)
        magic, second = head[:4].hex(), head[4:8].hex()
        if len(head) < 8 or head[:4] not in CDF_MAGIC:
            raise CorruptFileError(
                f"{path} is not a CDF file (first bytes {head[:8].hex() or 'none'}, expected "
                f"{'/'.join(m.hex() for m in CDF_MAGIC)}): delete it and download it again"
            )
        if second != "0000ffff" or magic == "0000ffff":
            return  # compressed file (cdflib inflates and checks it) or pre-2.6 layout
        v3 = magic == "cdf30001"
        gdr = int.from_bytes(head[20:28] if v3 else head[16:20], "big")
        f.seek(gdr + (36 if v3 else 20))
        raw = f.read(8 if v3 else 4)
    eof = int.from_bytes(raw, "big") if len(raw) == (8 if v3 else 4) else -1
    if eof < 0 or eof > size:
        raise CorruptFileError(
            f"{path} is truncated: {size} bytes on disk, its header says {eof if eof >= 0 else 'more'}; "
            "delete it and download it again"
        )


def _open_cdf(p: Path) -> cdflib.CDF:
    if not p.is_file():
        raise FileNotFoundError(f"no such CDF file: {p}")
    _check_header(p)
    try:
        return cdflib.CDF(p)
    except _CDFLIB_ERRORS as exc:
        raise CorruptFileError(
            f"{p} could not be read as a CDF ({exc}); delete it and download it again"
        ) from exc


@contextmanager
def _translating(p: Path) -> Iterator[None]:
    """Turn any failure inside cdflib into CorruptFileError naming the file."""
    try:
        yield
    except HelioportError:
        raise
    except _CDFLIB_ERRORS as exc:
        raise CorruptFileError(
            f"{p} is damaged ({type(exc).__name__}: {exc}); delete it and download it again"
        ) from exc


@contextmanager
def _open(path: PathLike) -> Iterator[cdflib.CDF]:
    """Open a CDF, turning any failure inside cdflib into CorruptFileError naming the file."""
    p = Path(path)
    cdf = _open_cdf(p)
    try:
        with _translating(p):
            yield cdf
    finally:
        _close(cdf)


# Within one ``reading_session()`` (one ``helioport.load``), each file is opened
# once and its variable descriptions, attributes and time selections are read
# once, however many products read from it.
_SESSION: ContextVar[dict | None] = ContextVar("helioport_cdf_session", default=None)


@contextmanager
def reading_session() -> Iterator[None]:
    """Share open files and their metadata between reads until the block ends.

    ``helioport.load`` wraps every product load of one request in a session,
    so products that come from the same file (``dc_mag`` and ``i_bulkv`` from
    one OMNI HRO file, say) open it and read its time axis once. Nested
    sessions join the outer one. Files are closed when the outermost ends; a
    file whose size or modification time changed is opened again.

    Examples
    --------
    >>> with reading_session():                       # doctest: +SKIP
    ...     b = read_variables(path, ["BX_GSE"])
    ...     n = read_variables(path, ["proton_density"])   # same open file, same Epoch read
    """
    if _SESSION.get() is not None:
        yield
        return
    state: dict = {"files": {}, "readers": {}}
    token = _SESSION.set(state)
    try:
        yield
    finally:
        _SESSION.reset(token)
        for cdf in state["files"].values():
            _close(cdf)


@contextmanager
def _reader(p: Path, start: Any, end: Any, mask_invalid: bool) -> Iterator[_Reader]:
    state = _SESSION.get()
    if state is None:
        with _open(p) as cdf:
            yield _Reader(cdf, p, start, end, mask_invalid)
        return
    st = p.stat() if p.is_file() else None
    fkey = (str(p.resolve()), st and st.st_mtime_ns, st and st.st_size)
    files, readers = state["files"], state["readers"]
    if fkey not in files:
        files[fkey] = _open_cdf(p)
    rkey = (fkey, str(_as_dt64(start)), str(_as_dt64(end)), mask_invalid)
    with _translating(p):
        if rkey not in readers:
            readers[rkey] = _Reader(files[fkey], p, start, end, mask_invalid)
        yield readers[rkey]


def _close(cdf: cdflib.CDF) -> None:
    """Release the file handle and any inflated temporary copy now, not at garbage collection."""
    handle = getattr(cdf, "_f", None)
    if handle is not None and hasattr(handle, "close"):
        handle.close()
    temp = getattr(cdf, "temp_file", None)
    if temp is not None:
        Path(temp).unlink(missing_ok=True)
        cdf.temp_file = None


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


def _varatts_index(cdf: cdflib.CDF) -> dict[tuple[bool, int], list[tuple[str, int]]] | None:
    """``(is z variable, variable number) -> [(attribute, entry record offset)]`` in one walk.

    Uses cdflib's record readers (``_read_adr``, ``_read_aedr_fast``); returns
    ``None`` when they are not there (another cdflib), and the caller falls
    back to the public ``varattsget``.
    """
    try:
        index: dict[tuple[bool, int], list[tuple[str, int]]] = {}
        loc = cdf._first_adr
        for _ in range(cdf._num_att):
            adr = cdf._read_adr(loc)
            if adr.scope != 1:  # 1: global scope
                lists = (
                    (True, adr.first_z_entry, adr.num_z_entry),
                    (False, adr.first_gr_entry, adr.num_gr_entry),
                )
                for z, entry, count in lists:
                    for _ in range(count):
                        num, following = cdf._read_aedr_fast(entry)
                        index.setdefault((z, int(num)), []).append((adr.name, entry))
                        entry = following
            loc = adr.next_adr_loc
        return index
    except AttributeError:  # pragma: no cover - a cdflib without these internals
        return None


class _Reader:
    """Reads variables from one open CDF, caching attributes and time selections."""

    def __init__(self, cdf: cdflib.CDF, path: Path, start: Any, end: Any, mask_invalid: bool):
        self.cdf, self.path, self.mask_invalid = cdf, path, mask_invalid
        info = cdf.cdf_info()
        self.names = list(info.zVariables) + list(info.rVariables)
        t0, t1 = _as_dt64(start), _as_dt64(end)
        self.ranged = t0 is not None or t1 is not None
        self.lo = _NAT + 1 if t0 is None else int(t0.view(np.int64))
        self.hi = np.iinfo(np.int64).max if t1 is None else int(t1.view(np.int64))
        self._inq: dict[str, Any] = {}
        self._index: dict[tuple[bool, int], list[tuple[str, int]]] | None = None
        self._sel: dict[str, tuple[int, int, np.ndarray | None, np.ndarray]] = {}

    def inq(self, name: str) -> tuple[Any, dict[str, Any]]:
        if name not in self._inq:
            vinq = self.cdf.varinq(name)
            self._inq[name] = (vinq, self._varatts(name, vinq))
        return self._inq[name]

    def _varatts(self, name: str, vinq: Any) -> dict[str, Any]:
        """The variable's attributes, as ``cdflib.CDF.varattsget`` gives them.

        cdflib walks every attribute's entry list for each variable asked
        (attributes x variables records per call); here the entry lists are
        walked once per file (:func:`_varatts_index`) and only this variable's
        entries are read. Falls back to ``varattsget`` when cdflib's internals
        differ from the ones this was written against.
        """
        if self._index is None:
            self._index = _varatts_index(self.cdf) or {}
        z = str(getattr(vinq, "Var_Type", "zVariable")).lower().startswith("z")
        entries = self._index.get((z, int(vinq.Num))) if self._index else None
        if entries is None and not self._index:
            return self.cdf.varattsget(name) or {}
        out: dict[str, Any] = {}
        for attr, loc in entries or ():
            value = self.cdf._read_aedr(loc).entry
            if isinstance(value, np.ndarray) and len(value) == 1:
                value = value[0]
            out[attr] = value
        return out

    def selection(self, tname: str) -> tuple[int, int, np.ndarray | None, np.ndarray]:
        """Record range ``[i0, i1)``, optional index array within it, and the selected times."""
        if tname in self._sel:
            return self._sel[tname]
        inq, _ = self.inq(tname)
        n = inq.Last_Rec + 1
        raw = self.cdf.varget(tname) if n > 0 else np.zeros(0, np.int64)
        times = cdf_time_to_datetime64(np.atleast_1d(raw), inq.Data_Type).reshape(-1)
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
        self._sel[tname] = (i0, i1, take, sel)
        return self._sel[tname]

    def raw(self, name: str, i0: int, i1: int, take: np.ndarray | None) -> np.ndarray:
        inq, _ = self.inq(name)
        dims = tuple(s for s, v in zip(inq.Dim_Sizes, inq.Dim_Vary) if v) if inq.Dim_Vary else ()
        if not inq.Rec_Vary or inq.Last_Rec < 0:
            data = self.cdf.varget(name)
            return np.asarray(data if data is not None else np.zeros((0,) + dims))
        if i1 <= i0:
            data = np.asarray(self.cdf.varget(name, startrec=0, endrec=0))[:0]
        elif i0 == 0 and i1 == inq.Last_Rec + 1:
            data = np.asarray(self.cdf.varget(name))
        else:
            data = np.asarray(self.cdf.varget(name, startrec=i0, endrec=i1 - 1))
        if data.ndim == len(dims):  # a single record comes back without its record axis
            data = data.reshape((-1,) + dims)
        return data if take is None else data[take]

    def variable(self, name: str, time_var: str | None, support: bool) -> CdfVariable:
        inq, attrs = self.inq(name)
        rv = bool(inq.Rec_Vary)
        is_time = inq.Data_Type in TIME_TYPES
        dep0 = (time_var or attrs.get("DEPEND_0")) if rv else None
        if is_time and rv:
            dep0 = None
        if dep0 is not None and dep0 not in self.names:
            logger.warning(
                "%s: DEPEND_0 %r of %s is not in the file; no time axis", self.path.name, dep0, name
            )
            dep0 = None
        n = inq.Last_Rec + 1
        i0, i1, take, time = 0, n, None, None
        if is_time and rv:
            i0, i1, take, time = self.selection(name)
        elif dep0 is not None:
            if self.inq(dep0)[0].Last_Rec + 1 == n:
                i0, i1, take, time = self.selection(dep0)
            else:
                logger.warning(
                    "%s: %s has %d records but its DEPEND_0 %s has %d; read without a time axis",
                    self.path.name,
                    name,
                    n,
                    dep0,
                    self.inq(dep0)[0].Last_Rec + 1,
                )
                dep0 = None
        if is_time and rv:
            data = time
        else:
            data = self.raw(name, i0, i1, take)
            if is_time:
                data = cdf_time_to_datetime64(data, inq.Data_Type)
            elif data.dtype.kind == "f":
                data = self._to_nan(data, attrs)
        var = CdfVariable(
            name,
            data,
            dict(attrs),
            dep0,
            time,
            rv,
            inq.Data_Type_Description,
            source=str(self.path),
        )
        if support:
            self._support(var, attrs, (i0, i1, take), time_var)
        return var

    def _to_nan(self, data: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
        if not data.flags.writeable:
            data = data.copy()
        fill = attrs.get("FILLVAL")
        if fill is not None and np.all(np.isfinite(fill)):
            mask = data == _as_dtype(fill, data.dtype)
            if mask.any():
                data[mask] = np.nan
        if self.mask_invalid:
            data[_invalid(data, attrs)] = np.nan
        return data

    def _support(
        self, var: CdfVariable, attrs: dict[str, Any], sel: tuple, time_var: str | None
    ) -> None:
        for i in (1, 2, 3):
            ptr = attrs.get(f"LABL_PTR_{i}") or attrs.get(f"LABEL_{i}")
            if isinstance(ptr, str) and ptr in self.names:
                labels = np.asarray(self.cdf.varget(ptr)).reshape(-1)
                var.labels[i] = [str(s).strip() for s in labels]
            dep = attrs.get(f"DEPEND_{i}")
            if isinstance(dep, str) and dep in self.names:
                dinq, dattrs = self.inq(dep)
                if dinq.Rec_Vary and var.record_varying:
                    data = self.raw(dep, *sel)
                    data = self._to_nan(data, dattrs) if data.dtype.kind == "f" else data
                    var.depends[i] = CdfVariable(
                        dep,
                        data,
                        dict(dattrs),
                        var.depend_0,
                        var.time,
                        True,
                        dinq.Data_Type_Description,
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
        The file is not a CDF, is truncated, or cdflib cannot decode it.
    DataNotFoundError
        A variable is not in the file (the message lists those that are).

    Examples
    --------
    >>> v = read_variables(fgm_path, ["mms1_fgm_b_gse_brst_l2"])["mms1_fgm_b_gse_brst_l2"]  # doctest: +SKIP
    >>> v.data.shape, v.time.dtype, v.labels[1]  # doctest: +SKIP
    ((17792, 4), dtype('<M8[ns]'), ['Bx GSE', 'By GSE', 'Bz GSE', 'Bt'])
    """
    wanted = [names] if isinstance(names, str) else list(names)
    p = Path(path)
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
        raw = cdf.globalattsget() or {}
    out = {}
    for key, entries in raw.items():
        values = [_plain(e) for e in (entries if isinstance(entries, list) else [entries])]
        out[key] = values[0] if len(values) == 1 else values
    return out


def _plain(value: Any) -> Any:
    """numpy scalars/arrays to Python scalars/lists; strings stripped of NULs."""
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype == np.float32:  # shortest repr, so -1e31 stays -1e31, not -9.99...e30
            value = np.asarray([float(str(x)) for x in np.ravel(value)]).reshape(np.shape(value))
        return value.item() if value.size == 1 else value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return value.rstrip("\x00")
    return value
