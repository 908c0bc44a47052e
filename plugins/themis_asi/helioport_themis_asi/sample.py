"""The THEMIS ASI sample archive: two hours of GAKO frames and the site's skymap.

Written by :func:`helioport_themis_asi.fixtures.write_site` in the archives'
layouts: the Berkeley tree ``thg/l1/asi/gako/2011/01/`` under the sample's
root (the ``themis_asi`` source) and the UCalgary skymap tree under
``<root>/skymaps/`` (serve that folder as its own root, as UCalgary is its own
host, and point the ``themis_asi_skymap`` source at it to load ``skymap`` or
``keogram`` from the sample). 40 frames per hour of an arc
drifting equatorward across the field of view.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helioport.schema import SampleArchive

from .fixtures import write_site

__all__ = ["SAMPLE_HOURS", "SAMPLE_SITE", "SKYMAP_FOLDER", "make_sample_archive"]

UTC = dt.timezone.utc
SAMPLE_SITE = "gako"
SAMPLE_HOURS = [dt.datetime(2011, 1, 6, 4, tzinfo=UTC), dt.datetime(2011, 1, 6, 5, tzinfo=UTC)]
#: the folder of the sample root holding the skymap source's tree
SKYMAP_FOLDER = "skymaps"


def make_sample_archive(root: Path) -> SampleArchive:
    """Write the sample under ``root`` (the base of the ``themis_asi`` source)."""
    root = Path(root)
    write_site(root, root / SKYMAP_FOLDER, SAMPLE_SITE, SAMPLE_HOURS, frames_per_hour=40)
    return SampleArchive(
        source="themis_asi",
        start="2011-01-06T04:00",
        end="2011-01-06T06:00",
        products=["image"],
        probes=[SAMPLE_SITE],
        extra_sources={"themis_asi_skymap": SKYMAP_FOLDER},
    )
