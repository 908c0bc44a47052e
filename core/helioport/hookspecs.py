"""Hook specifications: the whole contract between helioport and its plugins.

A plugin is a module (or object) with functions named like the hooks below,
decorated with :data:`hookimpl`, registered through the entry-point group
``helioport.plugins``::

    # pyproject.toml of the plugin distribution
    [project.entry-points."helioport.plugins"]
    mymission = "helioport_mymission.plugin"

Routing is the contract: the registry calls a per-mission hook
(``helioport_find_files``, ``helioport_load``, ``helioport_sample_archive``)
only on the plugin that declared the mission in ``helioport_missions``, after
the core has validated the request against the mission's specs (products,
probes, frames, modes, options, each product's own ``modes``/``coords``/
``probes``/``options``). An implementation therefore never checks that a call
is meant for it nor re-validates what its spec declares.

A plugin never opens sockets itself: it describes remote files and the core
transport fetches them. Packed deliveries (tarballs, zip, gzip) are declared
on the :class:`~helioport.schema.RemoteFile` (``unpack=``) and unpacked by the
core into the cache.

At registration the registry checks each plugin: a function named
``helioport_*`` that is not one of the hooks below (a misspelling such as
``helioport_find_file``), hook arguments the spec does not have, or a plugin
that declares missions without ``helioport_find_files`` and ``helioport_load``
is a :class:`~helioport.errors.PluginError`; that plugin is skipped with a
warning naming it and the hook, and the others keep working.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from .schema import Derivation, MissionSpec, RemoteFile, Request, SampleArchive
    from .transport.context import ArchiveContext

PROJECT = "helioport"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


def reading_hooks(find_files: str, load_product: str) -> tuple[Any, Any]:
    """``helioport_find_files`` and ``helioport_load`` calling functions named, not imported.

    Every installed plugin is imported to list the missions (``helioport
    missions``); a plugin whose finding and reading need numpy or xarray names
    them (``"package.module:function"``, each called with the hook's arguments)
    and they are imported at the first call, so that listing stays light. A
    function that cannot be imported raises :class:`~helioport.errors.PluginError`.

    Examples
    --------
    >>> helioport_find_files, helioport_load = reading_hooks(
    ...     "helioport_mms.sources:find_files", "helioport_mms.loading:load_product"
    ... )
    """
    from .schema import _Deferred

    find, load = _Deferred(find_files), _Deferred(load_product)

    @hookimpl
    def helioport_find_files(
        request: Request, product: str, probe: str | None, ctx: ArchiveContext
    ) -> list[RemoteFile]:
        return find(request, product, probe, ctx)

    @hookimpl
    def helioport_load(
        request: Request, product: str, probe: str | None, paths: list[Path]
    ) -> xr.DataArray | xr.Dataset:
        return load(request, product, probe, paths)

    return helioport_find_files, helioport_load


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
) -> list[RemoteFile]:
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
    list of RemoteFile
        Every candidate file, *all versions* of each logical file (the core
        picks per ``RemoteFile.key`` by the request's version policy); an empty
        list when the archive has nothing for the range.

    Examples
    --------
    A mission whose files follow a strftime template needs no code of its own
    beyond the template (see :mod:`helioport.templates`)::

        FILES = FileTemplate("toy", "{probe}/%Y/toy_{probe}_%Y%m%d_v{version}.csv", "day")

        @hookimpl
        def helioport_find_files(request, product, probe, ctx):
            return find_files(FILES, request, ctx, probe=probe)
    """


@hookspec(firstresult=True)
def helioport_load(
    request: Request, product: str, probe: str | None, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    """Read ``product`` for ``probe`` from the local ``paths`` (time-sorted).

    Return a :class:`xarray.DataArray` with a ``time`` dimension (UTC
    ``datetime64[ns]``), fill values as NaN, components as a labelled
    dimension, restricted to ``[request.start, request.end)``, and attrs
    ``units``, ``coords``, ``instrument``, ``dataset``, ``source_variable``
    plus the archive's ISTP attributes (:mod:`helioport.dress` builds
    them from the product's spec). A product that bundles many variables (OMNI
    ``all``) may return a :class:`xarray.Dataset`. The core renames the time
    dimension and adds provenance (files, versions, probe).

    Calls for products that share no file may run at the same time on
    different threads (one per core, :mod:`helioport.threads`), so an
    implementation keeps no shared mutable state without a lock; warnings
    given through :func:`helioport.errors.warn_caller` reach the user in the
    order of the request.
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
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive:
    """Write a small sample archive of ``mission`` under ``root`` (optional).

    Used by ``helioport demo`` and by the plugin conformance suite in
    :mod:`helioport.testing`: the files must have the real archive's layout,
    names and variables (generated, never downloaded), so that serving
    ``root`` over HTTP (or pointing the mission's mirror at it) exercises the
    real path end to end.

    Called only for a mission the plugin declared (``mission`` tells which,
    for plugins serving several).

    Returns
    -------
    SampleArchive
        The source key whose base URL is ``root`` and a request the sample
        satisfies (plus an event criterion the demo searches for).
    """
