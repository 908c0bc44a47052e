"""helioport's built-in derivations, registered exactly like a third-party plugin.

The core's ``pyproject.toml`` declares this module in the ``helioport.plugins``
entry-point group (``helioport-derive = "helioport.derive.plugin"``); the
registry loads it like any other plugin. A third-party plugin adding an L3
product writes the same few lines. The functions are named, not imported
(``"package.module:function"``), so that building the registry imports no
science code.

Examples
--------
>>> [d.name for d in helioport_derivations()]
['j_curl', 'mag_elev_angle', 'i_beta', 'e_beta']
"""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..schema import Derivation

__all__ = ["helioport_derivations"]


@hookimpl
def helioport_derivations() -> list[Derivation]:
    """The L3 products every mission gets when it serves their inputs."""
    return [
        Derivation(
            name="j_curl",
            inputs=["dc_mag", "sc_pos"],
            function="helioport.derive.curlometer:j_curl",
            units="nA/m^2",
            description="Current density from four-spacecraft B by the curlometer (Chanteur 1998)",
            kind="vector",
            components=["x", "y", "z"],
            across_probes=True,
            min_probes=4,
            options={
                "curlometer_min_shape": "tetrahedron shape factor below which j_curl is NaN with a warning "
                "(default 1e-3)",
                "positions": "'mec' (default): positions from sc_pos; 'fgm': the positions the "
                "magnetometer files carry (MMS FGM)",
            },
        ),
        Derivation(
            name="mag_elev_angle",
            inputs=["dc_mag"],
            function="helioport.derive.elevation:mag_elev_angle_product",
            units="deg",
            description="Magnetic elevation angle atan2(Bz, sqrt(Bx^2 + By^2))",
            kind="scalar",
        ),
        Derivation(
            name="i_beta",
            inputs=["i_dens", "i_temppara", "i_tempperp", "dc_mag"],
            function="helioport.derive.beta:i_beta",
            units="1",
            description="Ion plasma beta n k T / (B^2 / 2 mu0), T = (T_par + 2 T_perp) / 3",
            kind="scalar",
        ),
        Derivation(
            name="e_beta",
            inputs=["e_dens", "e_temppara", "e_tempperp", "dc_mag"],
            function="helioport.derive.beta:e_beta",
            units="1",
            description="Electron plasma beta n k T / (B^2 / 2 mu0), T = (T_par + 2 T_perp) / 3",
            kind="scalar",
        ),
    ]
