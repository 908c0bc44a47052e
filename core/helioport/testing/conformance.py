"""The plugin conformance suite: does a plugin honour helioport's contract?

Plugin authors call :func:`check_plugin` from their own tests::

    def test_my_plugin_conforms(tmp_path):
        from helioport.testing.conformance import check_plugin
        report = check_plugin("mymission", tmp_path)
        assert report.ok, report.problems

It checks the mission's :class:`~helioport.schema.MissionSpec` (sources with
mirror variables, products with units), then, when the plugin ships a sample
archive (hook ``helioport_sample_archive``), serves it on 127.0.0.1 and checks
the whole path: the Dataset's naming, time dimensions, attrs and provenance,
a cache hit that downloads nothing, and an offline load.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ..api import load
from ..registry import Registry, get_registry
from ..schema import MissionSpec

__all__ = ["ConformanceReport", "check_dataset", "check_plugin"]


@dataclass
class ConformanceReport:
    """What :func:`check_plugin` found: ``ok`` when ``problems`` is empty."""

    mission: str
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"{self.mission}: {'conforms' if self.ok else 'does not conform'} ({len(self.checked)} checks)"
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


def _check_spec(spec: MissionSpec, report: ConformanceReport) -> None:
    report.checked.append("mission spec")
    if not spec.sources:
        report.problems.append(
            "MissionSpec.sources is empty: declare the archive and its mirror variable"
        )
    for src in spec.sources:
        if not src.env.startswith("HELIOPORT_") or not src.env.endswith("_URL"):
            report.problems.append(
                f"source {src.key!r}: env {src.env!r} should be HELIOPORT_<KEY>_URL"
            )
    for p in spec.products:
        if p.kind not in ("table",) and not p.units:
            report.problems.append(f"product {p.name!r} has no units")
        if p.kind == "vector" and not p.components:
            report.problems.append(f"vector product {p.name!r} has no component labels")
        if p.modes is not None and not set(p.modes) <= set(spec.modes):
            report.problems.append(
                f"product {p.name!r} lists modes {p.modes} outside the mission's {spec.modes}"
            )
    if spec.default_mode is not None and spec.default_mode not in spec.modes:
        report.problems.append(f"default mode {spec.default_mode!r} is not one of {spec.modes}")
    if spec.default_coords is not None and spec.default_coords not in spec.coords:
        report.problems.append(
            f"default coords {spec.default_coords!r} is not one of {spec.coords}"
        )


def check_dataset(ds: xr.Dataset, spec: MissionSpec, request: dict) -> list[str]:
    """Problems with a loaded Dataset against DESIGN §4's conventions."""
    problems = []
    products = list(request.get("products", []))
    probes = list(request.get("probes") or [])
    start = np.datetime64(str(request["start"]).replace("Z", ""), "ns")
    end = np.datetime64(str(request["end"]).replace("Z", ""), "ns")
    if ds.attrs.get("mission") != spec.name:
        problems.append(
            f"Dataset attrs['mission'] is {ds.attrs.get('mission')!r}, not {spec.name!r}"
        )
    if "request" not in ds.attrs:
        problems.append("Dataset attrs lack 'request'")
    for name, da in ds.data_vars.items():
        if (
            not any(name == p or name.startswith(p + "_") for p in products)
            and ds.attrs.get("title", "").find("all") < 0
        ):
            problems.append(f"variable {name!r} is not named after a requested product {products}")
        if probes and da.attrs.get("probe") not in probes and "probe" in da.attrs:
            problems.append(f"{name}: probe attr {da.attrs.get('probe')!r} not among {probes}")
        tdims = [d for d in da.dims if np.issubdtype(ds[d].dtype, np.datetime64)]
        if len(tdims) != 1:
            problems.append(f"{name}: expected one datetime64 time dimension, got {tdims}")
            continue
        t = ds[tdims[0]].values
        if not str(tdims[0]).startswith("time"):
            problems.append(f"{name}: time dimension {tdims[0]!r} should be named time_<variable>")
        if t.dtype != np.dtype("datetime64[ns]"):
            problems.append(f"{name}: times are {t.dtype}, not datetime64[ns]")
        if t.size and (t[0] < start or t[-1] >= end):
            problems.append(f"{name}: times {t[0]}..{t[-1]} leave the requested [{start}, {end})")
        if t.size > 1 and not np.all(np.diff(t) > np.timedelta64(0, "ns")):
            problems.append(f"{name}: times are not strictly increasing (duplicates or disorder)")
        for key in ("units", "files"):
            if key not in da.attrs:
                problems.append(f"{name}: attrs lack {key!r}")
        if "component" in da.dims and "component" not in da.coords:
            problems.append(f"{name}: the component dimension has no labels")
    return problems


def check_plugin(
    mission: str, workdir: Path, *, registry: Registry | None = None
) -> ConformanceReport:
    """Run the conformance checks for ``mission``; sample-archive checks in ``workdir``."""
    from .server import ArchiveServer

    reg = registry or get_registry()
    report = ConformanceReport(mission)
    spec = reg.mission(mission)
    _check_spec(spec, report)
    workdir = Path(workdir)
    sample = reg.call(
        "helioport_sample_archive", mission, mission=mission, root=workdir / "archive"
    )
    if sample is None:
        report.checked.append("no sample archive: path checks skipped")
        return report
    request, source = sample.load_kwargs(), sample.source
    with ArchiveServer(workdir / "archive") as server:
        kw = dict(
            request, base_url={source: server.url}, cache_dir=str(workdir / "cache"), registry=reg
        )
        ds = load(mission, **kw)
        report.checked.append("load through the archive server")
        report.problems += check_dataset(ds, spec, request)
        n = len(server.log)
        again = load(mission, **kw)
        bodies = [
            e
            for e in server.log[n:]
            if e.status in (200, 206)
            and e.bytes_sent
            and not e.path.endswith("/")
            and "file_info" not in e.path
        ]
        report.checked.append("cache hit")
        if any(not (e.path.endswith(".json") or "api" in e.path) for e in bodies):
            report.problems.append(
                f"a second identical load downloaded files again: {[e.path for e in bodies]}"
            )
        if set(again.data_vars) != set(ds.data_vars):
            report.problems.append("a second identical load returned other variables")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        offline = load(mission, **dict(kw, offline=True))
    report.checked.append("offline load")
    if not any("offline" in str(w.message) for w in caught):
        report.problems.append("an offline load did not warn that cached versions were used")
    for name in ds.data_vars:
        if not np.array_equal(
            np.asarray(ds[name].values), np.asarray(offline[name].values), equal_nan=True
        ):
            report.problems.append(f"{name}: the offline load differs from the online one")
    return report
