"""The public API and the one request lifecycle all data takes (DESIGN §2).

``load()`` validates the request, finds the plugin, resolves derived products
into their inputs, lists the archive files, picks versions, fetches what is
missing or stale, loads each product through its plugin, runs derivations and
assembles one :class:`xarray.Dataset` with provenance.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from . import __version__
from .cdf import reading_session
from .config import Config
from .errors import (
    DataNotFoundError,
    DerivationError,
    InvalidRequestError,
    OfflineError,
    PluginError,
)
from .registry import Registry, get_registry
from .schema import Derivation, MissionSpec, ProductSpec, RemoteFile, Request
from .times import format_time
from .transport import LocalFile, Transport, select_versions

__all__ = ["load", "load_data", "mission_info", "missions", "products"]

log = logging.getLogger(__name__)

_Key = tuple[str, "str | None"]  # (product, probe)


def missions(*, registry: Registry | None = None) -> list[str]:
    """Names of the installed missions.

    Examples
    --------
    >>> import helioport
    >>> "omni" in helioport.missions()  # doctest: +SKIP
    True
    """
    return sorted((registry or get_registry()).missions())


def mission_info(mission: str, *, registry: Registry | None = None) -> MissionSpec:
    """The :class:`~helioport.schema.MissionSpec` of an installed mission."""
    return (registry or get_registry()).mission(mission)


def products(mission: str, *, as_frame: bool = False, registry: Registry | None = None):
    """The products of ``mission``: stored (L2) and derived (L3), with units.

    Parameters
    ----------
    mission
        An installed mission (see :func:`missions`).
    as_frame
        Return a :class:`pandas.DataFrame` (one row a product) instead of a
        list of :class:`~helioport.schema.ProductSpec`.

    Examples
    --------
    >>> [p.name for p in helioport.products("omni")][:3]  # doctest: +SKIP
    ['dc_mag', 'i_dens', 'i_bulkv']
    """
    specs = (registry or get_registry()).products(mission)
    if not as_frame:
        return specs
    rows = [
        {
            "product": p.name,
            "level": p.level,
            "kind": p.kind,
            "units": p.units or "",
            "coords": ",".join(p.coords),
            "inputs": ",".join(p.inputs),
            "description": p.description,
        }
        for p in specs
    ]
    return pd.DataFrame(rows).set_index("product")


def load(
    mission: str,
    start: Any,
    end: Any,
    products: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    *,
    offline: bool | None = None,
    version: str | None = None,
    base_url: str | Mapping[str, str] | None = None,
    cache_dir: str | None = None,
    progress: bool | None = None,
    registry: Registry | None = None,
    **options: Any,
) -> xr.Dataset:
    """Load products of a mission over ``[start, end)`` as one labelled Dataset.

    Parameters
    ----------
    mission
        An installed mission (``"omni"``, ``"mms"``...); see :func:`missions`.
    start, end
        Datetimes (naive = UTC), ISO strings, ``numpy.datetime64``,
        ``pandas.Timestamp`` or ``astropy.time.Time``.
    products
        Product names (``"dc_mag"``, ``["i_dens", "mag_elev_angle"]``);
        derived products are computed from their inputs.
    probes
        Spacecraft or stations (``["mms1", "mms2"]``; ``1`` works for ``mms1``).
    coords
        Coordinate system (``"gse"``, ``"gsm"``), default the mission's.
    mode
        Data rate / resolution (``"1min"``, ``"brst"``), default the mission's.
    offline
        Use only the local cache (default: ``HELIOPORT_OFFLINE`` or config).
    version
        ``None``/"latest" (newest), ``"4.18"`` (pinned) or ``">=4.18"`` (minimum).
    base_url
        A mirror for the mission's main source (str) or per source key (dict):
        ``https://`` server, ``file://`` URL or a folder path.
    cache_dir
        Cache folder (default: ``HELIOPORT_CACHE_DIR`` or the user cache dir).
    **options
        Plugin-specific options, passed on in ``request.options``.

    Returns
    -------
    xarray.Dataset
        A variable per product (and probe: ``dc_mag_mms1``), each on its own
        ``time_<variable>`` dimension unless it shares a time base; attrs with
        units, frame and provenance (files, versions).

    Examples
    --------
    >>> ds = helioport.load("omni", "2010-01-01", "2010-01-02", products=["dc_mag"], mode="hourly")  # doctest: +SKIP
    >>> ds["dc_mag"].sel(component="z")  # doctest: +SKIP
    """
    reg = registry or get_registry()
    spec = reg.mission(mission)
    cfg = Config.load(
        cache_dir=cache_dir,
        offline=offline,
        urls=_mirror_urls(spec, base_url),
        progress=progress,
    )
    derivs = reg.derivations_for(spec.name)
    request = Request.for_mission(
        spec,
        start,
        end,
        products,
        probes,
        coords,
        mode,
        known_products=list(derivs),
        known_options={k: v for d in derivs.values() for k, v in d.options.items()},
        version=version,
        offline=cfg.offline,
        options=dict(options),
    )
    return _Session(reg, spec, cfg, derivs, request).run()


def load_data(
    mission: str,
    start_time: Any,
    end_time: Any,
    prod: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    coords: str | None = None,
    mode: str | None = None,
    **kwargs: Any,
) -> xr.Dataset:
    """The AIDApy signature of :func:`load` (``prod`` for ``products``).

    Examples
    --------
    >>> ds = helioport.load_data("mms", "2015-10-16T13:05", "2015-10-16T13:07",
    ...                          prod=["dc_mag"], probes=["1"], coords="gse", mode="brst")  # doctest: +SKIP
    """
    return load(
        mission,
        start_time,
        end_time,
        products=prod,
        probes=probes,
        coords=coords,
        mode=mode,
        **kwargs,
    )


def _mirror_urls(
    spec: MissionSpec, base_url: str | Mapping[str, str] | None
) -> dict[str, str] | None:
    if base_url is None:
        return None
    if isinstance(base_url, Mapping):
        keys = {s.key for s in spec.sources}
        bad = [k for k in base_url if k.lower() not in keys]
        if bad:
            raise InvalidRequestError(
                f"mission {spec.name!r} has no source {', '.join(bad)}; its sources: {', '.join(sorted(keys))}"
            )
        return {k.lower(): v for k, v in base_url.items()}
    if not spec.sources:
        raise InvalidRequestError(f"mission {spec.name!r} declares no archive source to replace")
    return {spec.sources[0].key: str(base_url)}


@dataclass
class _Session:
    """State of one ``load`` call: what to list, fetch, load and derive."""

    reg: Registry
    spec: MissionSpec
    cfg: Config
    derivs: dict[str, Derivation]
    request: Request
    transport: Transport = field(init=False)
    stored: dict[_Key, Any] = field(default_factory=dict)
    derived: dict[_Key, Any] = field(default_factory=dict)
    provenance: dict[_Key, list[LocalFile]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.transport = Transport(self.cfg)

    # -- planning ----------------------------------------------------------------
    def _stored_needed(self) -> list[str]:
        needed: list[str] = []
        seen: set[str] = set()

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if name in chain:
                raise DerivationError(f"derivation cycle: {' -> '.join(chain + (name,))}")
            if name in seen:
                return
            seen.add(name)
            if name in self.spec.product_names:
                needed.append(name)
                return
            for inp in self.derivs[name].inputs:
                visit(inp, chain + (name,))

        for p in self.request.products:
            visit(p, ())
        return needed

    def _probes(self) -> list[str | None]:
        return list(self.request.probes) or [None]

    # -- lifecycle ---------------------------------------------------------------
    def run(self) -> xr.Dataset:
        stored_names = self._stored_needed()
        ctx = self.transport.context(self.spec, offline=self.request.offline)
        plan: dict[_Key, tuple[list[RemoteFile], list[RemoteFile]]] = {}
        for product in stored_names:
            for probe in self._probes():
                plan[(product, probe)] = self._find(product, probe, ctx)
        # one fetch for every file of every product: parallel, each file once
        unique: dict[str, RemoteFile] = {}
        candidates: dict[str, RemoteFile] = {}
        for selected, everything in plan.values():
            for f in selected:
                unique.setdefault(f.relpath, f)
            for f in everything:
                candidates.setdefault(f.relpath, f)
        local = self._fetch(list(unique.values()), list(candidates.values()), ctx)
        if self.request.offline and local:
            names = sorted(lf.remote.name for lf in local.values())
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            warnings.warn(
                f"offline: {self.spec.name} loaded from the cache, newest cached versions ({shown}); "
                "the archive may hold newer ones. Go online (offline=False) to check.",
                UserWarning,
                stacklevel=3,  # the caller of helioport.load
            )
        with reading_session():  # products sharing a file open it and read its times once
            for key, (selected, _) in plan.items():
                files = [local[f.relpath] for f in selected]
                self.provenance[key] = files
                self.stored[key] = self._load(key[0], key[1], files)
        variables: dict[str, xr.DataArray] = {}
        for product in self.request.products:
            for name, da in self._output(product).items():
                variables[name] = da
        return self._assemble(variables)

    def _find(
        self, product: str, probe: str | None, ctx
    ) -> tuple[list[RemoteFile], list[RemoteFile]]:
        found = self.reg.call(
            "helioport_find_files",
            self.spec.name,
            request=self.request,
            product=product,
            probe=probe,
            ctx=ctx,
        )
        if found is None:
            raise PluginError(
                f"plugin {self.reg.plugin_name(self.spec.name)!r} returned None from helioport_find_files "
                f"for its own mission {self.spec.name!r}"
            )
        what = self._what(product, probe)
        if not found:
            if self.request.offline:
                raise OfflineError(
                    f"offline: no cached listing or files for {what}; "
                    "go online once for this range, or unset HELIOPORT_OFFLINE / offline=True"
                )
            raise DataNotFoundError(
                f"the archive has no file for {what}. Check the time range and mode "
                f"(modes: {', '.join(self.spec.modes) or '-'}); `helioport products {self.spec.name}` lists products."
            )
        selected = select_versions(list(found), self.request.version)
        if not selected:
            raise DataNotFoundError(
                f"no file version of {what} matches version={self.request.version}"
            )
        return selected, list(found)

    def _fetch(
        self, files: list[RemoteFile], candidates: list[RemoteFile], ctx
    ) -> dict[str, LocalFile]:
        paths = self.reg.call(
            "helioport_fetch", self.spec.name, request=self.request, files=files, ctx=ctx
        )
        if paths is not None:
            return {
                f.relpath: LocalFile(path=p, remote=f, action="downloaded")
                for f, p in zip(files, paths)
            }
        got = self.transport.fetch(files, offline=self.request.offline, candidates=candidates)
        return {lf.remote.relpath: lf for lf in got}

    def _load(
        self, product: str, probe: str | None, files: list[LocalFile]
    ) -> xr.DataArray | xr.Dataset:
        out = self.reg.call(
            "helioport_load",
            self.spec.name,
            request=self.request,
            product=product,
            probe=probe,
            paths=[f.path for f in files],
        )
        if out is None:
            raise PluginError(
                f"plugin for {self.spec.name!r} returned None from helioport_load for {product!r}"
            )
        if not isinstance(out, (xr.DataArray, xr.Dataset)):
            raise PluginError(
                f"helioport_load for {self.spec.name!r}/{product!r} returned {type(out).__name__}"
            )
        tdim = _time_dim(out)
        if tdim is None or out.sizes[tdim] == 0:
            raise DataNotFoundError(
                f"{self._what(product, probe)}: the files ({', '.join(f.remote.name for f in files)}) hold no "
                "records in the requested range; widen the range or check the data's gaps"
            )
        return out

    # -- derivations ---------------------------------------------------------------
    def _value(self, product: str, probe: str | None) -> Any:
        if product in self.spec.product_names:
            return self.stored[(product, probe)]
        d = self.derivs[product]
        key = (product, None if d.across_probes else probe)
        if key not in self.derived:
            self.derived[key] = self._derive(d, probe)
        return self.derived[key]

    def _derive(self, d: Derivation, probe: str | None) -> Any:
        if d.across_probes:
            probes = list(self.request.probes)
            if len(probes) < d.min_probes:
                raise DerivationError(
                    f"{d.name} needs {d.min_probes} probes, the request has {len(probes)} "
                    f"({', '.join(probes) or 'none'}); ask for probes={self.spec.probes[: d.min_probes]}"
                )
            inputs = {name: {p: _main(self._value(name, p)) for p in probes} for name in d.inputs}
        else:
            inputs = {name: _main(self._value(name, probe)) for name in d.inputs}
        try:
            out = d.function(inputs, self.request)
        except (DerivationError, InvalidRequestError):
            raise
        except Exception as exc:
            raise DerivationError(
                f"derivation {d.name!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(out, (xr.DataArray, xr.Dataset)):
            raise DerivationError(
                f"derivation {d.name!r} returned {type(out).__name__}, not xarray"
            )
        return out

    def _output(self, product: str) -> dict[str, xr.DataArray]:
        """The output variables of one requested product, named by DESIGN §4."""
        out: dict[str, xr.DataArray] = {}
        d = self.derivs.get(product)
        probes = [None] if (d is not None and d.across_probes) else self._probes()
        for probe in probes:
            value = self._value(product, probe)
            suffix = f"_{probe}" if probe else ""
            files = self._files_for(product, probe)
            if isinstance(value, xr.Dataset):
                # bundles (OMNI "all") and derivations with companions (j_curl + div_b)
                items = list(value.data_vars.items())
            else:
                items = [(product, value)]
            for name, da in items:
                da = da.copy(deep=False)  # new attrs, the same (read-only by convention) data
                da.attrs = dict(da.attrs)
                for key, value in self._provenance_attrs(product, probe, files, d).items():
                    if d is not None and key in ("units", "coords"):
                        # a derivation's own units and frame win (j_curl's div_b is nT/km)
                        da.attrs.setdefault(key, value)
                    else:
                        da.attrs[key] = value
                out[f"{name}{suffix}"] = da
        return out

    def _files_for(self, product: str, probe: str | None) -> list[LocalFile]:
        if product in self.spec.product_names:
            return self.provenance.get((product, probe), [])
        files: list[LocalFile] = []
        d = self.derivs[product]
        probes = list(self.request.probes) if d.across_probes else [probe]
        for inp in d.inputs:
            for p in probes:
                files += [f for f in self._files_for(inp, p) if f not in files]
        return files

    def _provenance_attrs(self, product: str, probe, files: list[LocalFile], d) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "product": product,
            "level": "L3" if d is not None else self.spec.product(product).level,
            "files": ", ".join(f.remote.name for f in files),
            "versions": ", ".join(sorted({f.remote.version for f in files if f.remote.version})),
        }
        if probe:
            attrs["probe"] = probe
        if self.request.coords and "coords" not in attrs:
            attrs.setdefault("coords", self.request.coords)
        if d is not None:
            attrs["derived_from"] = ", ".join(d.inputs)
            if d.units and "units" not in attrs:
                attrs["units"] = d.units
        return attrs

    # -- assembly --------------------------------------------------------------------
    def _assemble(self, variables: dict[str, xr.DataArray]) -> xr.Dataset:
        groups: list[tuple[str, np.ndarray]] = []
        renamed: dict[str, xr.DataArray] = {}
        seen_dims: dict[str, tuple] = {}
        for name, da in variables.items():
            tdim = _time_dim(da)
            times = da[tdim].values
            dim = None
            for gname, gtimes in groups:
                if gtimes.shape == times.shape and np.array_equal(gtimes, times):
                    dim = gname
                    break
            if dim is None:
                dim = f"time_{name}"
                groups.append((dim, times))
            keep = {k: v for k, v in da.attrs.items()}
            da = da.rename({tdim: dim}) if tdim != dim else da
            da = _own_dims(da, name, dim, seen_dims)
            da.attrs = keep
            renamed[name] = da
        ds = xr.Dataset(renamed)
        for dim, _ in groups:
            ds[dim].attrs.update({"long_name": "time (UTC)", "standard_name": "time"})
        req = self.request
        ds.attrs.update(
            {
                "mission": req.mission,
                "request": req.describe(),
                "request_json": json.dumps(req.model_dump(mode="json"), sort_keys=True),
                "start": format_time(req.start),
                "end": format_time(req.end),
                "helioport_version": __version__,
                "title": f"{self.spec.title or req.mission} {', '.join(req.products)}",
            }
        )
        return ds

    def _what(self, product: str, probe: str | None) -> str:
        r = self.request
        parts = [r.mission, product]
        if probe:
            parts.append(probe)
        if r.mode:
            parts.append(f"mode {r.mode}")
        return f"{' '.join(parts)} between {format_time(r.start)} and {format_time(r.end)}"


def _main(value: xr.DataArray | xr.Dataset) -> xr.DataArray | xr.Dataset:
    """A derivation input: the product's own variable when a loader returned a bundle."""
    if isinstance(value, xr.Dataset):
        name = value.attrs.get("product")
        if name in value.data_vars:
            return value[name]
    return value


def _own_dims(da: xr.DataArray, name: str, tdim: str, seen: dict[str, tuple]) -> xr.DataArray:
    """Give ``da`` its own name for a dimension whose labels or size differ from an earlier variable's.

    Without it xarray would outer-join them: ``component`` ``x,y,z,tot`` of
    ``dc_mag`` and ``x,y,z`` of ``i_bulkv`` would become one sorted axis with
    NaN padding. The later variable's dimension becomes ``{dim}_{name}``.
    """
    renames = {}
    for d in da.dims:
        if d == tdim:
            continue
        key = (da.sizes[d], tuple(np.asarray(da[d].values).tolist()) if d in da.coords else None)
        if seen.setdefault(str(d), key) != key:
            renames[d] = f"{d}_{name}"
    return da.rename(renames) if renames else da


def _time_dim(obj: xr.DataArray | xr.Dataset) -> str | None:
    for dim in obj.dims:
        if dim in obj.coords and np.issubdtype(obj[dim].dtype, np.datetime64):
            return str(dim)
    return None


def product_spec_or_derived(reg: Registry, mission: str, name: str) -> ProductSpec:
    """The spec of a stored or derived product of ``mission``."""
    for p in reg.products(mission):
        if p.name == name:
            return p
    return reg.mission(mission).product(name)
