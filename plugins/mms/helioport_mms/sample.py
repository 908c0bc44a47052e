"""A small generated MMS archive in the SPDF layout, for ``helioport demo`` and the conformance suite.

Two spacecraft (``mms1``, ``mms2``) on 2015-10-16 from 00:00 to 02:00:

- FGM survey daily files (16 S/s, two hours of records), ``mms{p}/fgm/srvy/l2/2015/10/``,
  with an older version next to the newest, so that the version choice is exercised;
- FPI DIS fast-survey moments (4.5 s), ``mms{p}/fpi/fast/l2/dis-moms/2015/10/``;
- MEC survey ephemeris (30 s), ``mms{p}/mec/srvy/l2/epht89d/2015/10/``.

Every file carries the real variable names, types and ISTP attributes
(:mod:`helioport_mms.fixtures`); the values are synthetic. The returned
request loads B, density, velocity and positions, plus the derived
``mag_elev_angle``, from the SPDF-layout source key ``mms``.

Examples
--------
>>> req = make_sample_archive(tmp_path)  # doctest: +SKIP
>>> helioport.load("mms", base_url={req.pop("source"): str(tmp_path)}, **req)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from helioport.schema import SampleArchive

from . import fixtures

__all__ = ["SAMPLE_END", "SAMPLE_PROBES", "SAMPLE_START", "make_sample_archive"]

SAMPLE_START = "2015-10-16T00:00"
SAMPLE_END = "2015-10-16T02:00"
SAMPLE_PROBES = ["mms1", "mms2"]

_HOURS = 2


def make_sample_archive(root: Path, *, probes: list[str] | None = None) -> SampleArchive:
    """Write the sample archive under ``root`` and return the request it satisfies.

    Parameters
    ----------
    root
        Folder to write into (created); it becomes the base of the SPDF tree.
    probes
        Spacecraft to write (default :data:`SAMPLE_PROBES`).

    Returns
    -------
    dict
        ``source`` (``"mms"``, the SPDF-tree source key), ``start``, ``end``,
        ``products``, ``probes``, ``mode``, ``coords`` and an event ``criteria``.
    """
    root = Path(root)
    probes = list(probes or SAMPLE_PROBES)
    for k, probe in enumerate(probes):
        seed = 10 * (k + 1)
        # an older FGM version beside the newest: only v4.18.1 may be loaded
        fixtures.write_fgm(root, probe, "srvy", "2015-10-16", 64, version="4.17.0", seed=seed + 1)
        fixtures.write_fgm(
            root, probe, "srvy", "2015-10-16", _HOURS * 3600 * 16, version="4.18.1", seed=seed
        )
        fixtures.write_fpi_moms(
            root, probe, "dis", "fast", "2015-10-16T00:00", _HOURS * 800, seed=seed
        )
        fixtures.write_mec(root, probe, "2015-10-16", n=_HOURS * 120 + 2, seed=seed)
    return SampleArchive(
        source="mms",
        start=SAMPLE_START,
        end=SAMPLE_END,
        products=["dc_mag", "i_dens", "i_bulkv", "sc_pos", "mag_elev_angle"],
        probes=probes,
        mode="srvy",
        coords="gse",
        criteria="dc_mag_tot > 24",
    )
