"""The public conformance suite (helioport.testing) fails where a plugin breaks the contract.

Each plugin runs :func:`check_plugin` in its own tests (plugins/*/tests,
tests/example_plugin/tests); here the checks themselves are proven to fail on
bad Datasets, bad traffic and bad plugins built from the example plugin.
"""

from __future__ import annotations

import functools
import inspect
from types import ModuleType

import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.registry import Registry
from helioport.schema import MissionSpec, ProductSpec, SourceSpec
from helioport.testing import LoggedRequest, check_dataset, check_plugin
from helioport.testing.conformance import NO_SAMPLE, PATH_CHECKS, check_cache_hit
from helioport_toy import plugin as toy

T = np.array(["2020-01-01T00:00", "2020-01-01T00:01", "2020-01-01T00:02"], dtype="M8[ns]")
TOY_REQUEST = {
    "products": ["dc_mag"],
    "probes": ["t1"],
    "start": "2020-01-01",
    "end": "2020-01-01T02:00",
}


def _var(name: str, product: str, probe: str | None = None, values=(1.0, 2.0, 3.0)):
    attrs = {"product": product, "units": "nT", "files": "f.csv"}
    if probe:
        attrs["probe"] = probe
    return xr.DataArray(
        list(values), dims=(f"time_{name}",), coords={f"time_{name}": T}, attrs=attrs
    )


def _dataset(variables: dict[str, xr.DataArray], mission: str = "toy", **attrs) -> xr.Dataset:
    return xr.Dataset(variables, attrs={"mission": mission, "request": "x", **attrs})


def test_a_conforming_dataset_has_no_problem():
    ds = _dataset({"dc_mag_t1": _var("dc_mag_t1", "dc_mag", "t1")})
    assert check_dataset(ds, helioport.mission_info("toy"), TOY_REQUEST) == []


def test_conformance_catches_a_broken_dataset():
    t = np.array(
        ["2020-01-01T00:00", "2020-01-01T00:00", "2020-01-01T03:00"], dtype="datetime64[ns]"
    )
    ds = xr.Dataset(
        {"dc_mag_t1": (("time_dc_mag_t1",), [1.0, 2.0, 3.0])},
        coords={"time_dc_mag_t1": t},
        attrs={"mission": "toy", "request": "x"},
    )
    problems = check_dataset(
        ds, helioport.mission_info("toy"), dict(TOY_REQUEST, end="2020-01-01T02:00")
    )
    text = "\n".join(problems)
    assert "strictly increasing" in text and "leave the requested" in text and "'units'" in text


# -- naming: only the requested products' variables -------------------------------------------
@pytest.mark.parametrize("title", ["", "toy all products"])  # "all" in the title once exempted
def test_an_unrequested_variable_fails_the_naming_check(title):
    ds = _dataset(
        {
            "dc_mag_t1": _var("dc_mag_t1", "dc_mag", "t1"),
            "i_dens_t1": _var("i_dens_t1", "i_dens", "t1"),
        },
        title=title,
    )
    problems = check_dataset(ds, helioport.mission_info("toy"), TOY_REQUEST)
    expected = "expected ['dc_mag_t1'] (its attrs['product'] is 'i_dens')"
    assert problems == [
        f"variable 'i_dens_t1' is not a variable of the requested products: {expected}"
    ]


def test_probe_suffixes_follow_the_requested_probes():
    spec = helioport.mission_info("toy")
    unsuffixed = _dataset({"dc_mag": _var("dc_mag", "dc_mag", "t1")})
    other_probe = _dataset({"dc_mag_t2": _var("dc_mag_t2", "dc_mag", "t2")})
    for ds in (unsuffixed, other_probe):
        text = "\n".join(check_dataset(ds, spec, TOY_REQUEST))
        assert "is not a variable of the requested products" in text
        assert "requested product 'dc_mag' has no variable in the Dataset" in text


def test_a_variable_holding_another_product_than_its_name_says_fails():
    # e.g. a derivation's companion overwriting a stored product's variable
    ds = _dataset({"dc_mag_t1": _var("dc_mag_t1", "b_pressure", "t1")})
    problems = check_dataset(ds, helioport.mission_info("toy"), TOY_REQUEST)
    holds = "holds product 'b_pressure' (attrs['product'])"
    assert problems == [
        f"variable 'dc_mag_t1' is named after ['dc_mag'] but {holds}",
        "requested product 'dc_mag' has no variable in the Dataset",
    ]


def _bundle_spec() -> MissionSpec:
    """A mission without probes with a bundle product, like OMNI's ``all``."""
    return MissionSpec(
        name="bundled",
        products=[
            ProductSpec(name="dc_mag", kind="vector", units="nT", components=["x", "y", "z"]),
            ProductSpec(name="all", kind="table"),
        ],
        sources=[SourceSpec(key="bundled", url="https://b.invalid/", env="HELIOPORT_BUNDLED_URL")],
    )


def test_bundle_members_pass_only_for_a_requested_bundle():
    spec = _bundle_spec()
    members = {"bx": _var("bx", "all"), "sym_h": _var("sym_h", "all")}
    req = {"products": ["all"], "start": "2020-01-01", "end": "2020-01-02"}
    assert check_dataset(_dataset(members, "bundled"), spec, req) == []
    # a vector product is no bundle: a variable that claims to belong to it is still extra
    extra = {"dc_mag": _var("dc_mag", "dc_mag"), "junk": _var("junk", "dc_mag")}
    problems = check_dataset(_dataset(extra, "bundled"), spec, dict(req, products=["dc_mag"]))
    expected = "expected ['dc_mag'] (its attrs['product'] is 'dc_mag')"
    assert problems == [f"variable 'junk' is not a variable of the requested products: {expected}"]
    # members of a bundle that was not requested
    problems = check_dataset(_dataset(members, "bundled"), spec, dict(req, products=["dc_mag"]))
    assert len(problems) == 3 and "'bx'" in problems[0] and "'sym_h'" in problems[1]


# -- cache hit: no file body fetched again ----------------------------------------------------
def _entry(path: str, status: int, ctype: str = "", method: str = "GET", size: int = 0):
    headers = {"Content-Type": ctype} if ctype else {}
    return LoggedRequest(method, path, {}, status, {}, size, headers)


def test_revalidations_and_json_listing_queries_are_a_cache_hit():
    log = [
        _entry("/toy/t1/2020/", 304),
        _entry("/toy/t1/2020/toy_t1_20200101_v1.csv", 304),
        _entry("/mms/sdc/public/files/api/v1/file_info/science", 200, "application/json", size=90),
        _entry("/toy/t1/2020/toy_t1_20200101_v1.csv", 200, "text/csv", method="HEAD"),
    ]
    assert check_cache_hit(log) == []


@pytest.mark.parametrize(
    "entry",
    [
        # a file body fetched again, even under a path saying "api" (once exempted)
        _entry("/api/v1/download/science", 200, "application/x-cdf", size=5000),
        _entry("/data/api/toy_t1_20200101_v1.csv", 200, "text/csv; charset=utf-8", size=700),
        _entry("/toy/t1/2020/toy_t1_20200101_v1.csv", 206, "text/csv", size=10),
        # a directory listing sent in full: the client did not revalidate it
        _entry("/toy/t1/2020/", 200, "text/html;charset=UTF-8", size=900),
        _entry("/toy/t1/2020/", 503, "text/html", size=300),
    ],
)
def test_a_body_fetched_again_fails_the_cache_hit_check(entry):
    problems = check_cache_hit([_entry("/toy/t1/2020/", 304), entry])
    assert len(problems) == 1 and "fetched again" in problems[0]
    assert f"{entry.path} -> {entry.status}" in problems[0]


# -- whole plugins ----------------------------------------------------------------------------
def _toy_with(**replaced) -> ModuleType:
    """A plugin module with the example plugin's hooks, some replaced (``None``: left out)."""
    hooks = {n: getattr(toy, n) for n in dir(toy) if n.startswith("helioport_")}
    module = ModuleType("bad_toy")
    for name, hook in {**hooks, **replaced}.items():
        if hook is not None:
            setattr(module, name, hook)
    return module


def _wrap(hook, change):
    """``hook`` (any signature) with ``change(arguments, result)`` applied to its result."""
    signature = inspect.signature(hook)

    @functools.wraps(hook)
    def wrapper(*args):
        return change(signature.bind(*args).arguments, hook(*args))

    return wrapper


def test_the_example_plugin_passes_through_a_registry_of_its_own(tmp_path):
    report = check_plugin(
        "toy", tmp_path, registry=Registry([_toy_with()], load_entry_points=False)
    )
    assert report.ok, str(report)
    assert report.path_checked and report.checked == ["mission spec", *PATH_CHECKS]


def test_a_plugin_whose_second_load_downloads_again_fails(tmp_path):
    calls = iter(range(1, 1000))

    def new_name_each_listing(arguments, files):  # a bug: every listing looks like new files
        n = next(calls)
        return [
            f.model_copy(update={"relpath": f"{f.relpath}.{n}", "key": f"{f.key}.{n}"})
            for f in files
        ]

    bad = _toy_with(helioport_find_files=_wrap(toy.helioport_find_files, new_name_each_listing))
    report = check_plugin("toy", tmp_path, registry=Registry([bad], load_entry_points=False))
    assert not report.ok
    refetched = [p for p in report.problems if "fetched again" in p]
    assert refetched and ".csv -> 200 (text/csv" in refetched[0], str(report)


def test_a_plugin_returning_an_unrequested_variable_fails(tmp_path):
    def with_extra(arguments, da):
        if arguments.get("product") != "dc_mag":
            return da
        extra = da.isel(component=0, drop=True)
        return xr.Dataset({"dc_mag": da, "b_extra": extra}, attrs={"product": "dc_mag"})

    bad = _toy_with(helioport_load=_wrap(toy.helioport_load, with_extra))
    report = check_plugin("toy", tmp_path, registry=Registry([bad], load_entry_points=False))
    extra = [p for p in report.problems if "b_extra" in p]
    assert extra and "is not a variable of the requested products" in extra[0], str(report)


def test_a_plugin_without_sample_cannot_skip_the_path_checks_when_required(tmp_path):
    registry = Registry([_toy_with(helioport_sample_archive=None)], load_entry_points=False)
    lenient = check_plugin("toy", tmp_path, registry=registry)
    assert lenient.ok and not lenient.path_checked and NO_SAMPLE in lenient.checked
    strict = check_plugin("toy", tmp_path, registry=registry, require_sample=True)
    assert not strict.ok and "ships no sample archive" in strict.problems[0]
