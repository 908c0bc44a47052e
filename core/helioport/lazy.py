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
(:func:`lazy_derivation`): the derivation's own eager function is called on
each block with the other inputs sliced around it (an overlap of a few of
their samples), so results are identical to the eager path.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
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

__all__ = ["is_lazy", "lazy_derivation", "run_lazy", "wanted_chunks"]

#: samples of the other inputs taken beyond each block edge by :func:`lazy_derivation`
OVERLAP_SAMPLES = 4
_VALUE = "__helioport_value__"


def wanted_chunks(chunks: Any, lazy: bool | None) -> bool:
    """Whether ``load(chunks=..., lazy=...)`` asks for a lazy load; refuses what is not known.

    ``chunks`` may be ``None`` (eager unless ``lazy=True``), ``"file"`` or
    ``"auto"`` (one chunk per file).

    Examples
    --------
    >>> wanted_chunks("file", None), wanted_chunks(None, True), wanted_chunks(None, None)
    (True, True, False)
    """
    if chunks not in (None, "file", "auto"):
        raise InvalidRequestError(
            f"chunks={chunks!r} is not known; helioport chunks lazy loads one chunk per file: "
            "give chunks='file' (or 'auto', the same), lazy=True, or leave both out for an eager load"
        )
    if lazy is False and chunks is not None:
        raise InvalidRequestError(
            f"lazy=False contradicts chunks={chunks!r}; give one of them (chunks='file' is lazy)"
        )
    return bool(lazy) or chunks is not None


def is_lazy(obj: xr.Dataset | xr.DataArray) -> bool:
    """Whether any variable of ``obj`` is dask-backed (not yet read).

    Examples
    --------
    >>> is_lazy(xr.DataArray(np.zeros(3)))
    False
    """
    if isinstance(obj, xr.DataArray):
        return obj.chunks is not None
    return any(v.chunks is not None for v in obj.variables.values())


def _dask() -> Any:
    try:
        import dask
        import dask.array  # noqa: F401
    except ImportError:
        raise InvalidRequestError(
            "a lazy load (lazy=True / chunks='file') needs dask: pip install 'helioport[dask]' "
            "(or 'dask[array]'), or load eagerly"
        ) from None
    return dask


def run_lazy(
    reg: Registry,
    spec: MissionSpec,
    cfg: Config,
    derivations: dict[str, Derivation],
    request: Request,
) -> xr.Dataset:
    """The request lifecycle with a lazy read step: a Dataset of dask-backed variables.

    Files are fetched up front (in parallel, as an eager load does); each
    variable then holds one dask chunk per file, read through the plugin's
    ``helioport_load`` hook when computed. Names, attrs and provenance are
    those of the eager load.

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2011-01-01", products="dc_mag", lazy=True)  # doctest: +SKIP
    >>> ds["dc_mag"].sel(time_dc_mag=slice("2010-03-01", "2010-03-08")).compute()  # doctest: +SKIP
    """
    _dask()
    wrapped = {k: lazy_derivation(d) for k, d in derivations.items()}
    plan = make_plan(spec, wrapped, request)
    transport = Transport(cfg)
    ctx = transport.context(spec, offline=request.offline)
    found = find_files(reg, plan, ctx)
    local = fetch_files(transport, plan, found)
    shared_reg = None if reg is get_registry() else reg
    stored: dict[Key, Loaded] = {}
    for key, f in found.items():
        files = sorted(
            (local[r.relpath] for r in f.selected),
            key=lambda lf: (str(lf.remote.start or ""), lf.remote.relpath),
        )
        value = lazy_read(reg, shared_reg, plan, key, files)
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
    ds.attrs["chunks"] = "file"
    return ds


# --------------------------------------------------------------------------- read


@dataclass(frozen=True)
class _Piece:
    """One file of a lazy variable: the file and the times it gives in the request's range."""

    file: LocalFile
    times: np.ndarray


def lazy_read(
    reg: Registry,
    shared_reg: Registry | None,
    plan: Plan,
    key: Key,
    files: list[LocalFile],
) -> xr.DataArray | xr.Dataset:
    """One (product, probe) as dask-backed xarray, one chunk per file.

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
    logger.debug("%s: %d lazy chunks, times from the %s", plan.describe(*key), len(pieces), how)
    return _assemble_lazy(shared_reg, plan, key, first, tdim, pieces)


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


def _as_dataset(value: xr.DataArray | xr.Dataset) -> xr.Dataset:
    if isinstance(value, xr.Dataset):
        return value
    return value.to_dataset(name=_VALUE)


def _from_dataset(
    ds: xr.Dataset, like: xr.DataArray | xr.Dataset
) -> xr.DataArray | xr.Dataset:
    if isinstance(like, xr.Dataset):
        return ds
    da = ds[_VALUE]
    da.name = like.name
    da.attrs = dict(like.attrs)
    return da


def read_block(
    registry: Registry | None,
    plan: Plan,
    key: Key,
    lf: LocalFile,
    times: np.ndarray,
) -> xr.Dataset:
    """One chunk: the hook called with one file, checked to give exactly ``times``.

    A top-level function, so that dask ships it to workers.
    """
    reg = registry or get_registry()
    value = _as_dataset(read_one(reg, plan, key[0], key[1], [lf]))
    tdim = find_time_dim(value)
    got = np.asarray(value[tdim].values, dtype="datetime64[ns]")
    if not np.array_equal(got, times):
        raise PluginError(
            f"{plan.describe(*key)}: reading {lf.remote.name} alone gave {got.size} records, "
            f"not the {times.size} its times announced when the lazy load was opened; has the "
            "cached file changed? Open the load again (or load eagerly)"
        )
    return value


def _pick(block: xr.Dataset, name: Hashable) -> np.ndarray:
    return np.asarray(block[name].values)


def _assemble_lazy(
    shared_reg: Registry | None,
    plan: Plan,
    key: Key,
    first: xr.DataArray | xr.Dataset,
    tdim: Hashable,
    pieces: list[_Piece],
) -> xr.DataArray | xr.Dataset:
    dask = _dask()
    import dask.array as dsa

    template = _as_dataset(first)
    blocks = [
        dask.delayed(read_block, pure=True)(shared_reg, plan, key, p.file, p.times) for p in pieces
    ]
    times = np.concatenate([p.times for p in pieces])
    variables: dict[Hashable, xr.Variable] = {}
    for name, var in template.variables.items():
        if name == tdim or tdim not in var.dims:
            continue
        axis = var.dims.index(tdim)
        arrays = []
        for p, block in zip(pieces, blocks):
            shape = list(var.shape)
            shape[axis] = p.times.size
            arrays.append(
                dsa.from_delayed(
                    dask.delayed(_pick, pure=True)(block, name), tuple(shape), dtype=var.dtype
                )
            )
        data = dsa.concatenate(arrays, axis=axis) if len(arrays) > 1 else arrays[0]
        variables[name] = xr.Variable(var.dims, data, attrs=dict(var.attrs))
    coords = {
        n: c.variable for n, c in template.coords.items() if n != tdim and tdim not in c.dims
    }
    coords[tdim] = xr.Variable((tdim,), times, attrs=dict(template[tdim].attrs))
    data_vars = {n: v for n, v in variables.items() if n in template.data_vars}
    coords.update({n: v for n, v in variables.items() if n not in template.data_vars})
    ds = xr.Dataset(data_vars, coords=coords, attrs=dict(template.attrs))
    ds = ds[list(template.data_vars)]
    for n in template.data_vars:
        ds[n].attrs = dict(template[n].attrs)
    return _from_dataset(ds, first)


# --------------------------------------------------------------------------- derive


def lazy_derivation(d: Derivation) -> Derivation:
    """``d`` run block by block when its inputs are dask-backed; unchanged on eager inputs.

    The derivation's eager function is called on block 0 to learn the
    result's dimensions and attrs, then once per chunk of its first input
    whose times the result follows, the other inputs sliced to the block's
    span plus :data:`OVERLAP_SAMPLES` of their own samples each side (what
    interpolation onto the block's times needs), so every value equals the
    eager one. A derivation whose result follows none of its inputs' times
    is computed eagerly, with a warning.

    Examples
    --------
    >>> from helioport.derive.elevation import MAG_ELEV_ANGLE  # doctest: +SKIP
    >>> lazy = lazy_derivation(MAG_ELEV_ANGLE)  # doctest: +SKIP
    """
    eager = d.function

    def function(inputs: Mapping[str, Any], request: Any = None) -> Any:
        if not any(is_lazy(v) for v in _flat(inputs)):
            return eager(inputs, request)
        return _blockwise(d, eager, inputs, request)

    function.__name__ = getattr(eager, "__name__", d.name)
    function.__doc__ = getattr(eager, "__doc__", None)
    return d.model_copy(update={"function": function})


def _flat(inputs: Mapping[str, Any]) -> list[xr.DataArray]:
    out = []
    for v in inputs.values():
        if isinstance(v, Mapping):
            out += list(v.values())
        else:
            out.append(v)
    return out


def _map_inputs(inputs: Mapping[str, Any], fn: Any) -> dict[str, Any]:
    return {
        k: ({p: fn(x) for p, x in v.items()} if isinstance(v, Mapping) else fn(v))
        for k, v in inputs.items()
    }


def _window(da: xr.DataArray, t0: np.datetime64, t1: np.datetime64) -> xr.DataArray:
    """``da`` over ``[t0, t1]`` plus :data:`OVERLAP_SAMPLES` of its samples each side."""
    tdim = find_time_dim(da)
    if tdim is None:
        return da
    t = np.asarray(da[tdim].values, dtype="datetime64[ns]")
    i0 = max(0, int(np.searchsorted(t, t0, side="left")) - OVERLAP_SAMPLES)
    i1 = min(t.size, int(np.searchsorted(t, t1, side="right")) + OVERLAP_SAMPLES)
    return da.isel({tdim: slice(i0, i1)})


def derive_block(
    eager: Any, inputs: Mapping[str, Any], request: Any, t0: Any, t1: Any
) -> xr.Dataset:
    """The eager derivation on one block: inputs computed over ``[t0, t1]`` (plus overlap),
    the result kept on ``[t0, t1]``. A top-level function, so that dask ships it."""
    local = _map_inputs(inputs, lambda da: _window(da, t0, t1).compute())
    out = _as_dataset(eager(local, request))
    tdim = find_time_dim(out)
    return out.sel({tdim: slice(t0, t1)})


def _blockwise(d: Derivation, eager: Any, inputs: Mapping[str, Any], request: Any) -> Any:
    dask = _dask()
    import dask.array as dsa

    flat = _flat(inputs)
    lead = next((v for v in flat if is_lazy(v)), flat[0])
    ltdim = find_time_dim(lead)
    lt = np.asarray(lead[ltdim].values, dtype="datetime64[ns]")
    chunks = lead.chunks[lead.dims.index(ltdim)] if lead.chunks else (lt.size,)
    edges = np.concatenate([[0], np.cumsum(chunks)]).astype(int)
    spans = [(lt[a], lt[b - 1]) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    first = derive_block(eager, inputs, request, *spans[0])
    tdim = find_time_dim(first)
    ft = np.asarray(first[tdim].values, dtype="datetime64[ns]")
    if tdim is None or not np.array_equal(ft, lt[edges[0] : edges[1]]):
        warn_caller(
            f"derivation {d.name!r}: its result does not follow the times of its input "
            f"{lead.name!r}; it is computed eagerly (all inputs read)"
        )
        return eager(_map_inputs(inputs, lambda da: da.compute()), request)
    # each block gets its own lazy window of the inputs: only that part is read for it
    blocks = [
        dask.delayed(derive_block, pure=True)(
            eager, _map_inputs(inputs, lambda da, a=a, b=b: _window(da, a, b)), request, a, b
        )
        for a, b in spans
    ]
    variables = {}
    for name, var in first.variables.items():
        if name == tdim or tdim not in var.dims:
            continue
        axis = var.dims.index(tdim)
        arrays = []
        for (a, b), block in zip(zip(edges[:-1], edges[1:]), blocks):
            shape = list(var.shape)
            shape[axis] = int(b - a)
            arrays.append(
                dsa.from_delayed(
                    dask.delayed(_pick, pure=True)(block, name), tuple(shape), dtype=var.dtype
                )
            )
        variables[name] = xr.Variable(
            var.dims, dsa.concatenate(arrays, axis=axis), attrs=dict(var.attrs)
        )
    coords = {n: c.variable for n, c in first.coords.items() if tdim not in c.dims}
    coords[tdim] = xr.Variable((tdim,), lt, attrs=dict(first[tdim].attrs))
    data_vars = {n: v for n, v in variables.items() if n in first.data_vars}
    coords.update({n: v for n, v in variables.items() if n not in first.data_vars})
    ds = xr.Dataset(data_vars, coords=coords, attrs=dict(first.attrs))
    for n in first.data_vars:
        ds[n].attrs = dict(first[n].attrs)
    if _VALUE in ds.data_vars:
        da = ds[_VALUE]
        da.name = d.name
        return da
    return ds
