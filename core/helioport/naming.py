"""One home for names: output variables, time and component dimensions.

Every module that builds or looks up a variable or a dimension name asks here,
so the rule is written once (DESIGN §4):

- a variable is ``{product}`` for missions without probes and
  ``{product}_{probe}`` for missions with probes (:func:`variable_name`);
- a plugin's loader returns its DataArray on :data:`TIME` (``"time"``); the
  Dataset gives each variable its own ``time_{variable}`` dimension unless
  it shares the time base of an earlier one (:func:`time_dim_name`);
- vector components are on :data:`COMPONENT` (``"component"``), tensors on
  :data:`TENSOR_DIMS`;
- :func:`find_time_dim` finds the time dimension of any DataArray or Dataset.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import xarray as xr

__all__ = [
    "COMPONENT",
    "TENSOR_DIMS",
    "TIME",
    "find_time_dim",
    "time_dim_name",
    "variable_name",
]

#: the time dimension of a plugin loader's DataArray
TIME = "time"
#: the dimension of vector components (``x``, ``y``, ``z``, ``tot``)
COMPONENT = "component"
#: the two dimensions of a tensor's rows and columns
TENSOR_DIMS = ("component_1", "component_2")


def variable_name(product: str, probe: str | None = None) -> str:
    """The output variable of ``product`` for ``probe``.

    Examples
    --------
    >>> variable_name("dc_mag", "mms1")
    'dc_mag_mms1'
    >>> variable_name("dc_mag")
    'dc_mag'
    """
    return f"{product}_{probe}" if probe else product


def time_dim_name(variable: str) -> str:
    """The time dimension a Dataset gives ``variable`` when it has a time base of its own.

    Examples
    --------
    >>> time_dim_name("dc_mag_mms1")
    'time_dc_mag_mms1'
    """
    return f"{TIME}_{variable}"


def find_time_dim(obj: xr.DataArray | xr.Dataset) -> Hashable | None:
    """The first dimension of ``obj`` whose coordinate holds datetime64 values, or ``None``.

    Examples
    --------
    >>> t = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")
    >>> find_time_dim(xr.DataArray([1.0, 2.0], dims="time_x", coords={"time_x": t}))
    'time_x'
    """
    for dim in obj.dims:
        if dim in obj.coords and np.asarray(obj.coords[dim].values).dtype.kind == "M":
            return dim
    return None
