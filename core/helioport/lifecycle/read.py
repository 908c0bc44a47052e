"""Step 4: the plugin reads each stored product from its local files."""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from ..errors import DataNotFoundError, PluginError
from ..naming import find_time_dim
from ..registry import Registry
from ..transport import LocalFile
from .find import Found
from .plan import Key, Plan

__all__ = ["Loaded", "read_one", "read_products"]


@dataclass(frozen=True)
class Loaded:
    """One product of one probe as the plugin returned it, and the files it came from."""

    value: xr.DataArray | xr.Dataset
    files: list[LocalFile]


def read_products(
    reg: Registry, plan: Plan, found: dict[Key, Found], local: dict[str, LocalFile]
) -> dict[Key, Loaded]:
    """Read every stored (product, probe) through the plugin's ``helioport_load``."""
    out = {}
    for key, f in found.items():
        files = [local[r.relpath] for r in f.selected]
        out[key] = Loaded(read_one(reg, plan, *key, files), files)
    return out


def read_one(
    reg: Registry, plan: Plan, product: str, probe: str | None, files: list[LocalFile]
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) from its local files, checked to hold records in the range."""
    name = plan.spec.name
    value = reg.call(
        "helioport_load",
        name,
        request=plan.request,
        product=product,
        probe=probe,
        paths=[p for f in files for p in f.paths],
    )
    if value is None:
        raise PluginError(f"plugin for {name!r} returned None from helioport_load for {product!r}")
    if not isinstance(value, (xr.DataArray, xr.Dataset)):
        raise PluginError(
            f"helioport_load for {name!r}/{product!r} returned {type(value).__name__}"
        )
    tdim = find_time_dim(value)
    if tdim is None or value.sizes[tdim] == 0:
        raise DataNotFoundError(
            f"{plan.describe(product, probe)}: the files ({', '.join(f.remote.name for f in files)}) "
            "hold no records in the requested range; widen the range or check the data's gaps"
        )
    return value
