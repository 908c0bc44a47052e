"""THEMIS ASI as a table: sites, sources, file templates and products.

The probes are the THEMIS ground-based observatory (GBO) sites. Their
coordinates below are nominal (geographic, degrees, east positive, as
published with the network); each skymap file carries the authoritative
``SITE_MAP_LATITUDE``/``LONGITUDE`` (GAKO: 62.41 N, 214.84 E = -145.16),
and the imaging functions use the skymap's.

=========  =====================================================  ============  =========
product    files                                                  variable      units
=========  =====================================================  ============  =========
image      Berkeley ``thg/l1/asi/{site}/%Y/%m/thg_l1_asf_{site}_  thg_asf_{s}   counts
           %Y%m%d%H_v01.cdf`` (hourly, 3 s frames, uint16 256x256)
skymap     UCalgary ``{site}/{site}_%Y%m%d/themis_skymap_{site}_  (IDL struct   deg
           %Y%m%d-+_v{XX|NN}.sav`` (the one valid at the start)    ``skymap``)
keogram    L3, derived from image and skymap                      -             counts
=========  =====================================================  ============  =========

The 32x32 ``ast`` thumbnails are not offered: their file layout could not
be confirmed against a real file.
"""

from __future__ import annotations

from helioport.imaging import SkymapTemplate
from helioport.schema import MissionSpec, ProductSpec, SourceSpec
from helioport.standard import standard
from helioport.templates import FileTemplate

__all__ = [
    "IMAGES",
    "MISSION",
    "SITES",
    "SKYMAPS",
    "image_variable",
    "mission_spec",
]

MISSION = "themis_asi"
#: site code -> (name, geographic latitude, longitude east in -180..180)
SITES: dict[str, tuple[str, float, float]] = {
    "atha": ("Athabasca", 54.71, -113.28),
    "chbg": ("Chibougamau", 49.814, -74.419),
    "ekat": ("Ekati", 64.73, -110.67),
    "fsim": ("Fort Simpson", 61.756, -121.23),
    "fsmi": ("Fort Smith", 60.017, -111.95),
    "fykn": ("Fort Yukon", 66.56, -145.214),
    "gako": ("Gakona", 62.41, -145.16),
    "gbay": ("Goose Bay", 53.316, -60.46),
    "gill": ("Gillam", 56.376, -94.64),
    "inuv": ("Inuvik", 68.413, -133.77),
    "kapu": ("Kapuskasing", 49.392, -82.32),
    "kian": ("Kiana", 66.971, -160.438),
    "kuuj": ("Kuujjuaq", 58.1, -68.4),
    "mcgr": ("McGrath", 62.953, -155.596),
    "nrsq": ("Narsarsuaq", 61.16, -45.44),
    "pgeo": ("Prince George", 53.815, -122.828),
    "pina": ("Pinawa", 50.26, -95.87),
    "rank": ("Rankin Inlet", 62.82, -92.11),
    "snap": ("Snap Lake", 63.58, -110.87),
    "snkq": ("Sanikiluaq", 56.536, -79.23),
    "talo": ("Taloyoak", 69.53, -93.53),
    "tpas": ("The Pas", 53.994, -100.941),
    "whit": ("Whitehorse", 61.01, -135.223),
    "yknf": ("Yellowknife", 62.52, -114.31),
}
BERKELEY_URL = "https://themis.ssl.berkeley.edu/data/themis/"
UCALGARY_URL = "https://data.phys.ucalgary.ca/sort_by_project/THEMIS/asi/skymaps/"
#: the hourly full-resolution frames
IMAGES = FileTemplate(
    MISSION, "thg/l1/asi/{site}/%Y/%m/thg_l1_asf_{site}_%Y%m%d%H_v{version}.cdf", "hour"
)
#: the skymaps, one folder per validity start
SKYMAPS = SkymapTemplate(
    source="themis_asi_skymap",
    folder="{site}/{site}_%Y%m%d/",
    name="themis_skymap_{site}_%Y%m%d-+_v{version}.sav",
)
#: the CDF fill value of the frames (also written by saturated pixels)
FILL = 65535

PRODUCTS = [
    standard(
        "image",
        instrument="asi",
        description="THEMIS ASI full-resolution white-light frames, 256x256 uint16 counts "
        "(row 0 south, column 0 east); 65535 is the fill (and saturation) value",
    ),
    ProductSpec(
        name="skymap",
        kind="table",
        units="deg",
        instrument="asi",
        description="Skymap valid at the start: azimuth, elevation and pixel-centre "
        "latitude/longitude at 90, 110, 150 km (UCalgary IDL files)",
    ),
]


def image_variable(site: str) -> str:
    """``thg_asf_gako``: the frames' CDF variable (its DEPEND_0 is ``thg_asf_gako_epoch``)."""
    return f"thg_asf_{site}"


def mission_spec() -> MissionSpec:
    """The THEMIS ASI :class:`MissionSpec`."""
    return MissionSpec(
        name=MISSION,
        title="THEMIS ground-based all-sky imagers",
        distribution="helioport-themis-asi",
        probes=list(SITES),
        default_probes=["gako"],
        products=PRODUCTS,
        options={},
        sources=[
            SourceSpec(
                key=MISSION,
                url=BERKELEY_URL,
                env="HELIOPORT_THEMIS_ASI_URL",
                description="Berkeley THEMIS data tree: thg/l1/asi/{site}/%Y/%m/ hourly L1 CDFs",
            ),
            SourceSpec(
                key=SKYMAPS.source,
                url=UCALGARY_URL,
                env="HELIOPORT_THEMIS_ASI_SKYMAP_URL",
                description="UCalgary skymaps: {site}/{site}_%Y%m%d/themis_skymap_*.sav",
            ),
        ],
    )
