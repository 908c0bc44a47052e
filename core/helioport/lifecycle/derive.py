"""Step 5: derivations on the loaded inputs, and every requested product as output variables.

Derived values are computed once per (product, probe) even when several
products share them; each output variable gets its provenance (files,
versions, probe, level) and is named by :func:`helioport.naming.variable_name`.
A magnitude the archive gives with a vector (a ``tot`` component) becomes an
output variable of its own, ``{product}_tot[_{probe}]``
(:func:`helioport.naming.output_split`); plugins and derivations keep
working on their ``x, y, z, tot`` arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import DerivationError, InvalidRequestError, PluginError
from ..naming import (
    MAGNITUDE,
    OutputVariable,
    magnitude_name,
    output_split,
    variable_name,
)
from ..schema import Derivation, ProductSpec
from ..transport import LocalFile
from .plan import Key, Plan
from .read import Loaded

__all__ = ["Values", "output_variables"]


def output_variables(plan: Plan, stored: dict[Key, Loaded]) -> dict[str, OutputVariable]:
    """The output variables of every requested product (DESIGN §4 names), with provenance.

    Each is built once in its output names (:func:`helioport.naming.output_split`),
    for :func:`helioport.lifecycle.assemble.assemble` to make the Dataset of.
    """
    values = Values(plan, stored)
    # looked up for every variable: once (the first of a name, as MissionSpec.product finds)
    specs = {p.name: p for p in reversed(plan.spec.products)}
    variables: dict[str, OutputVariable] = {}
    for product in plan.request.products:
        d = plan.derivations.get(product) if product not in specs else None
        probes = [None] if (d is not None and d.across_probes) else plan.probes
        for probe in probes:
            attrs = _provenance(plan, product, probe, values.files(product, probe), d)
            covered = values.covered(product, probe)
            if covered:
                attrs["covered"] = covered
            for name, da in _items(product, values.get(product, probe)):
                merged = dict(da.attrs)
                for key, value in attrs.items():
                    if key == "coords" or (d is not None and key == "units"):
                        # the frame a plugin read (OMNI ``all`` keeps GSE where GSM is absent)
                        # and a derivation's own units (j_curl's div_b is nT/km) win
                        merged.setdefault(key, value)
                    else:
                        merged[key] = value
                for out_name, out in _split(specs.get(name), name, probe, da, merged):
                    _put(variables, out_name, out, product)
    return variables


def _split(
    spec: ProductSpec | None, name: str, probe: str | None, da: xr.DataArray, attrs: dict[str, Any]
) -> list[tuple[str, OutputVariable]]:
    """The output variable of ``name`` for ``probe`` with ``attrs``, and its magnitude when
    the archive gives one; ``spec`` is the stored product's called ``name``, if any."""
    declared = spec is not None and MAGNITUDE in (spec.components or [])
    vector = variable_name(name, probe)
    magnitude = magnitude_name(name, probe)
    vec, mag = output_split(da, vector, magnitude, declared=declared, attrs=attrs, describe=True)
    return [(vector, vec)] if mag is None else [(vector, vec), (magnitude, mag)]


def _put(
    variables: dict[str, OutputVariable], name: str, out: OutputVariable, product: str
) -> None:
    """Add an output variable; another product's different values under the same name are refused
    (a derivation's result must never silently replace a stored product's)."""
    old = variables.get(name)
    if old is not None and not (
        old.variable.shape == out.variable.shape
        and np.array_equal(old.variable.values, out.variable.values, equal_nan=True)
    ):
        raise PluginError(
            f"products {old.attrs.get('product')!r} and {product!r} both give a variable named "
            f"{name!r} with different values; a bundle or derivation must name its variables "
            "after what they hold"
        )
    variables[name] = out


class Values:
    """Stored values and derivations computed on demand, each once."""

    def __init__(self, plan: Plan, stored: dict[Key, Loaded]) -> None:
        self.plan, self.stored = plan, stored
        self.derived: dict[Key, Any] = {}

    def get(self, product: str, probe: str | None) -> xr.DataArray | xr.Dataset:
        if self.plan.is_stored(product):
            return self.stored[(product, probe)].value
        d = self.plan.derivations[product]
        key = (product, None if d.across_probes else probe)
        if key not in self.derived:
            self.derived[key] = self.derive(d, probe)
        return self.derived[key]

    def files(self, product: str, probe: str | None) -> list[LocalFile]:
        """The files behind a product: its own, or (derived) those of all its inputs."""
        if self.plan.is_stored(product):
            loaded = self.stored.get((product, probe))
            return loaded.files if loaded else []
        d = self.plan.derivations[product]
        probes = list(self.plan.request.probes) if d.across_probes else [probe]
        files: list[LocalFile] = []
        for inp in d.inputs:
            for p in probes:
                files += [f for f in self.files(inp, p) if f not in files]
        return files

    def covered(self, product: str, probe: str | None) -> str:
        """The part of the range a product's data cover when not all of it (inputs' too)."""
        if self.plan.is_stored(product):
            loaded = self.stored.get((product, probe))
            return (loaded.covered or "") if loaded else ""
        d = self.plan.derivations[product]
        probes = list(self.plan.request.probes) if d.across_probes else [probe]
        parts = {self.covered(i, p) for i in d.inputs for p in probes} - {""}
        return "; ".join(sorted(parts))

    def derive(self, d: Derivation, probe: str | None) -> xr.DataArray | xr.Dataset:
        request, spec = self.plan.request, self.plan.spec
        if d.across_probes:
            probes = list(request.probes)
            if len(probes) < d.min_probes:
                raise DerivationError(
                    f"{d.name} needs {d.min_probes} probes, the request has {len(probes)} "
                    f"({', '.join(probes) or 'none'}); ask for probes={spec.probes[: d.min_probes]}"
                )
            inputs = {n: {p: _main(self.get(n, p)) for p in probes} for n in d.inputs}
        else:
            inputs = {n: _main(self.get(n, probe)) for n in d.inputs}
        try:
            out = d.function(inputs, request)
        except (DerivationError, InvalidRequestError, PluginError):
            raise
        except Exception as exc:
            raise DerivationError(
                f"derivation {d.name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(out, (xr.DataArray, xr.Dataset)):
            raise DerivationError(
                f"derivation {d.name!r} returned {type(out).__name__}, not xarray"
            )
        return out


def _main(value: xr.DataArray | xr.Dataset) -> xr.DataArray | xr.Dataset:
    """A derivation input: the product's own variable when a loader returned a bundle."""
    if isinstance(value, xr.Dataset):
        name = value.attrs.get("product")
        if name in value.data_vars:
            return value[name]
    return value


def _items(product: str, value: xr.DataArray | xr.Dataset) -> list[tuple[str, xr.DataArray]]:
    """(name, DataArray) pairs: bundles (OMNI ``all``) and derivations with companions
    (``j_curl`` + ``div_b``) give several."""
    if isinstance(value, xr.Dataset):
        return [(str(k), v) for k, v in value.data_vars.items()]
    return [(product, value)]


def _provenance(
    plan: Plan,
    product: str,
    probe: str | None,
    files: list[LocalFile],
    d: Derivation | None,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "product": product,
        "level": "L3" if d is not None else plan.spec.product(product).level,
        "files": ", ".join(f.remote.name for f in files),
        "versions": ", ".join(sorted({f.remote.version for f in files if f.remote.version})),
    }
    if probe:
        attrs["probe"] = probe
    if plan.request.coords:
        attrs["coords"] = plan.request.coords
    if d is not None:
        attrs["derived_from"] = ", ".join(d.inputs)
        if d.units:
            attrs["units"] = d.units
    return attrs
