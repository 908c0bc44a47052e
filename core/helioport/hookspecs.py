"""Hook specifications: the whole contract between helioport and its plugins.

A plugin is a module (or object) with functions named like the hooks below,
decorated with :data:`hookimpl`, registered through the entry-point group
``helioport.plugins``::

    # pyproject.toml of the plugin distribution
    [project.entry-points."helioport.plugins"]
    mymission = "helioport_mymission.plugin"

Per-mission hooks are ``firstresult=True``: an implementation returns ``None``
for missions it does not serve, and the first non-``None`` answer wins.
A plugin never opens sockets itself: it describes remote files and the core
transport fetches them (``helioport_fetch`` is the escape hatch for archives
that pack files, e.g. tarballs).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from .schema import Derivation, MissionSpec, RemoteFile, Request
    from .transport.context import ArchiveContext

PROJECT = "helioport"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def helioport_missions() -> list[MissionSpec]:
    """Describe the missions this plugin serves.

    Called once when the registry is built. Return a list of
    :class:`~helioport.schema.MissionSpec` (probes, coordinate systems, modes,
    products with units and descriptions, archive sources with their default
    base URLs and mirror environment variables). A plugin that serves no
    mission (e.g. one that only adds derivations) returns an empty list.
    Mission names must be unique across installed plugins.
    """


@hookspec(firstresult=True)
def helioport_find_files(
    request: Request, product: str, probe: str | None, ctx: ArchiveContext
) -> list[RemoteFile] | None:
    """List the archive files holding ``product`` for ``probe`` over the request's range.

    Parameters
    ----------
    request
        The validated :class:`~helioport.schema.Request` (mission, times, mode,
        coords, version policy).
    product
        A stored product name of this mission (never a derived one).
    probe
        One of ``request.probes``, or ``None`` for missions without probes.
    ctx
        The :class:`~helioport.transport.context.ArchiveContext`: the source
        base URLs after mirrors (``ctx.base_url(key)``), directory listings
        (``ctx.list_dir(url)``) and JSON answers (``ctx.get_json(url, params)``),
        all cached and revalidated by the core. Offline, listings come from the
        cache.

    Returns
    -------
    list of RemoteFile or None
        Every candidate file, *all versions* of each logical file (the core
        picks per ``RemoteFile.key`` by the request's version policy); an empty
        list when the archive has nothing for the range. ``None`` when the
        request's mission is not served by this plugin.
    """


@hookspec(firstresult=True)
def helioport_fetch(
    request: Request, files: list[RemoteFile], ctx: ArchiveContext
) -> list[Path] | None:
    """Fetch ``files`` into the cache yourself (optional override).

    Only for archives the core transport cannot read file by file (tarball
    deliveries). Use ``ctx.cache_path(file)`` for destinations and write
    atomically. Return the local paths in the order of ``files``, or ``None``
    to let the core transport fetch them (the normal case).
    """


@hookspec(firstresult=True)
def helioport_load(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset | None:
    """Read ``product`` for ``probe`` from the local ``paths`` (time-sorted).

    Return a :class:`xarray.DataArray` with a ``time`` dimension (UTC
    ``datetime64[ns]``), fill values as NaN, components as a labelled
    dimension, restricted to ``[request.start, request.end)``, and attrs
    ``units``, ``coords``, ``instrument``, ``dataset``, ``source_variable``
    plus the archive's ISTP attributes. A product that bundles many variables
    (OMNI ``all``) may return a :class:`xarray.Dataset`. The core renames the
    time dimension and adds provenance (files, versions, probe). Return
    ``None`` for missions this plugin does not serve.
    """


@hookspec
def helioport_derivations() -> list[Derivation]:
    """Declare L3 recipes: :class:`~helioport.schema.Derivation` objects.

    Called once when the registry is built; results from every plugin are
    merged. A derivation is offered for a mission when the mission serves (or
    can derive) all its ``inputs`` and, if ``missions`` is set, is listed there.
    helioport's own derivations (``j_curl``, ``mag_elev_angle``, ``i_beta``,
    ``e_beta``) are registered through this same hook by the core's plugin
    ``helioport.derive.plugin``.
    """


@hookspec(firstresult=True)
def helioport_sample_archive(mission: str, root: Path) -> dict | None:
    """Write a small sample archive of ``mission`` under ``root`` (optional).

    Used by ``helioport demo`` and by the plugin conformance suite in
    :mod:`helioport.testing`: the files must have the real archive's layout,
    names and variables (generated, never downloaded), so that serving
    ``root`` over HTTP (or pointing the mission's mirror at it) exercises the
    real path end to end.

    Returns
    -------
    dict or None
        ``{"source": <source key whose base URL is root>, "start": ..., "end": ...,
        "products": [...], "mode": ..., "probes": [...], "coords": ...}``: a request
        the sample satisfies. ``None`` for missions this plugin does not serve.
    """
