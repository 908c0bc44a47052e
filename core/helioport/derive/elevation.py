"""Magnetic elevation angle (``mag_elev_angle``) and the vector helpers of the derivations.

:func:`mag_elev_angle` is the science (pure numpy); :func:`mag_elev_angle_product`
is the wrapper the derivation calls. :func:`xyz_components` and
:func:`series_times` read the labelled inputs every derivation shares.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..align import find_time_dim
from ..errors import DerivationError

__all__ = ["mag_elev_angle", "mag_elev_angle_product", "series_times", "xyz_components"]

_XYZ = ["x", "y", "z"]


def series_times(da: xr.DataArray, what: str) -> np.ndarray:
    """The ``datetime64[ns]`` times of ``da``'s time dimension (any name).

    Raises :class:`DerivationError` naming ``what`` when ``da`` has none.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> series_times(xr.DataArray([1.0], dims="time_n", coords={"time_n": t}), "i_dens")
    array(['2020-01-01T00:00:00.000000000'], dtype='datetime64[ns]')
    """
    dim = find_time_dim(da)
    if dim is None:
        raise DerivationError(
            f"{what} has no datetime64 time dimension (dims {tuple(da.dims)}); "
            "derivations need time series"
        )
    return np.asarray(da.coords[dim].values, dtype="datetime64[ns]")


def _component_dim(da: xr.DataArray, time_dim: Hashable | None) -> Hashable | None:
    others = [d for d in da.dims if d != time_dim]
    if "component" in others:
        return "component"
    for d in others:
        if d in da.coords and set(_XYZ) <= {
            str(v).lower() for v in np.asarray(da.coords[d].values)
        }:
            return d
    return others[0] if len(others) == 1 else None


def _axis_of(label: str) -> str | None:
    """The axis a component label names: ``"Bx"``, ``"b_x"``, ``"X GSE"`` -> ``"x"``; else None."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", label.lower()) if t]
    for token in tokens:
        if token in _XYZ:
            return token
    if len(tokens) == 1 and len(tokens[0]) == 2 and tokens[0][1] in _XYZ and tokens[0][0].isalpha():
        return tokens[0][1]  # bx, vx, rx
    return None


def xyz_components(da: xr.DataArray, what: str) -> np.ndarray:
    """The ``x, y, z`` columns of a vector DataArray as float64 (time, 3).

    The component dimension is ``component`` (or any dimension labelled with
    ``x, y, z``); other labels such as ``tot`` are ignored. Archive labels
    naming one axis each (``Bx, By, Bz``, ``X GSE, Y GSE, Z GSE``) are read
    too. An unlabelled dimension of length 3 is taken as ``x, y, z``.

    Raises
    ------
    DerivationError
        When ``da`` is not a (time, component) vector with x, y and z.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> b = xr.DataArray([[1.0, 2.0, 3.0, 3.7]], dims=("time_b", "component"),
    ...                  coords={"time_b": t, "component": ["x", "y", "z", "tot"]})
    >>> xyz_components(b, "dc_mag")
    array([[1., 2., 3.]])
    """
    time_dim = find_time_dim(da)
    if time_dim is None or da.ndim != 2:
        raise DerivationError(
            f"{what} must be a vector with dims (time, component); got dims {tuple(da.dims)}"
        )
    comp = _component_dim(da, time_dim)
    if comp is None:
        raise DerivationError(f"{what}: no component dimension among {tuple(da.dims)}")
    if comp in da.coords:
        labels = [str(v).lower() for v in np.asarray(da.coords[comp].values)]
        if not set(_XYZ) <= set(labels):
            axes = [_axis_of(v) for v in labels]
            if labels and all(v.isdigit() for v in labels) and len(labels) == 3:
                pos = [0, 1, 2]
            elif all(axes.count(c) == 1 for c in _XYZ):  # "Bx", "X GSE", "b_x"...
                pos = [axes.index(c) for c in _XYZ]
            else:
                raise DerivationError(
                    f"{what}: components {labels} lack one of x, y, z; a 3-vector is needed"
                )
        else:
            pos = [labels.index(c) for c in _XYZ]
    elif da.sizes[comp] == 3:
        pos = [0, 1, 2]
    else:
        raise DerivationError(
            f"{what}: component dimension {comp!r} has {da.sizes[comp]} unlabelled entries; "
            "label them x, y, z (and tot)"
        )
    values = da.transpose(time_dim, comp).values
    return np.asarray(values[:, pos], dtype=np.float64)


def mag_elev_angle(b: np.ndarray) -> np.ndarray:
    """Elevation of the field above the x-y plane, in degrees.

    ``atan2(Bz, sqrt(Bx**2 + By**2))``: +90 along +z, -90 along -z, 0 in the
    x-y plane; NaN where a component is NaN.

    Parameters
    ----------
    b : array (..., 3)
        Field vectors (x, y, z), any unit.

    Returns
    -------
    array (...)
        Degrees in [-90, 90].

    Examples
    --------
    >>> mag_elev_angle(np.array([[3.0, 4.0, 5.0], [0.0, 0.0, -2.0]]))
    array([ 45., -90.])
    """
    b = np.asarray(b, dtype=np.float64)
    if b.shape[-1] != 3:
        raise ValueError(f"mag_elev_angle needs vectors with 3 components (..., 3); got {b.shape}")
    return np.degrees(np.arctan2(b[..., 2], np.hypot(b[..., 0], b[..., 1])))


def mag_elev_angle_product(inputs: Mapping[str, xr.DataArray], request: Any = None) -> xr.DataArray:
    """The ``mag_elev_angle`` derivation for one probe (or OMNI).

    Parameters
    ----------
    inputs
        ``{"dc_mag": DataArray}`` with dims (any time name, ``component``).
    request
        Unused; part of the derivation signature.

    Returns
    -------
    xarray.DataArray
        ``mag_elev_angle`` on dim ``time``, units ``deg``, frame in ``coords``.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> b = xr.DataArray([[1.0, 0.0, 1.0]], dims=("time_b", "component"),
    ...                  coords={"time_b": t, "component": ["x", "y", "z"]})
    >>> mag_elev_angle_product({"dc_mag": b}).values
    array([45.])
    """
    if "dc_mag" not in inputs:
        raise DerivationError(f"mag_elev_angle needs dc_mag; got {', '.join(inputs) or 'nothing'}")
    b = inputs["dc_mag"]
    times = series_times(b, "dc_mag")
    attrs = {
        "units": "deg",
        "long_name": "magnetic elevation angle",
        "description": "atan2(Bz, sqrt(Bx^2 + By^2)) in degrees",
        "time_base": "dc_mag",
    }
    if b.attrs.get("coords"):
        attrs["coords"] = b.attrs["coords"]
    return xr.DataArray(
        mag_elev_angle(xyz_components(b, "dc_mag")),
        dims="time",
        coords={"time": times},
        name="mag_elev_angle",
        attrs=attrs,
    )
