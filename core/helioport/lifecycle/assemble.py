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
    ds = xr.Dataset(named)
    for da in named.values():
        tdim = find_time_dim(da)
        if tdim is not None:
            ds[tdim].attrs.update({"long_name": "time (UTC)", "standard_name": "time"})
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
