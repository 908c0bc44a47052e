"""helioport: one way to find, download, cache, load and search heliophysics data.

The public names below are imported on first use (module ``__getattr__``), so
``import helioport`` is quick; ``from helioport import load`` works as always.

Examples
--------
>>> import helioport
>>> helioport.missions()  # doctest: +SKIP
['omni']
>>> ds = helioport.load("omni", "2010-01-01", "2010-01-03", products=["dc_mag", "i_dens"], mode="hourly")  # doctest: +SKIP
"""

from __future__ import annotations

from . import errors as _errors
from .exports import lazy_package

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY = {
    "align": "align",
    "find_events": "events",
    "load": "api",
    "load_data": "api",
    "mission_info": "api",
    "missions": "api",
    "products": "api",
    "hookimpl": "hookspecs",
    "transform": "frames",
    # every exception class of errors.py (a tiny module: importing it costs nothing)
    **{name: "errors" for name in _errors.__all__ if name[0].isupper()},
    **{
        name: "schema"
        for name in (
            "Derivation",
            "MissionSpec",
            "ProductSpec",
            "RemoteFile",
            "Request",
            "SourceSpec",
        )
    },
}

__all__ = [
    "ConfigError",
    "CorruptFileError",
    "CriteriaError",
    "DataNotFoundError",
    "Derivation",
    "DerivationError",
    "DownloadError",
    "HelioportError",
    "InvalidRequestError",
    "MissionSpec",
    "OfflineError",
    "PluginError",
    "ProductSpec",
    "RemoteFile",
    "Request",
    "SourceSpec",
    "UnknownMissionError",
    "UnknownProductError",
    "__version__",
    "align",
    "find_events",
    "hookimpl",
    "load",
    "load_data",
    "mission_info",
    "missions",
    "products",
    "transform",
]

lazy_package(__name__, _LAZY)
