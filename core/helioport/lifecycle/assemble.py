"""Step 6: the output variables as one Dataset, with the request in its attrs.

Dimension names follow :mod:`helioport.naming` and depend on each variable
alone (:func:`helioport.naming.output_variable`, applied by :mod:`.derive`): its own ``time_<variable>``,
the shared ``component`` (``x, y, z``) of vectors and ``component_1``,
``component_2`` of tensors, and ``<dim>_<variable>`` for every other axis. So
a variable has the same dimensions whatever else the request holds, and
xarray never outer-joins two variables' axes.
"""

from __future__ import annotations

import json
from collections.abc import Hashable

import xarray as xr
from xarray.indexes import Index

from .. import __version__
from ..naming import OutputVariable
from ..times import format_time
from .plan import Plan

__all__ = ["assemble"]

#: the attrs of every time coordinate
TIME_ATTRS = {"long_name": "time (UTC)", "standard_name": "time"}


def assemble(plan: Plan, variables: dict[str, OutputVariable]) -> xr.Dataset:
    """One Dataset of ``variables`` with the dataset-level attrs of DESIGN §4."""
    ds = _dataset(variables)
    req = plan.request
    ds.attrs.update(
        {
            "mission": req.mission,
            "request": req.describe(),
            "request_json": json.dumps(req.model_dump(mode="json"), sort_keys=True),
            "start": format_time(req.start),
            "end": format_time(req.end),
            "helioport_version": __version__,
            "title": f"{plan.spec.title or req.mission} {', '.join(req.products)}",
        }
    )
    return ds


def _dataset(variables: dict[str, OutputVariable]) -> xr.Dataset:
    """The Dataset of ``variables``, built once from their variables and indexes.

    Each output variable has its own time and other dimensions; only shared
    dimensions (``component``) meet, with the same labels. Then the indexes
    the output variables carry are used as they are (none is made again); any
    other meeting of coordinates takes xarray's own way (alignment).
    Time coordinates get :data:`TIME_ATTRS`.
    """
    data_vars: dict[Hashable, xr.Variable] = {}
    coords: dict[Hashable, xr.Variable] = {}
    indexes: dict[Hashable, Index] = {}
    times: set[Hashable] = set()
    for name, out in variables.items():
        data_vars[name] = out.variable
        tdim = out.time_dim
        if tdim is not None:
            times.add(tdim)
        for cname, var in out.coords.items():
            old = coords.get(cname)
            if old is None:
                coords[cname] = var
            elif old is not var and not (
                old.dims == var.dims and old.equals(var) and old.attrs == var.attrs
            ):
                return _aligned(variables, times)
        indexes.update(out.indexes)
    if not data_vars.keys().isdisjoint(coords):
        return _aligned(variables, times)
    ds = _direct(data_vars, coords, indexes)
    if ds is None:
        for tdim in times:  # a copy: the output variables' coordinates are left as they are
            var = coords[tdim] = coords[tdim].copy(deep=False)
            var.attrs.update(TIME_ATTRS)
        return xr.Dataset(data_vars, coords=xr.Coordinates(coords, indexes=indexes))
    for tdim in times:  # the Dataset's own copy
        ds.variables[tdim].attrs.update(TIME_ATTRS)
    return ds


def _direct(
    data_vars: dict[Hashable, xr.Variable],
    coords: dict[Hashable, xr.Variable],
    indexes: dict[Hashable, Index],
) -> xr.Dataset | None:
    """``xr.Dataset(data_vars, coords=xr.Coordinates(coords, indexes=indexes))`` without
    xarray's merge, or ``None`` where it must take that way.

    The Dataset the constructor makes of variables that share nothing but
    whole coordinates (the indexes given, nothing to align or check): a
    shallow copy of each variable, data variables first, then coordinates (one
    without an index as a plain :class:`xarray.Variable`), dimensions in the
    order they come, the indexes as given. Made with xarray's private
    ``Dataset._construct_direct`` when this xarray has it; a data variable
    named like a dimension, or dimensions of different sizes, go the
    constructor's way (an index made, or its error).
    """
    construct = getattr(xr.Dataset, "_construct_direct", None)
    if construct is None:
        return None
    all_vars: dict[Hashable, xr.Variable] = {k: v.copy(deep=False) for k, v in data_vars.items()}
    for name, var in coords.items():
        all_vars[name] = var.copy(deep=False) if name in indexes else var.to_base_variable()
    dims: dict[Hashable, int] = {}
    for var in all_vars.values():
        for dim, size in zip(var.dims, var.shape, strict=True):
            if dims.setdefault(dim, size) != size:
                return None
    if not dims.keys().isdisjoint(data_vars):
        return None
    ordered = {name: indexes[name] for name in coords if name in indexes}
    return construct(all_vars, set(coords), dims, None, ordered)


def _aligned(variables: dict[str, OutputVariable], times: set[Hashable]) -> xr.Dataset:
    """``variables`` as one Dataset the way xarray joins DataArrays (coordinates aligned)."""
    ds = xr.Dataset({name: out.to_dataarray(name) for name, out in variables.items()})
    for tdim in times:
        ds.variables[tdim].attrs.update(TIME_ATTRS)
    return ds
