"""Image frames in bounded memory: one file period at a time.

A night of THEMIS frames is 12 hours x 1,200 frames x 256 x 256 x 2 bytes,
about 1.9 GB; a REGO night four times that. :func:`iter_frames` streams them
instead: it runs the one request lifecycle (:func:`helioport.load`: listing,
cache, versions, offline, mirrors) for one piece of one hourly file at a time
(``chunk``, 15 minutes by default) and yields its ``(times, frames)``. Each
load reads only that piece's records of the cached file: reading a whole
1,200-frame hour at once makes cdflib hold about three copies of its 157 MB
for a moment, which a 15-minute piece keeps near 120 MB. Each piece costs
one revalidation of the listing and the file (a 304 each).
Every imaging function that consumes frames (:func:`.keogram`,
:func:`.area_intensity`, :func:`.intensity_along`) takes either a loaded
``DataArray`` (numpy or dask backed) or such an iterator, through
:func:`frame_chunks`.

Frames stay ``uint16`` (the archive's counts); :func:`to_float` turns
selected pixels into float32 with the fill value (``65535``, which THEMIS
also uses for saturation) as NaN.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import xarray as xr

from ..api import load
from ..errors import DataNotFoundError, InvalidRequestError
from ..naming import find_time_dim
from ..templates import periods
from ..times import format_time, parse_duration, parse_time

__all__ = ["UINT16_FILL", "Chunk", "frame_chunks", "iter_frames", "to_float"]

log = logging.getLogger(__name__)

#: the fill value of THEMIS/REGO uint16 frames (CDF ``FILLVAL``; saturated pixels have it too)
UINT16_FILL = 65535
#: one block of frames: times (``datetime64[ns]``, ``[n]``) and frames (``[n, y, x]``)
Chunk = tuple[np.ndarray, np.ndarray]
_BLOCK = 600  # frames per block when slicing a loaded DataArray (dask: one compute each)


def iter_frames(
    mission: str,
    site: str,
    start: Any,
    end: Any,
    *,
    product: str = "image",
    chunk: Any = "15min",
    registry: Any = None,
    **load_kwargs: Any,
) -> Iterator[Chunk]:
    """Yield ``(times, frames)`` of ``site`` over ``[start, end)``, one piece of an hour at a time.

    Each piece goes through :func:`helioport.load` (so the cache, offline
    mode and mirrors apply); pieces without data are skipped (logged). The
    hourly file is fetched once, by the first piece.

    Parameters
    ----------
    mission, site
        The imager mission (``"themis_asi"``) and site (``"gako"``).
    start, end
        The range, as :func:`helioport.load` takes it.
    product
        The image product.
    chunk
        The span loaded at once (``"15min"``, ``"1h"``, seconds); pieces never
        cross an hour (file) boundary.
    registry, **load_kwargs
        Passed on to :func:`helioport.load` (``offline=``, ``base_url=``...).

    Yields
    ------
    tuple
        ``times`` (``datetime64[ns]``, ``[n]``) and ``frames`` (``uint16``,
        ``[n, y, x]`` in the orientation convention).

    Raises
    ------
    DataNotFoundError
        No hour of the range has frames.

    Examples
    --------
    >>> for times, frames in iter_frames("themis_asi", "gako", "2011-01-06T04", "2011-01-06T16"):  # doctest: +SKIP
    ...     print(times[0], frames.shape)
    """
    t0, t1 = parse_time(start, what="start"), parse_time(end, what="end")
    if t0 >= t1:
        raise InvalidRequestError(
            f"start {format_time(t0)} is not before end {format_time(t1)}: give a start earlier "
            "than the end"
        )
    step = parse_duration(chunk, what="chunk")
    if step <= dt.timedelta(0):
        raise InvalidRequestError(f"chunk must be a positive duration, not {chunk!r}")
    found = 0
    for a, b in _pieces(t0, t1, step):
        try:
            ds = load(
                mission, a, b, products=[product], probes=[site], registry=registry, **load_kwargs
            )
        except DataNotFoundError as exc:
            log.info("%s %s: no frames between %s and %s (%s)", mission, site, a, b, exc)
            continue
        da = ds[f"{product}_{site}"]
        tdim = find_time_dim(da)
        found += 1
        times, frames = np.asarray(da[tdim].values), da.values
        del ds, da
        yield times, frames
        del times, frames  # the consumer holds the only reference while it works
    if not found:
        raise DataNotFoundError(
            f"{mission} {site}: no {product} frames between {format_time(t0)} and "
            f"{format_time(t1)}; check the range (the imagers record at night) and the site"
        )


def _pieces(
    t0: dt.datetime, t1: dt.datetime, step: dt.timedelta
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """``[a, b)`` spans of at most ``step`` covering ``[t0, t1)``, none crossing an hour."""
    for h0, h1 in periods(t0, t1, "hour"):
        a, stop = max(h0, t0), min(h1, t1)
        while a < stop:
            b = min(a + step, stop)
            yield a, b
            a = b


def _from_dataarray(da: xr.DataArray) -> Iterator[Chunk]:
    tdim = find_time_dim(da)
    if tdim is None or da.ndim != 3:
        raise InvalidRequestError(
            f"images must be a (time, y, x) DataArray with a datetime64 time; got dims {da.dims}"
        )
    da = da.transpose(tdim, ...)
    times = np.asarray(da[tdim].values)
    for i in range(0, times.size, _BLOCK):
        yield times[i : i + _BLOCK], np.asarray(da[i : i + _BLOCK].values)


def frame_chunks(images: Any) -> Iterator[Chunk]:
    """``(times, frames)`` blocks from a DataArray ``(time, y, x)``, a Dataset holding one,
    or an iterable of ``(times, frames)`` tuples or of DataArrays (e.g. :func:`iter_frames`)."""
    if isinstance(images, xr.Dataset):
        names = [n for n, v in images.data_vars.items() if v.ndim == 3]
        if len(names) != 1:
            raise InvalidRequestError(
                f"give one image variable: the Dataset holds {len(names)} 3-D variables "
                f"({', '.join(map(str, names)) or 'none'}); pass ds['image_<site>']"
            )
        images = images[names[0]]
    if isinstance(images, xr.DataArray):
        yield from _from_dataarray(images)
        return
    if not isinstance(images, Iterable):
        raise InvalidRequestError(
            f"images must be a DataArray (time, y, x) or an iterator of (times, frames), "
            f"not {type(images).__name__}"
        )
    for item in images:
        if isinstance(item, xr.DataArray):
            yield from _from_dataarray(item)
            del item
        else:
            times, frames = item
            times = np.asarray(times).astype("datetime64[ns]")
            frames = np.asarray(frames)
            if frames.ndim != 3 or frames.shape[0] != times.size:
                raise InvalidRequestError(
                    f"a (times, frames) chunk needs frames [n, y, x] with n = len(times); got "
                    f"{times.size} times and frames of shape {frames.shape}"
                )
            del item
            yield times, frames
            del times, frames


def to_float(values: np.ndarray, fill: float | None = UINT16_FILL) -> np.ndarray:
    """``values`` as float32 with ``fill`` (and NaN already there) as NaN.

    Examples
    --------
    >>> to_float(np.array([1, 65535], dtype="u2")).tolist()
    [1.0, nan]
    """
    out = values.astype(np.float32)
    if fill is not None and values.dtype.kind in "iu":
        out[values == fill] = np.nan
    return out
