"""Write CDF fixtures with the real datasets' names, types and ISTP attributes.

:func:`write_cdf` writes any set of variables with :class:`cdflib.cdfwrite.CDF`;
times are converted here (TT2000 as int64 through
:func:`helioport.epochs.datetime64_to_tt2000`: cdflib's datetime path is slow
and its datetime64 FILLVAL overflows). :func:`fgm_like_file` writes an MMS FGM
L2 file shaped like ``mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf``.

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
    TT2000_FILL,
    datetime64_to_epoch,
    datetime64_to_epoch16,
    datetime64_to_tt2000,
)

logger = logging.getLogger(__name__)

__all__ = ["CDF_TYPES", "VarSpec", "fgm_like_file", "write_cdf"]

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


def _vector_attrs(catdesc: str, fieldnam: str, units: str, frame: str, label: str, depend: str,
                  fmt: str, vmin: Any, vmax: Any, si: str) -> dict[str, Any]:  # fmt: skip
    return {
        "CATDESC": catdesc, "DEPEND_0": depend, "DISPLAY_TYPE": "time_series", "FIELDNAM": fieldnam,
        "FILLVAL": np.float32(-1e31), "FORMAT": fmt, "LABL_PTR_1": label, "UNITS": units,
        "VALIDMIN": vmin, "VALIDMAX": vmax, "VAR_TYPE": "data", "SCALETYP": "linear",
        "COORDINATE_SYSTEM": frame, "SI_CONVERSION": si, "TENSOR_ORDER": np.int32(1),
        "REPRESENTATION_1": "represent_vec_tot",
    }  # fmt: skip


def _epoch_attrs(catdesc: str, fieldnam: str) -> dict[str, Any]:
    return {
        "CATDESC": catdesc, "FIELDNAM": fieldnam, "FILLVAL": TT2000_FILL, "LABLAXIS": fieldnam,
        "UNITS": "ns", "VALIDMIN": np.datetime64("2010-01-01", "ns"),
        "VALIDMAX": np.datetime64("2050-01-01", "ns"), "VAR_TYPE": "support_data",
        "SCALETYP": "linear", "MONOTON": "INCREASE", "TIME_BASE": "J2000",
        "TIME_SCALE": "Terrestrial Time", "REFERENCE_POSITION": "Rotating Earth Geoid",
        "SI_CONVERSION": "1.0e-9>s",
    }  # fmt: skip


def fgm_like_file(
    path: str | Path,
    start: Any,
    n: int,
    cadence: float | np.timedelta64,
    probe: str = "mms1",
    rate: str = "srvy",
    *,
    frames: tuple[str, ...] = ("gse", "gsm", "dmpa", "bcs"),
    fill_records: Any = (),
    compress: int = 0,
    seed: int = 0,
) -> Path:
    """Write an MMS FGM L2-like CDF: ``Epoch``, ``{probe}_fgm_b_{frame}_{rate}_l2``, position.

    Variables, types and attributes mirror the real
    ``mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf``: ``Epoch`` (TT2000),
    ``{probe}_fgm_b_{frame}_{rate}_l2`` float32 [n, 4] (x, y, z, total; nT),
    ``{probe}_fgm_flag_{rate}_l2`` uint32, ``Epoch_state`` (30 s) with
    ``{probe}_fgm_r_{gse,gsm}_{rate}_l2`` float32 [m, 4] (km), the
    ``label_b_{frame}`` / ``label_r_{gse,gsm}`` / ``represent_vec_tot`` CHAR
    variables and MMS global attributes.

    Parameters
    ----------
    path
        Destination file.
    start
        Time of the first record (anything :func:`numpy.datetime64` takes).
    n
        Number of field records.
    cadence
        Seconds between records (16 S/s survey: ``1/16``), or a timedelta64.
    probe, rate
        ``"mms1"``..``"mms4"``; ``"srvy"`` or ``"brst"``.
    frames
        Which ``b_{frame}`` variables to write.
    fill_records
        Record indices whose B vectors are written as FILLVAL (-1e31).
    compress
        GZIP level for the B variables (the real files use 6).
    seed
        Seed of the synthetic noise.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> fgm_like_file(tmp / "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "2015-10-16", 1000, 1 / 16)  # doctest: +SKIP
    """
    t0 = np.datetime64(start, "ns")
    step = (
        int(cadence / np.timedelta64(1, "ns"))
        if isinstance(cadence, np.timedelta64)
        else round(cadence * 1e9)
    )
    offsets = np.arange(n, dtype=np.int64) * step
    epoch = t0 + offsets.astype("m8[ns]")
    secs = offsets / 1e9
    rng = np.random.default_rng(seed)
    base = np.stack(
        [
            10 * np.sin(2 * np.pi * secs / 600),
            5 * np.cos(2 * np.pi * secs / 900),
            20 + 3 * np.sin(secs / 50),
        ],
        axis=1,
    )
    base += rng.normal(0, 0.05, base.shape)
    angle = {"gse": 0.0, "gsm": 0.35, "dmpa": 0.03, "bcs": None}
    fill_idx = np.asarray(fill_records, dtype=np.int64)

    def with_total(v: np.ndarray) -> np.ndarray:
        out = np.empty((len(v), 4), np.float32)
        out[:, :3] = v
        out[:, 3] = np.linalg.norm(v, axis=1)
        if fill_idx.size:
            out[fill_idx] = np.float32(-1e31)
        return out

    def rotate_x(v: np.ndarray, a: np.ndarray | float) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        return np.stack([v[:, 0], c * v[:, 1] - s * v[:, 2], s * v[:, 1] + c * v[:, 2]], axis=1)

    def rotate_z(v: np.ndarray, a: np.ndarray) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1], v[:, 2]], axis=1)

    variables: dict[str, VarSpec | tuple] = {
        "Epoch": VarSpec(
            epoch, _epoch_attrs("Interval centered time tag (TBC)", "Time since Jan 1, 1958")
        ),
    }
    rate_text = {"srvy": "16 S/s", "brst": "128 S/s"}.get(rate, rate)
    for frame in frames:
        a = angle.get(frame)
        v = rotate_z(base, 2 * np.pi * secs / 20.0) if a is None else rotate_x(base, a)
        up = frame.upper()
        attrs = _vector_attrs(
            f"Magnetic field vector in {up} cartesian coordinates plus Btotal ({rate_text})",
            f"Magnetic field vector in {up} plus Btotal ({rate_text})",
            "nT",
            up,
            f"label_b_{frame}",
            "Epoch",
            "E13.5",
            np.array([-20000, -20000, -20000, 0], "f4"),
            np.array([20000] * 4, "f4"),
            "1.0e-9>T",
        )
        variables[f"{probe}_fgm_b_{frame}_{rate}_l2"] = VarSpec(
            with_total(v), attrs, compress=compress
        )
    variables[f"{probe}_fgm_flag_{rate}_l2"] = VarSpec(np.zeros(n, np.uint32), {
        "CATDESC": "0 = No identified problems, non-zero = blank out the data", "DEPEND_0": "Epoch",
        "FIELDNAM": f"{probe}_fgm_flag_{rate}_l2", "FILLVAL": np.uint32(4294967295), "FORMAT": "Z10.8",
        "UNITS": " ", "VALIDMIN": np.uint32(0), "VALIDMAX": np.uint32(4294967281), "VAR_TYPE": "support_data",
    }, compress=compress)  # fmt: skip
    span = (offsets[-1] if n else 0) / 1e9
    m = int(np.ceil(span / 30.0)) + 1
    state = t0.astype("M8[s]").astype("M8[ns]") + (np.arange(m) * 30 * 10**9).astype("m8[ns]")
    variables["Epoch_state"] = VarSpec(state, _epoch_attrs("Default time", "Epoch_state"))
    phase = 2 * np.pi * np.arange(m) * 30 / 86400
    r = np.stack([60000 * np.cos(phase), 60000 * np.sin(phase), np.full(m, -4500.0)], axis=1)
    for frame, a in (("gse", 0.0), ("gsm", 0.35)):
        rv = rotate_x(r, a)
        out = np.column_stack([rv, np.linalg.norm(rv, axis=1)]).astype(np.float32)
        variables[f"{probe}_fgm_r_{frame}_{rate}_l2"] = VarSpec(out, _vector_attrs(
            f"Definitive Position in {frame.upper()} coordinates, 30 second", f"{probe}_fgm_r_{frame}_{rate}_l2",
            "km", frame.upper(), f"label_r_{frame}", "Epoch_state", "E12.2", np.float32(-1e6), np.float32(1e6),
            "1.0e3>m",
        ))  # fmt: skip
    for frame in frames:
        up = frame.upper()
        labels = np.array([f"Bx {up}", f"By {up}", f"Bz {up}", "Bt"])
        variables[f"label_b_{frame}"] = (labels, {"CATDESC": f"labels for {up} components of B",
                                                  "FIELDNAM": f"label B {up}", "FORMAT": "A11",
                                                  "LABLAXIS": f"label_b_{frame}", "VAR_TYPE": "metadata"})  # fmt: skip
    for frame in ("gse", "gsm"):
        up = frame.upper()
        variables[f"label_r_{frame}"] = (np.array([f"X {up}", f"Y {up}", f"Z {up}", "R"]), {
            "CATDESC": f"labels for {up} components of position vector", "FIELDNAM": f"label R {up}",
            "FORMAT": "A11", "LABLAXIS": f"label_r_{frame}", "VAR_TYPE": "metadata"})  # fmt: skip
    variables["represent_vec_tot"] = (np.array(["x", "y", "z", "r"]), {
        "CATDESC": "representation for vector plus total", "FIELDNAM": "representation for vector plus total",
        "FORMAT": "A2", "LABLAXIS": "represent_vec_tot", "VAR_TYPE": "metadata"})  # fmt: skip
    number = probe[-1]
    day = str(t0.astype("M8[s]")).replace("-", "").replace(":", "").replace("T", "")
    gattrs = {
        "Project": "STP>Solar-Terrestrial Physics",
        "Source_name": f"MMS{number}>MMS Satellite Number {number}",
        "Discipline": "Space Physics>Magnetospheric Science",
        "Data_type": f"{rate}_l2",
        "Descriptor": "FGM>Flux Gate Magnetometer",
        "Data_version": "4.18.0",
        "Instrument_type": "Magnetic Fields (space)",
        "Mission_group": "MMS",
        "Logical_source": f"{probe}_fgm_{rate}_l2",
        "Logical_file_id": Path(path).stem
        if Path(path).suffix == ".cdf"
        else f"{probe}_fgm_{rate}_l2_{day}",
        "Logical_source_description": f"Level2 Flux Gate Magnetometer {rate} DC Magnetic Field for MMS{number}",
        "Time_resolution": f"{step / 1e9} sec",
        "Generated_by": "helioport.testing.cdfwriter (synthetic)",
    }
    return write_cdf(path, variables, gattrs)
