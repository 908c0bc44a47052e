"""Step 2: the plugin lists the archive's files; the core picks the versions to use."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DataNotFoundError, InvalidRequestError, OfflineError, PluginError
from ..registry import Registry
from ..schema import RemoteFile, VersionPolicy
from ..times import format_time
from ..transport import ArchiveContext, select_versions
from .plan import Key, Plan

__all__ = ["Found", "find_files"]


@dataclass(frozen=True)
class Found:
    """The files of one (product, probe): those selected and every candidate listed."""

    selected: list[RemoteFile]
    candidates: list[RemoteFile]


def find_files(reg: Registry, plan: Plan, ctx: ArchiveContext) -> dict[Key, Found]:
    """Ask the mission's plugin for the files of every stored (product, probe) and pick versions.

    Raises
    ------
    OfflineError
        Offline and nothing cached for a product.
    DataNotFoundError
        The archive has no file for a product, or none matching the version policy.
    InvalidRequestError
        The request needs more than ``max_files`` files (setting of the
        :class:`~helioport.config.Config`): it stops before any download.
    """
    found = {key: _find_one(reg, plan, ctx, *key) for key in plan.stored_keys}
    needed = {r.relpath: r for f in found.values() for r in f.selected}
    limit = ctx.config.max_files
    if len(needed) > limit:
        size = sum(r.size or 0 for r in needed.values())
        shown = f" ({size / 1e9:.1f} GB listed)" if size else ""
        r = plan.request
        raise InvalidRequestError(
            f"{r.mission} {', '.join(r.products)} between {format_time(r.start)} and "
            f"{format_time(r.end)} needs {len(needed)} files{shown}, more than max_files={limit}; "
            f"narrow the time range, or to go ahead raise the limit: max_files={len(needed)} "
            "(a keyword of load, or max_files in the config file)"
        )
    return found


def _find_one(
    reg: Registry, plan: Plan, ctx: ArchiveContext, product: str, probe: str | None
) -> Found:
    request, spec = plan.request, plan.spec
    found = reg.call(
        "helioport_find_files",
        spec.name,
        request=request,
        product=product,
        probe=probe,
        ctx=ctx,
    )
    if found is None:
        raise PluginError(
            f"plugin {reg.plugin_name(spec.name)!r} returned None from helioport_find_files "
            f"for its own mission {spec.name!r}"
        )
    if not found:
        what = plan.describe(product, probe)
        if request.offline:
            raise OfflineError(
                f"offline: no cached listing or files for {what}; "
                "go online once for this range, or unset HELIOPORT_OFFLINE / offline=True"
            )
        raise DataNotFoundError(
            f"the archive has no file for {what}. Check the time range and mode "
            f"(modes: {', '.join(spec.modes) or '-'}); `helioport products {spec.name}` lists products."
        )
    policy = request.version
    if policy is not None and policy.kind != "latest" and all(f.version is None for f in found):
        what = plan.describe(product, probe)
        raise InvalidRequestError(
            f"version={_shown(policy)} was asked, but the files of {what} carry no version "
            f"({found[0].name}); leave version out (latest)"
        )
    selected = select_versions(list(found), request.version)
    if not selected:
        what = plan.describe(product, probe)
        raise DataNotFoundError(f"no file version of {what} matches version={request.version}")
    return Found(selected=selected, candidates=list(found))


def _shown(policy: VersionPolicy) -> str:
    """A version policy as the user wrote it: ``'4.18'`` or ``'>=4.18'``."""
    text = ".".join(str(v) for v in policy.value)
    return repr((">=" if policy.kind == "minimum" else "") + text)
