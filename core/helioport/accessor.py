"""The ``.helio`` accessor: every time dimension of a loaded Dataset at once.

A Dataset from :func:`helioport.load` gives each variable its own time
dimension (``time_dc_mag_mms1``, ``time_i_dens_mms1``...; see
:mod:`helioport.naming`), so ``ds.sel(time=...)`` has nothing to select. The
accessor does it for all of them::

    ds.helio.sel(time=slice("2015-10-16T13:06", "2015-10-16T13:07"))
    ds.helio.isel(time=slice(0, 10))          # the first ten samples of every variable
    ds.helio.time_dims                        # ['time_dc_mag_mms1', ...]
    ds.helio.align("dc_mag_mms1")             # one common ``time`` (helioport.align)

Importing :mod:`helioport.api` (and so :func:`helioport.load`) registers it
on :class:`xarray.Dataset` and :class:`xarray.DataArray`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from .align import align
from .errors import InvalidRequestError
from .naming import TIME, time_dims
from .times import to_datetime64

__all__ = ["HelioAccessor"]


def _as_datetime64(value: Any) -> Any:
    """A time label as naive UTC ``datetime64[ns]`` (strings, datetimes...); ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[ns]")
    return to_datetime64(value)


def _time_label(value: Any) -> Any:
    """``value`` of ``time=`` with every time in it as ``datetime64[ns]``."""
    if isinstance(value, slice):
        if value.step is not None:
            raise InvalidRequestError(
                f"time=slice(..., step={value.step!r}): a time slice takes no step; "
                "resample with helioport.align or .helio.isel(time=slice(0, None, n))"
            )
        return slice(_as_datetime64(value.start), _as_datetime64(value.stop))
    if isinstance(value, xr.DataArray):
        return value if value.dtype.kind == "M" else value.copy(data=_times(value.values))
    if isinstance(value, (list, tuple, np.ndarray)):
        return _times(value)
    return _as_datetime64(value)


def _times(values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]")
    return np.array([_as_datetime64(v) for v in arr.ravel()], dtype="datetime64[ns]").reshape(
        arr.shape
    )


@xr.register_dataarray_accessor("helio")
@xr.register_dataset_accessor("helio")
class HelioAccessor:
    """``obj.helio``: selection on every time dimension of a Dataset (or DataArray) at once."""

    def __init__(self, obj: xr.Dataset | xr.DataArray) -> None:
        self._obj = obj

    @property
    def time_dims(self) -> list[Hashable]:
        """The dimensions whose coordinate holds datetime64 values, in the object's order.

        Examples
        --------
        >>> ds.helio.time_dims  # doctest: +SKIP
        ['time_dc_mag_mms1', 'time_dc_mag_tot_mms1', 'time_i_dens_mms1']
        """
        return time_dims(self._obj)

    def _split(
        self, indexers: Mapping[Any, Any] | None, kwargs: dict[str, Any], what: str
    ) -> tuple[Any, dict[Any, Any]]:
        keys = dict(indexers or {}, **kwargs)
        if TIME not in keys:
            return None, keys
        value = keys.pop(TIME)
        if not self.time_dims:
            raise InvalidRequestError(
                f"{what}(time=...): the data has no datetime64 dimension "
                f"(dims {tuple(self._obj.dims)}); nothing to select in time"
            )
        return value, keys

    def sel(
        self,
        indexers: Mapping[Any, Any] | None = None,
        *,
        method: str | None = None,
        tolerance: Any = None,
        drop: bool = False,
        **indexers_kwargs: Any,
    ) -> xr.Dataset | xr.DataArray:
        """``xarray``'s ``sel`` with ``time=`` applied to every time dimension.

        Parameters
        ----------
        indexers, **indexers_kwargs
            ``time=`` a time, a list of times or a ``slice(start, stop)``
            (both ends included, as in xarray; ``None`` for an open end); times
            as ISO strings (``"2015-10-16T13:06Z"``), datetimes,
            ``numpy.datetime64`` or anything :func:`helioport.times.parse_time`
            reads. Other keys (``component="z"``) go to ``sel`` unchanged.
        method, tolerance
            For single times and lists only: ``"nearest"`` (``"pad"``,
            ``"backfill"``) and the largest distance, as in xarray; they apply
            to the time dimensions alone.
        drop
            As in xarray: drop scalar coordinates left by the selection.

        Returns
        -------
        xarray.Dataset or xarray.DataArray
            The selection; each variable keeps its own time dimension (a
            single time without a list removes it, as in xarray).

        Raises
        ------
        InvalidRequestError
            ``time=`` on data without a time dimension, or a time that cannot be read.

        Examples
        --------
        >>> part = ds.helio.sel(time=slice("2015-10-16T13:06", "2015-10-16T13:06:30"))  # doctest: +SKIP
        >>> part.helio.sel(time="2015-10-16T13:06:10", method="nearest", component="z")  # doctest: +SKIP
        """
        value, others = self._split(indexers, indexers_kwargs, "sel")
        obj = self._obj
        if value is not None:
            label = _time_label(value)
            kw: dict[str, Any] = {}
            if not isinstance(label, slice):
                kw = {"method": method, "tolerance": tolerance}
            elif method is not None or tolerance is not None:
                raise InvalidRequestError(
                    f"time=slice(...) with method={method!r}: a slice selects by its ends, "
                    "give method= only with a single time or a list of times"
                )
            try:
                obj = obj.sel({d: label for d in self.time_dims}, drop=drop, **kw)
            except KeyError as exc:
                raise InvalidRequestError(
                    f"time={value!r} is not a sample time of every variable ({exc}); variables "
                    "have their own times: give method='nearest' (and a tolerance), or a slice"
                ) from None
        return obj.sel(others, drop=drop) if others else obj

    def isel(
        self,
        indexers: Mapping[Any, Any] | None = None,
        *,
        drop: bool = False,
        **indexers_kwargs: Any,
    ) -> xr.Dataset | xr.DataArray:
        """``xarray``'s ``isel`` with ``time=`` (positions) applied to every time dimension.

        Each variable gets the same positions along its own time dimension:
        ``ds.helio.isel(time=0)`` is the first sample of every variable,
        ``time=slice(-10, None)`` the last ten. Other keys go to ``isel``.

        Examples
        --------
        >>> first = ds.helio.isel(time=0)  # doctest: +SKIP
        """
        value, others = self._split(indexers, indexers_kwargs, "isel")
        obj = self._obj
        if value is not None:
            obj = obj.isel({d: value for d in self.time_dims}, drop=drop)
        return obj.isel(others, drop=drop) if others else obj

    def align(
        self, time: Any = None, *, method: str = "linear", tolerance: Any = None
    ) -> xr.Dataset:
        """Every variable on one common ``time`` axis: :func:`helioport.align.align`.

        Examples
        --------
        >>> one = ds.helio.align("dc_mag_mms1", method="nearest")  # doctest: +SKIP
        """
        return align(self._obj, time, method=method, tolerance=tolerance)  # type: ignore[arg-type]
