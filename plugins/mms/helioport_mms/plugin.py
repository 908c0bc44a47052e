"""helioport hooks for MMS: discovery, file listing, loading, sample archive.

Options a request may carry (``helioport.load("mms", ..., source="spdf")``):

``source``        ``"sdc"`` (default) or ``"spdf"``; a mirror for key ``mms`` selects ``"spdf"``
``team``          ``None`` (team API when credentials are set), ``True`` or ``False``
``quat_frame``    frame of ``sc_att`` (``{p}_mec_quat_eci_to_{frame}``), default the request's coords
``mec_datatype``  MEC ephemeris type: ``epht89d`` (default), ``epht89q``, ``ephts04d``
``max_burst``     longest burst interval assumed, seconds (default 3600)
``positions``     ``"mec"`` (default): ``sc_pos`` from the MEC ephemeris (burst files in ``brst``
                  mode where the archive has them, else survey, stated in ``rate_fallback``);
                  ``"fgm"``: ``sc_pos`` is the position the FGM files carry
                  (``{p}_fgm_r_{gse|gsm}_{rate}_l2``, 30 s), read from the files ``dc_mag`` uses
                  (nothing more is downloaded; ``j_curl`` then needs no MEC file);
                  ``True``: with ``dc_mag``, also that FGM position as ``dc_mag_pos_{probe}``.
"""

from __future__ import annotations

from pathlib import Path

from helioport.hookspecs import hookimpl, reading_hooks
from helioport.schema import MissionSpec, SampleArchive

from . import products

# the core calls these with a request it has checked against the specs, for MMS only;
# finding and reading are named, not imported: their modules (numpy, xarray) load at
# the first call, so listing the missions (``helioport missions``) needs only the table
helioport_find_files, helioport_load = reading_hooks(
    "helioport_mms.sources:find_files", "helioport_mms.loading:load_product"
)


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
