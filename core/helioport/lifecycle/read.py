"""Step 4: the plugin reads each stored product from its local files.

A vector asked for in a frame the archive lacks is read in the frame it has
(:func:`helioport.validation.source_frame`) and transformed
(:func:`helioport.frames.transform`), attrs saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import xarray as xr

from ..cdffile import reading_session
from ..errors import CorruptFileError, DataNotFoundError, PluginError, warn_caller
from ..frames import transform
from ..naming import find_time_dim
from ..registry import Registry
from ..threads import cores, in_threads
from ..transport import LocalFile
from ..validation import source_frame
from .coverage import covered_spans, describe_gaps
from .fetch import server_of
from .find import Found
from .plan import Key, Plan

__all__ = ["Loaded", "read_healing", "read_one", "read_products"]

T = TypeVar("T")


@dataclass(frozen=True)
class Loaded:
    """One product of one probe as the plugin returned it, the files it came from, and the
    part of the asked range they cover when it is not all (``None``: all of it)."""

    value: xr.DataArray | xr.Dataset
    files: list[LocalFile]
    covered: str | None = None


def read_products(
    reg: Registry, plan: Plan, found: dict[Key, Found], local: dict[str, LocalFile]
) -> dict[Key, Loaded]:
    """Read every stored (product, probe) through the plugin's ``helioport_load``.

    A product whose files cover only part of the range is returned with a
    warning naming the span covered (and the ``covered`` attr, set later).
    A cached file that fails to read (:class:`CorruptFileError` naming it) is
    moved aside and fetched once more when ``local`` can do so
    (:class:`~helioport.lifecycle.fetch.LocalFiles`); if the new copy fails
    too, the error names the file and its server.

    Products that share no file are read on up to one thread per core
    (pycdfpp decodes with the GIL released), as if one after the other:
    warnings and the first error come out in order (:func:`~helioport.threads.in_threads`).
    """

    def read_group(keys: list[Key]) -> list[tuple[Key, xr.DataArray | xr.Dataset, list]]:
        out = []
        # products sharing a file open it and read its times once; no other group reads
        # its files, so they are closed (their memory freed) on this thread
        with reading_session(own=True):
            for key in keys:
                files = [local[r.relpath] for r in found[key].selected]
                out.append((key, *read_healing(reg, plan, key, files, local)))
        return out

    groups = _sharing_files(found)
    read = in_threads(read_group, groups, min(len(groups), cores()))
    values = {key: (value, files) for group in read for key, value, files in group}
    out = {}
    for key, f in found.items():
        value, files = values[key]
        tdim = find_time_dim(value)
        spans = covered_spans(plan.request, f.selected, value.coords.variables[tdim].values)
        covered = describe_gaps(plan.request, spans)
        if covered is not None:
            warn_caller(
                f"{plan.describe(*key)}: the archive's files cover only {covered}; "
                "the result holds that part"
            )
        out[key] = Loaded(value, files, covered)
    return out


def _sharing_files(found: dict[Key, Found]) -> list[list[Key]]:
    """The keys in groups that share no file with another group (read on one thread each,
    so that one file is opened, and healed, by one thread), in the order of ``found``."""
    order = {key: n for n, key in enumerate(found)}
    group_of: dict[str, int] = {}  # relpath -> group
    groups: dict[int, list[Key]] = {}
    for n, (key, f) in enumerate(found.items()):
        joined = {group_of[r.relpath] for r in f.selected if r.relpath in group_of}
        g = min(joined, default=n)
        merged = [k for j in joined | {g} for k in groups.pop(j, [])] + [key]
        groups[g] = sorted(merged, key=order.__getitem__)
        for k in groups[g]:
            for r in found[k].selected:
                group_of[r.relpath] = g
    return [groups[g] for g in sorted(groups)]


def read_healing(
    reg: Registry,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
    local: dict[str, LocalFile],
    read: Callable[..., T] | None = None,
) -> tuple[T, list[LocalFile]]:
    """``read(reg, plan, product, probe, files)``, fetching a damaged file once more.

    ``read`` is :func:`read_one` unless given (a lazy load reads only the times
    of a file at its open, or one chunk). When it raises
    :class:`CorruptFileError` naming one of ``files``, that file is moved aside
    and fetched again through ``local.refetch`` (:class:`~.fetch.LocalFiles`),
    and the read is tried once more: each file is fetched again at most once.
    Returns what ``read`` gave and the files, the fetched-again ones replaced.

    Raises
    ------
    CorruptFileError
        The file fails to read even as just downloaded (the archive's copy is
        bad), or ``local`` cannot fetch it again (offline: the message says so).
    """
    fetched_again: set[str] = set()
    while True:
        try:
            return (read or read_one)(reg, plan, *key, files), files
        except CorruptFileError as exc:
            i = _culprit(exc, files)
            if i is None:
                raise
            lf = files[i]
            if lf.remote.relpath in fetched_again:
                raise CorruptFileError(
                    f"{lf.remote.name} from {server_of(lf.remote)} is damaged even as just "
                    f"downloaded ({exc}); the archive's copy is bad: try again later, report it "
                    f"to {server_of(lf.remote)}, or pin another version (version=...)",
                    path=lf.path,
                ) from exc
            refetch = getattr(local, "refetch", None)
            if refetch is None:
                raise
            problem = str(exc).removesuffix("; delete it and download it again")
            warn_caller(
                f"the cached {lf.remote.name} fails to read ({problem}); it is moved aside and "
                f"fetched again from {server_of(lf.remote)}"
            )
            fetched_again.add(lf.remote.relpath)
            files = [*files[:i], refetch(lf, problem), *files[i + 1 :]]


def _culprit(exc: CorruptFileError, files: list[LocalFile]) -> int | None:
    """Which of ``files`` the error is about: its path is the file, or inside an unpacked one."""
    path = getattr(exc, "path", None)
    if path is None:
        return None
    bad = Path(path).resolve()
    for i, lf in enumerate(files):
        here = lf.path.resolve()
        if bad == here or here in bad.parents:
            return i
    return None


def read_one(
    reg: Registry, plan: Plan, product: str, probe: str | None, files: list[LocalFile]
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) from its local files, checked to hold records in the range."""
    name = plan.spec.name
    source = source_frame(plan.spec.product(product), plan.request)
    request = plan.request if source is None else plan.request.model_copy(update={"coords": source})
    value = reg.call(
        "helioport_load",
        name,
        request=request,
        product=product,
        probe=probe,
        paths=[p for f in files for p in f.paths],
    )
    if value is None:
        raise PluginError(f"plugin for {name!r} returned None from helioport_load for {product!r}")
    if not isinstance(value, (xr.DataArray, xr.Dataset)):
        raise PluginError(
            f"helioport_load for {name!r}/{product!r} returned {type(value).__name__}"
        )
    tdim = find_time_dim(value)
    if tdim is None or value.sizes[tdim] == 0:
        raise DataNotFoundError(
            f"{plan.describe(product, probe)}: the files ({', '.join(f.remote.name for f in files)}) "
            "hold no records in the requested range; widen the range or check the data's gaps"
        )
    if source is not None and isinstance(value, xr.DataArray):
        value = transform(value, plan.request.coords, frm=value.attrs.get("coords") or source)
    return value
