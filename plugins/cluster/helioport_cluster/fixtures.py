"""Cluster files for tests and the demo: CSA-named CDFs, tarballs as the CSA packs them,
and an emulation of the CSA data and TAP endpoints for :class:`helioport.testing.ArchiveServer`.

The FGM files have the real dataset's variables, types and attributes (see
``C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf``): a CDF_EPOCH
``time_tags__``, float32 ``B_vec_xyz_gse__`` [N, 3] with ``LABEL_1``,
``B_mag__``, ``sc_pos_xyz_gse__`` [N, 3] in km. The field is linear in space,
``B = B0 + G r`` (plus a pulse in Bz uniform in space), so the curlometer on
the four spacecraft gives ``curl B = `` :data:`CURL` exactly.

:class:`CsaArchive` answers ``data?DATASET_ID=...&START_DATE=...`` with a
tar.gz of the files of ``<root>/<DATASET_ID>/`` overlapping the interval,
members ``CSA_Download_<stamp>/<DATASET_ID>/<name>``, and ``tap/sync`` with
the dataset's ``date_last_update`` in the TAP JSON form.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from helioport.testing import ApiRequest, ApiResponse
from helioport.testing.cdfwriter import VarSpec, write_cdf

__all__ = [
    "CURL",
    "FORMATION_KM",
    "CsaArchive",
    "csa_name",
    "field_at",
    "pack_delivery",
    "write_dataset",
    "write_fgm",
]

#: the field gradient G (nT/km): B = B0 + G r
GRADIENT = np.array([[0.0, 0.004, 0.0], [0.001, 0.0, 0.0], [0.0, 0.0, 0.0]])
#: curl B of the linear field (nT/km): (dBz/dy - dBy/dz, dBx/dz - dBz/dx, dBy/dx - dBx/dy)
CURL = np.array(
    [
        GRADIENT[2, 1] - GRADIENT[1, 2],
        GRADIENT[0, 2] - GRADIENT[2, 0],
        GRADIENT[1, 0] - GRADIENT[0, 1],
    ]
)
B0 = np.array([-20.0, 15.0, 10.0])
CENTRE_KM = np.array([60000.0, 20000.0, 10000.0])
#: the tetrahedron's vertices relative to its centre (km), C1..C4
FORMATION_KM = np.array(
    [[600.0, 0.0, -200.0], [-300.0, 520.0, -200.0], [-300.0, -520.0, -200.0], [0.0, 0.0, 600.0]]
)
_NAME = re.compile(
    r"^(?P<ds>.+?)__(\d{8}_\d{6})_(\d{8}_\d{6})_V(?P<v>\w+)\.(?P<ext>cdf|cef)$", re.IGNORECASE
)


def field_at(times: np.ndarray, positions_km: np.ndarray) -> np.ndarray:
    """B (nT) at ``positions_km`` [N, 3]: linear in space, a 10-minute Bz pulse an hour in."""
    b = B0 + positions_km @ GRADIENT.T
    minutes = (times - times[0]).astype("timedelta64[s]").astype(float) / 60.0
    b[:, 2] += 12.0 * np.exp(-(((minutes - 60.0) / 5.0) ** 2))
    return b


def positions(probe: str, times: np.ndarray) -> np.ndarray:
    """Spacecraft position (km, GSE): the formation drifting 1 km/s along -x."""
    seconds = (times - times[0]).astype("timedelta64[s]").astype(float)
    centre = CENTRE_KM + np.outer(seconds, [-1.0, 0.0, 0.0])
    return centre + FORMATION_KM[int(probe[1]) - 1]


def csa_name(
    dataset: str, start: dt.datetime, end: dt.datetime, version: str, ext: str = "cdf"
) -> str:
    """``C1_CP_FGM_SPIN__20010611_000000_20010612_000000_V070906.cdf``."""
    return f"{dataset}__{start:%Y%m%d_%H%M%S}_{end:%Y%m%d_%H%M%S}_V{version}.{ext}"


def write_fgm(
    path: Path,
    probe: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    mode: str = "SPIN",
    cadence_s: float = 4.0,
) -> Path:
    """An FGM CP file of ``probe`` (``c1``) over ``[start, end)`` with the real variable names."""
    ds = f"{probe.upper()}_CP_FGM_{mode}"
    t0 = np.datetime64(start.replace(tzinfo=None), "ns")
    n = int((end - start).total_seconds() // cadence_s)
    times = (
        t0
        + (np.arange(n) * cadence_s * 1e9).astype("timedelta64[ns]")
        + np.timedelta64(int(cadence_s * 5e8), "ns")
    )
    pos = positions(probe, times)
    b = field_at(times, pos)
    f4 = np.float32(-1e30)
    common = {"DEPEND_0": f"time_tags__{ds}", "FILLVAL": f4, "PARAMETER_TYPE": "Data"}
    write_cdf(
        path,
        {
            f"time_tags__{ds}": VarSpec(
                times,
                {
                    "CATDESC": "Interval centred time tag",
                    "UNITS": "ms",
                    "FIELDNAM": "Universal Time",
                },
                cdf_type="CDF_EPOCH",
            ),
            f"half_interval__{ds}": VarSpec(
                np.full(n, cadence_s / 2, "f4"), {"UNITS": "s", "FILLVAL": f4}
            ),
            f"B_vec_xyz_gse__{ds}": VarSpec(
                b.astype("f4"),
                {
                    **common,
                    "CATDESC": f"Cluster {probe.upper()}, Magnetic Field Vector, spin resolution in GSE",
                    "FIELDNAM": f"Cluster {probe.upper()}, Magnetic Field Vector",
                    "UNITS": "nT",
                    "COORDINATE_SYSTEM": "GSE>Geocentric Solar Ecliptic",
                    "LABEL_1": f"B_vec_xyz_gse__{ds}_LABEL_1",
                },
            ),
            f"B_vec_xyz_gse__{ds}_LABEL_1": VarSpec(
                np.array(["Bx", "By", "Bz"]), cdf_type="CDF_CHAR"
            ),
            f"B_mag__{ds}": VarSpec(
                np.linalg.norm(b, axis=1).astype("f4"), {**common, "UNITS": "nT"}
            ),
            f"sc_pos_xyz_gse__{ds}": VarSpec(
                pos.astype("f4"),
                {
                    **common,
                    "CATDESC": f"Position of Cluster {probe.upper()} in GSE",
                    "UNITS": "km",
                    "COORDINATE_SYSTEM": "GSE>Geocentric Solar Ecliptic",
                },
            ),
        },
        global_attrs={"DATASET_ID": ds, "MISSION": "Cluster"},
    )
    return path


def write_dataset(
    path: Path,
    dataset: str,
    start: dt.datetime,
    end: dt.datetime,
    variables: dict[str, tuple[np.ndarray | float, str]],
    *,
    cadence_s: float = 4.0,
) -> Path:
    """A CP file of any dataset: ``variables`` maps the bare name (``density``) to
    ``(value per record or constant, units)``; names get the ``__<DATASET_ID>`` suffix.

    Arrays whose first axis is not the record count are broadcast to every record
    (a [3] vector becomes [N, 3]). Returns ``path``.
    """
    t0 = np.datetime64(start.replace(tzinfo=None), "ns")
    n = int((end - start).total_seconds() // cadence_s)
    times = t0 + (np.arange(n) * cadence_s * 1e9).astype("timedelta64[ns]")
    specs: dict[str, VarSpec] = {
        f"time_tags__{dataset}": VarSpec(times, {"UNITS": "ms"}, cdf_type="CDF_EPOCH")
    }
    for name, (value, units) in variables.items():
        data = np.asarray(value, dtype="f4")
        if data.shape[:1] != (n,):
            data = np.broadcast_to(data, (n, *data.shape)).copy()
        attrs = {"DEPEND_0": f"time_tags__{dataset}", "UNITS": units, "FILLVAL": np.float32(-1e30)}
        specs[f"{name}__{dataset}"] = VarSpec(data, attrs)
    write_cdf(path, specs, global_attrs={"DATASET_ID": dataset})
    return path


def pack_delivery(files: list[Path], dataset: str, stamp: str = "20260101_000000") -> bytes:
    """A tar.gz as the CSA delivers it: ``CSA_Download_<stamp>/<DATASET_ID>/<name>``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for f in files:
            tar.add(str(f), arcname=f"CSA_Download_{stamp}/{dataset}/{f.name}")
    return buf.getvalue()


def _span(name: str) -> tuple[np.datetime64, np.datetime64] | None:
    m = _NAME.match(name)
    if not m:
        return None
    a = np.datetime64(dt.datetime.strptime(m.group(2), "%Y%m%d_%H%M%S"), "s")
    b = np.datetime64(dt.datetime.strptime(m.group(3), "%Y%m%d_%H%M%S"), "s")
    return a, b


@dataclass
class CsaArchive:
    """The CSA's data and TAP endpoints over a folder ``<root>/<DATASET_ID>/<CSA-named files>``.

    Attributes
    ----------
    last_update : dataset -> ``date_last_update`` text the TAP service answers
        (default ``"2020-01-01 00:00:00"``).
    tap_status : HTTP status of the TAP service (404 to emulate an outage).
    error_page : when set, the data endpoint answers this HTML with status 200.
    data_requests : the query of every data request received.
    """

    root: Path
    last_update: dict[str, str] = field(default_factory=dict)
    tap_status: int = 200
    error_page: str | None = None
    data_requests: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, request: ApiRequest) -> ApiResponse:
        query = {k: v[0] for k, v in request.query.items()}
        if request.path == "data":
            with self._lock:
                self.data_requests.append(query)
            return self._data(query)
        if request.path == "tap/sync":
            return self._tap(query)
        return ApiResponse(404, b"not found", "text/plain")

    def _data(self, q: dict[str, str]) -> ApiResponse:
        if self.error_page is not None:
            return ApiResponse(200, self.error_page.encode(), "text/html")
        dataset = q.get("DATASET_ID", "")
        try:
            t0 = np.datetime64(q["START_DATE"].rstrip("Z"), "s")
            t1 = np.datetime64(q["END_DATE"].rstrip("Z"), "s")
        except (KeyError, ValueError):
            return ApiResponse(200, b"Error: START_DATE and END_DATE are required\n", "text/plain")
        ext = "cef" if q.get("DELIVERY_FORMAT", "").upper() == "CEF" else "cdf"
        folder = Path(self.root) / dataset
        chosen = []
        for f in sorted(folder.glob(f"*.{ext}")) if folder.is_dir() else []:
            span = _span(f.name)
            if span and span[0] < t1 and span[1] > t0:
                chosen.append(f)
        body = pack_delivery(chosen, dataset)
        return ApiResponse(200, body, "application/x-gzip")

    def _tap(self, q: dict[str, str]) -> ApiResponse:
        if self.tap_status != 200:
            return ApiResponse(self.tap_status, b"TAP service unavailable", "text/plain")
        m = re.search(r"dataset_id\s*=\s*'([^']+)'", q.get("QUERY", ""))
        dataset = m.group(1) if m else ""
        rows = [[dataset, self.last_update.get(dataset, "2020-01-01 00:00:00")]] if dataset else []
        answer = {
            "metadata": [{"name": "dataset_id"}, {"name": "date_last_update"}],
            "data": rows,
        }
        return ApiResponse(200, json.dumps(answer).encode(), "application/json")
