"""Lazy loads: dask-backed DataArrays read file by file from the cache on demand.

``helioport.load(..., lazy=True)`` (or ``chunks="file"``) takes the same
request lifecycle as an eager load (plan, find, fetch, derive, assemble:
:mod:`helioport.lifecycle`) and replaces only the read step:

* every missing file is downloaded **up front**, in parallel, by the
  transport (files are then read by whoever computes: this process, or the
  workers of a ``dask.distributed`` client, which must see the same cache
  folder — a shared file system, or each worker's ``HELIOPORT_CACHE_DIR``
  pointing at a mirror of it);
* the first file of each product is read eagerly through the plugin's
  ``helioport_load`` hook, to learn the dimensions, dtype, coordinates and
  attrs;
* the time coordinate must be known to slice lazily, so the times of every
  other file are read eagerly, and only the times: for CDF files the
  ``DEPEND_0`` epoch variable of the product's ``source_variable`` (a few
  hundred kB per month of 1-min data), checked against the hook's own times
  on the first file; for other files (or when the check fails) the hook is
  called file by file and only the times kept (logged at DEBUG level);
* each variable is one dask array, **one chunk per file**, each chunk a call
  of the hook with that single file, checked to give exactly the times
  announced (a :class:`~helioport.errors.PluginError` otherwise).

Derivations run block by block on their first input's chunks
(:func:`helioport.lazyderive.lazy_derivation`): the derivation's own eager
function is called on each block with the other inputs sliced around it (an
overlap of a few of their samples), so results are identical to the eager path.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .cdffile import read_variables
from .config import Config
from .errors import (
    DataNotFoundError,
    HelioportError,
    InvalidRequestError,
    PluginError,
    warn_caller,
)
from .lazyblocks import as_dataset, from_blocks, is_lazy, require_dask
from .lazyderive import lazy_derivation
from .lifecycle.assemble import assemble
from .lifecycle.coverage import covered_spans, describe_gaps
from .lifecycle.derive import output_variables
from .lifecycle.fetch import fetch_files
from .lifecycle.find import find_files
from .lifecycle.plan import Key, Plan, make_plan
from .lifecycle.read import Loaded, read_one
from .naming import find_time_dim
from .registry import Registry, get_registry
from .schema import Derivation, MissionSpec, Request
from .transport import LocalFile, Transport

logger = logging.getLogger(__name__)

__all__ = ["is_lazy", "lazy_read", "read_block", "run_lazy", "wanted_chunks"]


def wanted_chunks(chunks: Any, lazy: bool | None) -> bool:
    """Whether ``load(chunks=..., lazy=...)`` asks for a lazy load; refuses what is not known.

    ``chunks`` may be ``None`` (eager unless ``lazy=True``), ``"file"`` or
    ``"auto"`` (one chunk per file), or a number of records: files holding
    more are cut into chunks of at most that many records.

    Examples
    --------
    >>> wanted_chunks("file", None), wanted_chunks(None, True), wanted_chunks(None, None)
    (True, True, False)
    >>> wanted_chunks(100_000, None)
    True
    """
    records = isinstance(chunks, int) and not isinstance(chunks, bool) and chunks > 0
    if chunks not in (None, "file", "auto") and not records:
        raise InvalidRequestError(
            f"chunks={chunks!r} is not known; helioport chunks lazy loads one chunk per file: "
            "give chunks='file' (or 'auto', the same), a number of records per chunk for large "
            "files (chunks=100_000), lazy=True, or leave both out for an eager load"
        )
    if lazy is False and chunks is not None:
        raise InvalidRequestError(
            f"lazy=False contradicts chunks={chunks!r}; give one of them (chunks='file' is lazy)"
        )
    return bool(lazy) or chunks is not None


def run_lazy(
    reg: Registry,
    spec: MissionSpec,
    cfg: Config,
    derivations: dict[str, Derivation],
    request: Request,
    *,
    records: int | None = None,
) -> xr.Dataset:
    """The request lifecycle with a lazy read step: a Dataset of dask-backed variables.

    Files are fetched up front (in parallel, as an eager load does); each
    variable then holds one dask chunk per file (or per ``records`` records
    of a larger file: the hook is then called with the file and the request
    narrowed to the chunk's time span), read through the plugin's
    ``helioport_load`` hook when computed. Names, attrs and provenance are
    those of the eager load.

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2011-01-01", products="dc_mag", lazy=True)  # doctest: +SKIP
    >>> ds["dc_mag"].sel(time_dc_mag=slice("2010-03-01", "2010-03-08")).compute()  # doctest: +SKIP
    """
    require_dask()
    wrapped = {k: lazy_derivation(d) for k, d in derivations.items()}
    plan = make_plan(spec, wrapped, request)
    transport = Transport(cfg)
    ctx = transport.context(spec, offline=request.offline)
    found = find_files(reg, plan, ctx)
    local = fetch_files(transport, plan, found)
    shared_reg = None if reg is get_registry() else reg
    stored: dict[Key, Loaded] = {}
    for key, f in found.items():
        files = [local[r.relpath] for r in f.selected]  # provenance in the eager load's order
        in_time = sorted(files, key=lambda lf: (str(lf.remote.start or ""), lf.remote.relpath))
        value = lazy_read(reg, shared_reg, plan, key, in_time, records=records)
        tdim = find_time_dim(value)
        spans = covered_spans(plan.request, f.selected, value[tdim].values)
        covered = describe_gaps(plan.request, spans)
        if covered is not None:
            warn_caller(
                f"{plan.describe(*key)}: the archive's files cover only {covered}; "
                "the result holds that part"
            )
        stored[key] = Loaded(value, files, covered)
    variables = output_variables(plan, stored)
    ds = assemble(plan, variables)
    ds.attrs["chunks"] = "file" if records is None else f"file, at most {records} records"
    return ds


# --------------------------------------------------------------------------- read


@dataclass(frozen=True)
class _Piece:
    """One file of a lazy variable: the file and the times it gives in the request's range."""

    file: LocalFile
    times: np.ndarray
    span: tuple[Any, Any] | None = None  # a record range of the file: the request narrowed


def lazy_read(
    reg: Registry,
    shared_reg: Registry | None,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
    *,
    records: int | None = None,
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) as dask-backed xarray, one chunk per file (or ``records`` records).

    ``shared_reg`` is the registry the chunk reads use (``None``: the default
    one, rebuilt on each dask worker from the installed plugins).
    """
    product, probe = key
    for i, lf in enumerate(files):  # the first file holding records in the range
        try:
            first = read_one(reg, plan, product, probe, [lf])
            break
        except DataNotFoundError:
            if i == len(files) - 1:
                raise
    files = files[i:]
    tdim = find_time_dim(first)
    times0 = np.asarray(first[tdim].values, dtype="datetime64[ns]")
    how, others = _times_of_files(reg, plan, key, files, first, times0)
    pieces = [_Piece(files[0], times0)] + [
        _Piece(lf, t) for lf, t in zip(files[1:], others) if t.size
    ]
    all_times = np.concatenate([p.times for p in pieces]) if pieces else times0
    if all_times.size > 1 and not bool(np.all(all_times[1:] > all_times[:-1])):
        warn_caller(
            f"{plan.describe(product, probe)}: the files overlap in time or are out of order; "
            "this product is read eagerly (all files at once) so that the plugin merges them"
        )
        return read_one(reg, plan, product, probe, files)
    if records is not None:
        pieces = [q for p in pieces for q in _split(p, records, plan.request)]
    logger.debug("%s: %d lazy chunks, times from the %s", plan.describe(*key), len(pieces), how)
    return _assemble_lazy(shared_reg, plan, key, first, tdim, pieces)


def _as_datetime(t: np.datetime64, like: dt.datetime) -> dt.datetime:
    """``t`` as a datetime (floored to the microsecond) with ``like``'s time zone."""
    out = pd.Timestamp(t).floor("us").to_pydatetime()
    return out.replace(tzinfo=like.tzinfo)


def _split(p: _Piece, records: int, request: Request) -> list[_Piece]:
    """``p`` cut into record ranges of at most ``records``, each its own time span
    ``[first time, next range's first time)``, the last one ending at the request's end."""
    n = p.times.size
    if n <= records:
        return [p]
    out = []
    for a in range(0, n, records):
        b = min(n, a + records)
        start = _as_datetime(p.times[a], request.start)
        end = request.end if b == n else _as_datetime(p.times[b], request.end)
        out.append(_Piece(p.file, p.times[a:b], (start, end)))
    return out


def _source_variable(first: xr.DataArray | xr.Dataset) -> str | None:
    das = [first] if isinstance(first, xr.DataArray) else list(first.data_vars.values())
    for da in das:
        src = da.attrs.get("source_variable")
        if isinstance(src, (list, tuple)):
            src = src[0] if src else None
        if isinstance(src, str) and src.strip():
            return src.split(",")[0].strip()
    return None


def _cdf_times(path: Any, epoch: str, request: Request) -> np.ndarray:
    var = read_variables(path, [epoch], start=request.start, end=request.end, support=False)
    return np.asarray(var[epoch].data, dtype="datetime64[ns]").reshape(-1)


def _times_of_files(
    reg: Registry,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
    first: xr.DataArray | xr.Dataset,
    times0: np.ndarray,
) -> tuple[str, list[np.ndarray]]:
    """The times ``files[1:]`` give: their epoch variable when, on ``files[0]``, it gives the
    hook's own times ``times0``; else the hook's, file by file."""
    src = _source_variable(first)
    path0 = files[0].path
    if src is not None and path0.is_file():
        try:
            epoch = read_variables(path0, [src], support=False)[src].depend_0
            if epoch is not None and np.array_equal(_cdf_times(path0, epoch, plan.request), times0):
                return "epoch", [_cdf_times(lf.path, epoch, plan.request) for lf in files[1:]]
        except HelioportError as exc:
            logger.info("epoch read for %s failed (%s); times from the hook", key, exc)
    out = []
    for lf in files[1:]:
        try:
            v = read_one(reg, plan, key[0], key[1], [lf])
        except DataNotFoundError:
            out.append(np.zeros(0, "datetime64[ns]"))
            continue
        out.append(np.asarray(v[find_time_dim(v)].values, dtype="datetime64[ns]"))
    return "hook", out


def read_block(
    registry: Registry | None,
    plan: Plan,
    key: Key,
    lf: LocalFile,
    times: tuple[int, np.datetime64, np.datetime64],
    span: tuple[Any, Any] | None = None,
) -> xr.Dataset:
    """One chunk: the hook called with one file (and the request narrowed to ``span`` for a
    record range), checked to give the times announced at the open: ``times`` is their
    number, first and last (not the whole array, which would swell the task graph).

    A top-level function, so that dask ships it to workers.
    """
    reg = registry or get_registry()
    if span is not None:
        narrowed = plan.request.model_copy(update={"start": span[0], "end": span[1]})
        plan = replace(plan, request=narrowed)
    value = as_dataset(read_one(reg, plan, key[0], key[1], [lf]))
    tdim = find_time_dim(value)
    got = np.asarray(value[tdim].values, dtype="datetime64[ns]")
    if _summary(got) != times:
        raise PluginError(
            f"{plan.describe(*key)}: reading {lf.remote.name} alone gave {got.size} records, "
            f"not the {times[0]} its times announced when the lazy load was opened; has the "
            "cached file changed? Open the load again (or load eagerly)"
        )
    return value


def _summary(times: np.ndarray) -> tuple[int, np.datetime64 | None, np.datetime64 | None]:
    """Number, first and last of ``times``: what a chunk's read is checked against."""
    if times.size == 0:
        return (0, None, None)
    return (int(times.size), times[0], times[-1])


def _assemble_lazy(
    shared_reg: Registry | None,
    plan: Plan,
    key: Key,
    first: xr.DataArray | xr.Dataset,
    tdim: Hashable,
    pieces: list[_Piece],
) -> xr.DataArray | xr.Dataset:
    dask = require_dask()
    plan_d = dask.delayed(plan, pure=False)  # one copy of the plan in the graph
    blocks = [
        dask.delayed(read_block, pure=False)(
            shared_reg, plan_d, key, p.file, _summary(p.times), p.span
        )
        for p in pieces
    ]
    times = np.concatenate([p.times for p in pieces])
    return from_blocks(first, tdim, times, blocks, [p.times.size for p in pieces])
