"""The Cluster sample archive: the SPDF copy of C1-C4 FGM spin data for two hours.

Written by :func:`helioport_cluster.fixtures.write_fgm` in the SPDF layout
``c{n}/cp/%Y/c{n}_cp_fgm_spin_%Y%m%d_v01.cdf`` with the CSA variable names;
the field is linear in space, so ``j_curl`` on the four probes is exact.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helioport.schema import SampleArchive

from . import products
from .fixtures import write_fgm

__all__ = ["SAMPLE_END", "SAMPLE_START", "make_sample_archive"]

SAMPLE_START = dt.datetime(2001, 6, 11, 0, 0, tzinfo=dt.timezone.utc)
SAMPLE_END = dt.datetime(2001, 6, 11, 2, 0, tzinfo=dt.timezone.utc)


def make_sample_archive(root: Path) -> SampleArchive:
    """Write the sample under ``root`` (the base of the ``cluster_spdf`` source)."""
    root = Path(root)
    for probe in products.PROBES:
        folder = root / probe / "cp" / f"{SAMPLE_START:%Y}"
        folder.mkdir(parents=True, exist_ok=True)
        write_fgm(
            folder / f"{probe}_cp_fgm_spin_{SAMPLE_START:%Y%m%d}_v01.cdf",
            probe,
            SAMPLE_START,
            SAMPLE_END,
        )
    return SampleArchive(
        source="cluster_spdf",
        start=SAMPLE_START.strftime("%Y-%m-%dT%H:%M"),
        end=SAMPLE_END.strftime("%Y-%m-%dT%H:%M"),
        products=["dc_mag", "sc_pos", "j_curl", "mag_elev_angle"],
        probes=list(products.PROBES),
        mode="spin",
        coords="gse",
        options={"source": "spdf"},
        criteria="dc_mag_z > 15",
    )
