"""REGO counts to Rayleighs with UCalgary's calibration files (pure functions and file reading).

UCalgary publishes, per imager (a serial such as ``652``, not a site), IDL
SAVE files in ``GO-Canada/REGO/calibration/``:

- ``REGO_Rayleighs_<imager>_<start>-<stop|+>_v<NN>.sav`` holding the scalar
  ``rper_dnpersecond_<imager>`` (Rayleighs per count per second of exposure);
- ``REGO_flatfield_<imager>_<start>-<stop|+>_v<NN>.sav`` holding
  ``flat_field_multiplier_<imager>`` (``[512, 512]``, the same raw
  orientation as the skymaps' arrays: ``flipud`` brings it into the
  convention of :mod:`helioport.imaging.orientation`);

and, in some files, the strings ``author``, ``input_data_dir`` and
``skymap_filename``. The procedure is UCalgary's own (pyaurorax
``tools.calibration.rego``, idl-aurorax ``aurorax_calibrate_rego``), in
this order:

1. dark: subtract from each frame the mean of a 5x5 box in a corner outside
   the lens (their ``images[0:5, 0:5]``; their images share the skymaps'
   array orientation — pyaurorax indexes images with skymap indices and
   multiplies them by the flat field element by element — so ``flipud``
   brings the box into the convention: rows ``-5:``, columns ``:5``, the
   north-east corner), truncated to an integer; negative values become 0.
   Fill (65535) pixels in the box are left out of its mean; a box of fill
   only gives a frame of NaN;
2. flat field: multiply by ``flat_field_multiplier`` when one exists;
3. Rayleighs: multiply by ``rper_dnpersecond / exposure_s``. The exposure
   here is each frame's own (end minus start of integration in the CDF);
   UCalgary's Python uses a fixed 2.0 s, so values differ from theirs by
   ``2.0 / exposure`` (about 1 % for the usual 1.98 s).

One difference: UCalgary's Python writes step 2 back into the ``uint16``
array (truncating); here the values stay float (at most one count x
``rper/exposure`` apart). Fill (65535) pixels become NaN.

Examples
--------
>>> frames = np.full((1, 8, 8), 1000, dtype="u2")
>>> frames[0, -5:, :5] = 200  # the dark corner
>>> to_rayleighs(frames, rper_dnpersecond=0.5, exposure_s=2.0)[0, 0, 7].item()
200.0
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from helioport.errors import CorruptFileError, InvalidRequestError, quiet
from helioport.imaging.orientation import apply

__all__ = [
    "DARK_BOX",
    "Calibration",
    "CalibrationName",
    "dark_box",
    "dark_levels",
    "parse_name",
    "read_calibration",
    "to_rayleighs",
]

#: the side of the corner box whose mean is each frame's dark level (UCalgary's ``5``)
DARK_BOX = 5
Kind = Literal["rayleighs", "flatfield"]
_NAME = re.compile(
    r"REGO_(?P<kind>Rayleighs|flatfield)_(?P<imager>\d+)_(?P<start>\d{8})-(?P<stop>\d{8}|\+)"
    r"_v(?P<version>\d+)\.sav",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CalibrationName:
    """What a calibration file's name states."""

    kind: Kind
    imager: str
    start: dt.datetime
    stop: dt.datetime | None  # the last valid day's end; None: still valid ("+")
    version: str

    def valid_at(self, time: dt.datetime) -> bool:
        """Whether the file applies at ``time`` (start day at 00 UT to stop day at 24 UT)."""
        return self.start <= time and (self.stop is None or time < self.stop)

    @property
    def stem(self) -> str:
        """The name without its version: the logical file (``REGO_Rayleighs_652_20141001-+``)."""
        label = "Rayleighs" if self.kind == "rayleighs" else "flatfield"
        stop = "+" if self.stop is None else (self.stop - dt.timedelta(days=1)).strftime("%Y%m%d")
        return f"REGO_{label}_{self.imager}_{self.start:%Y%m%d}-{stop}"


def parse_name(name: str) -> CalibrationName | None:
    """The parts of a calibration file name, or ``None`` when it is not one.

    Examples
    --------
    >>> n = parse_name("REGO_Rayleighs_15649_20141015-20211018_v01.sav")
    >>> n.kind, n.imager, n.start.date().isoformat(), n.stop.date().isoformat(), n.version
    ('rayleighs', '15649', '2014-10-15', '2021-10-19', '01')
    >>> parse_name("REGO_flatfield_652_20141001-+_v02.sav").stop is None
    True
    """
    m = _NAME.fullmatch(name)
    if m is None:
        return None
    utc = dt.timezone.utc
    start = dt.datetime.strptime(m["start"], "%Y%m%d").replace(tzinfo=utc)
    stop = None
    if m["stop"] != "+":
        stop = dt.datetime.strptime(m["stop"], "%Y%m%d").replace(tzinfo=utc) + dt.timedelta(days=1)
    kind: Kind = "rayleighs" if m["kind"].lower() == "rayleighs" else "flatfield"
    return CalibrationName(kind, m["imager"], start, stop, m["version"])


@dataclass(frozen=True)
class Calibration:
    """One calibration file read: the Rayleighs factor or the flat field (in the convention)."""

    name: CalibrationName
    file: str
    rper_dnpersecond: float | None = None
    flat_field: np.ndarray | None = None
    author: str = ""


def _text(value: Any) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def read_calibration(path: str | Path) -> Calibration:
    """Read a ``REGO_Rayleighs_*`` or ``REGO_flatfield_*`` IDL SAVE file.

    Returns
    -------
    Calibration
        ``rper_dnpersecond`` for a Rayleighs file; ``flat_field`` (float64,
        ``flipud`` of the file's array: the orientation convention) for a
        flat-field file.

    Raises
    ------
    CorruptFileError
        The name is not a calibration file's, the file is not an IDL SAVE
        file, or it lacks ``rper_dnpersecond_<imager>`` / ``flat_field_multiplier_<imager>``.

    Examples
    --------
    >>> cal = read_calibration("REGO_Rayleighs_652_20141001-+_v02.sav")  # doctest: +SKIP
    >>> cal.rper_dnpersecond  # doctest: +SKIP
    0.6
    """
    from scipy.io import readsav

    path = Path(path)
    name = parse_name(path.name)
    if name is None:
        raise CorruptFileError(
            f"{path.name} is not named like a REGO calibration file "
            "(REGO_Rayleighs|flatfield_<imager>_<YYYYMMDD>-<YYYYMMDD|+>_vNN.sav)"
        )
    want = "rper_dnpersecond_" if name.kind == "rayleighs" else "flat_field_multiplier_"
    want += name.imager
    try:
        with quiet(UserWarning):  # scipy's "Not able to verify number of bytes"
            content = readsav(str(path), python_dict=True)
    except Exception as exc:  # scipy raises bare Exception on a bad file
        raise CorruptFileError(
            f"cannot read calibration file {path}: {type(exc).__name__}: {exc}. Delete it from "
            "the cache to fetch it again, or check the mirror"
        ) from exc
    if want not in content:
        raise CorruptFileError(
            f"calibration file {path.name} has no variable {want!r} (it has "
            f"{', '.join(sorted(content))}); the file and its name disagree on the imager"
        )
    author = _text(content.get("author", "")).strip()
    if name.kind == "rayleighs":
        value = np.asarray(content[want], dtype=np.float64)
        if value.size != 1 or not np.isfinite(value).all() or float(value.ravel()[0]) <= 0:
            raise CorruptFileError(
                f"{want} in {path.name} is {value!r}: expected one positive number"
            )
        return Calibration(name, path.name, rper_dnpersecond=float(value.ravel()[0]), author=author)
    flat = np.asarray(content[want], dtype=np.float64)
    if flat.ndim != 2:
        raise CorruptFileError(f"{want} in {path.name} has shape {flat.shape}: expected [N, N]")
    return Calibration(name, path.name, flat_field=np.ascontiguousarray(apply(flat, "flipud")))


def dark_box(shape: tuple[int, int], box: int = DARK_BOX) -> np.ndarray:
    """The dark box as a boolean mask ``[y, x]`` in the orientation convention.

    UCalgary's ``images[0:box, 0:box]`` in their (the skymaps') array
    orientation, brought into the convention the way skymaps and flat fields
    are (``flipud``): the north-east corner.

    Examples
    --------
    >>> np.argwhere(dark_box((6, 6), 2)).tolist()
    [[4, 0], [4, 1], [5, 0], [5, 1]]
    """
    raw = np.zeros(shape, dtype=bool)
    raw[:box, :box] = True
    return np.asarray(apply(raw, "flipud"))


def dark_levels(frames: np.ndarray, box: int = DARK_BOX, fill: float | None = 65535) -> np.ndarray:
    """Each frame's dark level: the mean of its :func:`dark_box`, truncated (float, NaN if none).

    ``frames`` are ``[n, y, x]`` in the orientation convention (row 0 south,
    column 0 east). ``fill`` pixels and NaN are left out of the mean; a box
    with no valid pixel gives NaN.

    Examples
    --------
    >>> f = np.zeros((1, 6, 6), dtype="u2"); f[0, -5:, :5] = 7; f[0, -1, 0] = 65535
    >>> dark_levels(f).tolist()
    [7.0]
    """
    frames = np.asarray(frames)
    rows, cols = np.nonzero(dark_box(frames.shape[-2:], box))
    corner = frames[..., rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    corner = corner.astype(np.float64)
    if fill is not None:
        corner[corner == fill] = np.nan
    valid = np.isfinite(corner)
    count = valid.sum(axis=(-2, -1))
    total = np.where(valid, corner, 0.0).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.trunc(np.where(count > 0, total / np.maximum(count, 1), np.nan))


def to_rayleighs(
    frames: np.ndarray,
    rper_dnpersecond: float,
    exposure_s: float | np.ndarray,
    flat_field: np.ndarray | None = None,
    *,
    fill: int | None = 65535,
    box: int = DARK_BOX,
) -> np.ndarray:
    """Rayleighs ``[n, y, x]`` (float32) from counts, as UCalgary calibrates REGO frames.

    ``R = max(counts - dark, 0) x flat_field x rper_dnpersecond / exposure_s``
    with ``dark`` from :func:`dark_levels` per frame; ``fill`` pixels are NaN.

    Parameters
    ----------
    frames
        ``[n, y, x]`` counts in the orientation convention.
    rper_dnpersecond
        Rayleighs per count per second (the Rayleighs file's value).
    exposure_s
        The exposure in seconds: one value or one per frame.
    flat_field
        ``[y, x]`` multipliers in the convention, or ``None`` (no flat field).
    fill, box
        The frames' fill value; the dark box side.

    Raises
    ------
    InvalidRequestError
        The flat field's shape is not the frames', or an exposure is not positive.
    """
    frames = np.asarray(frames)
    if frames.ndim == 2:
        frames = frames[None]
    n = frames.shape[0]
    exposure = np.broadcast_to(np.asarray(exposure_s, dtype=np.float64), (n,))
    if not (np.isfinite(exposure) & (exposure > 0)).all():
        raise InvalidRequestError(
            f"exposures must be positive seconds; got {np.unique(exposure)[:5].tolist()}"
        )
    if flat_field is not None and flat_field.shape != frames.shape[1:]:
        raise InvalidRequestError(
            f"the flat field is {flat_field.shape}, the frames {frames.shape[1:]}: use the "
            "calibration of the imager that took them"
        )
    dark = dark_levels(frames, box, fill)
    out = np.empty(frames.shape, dtype=np.float32)
    for i in range(n):  # one frame at a time: a float64 hour of 512x512 frames would be 2.4 GB
        value = np.clip(frames[i].astype(np.float64) - dark[i], 0.0, None)
        if flat_field is not None:
            value *= flat_field
        value *= rper_dnpersecond / exposure[i]
        if fill is not None and frames.dtype.kind in "iu":
            value[frames[i] == fill] = np.nan
        out[i] = value
    return out
