"""The REGO sample archive: two hours of GILL frames, the skymap, calibration and stream0 day.

Written by :func:`helioport_rego.fixtures.write_site` in the archives'
layouts: the Berkeley tree ``thg/l1/reg/gill/2021/11/`` under the sample's
root (the ``rego`` source), and the UCalgary trees in folders of it, each to
be served as its own root (UCalgary is another host): ``skymap/``
(``rego_skymap``), ``calibration/`` (``rego_calibration``) and ``stream0/``
(``rego_stream0``). 20 frames per hour at the real 512x512 size of an arc
drifting equatorward across the field of view; imager ``652``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helioport.schema import SampleArchive

from . import products
from .fixtures import write_site

__all__ = ["FOLDERS", "SAMPLE_HOURS", "SAMPLE_IMAGER", "SAMPLE_SITE", "make_sample_archive"]

UTC = dt.timezone.utc
SAMPLE_SITE = "gill"
SAMPLE_IMAGER = "652"
SAMPLE_HOURS = [dt.datetime(2021, 11, 4, 3, tzinfo=UTC), dt.datetime(2021, 11, 4, 4, tzinfo=UTC)]
#: the folders of the sample root holding the UCalgary sources' trees
FOLDERS = {
    products.SKYMAPS.source: "skymap",
    products.CALIBRATION_SOURCE: "calibration",
    products.STREAM0_SOURCE: "stream0",
}


def make_sample_archive(root: Path) -> SampleArchive:
    """Write the sample under ``root`` (the base of the ``rego`` source)."""
    root = Path(root)
    roots = {products.MISSION: root, **{k: root / v for k, v in FOLDERS.items()}}
    write_site(roots, SAMPLE_SITE, SAMPLE_HOURS, imager=SAMPLE_IMAGER, frames_per_hour=20)
    return SampleArchive(
        source=products.MISSION,
        start="2021-11-04T03:00",
        end="2021-11-04T05:00",
        products=["image", "image_rayleighs"],
        probes=[SAMPLE_SITE],
        extra_sources=dict(FOLDERS),
    )
