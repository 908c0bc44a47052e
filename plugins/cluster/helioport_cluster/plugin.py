"""helioport hooks for Cluster: the table in :mod:`.products`, CSA/SPDF files in :mod:`.csa`,
reading in :mod:`.loading`.

Finding and reading import their modules when first called: listing the
missions (``helioport missions``, the registry) needs only the table, and
neither numpy, pandas nor xarray.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helioport.hookspecs import hookimpl
from helioport.schema import MissionSpec, RemoteFile, Request, SampleArchive

from . import products

if TYPE_CHECKING:
    import xarray as xr
    from helioport.transport import ArchiveContext


@hookimpl
def helioport_find_files(
    request: Request, product: str, probe: str, ctx: ArchiveContext
) -> list[RemoteFile]:
    from .csa import find_files

    return find_files(request, product, probe, ctx)


@hookimpl
def helioport_load(request: Request, product: str, probe: str, paths: list[Path]) -> xr.DataArray:
    from .loading import load_product

    return load_product(request, product, probe, paths)


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
