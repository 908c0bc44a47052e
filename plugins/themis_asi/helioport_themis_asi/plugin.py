"""helioport hooks for THEMIS ASI: the table in :mod:`.products`, files in :mod:`.loading`,
the ``keogram`` derivation from :mod:`helioport.imaging`, the sample in :mod:`.sample`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helioport.hookspecs import hookimpl
from helioport.imaging import keogram_derivation
from helioport.schema import Derivation, MissionSpec, RemoteFile, Request, SampleArchive

from . import products

if TYPE_CHECKING:
    import xarray as xr
    from helioport.transport import ArchiveContext


# finding and reading import their modules (numpy, xarray) at the first call: listing
# the missions (the registry, ``helioport missions``) needs only the product table
@hookimpl
def helioport_find_files(
    request: Request, product: str, probe: str | None, ctx: ArchiveContext
) -> list[RemoteFile]:
    from .loading import find_files

    return find_files(request, product, probe, ctx)


@hookimpl
def helioport_load(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    from .loading import load_product

    return load_product(request, product, probe, paths)


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_derivations() -> list[Derivation]:
    return [keogram_derivation()]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
