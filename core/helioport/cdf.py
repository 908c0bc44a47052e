"""Read CDF variables fast and faithfully, as numpy arrays or xarray objects.

One :class:`cdflib.CDF` per file, only the variables asked for (plus their
``DEPEND_0`` time and, with ``support=True``, their ``DEPEND_1..3`` and
``LABL_PTR_1..3`` support variables), and with ``start``/``end`` only the
records in ``[start, end)``: the time variable is read, the record bounds found
with :func:`numpy.searchsorted`, and ``varget(startrec=, endrec=)`` reads the
rest. Times become UTC ``datetime64[ns]`` (:mod:`helioport.epochs`), float fill
values NaN; integers stay integers (:meth:`CdfVariable.fill_mask` says where
they are fill).

Examples
--------
>>> out = load_variables(paths, ["mms1_fgm_b_gse_srvy_l2"], start="2015-10-16T13:06")  # doctest: +SKIP
>>> out["mms1_fgm_b_gse_srvy_l2"].sel(component="Bx GSE")  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import logging
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cdflib
import numpy as np
import pandas as pd
import xarray as xr

from .epochs import TIME_TYPES, cdf_time_to_datetime64
from .errors import CorruptFileError, DataNotFoundError, HelioportError
from .times import to_datetime64

logger = logging.getLogger(__name__)

__all__ = [
    "CdfVariable",
    "global_attrs",
    "load_variables",
    "merge_variables",
    "read_variables",
    "to_dataarray",
    "variable_names",
]

PathLike = str | Path
_MAGIC = {"cdf30001", "cdf26002", "0000ffff"}
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
        if len(head) < 8 or magic not in _MAGIC:
            raise CorruptFileError(
                f"{path} is not a CDF file (first bytes {head[:8].hex() or 'none'}, expected "
                "cdf30001/cdf26002/0000ffff): delete it and download it again"
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


def to_dataarray(
    var: CdfVariable,
    *,
    name: str | None = None,
    time_dim: str = "time",
    component_labels: Sequence[str] | None = None,
    dims: Sequence[str] | None = None,
) -> xr.DataArray:
    """Wrap a :class:`CdfVariable` as an :class:`xarray.DataArray`.

    Dimensions: ``time_dim`` (or ``"record"`` without a time axis) first, then
    for each further axis ``i``: the name of a fixed ``DEPEND_i`` variable
    (its values as coordinate), else ``"component"`` (``"component_i"`` for
    tensors) when labels are known (``LABL_PTR_i`` or ``component_labels``),
    else ``"dim{i}"``. A time-varying ``DEPEND_i`` becomes a 2-D coordinate
    named after it.

    Parameters
    ----------
    var
        What :func:`read_variables` returned.
    name
        DataArray name (default: the variable name).
    time_dim
        Name of the record dimension when there is a time axis.
    component_labels
        Labels for axis 1, overriding ``LABL_PTR_1``.
    dims
        Names of all the non-record dimensions, overriding the rules above.

    Examples
    --------
    >>> da = to_dataarray(v, component_labels=["x", "y", "z", "tot"])  # doctest: +SKIP
    >>> da.dims, da.attrs["units"]  # doctest: +SKIP
    (('time', 'component'), 'nT')
    """
    data = var.data
    lead = 1 if var.record_varying else 0
    extra = data.ndim - lead
    labels = dict(var.labels)
    if component_labels is not None:
        labels[1] = list(component_labels)
    for axis, lab in labels.items():
        if axis > extra or len(lab) != data.shape[lead + axis - 1]:
            raise ValueError(
                f"{len(lab)} labels for axis {axis} of {var.name} with shape {data.shape}"
            )
    rec = time_dim if var.time is not None else "record"
    names: list[str] = []
    coords: dict[str, Any] = {}
    for axis in range(1, extra + 1):
        dep = var.depends.get(axis)
        if dims is not None:
            dim = dims[axis - 1]
        elif dep is not None and not dep.record_varying and dep.data.ndim == 1:
            dim = dep.name
        elif axis in labels:
            dim = "component" if extra == 1 else f"component_{axis}"
        else:
            dim = f"dim{axis}"
        names.append(dim)
        if dep is not None and dep.data.shape[-1:] == (data.shape[lead + axis - 1],):
            dep_dims = (rec,) if dep.record_varying and lead else ()
            if dep.data.ndim == len(dep_dims) + 1 and not (dep_dims and dep.name == dim):
                coords[dep.name] = (dep_dims + (dim,), dep.data, _attrs(dep))
        if axis in labels:
            coords[dim if dim not in coords else f"{dim}_label"] = ((dim,), labels[axis])
    if var.record_varying:
        names.insert(0, rec)
        if var.time is not None:
            coords[time_dim] = ((time_dim,), var.time)
    return xr.DataArray(data, dims=names, coords=coords, name=name or var.name, attrs=_attrs(var))


def _attrs(var: CdfVariable) -> dict[str, Any]:
    attrs = {k: _plain(v) for k, v in var.attrs.items()}
    if isinstance(attrs.get("UNITS"), str):
        attrs["units"] = attrs["UNITS"].strip()
    attrs["source_variable"] = var.name
    attrs["CDF_DATA_TYPE"] = var.cdf_type
    return attrs


def merge_variables(pieces: Sequence[CdfVariable]) -> CdfVariable:
    """Concatenate one variable read from several files along time.

    Pieces are ordered by their first time; a record whose time is not after
    the last time of the pieces before it (the same sample repeated at a file
    edge, or an overlap) is dropped; the result is sorted by time.
    Non-record-varying variables come from the first piece.

    Examples
    --------
    >>> t = np.array(["2020-01-01T00:00", "2020-01-01T00:01"], "M8[ns]")
    >>> a = CdfVariable("x", np.array([1.0, 2.0]), time=t)
    >>> b = CdfVariable("x", np.array([2.0, 3.0]), time=t + np.timedelta64(1, "m"))
    >>> merge_variables([a, b]).data
    array([1., 2., 3.])
    """
    if not pieces:
        raise DataNotFoundError("no CDF variable to merge")
    first = pieces[0]
    if len(pieces) == 1 or not first.record_varying:
        return first
    if first.time is None:
        keeps = [None] * len(pieces)
        ordered = list(pieces)
    else:

        def first_time(v: CdfVariable) -> int:
            tv = v.time.view(np.int64)
            tv = tv[tv != _NAT]
            return int(tv[0]) if tv.size else np.iinfo(np.int64).max

        ordered = sorted(pieces, key=first_time)
        keeps, last = [], _NAT
        for v in ordered:
            tv = v.time.view(np.int64)
            keep = (tv > last) | (tv == _NAT)
            keeps.append(None if keep.all() else keep)
            if tv.size:
                last = max(last, int(tv.max()))

    def cat(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([a if k is None else a[k] for a, k in zip(arrays, keeps)])

    time = cat([v.time for v in ordered]) if first.time is not None else None
    data = cat([v.data for v in ordered])
    depends = {
        i: replace(d, data=cat([v.depends[i].data for v in ordered]), time=time)
        if d.record_varying
        else d
        for i, d in first.depends.items()
    }
    if time is not None:
        tv = time.view(np.int64)
        if not bool(np.all(tv[1:] >= tv[:-1])):
            order = np.argsort(time, kind="stable")
            time, data = time[order], data[order]
            depends = {
                i: replace(d, data=d.data[order], time=time) if d.record_varying else d
                for i, d in depends.items()
            }
    if first.data is first.time:
        data = time
    return replace(
        first, data=data, time=time, depends=depends, source=";".join(v.source for v in ordered)
    )


def load_variables(
    paths: PathLike | Iterable[PathLike],
    names: str | Iterable[str],
    *,
    start: Any = None,
    end: Any = None,
    time_var: str | None = None,
    time_dim: str = "time",
    support: bool = True,
    mask_invalid: bool = False,
) -> dict[str, xr.DataArray]:
    """Load variables from many CDF files into one DataArray each, sliced to ``[start, end)``.

    Each file is read once (only the records in range); the numpy arrays are
    concatenated once per variable, edge duplicates removed and time sorted
    (:func:`merge_variables`), then wrapped by :func:`to_dataarray`.

    Parameters
    ----------
    paths
        CDF file(s), in any order.
    names, start, end, time_var, support, mask_invalid
        As :func:`read_variables`.
    time_dim
        As :func:`to_dataarray`.

    Returns
    -------
    dict
        ``{name: xarray.DataArray}``.

    Examples
    --------
    >>> das = load_variables(files, ["mms1_fgm_b_gse_srvy_l2"], start="2015-10-16", end="2015-10-17")  # doctest: +SKIP
    """
    merged = read_merged(
        paths,
        names,
        start=start,
        end=end,
        time_var=time_var,
        support=support,
        mask_invalid=mask_invalid,
    )
    return {n: to_dataarray(v, time_dim=time_dim) for n, v in merged.items()}


def read_merged(
    paths: PathLike | Iterable[PathLike],
    names: str | Iterable[str],
    *,
    start: Any = None,
    end: Any = None,
    time_var: str | None = None,
    support: bool = True,
    mask_invalid: bool = False,
) -> dict[str, CdfVariable]:
    """:func:`load_variables` without the xarray wrapping: merged numpy variables.

    For plugins that build their own DataArrays (several file variables into
    one product) and should not pay for an intermediate DataArray per variable.

    Examples
    --------
    >>> v = read_merged(files, ["BZ_GSE"], start="2010-01-01", end="2010-02-01")["BZ_GSE"]  # doctest: +SKIP
    >>> v.time.dtype, v.data.dtype  # doctest: +SKIP
    (dtype('<M8[ns]'), dtype('float32'))
    """
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not files:
        raise DataNotFoundError("no CDF files given to load")
    wanted = [names] if isinstance(names, str) else list(names)
    per_file = [
        read_variables(
            f,
            wanted,
            start=start,
            end=end,
            time_var=time_var,
            support=support,
            mask_invalid=mask_invalid,
        )
        for f in files
    ]
    return {n: merge_variables([pf[n] for pf in per_file]) for n in wanted}
