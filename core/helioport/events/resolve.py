"""Find criterion variables in a Dataset and put them on a regular time grid.

A criterion variable ``{product}[_{component}]`` is looked up as
``{product}_{probe}`` (missions with probes) and then ``{product}`` (OMNI, or a
multi-probe product such as ``j_curl``), so the same criterion works for every
mission. Components are labels of the variable's non-time dimension. ``tot``
is the magnitude the archive gives, a variable of its own in a loaded Dataset
(``dc_mag_tot_mms1``, ``dc_mag_tot``: :func:`helioport.naming.magnitude_name`),
or a ``tot`` label of the vector; else it is computed as the magnitude of
``x, y, z``.

Resampling onto the grid ``origin + i * dt`` (integer nanoseconds):

- a variable finer than the grid is averaged over each grid cell
  ``[t_i - dt/2, t_i + dt/2)`` (NaN ignored);
- a variable at the grid cadence or coarser takes the nearest sample within
  ``min(max(dt, cadence) / 2, margin)`` (NaN beyond).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xarray as xr

from ..errors import CriteriaError
from ..naming import MAGNITUDE, find_time_dim

__all__ = [
    "CADENCE_PAIRS",
    "MARGIN_EXTRA_NS",
    "Series",
    "cadence_ns",
    "infer_probes",
    "km_per_unit",
    "resolve_series",
    "series_to_grid",
    "variable_name",
]

#: Extra data loaded (and hold tolerance allowed) beyond two grid steps at chunk edges.
MARGIN_EXTRA_NS = 60 * 10**9
_XYZ = ("x", "y", "z")
#: Earth radius (km) for positions given in Earth radii (the IAGA/OMNI and SPEDAS value).
EARTH_RADIUS_KM = 6371.2
_LENGTH_UNITS = {
    "km": 1.0,
    "m": 1e-3,
    "re": EARTH_RADIUS_KM,
    "r_e": EARTH_RADIUS_KM,
    "earth radii": EARTH_RADIUS_KM,
    "earth radius": EARTH_RADIUS_KM,
    "rearth": EARTH_RADIUS_KM,
}


def km_per_unit(units: str | None) -> float | None:
    """Kilometres per unit of a position variable; ``1.0`` when units are missing, ``None`` if unknown.

    Examples
    --------
    >>> km_per_unit("Re"), km_per_unit("km"), km_per_unit(None), km_per_unit("deg")
    (6371.2, 1.0, 1.0, None)
    """
    if units is None or not str(units).strip():
        return 1.0
    return _LENGTH_UNITS.get(str(units).strip().lower())


@dataclass(frozen=True)
class Series:
    """One criterion variable at its native cadence."""

    name: str  # criterion name, e.g. "dc_mag_tot"
    variable: str  # Dataset variable, e.g. "dc_mag_mms1"
    times: np.ndarray  # int64 ns since 1970, sorted
    values: np.ndarray  # float64, same length

    @cached_property
    def cadence(self) -> int:
        return cadence_ns(self.times)


def variable_name(ds: xr.Dataset, product: str, probe: str | None) -> str | None:
    """The Dataset variable serving ``product`` for ``probe``, or ``None``."""
    if probe is not None and f"{product}_{probe}" in ds.data_vars:
        return f"{product}_{probe}"
    if product in ds.data_vars:
        return product
    return None


def _component(da: xr.DataArray, tdim: Hashable, product: str, component: str | None) -> np.ndarray:
    other = [d for d in da.dims if d != tdim]
    data = np.asarray(da.transpose(tdim, *other).values, dtype=float)
    if not other:
        if component is None:
            return data
        if component == "tot":
            return np.abs(data)
        raise CriteriaError(
            f"{da.name!r} is a scalar: it has no component {component!r}; use {product!r} alone"
        )
    if len(other) > 1:
        raise CriteriaError(
            f"{da.name!r} has dims {da.dims}: only scalars and vectors can enter a criterion"
        )
    cdim = other[0]
    if cdim in da.coords:
        labels = [str(v).lower() for v in np.asarray(da[cdim].values)]
    else:
        labels = list(_XYZ + ("tot",))[: data.shape[1]]
    if component is None:
        raise CriteriaError(
            f"{da.name!r} is a vector with components {', '.join(labels)}: name one in the "
            f"criterion, e.g. {product}_{labels[0]} or {product}_tot"
        )
    if component in labels:
        return data[:, labels.index(component)]
    if component == "tot":
        cols = [labels.index(c) for c in _XYZ if c in labels] or list(range(data.shape[1]))
        return np.sqrt(np.sum(data[:, cols] ** 2, axis=1))
    raise CriteriaError(
        f"{da.name!r} has no component {component!r}; its components are {', '.join(labels)} "
        "(and tot, the magnitude)"
    )


def resolve_series(
    ds: xr.Dataset, name: str, product: str, component: str | None, probe: str | None
) -> Series | None:
    """The native-cadence series of one criterion variable, ``None`` if absent.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2020-01-01", periods=3, freq="1min").values
    >>> ds = xr.Dataset({"dc_mag": (("time_dc_mag", "component"), np.ones((3, 3)))},
    ...                 coords={"time_dc_mag": t, "component": ["x", "y", "z"]})
    >>> resolve_series(ds, "dc_mag_tot", "dc_mag", "tot", None).values.round(3)
    array([1.732, 1.732, 1.732])
    """
    var = None
    if component == MAGNITUDE:  # the archive's own magnitude, when the data hold it
        var = variable_name(ds, f"{product}_{MAGNITUDE}", probe)
    if var is None:
        var, magnitude = variable_name(ds, product, probe), False
        if var is None:
            return None
    else:
        magnitude = True
    da = ds[var]
    tdim = find_time_dim(da)
    if tdim is None:
        raise CriteriaError(f"variable {da.name!r} has no datetime dimension (dims {da.dims})")
    times = np.asarray(da[tdim].values).astype("datetime64[ns]", copy=False).view("i8")
    if magnitude:
        values = _component(da, tdim, f"{product}_{MAGNITUDE}", None)
    else:
        values = _component(da, tdim, product, component)
    if times.size > 1 and not bool(np.all(times[1:] >= times[:-1])):
        order = np.argsort(times, kind="stable")
        times, values = times[order], values[order]
    return Series(name, var, times, values)


#: :func:`cadence_ns` estimates the cadence of a longer series from this many sample pairs.
CADENCE_PAIRS = 65536


def cadence_ns(times: np.ndarray) -> int:
    """Median sampling interval in ns, rounded to the microsecond when above 1 ms.

    Long series use the median of :data:`CADENCE_PAIRS` consecutive-sample
    intervals spread evenly over the series (the median of all of them costs
    a full sort-like pass over tens of millions of samples, and the sampled
    median of a series whose cadence holds over most of it is the same).
    """
    if times.size < 2:
        return 0
    if times.size - 1 > CADENCE_PAIRS:
        at = np.linspace(0, times.size - 2, CADENCE_PAIRS).astype(np.int64)
        step = int(np.median(times[at + 1] - times[at]))
    else:
        step = int(np.median(np.diff(times)))
    return round(step, -3) if step > 10**6 else step


def series_to_grid(
    series: Series, origin: int, dt: int, lo: int, hi: int, margin: int
) -> tuple[np.ndarray, str]:
    """Values of ``series`` on grid samples ``lo..hi-1``; also the method used.

    ``margin`` (ns) caps the hold tolerance of coarse series so that results
    do not depend on how the range was cut into chunks.
    """
    n = hi - lo
    out = np.full(n, np.nan)
    t, v = series.times, series.values
    if n <= 0 or t.size == 0:
        return out, "none"
    g0 = origin + lo * dt
    cadence = series.cadence or dt
    if cadence < 0.99 * dt:  # finer than the grid: cell average
        b = (t - g0 + dt // 2) // dt
        keep = (b >= 0) & (b < n) & np.isfinite(v)
        idx = b[keep]
        sums = np.bincount(idx, weights=v[keep], minlength=n)
        counts = np.bincount(idx, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return out, "mean over each grid cell"
    tol = min(max(dt, cadence) // 2, margin)
    method = f"nearest sample within {tol / 1e9:g} s"
    if (
        tol < dt
    ):  # fast paths: samples exactly on grid points are the nearest, nothing else is in reach
        off0 = int(t[0]) - g0
        regular = (
            off0 % dt == 0 and int(t[-1]) - int(t[0]) == (t.size - 1) * dt
        )  # cheap necessary test
        if regular and bool(np.all(np.diff(t) == dt)):  # regular, on the grid: one slice
            i0 = off0 // dt
            a, b = max(i0, 0), min(i0 + t.size, n)
            if (
                a == 0 and b == n and v.dtype == np.float64
            ):  # the grid is the data: a read-only view
                view = v[-i0 : n - i0].view()
                view.flags.writeable = False
                return view, method
            if a < b:
                out[a:b] = v[a - i0 : b - i0]
            return out, method
        q, r = np.divmod(t - g0, dt)
        if not r.any() and (t.size < 2 or bool(np.all(t[1:] > t[:-1]))):
            keep = (q >= 0) & (q < n)
            out[q[keep]] = v[keep]
            return out, method
    grid = g0 + np.arange(n, dtype=np.int64) * dt
    right = np.searchsorted(t, grid, side="left")
    left = np.clip(right - 1, 0, t.size - 1)
    right = np.clip(right, 0, t.size - 1)
    d_left = np.abs(grid - t[left])
    d_right = np.abs(t[right] - grid)
    pick = np.where(d_right < d_left, right, left)
    dist = np.minimum(d_left, d_right)
    ok = dist <= tol
    out[ok] = v[pick[ok]]
    return out, f"nearest sample within {tol / 1e9:g} s"


def infer_probes(ds: xr.Dataset, products: list[str]) -> list[str | None]:
    """The probes for which every product resolves; ``[None]`` without probes.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"dc_mag_mms1": ("t", [1.0]), "dc_mag_mms2": ("t", [1.0]),
    ...                  "j_curl": ("t", [1.0])})
    >>> infer_probes(ds, ["dc_mag", "j_curl"])
    ['mms1', 'mms2']
    """
    names = [str(v) for v in ds.data_vars]
    candidates: set[str] = set()
    for product in products:
        for v in names:
            if v.startswith(product + "_"):
                suffix = v[len(product) + 1 :]
                probe = ds[v].attrs.get("probe")
                # dc_mag_tot is OMNI's magnitude of dc_mag, not dc_mag of a probe "tot"
                own = bool(suffix) and "_" not in suffix and suffix != MAGNITUDE
                if probe is not None and str(probe) == suffix or own:
                    candidates.add(suffix)
    probes = sorted(p for p in candidates if all(variable_name(ds, q, p) for q in products))
    if probes and any(f"{q}_{p}" in ds.data_vars for q in products for p in probes):
        return list(probes)
    if all(q in ds.data_vars for q in products):
        return [None]
    missing = [q for q in products if not any(v == q or v.startswith(q + "_") for v in names)]
    raise CriteriaError(
        f"the data has no variable for {', '.join(missing or products)} (looked for "
        f"'{{product}}' and '{{product}}_{{probe}}'); variables present: {', '.join(names) or 'none'}"
    )
