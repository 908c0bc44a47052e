"""The plugin conformance suite: does a plugin honour helioport's contract?

Plugin authors call :func:`check_plugin` from their own tests::

    from helioport.testing import check_plugin

    def test_my_plugin_conforms(tmp_path):
        report = check_plugin("mymission", tmp_path, require_sample=True)
        assert report.ok, str(report)

It checks the mission's :class:`~helioport.schema.MissionSpec` (sources with
mirror variables, products with units), then, when the plugin ships a sample
archive (hook ``helioport_sample_archive``), serves it on 127.0.0.1 and checks
the whole path (the checks' names are listed in :data:`PATH_CHECKS`):

``load through the archive server``
    the Dataset follows DESIGN §4 (:func:`check_dataset`): only the requested
    products' variables, one strictly increasing ``datetime64[ns]`` time
    dimension each inside the requested range, units and provenance attrs.
``cache hit``
    a second identical load fetches no file body at all
    (:func:`check_cache_hit`): every request it makes is a revalidation
    answered ``304``, or a JSON listing query (an answer whose
    ``Content-Type`` is JSON, like the MMS SDC's ``file_info``). A file body
    (``200``/``206`` of anything else, whatever its path), a directory listing
    sent again in full, or an error is a problem.
``offline load``
    with ``offline=True`` the same values come from the cache, with a warning
    saying so.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..api import load
from ..errors import HelioportError
from ..naming import MAGNITUDE, magnitude_name, variable_name
from ..registry import Registry, get_registry
from ..schema import Derivation, MissionSpec
from ._records import LoggedRequest

__all__ = [
    "PATH_CHECKS",
    "ConformanceReport",
    "allowed_variables",
    "check_cache_hit",
    "check_dataset",
    "check_plugin",
]

#: The checks :func:`check_plugin` runs on a plugin's sample archive, in order.
PATH_CHECKS = ("load through the archive server", "cache hit", "offline load")
#: What ``checked`` says when the plugin ships no sample archive.
NO_SAMPLE = "no sample archive: path checks skipped"


@dataclass
class ConformanceReport:
    """What :func:`check_plugin` found: ``ok`` when ``problems`` is empty."""

    mission: str
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def path_checked(self) -> bool:
        """Whether every check of :data:`PATH_CHECKS` ran (the plugin ships a sample)."""
        return all(name in self.checked for name in PATH_CHECKS)

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


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _requested_probes(ds: xr.Dataset, spec: MissionSpec, request: Mapping[str, Any]) -> list[str]:
    """The probes the load served: the core's normalised request, else the request's, else the defaults."""
    try:
        normalised = json.loads(ds.attrs["request_json"]).get("probes")
    except (KeyError, TypeError, ValueError, AttributeError):
        normalised = None
    if normalised:
        return [str(p) for p in normalised]
    probes = [p.lower() for p in _as_list(request.get("probes"))]
    if probes or not spec.probes:
        return probes
    return list(spec.default_probes or spec.probes[:1])


def allowed_variables(
    spec: MissionSpec,
    products: Iterable[str],
    probes: Iterable[str],
    derivations: Mapping[str, Derivation] | None = None,
) -> dict[str, set[str]]:
    """The variable names DESIGN §4 gives each requested product.

    ``{product}`` for a mission without probes (and for a derivation across
    probes, such as ``j_curl``), ``{product}_{probe}`` for each requested probe
    otherwise (:func:`helioport.naming.variable_name`); and the magnitude of a
    vector whose spec has a ``tot`` component, ``{product}_tot[_{probe}]``.

    Examples
    --------
    >>> allowed_variables(spec_with_probes_t1_t2, ["dc_mag"], ["t1"])  # doctest: +SKIP
    {'dc_mag': {'dc_mag_t1'}}
    """
    derivations = derivations or {}
    probes = list(probes)
    out: dict[str, set[str]] = {}
    for p in products:
        d = derivations.get(p)
        own = spec.probes and probes and not (d is not None and d.across_probes)
        each = probes if own else [None]
        out[p] = {variable_name(p, probe) for probe in each}
        if p in spec.product_names and MAGNITUDE in (spec.product(p).components or []):
            out[p] |= {magnitude_name(p, probe) for probe in each}
    return out


def _may_bundle(spec: MissionSpec, product: str, derivations: Mapping[str, Derivation]) -> bool:
    """Whether ``product`` may give several variables: a bundle (kind ``table``) or a derivation."""
    if product in derivations and product not in spec.product_names:
        return True  # a derivation may return companions (j_curl with div_b, curl_b)
    return any(p.name == product and p.kind == "table" for p in spec.products)


def _naming_problems(
    ds: xr.Dataset,
    spec: MissionSpec,
    products: list[str],
    probes: list[str],
    derivations: Mapping[str, Derivation],
) -> list[str]:
    problems = []
    allowed = allowed_variables(spec, products, probes, derivations)
    names = set().union(*allowed.values()) if allowed else set()
    bundles = sorted(p for p in allowed if _may_bundle(spec, p, derivations))
    expected = f"{sorted(names)}" + (f" or members of {bundles}" if bundles else "")
    found: set[str] = set()
    for name, da in ds.data_vars.items():
        product = da.attrs.get("product")
        if name in names:
            owners = {p for p, ok in allowed.items() if name in ok}
            if product is not None and product not in owners:
                problems.append(
                    f"variable {name!r} is named after {sorted(owners)} but holds product "
                    f"{product!r} (attrs['product'])"
                )
                continue
            found |= owners
            continue
        # a member of a requested bundle (OMNI "all") or a derivation's companion: the
        # spec does not list them, so the product attr says which request they answer
        if product in bundles:
            probe = da.attrs.get("probe")
            if probe is None or (probe in probes and str(name).endswith(f"_{probe}")):
                found.add(product)
                continue
        problems.append(
            f"variable {name!r} is not a variable of the requested products: expected "
            f"{expected} (its attrs['product'] is {product!r})"
        )
    for p in products:
        if p not in found:
            problems.append(f"requested product {p!r} has no variable in the Dataset")
    return problems


def check_dataset(
    ds: xr.Dataset,
    spec: MissionSpec,
    request: Mapping[str, Any],
    *,
    registry: Registry | None = None,
) -> list[str]:
    """Problems with a loaded Dataset against DESIGN §4's conventions.

    Parameters
    ----------
    ds
        What :func:`helioport.load` returned.
    spec
        The mission's spec.
    request
        The keyword arguments of the load (``products``, ``probes``, ``start``, ``end``...).
    registry
        Where the derivations are looked up (default: the installed plugins).

    Returns
    -------
    list of str
        One line per problem; empty when the Dataset conforms.

    Examples
    --------
    >>> check_dataset(ds, helioport.mission_info("toy"), {"products": ["dc_mag"], ...})  # doctest: +SKIP
    []
    """
    problems = []
    products = _as_list(request.get("products"))
    probes = _requested_probes(ds, spec, request)
    reg = registry or get_registry()
    try:
        derivations = reg.derivations_for(spec.name)
    except HelioportError:  # a spec the registry does not know (a hand-made one)
        derivations = reg.derivations()
    start = np.datetime64(str(request["start"]).replace("Z", ""), "ns")
    end = np.datetime64(str(request["end"]).replace("Z", ""), "ns")
    if ds.attrs.get("mission") != spec.name:
        problems.append(
            f"Dataset attrs['mission'] is {ds.attrs.get('mission')!r}, not {spec.name!r}"
        )
    if "request" not in ds.attrs:
        problems.append("Dataset attrs lack 'request'")
    problems += _naming_problems(ds, spec, products, probes, derivations)
    for name, da in ds.data_vars.items():
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


def _is_json(entry: LoggedRequest) -> bool:
    ctype = entry.content_type
    return ctype == "application/json" or ctype.endswith("+json")


def check_cache_hit(requests: Iterable[LoggedRequest]) -> list[str]:
    """Problems with the traffic of a load repeated over an unchanged archive.

    Allowed: revalidations answered ``304`` (listings, API answers, files),
    ``HEAD`` requests (no body), and JSON listing queries (a ``200`` whose
    ``Content-Type`` is JSON: an archive API's listing, such as the MMS SDC's
    ``file_info``, which the real services do not always revalidate).
    Anything else fetched a body again or failed: a file (``200``/``206``,
    whatever its URL), a directory index sent in full (its ETag did not
    change, so the client did not revalidate), or an error status.

    Examples
    --------
    >>> check_cache_hit(server.log[n:])  # doctest: +SKIP
    []
    """
    bad = [
        e
        for e in requests
        if not (
            e.status == 304
            or (e.method == "HEAD" and e.status == 200)
            or (e.status == 200 and _is_json(e))
        )
    ]
    if not bad:
        return []
    listed = ", ".join(
        f"{e.method} {e.path} -> {e.status} ({e.content_type or 'no content type'}, "
        f"{e.bytes_sent} bytes)"
        for e in bad
    )
    expected = "only 304 revalidations and JSON listing queries are expected"
    return [f"a second identical load fetched again what it had ({expected}): {listed}"]


def _load_or_report(
    mission: str, kw: dict[str, Any], report: ConformanceReport, step: str
) -> xr.Dataset | None:
    try:
        return load(mission, **kw)
    except Exception as exc:  # noqa: BLE001 - a conformance suite reports, it does not crash
        report.problems.append(f"{step} failed: {type(exc).__name__}: {exc}")
        return None


def check_plugin(
    mission: str,
    workdir: Path,
    *,
    registry: Registry | None = None,
    require_sample: bool = False,
) -> ConformanceReport:
    """Run the conformance checks for ``mission``; sample-archive checks in ``workdir``.

    Parameters
    ----------
    mission
        The mission to check.
    workdir
        An empty folder for the sample archive (``archive/``) and the cache (``cache/``).
    registry
        The plugins to use (default: the installed ones).
    require_sample
        Make a missing sample archive a problem (a plugin that ships one sets
        it, so that its path checks cannot be skipped silently).

    Returns
    -------
    ConformanceReport
        ``ok`` when no problem was found; ``checked`` names the checks that ran.
    """
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
        report.checked.append(NO_SAMPLE)
        if require_sample:
            report.problems.append(
                "the plugin ships no sample archive (hook helioport_sample_archive answered "
                "None): the path checks could not run"
            )
        return report
    request = sample.load_kwargs()
    with ArchiveServer(workdir / "archive") as server:
        urls = sample.base_urls(lambda rel: server.url_for(f"{rel}/") if rel else server.url)
        kw = dict(request, base_url=urls, cache_dir=str(workdir / "cache"), registry=reg)
        ds = _load_or_report(mission, kw, report, "the load through the archive server")
        report.checked.append(PATH_CHECKS[0])
        if ds is None:
            return report
        report.problems += check_dataset(ds, spec, request, registry=reg)
        n = len(server.log)
        again = _load_or_report(mission, kw, report, "a second identical load")
        report.checked.append(PATH_CHECKS[1])
        report.problems += check_cache_hit(server.log[n:])
        if again is not None and set(again.data_vars) != set(ds.data_vars):
            report.problems.append("a second identical load returned other variables")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        offline = _load_or_report(mission, dict(kw, offline=True), report, "the offline load")
    report.checked.append(PATH_CHECKS[2])
    if offline is None:
        return report
    if not any("offline" in str(w.message) for w in caught):
        report.problems.append("an offline load did not warn that cached versions were used")
    for name in ds.data_vars:
        if name not in offline.data_vars:
            report.problems.append(f"{name}: missing from the offline load")
        elif not np.array_equal(
            np.asarray(ds[name].values), np.asarray(offline[name].values), equal_nan=True
        ):
            report.problems.append(f"{name}: the offline load differs from the online one")
    return report
