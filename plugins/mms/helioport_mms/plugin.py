"""helioport hooks for MMS: discovery, file listing, loading, sample archive.

Options a request may carry (``helioport.load("mms", ..., source="spdf")``):

``source``        ``"sdc"`` (default) or ``"spdf"``; a mirror for key ``mms`` selects ``"spdf"``
``team``          ``None`` (team API when credentials are set), ``True`` or ``False``
``quat_frame``    frame of ``sc_att`` (``{p}_mec_quat_eci_to_{frame}``), default the request's coords
``mec_datatype``  MEC ephemeris type: ``epht89d`` (default), ``epht89q``, ``ephts04d``
``max_burst``     longest burst interval assumed, seconds (default 3600)
``positions``     ``True``: with ``dc_mag``, also the position the FGM files carry
                  (``{p}_fgm_r_{gse|gsm}_{rate}_l2``, 30 s) as ``dc_mag_pos_{probe}``, read from the
                  same files (nothing more is downloaded). Positions of any product come from
                  asking for ``sc_pos`` (MEC), which is fetched only then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr
from helioport.hookspecs import hookimpl
from helioport.schema import MissionSpec, RemoteFile, Request, SampleArchive

from . import products as catalog
from .loading import load_product
from .sources import find_files


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [catalog.mission_spec()]


@hookimpl
def helioport_find_files(
    request: Request, product: str, probe: str | None, ctx: Any
) -> list[RemoteFile] | None:
    if request.mission != catalog.MISSION:
        return None
    return find_files(request, product, probe or catalog.PROBES[0], ctx)


@hookimpl
def helioport_load(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset | None:
    if request.mission != catalog.MISSION:
        return None
    return load_product(request, product, probe or catalog.PROBES[0], paths)


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive | None:
    if mission != catalog.MISSION:
        return None
    from .sample import make_sample_archive

    return make_sample_archive(root)
