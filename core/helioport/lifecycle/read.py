"""Step 4: the plugin reads each stored product from its local files.

A vector asked for in a frame the archive lacks is read in the frame it has
(:func:`helioport.validation.source_frame`) and transformed
(:func:`helioport.frames.transform`), attrs saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from ..errors import DataNotFoundError, PluginError, warn_caller
from ..frames import transform
from ..naming import find_time_dim
from ..registry import Registry
from ..transport import LocalFile
from ..validation import source_frame
from .coverage import covered_spans, describe_gaps
from .find import Found
from .plan import Key, Plan

__all__ = ["Loaded", "read_one", "read_products"]


@dataclass(frozen=True)
class Loaded:
    """One product of one probe as the plugin returned it, the files it came from, and the
    part of the asked range they cover when it is not all (``None``: all of it)."""

    value: xr.DataArray | xr.Dataset
    files: list[LocalFile]
    covered: str | None = None


def read_products(
    reg: Registry, plan: Plan, found: dict[Key, Found], local: dict[str, LocalFile]
) -> dict[Key, Loaded]:
    """Read every stored (product, probe) through the plugin's ``helioport_load``.

    A product whose files cover only part of the range is returned with a
    warning naming the span covered (and the ``covered`` attr, set later).
    """
    out = {}
    for key, f in found.items():
        files = [local[r.relpath] for r in f.selected]
        value = read_one(reg, plan, *key, files)
        tdim = find_time_dim(value)
        spans = covered_spans(plan.request, f.selected, value[tdim].values)
        covered = describe_gaps(plan.request, spans)
        if covered is not None:
            warn_caller(
                f"{plan.describe(*key)}: the archive's files cover only {covered}; "
                "the result holds that part"
            )
        out[key] = Loaded(value, files, covered)
    return out


def read_one(
    reg: Registry, plan: Plan, product: str, probe: str | None, files: list[LocalFile]
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) from its local files, checked to hold records in the range."""
    name = plan.spec.name
    source = source_frame(plan.spec.product(product), plan.request)
    request = plan.request if source is None else plan.request.model_copy(update={"coords": source})
    value = reg.call(
        "helioport_load",
        name,
        request=request,
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
    if source is not None and isinstance(value, xr.DataArray):
        value = transform(value, plan.request.coords, frm=value.attrs.get("coords") or source)
    return value
