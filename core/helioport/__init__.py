"""helioport: one way to find, download, cache, load and search heliophysics data.

Examples
--------
>>> import helioport
>>> helioport.missions()  # doctest: +SKIP
['omni']
>>> ds = helioport.load("omni", "2010-01-01", "2010-01-03", products=["dc_mag", "i_dens"], mode="hourly")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ConfigError,
    CorruptFileError,
    CriteriaError,
    DataNotFoundError,
    DerivationError,
    DownloadError,
    HelioportError,
    InvalidRequestError,
    OfflineError,
    PluginError,
    UnknownMissionError,
    UnknownProductError,
)
from .hookspecs import hookimpl  # noqa: E402
from .schema import Derivation, MissionSpec, ProductSpec, RemoteFile, Request, SourceSpec  # noqa: E402
from .api import load, load_data, mission_info, missions, products  # noqa: E402
from .align import align  # noqa: E402

__all__ = [
    "__version__",
    "load",
    "load_data",
    "missions",
    "mission_info",
    "products",
    "align",
    "hookimpl",
    "Derivation",
    "MissionSpec",
    "ProductSpec",
    "RemoteFile",
    "Request",
    "SourceSpec",
    "HelioportError",
    "ConfigError",
    "CorruptFileError",
    "CriteriaError",
    "DataNotFoundError",
    "DerivationError",
    "DownloadError",
    "InvalidRequestError",
    "OfflineError",
    "PluginError",
    "UnknownMissionError",
    "UnknownProductError",
]
