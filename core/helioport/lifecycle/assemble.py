"""Step 6: the output variables as one Dataset, with the request in its attrs.

Dimension names follow :mod:`helioport.naming` and depend on each variable
alone (:func:`helioport.naming.output_dims`): its own ``time_<variable>``,
the shared ``component`` (``x, y, z``) of vectors and ``component_1``,
``component_2`` of tensors, and ``<dim>_<variable>`` for every other axis. So
a variable has the same dimensions whatever else the request holds, and
xarray never outer-joins two variables' axes.
"""

from __future__ import annotations

import json

import xarray as xr

from .. import __version__
from ..naming import find_time_dim, output_dims
from ..times import format_time
from .plan import Plan

__all__ = ["assemble"]


def assemble(plan: Plan, variables: dict[str, xr.DataArray]) -> xr.Dataset:
    """One Dataset of ``variables`` with the dataset-level attrs of DESIGN §4."""
    named: dict[str, xr.DataArray] = {}
    for name, da in variables.items():
        keep = dict(da.attrs)
        da = output_dims(da, name)
        da.attrs = keep
        named[name] = da
    ds = _dataset(named)
    for da in named.values():
        tdim = find_time_dim(da)
        if tdim is not None:
            # on the coordinate itself: ds[tdim] would build a DataArray for each
            ds.variables[tdim].attrs.update({"long_name": "time (UTC)", "standard_name": "time"})
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


def _dataset(named: dict[str, xr.DataArray]) -> xr.Dataset:
    """``xr.Dataset(named)`` without xarray's alignment when nothing needs aligning.

    Each output variable has its own time and other dimensions; only shared
    dimensions (``component``) meet, with the same labels. Then the Dataset
    is built from the variables themselves (a tenth of the time); any other
    meeting of coordinates takes xarray's own way.
    """
    data_vars: dict[str, xr.Variable] = {}
    coords: dict[str, xr.Variable] = {}
    for name, da in named.items():
        data_vars[name] = da.variable
        for cname, var in da.coords.variables.items():
            old = coords.get(str(cname))
            if old is None:
                coords[str(cname)] = var
            elif not (old.dims == var.dims and old.equals(var) and old.attrs == var.attrs):
                return xr.Dataset(named)
    if set(data_vars) & set(coords):
        return xr.Dataset(named)
    return xr.Dataset(data_vars, coords)
