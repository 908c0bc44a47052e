"""helioport hooks for REGO: the table in :mod:`.products`, files in :mod:`.loading`,
the ``keogram`` derivation from :mod:`helioport.imaging`, the sample in :mod:`.sample`."""

from __future__ import annotations

from pathlib import Path

from helioport.hookspecs import hookimpl, reading_hooks
from helioport.imaging import keogram_derivation
from helioport.schema import Derivation, MissionSpec, SampleArchive

from . import products

# finding and reading are named, not imported: their modules (numpy, xarray) load at
# the first call, so listing the missions (``helioport missions``) needs only the table
helioport_find_files, helioport_load = reading_hooks(
    "helioport_rego.loading:find_files", "helioport_rego.loading:load_product"
)


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
