"""Vectors in another geocentric frame: ``coords="gsm"`` for a product the archive has only in GSE.

The rotations come from a well-kept library, SpacePy's coordinate transforms
(:mod:`spacepy.coordinates`, its pure-Python ``ctrans`` backend, no IRBEM), not
from matrices written here. The geocentric frames are rotations of one another
that change slowly (the dipole tilt follows the Earth's rotation), so the
rotation matrix is evaluated by SpacePy on a grid of at most one time per
:data:`MATRIX_STEP` (:data:`EARTH_FIXED_STEP` with an Earth-fixed frame; never
more than the data's own times), its nine
elements interpolated linearly to every sample, and applied in one vectorised
product: millions of samples cost a few hundred SpacePy evaluations.

Frames: ``gse``, ``gsm``, ``sm``, ``geo``, ``mag``, ``gei`` (= ``j2000``,
the J2000 equatorial frame).

Examples
--------
>>> b_gsm = transform(ds["dc_mag_mms1"], to="gsm")  # doctest: +SKIP
>>> b_gsm.attrs["coords"], b_gsm.attrs["transformed_from"]  # doctest: +SKIP
('gsm', 'gse')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from .errors import HelioportError, InvalidRequestError, quiet
from .framenames import EARTH_FIXED, FRAMES, can_transform
from .naming import COMPONENT, find_time_dim

__all__ = [
    "EARTH_FIXED_STEP",
    "FRAMES",
    "MATRIX_STEP",
    "can_transform",
    "rotation_matrices",
    "transform",
]

#: the longest time between two SpacePy evaluations of the rotation: 10 minutes between
#: Sun-referenced frames (the dipole tilt swings ~11 degrees a day: linear interpolation
#: errs by < 1e-4 of the vector), 2 minutes where an Earth-fixed frame (geo, mag) turns
#: with the Earth (< 2e-5)
MATRIX_STEP = np.timedelta64(600, "s")
EARTH_FIXED_STEP = np.timedelta64(120, "s")


def _spacepy() -> tuple[Any, Any]:
    try:
        import spacepy.coordinates as spc
        import spacepy.time as spt
    except ImportError as exc:  # pragma: no cover - spacepy is a dependency
        raise HelioportError(
            f"frame transforms need SpacePy ({exc}); install it with: pip install spacepy"
        ) from None
    return spc, spt


def rotation_matrices(times: np.ndarray, frm: str, to: str) -> np.ndarray:
    """The rotation from ``frm`` to ``to`` at ``times`` (datetime64), shape (N, 3, 3).

    ``v_to = M @ v_frm``. Evaluated by SpacePy on a grid of at most one time
    per :data:`MATRIX_STEP` and interpolated linearly in between.
    """
    frm_s, to_s = FRAMES[frm.lower()], FRAMES[to.lower()]
    times = np.asarray(times, dtype="datetime64[ns]")
    if times.size == 0:
        return np.zeros((0, 3, 3))
    step = EARTH_FIXED_STEP if {frm.lower(), to.lower()} & EARTH_FIXED else MATRIX_STEP
    t0, t1 = times.min(), times.max()
    n = int((t1 - t0) // step) + 2
    grid = times if times.size <= n else t0 + np.arange(n) * step
    spc, spt = _spacepy()
    basis = np.repeat(np.eye(3)[None], grid.size, axis=0).reshape(-1, 3)
    ticks = np.repeat(grid.astype("datetime64[us]").astype(object), 3)
    try:
        with quiet():  # SpacePy's note on its leap-second table age
            coords = spc.Coords(basis, frm_s, "car", use_irbem=False)
            coords.ticks = spt.Ticktock(list(ticks), "UTC")
            rotated = np.asarray(coords.convert(to_s, "car").data, dtype=float)
    except Exception as exc:  # SpacePy's failures become one clear error
        raise HelioportError(
            f"SpacePy could not transform {frm} -> {to} between {t0} and {t1}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    # column j of M is the image of basis vector j
    mats = rotated.reshape(grid.size, 3, 3).transpose(0, 2, 1)
    if grid is times:
        return mats
    x = (grid - t0).astype("timedelta64[ns]").astype(np.int64).astype(float)
    xi = (times - t0).astype("timedelta64[ns]").astype(np.int64).astype(float)
    flat = mats.reshape(grid.size, 9)
    out = np.empty((times.size, 9))
    for k in range(9):
        out[:, k] = np.interp(xi, x, flat[:, k])
    return out.reshape(times.size, 3, 3)


def transform(da: xr.DataArray, to: str, *, frm: str | None = None) -> xr.DataArray:
    """``da`` (a vector over time with components ``x, y, z`` and maybe ``tot``) in frame ``to``.

    Parameters
    ----------
    da
        A vector DataArray carrying its frame in ``attrs["coords"]`` (or give ``frm``).
    to
        The frame wanted (see :data:`FRAMES`).
    frm
        The frame of ``da`` when its attrs do not say.

    Returns
    -------
    xarray.DataArray
        Same dims, coords and other attrs; ``coords`` = ``to``, ``transformed_from``
        and ``transform`` (the library and method) stated. A magnitude component
        (``tot``) is kept as it is.

    Raises
    ------
    InvalidRequestError
        Unknown frame, no frame known for ``da``, or not a 3-component vector.
    """
    frm = (frm or da.attrs.get("coords") or "").lower()
    to = str(to).lower()
    if not can_transform(frm, to):
        raise InvalidRequestError(
            f"cannot transform {da.name!r} from frame {frm or 'unknown'!r} to {to!r}; "
            f"transformable frames: {', '.join(FRAMES)} (set attrs['coords'] or frm= for the source)"
        )
    tdim = find_time_dim(da)
    if tdim is None or COMPONENT not in da.dims:
        raise InvalidRequestError(
            f"{da.name!r} is not a vector over time (dims {da.dims}); transform needs "
            f"a time dimension and a '{COMPONENT}' dimension with x, y, z"
        )
    labels = [str(c) for c in da[COMPONENT].values]
    if not {"x", "y", "z"} <= set(labels):
        raise InvalidRequestError(f"{da.name!r} has components {labels}, not x, y, z")
    if frm == to or FRAMES[frm] == FRAMES[to]:
        return da
    vec = da.transpose(tdim, COMPONENT, ...)
    xyz = [labels.index(c) for c in ("x", "y", "z")]
    values = np.asarray(vec.values, dtype=float)
    mats = rotation_matrices(vec[tdim].values, frm, to)
    rotated = values.copy()
    rotated[:, xyz] = np.einsum("nij,nj->ni", mats, values[:, xyz])
    out = vec.copy(data=rotated.astype(np.result_type(values.dtype, np.float32)))
    out.attrs = dict(da.attrs)
    out.attrs.update(
        coords=to,
        transformed_from=frm,
        transform=f"spacepy.coordinates ({FRAMES[frm]} -> {FRAMES[to]}, ctrans backend), "
        "rotation evaluated every 10 min (2 min with geo/mag) and interpolated linearly",
    )
    return out.transpose(*da.dims)
