"""A mission-neutral CDF for the core's reader tests, written with :func:`write_cdf`.

``vector_series_file`` writes what a magnetometer L2 file holds, with neutral
names: ``Epoch`` (TT2000), ``b_gse`` and ``b_gsm`` float32 [n, 4] (x, y, z,
total; nT; ``LABL_PTR_1`` to ``label_b_*``), a uint32 ``flag``, a second
time base ``Epoch_state`` (30 s) with ``r_gse`` float32 [m, 4] (km), and
global attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from helioport.epochs import TT2000_FILL
from helioport.testing.cdfwriter import VarSpec, write_cdf

B = "b_gse"
R = "r_gse"
LOGICAL_SOURCE = "test_mag_l2"
FILL = np.float32(-1e31)


def _vector_attrs(desc: str, units: str, depend: str, label: str) -> dict[str, Any]:
    return {
        "CATDESC": desc,
        "DEPEND_0": depend,
        "FIELDNAM": desc,
        "FILLVAL": FILL,
        "LABL_PTR_1": label,
        "UNITS": units,
        "VALIDMIN": np.array([-20000, -20000, -20000, 0], "f4"),
        "VALIDMAX": np.array([20000] * 4, "f4"),
        "VAR_TYPE": "data",
        "COORDINATE_SYSTEM": label.rsplit("_", 1)[1].upper(),
        "TENSOR_ORDER": np.int32(1),
    }


def _epoch(times: np.ndarray) -> VarSpec:
    return VarSpec(times, {"FILLVAL": TT2000_FILL, "UNITS": "ns", "VAR_TYPE": "support_data"})


def _label(frame: str, quantity: str) -> VarSpec:
    up = frame.upper()
    values = [f"{quantity}x {up}", f"{quantity}y {up}", f"{quantity}z {up}", f"{quantity}t"]
    return VarSpec(np.array(values), {"CATDESC": f"labels {up}", "VAR_TYPE": "metadata"})


def vector_series_file(
    path: str | Path,
    start: Any,
    n: int,
    cadence: float,
    *,
    fill_records: Any = (),
    compress: int = 0,
    seed: int = 0,
) -> Path:
    """Write ``n`` vector records every ``cadence`` seconds from ``start``; returns ``path``.

    ``fill_records`` are record indices whose ``b_*`` vectors are FILLVAL;
    ``compress`` is the GZIP level of the field variables.
    """
    t0 = np.datetime64(start, "ns")
    offsets = np.arange(n, dtype=np.int64) * round(cadence * 1e9)
    secs = offsets / 1e9
    rng = np.random.default_rng(seed)
    base = np.stack(
        [10 * np.sin(secs / 100), 5 * np.cos(secs / 150), 20 + 3 * np.sin(secs / 50)], axis=1
    ) + rng.normal(0, 0.05, (n, 3))
    variables: dict[str, VarSpec] = {"Epoch": _epoch(t0 + offsets.astype("m8[ns]"))}
    for frame, angle in (("gse", 0.0), ("gsm", 0.35)):
        c, s = np.cos(angle), np.sin(angle)
        v = np.stack([base[:, 0], c * base[:, 1] - s * base[:, 2], s * base[:, 1] + c * base[:, 2]])
        out = np.column_stack([v.T, np.linalg.norm(v, axis=0)]).astype(np.float32)
        out[np.asarray(fill_records, dtype=np.int64)] = FILL
        attrs = _vector_attrs(f"B in {frame.upper()}", "nT", "Epoch", f"label_b_{frame}")
        variables[f"b_{frame}"] = VarSpec(out, attrs, compress=compress)
    variables["flag"] = VarSpec(np.zeros(n, np.uint32), {"DEPEND_0": "Epoch"}, compress=compress)
    m = int(np.ceil((offsets[-1] if n else 0) / 30e9)) + 1
    state = t0.astype("M8[s]").astype("M8[ns]") + (np.arange(m) * 30 * 10**9).astype("m8[ns]")
    variables["Epoch_state"] = _epoch(state)
    r = np.column_stack([np.full((m, 3), 6e4), np.full(m, 6e4 * 3**0.5)]).astype(np.float32)
    variables[R] = VarSpec(r, _vector_attrs("position GSE", "km", "Epoch_state", "label_r_gse"))
    for frame in ("gse", "gsm"):
        variables[f"label_b_{frame}"] = _label(frame, "B")
    variables["label_r_gse"] = _label("gse", "")
    gattrs = {"Logical_source": LOGICAL_SOURCE, "Mission_group": "TEST", "Data_version": "1.0.0"}
    return write_cdf(path, variables, gattrs)
