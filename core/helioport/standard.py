"""The standard products: one definition of each generic name (the AIDApy catalog).

``dc_mag`` is a vector in nT on every mission, ``i_dens`` a scalar in cm^-3,
and so on: a plugin starts each of its products from :func:`standard` and
states only what is its own (instrument, frames, modes, a description, units
where its archive differs, e.g. OMNI positions in Earth radii). Names outside
this table (OMNI's indices) are plain :class:`~helioport.schema.ProductSpec`.

Examples
--------
>>> b = standard("dc_mag", instrument="fgm", coords=["gse", "gsm"])
>>> b.kind, b.units, b.components
('vector', 'nT', ['x', 'y', 'z'])
"""

from __future__ import annotations

from typing import Any

from .errors import PluginError
from .schema import ProductSpec

__all__ = ["STANDARD", "XYZ", "standard"]

XYZ = ["x", "y", "z"]


def _p(name: str, kind: str, units: str, description: str, **kw: Any) -> ProductSpec:
    if kind in ("vector", "tensor") and "components" not in kw:
        kw["components"] = XYZ
    return ProductSpec(name=name, kind=kind, units=units, description=description, **kw)


#: every standard product by name
STANDARD: dict[str, ProductSpec] = {
    p.name: p
    for p in [
        _p("dc_mag", "vector", "nT", "DC magnetic field"),
        _p("dc_elec", "vector", "mV/m", "DC electric field"),
        _p("i_dens", "scalar", "cm^-3", "Ion number density"),
        _p("e_dens", "scalar", "cm^-3", "Electron number density"),
        _p("i_bulkv", "vector", "km/s", "Ion bulk velocity"),
        _p("e_bulkv", "vector", "km/s", "Electron bulk velocity"),
        _p("i_temppara", "scalar", "eV", "Ion temperature parallel to B"),
        _p("i_tempperp", "scalar", "eV", "Ion temperature perpendicular to B"),
        _p("i_temp", "scalar", "eV", "Ion temperature"),
        _p("e_temppara", "scalar", "eV", "Electron temperature parallel to B"),
        _p("e_tempperp", "scalar", "eV", "Electron temperature perpendicular to B"),
        _p("i_prestens", "tensor", "nPa", "Ion pressure tensor (3x3)"),
        _p("i_temptens", "tensor", "eV", "Ion temperature tensor (3x3)"),
        _p("i_heatq", "vector", "mW/m^2", "Ion heat flux vector"),
        _p("i_omniflux", "spectrum", "keV/(cm^2 s sr keV)", "Ion omni-directional energy flux"),
        _p("i_energy", "spectrum", "eV", "Ion energy table"),
        _p("i_dist", "distribution", "s^3/cm^6", "Ion phase-space density"),
        _p("e_dist", "distribution", "s^3/cm^6", "Electron phase-space density"),
        _p("i_aspoc", "scalar", "uA", "ASPOC ion beam current"),
        _p("sc_pos", "vector", "km", "Spacecraft position"),
        _p("sc_att", "vector", "1", "Attitude quaternion (scalar last)", components=XYZ + ["w"]),
        _p("image", "image", "counts", "All-sky image"),
    ]
}


def standard(name: str, **fields: Any) -> ProductSpec:
    """The standard product ``name`` with a plugin's own ``fields`` (instrument, coords, modes...).

    Raises
    ------
    PluginError
        ``name`` is not a standard product (listing those that are).
    """
    try:
        base = STANDARD[name]
    except KeyError:
        raise PluginError(
            f"{name!r} is not a standard product; standard: {', '.join(STANDARD)}. "
            "Declare it with helioport.schema.ProductSpec instead."
        ) from None
    return ProductSpec.model_validate({**base.model_dump(), **fields})
