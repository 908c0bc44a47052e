"""helioport hooks for Cluster: the table in :mod:`.products`, CSA/SPDF files in :mod:`.csa`,
reading in :mod:`.loading`.

Finding and reading import their modules when first called: listing the
missions (``helioport missions``, the registry) needs only the table, and
neither numpy, pandas nor xarray.
"""

from __future__ import annotations

from pathlib import Path

from helioport.hookspecs import hookimpl, reading_hooks
from helioport.schema import MissionSpec, SampleArchive

from . import products

# finding and reading are named, not imported: their modules (numpy, xarray) load at
# the first call, so listing the missions (``helioport missions``) needs only the table
helioport_find_files, helioport_load = reading_hooks(
    "helioport_cluster.csa:find_files", "helioport_cluster.loading:load_product"
)


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [products.mission_spec()]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    # imported here: the sample writer pulls in helioport.testing (~1 s), not needed to load data
    from .sample import make_sample_archive

    return make_sample_archive(root)
