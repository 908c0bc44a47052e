"""helioport hooks for OMNI: the table in :mod:`.products`, read by :mod:`.loading`.

The core routes only OMNI requests here, already checked against the specs
(modes, frames, the ``hourly_source`` and ``source`` options and their choices).
Reading imports :mod:`.loading` at its first call, so that listing the missions
(the registry, ``helioport missions``) imports neither numpy, pandas nor xarray.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helioport.errors import InvalidRequestError
from helioport.hookspecs import hookimpl
from helioport.schema import MissionSpec, RemoteFile, Request, SampleArchive
from helioport.templates import find_files, wants_heliocloud

from . import products

if TYPE_CHECKING:
    import xarray as xr
    from helioport.transport import ArchiveContext


def _family(request: Request, product: str) -> str:
    """The file family of the request, refusing a product its hourly files lack."""
    fam = products.family(request.mode, str(request.options.get("hourly_source", "ascii")).lower())
    if fam == "ascii" and wants_heliocloud(request):
        raise InvalidRequestError(
            "HelioCloud has no OMNI2 ASCII hourly files (they are not a CDAWeb dataset); "
            "use hourly_source='cdf' (OMNI2_H0_MRG1HR) with source='heliocloud', or source='spdf'"
        )
    if fam != "hro" and product != "all" and getattr(products.BY_NAME[product], fam) is None:
        other = "cdf" if fam == "ascii" else "ascii"
        raise InvalidRequestError(
            f"OMNI product {product!r} is not in the hourly {'cdf' if fam == 'h0' else fam} files; "
            f"try hourly_source={other!r}"
        )
    return fam


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_find_files(
    request: Request, product: str, probe: str | None, ctx: ArchiveContext
) -> list[RemoteFile]:
    fam = _family(request, product)
    return find_files(products.FILES[fam], request, ctx, mode=request.mode)


@hookimpl
def helioport_load(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    # imported at the first read (numpy, pandas, xarray): listing the missions needs none
    from .loading import load_product

    return load_product(request, product, _family(request, product), paths)


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
