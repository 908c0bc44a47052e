"""REGO as a table: sites, sources, file templates, products and options.

The probes are the REGO (Redline Emission Geospace Observatory, 630.0 nm)
sites. Their coordinates below are nominal (geographic, degrees, east
positive, as published with the network); each skymap file carries the
authoritative ``SITE_MAP_LATITUDE``/``LONGITUDE`` and the imaging functions
use the skymap's.

==============  ========================================================  ==========  =====
product         files                                                     variable    units
==============  ========================================================  ==========  =====
image           Berkeley ``thg/l1/reg/{site}/%Y/%m/clg_l1_rgf_{site}_     clg_rgf_{s}  counts
                %Y%m%d%H_v01.cdf`` (hourly, 3 s frames, uint16 512x512)
image_rayleighs the same frames calibrated (:mod:`.calibration`) with      -           R
                UCalgary ``REGO/calibration/REGO_Rayleighs_<imager>_...``
skymap          UCalgary ``REGO/skymap/{site}/{site}_%Y%m%d/rego_skymap_  (IDL struct deg
                {site}_%Y%m%d-+_v{NN}.sav`` (the one valid at the start)   ``skymap``)
keogram         L3 from image and skymap, at 230 km by default            -           counts/R
==============  ========================================================  ==========  =====

Options: ``calibrate=True`` makes ``image`` (and so ``keogram``) Rayleighs;
``rego_imager`` names the imager (``"652"``) instead of looking it up in
UCalgary's ``stream0`` tree (see :mod:`.calibration`).
"""

from __future__ import annotations

from typing import Any

from helioport.errors import InvalidRequestError
from helioport.imaging import SkymapTemplate
from helioport.schema import MissionSpec, OptionSpec, ProductSpec, Request, SourceSpec
from helioport.standard import standard
from helioport.templates import FileTemplate
from helioport.validation import option_value

__all__ = [
    "ALTITUDES_KM",
    "ALT_KM",
    "CALIBRATION_SOURCE",
    "FILL",
    "IMAGES",
    "MISSION",
    "NOMINAL_EXPOSURE_S",
    "SITES",
    "SKYMAPS",
    "STREAM0_SOURCE",
    "calibrate_requested",
    "image_variable",
    "mission_spec",
]

MISSION = "rego"
#: site code -> (name, geographic latitude, longitude east in -180..180)
SITES: dict[str, tuple[str, float, float]] = {
    "atha": ("Athabasca", 54.71, -113.28),
    "fsim": ("Fort Simpson", 61.756, -121.23),
    "fsmi": ("Fort Smith", 60.017, -111.95),
    "gill": ("Gillam", 56.376, -94.64),
    "kakt": ("Kaktovik", 70.13, -143.62),
    "luck": ("Lucky Lake", 51.15, -107.1),
    "lyrn": ("Longyearbyen", 78.15, 16.04),
    "rank": ("Rankin Inlet", 62.82, -92.11),
    "resu": ("Resolute Bay", 74.7, -94.83),
    "sach": ("Sachs Harbour", 71.99, -125.26),
    "talo": ("Taloyoak", 69.53, -93.53),
}
BERKELEY_URL = "https://themis.ssl.berkeley.edu/data/themis/"
UCALGARY_REGO = "https://data.phys.ucalgary.ca/sort_by_project/GO-Canada/REGO/"
#: the mapping altitude of 630.0 nm emission: keograms, maps and footprints use it by default
ALT_KM = 230.0
#: the mapping altitudes of the generated skymaps (REGO skymaps are 512x512, maps 3x513x513)
ALTITUDES_KM = (110.0, 230.0, 250.0)
#: REGO's nominal exposure (s), used only when a file states none (warned and stated in attrs)
NOMINAL_EXPOSURE_S = 2.0
#: the hourly full-resolution frames
IMAGES = FileTemplate(
    MISSION, "thg/l1/reg/{site}/%Y/%m/clg_l1_rgf_{site}_%Y%m%d%H_v{version}.cdf", "hour"
)
#: the skymaps, one folder per validity start
SKYMAPS = SkymapTemplate(
    source="rego_skymap",
    folder="{site}/{site}_%Y%m%d/",
    name="rego_skymap_{site}_%Y%m%d-+_v{version}.sav",
)
#: UCalgary's calibration folder (``REGO_Rayleighs_*``, ``REGO_flatfield_*``)
CALIBRATION_SOURCE = "rego_calibration"
#: UCalgary's raw-data tree, whose daily folders name each site's imager (``gill_rego-652``)
STREAM0_SOURCE = "rego_stream0"
#: the CDF fill value of the frames (also written by saturated pixels)
FILL = 65535

PRODUCTS = [
    standard(
        "image",
        instrument="rego",
        description="REGO 630.0 nm full-resolution frames, 512x512 uint16 counts (row 0 south, "
        "column 0 east); 65535 is the fill (and saturation) value; Rayleighs with calibrate=True",
    ),
    ProductSpec(
        name="image_rayleighs",
        kind="image",
        level="L3",
        units="R",
        instrument="rego",
        description="REGO 630.0 nm frames in Rayleighs: dark (corner box) subtracted, flat "
        "field applied where available, x rper_dnpersecond / exposure (UCalgary calibration)",
    ),
    ProductSpec(
        name="skymap",
        kind="table",
        units="deg",
        instrument="rego",
        description="Skymap valid at the start: azimuth, elevation and pixel-centre "
        "latitude/longitude at the skymap's altitudes (UCalgary IDL files)",
    ),
]

OPTIONS = {
    "calibrate": OptionSpec(
        description="give image (and keogram) in Rayleighs with UCalgary's calibration files "
        "(True/False, default False)",
        default=False,
    ),
    "rego_imager": OptionSpec(
        description="the imager serial whose calibration to use (e.g. '652'); default: looked "
        "up in UCalgary's stream0 tree for the site and day",
        default=None,
    ),
}

_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off", ""}


def calibrate_requested(spec: MissionSpec, request: Request, product: str) -> bool:
    """Whether ``product`` is to be given in Rayleighs (``image_rayleighs``, or ``calibrate=True``).

    Raises
    ------
    InvalidRequestError
        ``calibrate`` is not a yes/no value.
    """
    if product == "image_rayleighs":
        return True
    value: Any = option_value(spec, request, "calibrate")
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise InvalidRequestError(
        f"calibrate={value!r} is not a yes/no value; give calibrate=True for Rayleighs or "
        "calibrate=False for counts"
    )


def image_variable(site: str) -> str:
    """``clg_rgf_gill``: the frames' CDF variable (its DEPEND_0 is ``clg_rgf_gill_epoch``)."""
    return f"clg_rgf_{site}"


def mission_spec() -> MissionSpec:
    """The REGO :class:`MissionSpec`."""
    return MissionSpec(
        name=MISSION,
        title="REGO 630 nm red-line all-sky imagers",
        distribution="helioport-rego",
        probes=list(SITES),
        default_probes=["gill"],
        products=PRODUCTS,
        options=OPTIONS,
        sources=[
            SourceSpec(
                key=MISSION,
                url=BERKELEY_URL,
                env="HELIOPORT_REGO_URL",
                description="Berkeley THEMIS data tree: thg/l1/reg/{site}/%Y/%m/ hourly L1 CDFs",
            ),
            SourceSpec(
                key=SKYMAPS.source,
                url=UCALGARY_REGO + "skymap/",
                env="HELIOPORT_REGO_SKYMAP_URL",
                description="UCalgary skymaps: {site}/{site}_%Y%m%d/rego_skymap_*.sav",
            ),
            SourceSpec(
                key=CALIBRATION_SOURCE,
                url=UCALGARY_REGO + "calibration/",
                env="HELIOPORT_REGO_CALIBRATION_URL",
                description="UCalgary calibration files: REGO_Rayleighs_<imager>_<start>-<stop>_vNN"
                ".sav and REGO_flatfield_<imager>_...",
            ),
            SourceSpec(
                key=STREAM0_SOURCE,
                url=UCALGARY_REGO + "stream0/",
                env="HELIOPORT_REGO_STREAM0_URL",
                description="UCalgary raw tree, listed only: %Y/%m/%d/{site}_rego-<imager>/ names "
                "the imager of a site on a day",
            ),
        ],
    )
