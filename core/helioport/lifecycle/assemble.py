"""Step 6: the output variables as one Dataset, with the request in its attrs.

Time dimensions follow :mod:`helioport.naming`: a variable's time dimension
is ``time_<variable>`` unless it shares the exact time base of an earlier
variable; another dimension whose labels or size differ from an earlier
variable's of the same name is renamed ``<dim>_<variable>`` so xarray does
not outer-join them.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .. import __version__
from ..naming import find_time_dim, time_dim_name
from ..times import format_time
from .plan import Plan

__all__ = ["assemble"]


def assemble(plan: Plan, variables: dict[str, xr.DataArray]) -> xr.Dataset:
    """One Dataset of ``variables`` with the dataset-level attrs of DESIGN §4."""
    groups: list[tuple[str, np.ndarray]] = []
    renamed: dict[str, xr.DataArray] = {}
    seen_dims: dict[str, tuple] = {}
    for name, da in variables.items():
        tdim = find_time_dim(da)
        times = da[tdim].values
        dim = next(
            (g for g, gt in groups if gt.shape == times.shape and np.array_equal(gt, times)), None
        )
        if dim is None:
            dim = time_dim_name(name)
            groups.append((dim, times))
        keep = dict(da.attrs)
        da = da.rename({tdim: dim}) if tdim != dim else da
        da = _own_dims(da, name, dim, seen_dims)
        da.attrs = keep
        renamed[name] = da
    ds = xr.Dataset(renamed)
    for dim, _ in groups:
        ds[dim].attrs.update({"long_name": "time (UTC)", "standard_name": "time"})
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


def _own_dims(da: xr.DataArray, name: str, tdim: str, seen: dict[str, tuple]) -> xr.DataArray:
    """Rename a dimension whose labels or size differ from an earlier variable's to ``{dim}_{name}``.

    Without it xarray would outer-join them: ``component`` ``x,y,z,tot`` of
    ``dc_mag`` and ``x,y,z`` of ``i_bulkv`` would become one sorted axis with
    NaN padding.
    """
    renames = {}
    for d in da.dims:
        if d == tdim:
            continue
        key = (da.sizes[d], tuple(np.asarray(da[d].values).tolist()) if d in da.coords else None)
        if seen.setdefault(str(d), key) != key:
            renames[d] = f"{d}_{name}"
    return da.rename(renames) if renames else da
