"""helioport hooks for OMNI: discovery, file listing, loading, sample archive."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import xarray as xr
from helioport.errors import InvalidRequestError
from helioport.hookspecs import hookimpl
from helioport.schema import MissionSpec, RemoteFile, Request, SampleArchive

from . import products as catalog
from .loading import load_ascii, load_cdf

MISSION = "omni"


@hookimpl
def helioport_missions() -> list[MissionSpec]:
    return [catalog.mission_spec()]


def _hourly_source(request: Request) -> str:
    src = str(request.options.get("hourly_source", "ascii")).lower()
    if src not in ("ascii", "cdf"):
        raise InvalidRequestError(
            f"hourly_source={src!r} is not an OMNI hourly source; use 'ascii' (OMNI2 yearly files, "
            "the default) or 'cdf' (omni_cdaweb/hourly CDFs)"
        )
    return src


def check_mode(request: Request, product: str) -> None:
    """Raise a clear error when ``product`` does not exist in the request's mode."""
    if product == "all":
        return
    spec = catalog.BY_NAME[product].spec
    if spec.modes is not None and request.mode not in spec.modes:
        raise InvalidRequestError(
            f"OMNI product {product!r} is not in mode {request.mode!r}; it exists in: {', '.join(spec.modes)}"
        )
    if spec.coords and request.coords not in spec.coords:
        raise InvalidRequestError(
            f"OMNI product {product!r} has no {request.coords!r} coordinates; it exists in: {', '.join(spec.coords)}"
        )
    if request.mode == "hourly":
        src = _hourly_source(request)
        p = catalog.BY_NAME[product]
        if (src == "ascii" and not p.ascii) or (src == "cdf" and not p.h0):
            other = "cdf" if src == "ascii" else "ascii"
            raise InvalidRequestError(
                f"OMNI product {product!r} is not in the hourly {src} files; try hourly_source={other!r}"
            )


def _months(start: dt.datetime, end: dt.datetime, step: int = 1):
    """First days of the ``step``-month periods overlapping [start, end)."""
    m0 = (start.year * 12 + start.month - 1) // step * step
    m = m0
    while True:
        first = dt.datetime(m // 12, m % 12 + 1, 1, tzinfo=dt.timezone.utc)
        if first >= end:
            return
        nxt = m + step
        yield first, dt.datetime(nxt // 12, nxt % 12 + 1, 1, tzinfo=dt.timezone.utc)
        m = nxt


@hookimpl
def helioport_find_files(request: Request, product: str, probe, ctx) -> list[RemoteFile] | None:
    if request.mission != MISSION:
        return None
    check_mode(request, product)
    base = ctx.base_url("omni")
    if request.mode == "hourly" and _hourly_source(request) == "ascii":
        return _find_ascii(request, ctx, base)
    if request.mode == "hourly":
        folder, stem, step = "omni_cdaweb/hourly", "omni2_h0_mrg1hr", 6
    else:
        folder, stem, step = f"omni_cdaweb/hro_{request.mode}", f"omni_hro_{request.mode}", 1
    pattern = re.compile(rf"^{re.escape(stem)}_(\d{{4}})(\d{{2}})01_v(\d+)\.cdf$")
    wanted = {first: last for first, last in _months(request.start, request.end, step)}
    files: list[RemoteFile] = []
    for year in sorted({first.year for first in wanted}):
        for entry in ctx.list_dir(ctx.join(base, folder, f"{year}/")):
            m = pattern.match(entry.name)
            if not m or entry.is_dir:
                continue
            first = dt.datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=dt.timezone.utc)
            if first not in wanted:
                continue
            files.append(
                RemoteFile(
                    url=entry.url,
                    relpath=f"{folder}/{year}/{entry.name}",
                    mission=MISSION,
                    key=f"{folder}/{year}/{stem}_{m.group(1)}{m.group(2)}01",
                    version=m.group(3),
                    start=first,
                    end=wanted[first],
                    size=entry.size,
                    mtime=entry.mtime,
                    source="omni",
                )
            )
    return files


def _find_ascii(request: Request, ctx, base: str) -> list[RemoteFile]:
    years = range(request.start.year, (request.end - dt.timedelta(microseconds=1)).year + 1)
    listing = {e.name: e for e in ctx.list_dir(ctx.join(base, "low_res_omni/"))}
    files = []
    for year in years:
        name = f"omni2_{year}.dat"
        entry = listing.get(name)
        if entry is None:
            continue
        files.append(
            RemoteFile(
                url=entry.url,
                relpath=f"low_res_omni/{name}",
                mission=MISSION,
                key=f"low_res_omni/omni2_{year}",
                version=None,
                start=dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc),
                end=dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc),
                size=entry.size,
                mtime=entry.mtime,
                source="omni",
            )
        )
    return files


@hookimpl
def helioport_load(
    request: Request, product: str, probe, paths: list[Path]
) -> xr.DataArray | xr.Dataset | None:
    if request.mission != MISSION:
        return None
    check_mode(request, product)
    names = (
        [p.spec.name for p in catalog.PRODUCTS if request.mode in (p.spec.modes or [])]
        if product == "all"
        else [product]
    )
    if request.mode == "hourly" and _hourly_source(request) == "ascii":
        out = load_ascii(request, names, paths)
    else:
        out = load_cdf(request, names, paths, strict=product != "all")
    if product == "all":
        ds = xr.Dataset(out)
        ds.attrs["product"] = "all"
        return ds
    return out[product]


@hookimpl
def helioport_sample_archive(mission: str, root: Path) -> SampleArchive | None:
    if mission != MISSION:
        return None
    from .sample import make_sample_archive

    return make_sample_archive(root)
