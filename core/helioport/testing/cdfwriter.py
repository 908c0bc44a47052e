"""Write CDF fixtures with the real datasets' names, types and ISTP attributes.

:func:`write_cdf` writes any set of variables with :class:`cdflib.cdfwrite.CDF`;
times are converted here (TT2000 as int64 through
:func:`helioport.epochs.datetime64_to_tt2000`: cdflib's datetime path is slow
and its datetime64 FILLVAL overflows). Mission-shaped files are the plugins'
business (e.g. ``helioport_mms.fixtures.fgm_like_file``), written with it.

Examples
--------
>>> import numpy as np
>>> t = np.arange("2020-01-01", "2020-01-02", np.timedelta64(1, "h"), dtype="M8[ns]")
>>> write_cdf(tmp / "x.cdf", {  # doctest: +SKIP
...     "Epoch": VarSpec(t, {"FILLVAL": np.int64(-2**63)}),
...     "n": (np.ones(24, "f4"), {"DEPEND_0": "Epoch", "FILLVAL": np.float32(-1e31), "UNITS": "cm^-3"}),
... })
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from cdflib.cdfwrite import CDF as CdfWriter

from ..epochs import (
    CDF_EPOCH,
    CDF_EPOCH16,
    CDF_TIME_TT2000,
    datetime64_to_epoch,
    datetime64_to_epoch16,
    datetime64_to_tt2000,
)

logger = logging.getLogger(__name__)

__all__ = ["CDF_TYPES", "VarSpec", "write_cdf"]

CDF_TYPES = {
    "CDF_INT1": 1, "CDF_INT2": 2, "CDF_INT4": 4, "CDF_INT8": 8,
    "CDF_UINT1": 11, "CDF_UINT2": 12, "CDF_UINT4": 14,
    "CDF_REAL4": 21, "CDF_REAL8": 22, "CDF_EPOCH": CDF_EPOCH, "CDF_EPOCH16": CDF_EPOCH16,
    "CDF_TIME_TT2000": CDF_TIME_TT2000, "CDF_BYTE": 41, "CDF_FLOAT": 44, "CDF_DOUBLE": 45,
    "CDF_CHAR": 51, "CDF_UCHAR": 52,
}  # fmt: skip
_NAMES = {v: k for k, v in CDF_TYPES.items()}
_NUMPY = {1: "i1", 2: "i2", 4: "i4", 8: "i8", 11: "u1", 12: "u2", 14: "u4", 21: "f4", 22: "f8",
          31: "f8", 32: "c16", 33: "i8", 41: "i1", 44: "f4", 45: "f8"}  # fmt: skip
_FROM_NUMPY = {
    "i1": 1,
    "i2": 2,
    "i4": 4,
    "i8": 8,
    "u1": 11,
    "u2": 12,
    "u4": 14,
    "f4": 21,
    "f8": 22,
    "b1": 11,
}
_TYPED_ATTRS = ("FILLVAL", "VALIDMIN", "VALIDMAX", "SCALEMIN", "SCALEMAX")


@dataclass
class VarSpec:
    """One variable to write.

    Attributes
    ----------
    data
        numpy array, records first when record-varying. ``datetime64`` data is
        written as ``cdf_type`` (default CDF_TIME_TT2000); strings as CDF_CHAR.
    attrs
        Variable attributes. ``FILLVAL``/``VALIDMIN``/``VALIDMAX``/``SCALEMIN``/
        ``SCALEMAX`` are written with the variable's own type (``datetime64``
        values converted); other numpy values keep their dtype.
    cdf_type
        CDF type code or name; inferred from the data when None.
    record_varying
        Default: False for strings, True otherwise.
    compress
        GZIP level 0-9 (0: none).
    block_factor
        Records per compressed block (0: cdflib's default).
    """

    data: Any
    attrs: dict[str, Any] = field(default_factory=dict)
    cdf_type: int | str | None = None
    record_varying: bool | None = None
    compress: int = 0
    block_factor: int = 0


def _type_code(spec: VarSpec, arr: np.ndarray) -> int:
    if isinstance(spec.cdf_type, str):
        if spec.cdf_type.upper() not in CDF_TYPES:
            raise ValueError(f"unknown CDF type {spec.cdf_type!r}; known: {', '.join(CDF_TYPES)}")
        return CDF_TYPES[spec.cdf_type.upper()]
    if spec.cdf_type is not None:
        return int(spec.cdf_type)
    if arr.dtype.kind == "M":
        return CDF_TIME_TT2000
    if arr.dtype.kind in "USO":
        return CDF_TYPES["CDF_CHAR"]
    key = f"{arr.dtype.kind}{arr.dtype.itemsize}"
    if key not in _FROM_NUMPY:
        raise TypeError(f"no CDF type for numpy dtype {arr.dtype}; give cdf_type")
    return _FROM_NUMPY[key]


def _convert(values: Any, code: int) -> np.ndarray:
    """Values (data or an attribute) as the numpy form cdflib writes for type ``code``."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M" or (code in (31, 32, 33) and arr.dtype.kind in "USO"):
        arr = arr.astype("M8[ns]")
        conv = {
            CDF_TIME_TT2000: datetime64_to_tt2000,
            CDF_EPOCH: datetime64_to_epoch,
            CDF_EPOCH16: datetime64_to_epoch16,
        }
        return conv[code](arr)
    if code in (51, 52):
        return arr.astype(str)
    return arr.astype(_NUMPY[code])


def _attr_entry(key: str, value: Any, var_code: int | None) -> Any:
    """An attribute value in cdflib's ``[value, 'CDF_TYPE']`` form."""
    if isinstance(value, str) or (
        isinstance(value, list) and len(value) == 2 and value[1] in CDF_TYPES
    ):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if var_code is not None and key in _TYPED_ATTRS and var_code not in (51, 52):
        arr = _convert(value, var_code)
        code = var_code
    else:
        arr = np.asarray(value)
        if arr.dtype.kind == "M":
            arr, code = datetime64_to_tt2000(arr), CDF_TIME_TT2000
        elif arr.dtype.kind == "i" and not isinstance(value, (np.ndarray, np.generic)):
            code = 4 if np.all(np.abs(arr) < 2**31) else 8
        elif arr.dtype.kind == "f" and not isinstance(value, (np.ndarray, np.generic)):
            code = 45
        else:
            code = _FROM_NUMPY.get(f"{arr.dtype.kind}{arr.dtype.itemsize}", 45)
    if code == CDF_EPOCH16:
        return [complex(arr.reshape(-1)[0]), _NAMES[code]]
    return [arr.tolist(), _NAMES[code]]


def write_cdf(
    path: str | Path,
    variables: dict[str, VarSpec | tuple],
    global_attrs: dict[str, Any] | None = None,
    *,
    majority: str = "row_major",
) -> Path:
    """Write a CDF file atomically (temporary name in the same folder, then rename).

    Parameters
    ----------
    path
        Destination; any existing file is replaced.
    variables
        ``{name: VarSpec}`` or ``{name: (data, attrs[, cdf_type])}``.
    global_attrs
        ``{name: value or [entry, ...]}``.
    majority
        ``"row_major"`` or ``"column_major"``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> write_cdf(tmp / "labels.cdf", {"label": (np.array(["Bx", "By"]), {})})  # doctest: +SKIP
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.cdf")
    try:
        cdf = CdfWriter(tmp, cdf_spec={"Majority": majority})
        try:
            if global_attrs:
                cdf.write_globalattrs({
                    key: {i: _attr_entry(key, v, None) for i, v in enumerate(val if isinstance(val, list) else [val])}
                    for key, val in global_attrs.items()
                })  # fmt: skip
            for name, spec in variables.items():
                _write_var(cdf, name, spec if isinstance(spec, VarSpec) else VarSpec(*spec))
        finally:
            cdf.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.debug("wrote %s (%d variables)", path, len(variables))
    return path


def _write_var(cdf: CdfWriter, name: str, spec: VarSpec) -> None:
    arr = np.asarray(spec.data)
    code = _type_code(spec, arr)
    is_char = code in (51, 52)
    rv = (not is_char) if spec.record_varying is None else bool(spec.record_varying)
    data = _convert(arr, code)
    if code == CDF_EPOCH16 and data.dtype.kind == "f" and data.shape[-1:] == (2,):
        data = data[..., 0] + 1j * data[..., 1]
    dims = list(data.shape[1:] if rv else data.shape)
    n_elems = max((len(s) for s in data.reshape(-1)), default=1) if is_char else 1
    var_spec = {
        "Variable": name,
        "Data_Type": code,
        "Num_Elements": max(n_elems, 1),
        "Rec_Vary": rv,
        "Dim_Sizes": dims,
        "Compress": int(spec.compress),
        "Block_Factor": int(spec.block_factor),
    }
    attrs = {k: _attr_entry(k, v, code) for k, v in spec.attrs.items()}
    if code != CDF_EPOCH16:
        cdf.write_var(var_spec, var_attrs=attrs, var_data=data)
        return
    # cdflib 1.3 turns an EPOCH16 array into 2N complex values (real parts, then
    # imaginary parts, each with a zero imaginary part): hand it the bytes instead
    raw = np.stack([data.real, data.imag], axis=-1).astype("<f8").tobytes()
    n_recs = len(data) if rv else 1
    cdf._convert_data = lambda *_args: (n_recs, raw)
    try:
        cdf.write_var(var_spec, var_attrs=attrs, var_data=data)
    finally:
        del cdf._convert_data
