"""helioport hooks for Cluster: the table in :mod:`.products`, CSA/SPDF files in :mod:`.csa`,
reading in :mod:`.loading`."""

from __future__ import annotations

from pathlib import Path

from helioport.hookspecs import hookimpl
from helioport.schema import MissionSpec, SampleArchive

from . import csa, loading, products

helioport_find_files = hookimpl(csa.find_files)
helioport_load = hookimpl(loading.load_product)


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
