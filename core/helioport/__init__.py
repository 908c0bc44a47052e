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

from .align import align
from .api import load, load_data, mission_info, missions, products
from .errors import (
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
from .hookspecs import hookimpl
from .schema import Derivation, MissionSpec, ProductSpec, RemoteFile, Request, SourceSpec

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
    "hookimpl",
    "load",
    "load_data",
    "mission_info",
    "missions",
    "products",
]
