"""helioport's built-in derived (L3) products.

Science is pure numpy (:func:`curlometer`, :func:`plasma_beta`,
:func:`mag_elev_angle`); thin wrappers turn labelled inputs into labelled
outputs, and :mod:`helioport.derive.plugin` registers them through the
``helioport_derivations`` hook like any third-party plugin.

Examples
--------
>>> import numpy as np
>>> from helioport.derive import mag_elev_angle
>>> mag_elev_angle(np.array([[1.0, 0.0, 1.0]]))
array([45.])
"""

from __future__ import annotations

from ..exports import lazy_package

# public name -> its module, imported on first use: the registry loads this
# package's plugin module to list the derivations, which needs no numpy or xarray
_LAZY = {
    "curlometer": "curlometer",
    "e_beta": "beta",
    "i_beta": "beta",
    "j_curl": "curlometer",
    "mag_elev_angle": "elevation",
    "mag_elev_angle_product": "elevation",
    "plasma_beta": "beta",
    "tetrahedron_shape": "curlometer",
}

__all__ = [
    "curlometer",
    "e_beta",
    "i_beta",
    "j_curl",
    "mag_elev_angle",
    "mag_elev_angle_product",
    "plasma_beta",
    "tetrahedron_shape",
]

lazy_package(__name__, _LAZY)
