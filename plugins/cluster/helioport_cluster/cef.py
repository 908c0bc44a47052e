"""Read CEF (Cluster Exchange Format, ASCII) files into the same variables as their CDF twins.

A CEF file is a header and comma-separated records. The header holds global
metadata (``START_META = NAME`` ... ``ENTRY = ...`` ... ``END_META``) and one
block per variable (``START_VARIABLE = name`` ... ``KEY = value`` ...
``END_VARIABLE``) stating its ``SIZES``, ``VALUE_TYPE``, ``FILLVAL``,
``UNITS``, ``DEPEND_0``, ``LABEL_1``... A variable with a ``DATA`` entry is a
constant; every other one contributes ``prod(SIZES)`` columns to each record,
in header order. Records end with ``END_OF_RECORD_MARKER`` (``$`` at the CSA)
or the end of the line; ``!`` starts a comment. ``INCLUDE`` lines name header
files the CSA ships separately: they are recorded, not read.

:func:`read_cef` returns :class:`helioport.cdf.CdfVariable` objects (ISO
times as UTC ``datetime64[ns]``, float fill values as NaN, ``LABEL_1`` as
labels, ``DEPEND_0`` resolved), so a product reads the same from either
delivery format.

Examples
--------
>>> v = read_cef(path, ["B_vec_xyz_gse__C4_CP_FGM_SPIN"])["B_vec_xyz_gse__C4_CP_FGM_SPIN"]  # doctest: +SKIP
>>> v.data.shape, v.attrs["UNITS"]  # doctest: +SKIP
((57000, 3), 'nT')
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from helioport.cdf import CdfVariable
from helioport.errors import CorruptFileError, DataNotFoundError
from helioport.times import to_datetime64

__all__ = ["CefHeader", "parse_header", "read_cef"]

_KEY_VALUE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_TOKEN = re.compile(r'\s*"([^"]*)"\s*|([^,]+)')


@dataclass
class CefHeader:
    """What a CEF header says: global metadata, variables in column order, record layout."""

    meta: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)
    marker: str | None = None
    data_line: int = 0  # first line of the records

    def columns(self) -> list[tuple[str, int]]:
        """(variable, number of columns) of every record-varying variable, in record order."""
        return [
            (name, _size(attrs)) for name, attrs in self.variables.items() if "DATA" not in attrs
        ]


def _strip_comment(line: str) -> str:
    """The line without a ``!`` comment (a ``!`` inside quotes is text)."""
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == "!" and not quoted:
            break
        out.append(ch)
    return "".join(out).rstrip()


def _value(text: str) -> Any:
    """``"a", "b"`` -> ``["a", "b"]``; ``"a"`` -> ``"a"``; bare tokens as text."""
    items = [q if q else b.strip() for q, b in _TOKEN.findall(text)]
    items = [i for i in items if i != ""] if len(items) > 1 else items
    return items[0] if len(items) == 1 else items


def _size(attrs: dict[str, Any]) -> int:
    sizes = attrs.get("SIZES", 1)
    sizes = sizes if isinstance(sizes, list) else [sizes]
    return int(np.prod([int(s) for s in sizes]))


def parse_header(lines: Iterable[str], source: str = "") -> CefHeader:
    """Parse the header lines of a CEF file (stops at ``DATA_UNTIL``).

    Raises
    ------
    CorruptFileError
        No ``DATA_UNTIL`` line, or a block left open.
    """
    head = CefHeader()
    meta_name: str | None = None
    var_name: str | None = None
    for number, raw in enumerate(lines):
        line = _strip_comment(raw)
        m = _KEY_VALUE.match(line)
        if not m:
            continue
        key, value = m.group(1).upper(), _value(m.group(2))
        if key == "DATA_UNTIL":
            head.data_line = number + 1
            return head
        if key == "END_OF_RECORD_MARKER":
            head.marker = str(value)
        elif key == "INCLUDE":
            head.includes.append(str(value))
        elif key == "START_META":
            meta_name = str(value)
            head.meta[meta_name] = []
        elif key == "END_META":
            entries = head.meta.get(meta_name or "", [])
            head.meta[meta_name or ""] = entries[0] if len(entries) == 1 else entries
            meta_name = None
        elif key == "ENTRY" and meta_name is not None:
            head.meta[meta_name].append(value)
        elif key == "START_VARIABLE":
            var_name = str(value)
            head.variables[var_name] = {}
        elif key == "END_VARIABLE":
            var_name = None
        elif var_name is not None:
            head.variables[var_name][key] = value
        elif meta_name is None:
            head.meta[key] = value
    raise CorruptFileError(f"{source}: no DATA_UNTIL line; this is not a complete CEF file")


def read_cef(
    path: str | Path,
    names: Iterable[str] | None = None,
    *,
    start: Any = None,
    end: Any = None,
) -> dict[str, CdfVariable]:
    """Variables of a CEF file (all, or ``names`` and their ``DEPEND_0``) over ``[start, end)``.

    Raises
    ------
    DataNotFoundError
        A name the file does not hold (the message lists those it does).
    CorruptFileError
        A record with the wrong number of values, or values that are not numbers.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise CorruptFileError(f"cannot read the CEF file {path}: {exc}") from exc
    lines = text.splitlines()
    head = parse_header(lines, str(path))
    wanted = list(head.variables) if names is None else list(names)
    missing = [n for n in wanted if n not in head.variables]
    if missing:
        raise DataNotFoundError(
            f"{path.name} has no variable {', '.join(missing)}; it holds: {', '.join(head.variables)}"
        )
    columns = head.columns()
    table = _records(lines[head.data_line :], head.marker, sum(n for _, n in columns), path)
    raw: dict[str, np.ndarray] = {}
    first = 0
    for name, n in columns:
        raw[name] = table[:, first : first + n]
        first += n
    out: dict[str, CdfVariable] = {}
    times: dict[str, np.ndarray] = {}
    for name in wanted + [head.variables[n].get("DEPEND_0") for n in wanted]:
        if not name or name in out:
            continue
        out[name] = _variable(name, head.variables[name], raw.get(name), str(path))
        if out[name].data.dtype.kind == "M":
            times[name] = out[name].data
    keep = _range(next(iter(times.values()), None), start, end)
    result = {}
    for name in wanted:
        var = out[name]
        dep = var.attrs.get("DEPEND_0")
        time = out[dep].data if dep in out else (var.data if var.data.dtype.kind == "M" else None)
        if keep is not None and var.record_varying:
            var.data = var.data[keep]
            time = time[keep] if time is not None else None
        var.time = time
        var.depend_0 = dep
        result[name] = var
    return result


def _records(lines: list[str], marker: str | None, ncols: int, path: Path) -> np.ndarray:
    """The records as an object array [N, ncols] of text.

    Comments are removed line by line before records are joined (with an
    end-of-record marker a record may span lines, and a comment line between
    records must not swallow the next one); a ``!`` inside quotes is text.
    A record with fewer values than the header declares is refused (pandas
    would pad it with missing values).
    """
    body = "\n".join(_strip_comment(line) if "!" in line else line for line in lines)
    if marker:
        body = body.replace("\n", " ").replace(marker, "\n")
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            header=None,
            dtype=str,
            skipinitialspace=True,
            skip_blank_lines=True,
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorruptFileError(f"{path.name}: its records cannot be read: {exc}") from None
    frame = frame.dropna(how="all")
    if frame.shape[1] != ncols:
        raise CorruptFileError(
            f"{path.name}: records have {frame.shape[1]} values, the header declares {ncols}"
        )
    short = frame.iloc[:, -1].isna().to_numpy()
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise CorruptFileError(
            f"{path.name}: record {i + 1} has {int(frame.iloc[i].notna().sum())} values, "
            f"the header declares {ncols}"
        )
    return frame.to_numpy()


def _variable(
    name: str, attrs: dict[str, Any], cols: np.ndarray | None, source: str
) -> CdfVariable:
    attrs = dict(attrs)
    kind = str(attrs.get("VALUE_TYPE", "FLOAT")).upper()
    labels = {}
    if isinstance(attrs.get("LABEL_1"), list):
        labels[1] = [str(v) for v in attrs["LABEL_1"]]
    if cols is None:  # a constant: DATA = ...
        data = attrs.get("DATA")
        values = np.asarray(data if isinstance(data, list) else [data])
        return CdfVariable(name, values, attrs, record_varying=False, labels=labels, source=source)
    try:
        if kind.startswith("ISO_TIME"):
            text = np.char.strip(cols[:, 0].astype(str))
            if kind == "ISO_TIME_RANGE":
                text = np.char.partition(text, "/")[:, 0]
            data = _iso(text, str(attrs.get("FILLVAL", "")))
            cdf_type = "CDF_EPOCH"
        elif kind == "INT":
            data = cols.astype(np.int64)
            cdf_type = "CDF_INT4"
        elif kind == "CHAR":
            data = cols.astype(str)
            cdf_type = "CDF_CHAR"
        else:
            data = cols.astype(np.float64)
            fill = attrs.get("FILLVAL")
            if fill is not None:
                data[data == float(fill)] = np.nan
            cdf_type = "CDF_FLOAT"
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(f"{source}: values of {name} are not {kind}: {exc}") from None
    if data.ndim == 2 and data.shape[1] == 1 and _size(attrs) == 1:
        data = data[:, 0]
    if "UNITS" in attrs:
        attrs["units"] = attrs["UNITS"]
    return CdfVariable(name, data, attrs, cdf_type=cdf_type, labels=labels, source=source)


def _iso(text: np.ndarray, fill: str) -> np.ndarray:
    """ISO 8601 UTC texts (``...Z``) as ``datetime64[ns]``; the fill value as NaT."""
    bare = np.char.rstrip(text, "Z")
    out = bare.astype("datetime64[ns]")
    if fill:
        out[text == fill] = np.datetime64("NaT")
    return out


def _range(time: np.ndarray | None, start: Any, end: Any) -> slice | None:
    if time is None or (start is None and end is None):
        return None
    i0 = 0 if start is None else int(np.searchsorted(time, to_datetime64(start)))
    i1 = len(time) if end is None else int(np.searchsorted(time, to_datetime64(end)))
    return slice(i0, i1)
