"""Put variables with different time bases on one common ``time`` axis.

A loaded :class:`xarray.Dataset` keeps each variable on its own time dimension
(``time_dc_mag_mms1``, ``time_i_dens_mms1``...: :mod:`helioport.naming`).
:func:`align` resamples them all onto one ``time`` axis (``load(..., time=...)``
and ``ds.helio.align()`` call it); :func:`interp_to` does it for one DataArray
and is what the derivations use.

Rules, the same for every variable:

- ``"linear"`` interpolates between the two samples around each target time
  (one ``searchsorted`` for all targets, then a gather: no loop per sample);
  a target outside the variable's own span is NaN (never extrapolated, unless
  :func:`interp_to` is given ``extrapolate=``, a largest distance); with
  ``tolerance``, a target between two samples further apart than
  ``tolerance`` is NaN (a data gap), unless it falls exactly on a sample.
- ``"nearest"`` takes the closest sample (ties go to the later one, as in
  pandas) if it is within ``tolerance``; without ``tolerance``, targets
  outside the variable's span are NaN.
- Integers interpolate linearly to float64; with ``"nearest"`` they stay
  integers unless a target has no sample, then they become float64 with NaN
  (as ``xarray.reindex`` does). Complex values interpolate real and imaginary
  parts; datetime and timedelta values interpolate in integer nanoseconds and
  miss as NaT; booleans, strings and objects always use ``"nearest"``
  (missing: NaN, booleans becoming float64 and strings object).
- Samples at NaT times are dropped; source times are sorted and duplicate
  times keep their first sample.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from .errors import InvalidRequestError
from .naming import find_time_dim

__all__ = ["align", "find_time_dim", "interp_to", "to_time_index"]

Method = Literal["linear", "nearest"]
_METHODS = ("linear", "nearest")


def to_time_index(times: Any) -> np.ndarray:
    """Times as a UTC ``datetime64[ns]`` numpy array.

    Accepts a DataArray, pandas index, numpy array or list of anything
    :func:`pandas.to_datetime` reads; aware times are converted to UTC.

    Examples
    --------
    >>> to_time_index(["2020-01-01T00:00:01Z"])
    array(['2020-01-01T00:00:01.000000000'], dtype='datetime64[ns]')
    """
    if isinstance(times, xr.DataArray):
        dim = find_time_dim(times)
        times = (
            times.coords[dim].values
            if dim is not None and times.dtype.kind != "M"
            else times.values
        )
    if isinstance(times, np.ndarray) and times.dtype.kind == "M":
        return np.asarray(times, dtype="datetime64[ns]").ravel()
    try:
        idx = pd.to_datetime(
            np.atleast_1d(np.asarray(times, dtype=object)).ravel(), utc=True, format="mixed"
        )
    except (ValueError, TypeError) as exc:
        raise InvalidRequestError(
            f"cannot read {type(times).__name__} as times: {exc}; give datetime64 values, "
            "ISO strings, datetimes, or the name of a variable"
        ) from exc
    return idx.tz_convert(None).to_numpy(dtype="datetime64[ns]")


def _tolerance_ns(tolerance: Any) -> int | None:
    """``tolerance`` as integer nanoseconds: timedelta, ``"5s"`` or a number of seconds."""
    if tolerance is None:
        return None
    if isinstance(tolerance, np.timedelta64):  # before numbers: numpy counts it as an integer
        ns = float(pd.Timedelta(tolerance).value)
    elif isinstance(tolerance, (int, float, np.integer, np.floating)) and not isinstance(
        tolerance, bool
    ):
        ns = float(tolerance) * 1e9
    else:
        try:
            ns = float(pd.Timedelta(tolerance).value)
        except (ValueError, TypeError) as exc:
            raise InvalidRequestError(
                f"tolerance {tolerance!r} is not a duration; give seconds (1.5), a string "
                "('2s', '100ms') or a timedelta"
            ) from exc
    if not np.isfinite(ns) or ns < 0:
        raise InvalidRequestError(f"tolerance must be a finite duration >= 0, not {tolerance!r}")
    return round(ns)


class _Resampler:
    """Indices and weights that map samples at ``src`` times onto ``dst`` times."""

    def __init__(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        method: str,
        tol_ns: int | None,
        ext_ns: int | None = None,
    ):
        src_ns = np.asarray(src, dtype="datetime64[ns]").view(np.int64)
        dst_ns = np.asarray(dst, dtype="datetime64[ns]").view(np.int64)
        nat = np.iinfo(np.int64).min
        # the usual case, strictly increasing source times without NaT, needs no sorting
        increasing = src_ns.size > 0 and src_ns[0] != nat and bool(np.all(src_ns[1:] > src_ns[:-1]))
        order: np.ndarray | None
        if increasing:
            order, s = None, src_ns
        else:
            keep = np.flatnonzero(src_ns != nat)
            order = keep[np.argsort(src_ns[keep], kind="stable")]
            s = src_ns[order]
            if s.size > 1:  # duplicates keep their first sample
                first = np.concatenate(([True], s[1:] != s[:-1]))
                order, s = order[first], s[first]
        self.method = method
        # same times in, same times out: the values are copied, not resampled
        self.identity = increasing and s.shape == dst_ns.shape and bool(np.array_equal(s, dst_ns))
        n, m = s.size, dst_ns.size
        dst_ok = dst_ns != nat
        if self.identity:
            self.lo = self.hi = self.near = np.arange(m)
            self.w = np.zeros(m)
            self.exact = self.valid = np.ones(m, dtype=bool)
            return
        if n == 0:
            self.lo = self.hi = self.near = np.zeros(m, dtype=np.intp)
            self.w = np.zeros(m)
            self.exact = np.zeros(m, dtype=bool)
            self.valid = np.zeros(m, dtype=bool)
            return
        if method == "linear":
            j = np.searchsorted(s, dst_ns, side="right")
            lo = np.clip(j - 1, 0, n - 1)
            hi = np.clip(j, 0, n - 1)
            inside = dst_ok & (dst_ns >= s[0]) & (dst_ns <= s[-1])
            exact = inside & (s[lo] == dst_ns)
            span = s[hi] - s[lo]
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.where(span > 0, (dst_ns - s[lo]) / np.where(span > 0, span, 1), 0.0)
            valid = inside if tol_ns is None else inside & (exact | (span <= tol_ns))
            if ext_ns and n >= 2:  # the two end samples carried on, up to ext_ns beyond the span
                before = dst_ok & (dst_ns < s[0]) & (s[0] - dst_ns <= ext_ns)
                after = dst_ok & (dst_ns > s[-1]) & (dst_ns - s[-1] <= ext_ns)
                edge = before | after
                if edge.any():
                    lo = np.where(before, 0, np.where(after, n - 2, lo))
                    hi = np.where(before, 1, np.where(after, n - 1, hi))
                    span = s[hi] - s[lo]  # > 0 at the edges: sorted, duplicates removed
                    with np.errstate(invalid="ignore", divide="ignore"):
                        w = np.where(edge, (dst_ns - s[lo]) / np.where(span > 0, span, 1), w)
                    valid = valid | (edge if tol_ns is None else edge & (span <= tol_ns))
        else:
            j = np.searchsorted(s, dst_ns, side="left")
            lo = np.clip(j - 1, 0, n - 1)
            hi = np.clip(j, 0, n - 1)
            d_lo = np.abs(dst_ns - s[lo])
            d_hi = np.abs(s[hi] - dst_ns)
            take_hi = d_hi <= d_lo
            lo = np.where(take_hi, hi, lo)
            hi = lo
            dist = np.minimum(d_lo, d_hi)
            exact = dst_ok & (dist == 0)
            w = np.zeros(m)
            if tol_ns is None:
                valid = dst_ok & (dst_ns >= s[0]) & (dst_ns <= s[-1])
            else:
                valid = dst_ok & (dist <= tol_ns)
        self.lo, self.hi = (lo, hi) if order is None else (order[lo], order[hi])
        # for values that cannot be interpolated (text, flags): the nearest of the two
        self.near = np.where(w >= 0.5, self.hi, self.lo)
        self.w, self.exact, self.valid = w, exact, valid

    def apply(self, values: Any, axis: int) -> Any:
        """Resample ``values`` along ``axis`` (moved back into place after).

        A dask array stays lazy: the two gathers are dask ``take`` operations
        (sorted indices: each output chunk reads the input chunks it needs) and
        the combination runs block by block, giving what the numpy path gives.
        """
        if _is_dask(values):
            return self._apply_lazy(values, axis)
        v = np.moveaxis(np.asarray(values), axis, 0)
        kind = v.dtype.kind
        linear = self.method == "linear" and kind in "iufcmM"
        if self.identity:
            out = v.astype(np.float64) if linear and kind in "iu" else v.copy()
            return np.moveaxis(out, 0, axis)
        if v.shape[0] == 0:
            y0 = np.empty((self.valid.size,) + v.shape[1:], dtype=v.dtype)
            out = _fill_missing(y0, np.zeros(self.valid.size, dtype=bool), v.dtype)
            return np.moveaxis(out, 0, axis)
        y0 = v[self.lo] if linear or self.method == "nearest" else v[self.near]
        y1 = v[self.hi] if linear else y0
        out = _combine(y0, y1, self.w, self.exact, self.valid, linear, v.dtype)
        return np.moveaxis(out, 0, axis)

    def _apply_lazy(self, values: Any, axis: int) -> Any:
        import dask.array as dsa
        from dask.base import tokenize
        from dask.highlevelgraph import HighLevelGraph

        v = dsa.moveaxis(values, axis, 0)
        kind = v.dtype.kind
        linear = self.method == "linear" and kind in "iufcmM"
        if self.identity:
            out = v.astype(np.float64) if linear and kind in "iu" else v.copy()
            return dsa.moveaxis(out, 0, axis)
        if v.shape[0] == 0 or self.valid.size == 0:  # no sample or no target: nothing to read
            # the numpy answer (its dtype too) from a stand-in of the samples: none is taken
            empty = np.zeros((min(v.shape[0], 1),) + v.shape[1:], dtype=v.dtype)
            return dsa.moveaxis(dsa.from_array(self.apply(empty, 0)), 0, axis)
        v = v.rechunk({i: -1 for i in range(1, v.ndim)})  # whole rows: blocks along time only
        first = self.lo if linear or self.method == "nearest" else self.near
        second = self.hi if linear else first
        dtype = _combine(
            np.zeros((1,) + v.shape[1:], v.dtype),
            np.zeros((1,) + v.shape[1:], v.dtype),
            np.zeros(1),
            np.ones(1, dtype=bool),
            np.array([bool(self.valid.all())]),
            linear,
            v.dtype,
        ).dtype  # the numpy path's dtype: float when a missing target turns ints
        edges = np.concatenate(([0], np.cumsum(v.chunks[0])))
        # an output block per input block touched; a target between two input blocks (its
        # samples before and after in different files) gets a block of its own, so that a
        # selection inside one file reads that file alone
        blk0 = np.searchsorted(edges, first, side="right") - 1
        blk1 = np.searchsorted(edges, second, side="right") - 1
        group = blk0 * 2 + (blk1 != blk0)
        cuts = np.flatnonzero(np.diff(group)) + 1
        bounds = np.concatenate(([0], cuts, [first.size]))
        name = "helioport-align-" + tokenize(v, first, second, self.w, self.valid, dtype)
        tail = (0,) * (v.ndim - 1)
        graph: dict = {}
        for k, (r0, r1) in enumerate(itertools.pairwise(bounds)):
            i0, i1 = first[r0:r1], second[r0:r1]
            lo_row, hi_row = int(min(i0.min(), i1.min())), int(max(i0.max(), i1.max()))
            b0 = int(np.searchsorted(edges, lo_row, side="right") - 1)
            b1 = int(np.searchsorted(edges, hi_row, side="right") - 1)
            base = int(edges[b0])
            graph[(name, k, *tail)] = (
                _gather_block,
                [(v.name, j, *tail) for j in range(b0, b1 + 1)],
                i0 - base,
                i1 - base,
                self.w[r0:r1],
                self.exact[r0:r1],
                self.valid[r0:r1],
                linear,
                v.dtype,
                dtype,
            )
        chunks = (tuple(np.diff(bounds).tolist()),) + tuple((n,) for n in v.shape[1:])
        hlg = HighLevelGraph.from_collections(name, graph, dependencies=[v])
        out = dsa.Array(hlg, name, chunks, dtype=dtype)
        return dsa.moveaxis(out, 0, axis)


def _is_dask(values: Any) -> bool:
    return type(values).__module__.startswith("dask.")


def _combine(
    y0: np.ndarray,
    y1: np.ndarray,
    w: np.ndarray,
    exact: np.ndarray,
    valid: np.ndarray,
    linear: bool,
    dtype: np.dtype,
) -> np.ndarray:
    """The resampled values from the samples before (``y0``) and after (``y1``) each target."""
    kind = y0.dtype.kind
    expand = (slice(None),) + (None,) * (y0.ndim - 1)
    if linear and kind in "mM":
        i0 = y0.view(np.int64)
        i1 = y1.view(np.int64)
        nat = np.iinfo(np.int64).min
        step = np.rint(w[expand] * (i1 - i0).astype(np.float64)).astype(np.int64)
        res = np.where(exact[expand], i0, i0 + step)
        res = np.where((i0 == nat) | ((i1 == nat) & ~exact[expand]), nat, res)
        out = res.view(y0.dtype)
    elif linear:
        if kind in "iu":
            y0 = y0.astype(np.float64)
        y1 = y1.astype(y0.dtype, copy=False)
        out = np.where(exact[expand], y0, y0 + w[expand] * (y1 - y0))
    else:
        out = y0
    return _fill_missing(out, valid, dtype)


def _gather_block(
    blocks: list[np.ndarray],
    i0: np.ndarray,
    i1: np.ndarray,
    w: np.ndarray,
    exact: np.ndarray,
    valid: np.ndarray,
    linear: bool,
    src_dtype: np.dtype,
    out_dtype: np.dtype,
) -> np.ndarray:
    """One output block of a lazy resampling: the input blocks it needs, joined, then gathered."""
    rows = blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=0)
    out = _combine(rows[i0], rows[i1], w, exact, valid, linear, src_dtype)
    return out.astype(out_dtype, copy=False)


def _fill_missing(out: np.ndarray, valid: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Put the missing marker of ``out``'s type where ``valid`` is False."""
    if valid.all():
        return out
    bad = ~valid
    kind = out.dtype.kind
    if kind in "mM":
        out = out.copy()
        out[bad] = np.array("NaT", dtype=out.dtype)
    elif kind in "fc":
        out = out.copy() if out.dtype == dtype else out
        out[bad] = np.nan
    elif kind in "iub":
        out = out.astype(np.float64)
        out[bad] = np.nan
    else:
        out = out.astype(object)
        out[bad] = np.nan  # pandas' and xarray's missing marker for text
    return out


def _resample_da(
    da: xr.DataArray,
    dim: Hashable,
    dst: np.ndarray,
    resampler: _Resampler,
) -> xr.DataArray:
    """``da`` with its time dimension ``dim`` replaced by ``time`` = ``dst``."""
    axis = da.dims.index(dim)
    values = resampler.apply(da.data if _is_dask(da.data) else da.values, axis)
    dims = tuple("time" if d == dim else d for d in da.dims)
    coords: dict[Hashable, Any] = {"time": dst}
    for name, c in da.coords.items():
        if name == dim or name == "time":
            continue
        if dim in c.dims:
            cvals = resampler.apply(c.data if _is_dask(c.data) else c.values, c.dims.index(dim))
            coords[name] = (tuple("time" if d == dim else d for d in c.dims), cvals, c.attrs)
        else:
            coords[name] = c
    return xr.DataArray(values, dims=dims, coords=coords, attrs=dict(da.attrs), name=da.name)


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise InvalidRequestError(
            f"method {method!r} is not known; use one of {', '.join(_METHODS)}"
        )
    return method


def interp_to(
    da: xr.DataArray,
    times: Any,
    method: Method = "linear",
    *,
    tolerance: Any = None,
    extrapolate: Any = None,
) -> xr.DataArray:
    """Resample one DataArray onto ``times``; the result's time dimension is ``time``.

    Parameters
    ----------
    da
        A DataArray with one datetime64 dimension, whatever its name.
    times
        Target times (anything :func:`to_time_index` reads, or a DataArray
        whose time coordinate is used).
    method
        ``"linear"`` or ``"nearest"`` (see the module notes).
    tolerance
        Largest gap bridged (linear) or largest distance to the nearest sample
        (nearest): seconds, a ``"2s"`` string or a timedelta; ``None`` for no limit.
    extrapolate
        Linear only: targets up to this far (same forms as ``tolerance``)
        before the first or after the last sample get the straight line
        through the two end samples instead of NaN. ``None`` (default): never
        extrapolate. Meant for smooth series sampled slowly, such as
        spacecraft positions every 30 s around a request's edges.

    Returns
    -------
    xarray.DataArray
        Same name, attrs and other dimensions; NaN (or NaT/None) where no
        value can be given.

    Examples
    --------
    >>> t = np.array(["2020-01-01T00:00", "2020-01-01T00:00:10"], dtype="datetime64[ns]")
    >>> da = xr.DataArray([0.0, 10.0], dims="time_b", coords={"time_b": t})
    >>> interp_to(da, np.array(["2020-01-01T00:00:04"], dtype="datetime64[ns]")).values
    array([4.])
    """
    _check_method(method)
    if extrapolate is not None and method != "linear":
        raise InvalidRequestError(
            "extrapolate= needs method='linear'; with 'nearest', tolerance= already reaches "
            "beyond the ends"
        )
    dim = find_time_dim(da)
    if dim is None:
        raise InvalidRequestError(
            f"variable {da.name!r} has no datetime64 dimension (dims {da.dims}); "
            "only time series can be put on another time base"
        )
    dst = _target_times(times)
    res = _Resampler(
        da.coords[dim].values, dst, method, _tolerance_ns(tolerance), _tolerance_ns(extrapolate)
    )
    return _resample_da(da, dim, dst, res)


def _target_times(times: Any) -> np.ndarray:
    if isinstance(times, xr.DataArray) and times.dtype.kind != "M":
        dim = find_time_dim(times)
        if dim is None:
            raise InvalidRequestError(f"{times.name!r} has no time coordinate to align onto")
        return np.asarray(times.coords[dim].values, dtype="datetime64[ns]")
    return to_time_index(times)


def _as_mapping(data: Any) -> tuple[dict[Hashable, xr.DataArray], dict[str, Any]]:
    if isinstance(data, xr.Dataset):
        return {k: data[k] for k in data.data_vars}, dict(data.attrs)
    if isinstance(data, xr.DataArray):
        return {data.name if data.name is not None else "var0": data}, {}
    if isinstance(data, Mapping):
        out = {}
        for k, v in data.items():
            if not isinstance(v, xr.DataArray):
                raise InvalidRequestError(
                    f"align: {k!r} is a {type(v).__name__}, not an xarray.DataArray"
                )
            out[k] = v
        return out, {}
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        out = {}
        for i, v in enumerate(data):
            if not isinstance(v, xr.DataArray):
                raise InvalidRequestError(
                    f"align: item {i} is a {type(v).__name__}, not an xarray.DataArray"
                )
            name = v.name if v.name is not None else f"var{i}"
            if name in out:
                raise InvalidRequestError(
                    f"align: two variables are named {name!r}; name them apart"
                )
            out[name] = v
        return out, {}
    raise InvalidRequestError(
        f"align takes a Dataset, a dict or a list of DataArrays, not {type(data).__name__}"
    )


def align(
    data: xr.Dataset | Mapping[Hashable, xr.DataArray] | Sequence[xr.DataArray],
    time: Any = None,
    *,
    method: Method = "linear",
    tolerance: Any = None,
) -> xr.Dataset:
    """Put every variable of ``data`` on one common ``time`` axis.

    Parameters
    ----------
    data
        A Dataset whose variables have their own time dimensions
        (``time_{variable}``), or a dict / list of DataArrays.
    time
        The common time base: the name of a variable whose times to use,
        times (array, DataArray, list of strings), or ``None`` for the times
        of the first variable that has a time dimension.
    method
        ``"linear"`` (default) or ``"nearest"``; see the module notes for
        integer, complex, datetime and text values.
    tolerance
        Linear: the largest data gap bridged; nearest: the largest distance to
        the nearest sample. Seconds, a ``"2s"`` string or a timedelta.

    Returns
    -------
    xarray.Dataset
        One ``time`` dimension; variable attrs kept; dataset attrs kept plus
        ``alignment = "<method> onto <source> time base"`` (and
        ``alignment_tolerance`` when given). Variables without a time
        dimension are passed through unchanged.

    Examples
    --------
    >>> t1 = np.array(["2020-01-01T00:00", "2020-01-01T00:00:10"], dtype="datetime64[ns]")
    >>> t2 = np.array(["2020-01-01T00:00:05"], dtype="datetime64[ns]")
    >>> ds = xr.Dataset({
    ...     "a": ("time_a", [1.0, 2.0], {"units": "nT"}),
    ...     "b": ("time_b", [0.0, 20.0]),
    ... }, coords={"time_a": t2.repeat(2) + np.array([0, 1], "timedelta64[s]"), "time_b": t1})
    >>> out = align(ds)
    >>> out["b"].values, out.attrs["alignment"]
    (array([10., 12.]), 'linear onto a time base')
    """
    _check_method(method)
    tol_ns = _tolerance_ns(tolerance)
    variables, attrs = _as_mapping(data)
    time_dims = {k: find_time_dim(v) for k, v in variables.items()}
    if time is None:
        source = next((k for k, d in time_dims.items() if d is not None), None)
        if source is None:
            raise InvalidRequestError("align: no variable has a datetime64 dimension to align onto")
        dst = np.asarray(variables[source].coords[time_dims[source]].values, dtype="datetime64[ns]")
    elif isinstance(time, str) and not _looks_like_time(time, variables):
        if time not in variables:
            raise InvalidRequestError(
                f"align: no variable named {time!r} to take the time base from; "
                f"variables: {', '.join(map(str, variables))}"
            )
        if time_dims[time] is None:
            raise InvalidRequestError(f"align: variable {time!r} has no time dimension")
        source = time
        dst = np.asarray(variables[time].coords[time_dims[time]].values, dtype="datetime64[ns]")
    else:
        source = time.name if isinstance(time, xr.DataArray) and time.name is not None else "given"
        dst = _target_times(time)

    cache: list[tuple[np.ndarray, _Resampler]] = []  # one resampler per distinct time base
    out: dict[Hashable, xr.DataArray] = {}
    for name, da in variables.items():
        dim = time_dims[name]
        if dim is None:
            out[name] = da
            continue
        src = np.asarray(da.coords[dim].values, dtype="datetime64[ns]")
        res = next((r for s, r in cache if s.shape == src.shape and np.array_equal(s, src)), None)
        if res is None:
            res = _Resampler(src, dst, method, tol_ns)
            cache.append((src, res))
        out[name] = _resample_da(da.rename(name) if da.name != name else da, dim, dst, res)
    attrs["alignment"] = f"{method} onto {source} time base"
    if tolerance is not None:
        attrs["alignment_tolerance"] = str(pd.Timedelta(tol_ns, unit="ns"))
    return xr.Dataset(out, coords={"time": dst}, attrs=attrs)


def _looks_like_time(text: str, variables: Mapping[Hashable, Any]) -> bool:
    """True when ``text`` is not a variable name but parses as a time."""
    if text in variables:
        return False
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError):
        return False
    return True
