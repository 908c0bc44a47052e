"""The curlometer: current density from four spacecraft (``j_curl``).

Science (:func:`curlometer`) is pure numpy on arrays; :func:`j_curl` is the
thin xarray wrapper the ``j_curl`` derivation calls.

Method: the barycentric (reciprocal vector) form of Chanteur (1998, ISSI SR-001
ch. 14), equivalent to the curlometer of Dunlop et al. (1988). For vertex
``a`` of the tetrahedron, with ``b, c, d`` the other three,

    k_a = (r_bc x r_bd) / (r_ba . (r_bc x r_bd)),      r_bc = r_c - r_b,

and the linear estimate of the field gradient is ``grad B = sum_a k_a B_a``, so

    curl B = sum_a k_a x B_a,      div B = sum_a k_a . B_a.

Taking ``b`` = vertex 0 for ``a`` = 1, 2, 3 gives ``k_1 = (d2 x d3) / D``,
``k_2 = (d3 x d1) / D``, ``k_3 = (d1 x d2) / D`` with ``d_a = r_a - r_0`` and
``D = d1 . (d2 x d3)`` (six times the signed volume), and ``sum_a k_a = 0``
gives ``k_0``. Both sums then read ``sum_{a=1..3} k_a x (B_a - B_0)``, which
is exact for a linear field.

Units: positions in km and fields in nT give ``curl B`` and ``div B`` in
nT/km. 1 nT/km = 1e-9 T / 1e3 m = 1e-12 T/m, and J = curl B / mu0, so
J [A/m^2] = curl B [nT/km] * 1e-12 / mu0 [T m / A]; 1 A/m^2 = 1e9 nA/m^2.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..align import find_time_dim
from ..errors import DerivationError, InvalidRequestError
from . import interpolate
from .elevation import series_times, xyz_components
from .interpolate import interp_linear_chunks

__all__ = [
    "DEFAULT_MIN_SHAPE",
    "MU0",
    "NT_PER_KM_TO_T_PER_M",
    "POSITION_SOURCES",
    "curlometer",
    "j_curl",
    "tetrahedron_shape",
]

log = logging.getLogger(__name__)

MU0 = 1.25663706212e-6
"""Vacuum permeability mu0 in T m / A (N/A^2), CODATA 2018."""

NT_PER_KM_TO_T_PER_M = 1e-9 / 1e3
"""1 nT/km in T/m: 1e-9 T per 1e3 m = 1e-12."""

DEFAULT_MIN_SHAPE = 1e-3
"""Samples whose :func:`tetrahedron_shape` is below this are degenerate (NaN)."""

_EARTH_RADIUS_KM = 6371.2  # the geomagnetic reference radius used by OMNI/SSCWeb "Re"


def tetrahedron_shape(r: np.ndarray) -> np.ndarray:
    """How far a tetrahedron is from flat or needle-like: 1 for regular, 0 for degenerate.

    ``shape = sqrt(2) |D| / L**3`` where ``D = d1 . (d2 x d3)`` is six times the
    volume and ``L`` the root-mean-square length of the six edges. A regular
    tetrahedron of edge ``a`` has ``|D| = a**3 / sqrt(2)``, so shape 1; the
    value is scale-free and falls to 0 for flat (planar) and elongated
    (linear) configurations alike.

    Parameters
    ----------
    r : array (4, N, 3)
        Positions of the four vertices (any length unit).

    Returns
    -------
    array (N,)

    Examples
    --------
    >>> a = np.array([[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0],
    ...               [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]])[:, None, :]
    >>> float(np.round(tetrahedron_shape(a)[0], 12))
    1.0
    """
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 3 or r.shape[0] != 4 or r.shape[2] != 3:
        raise ValueError(f"tetrahedron_shape needs positions of shape (4, N, 3); got {r.shape}")
    d = _edges(r)
    return _shape(d, _dot(d[0], _cross(d[1], d[2])))


Vec = tuple[np.ndarray, np.ndarray, np.ndarray]
"""A vector of N samples as three contiguous (N,) component arrays (fast elementwise maths)."""


def _edges(r: np.ndarray) -> list[Vec]:
    """``d_a = r_a - r_0`` for a = 1, 2, 3, component-wise."""
    return [tuple(r[a, :, j] - r[0, :, j] for j in range(3)) for a in (1, 2, 3)]


def _cross(u: Vec, v: Vec) -> Vec:
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _dot(u: Vec, v: Vec) -> np.ndarray:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _shape(d: list[Vec], det: np.ndarray) -> np.ndarray:
    """``sqrt(2) |det| / L_rms**3`` from the edges d_a = r_a - r_0 and det = 6 x volume."""
    # sum over the 6 edges of |r_a - r_b|^2 = 4 sum_a |r_a - r_mean|^2
    #                                       = 4 (sum_a |d_a|^2 - 4 |m|^2),  m = (d1 + d2 + d3) / 4
    m = tuple((d[0][j] + d[1][j] + d[2][j]) * 0.25 for j in range(3))
    sum_sq = _dot(d[0], d[0]) + _dot(d[1], d[1]) + _dot(d[2], d[2]) - 4.0 * _dot(m, m)
    l_rms = np.sqrt(np.maximum(4.0 * sum_sq / 6.0, 0.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shape = np.sqrt(2.0) * np.abs(det) / (l_rms * l_rms * l_rms)
    shape[l_rms == 0] = 0.0  # four coincident points
    return shape


_BLOCK = 16384
"""Samples per block in :func:`curlometer` (about 0.4 MB per temporary: stays in cache)."""


def _kernel(
    r: np.ndarray, b: np.ndarray, curl_b: np.ndarray, div_b: np.ndarray, shape: np.ndarray
) -> None:
    """Fill ``curl_b`` (M, 3), ``div_b`` (M,) and ``shape`` (M,) for one block of samples."""
    d = _edges(r)  # d_a = r_a - r_0, a = 1, 2, 3
    # numerators of k_1, k_2, k_3: d2 x d3, d3 x d1, d1 x d2
    c = [_cross(d[1], d[2]), _cross(d[2], d[0]), _cross(d[0], d[1])]
    det = _dot(d[0], c[0])  # D = d1 . (d2 x d3) = 6 x signed volume
    shape[:] = _shape(d, det)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / det
        k = [tuple(ca[j] * inv for j in range(3)) for ca in c]  # reciprocal vectors (1/km)
        # B_a - B_0 pairs with k_a, since k_0 = -(k_1 + k_2 + k_3)
        db = [tuple(b[a, :, j] - b[0, :, j] for j in range(3)) for a in (1, 2, 3)]
        crosses = [_cross(k[a], db[a]) for a in range(3)]
        for j in range(3):
            curl_b[:, j] = crosses[0][j] + crosses[1][j] + crosses[2][j]  # nT/km
        div_b[:] = _dot(k[0], db[0]) + _dot(k[1], db[1]) + _dot(k[2], db[2])  # nT/km


def curlometer(
    r: np.ndarray,
    b: np.ndarray,
    *,
    min_shape: float = DEFAULT_MIN_SHAPE,
) -> dict[str, np.ndarray]:
    """Curl, divergence and current density from four-point B measurements.

    Parameters
    ----------
    r : array (4, N, 3)
        Spacecraft positions in km, vertex-major (probe, sample, xyz), in the
        same frame as ``b``.
    b : array (4, N, 3)
        Magnetic field in nT at those positions and times.
    min_shape : float
        Samples whose :func:`tetrahedron_shape` is below this (flat or
        elongated tetrahedra, where the estimate is mostly noise or rounding)
        are NaN, with one :class:`RuntimeWarning` giving their number.
        ``0`` keeps every sample with a non-zero volume.

    Returns
    -------
    dict of arrays
        ``j`` (N, 3) current density in A/m^2; ``curl_b`` (N, 3) and ``div_b``
        (N,) in nT/km; ``quality`` (N,) = |div B| / |curl B| (small is good);
        ``shape`` (N,) the tetrahedron shape factor. A sample with any NaN
        input is NaN throughout.

    Warns
    -----
    RuntimeWarning
        When some samples are degenerate.

    Examples
    --------
    A field B = G r with G[0, 1] = 1 nT/km (so dBx/dy = 1): curl B = (0, 0, -1) nT/km.

    >>> r = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10.0]])[:, None, :]
    >>> G = np.zeros((3, 3)); G[0, 1] = 1.0
    >>> out = curlometer(r, r @ G.T)
    >>> out["curl_b"], out["div_b"]
    (array([[ 0.,  0., -1.]]), array([0.]))
    >>> round(float(out["j"][0, 2] * 1e9), 3)  # nA/m^2: -1e-12 / mu0 * 1e9
    -795.775
    """
    r = np.asarray(r, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if r.ndim == 2:
        r = r[:, None, :]
    if b.ndim == 2:
        b = b[:, None, :]
    if r.shape[0] != 4 or b.shape[0] != 4 or r.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(
            f"curlometer needs positions and fields of shape (4, N, 3); got {r.shape} and {b.shape}"
        )
    if r.shape != b.shape:
        raise ValueError(f"positions {r.shape} and fields {b.shape} must have the same shape")

    n = r.shape[1]
    curl_b = np.empty((n, 3))
    div_b = np.empty(n)
    shape = np.empty(n)
    # Blocks of samples keep the temporaries in cache; each block is fully vectorised.
    for lo in range(0, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        _kernel(r[:, lo:hi], b[:, lo:hi], curl_b[lo:hi], div_b[lo:hi], shape[lo:hi])
    return _finish(curl_b, div_b, shape, min_shape, stacklevel=3)


def _finish(
    curl_b: np.ndarray, div_b: np.ndarray, shape: np.ndarray, min_shape: float, stacklevel: int
) -> dict[str, np.ndarray]:
    """:func:`curlometer`'s result from the blocks' ``curl_b``, ``div_b`` and ``shape``:
    degenerate and missing samples NaN (with the warning, ``stacklevel`` as for
    :func:`warnings.warn` from here), J and the quality."""
    bad = (shape < min_shape) | (shape == 0)  # NaN inputs give NaN results, not counted here

    n_bad = int(np.count_nonzero(bad))
    # A sample with any missing input has no estimate at all. div B involves every component
    # of every B_a and, through D, every position, so it is NaN exactly when an input is.
    missing = ~np.isfinite(div_b)
    if n_bad or missing.any():
        curl_b[bad | missing] = np.nan
        div_b[bad | missing] = np.nan
    if n_bad:
        warnings.warn(
            f"curlometer: {n_bad} of {bad.size} samples have a degenerate (flat or elongated) "
            f"tetrahedron, shape factor < {min_shape:g}; their results are NaN",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    j = curl_b * (NT_PER_KM_TO_T_PER_M / MU0)  # nT/km -> T/m, then / mu0 -> A/m^2
    with np.errstate(divide="ignore", invalid="ignore"):
        quality = np.abs(div_b) / np.sqrt(np.einsum("nj,nj->n", curl_b, curl_b))
    return {"j": j, "curl_b": curl_b, "div_b": div_b, "quality": quality, "shape": shape}


_POSITION_UNITS_KM = {"km": 1.0, "m": 1e-3, "re": _EARTH_RADIUS_KM, "earth radii": _EARTH_RADIUS_KM}
_FIELD_UNITS_NT = {"nt": 1.0, "t": 1e9, "pt": 1e-3}


def _frame(da: xr.DataArray) -> str | None:
    frame = da.attrs.get("coords")
    return str(frame).strip().lower() if frame else None


def _scale(da: xr.DataArray, table: Mapping[str, float], default: str, what: str) -> float:
    units = str(da.attrs.get("units", default)).strip().lower().replace(" ", "")
    units = {"earthradii": "earth radii", "r_e": "re"}.get(units, units)
    if units not in table:
        raise DerivationError(
            f"j_curl: {what} {da.name!r} has units {da.attrs.get('units')!r}; "
            f"the curlometer understands {', '.join(table)}"
        )
    return table[units]


def _position_reach(da: xr.DataArray) -> pd.Timedelta | None:
    """How far positions are extrapolated beyond their ends: their median sample spacing.

    Positions come slowly (MMS MEC every 30 s) and a loader cuts them at the
    request's edges, so without this the last (or first) seconds of a short
    burst interval would have no position. Over one spacing the straight line
    through the two end samples is as good as interpolation between samples,
    and the curlometer depends only on the differences between the probes.
    """
    t = np.asarray(da.coords[find_time_dim(da)].values, dtype="datetime64[ns]").view(np.int64)
    steps = np.diff(np.unique(t[t != np.iinfo(np.int64).min]))
    return pd.Timedelta(int(np.median(steps)), unit="ns") if steps.size else None


def _reach_ns(da: xr.DataArray) -> int | None:
    reach = _position_reach(da)
    return None if reach is None else int(reach.value)


_VIEW_MIN = 1 << 16
"""Inputs with at least this many samples are read in place by :func:`_xyz_columns`
(below, :func:`xyz_components`' copy costs less than finding the columns)."""


def _xyz_columns(da: xr.DataArray, what: str) -> np.ndarray:
    """``xyz_components(da, what)``, as a view of ``da``'s values when it can be one.

    A long float64 vector whose x, y, z are evenly spaced columns (``x, y, z,
    tot`` for instance) is not copied: the interpolation and the kernel read
    the columns where they are. The columns are found by :func:`xyz_components`
    itself, on the first sample with the column numbers for values, so its
    rules and errors are the ones that apply.
    """
    time_dim = find_time_dim(da)
    if time_dim is None or da.ndim != 2 or da.dtype != np.float64 or da.sizes[time_dim] < _VIEW_MIN:
        return xyz_components(da, what)
    comp = da.dims[1] if da.dims[0] == time_dim else da.dims[0]
    numbers = np.arange(da.sizes[comp], dtype=np.float64)
    first = da.isel({time_dim: slice(0, 1)})
    probe = first.copy(data=numbers[None, :] if da.dims[0] == time_dim else numbers[:, None])
    pos = [int(i) for i in xyz_components(probe, what)[0]]
    step = pos[1] - pos[0]
    if step < 1 or pos[2] - pos[1] != step:  # not a slice: xyz_components' copy
        return xyz_components(da, what)
    return da.transpose(time_dim, comp).values[:, pos[0] : pos[2] + 1 : step]


POSITION_SOURCES = ("mec", "fgm")
"""Values of the request option ``positions`` j_curl reads (default ``"mec"``)."""


def _positions_used(poss: Mapping[str, xr.DataArray], request: Any) -> str:
    """``"mec: mms1_mec_r_gse, ..."`` or ``"fgm: ..."``: where the positions come from, checked
    against the option ``positions``."""
    options = getattr(request, "options", None) or {}
    asked = options.get("positions")
    if asked is None or isinstance(asked, bool):  # MMS' positions=True adds dc_mag_pos: not ours
        asked = "mec"
    asked = str(asked).strip().lower()
    if asked not in POSITION_SOURCES:
        raise InvalidRequestError(
            f"j_curl: positions={options.get('positions')!r} is not one of "
            f"{', '.join(POSITION_SOURCES)}; 'mec' (default) uses sc_pos, 'fgm' the "
            "positions the magnetometer files carry"
        )
    names = [str(da.attrs.get("source_variable") or f"sc_pos of {p}") for p, da in poss.items()]
    if asked == "fgm":
        other = [n for n in names if "fgm" not in n.lower()]
        if other:
            raise DerivationError(
                f"j_curl: positions='fgm' asks for the FGM files' positions, but sc_pos comes "
                f"from {', '.join(other)}; this mission's plugin does not serve them for "
                "positions='fgm': leave positions to 'mec'"
            )
    return f"{asked}: {', '.join(names)}"


def _curlometer_on(
    n: int,
    b_first: np.ndarray,
    sources: list[tuple[np.ndarray, np.ndarray, int | None]],
    times: np.ndarray,
    scales: list[float],
    min_shape: float,
) -> dict[str, np.ndarray]:
    """``curlometer(r, b)`` with ``b = [b_first, interpolated B of the other three]`` and
    ``r`` the four interpolated positions, each input times its unit's scale.

    The inputs go onto the time base a chunk at a time, and the kernel runs on each chunk
    while it is in cache: the (4, n, 3) positions and fields are never made whole. The
    numbers are the same: the kernel and the interpolation work sample by sample.
    """
    curl_b = np.empty((n, 3))
    div_b = np.empty(n)
    shape = np.empty(n)
    # (input, sample, xyz) as a view of (input, xyz, sample): each component contiguous, as
    # the interpolation fills it fastest (and the kernel reads it component by component)
    both = np.empty((8, 3, min(interpolate.CHUNK, n))).transpose(0, 2, 1)
    for c0, c1 in interp_linear_chunks(sources, times, both[1:]):
        m = c1 - c0
        both[0, :m] = b_first[c0:c1]
        for k, f in enumerate(scales):
            if f != 1.0:  # nT and km (the usual units) need no pass over the samples
                both[k, :m] *= f
        b, r = both[:4, :m], both[4:, :m]
        for lo in range(0, m, _BLOCK):
            hi = min(lo + _BLOCK, m)
            out = slice(c0 + lo, c0 + hi)
            _kernel(r[:, lo:hi], b[:, lo:hi], curl_b[out], div_b[out], shape[out])
    return _finish(curl_b, div_b, shape, min_shape, stacklevel=3)  # j_curl's line


def j_curl(inputs: Mapping[str, Mapping[str, xr.DataArray]], request: Any = None) -> xr.Dataset:
    """The ``j_curl`` derivation: curlometer current from four probes.

    Parameters
    ----------
    inputs
        ``{"dc_mag": {probe: DataArray}, "sc_pos": {probe: DataArray}}`` for
        exactly four probes; each DataArray has one time dimension (any
        name) and a component dimension with labels ``x, y, z`` (``tot`` is
        ignored). Positions in km (m and Re are converted), B in nT.
    request
        The :class:`~helioport.schema.Request`; ``request.options
        ["curlometer_min_shape"]`` overrides the degeneracy threshold, and
        ``request.options["positions"]`` says where the positions come from:
        ``"mec"`` (default, the mission's ``sc_pos``, for MMS the MEC
        ephemeris) or ``"fgm"`` (the magnetometer files' own positions; the
        mission plugin serves ``sc_pos`` from them, and every ``sc_pos`` input
        must then name an FGM variable).

    Returns
    -------
    xarray.Dataset
        On the first probe's B time base (dimension ``time``): ``j_curl``
        (nA/m^2), ``curl_b`` and ``div_b`` (nT/km), ``curl_quality``
        (|div B| / |curl B|), with method, probes and time base in attrs.
        B of the other probes and all positions are interpolated linearly
        onto that time base (NaN outside their spans, except that positions
        are extrapolated linearly up to one of their sample spacings beyond
        their ends, so that 30 s positions cut at a request's edges still
        cover it).

    Raises
    ------
    DerivationError
        Not exactly four probes with both inputs, mixed frames, unknown units,
        ``positions="fgm"`` with positions that are not the FGM files'.
    InvalidRequestError
        ``positions`` is neither ``"mec"`` nor ``"fgm"``.

    Examples
    --------
    >>> ds = j_curl({"dc_mag": b_by_probe, "sc_pos": r_by_probe})  # doctest: +SKIP
    >>> ds["j_curl"].sel(component="z")  # doctest: +SKIP
    """
    mags = dict(inputs.get("dc_mag") or {})
    poss = dict(inputs.get("sc_pos") or {})
    probes = list(dict.fromkeys([*mags, *poss]))
    missing = [f"dc_mag of {p}" for p in probes if p not in mags] + [
        f"sc_pos of {p}" for p in probes if p not in poss
    ]
    if missing or len(probes) != 4:
        have = f"probes given: {', '.join(map(str, probes)) or 'none'}"
        what = f"missing {', '.join(missing)}; " if missing else ""
        raise DerivationError(
            f"j_curl needs dc_mag and sc_pos for exactly 4 probes; {what}{have}. "
            "Request four probes, e.g. probes=['mms1', 'mms2', 'mms3', 'mms4']"
        )
    frames = {
        f"{prod} {p}": _frame(da)
        for prod, group in (("dc_mag", mags), ("sc_pos", poss))
        for p, da in group.items()
    }
    known = {k: f for k, f in frames.items() if f is not None}
    if len(set(known.values())) > 1:
        listing = ", ".join(f"{k}: {f}" for k, f in known.items())
        raise DerivationError(
            f"j_curl: B and positions must be in one frame, got {listing}; "
            "load them with the same coords= (e.g. coords='gse')"
        )
    frame = next(iter(known.values()), None)
    positions = _positions_used(poss, request)

    first = probes[0]
    for p in probes:
        series_times(poss[p], f"j_curl: sc_pos of {p}")
        series_times(mags[p], f"j_curl: dc_mag of {p}")
    times = series_times(mags[first], f"j_curl: dc_mag of {first}")
    # the other probes' B and all positions (x, y, z only) interpolated onto the first probe's
    # B times; units scaled after, as the values are interpolated in their own
    others = [(mags[p], f"dc_mag of {p}", None) for p in probes[1:]]
    others += [(poss[p], f"sc_pos of {p}", _reach_ns(poss[p])) for p in probes]
    b_first = _xyz_columns(mags[first], f"dc_mag of {first}")
    sources = [(series_times(da, what), _xyz_columns(da, what), ext) for da, what, ext in others]
    scales = [1.0] * 8  # B of the four probes, then their positions
    for i, p in enumerate(probes):
        scales[i] = _scale(mags[p], _FIELD_UNITS_NT, "nT", "dc_mag")
        scales[4 + i] = _scale(poss[p], _POSITION_UNITS_KM, "km", "sc_pos")
    options = getattr(request, "options", None) or {}
    min_shape = float(options.get("curlometer_min_shape", DEFAULT_MIN_SHAPE))
    res = _curlometer_on(times.size, b_first, sources, times, scales, min_shape)
    j_na = res["j"]
    j_na *= 1e9  # A/m^2 -> nA/m^2, in place: the kernel's array is ours

    comp = {"time": times, "component": ["x", "y", "z"]}
    frame_attr = {"coords": frame} if frame else {}
    # method, probes and time base go on every variable: load() returns variables, not this Dataset
    common = {
        "method": "curlometer (Chanteur 1998 barycentric)",
        "probes": ",".join(map(str, probes)),
        "time_base": f"dc_mag of {first}",
        "positions": positions,
        "interpolation": (
            "linear onto the time base; positions also extrapolated linearly up to one of "
            "their sample spacings beyond their ends; NaN elsewhere outside an input's span"
        ),
    }
    ds = xr.Dataset(
        {
            "j_curl": (
                ("time", "component"),
                j_na,
                {
                    "units": "nA/m^2",
                    "long_name": "current density (curlometer)",
                    **frame_attr,
                    **common,
                },
            ),
            "curl_b": (
                ("time", "component"),
                res["curl_b"],
                {"units": "nT/km", "long_name": "curl of B", **frame_attr, **common},
            ),
            "div_b": (
                "time",
                res["div_b"],
                {"units": "nT/km", "long_name": "divergence of B", **common},
            ),
            "curl_quality": (
                "time",
                res["quality"],
                {"units": "1", "long_name": "|div B| / |curl B| (small is good)", **common},
            ),
        },
        coords=comp,
        attrs={**common, "min_shape": min_shape, **frame_attr},
    )
    log.debug("j_curl: %d samples from probes %s", times.size, probes)
    return ds
