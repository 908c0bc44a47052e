"""The "toy" mission: daily CSV files ``toy/{probe}/%Y/toy_{probe}_%Y%m%d_v{N}.csv``.

The smallest complete plugin, written the way a third party writes one: a
table (:data:`SPECS`, :data:`FILES`) and the hooks, with the core's building
blocks doing the listing (:func:`helioport.templates.find_files`) and the
dressing (:func:`helioport.dress.from_columns`).

Each file has columns ``time,bx,by,bz,n`` (time ISO UTC). The plugin also
contributes the derivation ``b_pressure`` (magnetic pressure B^2/2mu0, nPa),
which the core offers for every mission that serves ``dc_mag``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from helioport import Derivation, MissionSpec, ProductSpec, SourceSpec, hookimpl
from helioport.dress import from_columns
from helioport.schema import SampleArchive
from helioport.templates import FileTemplate, find_files
from helioport.times import to_datetime64

MU0 = 4e-7 * np.pi

SPECS = {
    "dc_mag": ProductSpec(
        name="dc_mag",
        kind="vector",
        units="nT",
        components=["x", "y", "z"],
        coords=["gse"],
        description="toy magnetic field",
        instrument="mag",
    ),
    "i_dens": ProductSpec(
        name="i_dens", units="cm^-3", description="toy density", instrument="plasma"
    ),
}


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
            products=list(SPECS.values()),
            sources=[
                SourceSpec(key="toy", url="https://toy.invalid/data/", env="HELIOPORT_TOY_URL")
            ],
        )
    ]


#: the files: one daily CSV per probe, every version listed (the core picks the newest)
FILES = FileTemplate("toy", "{probe}/%Y/toy_{probe}_%Y%m%d_v{version}.csv", "day")


@hookimpl
def helioport_find_files(request, product, probe, ctx):
    return find_files(FILES, request, ctx, probe=probe)


@hookimpl
def helioport_load(request, product, probe, paths):
    df = pd.concat([pd.read_csv(p, parse_dates=["time"]) for p in paths])
    t = df["time"].dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    keep = (t >= to_datetime64(request.start)) & (t < to_datetime64(request.end))
    df, t = df[keep], t[keep]
    spec = SPECS[product]
    if product == "dc_mag":
        columns = [df[c].to_numpy(float) for c in ("bx", "by", "bz")]
        return from_columns(spec, t, columns, frame="gse", source_variable=["bx", "by", "bz"])
    return from_columns(spec, t, [df["n"].to_numpy(float)], source_variable="n")


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
    for probe in ("t1", "t2"):
        write_toy_archive(root, probe, dt.date(2020, 1, 1), n=120)
    return SampleArchive(
        source="toy",
        start="2020-01-01T00:00",
        end="2020-01-01T02:00",
        products=["dc_mag", "b_pressure"],
        probes=["t1", "t2"],
    )
