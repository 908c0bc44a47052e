"""Derivations on lazy (dask-backed) inputs, block by block, identical to the eager path.

:func:`lazy_derivation` wraps a :class:`~helioport.schema.Derivation`: on
eager inputs it is the derivation itself; on lazy inputs its own eager
function (science stays pure numpy, :mod:`helioport.derive`) is called once
per chunk of its first lazy input, as a dask task. Each task gets the chunks
of every input around its block (:class:`Chunked`: their delayed chunks,
:data:`OVERLAP_SAMPLES` records beyond each edge, what interpolating onto
the block's times needs), so a block reads only the files around it and the
values equal the eager ones. :func:`helioport.lazy.run_lazy` wraps every
derivation of a lazy load this way.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .errors import warn_caller
from .lazyblocks import VALUE, as_dataset, from_blocks, is_lazy, require_dask
from .naming import find_time_dim
from .schema import Derivation

logger = logging.getLogger(__name__)

__all__ = ["OVERLAP_SAMPLES", "Chunked", "derive_block", "lazy_derivation"]

#: records of the other inputs taken beyond each block edge
OVERLAP_SAMPLES = 4


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
    >>> from helioport.registry import get_registry
    >>> d = get_registry().derivations_for("omni")["mag_elev_angle"]  # doctest: +SKIP
    >>> lazy_derivation(d).inputs  # doctest: +SKIP
    ['dc_mag']
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


@dataclass(frozen=True)
class Chunked:
    """A lazy input of a derivation cut at its chunks: what a block needs to rebuild a window.

    ``parts[k]`` is the :class:`dask.delayed.Delayed` of chunk ``k`` (records
    ``edges[k]:edges[k+1]`` along the time axis), ``skeleton`` the DataArray
    with its coordinates and attrs but a placeholder for the data.
    """

    skeleton: xr.DataArray
    tdim: Hashable
    axis: int
    times: np.ndarray
    edges: np.ndarray
    parts: list[Any]

    @classmethod
    def of(cls, da: xr.DataArray) -> Chunked | None:
        tdim = find_time_dim(da)
        if tdim is None or da.chunks is None:
            return None
        if any(c.chunks is not None for n, c in da.coords.items() if n != tdim):
            return None  # lazy coordinates along time: not cut here (the whole input is read)
        axis = da.dims.index(tdim)
        data = da.data.rechunk({i: -1 for i in range(da.ndim) if i != axis})
        blocks = data.to_delayed()
        parts = [blocks[tuple(k if i == axis else 0 for i in range(da.ndim))]
                 for k in range(blocks.shape[axis])]  # fmt: skip
        edges = np.concatenate([[0], np.cumsum(data.chunks[axis])]).astype(np.int64)
        skeleton = xr.DataArray(
            np.zeros((1,) * da.ndim, dtype=da.dtype), dims=da.dims, attrs=dict(da.attrs),
            name=da.name,
        )  # fmt: skip
        times = np.asarray(da[tdim].values, dtype="datetime64[ns]")
        return cls(skeleton, tdim, axis, times, edges, parts)

    def window(self, da: xr.DataArray, t0: Any, t1: Any) -> tuple[dict, list[Any], int, int]:
        """The coords of records ``[i0, i1)`` around ``[t0, t1]`` (plus overlap), the chunks
        holding them, and where the window starts in the first of those chunks."""
        i0 = max(0, int(np.searchsorted(self.times, t0, side="left")) - OVERLAP_SAMPLES)
        i1 = min(
            self.times.size, int(np.searchsorted(self.times, t1, side="right")) + OVERLAP_SAMPLES
        )
        k0 = int(np.searchsorted(self.edges, i0, side="right")) - 1
        k1 = int(np.searchsorted(self.edges, i1, side="left"))
        coords = {n: c.variable for n, c in da.isel({self.tdim: slice(i0, i1)}).coords.items()}
        return coords, self.parts[k0:k1], i0 - int(self.edges[k0]), i1 - i0


def _rebuild(skel: Any, parts: list[np.ndarray]) -> xr.DataArray:
    """A window of an input from the numpy chunks ``parts`` (see :class:`Chunked`)."""
    if not isinstance(skel, tuple):
        return skel  # an eager input, as it is
    template, axis, coords, start, n = skel
    data = np.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0]
    data = np.take(data, np.arange(start, start + n), axis=axis)
    return xr.DataArray(
        data, dims=template.dims, coords=coords, attrs=template.attrs, name=template.name
    )


def derive_block(
    eager: Any,
    skeletons: Mapping[str, Any],
    parts: Mapping[str, Any],
    request: Any,
    t0: Any,
    t1: Any,
) -> xr.Dataset:
    """The eager derivation on one block: the inputs rebuilt over ``[t0, t1]`` (plus overlap)
    from their chunks, the result kept on ``[t0, t1]``. A top-level function, so that dask
    ships it to workers."""
    local: dict[str, Any] = {}
    for k, sk in skeletons.items():
        if isinstance(sk, Mapping):
            local[k] = {p: _rebuild(x, parts[k][p]) for p, x in sk.items()}
        else:
            local[k] = _rebuild(sk, parts[k])
    out = as_dataset(eager(local, request))
    tdim = find_time_dim(out)
    return out.sel({tdim: slice(t0, t1)})


def _block_arguments(
    inputs: Mapping[str, Any], cut: dict[int, Chunked | None], t0: Any, t1: Any
) -> tuple[dict, dict]:
    """``derive_block``'s ``skeletons`` and ``parts`` for the block ``[t0, t1]``."""

    def one(da: Any) -> tuple[Any, list[Any]]:
        c = cut.get(id(da))
        if c is None:
            return (da.compute() if isinstance(da, xr.DataArray) else da), []
        coords, parts, start, n = c.window(da, t0, t1)
        return (c.skeleton, c.axis, coords, start, n), parts

    skeletons: dict[str, Any] = {}
    parts: dict[str, Any] = {}
    for k, v in inputs.items():
        if isinstance(v, Mapping):
            pairs = {p: one(x) for p, x in v.items()}
            skeletons[k] = {p: a for p, (a, _) in pairs.items()}
            parts[k] = {p: b for p, (_, b) in pairs.items()}
        else:
            skeletons[k], parts[k] = one(v)
    return skeletons, parts


def _blockwise(d: Derivation, eager: Any, inputs: Mapping[str, Any], request: Any) -> Any:
    dask = require_dask()

    flat = _flat(inputs)
    lead = next((v for v in flat if is_lazy(v)), flat[0])
    ltdim = find_time_dim(lead)
    lt = np.asarray(lead[ltdim].values, dtype="datetime64[ns]")
    chunks = lead.chunks[lead.dims.index(ltdim)] if lead.chunks else (lt.size,)
    edges = np.concatenate([[0], np.cumsum(chunks)]).astype(int)
    spans = [(lt[a], lt[b - 1]) for a, b in itertools.pairwise(edges) if b > a]
    cut = {id(v): Chunked.of(v) for v in flat}
    uncut = [str(v.name) for v in flat if is_lazy(v) and cut[id(v)] is None]
    if uncut:
        logger.info("%s: inputs %s are read whole for every block", d.name, ", ".join(uncut))
    first = dask.compute(
        dask.delayed(derive_block)(
            eager, *_block_arguments(inputs, cut, *spans[0]), request, *spans[0]
        ),
        scheduler="synchronous",
    )[0]
    tdim = find_time_dim(first)
    ft = np.asarray(first[tdim].values, dtype="datetime64[ns]")
    if tdim is None or not np.array_equal(ft, lt[edges[0] : edges[1]]):
        warn_caller(
            f"derivation {d.name!r}: its result does not follow the times of its input "
            f"{lead.name!r}; it is computed eagerly (all inputs read)"
        )
        return eager(_map_inputs(inputs, lambda da: da.compute()), request)
    # each block gets the chunks of its inputs around its span: only those are read for it
    blocks = [
        dask.delayed(derive_block, pure=False)(
            eager, *_block_arguments(inputs, cut, a, b), request, a, b
        )
        for a, b in spans
    ]
    sizes = [int(b - a) for a, b in itertools.pairwise(edges)]
    template = first[VALUE] if VALUE in first.data_vars else first
    return from_blocks(template, tdim, lt, blocks, sizes, name=d.name)
