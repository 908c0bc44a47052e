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

The load builds each output variable once, in these names, from the
plugin's DataArray (:func:`output_variable`, :func:`output_split`: an
:class:`OutputVariable`, the plugin's indexes renamed, not made again);
:func:`output_dims` gives the same as a DataArray.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from xarray.indexes import Index, PandasIndex

__all__ = [
    "COMPONENT",
    "MAGNITUDE",
    "TENSOR_DIMS",
    "TIME",
    "XYZ",
    "OutputVariable",
    "component_labels",
    "dim_name",
    "find_time_dim",
    "magnitude_attrs",
    "magnitude_name",
    "output_dims",
    "output_split",
    "output_variable",
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
_COMPONENT_DIMS = (COMPONENT, *TENSOR_DIMS)


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


def component_labels(da: xr.DataArray, dim: Hashable = COMPONENT) -> list[str] | None:
    """The labels of ``da``'s dimension ``dim`` as text, or ``None`` when it has none
    (not a dimension of ``da``, or without a coordinate).

    Read from its pandas index when it has one: no array is made.

    Examples
    --------
    >>> b = xr.DataArray([[3.0, 0.0, 4.0, 5.0]], dims=("time", "component"),
    ...                  coords={"component": ["x", "y", "z", "tot"]})
    >>> component_labels(b), component_labels(b, "time")
    (['x', 'y', 'z', 'tot'], None)
    """
    if dim not in da.dims:
        return None
    return _labels(da.xindexes, da.coords.variables, dim)


def _labels(
    xindexes: Mapping[Hashable, Index], variables: Mapping[Hashable, xr.Variable], dim: Hashable
) -> list[str] | None:
    """The labels of ``dim`` as text, or ``None`` when it has no coordinate (read from its
    pandas index when it has one: no array is made)."""
    index = xindexes.get(dim)
    if type(index) is PandasIndex and getattr(index.coord_dtype, "kind", None) == "U":
        return [str(v) for v in index.index.tolist()]
    var = variables.get(dim)
    if var is None:
        return None
    return [str(v) for v in np.asarray(var.values).ravel()]


def _magnitude_at(da: xr.DataArray) -> tuple[list[str], int] | None:
    """The component labels of a vector with a ``tot`` component, and where ``tot`` is."""
    return _magnitude_in(component_labels(da))


def _magnitude_in(labels: list[str] | None) -> tuple[list[str], int] | None:
    """``labels`` and where ``tot`` is, when they are a vector's with a ``tot`` component."""
    if not labels or MAGNITUDE not in labels or not set(XYZ) <= set(labels):
        return None
    return labels, labels.index(MAGNITUDE)


def _all_nan(var: xr.Variable) -> bool:
    return not bool(np.any(np.isfinite(np.asarray(var.values, dtype=float))))


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
        :func:`output_split` does the same and names both as output variables.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> b = xr.DataArray([[3.0, 0.0, 4.0, 5.0]], dims=("time", "component"),
    ...                  coords={"time": t, "component": ["x", "y", "z", "tot"]})
    >>> vec, mag = split_magnitude(b)
    >>> vec["component"].values.tolist(), mag.values.tolist(), mag.dims
    (['x', 'y', 'z'], [5.0], ('time',))
    """
    found = _magnitude_at(da)
    if found is None:
        return da, None
    labels, at = found
    mag = da.isel({COMPONENT: at}, drop=True)
    vec = da.isel({COMPONENT: [i for i in range(len(labels)) if i != at]})
    if not declared and _all_nan(mag.variable):
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


@dataclass(frozen=True)
class OutputVariable:
    """An output variable before it joins the Dataset: values and coordinates in output names.

    :func:`output_variable` and :func:`output_split` build it from a
    plugin's DataArray with one :class:`xarray.Variable` per array, the
    DataArray's indexes renamed rather than rebuilt; the output Dataset is
    then made from all of them at once
    (:func:`helioport.lifecycle.assemble.assemble`). A DataArray per output
    variable on the way would copy every coordinate each time, which costs
    more than reading the file.

    Attributes
    ----------
    variable
        Values, dimension names and attrs.
    coords
        Its coordinates by name (those of an index as the index gives them).
    indexes
        The indexes of its indexed coordinates.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> out = output_variable(xr.DataArray([1.0], dims="time", coords={"time": t}), "n")
    >>> out.variable.dims, out.time_dim, out.to_dataarray("n").dims
    (('time_n',), 'time_n', ('time_n',))
    """

    variable: xr.Variable
    coords: dict[Hashable, xr.Variable]
    indexes: dict[Hashable, Index]

    @property
    def attrs(self) -> dict[Any, Any]:
        return self.variable.attrs

    @property
    def time_dim(self) -> Hashable | None:
        """The first dimension whose coordinate holds datetime64 values (:func:`find_time_dim`)."""
        for d in self.variable.dims:
            c = self.coords.get(d)
            if c is not None and c.dtype.kind == "M":
                return d
        return None

    def to_dataarray(self, name: Hashable | None = None) -> xr.DataArray:
        """The output variable as a DataArray named ``name``."""
        coords = xr.Coordinates(self.coords, indexes=self.indexes)
        return xr.DataArray(self.variable, coords=coords, name=name)


@functools.lru_cache(maxsize=len(_COMPONENT_DIMS))
def _xyz(dim: Hashable) -> tuple[Index, dict[Hashable, xr.Variable]]:
    """The index of ``x, y, z`` (``<U1``) on a shared component ``dim``, and its coordinate.

    Made once per dimension name and shared by every output variable (and
    Dataset) on it, as xarray shares an index between the variables of one
    Dataset: its pandas index is immutable, and a Dataset holds copies of the
    coordinate variable, so nothing done to one output can change another.
    """
    labels = np.array(XYZ)
    index = PandasIndex(pd.Index(labels, name=dim), dim, coord_dtype=labels.dtype)
    return index, index.create_variables()


#: a DataArray's coordinates in order, an index's at its first: (name, variable, index, group)
_Coords = list[tuple[Hashable, xr.Variable, Index | None, dict[Hashable, xr.Variable]]]


class _Source(NamedTuple):
    """What every output variable of one plugin DataArray needs from it, read once.

    A vector and the magnitude split from it are two output variables of one
    DataArray: its indexes, coordinates and time dimension are looked up
    once for both (each lookup of ``xindexes`` builds a new mapping).
    """

    da: xr.DataArray
    xindexes: Mapping[Hashable, Index]
    variables: Mapping[Hashable, xr.Variable]
    tdim: Hashable | None
    coords: _Coords


def _source(da: xr.DataArray) -> _Source:
    """The :class:`_Source` of ``da``."""
    xindexes = da.xindexes
    variables = da.coords.variables
    indexes = dict(xindexes)
    ids = {id(i) for i in indexes.values()}
    if len(ids) == len(indexes) and all(type(i) is PandasIndex for i in indexes.values()):
        # each index its own, of one coordinate: the groups are known without asking xarray
        coords: _Coords = [
            (name, cv, indexes.get(name), {name: cv} if name in indexes else {})
            for name, cv in variables.items()
        ]
    else:
        coords = _grouped(variables, indexes, xindexes.group_by_index())
    tdim = next((d for d in da.dims if d in variables and variables[d].dtype.kind == "M"), None)
    return _Source(da, indexes, variables, tdim, coords)


def _grouped(
    variables: Mapping[Hashable, xr.Variable],
    indexes: Mapping[Hashable, Index],
    groups: list[tuple[Index, dict[Hashable, xr.Variable]]],
) -> _Coords:
    """The coordinates in order, an index's at its first with all its coordinates."""
    by_id = {id(index): (index, group) for index, group in groups}
    coords: _Coords = []
    for name, cv in variables.items():
        if name not in indexes:
            coords.append((name, cv, None, {}))
            continue
        found = by_id.pop(id(indexes[name]), None)
        if found is not None:  # the index's other coordinates came with its first
            coords.append((name, cv, *found))
    return coords


def _component_labels(src: _Source, dim: Hashable) -> tuple[str, ...] | None:
    """The labels of a 1-D coordinate ``dim`` as text (from its index when it has one)."""
    index = src.xindexes.get(dim)
    if type(index) is PandasIndex:
        return tuple(str(v) for v in index.index.tolist())
    var = src.variables.get(dim)
    return None if var is None or var.ndim != 1 else tuple(str(v) for v in np.asarray(var.values))


@functools.lru_cache(maxsize=256)
def _order(
    labels: tuple[str, ...], picked: tuple[int, ...] | None, narrow: bool
) -> tuple[list[int] | None, bool] | None:
    """:func:`_shared_order` for labels (those at ``picked``) and whether they are ``<U1``:
    the same few label sets come back in every load, so each is decided once."""
    base = list(range(len(labels))) if picked is None else list(picked)
    chosen = [labels[i] for i in base]
    if len(chosen) != 3 or set(chosen) != set(XYZ):
        return None
    in_order = chosen == list(XYZ)
    positions = None if in_order and picked is None else [base[chosen.index(c)] for c in XYZ]
    return positions, not in_order or not narrow


def _shared_order(
    src: _Source, dim: Hashable, picked: list[int] | None
) -> tuple[list[int] | None, bool] | None:
    """For a component dimension: ``(positions, relabel)`` when its labels (those at
    ``picked``, when given) are ``x, y, z`` in some order, else ``None``.

    ``positions`` are the positions to take for ``x, y, z`` in this order
    (``None``: all, as they are); ``relabel`` says the labels must be made
    anew (another order, or text of another width than ``<U1``).
    """
    labels = _component_labels(src, dim)
    if labels is None:
        return None
    narrow = src.variables[dim].dtype == np.dtype("<U1")
    found = _order(labels, None if picked is None else tuple(picked), narrow)
    if found is None or found[0] is None:
        return found
    return list(found[0]), found[1]  # a list of its own: the cached one stays as it is


def _is_position(p: Any) -> bool:
    """Whether ``p`` takes one position (the dim goes), not several."""
    return isinstance(p, (int, np.integer))


def _as_slice(positions: Any) -> Any:
    """Consecutive increasing positions as a slice (a view of the values, not a copy)."""
    if not isinstance(positions, list) or len(positions) == 0:
        return positions
    first = int(positions[0])
    if positions != list(range(first, first + len(positions))):
        return positions
    return slice(first, first + len(positions))


def _output_dims(
    src: _Source, variable: str, take: dict[Hashable, Any]
) -> tuple[dict[Hashable, str], set[Hashable]]:
    """The renamed dims of output variable ``variable`` and the component dims to relabel;
    ``take`` gets the positions that put shared component dims in ``x, y, z`` order."""
    dmap: dict[Hashable, str] = {}
    relabel: set[Hashable] = set()
    for d in src.da.dims:
        picked = take.get(d)
        if picked is not None and _is_position(picked):
            continue  # a scalar position: the dim goes
        if d == src.tdim:
            dmap[d] = time_dim_name(variable)
            continue
        order = _shared_order(src, d, picked) if d in _COMPONENT_DIMS else None
        if order is None:
            dmap[d] = dim_name(d, variable)
            continue
        positions, new_labels = order
        if positions is not None:
            take[d] = positions
        if new_labels:
            relabel.add(d)
    for d, positions in take.items():
        take[d] = _as_slice(positions)
    return dmap, relabel


#: dtypes whose numpy arrays xarray keeps as they are in a Variable (no conversion to make)
_AS_THEY_ARE = frozenset("biufc")


def _values(
    var: xr.Variable, take: Mapping[Hashable, Any], dmap: Mapping[Hashable, str], attrs: Mapping
) -> xr.Variable:
    """``var`` at positions ``take``, its dims renamed (``dmap``), with ``attrs``.

    In-memory numbers taken at positions and slices are indexed with numpy
    directly (as xarray's basic indexing does, a view) and wrapped without
    xarray's checks, which would leave them as they are; anything else
    (lazy arrays, lists of positions, datetimes) goes through
    :meth:`xarray.Variable.isel`.
    """
    data = getattr(var, "_data", None)  # xarray's own array (private: checked, not assumed)
    if (
        type(data) is np.ndarray
        and data.dtype.kind in _AS_THEY_ARE
        and all(type(p) is int or type(p) is slice for p in take.values())
    ):
        if take:
            data = data[(*(take.get(d, slice(None)) for d in var.dims), Ellipsis)]
        dims = tuple(dmap.get(d, d) for d in var.dims if type(take.get(d)) is not int)
        return xr.Variable(dims, data, attrs, var.encoding, fastpath=True)
    var = var.isel(take) if take else var
    dims = tuple(dmap.get(d, d) for d in var.dims)
    return xr.Variable(dims, var.data, attrs, var.encoding)


def _output(
    src: _Source, variable: str, take: Mapping[Hashable, Any], attrs: Mapping | None
) -> OutputVariable:
    """``src``'s DataArray at positions ``take`` ({dim: int} drops the dim, {dim: [i, ...]}
    keeps those), in the names of output variable ``variable`` (the rules of
    :func:`output_dims`)."""
    da = src.da
    take = dict(take)
    dmap, relabel = _output_dims(src, variable, take)
    suffix = f"_{variable}"

    def new_name(name: Hashable) -> Hashable:
        if name in dmap:
            return dmap[name]
        if name in da.dims:
            return name
        return name if str(name).endswith(suffix) else f"{name}{suffix}"

    out = _values(da.variable, take, dmap, da.attrs if attrs is None else attrs)
    coords: dict[Hashable, xr.Variable] = {}
    indexes: dict[Hashable, Index] = {}
    for name, cv, index, group in src.coords:  # in order; an index's coordinates at its first
        if index is None:
            _plain(coords, new_name(name), cv, {d: take[d] for d in cv.dims if d in take}, dmap)
            continue
        if relabel and not relabel.isdisjoint(group):
            continue  # made anew below
        sel = {d: take[d] for v in group.values() for d in v.dims if d in take}
        if sel and type(index) is PandasIndex and all(_is_position(p) for p in sel.values()):
            index = None  # what a pandas index gives for one position, without asking it
        elif sel:
            index = index.isel(sel)
        if index is None:  # a scalar position: no index left
            for n, v in group.items():
                _plain(coords, new_name(n), v, sel, dmap)
            continue
        names = {n: new_name(n) for n in group}
        index = index.rename(names, dmap)
        made = index.create_variables({names[n]: v for n, v in group.items()})
        coords.update(made)
        indexes.update(dict.fromkeys(made, index))
    for d in (d for d in da.dims if d in relabel):  # after the others, as assign_coords puts them
        index, made = _xyz(d)
        indexes[d] = index
        coords.update(made)
    return OutputVariable(out, coords, indexes)


def _plain(
    coords: dict[Hashable, xr.Variable],
    name: Hashable,
    cv: xr.Variable,
    sel: Mapping[Hashable, Any],
    dmap: Mapping[Hashable, str],
) -> None:
    """Add a coordinate without an index at positions ``sel``, its dims renamed; one that
    a scalar position leaves scalar is dropped (as ``isel(..., drop=True)``)."""
    if sel:
        if all(d in sel and _is_position(sel[d]) for d in cv.dims):
            return  # every dim taken at one position: nothing left to index
        cv = cv.isel(sel)
        if cv.ndim == 0:
            return
    dims = tuple(dmap.get(d, d) for d in cv.dims)
    coords[name] = xr.Variable(dims, cv.data, cv.attrs, cv.encoding)


def output_variable(
    da: xr.DataArray, variable: str, *, attrs: Mapping | None = None
) -> OutputVariable:
    """``da`` as output variable ``variable``: the naming of :func:`output_dims`, built once.

    Parameters
    ----------
    da
        A product's DataArray as a plugin or derivation returns it.
    variable
        The output variable's name (:func:`variable_name`).
    attrs
        The output variable's attrs (default ``da``'s).

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> v = xr.DataArray([[1.0, 2.0, 3.0]], dims=("time", "component"),
    ...                  coords={"time": t, "component": ["z", "x", "y"]})
    >>> out = output_variable(v, "v")
    >>> out.variable.dims, out.coords["component"].values.tolist(), out.variable.values.tolist()
    (('time_v', 'component'), ['x', 'y', 'z'], [[2.0, 3.0, 1.0]])
    """
    return _output(_source(da), variable, {}, attrs)


def output_split(
    da: xr.DataArray,
    vector: str,
    magnitude: str,
    *,
    declared: bool = True,
    attrs: Mapping | None = None,
    describe: bool = False,
) -> tuple[OutputVariable, OutputVariable | None]:
    """:func:`split_magnitude` and :func:`output_variable` at once: a vector with a ``tot``
    component as output variables ``vector`` (``x, y, z``) and ``magnitude``.

    Without a ``tot`` to split (or an undeclared all-NaN one: see
    :func:`split_magnitude`), the magnitude is ``None``. Both carry
    ``attrs`` (default ``da``'s); with ``describe`` the magnitude carries
    them described as its own (:func:`magnitude_attrs`), else the caller
    describes it.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> b = xr.DataArray([[3.0, 0.0, 4.0, 5.0]], dims=("time", "component"),
    ...                  coords={"time": t, "component": ["x", "y", "z", "tot"]})
    >>> vec, mag = output_split(b, "b", "b_tot")
    >>> vec.variable.dims, str(vec.coords["component"].dtype), mag.variable.dims
    (('time_b', 'component'), '<U1', ('time_b_tot',))
    >>> output_split(b, "b", "b_tot", describe=True)[1].attrs["magnitude_of"]
    'b'
    """
    src = _source(da)
    labels = _labels(src.xindexes, src.variables, COMPONENT) if COMPONENT in da.dims else None
    found = _magnitude_in(labels)
    if found is None:
        return _output(src, vector, {}, attrs), None
    labels, at = found
    vec = _output(src, vector, {COMPONENT: [i for i in range(len(labels)) if i != at]}, attrs)
    if not declared and _all_nan(da.variable.isel({COMPONENT: at})):
        return vec, None
    if describe:
        attrs = magnitude_attrs(da.attrs if attrs is None else attrs, vector, len(labels), at)
    return vec, _output(src, magnitude, {COMPONENT: at}, attrs)


def output_dims(da: xr.DataArray, variable: str) -> xr.DataArray:
    """``da`` with the dimension names of output variable ``variable`` (see the module notes).

    The time dimension becomes ``time_{variable}``; a ``component`` (or
    tensor ``component_1``/``component_2``) dimension labelled ``x, y, z``
    keeps its shared name, its labels put in that order (as ``<U1`` text);
    every other dimension becomes ``{dim}_{variable}``, and so does every
    non-dimension coordinate whose name does not already end with
    ``_{variable}``. Values and attrs are not copied. The DataArray of
    :func:`output_variable`.

    Examples
    --------
    >>> t = np.array(["2020-01-01"], dtype="datetime64[ns]")
    >>> s = xr.DataArray([[1.0, 2.0]], dims=("time", "energy_bin"),
    ...                  coords={"time": t, "energy_ab": (("time", "energy_bin"), [[10.0, 20.0]])})
    >>> out = output_dims(s, "ab")
    >>> out.dims, list(out.coords)
    (('time_ab', 'energy_bin_ab'), ['time_ab', 'energy_ab'])
    """
    return output_variable(da, variable).to_dataarray(da.name)
