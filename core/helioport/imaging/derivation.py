"""The L3 product ``keogram`` as a derivation of ``image`` and ``skymap``.

An imager plugin declares it from its ``helioport_derivations`` hook::

    @hookimpl
    def helioport_derivations():
        return [keogram_derivation()]

It applies to every mission serving both ``image`` and ``skymap`` (the
registry keeps one derivation per name, so several imager plugins may declare
it). The skymap is the one valid at the request's start. Options (request
keywords): ``keogram_alt_km`` (default: the skymap's ``default_alt_km``,
110 km for THEMIS, 230 km for REGO) and ``keogram_min_elevation``
(default 10). ``helioport.load(..., products=["keogram"])`` holds the
request's frames in memory; for long ranges use :func:`.keogram` with
:func:`.iter_frames`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import DerivationError
from ..schema import Derivation, Request

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["keogram_derivation", "keogram_product"]

OPTIONS = {
    "keogram_alt_km": "mapping altitude of the keogram in km, one of the skymap's "
    "(default: the skymap's default_alt_km, 110 THEMIS, 230 REGO)",
    "keogram_min_elevation": "keogram points seen below this elevation (deg) are NaN (default 10)",
}


def keogram_product(inputs: dict[str, Any], request: Request) -> xr.DataArray:
    """The derivation's function: the meridian keogram of one site's frames."""
    # imported here: declaring the derivation (when the registry is built) needs none of them
    import xarray as xr

    from .geometry import default_altitude
    from .keogram import keogram
    from .skymapfile import from_product

    image, sky = inputs["image"], inputs["skymap"]
    if not isinstance(sky, xr.Dataset):
        raise DerivationError("keogram needs the skymap product as a Dataset")
    sky = from_product(sky)
    try:
        alt = default_altitude(sky, request.options.get("keogram_alt_km"))
        min_el = float(request.options.get("keogram_min_elevation", 10.0))
    except (TypeError, ValueError) as exc:
        raise DerivationError(f"keogram options must be numbers: {exc}") from None
    return keogram(image, sky, alt_km=alt, min_elevation=min_el)


def keogram_derivation() -> Derivation:
    """The ``keogram`` :class:`~helioport.schema.Derivation` (inputs ``image`` and ``skymap``)."""
    return Derivation(
        name="keogram",
        inputs=["image", "skymap"],
        function=keogram_product,
        units="counts",
        description="Keogram: counts along the meridian through the site (time, latitude)",
        kind="image",
        options=OPTIONS,
    )
