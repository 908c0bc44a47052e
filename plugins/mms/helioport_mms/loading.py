"""MMS CDF variables -> labelled DataArrays, one product at a time.

Each file is read once, only the product's variable (the first of its names
the file has, :func:`helioport.cdf.read_first`, plus its support variables
for spectra and distributions) and only the records in ``[start, end)``;
pieces from several files are concatenated in time order without the
duplicate records at file edges. Scalars, vectors and tensors are built and
dressed by the core (:mod:`helioport.dress`); spectra and distributions,
whose axes are MMS-specific, here. Values are kept as stored
(float32 stays float32), fill values become NaN, times are UTC ``datetime64[ns]``.

Output layouts (``V`` is the output variable name, ``{product}_{probe}``):

- ``scalar``: ``(time,)``;
- ``vector``: ``(time, component)``, components ``x, y, z`` (+ ``tot`` for FGM,
  ``w`` for quaternions, scalar last as MEC stores them);
- ``tensor``: ``(time, component_1, component_2)``, rows and columns ``x, y, z``
  (``P[i, j]`` is row ``i``, column ``j`` as in the CDF);
- ``spectrum``: ``(time, energy_bin)`` with the per-record energy table as the
  2-D coordinate ``energy_V`` (eV);
- ``dist``: ``(time, phi_bin, theta_bin, energy_bin)``. FPI L2 files are
  column-major; their ``{p}_d?s_dist_{r}`` is declared with dimensions
  ``[32, 16, 32]`` = ``DEPEND_1`` phi, ``DEPEND_2`` theta, ``DEPEND_3`` energy,
  i.e. its bytes run energy slowest, phi fastest (``[N, 32 energy, 16 theta,
  32 phi]`` read naively row-major). cdflib returns ``[N, phi, theta, energy]``
  (pySPEDAS' ``mms_get_fpi_dist`` documents the same order and transposes to
  ``[time, energy, phi, theta]`` for its particle tools). The axes are matched
  to their ``DEPEND_i`` by name (``*_phi_*``, ``*_theta_*``, ``*_energy_*``)
  and put in the order time, phi, theta, energy. Coordinates: ``phi_V``
  (``[N, 32]`` in burst files, where phi turns with each record, or ``[32]``),
  ``theta_V`` (``[16]``, polar angle of the look direction) and ``energy_V``
  (``[N, 32]``, the time-varying energy table), all in their CDF units.

Coordinate names carry the output variable name so that several
distributions and spectra (probes, species) live in one Dataset.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import xarray as xr
from helioport.cdf import CdfVariable, read_first, to_dataarray
from helioport.dress import dress, from_columns, from_variable
from helioport.errors import InvalidRequestError, PluginError
from helioport.naming import find_time_dim, variable_name
from helioport.schema import Request
from helioport.validation import product_frame

from . import products
from .names import Dataset, parse_name

__all__ = ["DIST_DIMS", "fgm_positions", "load_product"]

DIST_DIMS = ("phi_bin", "theta_bin", "energy_bin")
_ROLES = {"phi": "phi_bin", "theta": "theta_bin", "energy": "energy_bin"}


def _rename_depends(
    da: xr.DataArray, var: CdfVariable, roles: dict[int, str], vname: str
) -> xr.DataArray:
    renames = {}
    for axis, role in roles.items():
        dep = var.depends.get(axis)
        if dep is not None and dep.name in da.coords:
            renames[dep.name] = f"{role}_{vname}"
    da = da.rename(renames)
    for old, new in renames.items():
        da[new].attrs["source_variable"] = old
    return da


def _spectrum(var: CdfVariable, prod: products.Product, vname: str) -> xr.DataArray:
    if var.data.ndim != 2:
        raise PluginError(
            f"{var.name} has shape {var.data.shape}; {prod.spec.name} needs [N, energies]"
        )
    da = to_dataarray(var, dims=["energy_bin"])
    return _rename_depends(da, var, {1: "energy"}, vname)


def _role(dep: CdfVariable | None) -> str | None:
    if dep is None:
        return None
    name = dep.name.lower()
    hits = [r for r in _ROLES if f"_{r}" in name]
    return hits[0] if len(hits) == 1 else None


def _dist(var: CdfVariable, prod: products.Product, vname: str) -> xr.DataArray:
    if var.data.ndim != 4:
        raise PluginError(
            f"{var.name} has shape {var.data.shape}; {prod.spec.name} needs [N, phi, theta, energy]"
        )
    roles = {axis: _role(var.depends.get(axis)) for axis in (1, 2, 3)}
    if sorted(r for r in roles.values() if r) != sorted(_ROLES):
        roles = {1: "phi", 2: "theta", 3: "energy"}  # the real files' order (module docstring)
    da = to_dataarray(var, dims=[_ROLES[roles[axis]] for axis in (1, 2, 3)])
    da = _rename_depends(da, var, roles, vname)
    return da.transpose("time", *DIST_DIMS)


#: layouts the core's :func:`helioport.dress.from_variable` does not build
_BUILDERS = {"spectrum": _spectrum, "table": _spectrum, "dist": _dist}


def load_product(
    request: Request, product: str, probe: str, paths: list[Path]
) -> xr.DataArray | xr.Dataset:
    """Load ``product`` of ``probe`` from local MMS files, restricted to the request's range.

    Parameters
    ----------
    request
        The validated request (mode, coords, options ``quat_frame``, ``mec_datatype``).
    product
        An MMS product name.
    probe
        ``mms1`` .. ``mms4``.
    paths
        The product's files (any order).

    Returns
    -------
    xarray.DataArray or xarray.Dataset
        Named ``product``, dimension ``time`` first (see the module docstring
        for the other dimensions), attrs ``units``, ``coords`` (frame),
        ``instrument``, ``dataset``, ``data_rate``, ``source_variable`` and the
        file's ISTP attributes. With the option ``positions=True``, ``dc_mag``
        comes as a Dataset of ``dc_mag`` and ``dc_mag_pos`` (:func:`fgm_positions`).

    Examples
    --------
    >>> da = load_product(request, "dc_mag", "mms1", [path])  # doctest: +SKIP
    >>> da.sel(component="tot")  # doctest: +SKIP
    """
    prod = products.BY_NAME[product]
    frame = product_frame(prod.spec, request)
    if product == "sc_pos" and products.position_source(request) == "fgm":
        return _fgm_sc_pos(request, prod, probe, frame, paths)
    asked = products.archive_rate(prod, request.mode)
    rate = _files_rate(paths) or asked
    names = products.variable_names(prod, probe, rate, frame)
    support = prod.layout in _BUILDERS
    var = read_first(list(paths), names, start=request.start, end=request.end, support=support)
    dataset = Dataset(probe, prod.instrument, rate, "l2", products.descriptor(prod, request))
    extra = {"data_rate": rate}
    if rate != asked:
        extra["rate_fallback"] = (
            f"no {Dataset(probe, prod.instrument, asked, 'l2', dataset.descriptor).logical_source} "
            f"file for the request: {dataset.logical_source} ({rate}) used instead"
        )
    if prod.layout == "quat":
        extra["quaternion"] = (
            f"rotation ECI -> {frame.upper()}, components (x, y, z, w), scalar last"
        )
    if prod.layout in _BUILDERS:
        if var.time is None:
            raise PluginError(f"{var.name} in {var.source} has no time axis (DEPEND_0)")
        da = _BUILDERS[prod.layout](var, prod, variable_name(product, probe))
        da = dress(
            da,
            prod.spec,
            frame=frame,
            dataset=dataset.logical_source,
            source_variable=var.name,
            **extra,
        )
    else:
        da = from_variable(var, prod.spec, frame=frame, dataset=dataset.logical_source, **extra)
    if request.options.get("positions") is True and prod.instrument == "fgm":
        pos = fgm_positions(list(paths), probe, rate, frame, start=request.start, end=request.end)
        return xr.Dataset({product: da, f"{product}_pos": pos}, attrs={"product": product})
    return da


def _files_rate(paths: list[Path]) -> str | None:
    """The data rate in the names of ``paths`` when they agree (a fallback shows here)."""
    rates = {_rate(os.path.basename(p)) for p in paths} - {None}
    return rates.pop() if len(rates) == 1 else None


@functools.lru_cache(maxsize=4096)
def _rate(name: str) -> str | None:
    """The data rate in an MMS file name (names parsed once: a warm load reads the same files)."""
    f = parse_name(name)
    return None if f is None else f.dataset.rate


def _fgm_sc_pos(
    request: Request, prod: products.Product, probe: str, frame: str | None, paths: list[Path]
) -> xr.DataArray:
    """``sc_pos`` from the FGM files (option ``positions="fgm"``): x, y, z in GSE or GSM, km."""
    if frame not in ("gse", "gsm"):
        raise InvalidRequestError(
            f"positions='fgm': the FGM files hold positions in gse and gsm only, not {frame!r}; "
            "ask for coords='gse' or 'gsm', or leave positions to 'mec' (the MEC ephemeris)"
        )
    rate = _files_rate(paths) or products.archive_rate(products.BY_NAME["dc_mag"], request.mode)
    pos = fgm_positions(list(paths), probe, rate, frame, start=request.start, end=request.end)
    xyz = pos.sel(component=["x", "y", "z"]).values
    return from_columns(
        prod.spec,
        pos[find_time_dim(pos)].values,
        [xyz[:, 0], xyz[:, 1], xyz[:, 2]],
        frame=frame,
        dataset=Dataset(probe, "fgm", rate).logical_source,
        source_variable=pos.attrs["source_variable"],
        data_rate=rate,
        position_source=(
            "FGM files (option positions='fgm'): the position they carry, every 30 s; "
            "the distance column left out"
        ),
        instrument="fgm",
    )


def fgm_positions(
    paths: list[Path], probe: str, rate: str, frame: str | None, *, start=None, end=None
) -> xr.DataArray:
    """The spacecraft position the FGM files carry, ``{p}_fgm_r_{gse|gsm}_{rate}_l2`` (km, 30 s).

    ``frame`` ``gsm`` gives GSM, any other GSE (the files hold only these two).
    The time dimension is ``time_pos`` (``Epoch_state``, not the field's
    ``Epoch``); components ``x, y, z, tot`` (``tot`` is the distance).
    """
    f = "gsm" if frame == "gsm" else "gse"
    var = read_first(paths, [f"{probe}_fgm_r_{f}_{rate}_l2"], start=start, end=end)
    if var.data.ndim != 2 or var.data.shape[1] != 4:
        raise PluginError(f"{var.name} has shape {var.data.shape}; expected [N, 4] (x, y, z, r)")
    da = to_dataarray(var, time_dim="time_pos", component_labels=["x", "y", "z", "tot"])
    da.attrs.update(
        units=da.attrs.get("units") or "km",
        coords=f,
        instrument="fgm",
        description="Spacecraft position from the FGM files (30 s)",
        source_variable=var.name,
    )
    da.name = "dc_mag_pos"
    return da
