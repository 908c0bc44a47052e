"""One home for names: output variables and their dimensions.

Every module that builds or looks up a variable or a dimension name asks here,
so the rule is written once (DESIGN §4). A variable's dimension names depend
on that variable alone, never on what else a request holds:

- a variable is ``{product}`` for missions without probes and
  ``{product}_{probe}`` for missions with probes (:func:`variable_name`);
- a plugin's loader returns its DataArray on :data:`TIME` (``"time"``); in
  the output Dataset every variable has its own time dimension
  ``time_{variable}`` (:func:`time_dim_name`), always;
- 3-vectors share one :data:`COMPONENT` dimension (``"component"``) labelled
  ``x, y, z``; a magnitude the archive gives with the vector (a ``tot``
  component: MMS FGM's fourth column, OMNI's ``F``) becomes a variable of
  its own, ``{product}_tot[_{probe}]`` (:func:`magnitude_name`,
  :func:`split_magnitude`);
- 3×3 tensors share :data:`TENSOR_DIMS` (``component_1``, ``component_2``),
  each labelled ``x, y, z``;
- every other dimension (energy, angle and pixel axes of spectra,
  distributions and images; components labelled otherwise, such as a
  quaternion's ``x, y, z, w``) is ``{dim}_{variable}`` (:func:`dim_name`),
  and so is a coordinate that is not a dimension and does not already name
  its variable; time-varying tables (an energy table per record) stay
  time-varying coordinates on those dimensions (:func:`output_dims`);
- :func:`find_time_dim` finds the time dimension of any DataArray or Dataset,
  :func:`time_dims` all of a Dataset's.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "COMPONENT",
    "MAGNITUDE",
    "TENSOR_DIMS",
    "TIME",
    "XYZ",
    "dim_name",
    "find_time_dim",
    "magnitude_attrs",
    "magnitude_name",
    "output_dims",
    "split_magnitude",
    "time_dim_name",
    "time_dims",
    "variable_name",
]

#: the time dimension of a plugin loader's DataArray (and of an aligned Dataset)
TIME = "time"
#: the dimension of 3-vector components, shared by every vector of a Dataset
COMPONENT = "component"
#: the two dimensions of a tensor's rows and columns, shared by every tensor of a Dataset
TENSOR_DIMS = ("component_1", "component_2")
#: the labels of :data:`COMPONENT` and of each of :data:`TENSOR_DIMS`, in this order
XYZ = ("x", "y", "z")
#: the component label of a magnitude given with a vector (split off into its own variable)
MAGNITUDE = "tot"


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


def magnitude_name(product: str, probe: str | None = None) -> str:
    """The output variable of the magnitude the archive gives with vector ``product``.

    Examples
    --------
    >>> magnitude_name("dc_mag", "mms1"), magnitude_name("dc_mag")
    ('dc_mag_tot_mms1', 'dc_mag_tot')
    """
    return variable_name(f"{product}_{MAGNITUDE}", probe)


def time_dim_name(variable: str) -> str:
    """The time dimension of output variable ``variable``.

    Examples
    --------
    >>> time_dim_name("dc_mag_mms1")
    'time_dc_mag_mms1'
    """
    return f"{TIME}_{variable}"


def dim_name(dim: Hashable, variable: str) -> str:
    """The name of a variable's own (not shared) dimension ``dim`` in the output Dataset.

    Examples
    --------
    >>> dim_name("energy_bin", "i_omniflux_mms1")
    'energy_bin_i_omniflux_mms1'
    """
    return f"{dim}_{variable}"


def find_time_dim(obj: xr.DataArray | xr.Dataset) -> Hashable | None:
    """The first dimension of ``obj`` whose coordinate holds datetime64 values, or ``None``.

    Examples
    --------
    >>> t = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")
    >>> find_time_dim(xr.DataArray([1.0, 2.0], dims="time_x", coords={"time_x": t}))
    'time_x'
    """
    variables = obj.coords.variables
    for dim in obj.dims:
        if dim in variables and variables[dim].dtype.kind == "M":
            return dim
    return None


def time_dims(obj: xr.DataArray | xr.Dataset) -> list[Hashable]:
    """Every dimension of ``obj`` whose coordinate holds datetime64 values, in order.

    Examples
    --------
    >>> t = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")
    >>> ds = xr.Dataset({"a": ("time_a", [1.0, 2.0]), "b": ("time_b", [3.0])},
    ...                 coords={"time_a": t, "time_b": t[:1]})
    >>> time_dims(ds)
    ['time_a', 'time_b']
    """
    return [
        d
        for d in obj.dims
        if d in obj.coords and np.asarray(obj.coords[d].values).dtype.kind == "M"
    ]


def _labels(da: xr.DataArray, dim: Hashable) -> list[str] | None:
    if dim not in da.coords:
        return None
    return [str(v) for v in np.asarray(da.coords[dim].values).ravel()]


def split_magnitude(
    da: xr.DataArray, *, declared: bool = True
) -> tuple[xr.DataArray, xr.DataArray | None]:
    """A vector with a ``tot`` component as its ``x, y, z`` part and its magnitude apart.

    Parameters
    ----------
    da
        Any DataArray; only one with a :data:`COMPONENT` dimension labelled
        ``x, y, z`` and ``tot`` (in any order) is split.
    declared
        Whether the product's spec declares the ``tot`` component. An
        undeclared ``tot`` that is all NaN is padding (xarray's outer join
        of vectors with and without a magnitude in one bundle) and is
        dropped instead of becoming a variable.

    Returns
    -------
    (vector, magnitude)
        ``vector`` on ``component`` = ``x, y, z`` (``da`` itself when there
        is nothing to split); ``magnitude`` the ``tot`` values without the
        component dimension, or ``None``. Attrs are ``da``'s; the caller
        names and describes the magnitude (:func:`magnitude_attrs`).

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> b = xr.DataArray([[3.0, 0.0, 4.0, 5.0]], dims=("time", "component"),
    ...                  coords={"time": t, "component": ["x", "y", "z", "tot"]})
    >>> vec, mag = split_magnitude(b)
    >>> vec["component"].values.tolist(), mag.values.tolist(), mag.dims
    (['x', 'y', 'z'], [5.0], ('time',))
    """
    labels = _labels(da, COMPONENT) if COMPONENT in da.dims else None
    if not labels or MAGNITUDE not in labels or not set(XYZ) <= set(labels):
        return da, None
    mag = da.isel({COMPONENT: labels.index(MAGNITUDE)}, drop=True)
    vec = da.isel({COMPONENT: [i for i, c in enumerate(labels) if c != MAGNITUDE]})
    if not declared and not bool(np.any(np.isfinite(np.asarray(mag.values, dtype=float)))):
        return vec, None
    return vec, mag


def magnitude_attrs(
    vector_attrs: Mapping[str, Any], vector: str, n_components: int, index: int
) -> dict[str, Any]:
    """Attrs of the magnitude split from output variable ``vector``: its provenance, described.

    ``source_variable`` names the archive's own magnitude column when the
    vector was built from one variable per component (OMNI's ``F``), else
    the vector's variable and the column (MMS FGM's fourth).

    Examples
    --------
    >>> a = magnitude_attrs({"source_variable": "BX_GSE, BY_GSE, BZ_GSE, F", "units": "nT"},
    ...                     "dc_mag", 4, 3)
    >>> a["source_variable"], a["units"], a["long_name"]
    ('F', 'nT', '|dc_mag|: the magnitude the archive gives with dc_mag (F)')
    """
    attrs = dict(vector_attrs)
    sources = [s.strip() for s in str(attrs.get("source_variable", "")).split(",") if s.strip()]
    if len(sources) == n_components:
        source = sources[index]
    elif sources:
        source = f"{', '.join(sources)} (component {index + 1} of {n_components}, {MAGNITUDE})"
    else:
        source = MAGNITUDE
    attrs["source_variable"] = source
    desc = f"the magnitude the archive gives with {vector} ({source})"
    attrs["long_name"] = f"|{vector}|: {desc}"
    attrs["CATDESC"] = f"Magnitude of {vector}: {desc}"
    for key in ("FIELDNAM", "LABLAXIS", "transform", "transformed_from"):
        attrs.pop(key, None)  # the vector's: a magnitude is the same in every frame
    if attrs.get("description"):
        attrs["description"] = f"magnitude ({MAGNITUDE}) of: {attrs['description']}"
    attrs["magnitude_of"] = vector
    return attrs


def _shared(da: xr.DataArray, dim: Hashable) -> bool:
    """Whether ``dim`` is a shared component dimension labelled exactly ``x, y, z`` (any order)."""
    if dim != COMPONENT and dim not in TENSOR_DIMS:
        return False
    labels = _labels(da, dim)
    return labels is not None and len(labels) == 3 and set(labels) == set(XYZ)


def output_dims(da: xr.DataArray, variable: str) -> xr.DataArray:
    """``da`` with the dimension names of output variable ``variable`` (see the module notes).

    The time dimension becomes ``time_{variable}``; a ``component`` (or
    tensor ``component_1``/``component_2``) dimension labelled ``x, y, z``
    keeps its shared name, its labels put in that order; every other
    dimension becomes ``{dim}_{variable}``, and so does every non-dimension
    coordinate whose name does not already end with ``_{variable}``. Values
    and attrs are not copied.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> s = xr.DataArray([[1.0, 2.0]], dims=("time", "energy_bin"),
    ...                  coords={"time": t, "energy_ab": (("time", "energy_bin"), [[10.0, 20.0]])})
    >>> out = output_dims(s, "ab")
    >>> out.dims, list(out.coords)
    (('time_ab', 'energy_bin_ab'), ['time_ab', 'energy_ab'])
    """
    tdim = find_time_dim(da)
    renames: dict[Hashable, str] = {}
    shared: list[Hashable] = []
    for d in da.dims:
        if d == tdim:
            renames[d] = time_dim_name(variable)
        elif _shared(da, d):
            shared.append(d)
        else:
            renames[d] = dim_name(d, variable)
    suffix = f"_{variable}"
    for c in da.coords:
        if c not in da.dims and not str(c).endswith(suffix):
            renames[c] = f"{c}{suffix}"
    if shared:  # x, y, z in this order, labels of one dtype whatever the file's
        xyz = np.array(XYZ)
        reorder = {d: list(XYZ) for d in shared if _labels(da, d) != list(XYZ)}
        if reorder:
            da = da.sel(reorder)
        relabel = {
            d: xyz
            for d in shared
            if d in reorder or d not in da.coords or da.coords.variables[d].dtype != xyz.dtype
        }
        if relabel:
            da = da.assign_coords(relabel)
    return da.rename(renames) if renames else da
