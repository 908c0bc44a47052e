"""The "toy" mission: daily CSV files ``toy/{probe}/%Y/toy_{probe}_%Y%m%d_v{N}.csv``.

Each file has columns ``time,bx,by,bz,n`` (time ISO UTC). The plugin also
contributes the derivation ``b_pressure`` (magnetic pressure B^2/2mu0, nPa),
which the core offers for every mission that serves ``dc_mag``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from helioport import Derivation, MissionSpec, ProductSpec, RemoteFile, SourceSpec, hookimpl
from helioport.schema import SampleArchive

MU0 = 4e-7 * np.pi


@hookimpl
def helioport_missions():
    return [
        MissionSpec(
            name="toy",
            title="Toy mission (test plugin)",
            distribution="helioport-toy",
            probes=["t1", "t2"],
            coords=["gse"],
            default_coords="gse",
            modes=["srvy"],
            default_mode="srvy",
            products=[
                ProductSpec(
                    name="dc_mag",
                    kind="vector",
                    units="nT",
                    components=["x", "y", "z"],
                    coords=["gse"],
                    description="toy magnetic field",
                ),
                ProductSpec(name="i_dens", units="cm^-3", description="toy density"),
            ],
            sources=[
                SourceSpec(key="toy", url="https://toy.invalid/data/", env="HELIOPORT_TOY_URL")
            ],
        )
    ]


@hookimpl
def helioport_find_files(request, product, probe, ctx):
    if request.mission != "toy":
        return None
    base = ctx.base_url("toy")
    pat = re.compile(rf"^toy_{probe}_(\d{{8}})_v(\d+)\.csv$")
    out = []
    for year in range(request.start.year, request.end.year + 1):
        for e in ctx.list_dir(ctx.join(base, probe, f"{year}/")):
            m = pat.match(e.name)
            if not m:
                continue
            day = dt.datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=dt.timezone.utc)
            if day + dt.timedelta(days=1) <= request.start or day >= request.end:
                continue
            out.append(
                RemoteFile(
                    url=e.url,
                    relpath=f"{probe}/{year}/{e.name}",
                    mission="toy",
                    key=f"{probe}/{year}/toy_{probe}_{m.group(1)}",
                    version=m.group(2),
                    start=day,
                    end=day + dt.timedelta(days=1),
                    size=e.size,
                    mtime=e.mtime,
                )
            )
    return out


@hookimpl
def helioport_load(request, product, probe, paths):
    if request.mission != "toy":
        return None
    df = pd.concat([pd.read_csv(p, parse_dates=["time"]) for p in paths])
    t = df["time"].dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    keep = (t >= np.datetime64(request.start.replace(tzinfo=None))) & (
        t < np.datetime64(request.end.replace(tzinfo=None))
    )
    df, t = df[keep], t[keep]
    if product == "dc_mag":
        return xr.DataArray(
            df[["bx", "by", "bz"]].to_numpy(float),
            dims=("time", "component"),
            coords={"time": t, "component": ["x", "y", "z"]},
            attrs={"units": "nT", "coords": "gse", "instrument": "mag"},
        )
    return xr.DataArray(
        df["n"].to_numpy(float),
        dims=("time",),
        coords={"time": t},
        attrs={"units": "cm^-3", "instrument": "plasma"},
    )


def magnetic_pressure(inputs, request):
    b = inputs["dc_mag"]
    comps = [c for c in ("x", "y", "z") if c in b["component"].values]
    b2 = (b.sel(component=comps) ** 2).sum("component")  # nT^2
    p = b2 * 1e-18 / (2 * MU0) * 1e9  # T^2 / (2 mu0) = Pa, then nPa
    p.attrs = {"units": "nPa", "description": "magnetic pressure B^2/2mu0"}
    return p


@hookimpl
def helioport_derivations():
    return [
        Derivation(
            name="b_pressure",
            inputs=["dc_mag"],
            function=magnetic_pressure,
            units="nPa",
            description="Magnetic pressure B^2/(2 mu0)",
        )
    ]


def write_toy_archive(
    root: Path, probe: str, day: dt.date, version: int = 1, n: int = 1440
) -> Path:
    """A toy daily file: 1-min samples, bx = minute index / 100, by = 2, bz = -1, n = 5."""
    t = pd.date_range(pd.Timestamp(day), periods=n, freq="1min")
    df = pd.DataFrame(
        {
            "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "bx": np.arange(n) / 100,
            "by": 2.0,
            "bz": -1.0,
            "n": 5.0,
        }
    )
    path = Path(root) / probe / f"{day:%Y}" / f"toy_{probe}_{day:%Y%m%d}_v{version}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return path


@hookimpl
def helioport_sample_archive(mission, root):
    if mission != "toy":
        return None
    for probe in ("t1", "t2"):
        write_toy_archive(root, probe, dt.date(2020, 1, 1), n=120)
    return SampleArchive(
        source="toy",
        start="2020-01-01T00:00",
        end="2020-01-01T02:00",
        products=["dc_mag", "b_pressure"],
        probes=["t1", "t2"],
    )
