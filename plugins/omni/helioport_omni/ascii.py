"""The OMNI2 hourly ASCII format (``low_res_omni/omni2_YYYY.dat``): 55 columns.

Column table from the format description published beside the files
(``omni2.text``): Fortran formats, per-column fill values, units. A fill value
is the format's width of nines ("999.9" for F6.1); they become NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from helioport.errors import CorruptFileError

__all__ = [
    "COLUMNS",
    "Column",
    "format_omni2_rows",
    "parse_fixed_width",
    "read_omni2",
    "write_omni2",
]


@dataclass(frozen=True)
class Column:
    """One column of the OMNI2 hourly file."""

    name: str
    fmt: str  # Fortran format, e.g. "F6.1", "I4"
    fill: float | None
    units: str
    description: str
    scale: float = 1.0  # stored value * scale = physical value (Kp is stored x10)


COLUMNS: tuple[Column, ...] = (
    Column("year", "I4", None, "", "Year"),
    Column("doy", "I4", None, "", "Decimal day, January 1 = day 1"),
    Column("hour", "I3", None, "", "Hour, 0..23"),
    Column("bartels_rotation", "I5", 9999, "", "Bartels rotation number"),
    Column("imf_sc_id", "I3", 99, "", "ID of the IMF spacecraft"),
    Column("sw_plasma_sc_id", "I3", 99, "", "ID of the solar wind plasma spacecraft"),
    Column("imf_points", "I4", 999, "", "Number of points in the IMF averages"),
    Column("plasma_points", "I4", 999, "", "Number of points in the plasma averages"),
    Column("b_mag_avg", "F6.1", 999.9, "nT", "Field magnitude average |B|, 1/N sum |B|"),
    Column("b_vec_mag", "F6.1", 999.9, "nT", "Magnitude of the average field vector"),
    Column("b_lat", "F6.1", 999.9, "deg", "Latitude angle of the average field vector (GSE)"),
    Column("b_long", "F6.1", 999.9, "deg", "Longitude angle of the average field vector (GSE)"),
    Column("bx_gse", "F6.1", 999.9, "nT", "Bx GSE (= GSM)"),
    Column("by_gse", "F6.1", 999.9, "nT", "By GSE"),
    Column("bz_gse", "F6.1", 999.9, "nT", "Bz GSE"),
    Column("by_gsm", "F6.1", 999.9, "nT", "By GSM"),
    Column("bz_gsm", "F6.1", 999.9, "nT", "Bz GSM"),
    Column("sigma_b_mag", "F6.1", 999.9, "nT", "RMS standard deviation of the average magnitude"),
    Column("sigma_b", "F6.1", 999.9, "nT", "RMS standard deviation of the field vector"),
    Column("sigma_bx", "F6.1", 999.9, "nT", "RMS standard deviation of Bx GSE"),
    Column("sigma_by", "F6.1", 999.9, "nT", "RMS standard deviation of By GSE"),
    Column("sigma_bz", "F6.1", 999.9, "nT", "RMS standard deviation of Bz GSE"),
    Column("t_proton", "F9.0", 9999999.0, "K", "Proton temperature"),
    Column("n_proton", "F6.1", 999.9, "cm^-3", "Proton density"),
    Column("flow_speed", "F6.0", 9999.0, "km/s", "Plasma flow speed"),
    Column("flow_long", "F6.1", 999.9, "deg", "Plasma flow longitude angle (quasi-GSE)"),
    Column("flow_lat", "F6.1", 999.9, "deg", "Plasma flow latitude angle (GSE)"),
    Column("na_np", "F6.3", 9.999, "1", "Alpha/proton density ratio"),
    Column("flow_pressure", "F6.2", 99.99, "nPa", "Flow pressure"),
    Column("sigma_t", "F9.0", 9999999.0, "K", "Standard deviation of the temperature"),
    Column("sigma_n", "F6.1", 999.9, "cm^-3", "Standard deviation of the density"),
    Column("sigma_v", "F6.0", 9999.0, "km/s", "Standard deviation of the flow speed"),
    Column("sigma_phi_v", "F6.1", 999.9, "deg", "Standard deviation of the flow longitude"),
    Column("sigma_theta_v", "F6.1", 999.9, "deg", "Standard deviation of the flow latitude"),
    Column("sigma_na_np", "F6.3", 9.999, "1", "Standard deviation of Na/Np"),
    Column("e_field", "F7.2", 999.99, "mV/m", "Electric field -V Bz(GSM) 1e-3"),
    Column("plasma_beta", "F7.2", 999.99, "1", "Plasma beta"),
    Column("alfven_mach", "F6.1", 999.9, "1", "Alfven Mach number"),
    Column("kp", "I3", 99, "1", "Kp index (3+ = 3.3, 4- = 3.7)", scale=0.1),
    Column("sunspot_r", "I4", 999, "1", "Sunspot number R"),
    Column("dst", "I6", 99999, "nT", "Dst index (Kyoto)"),
    Column("ae", "I5", 9999, "nT", "AE index (Kyoto)"),
    Column("proton_flux_1mev", "F10.2", 999999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 1 MeV"),
    Column("proton_flux_2mev", "F9.2", 99999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 2 MeV"),
    Column("proton_flux_4mev", "F9.2", 99999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 4 MeV"),
    Column("proton_flux_10mev", "F9.2", 99999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 10 MeV"),
    Column("proton_flux_30mev", "F9.2", 99999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 30 MeV"),
    Column("proton_flux_60mev", "F9.2", 99999.99, "cm^-2 s^-1 sr^-1", "Proton flux > 60 MeV"),
    Column("magnetospheric_flag", "I3", None, "", "Magnetospheric flux flag (-1..6)"),
    Column("ap", "I4", 999, "nT", "ap index"),
    Column("f10_7", "F6.1", 999.9, "sfu", "F10.7 solar radio flux"),
    Column("pc_n", "F6.1", 999.9, "1", "Polar cap (North) index"),
    Column("al", "I6", 99999, "nT", "AL index (Kyoto)"),
    Column("au", "I6", 99999, "nT", "AU index (Kyoto)"),
    Column("magnetosonic_mach", "F5.1", 99.9, "1", "Magnetosonic Mach number"),
)

assert len(COLUMNS) == 55
BY_NAME = {c.name: i for i, c in enumerate(COLUMNS)}


def read_omni2(path: str | Path) -> pd.DataFrame:
    """Read one OMNI2 yearly file: a DataFrame indexed by UTC hour, fills as NaN.

    Values are physical (Kp divided by ten); the integer columns become floats
    so that fills can be NaN. Files in the archive's exact fixed-width layout
    are decoded column by column with numpy (:func:`parse_fixed_width`); any
    other whitespace-separated layout is read with :func:`pandas.read_csv`.

    Raises
    ------
    CorruptFileError
        When the file does not have 55 numeric columns.

    Examples
    --------
    >>> df = read_omni2("omni2_2010.dat")  # doctest: +SKIP
    >>> df["bz_gsm"].iloc[0]  # doctest: +SKIP
    1.6
    """
    path = Path(path)
    values = parse_fixed_width(path.read_bytes())
    if values is None:
        values = _read_whitespace(path)
    time = _times(values[:, 0], values[:, 1], values[:, 2])
    values = values[:, 3:]
    values[values == _FILLS] = np.nan
    if _SCALED.size:
        values[:, _SCALED] *= _SCALES
    return pd.DataFrame(values, index=pd.DatetimeIndex(time, name="time"), columns=_NAMES)


def _read_whitespace(path: Path) -> np.ndarray:
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=np.float64, engine="c")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CorruptFileError(
            f"{path.name} is not an OMNI2 hourly file (55 numeric columns): {exc}"
        ) from exc
    if raw.shape[1] != len(COLUMNS):
        raise CorruptFileError(
            f"{path.name} has {raw.shape[1]} columns, an OMNI2 hourly file has {len(COLUMNS)}; "
            "the download may be an error page or another format"
        )
    return raw.to_numpy()


def parse_fixed_width(text: bytes) -> np.ndarray | None:
    """The 55 columns of OMNI2 text in the archive's fixed-width layout as float64, or None.

    Every line must be exactly the format's width; each field is right-aligned
    digits with an optional minus sign and, for ``Fw.d``, the decimal point
    where Fortran writes it. Fields of one format are decoded together as exact
    integers and divided by ``10**d``, which rounds exactly as parsing the text does.
    Anything else (other spacing, exponents, overflow stars) gives None, and
    the caller parses the text as whitespace-separated.

    Examples
    --------
    >>> line = format_omni2_rows(df.iloc[:1])[0].encode()  # doctest: +SKIP
    >>> parse_fixed_width(line + b"\\n")[0, :3]  # doctest: +SKIP
    array([2010.,    1.,    0.])
    """
    text = text.rstrip(b"\n")
    if not text or len(text) % (_WIDTH + 1) != _WIDTH:
        return None
    rows = (len(text) + 1) // (_WIDTH + 1)
    chars = np.frombuffer(text + b"\n", np.uint8).reshape(rows, _WIDTH + 1)
    if not (chars[:, _WIDTH] == 10).all():
        return None
    codes = chars[:, :_WIDTH] - np.uint8(48)  # digits 0..9, space 240, minus 253, point 254
    ok = (codes < 10) | (codes == 240) | (codes == 253)
    ok[:, _POINTS] = codes[:, _POINTS] == 254
    if not ok.all():
        return None
    out = np.empty((rows, len(COLUMNS)))
    for columns, positions, decimals in _GROUPS:
        block = codes[:, positions]  # (rows, fields of this format, characters kept)
        value = np.zeros(block.shape[:2], np.int64)
        digits = np.zeros(block.shape[:2], np.int64)
        minus = np.zeros(block.shape[:2], bool)
        for k in range(block.shape[2]):
            c = block[:, :, k]
            is_digit = c < 10
            value *= 10
            value += np.where(is_digit, c, 0)
            digits += is_digit
            minus |= c == 253
        if not digits.all():
            return None
        # exact integers divided by 10**d: rounded exactly as parsing the text is
        number = value / 10.0**decimals
        out[:, columns] = np.where(minus, -number, number)
    return out


def _layout() -> tuple[int, np.ndarray, list[tuple[np.ndarray, np.ndarray, int]]]:
    """Line width, decimal point positions, and per Fortran format: its columns, the positions
    of their characters (decimal point left out) and their decimals."""
    groups: dict[str, tuple[list[int], list[list[int]], int]] = {}
    points, at = [], 0
    for j, col in enumerate(COLUMNS):
        w, _, d = col.fmt[1:].partition(".")
        w, d = int(w), int(d or 0)
        point = at + w - d - 1 if col.fmt[0] == "F" else -1
        if point >= 0:
            points.append(point)
        cols, positions, _ = groups.setdefault(col.fmt, ([], [], d))
        cols.append(j)
        positions.append([k for k in range(at, at + w) if k != point])
        at += w
    return (
        at,
        np.array(points, np.intp),
        [(np.array(c, np.intp), np.array(p, np.intp), d) for c, p, d in groups.values()],
    )


_WIDTH, _POINTS, _GROUPS = _layout()
_NAMES = [c.name for c in COLUMNS[3:]]
_FILLS = np.array([np.nan if c.fill is None else c.fill for c in COLUMNS[3:]])
_SCALED = np.array([i for i, c in enumerate(COLUMNS[3:]) if c.scale != 1.0], np.intp)
_SCALES = np.array([COLUMNS[3 + i].scale for i in _SCALED])


def _times(year: np.ndarray, doy: np.ndarray, hour: np.ndarray) -> np.ndarray:
    years = (year.astype(np.int64) - 1970).astype("datetime64[Y]")
    days = (doy.astype(np.int64) - 1).astype("timedelta64[D]")
    hours = hour.astype(np.int64).astype("timedelta64[h]")
    return (years.astype("datetime64[ns]") + days + hours).astype("datetime64[ns]")


def _field(value: float, col: Column) -> str:
    kind, spec = col.fmt[0], col.fmt[1:]
    if kind == "I":
        return f"{round(value):{int(spec)}d}"
    width, decimals = (int(x) for x in spec.split("."))
    text = f"{value:{width}.{decimals}f}"
    if decimals == 0:
        text = f"{value:{width - 1}.0f}."
    return text


def format_omni2_rows(df: pd.DataFrame) -> list[str]:
    """Format rows (columns named as :data:`COLUMNS`, NaN = fill) as OMNI2 text lines."""
    idx = pd.DatetimeIndex(df.index)
    lines = []
    base = {
        "year": idx.year.to_numpy(),
        "doy": idx.day_of_year.to_numpy(),
        "hour": idx.hour.to_numpy(),
    }
    cols = [base[c.name] if c.name in base else df[c.name].to_numpy(dtype=float) for c in COLUMNS]
    for r in range(len(df)):
        parts = []
        for col, arr in zip(COLUMNS, cols):
            v = float(arr[r])
            if np.isnan(v):
                v = col.fill if col.fill is not None else 0
            elif col.scale != 1.0:
                v = v / col.scale
            parts.append(_field(v, col))
        lines.append("".join(parts))
    return lines


def write_omni2(path: str | Path, df: pd.DataFrame) -> Path:
    """Write an OMNI2 yearly file in the archive's exact fixed-width format (atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(format_omni2_rows(df)) + "\n", encoding="ascii")
    tmp.replace(path)
    return path
