"""Lazy loads: dask-backed DataArrays read file by file on demand, where they are computed.

``helioport.load(..., lazy=True)`` (or ``chunks="file"``) takes the same
request lifecycle as an eager load (plan, find, fetch, derive, assemble:
:mod:`helioport.lifecycle`) and replaces only the read step:

* every missing file is downloaded **up front, by the process that opens the
  load**, in parallel, by the transport: the open must read the times of
  every file (below) to build the time index, so it needs every file once;
* each chunk is read by whoever computes it: this process, or a worker of a
  ``dask.distributed`` client. A chunk task carries its file's place in the
  opening process's cache and what identifies it (size, version and ETag from
  its sidecar: :class:`~helioport.lifecycle.fetch.FileStamp`). The reader uses
  that cached copy when it sees the same file there (the same machine, a
  shared disk); otherwise it fetches the file from where it is (the archive, a
  mirror, an object store: the URL the load found) into **its own cache**, the
  folder its own configuration names (``HELIOPORT_CACHE_DIR`` in the worker's
  environment, the config file, or the default), with the load's offline
  setting, once per cache: workers need no shared file system
  (:func:`~helioport.lifecycle.fetch.files_here`);
* a cached file that fails to read (:class:`~helioport.errors.CorruptFileError`),
  at the open or in a chunk, is moved aside and fetched once more, in the
  cache it is in, as the eager path does
  (:func:`~helioport.lifecycle.read.read_healing`);
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
import functools
import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .cdffile import read_variables
from .config import Config
from .errors import (
    CorruptFileError,
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
from .lifecycle.fetch import FileStamp, LocalFiles, fetch_files, files_here
from .lifecycle.find import Found, find_files
from .lifecycle.plan import Key, Plan, make_plan
from .lifecycle.read import Loaded, read_healing, read_one
from .naming import find_time_dim
from .registry import Registry, get_registry
from .schema import Derivation, MissionSpec, Request
from .transport import LocalFile, Transport

logger = logging.getLogger(__name__)

__all__ = [
    "DOWNLOADS",
    "Opened",
    "check_download",
    "is_lazy",
    "lazy_value",
    "open_files",
    "open_on_worker",
    "read_block",
    "run_lazy",
    "wanted_chunks",
]

#: who fetches the files of a lazy load up front: this process, or a dask worker
DOWNLOADS = ("client", "workers")


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


def check_download(download: str, lazy: bool) -> str:
    """``load(download=...)`` checked: ``"client"`` (default) or, for a lazy load, ``"workers"``.

    Examples
    --------
    >>> check_download("client", False), check_download("workers", True)
    ('client', 'workers')
    """
    if download not in DOWNLOADS:
        raise InvalidRequestError(
            f"download={download!r} is not known; give 'client' (this process fetches the files "
            "up front) or, for a lazy load, 'workers' (a dask.distributed worker opens the load)"
        )
    if download == "workers" and not lazy:
        raise InvalidRequestError(
            "download='workers' is for lazy loads (lazy=True or chunks='file'): an eager load "
            "reads every file in this process, so it fetches them here"
        )
    return download


def run_lazy(
    reg: Registry,
    spec: MissionSpec,
    cfg: Config,
    derivations: dict[str, Derivation],
    request: Request,
    *,
    records: int | None = None,
    download: str = "client",
) -> xr.Dataset:
    """The request lifecycle with a lazy read step: a Dataset of dask-backed variables.

    The open needs the times of every file (they make the time index), so
    every file is fetched and its times read up front: by this process
    (``download="client"``, in parallel, as an eager load does), or, with
    ``download="workers"``, by one worker of the active ``dask.distributed``
    client, into its own cache, this process fetching nothing (listings aside):
    for a client far from the data and workers next to it (the same object
    store region). Each variable then holds one dask chunk per file (or per
    ``records`` records of a larger file: the hook is then called with the file
    and the request narrowed to the chunk's time span), read through the
    plugin's ``helioport_load`` hook when computed, on the machine that
    computes it (from the opening cache when it sees the same file, else
    fetched into its own: :func:`read_block`). Names, attrs and provenance are
    those of the eager load.

    Raises
    ------
    InvalidRequestError
        ``download="workers"`` with no ``dask.distributed`` client active.

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2011-01-01", products="dc_mag", lazy=True)  # doctest: +SKIP
    >>> ds["dc_mag"].sel(time_dc_mag=slice("2010-03-01", "2010-03-08")).compute()  # doctest: +SKIP
    """
    require_dask()
    check_download(download, True)
    client = _active_client() if download == "workers" else None
    wrapped = {k: lazy_derivation(d) for k, d in derivations.items()}
    plan = make_plan(spec, wrapped, request)
    transport = Transport(cfg)
    ctx = transport.context(spec, offline=request.offline)
    found = find_files(reg, plan, ctx)
    shared_reg = None if reg is get_registry() else reg
    if client is not None:
        opened, local = client.submit(open_on_worker, shared_reg, plan, found, pure=False).result()
    else:
        local = fetch_files(transport, plan, found)
        opened = {
            key: open_files(reg, plan, key, _in_time(local, f), local) for key, f in found.items()
        }
    stored: dict[Key, Loaded] = {}
    for key, f in found.items():
        value = lazy_value(shared_reg, plan, key, opened[key], records=records)
        tdim = find_time_dim(value)
        spans = covered_spans(plan.request, f.selected, value[tdim].values)
        covered = describe_gaps(plan.request, spans)
        if covered is not None:
            warn_caller(
                f"{plan.describe(*key)}: the archive's files cover only {covered}; "
                "the result holds that part"
            )
        files = [local[r.relpath] for r in f.selected]  # provenance in the eager load's order
        stored[key] = Loaded(value, files, covered)
    variables = output_variables(plan, stored)
    ds = assemble(plan, variables)
    ds.attrs["chunks"] = "file" if records is None else f"file, at most {records} records"
    return ds


def _in_time(local: Mapping[str, LocalFile], f: Found) -> list[LocalFile]:
    """The selected files of ``f`` in time order (start, then path)."""
    files = [local[r.relpath] for r in f.selected]
    return sorted(files, key=lambda lf: (str(lf.remote.start or ""), lf.remote.relpath))


def open_on_worker(
    registry: Registry | None, plan: Plan, found: dict[Key, Found]
) -> tuple[dict[Key, Opened], dict[str, LocalFile]]:
    """The open of a lazy load, run by a worker (``download="workers"``): the files fetched
    into its own cache (its own configuration, the load's offline setting), the first file and
    the times of the others read there. A top-level function, so that dask ships it."""
    reg = registry or get_registry()
    transport = Transport(Config.load(offline=plan.request.offline))
    local = fetch_files(transport, plan, found)
    opened = {
        key: open_files(reg, plan, key, _in_time(local, f), local, small=True)
        for key, f in found.items()
    }
    return opened, dict(local)


def _active_client() -> Any:
    """The active ``dask.distributed`` client, or an error saying ``download="workers"`` needs one."""
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        raise InvalidRequestError(
            "download='workers' opens the lazy load on a dask.distributed worker, and no "
            "client is active: start one (distributed.Client(...)) first, or leave "
            "download='client' to fetch the files here"
        ) from None


# --------------------------------------------------------------------------- read


@dataclass(frozen=True)
class _Piece:
    """One file of a lazy variable: the file and the times it gives in the request's range."""

    file: FileStamp
    times: np.ndarray
    span: tuple[Any, Any] | None = None  # a record range of the file: the request narrowed


@dataclass(frozen=True)
class Opened:
    """What the open of a lazy load learnt of one (product, probe).

    Attributes
    ----------
    template : what one file gives (dimensions, dtypes, coordinates, attrs),
        the first file's first record only when it travelled from a worker.
    tdim : its time dimension.
    pieces : each file holding records in the range, with its times.
    how : where the times came from: ``"epoch"`` (the CDF's epoch variable) or ``"hook"``.
    value : the whole product read at once, when the files overlap in time.
    """

    template: xr.DataArray | xr.Dataset
    tdim: Hashable
    pieces: list[_Piece]
    how: str
    value: xr.DataArray | xr.Dataset | None = None


def open_files(
    reg: Registry,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
    local: LocalFiles,
    *,
    small: bool = False,
) -> Opened:
    """Read what a lazy (product, probe) needs from its local ``files`` (in time order): the
    first file holding records in the range, and the times of the others.

    ``local`` fetches a file that fails to read once more, and describes each
    file for the chunk reads (:meth:`LocalFiles.stamp`). ``small`` keeps one
    record of the first file as the template (it travels from a worker).
    """
    files = list(files)
    for i, lf in enumerate(files):  # the first file holding records in the range
        try:
            first, (files[i],) = read_healing(reg, plan, key, [lf], local, read_one)
            break
        except DataNotFoundError:
            if i == len(files) - 1:
                raise
    files = files[i:]
    tdim = find_time_dim(first)
    times0 = np.asarray(first[tdim].values, dtype="datetime64[ns]")
    how, others = _times_of_files(reg, plan, key, files, first, times0, local)
    in_files = [(files[0], times0)] + [
        (local[lf.remote.relpath], t) for lf, t in zip(files[1:], others) if t.size
    ]
    pieces = [_Piece(local.stamp(lf), t) for lf, t in in_files]
    template = first.isel({tdim: slice(0, 1)}) if small else first
    all_times = np.concatenate([p.times for p in pieces])
    if all_times.size > 1 and not bool(np.all(all_times[1:] > all_times[:-1])):
        value = read_healing(reg, plan, key, files, local, read_one)[0]
        return Opened(template, tdim, pieces, how, value)
    return Opened(template, tdim, pieces, how)


def lazy_value(
    shared_reg: Registry | None,
    plan: Plan,
    key: Key,
    opened: Opened,
    *,
    records: int | None = None,
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) as dask-backed xarray, one chunk per file (or ``records`` records).

    ``shared_reg`` is the registry the chunk reads use (``None``: the default
    one, rebuilt on each dask worker from the installed plugins).
    """
    if opened.value is not None:
        warn_caller(
            f"{plan.describe(*key)}: the files overlap in time or are out of order; "
            "this product is read eagerly (all files at once) so that the plugin merges them"
        )
        return opened.value
    pieces = opened.pieces
    if records is not None:
        pieces = [q for p in pieces for q in _split(p, records, plan.request)]
    logger.debug(
        "%s: %d lazy chunks, times from the %s", plan.describe(*key), len(pieces), opened.how
    )
    return _assemble_lazy(shared_reg, plan, key, opened.template, opened.tdim, pieces)


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


def _epoch_read(
    epoch: str, reg: Registry, plan: Plan, product: str, probe: str | None, files: list[LocalFile]
) -> np.ndarray:
    """The times of ``files[0]`` from its ``epoch`` variable (a ``read`` of :func:`read_healing`)."""
    return _cdf_times(files[0].path, epoch, plan.request)


def _hook_times(
    reg: Registry, plan: Plan, product: str, probe: str | None, files: list[LocalFile]
) -> np.ndarray:
    """The times the hook gives for ``files`` (a ``read`` of :func:`read_healing`)."""
    try:
        v = read_one(reg, plan, product, probe, files)
    except DataNotFoundError:
        return np.zeros(0, "datetime64[ns]")
    return np.asarray(v[find_time_dim(v)].values, dtype="datetime64[ns]")


def _times_of_files(
    reg: Registry,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
    first: xr.DataArray | xr.Dataset,
    times0: np.ndarray,
    local: LocalFiles,
) -> tuple[str, list[np.ndarray]]:
    """The times ``files[1:]`` give: their epoch variable when, on ``files[0]``, it gives the
    hook's own times ``times0``; else the hook's, file by file. A file that fails to read is
    fetched once more (``local``)."""
    src = _source_variable(first)
    path0 = files[0].path

    def each(read: Callable[..., np.ndarray]) -> list[np.ndarray]:
        return [read_healing(reg, plan, key, [lf], local, read)[0] for lf in files[1:]]

    if src is not None and path0.is_file():
        try:
            epoch = read_variables(path0, [src], support=False)[src].depend_0
            if epoch is not None and np.array_equal(_cdf_times(path0, epoch, plan.request), times0):
                return "epoch", each(functools.partial(_epoch_read, epoch))
        except CorruptFileError:
            raise  # fetched again once already: the hook would meet the same bytes
        except HelioportError as exc:
            logger.info("epoch read for %s failed (%s); times from the hook", key, exc)
    return "hook", each(_hook_times)


def read_block(
    registry: Registry | None,
    plan: Plan,
    key: Key,
    stamp: FileStamp,
    times: tuple[int, np.datetime64, np.datetime64],
    span: tuple[Any, Any] | None = None,
) -> xr.Dataset:
    """One chunk: the hook called with one file (and the request narrowed to ``span`` for a
    record range), checked to give the times announced at the open: ``times`` is their
    number, first and last (not the whole array, which would swell the task graph).

    The file is found on the machine that runs this (:func:`files_here`): the
    opening process's cached copy when it is the same file here, else fetched
    into this process's own cache. A copy that fails to read is moved aside and
    fetched once more (:func:`read_healing`). A top-level function, so that
    dask ships it to workers.
    """
    reg = registry or get_registry()
    if span is not None:
        narrowed = plan.request.model_copy(update={"start": span[0], "end": span[1]})
        plan = replace(plan, request=narrowed)
    here = files_here(stamp)
    lf = here[stamp.local.remote.relpath]
    value = as_dataset(read_healing(reg, plan, key, [lf], here, read_one)[0])
    tdim = find_time_dim(value)
    got = np.asarray(value[tdim].values, dtype="datetime64[ns]")
    if _summary(got) != times:
        raise PluginError(
            f"{plan.describe(*key)}: reading {lf.remote.name} alone gave {got.size} records, "
            f"not the {times[0]} its times announced when the lazy load was opened; has the "
            "archive's file changed since? Open the load again (or load eagerly)"
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
    template: xr.DataArray | xr.Dataset,
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
    return from_blocks(template, tdim, times, blocks, [p.times.size for p in pieces])
