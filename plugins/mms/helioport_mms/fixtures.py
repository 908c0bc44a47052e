"""Generated MMS L2 files with the real names, variables, types and ISTP attributes.

Each writer puts one file at its place in the SPDF layout under ``root`` and
returns its path. Values are synthetic (smooth, deterministic per ``seed``);
names, shapes, dtypes, ``DEPEND_*``/``LABL_PTR_*``, units and fill values
follow the real files (see ``../shared/data/real/mms`` and
:mod:`helioport_mms.products`). Times are TT2000 written as int64.

Examples
--------
>>> write_fpi_moms(tmp, "mms1", "dis", "fast", "2015-12-01T00:00", 1600)  # doctest: +SKIP
PosixPath('.../mms1/fpi/fast/l2/dis-moms/2015/12/mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from helioport.epochs import TT2000_FILL
from helioport.testing.cdfwriter import VarSpec, write_cdf

from .names import Dataset

__all__ = [
    "FILL",
    "TETRAHEDRON_KM",
    "epoch_var",
    "fgm_like_file",
    "file_path",
    "write_aspoc",
    "write_edp_dce",
    "write_fgm",
    "write_fpi_dist",
    "write_fpi_moms",
    "write_mec",
]

FILL = np.float32(-1e31)
#: offsets (km) of the FGM files' positions per probe: a regular tetrahedron of 20 km edges
TETRAHEDRON_KM = {
    "mms1": np.zeros(3),
    "mms2": np.array([20.0, 0.0, 0.0]),
    "mms3": np.array([10.0, 10.0 * np.sqrt(3.0), 0.0]),
    "mms4": np.array([10.0, 10.0 / np.sqrt(3.0), 20.0 * np.sqrt(2.0 / 3.0)]),
}
_NS = np.timedelta64(1, "ns")


def file_path(root: Path, ds: Dataset, start: Any, version: str, *, daily: bool) -> Path:
    """Where the file of ``ds`` starting at ``start`` goes under ``root`` (SPDF layout)."""
    t = np.datetime64(start, "s").astype(object)
    stamp = t.strftime("%Y%m%d") if daily else t.strftime("%Y%m%d%H%M%S")
    name = f"{ds.prefix}{stamp}_v{version}.cdf"
    return Path(root) / ds.folder(t) / name


def _times(start: Any, n: int, cadence: float) -> np.ndarray:
    t0 = np.datetime64(start, "ns")
    return t0 + (np.arange(n, dtype=np.int64) * round(cadence * 1e9)).astype("m8[ns]")


def epoch_var(times: np.ndarray, catdesc: str = "Time tag") -> VarSpec:
    """A TT2000 ``Epoch`` variable with the MMS attributes."""
    return VarSpec(times, {
        "CATDESC": catdesc, "FIELDNAM": "Time since Jan 1, 2000", "FILLVAL": TT2000_FILL, "LABLAXIS": "Epoch",
        "UNITS": "ns", "VALIDMIN": np.datetime64("2015-03-12", "ns"), "VALIDMAX": np.datetime64("2050-01-01", "ns"),
        "VAR_TYPE": "support_data", "SCALETYP": "linear", "MONOTON": "INCREASE", "TIME_BASE": "J2000",
        "TIME_SCALE": "Terrestrial Time", "REFERENCE_POSITION": "Rotating Earth Geoid",
    }, cdf_type="CDF_TIME_TT2000")  # fmt: skip


def _data(
    desc: str,
    units: str,
    depend: str,
    *,
    fmt: str = "E12.2",
    vmin: float = -1e5,
    vmax: float = 1e5,
    display: str = "time_series",
    **extra: Any,
) -> dict[str, Any]:
    attrs = {"CATDESC": desc, "DEPEND_0": depend, "DISPLAY_TYPE": display, "FIELDNAM": desc[:60],
             "FILLVAL": FILL, "FORMAT": fmt, "UNITS": units, "VALIDMIN": np.float32(vmin),
             "VALIDMAX": np.float32(vmax), "VAR_TYPE": "data", "SCALETYP": "linear"}  # fmt: skip
    attrs.update(extra)
    return attrs


def _label(values: list[str], desc: str) -> VarSpec:
    return VarSpec(
        np.array(values),
        {"CATDESC": desc, "FIELDNAM": desc, "FORMAT": "A10", "VAR_TYPE": "metadata"},
    )


def _gattrs(
    ds: Dataset, path: Path, descriptor: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    n = ds.probe[-1]
    out = {
        "Project": "STP>Solar-Terrestrial Physics", "Mission_group": "MMS",
        "Source_name": f"MMS{n}>MMS Satellite Number {n}", "Discipline": "Space Physics>Magnetospheric Science",
        "Descriptor": descriptor, "Data_type": ds.logical_source.split("_", 2)[2],
        "Logical_source": ds.logical_source, "Logical_file_id": path.stem,
        "Data_version": path.stem.rsplit("_v", 1)[1], "Generated_by": "helioport_mms.fixtures (synthetic values)",
    }  # fmt: skip
    out.update(extra or {})
    return out


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
    r += TETRAHEDRON_KM.get(probe, 0.0)  # the four probes at the corners of a tetrahedron
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
        "Generated_by": "helioport_mms.fixtures (synthetic)",
    }
    return write_cdf(path, variables, gattrs)


def write_fgm(
    root: Path,
    probe: str,
    rate: str,
    start: Any,
    n: int,
    *,
    version: str = "4.18.0",
    cadence: float | None = None,
    frames: tuple[str, ...] = ("gse", "gsm", "dmpa", "bcs"),
    daily: bool | None = None,
    fill_records: Any = (),
    compress: int = 0,
    seed: int = 0,
) -> Path:
    """An FGM L2 file (``srvy`` daily at 16 S/s, ``brst`` at 128 S/s) via :func:`fgm_like_file`."""
    ds = Dataset(probe, "fgm", rate)
    daily = rate != "brst" if daily is None else daily
    path = file_path(root, ds, start, version, daily=daily)
    path.parent.mkdir(parents=True, exist_ok=True)
    cadence = cadence or (1 / 128 if rate == "brst" else 1 / 16)
    return fgm_like_file(
        path,
        start,
        n,
        cadence,
        probe,
        rate,
        frames=frames,
        fill_records=fill_records,
        compress=compress,
        seed=seed,
    )


def _rng_series(n: int, seed: int, base: float, amp: float, period: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.arange(n)
    return (base + amp * np.sin(2 * np.pi * s / period) + rng.normal(0, amp * 0.02, n)).astype(
        np.float32
    )


def energy_table(n: int, species: str, seed: int = 0) -> np.ndarray:
    """A per-record FPI energy table [n, 32] (eV) alternating between two step tables."""
    lo, hi = (2.16, 17800.0) if species == "dis" else (6.5, 27500.0)
    e0 = np.geomspace(lo, hi, 32)
    e1 = e0 * 1.07
    parity = np.arange(n) % 2
    return np.where(parity[:, None] == 0, e0, e1).astype(np.float32)


def write_fpi_moms(
    root: Path,
    probe: str,
    species: str,
    rate: str,
    start: Any,
    n: int,
    *,
    version: str = "3.3.0",
    cadence: float | None = None,
    fill_records: Any = (),
    seed: int = 0,
) -> Path:
    """An FPI ``{species}-moms`` file (``dis`` or ``des``) with the moments' real variables."""
    ds = Dataset(probe, "fpi", rate, "l2", f"{species}-moms")
    path = file_path(root, ds, start, version, daily=False)
    cadence = cadence or (4.5 if rate == "fast" else (0.15 if species == "dis" else 0.03))
    t = _times(start, n, cadence)
    p, s, r = probe, species, rate
    up = "DIS" if s == "dis" else "DES"
    fill = np.asarray(fill_records, dtype=np.int64)

    def filled(a: np.ndarray) -> np.ndarray:
        a = a.astype(np.float32)
        if fill.size:
            a[fill] = FILL
        return a

    dens = _rng_series(n, seed, 8.0 if s == "dis" else 9.0, 3.0, 300)
    v = np.stack(
        [_rng_series(n, seed + k, b, 50, 200 + 30 * k) for k, b in enumerate((-150, 60, -40))], 1
    )
    tpar = (
        np.abs(_rng_series(n, seed + 5, 400 if s == "dis" else 40, 80 if s == "dis" else 8, 250))
        + 1
    )
    tperp = (
        np.abs(_rng_series(n, seed + 6, 500 if s == "dis" else 45, 90 if s == "dis" else 9, 260))
        + 1
    )
    diag = np.stack([tpar, tperp, tperp], 1)
    temp = np.zeros((n, 3, 3), np.float32)
    temp[:, [0, 1, 2], [0, 1, 2]] = diag
    temp[:, 0, 1] = temp[:, 1, 0] = 0.1 * tpar
    temp[:, 0, 2] = temp[:, 2, 0] = -0.05 * tperp
    pres = (temp * dens[:, None, None] * 1.602e-4).astype(np.float32)
    q = np.stack([_rng_series(n, seed + 10 + k, 0.0, 0.01, 90 + k) for k in range(3)], 1)
    energy = energy_table(n, s, seed)
    omni = (1e7 * np.exp(-energy / (tpar[:, None] * 3 + 1))).astype(np.float32)
    # fill values where the instrument had no data (derived quantities first, from the clean values)
    dens, v, tpar, tperp, temp, pres, q, omni = (
        filled(a) for a in (dens, v, tpar, tperp, temp, pres, q, omni)
    )
    xyz = lambda frame: [f"V{c}_{frame.upper()}" for c in "xyz"]
    variables: dict[str, VarSpec | tuple] = {
        "Epoch": epoch_var(t, "Epoch time tag"),
        "Epoch_plus_var": VarSpec(
            np.float32(cadence), {"UNITS": "s", "VAR_TYPE": "support_data"}, record_varying=False
        ),
        "Epoch_minus_var": VarSpec(
            np.float32(0.0), {"UNITS": "s", "VAR_TYPE": "support_data"}, record_varying=False
        ),
        f"{p}_{s}_errorflags_{r}": VarSpec(
            np.zeros(n, np.uint32),
            {
                "CATDESC": "32-bit error flags",
                "DEPEND_0": "Epoch",
                "FILLVAL": np.uint32(4294967295),
                "UNITS": "32-bit error flags",
                "VAR_TYPE": "support_data",
            },
        ),
        f"{p}_{s}_numberdensity_{r}": (
            dens,
            _data(
                f"MMS{p[-1]} FPI/{up} number density",
                "cm^-3",
                "Epoch",
                vmin=0,
                vmax=1e4,
                SI_CONVERSION="1.0e6>m^-3",
            ),
        ),
        f"{p}_{s}_energy_{r}": (
            energy,
            _data(
                f"MMS{p[-1]} FPI/{up} sky-map energies",
                "eV",
                "Epoch",
                vmin=0,
                vmax=3e4,
                VAR_TYPE="support_data",
                LABLAXIS="energy",
            ),
        ),
        f"{p}_{s}_energy_delta_{r}": (
            energy * np.float32(0.1),
            _data("energy delta", "eV", "Epoch", vmin=0, vmax=3e4, VAR_TYPE="support_data"),
        ),
        f"{p}_{s}_energyspectr_omni_{r}": (
            omni,
            _data(
                f"MMS{p[-1]} FPI/{up} omni-directional energy spectrum",
                "keV/(cm^2 s sr keV)",
                "Epoch",
                vmin=0,
                vmax=1e30,
                display="spectrogram",
                DEPEND_1=f"{p}_{s}_energy_{r}",
            ),
        ),
        f"{p}_{s}_temppara_{r}": (
            tpar,
            _data("parallel temperature", "eV", "Epoch", vmin=0, vmax=1e5),
        ),
        f"{p}_{s}_tempperp_{r}": (
            tperp,
            _data("perpendicular temperature", "eV", "Epoch", vmin=0, vmax=1e5),
        ),
        f"{p}_{s}_cartrep_{r}": _label(["x", "y", "z"], "Cartesian representation"),
    }
    for frame, rot in (("gse", 1.0), ("dbcs", -1.0)):
        up_f = frame.upper()
        lab = f"{p}_{s}_bulkv_{frame}_label_{r}"
        variables[f"{p}_{s}_bulkv_{frame}_{r}"] = (
            v * np.float32(rot),
            _data(
                f"bulk velocity in {up_f}", "km/s", "Epoch", LABL_PTR_1=lab, COORDINATE_SYSTEM=up_f
            ),
        )
        variables[lab] = _label(xyz(frame), "bulk velocity labels")
        hlab = f"{p}_{s}_heatq_{frame}_label_{r}"
        variables[f"{p}_{s}_heatq_{frame}_{r}"] = (
            q * np.float32(rot),
            _data(
                f"heat flux in {up_f}", "mW/m^2", "Epoch", LABL_PTR_1=hlab, COORDINATE_SYSTEM=up_f
            ),
        )
        variables[hlab] = _label([f"Q{c}_{up_f}" for c in "xyz"], "heat flux labels")
        for what, data, units in (("prestensor", pres, "nPa"), ("temptensor", temp, "eV")):
            variables[f"{p}_{s}_{what}_{frame}_{r}"] = (
                data * np.float32(rot),
                _data(
                    f"{what} in {up_f}",
                    units,
                    "Epoch",
                    LABL_PTR_1=f"{p}_{s}_cartrep_{r}",
                    LABL_PTR_2=f"{p}_{s}_cartrep_{r}",
                    TENSOR_ORDER=np.uint8(2),
                    COORDINATE_SYSTEM=up_f,
                ),
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(
        path,
        variables,
        _gattrs(ds, path, f"{up}>Dual {'Ion' if s == 'dis' else 'Electron'} Spectrometers"),
    )


def write_fpi_dist(
    root: Path,
    probe: str,
    species: str,
    rate: str,
    start: Any,
    n: int,
    *,
    version: str = "3.4.0",
    cadence: float | None = None,
    phi_varies: bool = True,
    seed: int = 0,
) -> Path:
    """An FPI ``{species}-dist`` file: ``{p}_{s}_dist_{r}`` [n, 32 phi, 16 theta, 32 energy].

    ``DEPEND_1`` is ``{p}_{s}_phi_{r}`` ([n, 32] when ``phi_varies``, else
    [32]), ``DEPEND_2`` ``{p}_{s}_theta_{r}`` [16] and ``DEPEND_3``
    ``{p}_{s}_energy_{r}`` [n, 32]. Each value encodes its indices
    (``1e-25 * (1 + i_t + 1e-2 i_phi + 1e-4 i_theta + 1e-6 i_energy)``-like),
    so an axis mix-up is visible in tests.
    """
    ds = Dataset(probe, "fpi", rate, "l2", f"{species}-dist")
    path = file_path(root, ds, start, version, daily=False)
    cadence = cadence or (4.5 if rate == "fast" else (0.15 if species == "dis" else 0.03))
    t = _times(start, n, cadence)
    p, s, r = probe, species, rate
    it, ip, ith, ie = np.meshgrid(
        np.arange(n), np.arange(32), np.arange(16), np.arange(32), indexing="ij"
    )
    dist = (1e-25 * (1 + it + 1e-2 * ip + 1e-4 * ith + 1e-6 * ie)).astype(np.float32)
    phi0 = np.arange(32) * 11.25 + 5.625
    phi = (
        (phi0[None, :] + (np.arange(n)[:, None] % 4) * 2.8125).astype(np.float32)
        if phi_varies
        else phi0.astype(np.float32)
    )
    theta = (np.arange(16) * 11.25 + 5.625).astype(np.float32)
    energy = energy_table(n, s, seed)
    dep_phi = {
        "CATDESC": "azimuth angles of the sky-map",
        "FIELDNAM": "phi",
        "FILLVAL": FILL,
        "UNITS": "deg",
        "VALIDMIN": np.float32(0),
        "VALIDMAX": np.float32(360),
        "VAR_TYPE": "support_data",
        "FORMAT": "F8.3",
    }
    if phi_varies:
        dep_phi["DEPEND_0"] = "Epoch"
    variables: dict[str, VarSpec | tuple] = {
        "Epoch": epoch_var(t, "Epoch time tag"),
        f"{p}_{s}_steptable_parity_{r}": VarSpec(
            (np.arange(n) % 2).astype(np.uint8),
            {
                "DEPEND_0": "Epoch",
                "FILLVAL": np.uint8(255),
                "UNITS": "0, 1",
                "VAR_TYPE": "support_data",
            },
        ),
        f"{p}_{s}_phi_{r}": VarSpec(phi, dep_phi, record_varying=phi_varies),
        f"{p}_{s}_theta_{r}": VarSpec(
            theta,
            {
                "CATDESC": "polar angles of the sky-map",
                "FIELDNAM": "theta",
                "FILLVAL": FILL,
                "UNITS": "deg",
                "VAR_TYPE": "support_data",
            },
            record_varying=False,
        ),
        f"{p}_{s}_energy_{r}": (
            energy,
            _data("sky-map energies", "eV", "Epoch", vmin=0, vmax=3e4, VAR_TYPE="support_data"),
        ),
        f"{p}_{s}_dist_{r}": (
            dist,
            _data(
                f"MMS{p[-1]} FPI {s.upper()} sky-map phase-space density",
                "s^3/cm^6",
                "Epoch",
                vmin=0,
                vmax=1e-10,
                display="spectrogram",
                DEPEND_1=f"{p}_{s}_phi_{r}",
                DEPEND_2=f"{p}_{s}_theta_{r}",
                DEPEND_3=f"{p}_{s}_energy_{r}",
            ),
        ),
        f"{p}_{s}_disterr_{r}": (
            dist * np.float32(0.1),
            _data(
                "sky-map error",
                "s^3/cm^6",
                "Epoch",
                vmin=0,
                vmax=1e-10,
                DEPEND_1=f"{p}_{s}_phi_{r}",
                DEPEND_2=f"{p}_{s}_theta_{r}",
                DEPEND_3=f"{p}_{s}_energy_{r}",
            ),
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(path, variables, _gattrs(ds, path, f"{s.upper()}>Dual Spectrometers"))


def write_edp_dce(
    root: Path,
    probe: str,
    rate: str,
    start: Any,
    n: int,
    *,
    version: str = "2.1.0",
    cadence: float | None = None,
    daily: bool | None = None,
    seed: int = 0,
) -> Path:
    """An EDP DCE L2 file: ``{p}_edp_epoch_{r}_l2`` and ``{p}_edp_dce_{gse,dsl}_{r}_l2`` [n, 3] mV/m."""
    ds = Dataset(probe, "edp", rate, "l2", "dce")
    daily = rate != "brst" if daily is None else daily
    path = file_path(root, ds, start, version, daily=daily)
    cadence = cadence or (1 / 32 if rate == "fast" else 1 / 8192)
    t = _times(start, n, cadence)
    tname = f"{probe}_edp_epoch_{rate}_l2"
    e = np.stack([_rng_series(n, seed + k, 0.5 * k, 2.0, 500 + 70 * k) for k in range(3)], 1)
    variables: dict[str, VarSpec | tuple] = {tname: epoch_var(t, "EDP time tags")}
    for frame, sign in (("gse", 1.0), ("dsl", -1.0)):
        lab = f"{probe}_edp_dce_{frame}_label_{rate}_l2"
        variables[f"{probe}_edp_dce_{frame}_{rate}_l2"] = (
            e * np.float32(sign),
            _data(
                f"DC E-field in {frame.upper()}",
                "mV/m",
                tname,
                LABL_PTR_1=lab,
                COORDINATE_SYSTEM=frame.upper(),
            ),
        )
        variables[lab] = _label([f"E{c} {frame.upper()}" for c in "xyz"], "E labels")
    variables[f"{probe}_edp_dce_quality_{rate}_l2"] = VarSpec(
        np.full(n, 3, np.uint16),
        {"DEPEND_0": tname, "FILLVAL": np.uint16(65535), "UNITS": " ", "VAR_TYPE": "support_data"},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(path, variables, _gattrs(ds, path, "EDP>Electric Double Probe"))


def write_aspoc(
    root: Path,
    probe: str,
    start: Any,
    n: int,
    *,
    version: str = "2.0.0",
    cadence: float = 1.0,
    seed: int = 0,
) -> Path:
    """An ASPOC srvy L2 daily file: ``{p}_aspoc_ionc_l2`` (uA) and the two emitters' currents."""
    ds = Dataset(probe, "aspoc", "srvy")
    path = file_path(root, ds, start, version, daily=True)
    t = _times(start, n, cadence)
    ionc = np.abs(_rng_series(n, seed, 10.0, 2.0, 900))
    variables: dict[str, VarSpec | tuple] = {"Epoch": epoch_var(t, "ASPOC time tags")}
    for name, data in (("aspoc", ionc), ("asp1", ionc / 2), ("asp2", ionc / 2)):
        variables[f"{probe}_{name}_ionc_l2"] = (
            data.astype(np.float32),
            _data(f"{name} ion current", "uA", "Epoch", vmin=0, vmax=100),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(
        path, variables, _gattrs(ds, path, "ASPOC>Active Spacecraft Potential Control")
    )


def _quat_z(angle: np.ndarray) -> np.ndarray:
    """Unit quaternions (x, y, z, w) of rotations by ``angle`` about z."""
    return np.stack(
        [np.zeros_like(angle), np.zeros_like(angle), np.sin(angle / 2), np.cos(angle / 2)], 1
    )


def write_mec(
    root: Path,
    probe: str,
    day: Any,
    *,
    n: int = 2880,
    version: str = "2.2.0",
    datatype: str = "epht89d",
    start: Any = None,
    seed: int = 0,
    rate: str = "srvy",
    cadence: float | None = None,
) -> Path:
    """An MEC L2 file: positions ``{p}_mec_r_{frame}`` (km) and quaternions ``{p}_mec_quat_eci_to_*``.

    ``rate="srvy"``: the daily file (``mms1_mec_srvy_l2_epht89d_20151016_v2.2.0.cdf``),
    ``n`` records every 30 s from ``start`` (default ``day``). ``rate="brst"``: a
    burst-interval file named after ``start`` (``mms1_mec_brst_l2_epht89q_20151016130525_v2.2.0.cdf``,
    in the day folder), ``n`` records every 30 ms as the real burst files have them;
    its positions are those of the survey file of ``day`` at the same instants.
    The variables, their names and attributes are the same at both rates.
    """
    ds = Dataset(probe, "mec", rate, "l2", datatype)
    burst = rate == "brst"
    first = start if start is not None else day
    path = file_path(root, ds, first, version, daily=not burst)
    step = cadence or (0.03 if burst else 30.0)
    t = _times(first, n, step)
    if burst:  # seconds since the day's midnight: the survey orbit at the same instants
        secs = (t - np.datetime64(day, "D").astype("M8[ns]")) / np.timedelta64(1, "s")
    else:
        secs = np.arange(n) * step
    phase = 2 * np.pi * secs / (24 * 3600.0) + int(probe[-1]) * 1e-3
    r = np.stack(
        [60000 * np.cos(phase), 60000 * np.sin(phase), np.full(n, -4500.0) + 10 * int(probe[-1])], 1
    )
    frames = {"gse": 0.0, "gsm": 0.35, "sm": 0.5, "geo": 1.1, "eci": 0.7, "gse2000": 0.01}
    variables: dict[str, VarSpec | tuple] = {"Epoch": epoch_var(t, "MEC time tags")}
    for frame, a in frames.items():
        c, sn = np.cos(a), np.sin(a)
        rv = np.stack([r[:, 0], c * r[:, 1] - sn * r[:, 2], sn * r[:, 1] + c * r[:, 2]], 1)
        lab = f"{probe}_mec_r_{frame}_label"
        variables[f"{probe}_mec_r_{frame}"] = (
            rv.astype(np.float64),
            dict(
                _data(
                    f"position in {frame.upper()}",
                    "km",
                    "Epoch",
                    vmin=-1e6,
                    vmax=1e6,
                    LABL_PTR_1=lab,
                    COORDINATE_SYSTEM=frame.upper(),
                ),
                FILLVAL=-1e31,
            ),
        )
        variables[lab] = _label(
            [f"X {frame.upper()}", f"Y {frame.upper()}", f"Z {frame.upper()}"], "r labels"
        )
    for k, frame in enumerate(
        ["gse", "gsm", "sm", "geo", "gse2000", "bcs", "dbcs", "dmpa", "smpa", "dsl", "ssl"]
    ):
        lab = f"{probe}_mec_quat_eci_to_{frame}_label"
        variables[f"{probe}_mec_quat_eci_to_{frame}"] = (
            _quat_z(phase + 0.1 * k),
            dict(
                _data(
                    f"quaternion ECI to {frame.upper()}",
                    " ",
                    "Epoch",
                    vmin=-1,
                    vmax=1,
                    LABL_PTR_1=lab,
                ),
                FILLVAL=-1e31,
            ),
        )
        variables[lab] = _label(["qx", "qy", "qz", "qw"], "quaternion labels")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_cdf(path, variables, _gattrs(ds, path, "MEC>Mission Ephemeris and Coordinates"))
