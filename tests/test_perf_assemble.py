"""Output variables and the Dataset built with fewer steps give what xarray's own ways give.

- :func:`helioport.naming.output_split` and :func:`helioport.naming.output_variable`
  (one look at the plugin's DataArray for a vector and its magnitude, values
  taken with numpy, label decisions cached) give what the naming rules give
  when written with xarray's own operations (``isel``, ``sel``,
  ``assign_coords``, ``rename``), for every layout: vectors with a magnitude
  anywhere, other label orders and widths, tensors, spectra with energy
  tables, coordinates on the component axis, scalars, lazy values;
- the cached label decisions never answer for other labels, order or width;
- the Dataset is made without xarray's merge (``Dataset._construct_direct``)
  only where that gives what the public constructor gives (variables and
  their order, dimensions, coordinates, indexes, attrs, encodings), and owns
  its variables: changing it changes no output variable and no later load.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport.lifecycle.assemble import TIME_ATTRS, _dataset
from helioport.naming import (
    COMPONENT,
    MAGNITUDE,
    TENSOR_DIMS,
    XYZ,
    OutputVariable,
    _xyz,
    component_labels,
    dim_name,
    find_time_dim,
    magnitude_attrs,
    output_split,
    output_variable,
    time_dim_name,
)

# the module (``helioport.lifecycle.assemble`` is also the name of its function)
assemble_module = importlib.import_module("helioport.lifecycle.assemble")
T0 = np.datetime64("2015-10-16T13:05:24", "ns")


def _times(n: int) -> np.ndarray:
    return T0 + (np.arange(n) * 7_812_500).astype("m8[ns]")


# --------------------------------------------------------------------------- references


def _reference_output(da: xr.DataArray, variable: str) -> xr.DataArray:
    """The naming rules (DESIGN §4) with xarray's own operations, as helioport once wrote them."""
    tdim = find_time_dim(da)
    renames: dict[Hashable, str] = {}
    shared = []
    for d in da.dims:
        if d == tdim:
            renames[d] = time_dim_name(variable)
        elif (
            d in (COMPONENT, *TENSOR_DIMS)
            and _reference_labels(da, d) is not None
            and (len(_reference_labels(da, d)) == 3 and set(_reference_labels(da, d)) == set(XYZ))
        ):
            shared.append(d)
        else:
            renames[d] = dim_name(d, variable)
    suffix = f"_{variable}"
    for c in da.coords:
        if c not in da.dims and not str(c).endswith(suffix):
            renames[c] = f"{c}{suffix}"
    if shared:
        xyz = np.array(XYZ)
        reorder = {d: list(XYZ) for d in shared if _reference_labels(da, d) != list(XYZ)}
        if reorder:
            da = da.sel(reorder)
        relabel = {
            d: xyz
            for d in shared
            if d in reorder or d not in da.coords or da.coords.variables[d].dtype != xyz.dtype
        }
        if relabel:
            da = da.assign_coords(relabel)
    return da.rename(renames) if renames else da


def _reference_labels(da: xr.DataArray, dim: Hashable) -> list[str] | None:
    if dim not in da.coords:
        return None
    return [str(v) for v in np.asarray(da.coords[dim].values).ravel()]


def _reference_split(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray | None]:
    labels = _reference_labels(da, COMPONENT) if COMPONENT in da.dims else None
    if not labels or MAGNITUDE not in labels or not set(XYZ) <= set(labels):
        return da, None
    at = labels.index(MAGNITUDE)
    keep = [i for i in range(len(labels)) if i != at]
    return da.isel({COMPONENT: keep}), da.isel({COMPONENT: at}, drop=True)


def _same_dataarray(ours: xr.DataArray, ref: xr.DataArray) -> None:
    xr.testing.assert_identical(ours, ref)
    assert list(ours.coords) == list(ref.coords)
    for name in ref.coords:
        assert type(ours.coords.variables[name]) is type(ref.coords.variables[name]), name
        assert ours.coords[name].dtype == ref.coords[name].dtype, name
    assert list(ours.xindexes) == list(ref.xindexes)
    for name, index in ref.xindexes.items():
        assert type(ours.xindexes[name]) is type(index)
        assert ours.xindexes[name].index.equals(index.index)
        assert ours.xindexes[name].index.name == index.index.name
        assert ours.xindexes[name].index.dtype == index.index.dtype
    assert ours.variable.encoding == ref.variable.encoding


def _same_dataset(ours: xr.Dataset, ref: xr.Dataset) -> None:
    """Identical, and built alike: the order of everything, variable types, indexes."""
    xr.testing.assert_identical(ours, ref)
    assert list(ours.variables) == list(ref.variables)
    assert list(ours.dims) == list(ref.dims)
    assert list(ours.coords) == list(ref.coords)
    assert list(ours.xindexes) == list(ref.xindexes)
    for name, var in ref.variables.items():
        mine = ours.variables[name]
        assert type(mine) is type(var), name
        assert mine.dtype == var.dtype, name
        assert list(mine.attrs) == list(var.attrs), name
        assert mine.encoding == var.encoding, name
    for name, index in ref.xindexes.items():
        assert type(ours.xindexes[name]) is type(index), name
        assert ours.xindexes[name].equals(index), name
        assert ours.xindexes[name].index.name == index.index.name, name
    assert ours.encoding == ref.encoding


# --------------------------------------------------------------------------- layouts


def _vector(labels=("x", "y", "z", "tot"), n: int = 20, **coords) -> xr.DataArray:
    rng = np.random.default_rng(len(labels))
    return xr.DataArray(
        rng.normal(size=(n, len(labels))).astype(np.float32),
        dims=("time", "component"),
        coords={"time": _times(n), "component": list(labels), **coords},
        attrs={"units": "nT", "CATDESC": "B"},
        name="b",
    )


def _layouts() -> dict[str, xr.DataArray]:
    rng = np.random.default_rng(7)
    n = 12
    t = _times(n)
    return {
        "vector and magnitude": _vector(),
        "magnitude first": _vector(("tot", "x", "y", "z")),
        "magnitude inside, another order": _vector(("z", "tot", "x", "y")),
        "x y z wide labels": _vector(("x", "y", "z")).assign_coords(
            component=np.array(["x", "y", "z"], dtype="<U5")
        ),
        "x y z as they should be": _vector(("x", "y", "z")).assign_coords(
            component=np.array(["x", "y", "z"], dtype="<U1")
        ),
        "z x y": _vector(("z", "x", "y")),
        "quaternion": _vector(("x", "y", "z", "w")),
        "labels beside the components": _vector(
            lab=("component", ["Bx", "By", "Bz", "Bt"]), probe="mms1"
        ),
        "a table over time and components": _vector(
            gain=(("time", "component"), rng.random((20, 4)))
        ),
        "integers": _vector().copy(data=np.arange(80, dtype=np.int32).reshape(20, 4)),
        "tensor": xr.DataArray(
            rng.random((n, 3, 3)),
            dims=("time", *TENSOR_DIMS),
            coords={"time": t, TENSOR_DIMS[0]: list("xyz"), TENSOR_DIMS[1]: list("zyx")},
        ),
        "spectrum with an energy table": xr.DataArray(
            rng.random((n, 4)),
            dims=("time", "energy_bin"),
            coords={
                "time": t,
                "energy": (("time", "energy_bin"), rng.random((n, 4)), {"units": "eV"}),
            },
            attrs={"units": "keV/(cm^2 s sr keV)"},
        ),
        "distribution on fixed axes": xr.DataArray(
            rng.random((n, 3, 4)),
            dims=("time", "phi", "energy"),
            coords={"time": t, "phi": [0.0, 120.0, 240.0], "energy": np.arange(4.0)},
        ),
        "scalar": xr.DataArray(rng.random(n), dims="time", coords={"time": t}),
        "named like the variable already": xr.DataArray(
            rng.random(n), dims="time", coords={"time": t, "q_v": ("time", rng.random(n))}
        ),
        "no time": xr.DataArray(rng.random((5, 3)), dims=("record", "component")),
        "a multi-index": xr.DataArray(
            rng.random((n, 3)), dims=("time", "channel"), coords={"time": t}
        ).assign_coords(
            xr.Coordinates.from_pandas_multiindex(
                pd.MultiIndex.from_arrays([["a", "a", "b"], [1, 2, 1]], names=("sc", "n")),
                "channel",
            )
        ),
        "times as values": xr.DataArray(
            t, dims="time", coords={"time": t}, attrs={"description": "times"}
        ),
    }


LAYOUTS = _layouts()


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_output_variable_is_what_the_naming_rules_give(layout: str) -> None:
    da = LAYOUTS[layout]
    _same_dataarray(output_variable(da, "v").to_dataarray(da.name), _reference_output(da, "v"))


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_output_split_is_split_then_named(layout: str) -> None:
    da = LAYOUTS[layout]
    vec, mag = output_split(da, "v", "v_tot")
    ref_vec, ref_mag = _reference_split(da)
    _same_dataarray(vec.to_dataarray(da.name), _reference_output(ref_vec, "v"))
    assert (mag is None) == (ref_mag is None)
    if mag is not None:
        _same_dataarray(mag.to_dataarray(da.name), _reference_output(ref_mag, "v_tot"))


@pytest.mark.parametrize(
    ("layout", "at"), [("vector and magnitude", 3), ("magnitude first", 0), ("quaternion", None)]
)
def test_a_described_magnitude_carries_its_own_attrs(layout: str, at: int | None) -> None:
    da = LAYOUTS[layout]
    attrs = {**da.attrs, "source_variable": "mms1_fgm_b_gse_brst_l2", "probe": "mms1"}
    vec, mag = output_split(da, "v", "v_tot", attrs=attrs, describe=True)
    assert vec.attrs == attrs
    if at is None:
        assert mag is None
        return
    assert mag.attrs == magnitude_attrs(attrs, "v", da.sizes[COMPONENT], at)
    assert output_split(da, "v", "v_tot", attrs=attrs)[1].attrs == attrs  # undescribed


def test_the_vector_is_a_view_and_labels_beside_it_stay() -> None:
    da = LAYOUTS["labels beside the components"]
    vec, mag = output_split(da, "v", "v_tot")
    assert np.shares_memory(vec.variable.values, da.values)
    assert vec.coords["lab_v"].values.tolist() == ["Bx", "By", "Bz"]  # not lost with the slice
    assert "lab_v_tot" not in mag.coords  # one label left: dropped with the dimension


def test_lazy_values_stay_lazy() -> None:
    da_module = pytest.importorskip("dask.array")
    da = _vector()
    lazy = da.copy(data=da_module.from_array(da.values, chunks=(5, 4)))
    vec, mag = output_split(lazy, "v", "v_tot")
    assert vec.variable.chunks is not None and mag.variable.chunks is not None
    _same_dataarray(
        vec.to_dataarray("b").compute(), output_split(da, "v", "v_tot")[0].to_dataarray("b")
    )


def test_cached_label_decisions_follow_the_labels() -> None:
    # the same label sets in turn: a decision kept for one must never answer for another
    narrow = LAYOUTS["x y z as they should be"]
    wide = LAYOUTS["x y z wide labels"]
    reordered = LAYOUTS["z x y"]
    for da in (narrow, wide, reordered, narrow, reordered, wide):
        _same_dataarray(output_variable(da, "v").to_dataarray(da.name), _reference_output(da, "v"))
    out = output_variable(narrow, "v")
    assert out.indexes[COMPONENT] is not _xyz(COMPONENT)[0]  # its own labels: kept
    assert output_variable(wide, "v").indexes[COMPONENT] is _xyz(COMPONENT)[0]  # made anew
    again = output_variable(reordered, "v")
    np.testing.assert_array_equal(again.variable.values[:, 0], reordered.values[:, 1])  # x


def test_component_labels() -> None:
    assert component_labels(_vector()) == ["x", "y", "z", "tot"]
    assert component_labels(_vector(), "energy") is None  # not a dimension
    assert component_labels(LAYOUTS["no time"]) is None


# --------------------------------------------------------------------------- the Dataset


def _bundles() -> dict[str, dict[str, OutputVariable]]:
    """Output variables as a load gives them, several layouts together."""

    def split(da: xr.DataArray, name: str) -> dict[str, OutputVariable]:
        vec, mag = output_split(da, name, f"{name}_tot")
        return {name: vec} if mag is None else {name: vec, f"{name}_tot": mag}

    four = {}
    for i in range(4):
        four |= split(_vector(n=10 + i), f"dc_mag_mms{i + 1}")
    spectra = {
        f"i_omniflux_mms{i}": output_variable(LAYOUTS["spectrum with an energy table"], f"s{i}")
        for i in (1, 2)
    }
    return {
        "vectors and magnitudes": four,
        "spectra with energy tables": spectra,
        "scalars": {
            "n_mms1": output_variable(LAYOUTS["scalar"], "n_mms1"),
            "n_mms2": output_variable(LAYOUTS["scalar"], "n_mms2"),
        },
        "shared component dim": split(_vector(("z", "y", "x")), "a")
        | split(_vector(("x", "y", "z")), "b")
        | {"t": output_variable(LAYOUTS["tensor"], "t")},
        "a dimension coordinate without an index": {
            "e": OutputVariable(
                xr.Variable(("energy_e",), [1.0, 2.0], {"units": "1/cm^3"}),
                {"energy_e": xr.Variable(("energy_e",), [10.0, 20.0], {"units": "eV"})},
                {},
            ),
        }
        | four,
        "everything": four
        | spectra
        | {"d": output_variable(LAYOUTS["distribution on fixed axes"], "d")}
        | {"q": output_variable(LAYOUTS["quaternion"], "q")}
        | split(LAYOUTS["labels beside the components"], "l")
        | {"r": output_variable(LAYOUTS["no time"], "r")},
    }


BUNDLES = _bundles()


def _public(variables: dict[str, OutputVariable], monkeypatch) -> xr.Dataset:
    """The Dataset of xarray's public constructor (the way without ``_construct_direct``)."""
    with monkeypatch.context() as m:
        m.setattr(assemble_module, "_direct", lambda *args: None)
        return _dataset(variables)


@pytest.mark.parametrize("bundle", list(BUNDLES))
def test_the_direct_dataset_is_the_constructors(bundle: str, monkeypatch) -> None:
    variables = BUNDLES[bundle]
    ours = _dataset(variables)
    _same_dataset(ours, _public(variables, monkeypatch))
    given = {k: i for out in variables.values() for k, i in out.indexes.items()}
    assert all(ours.xindexes[k] is index for k, index in given.items())  # used as they are
    # and what xarray makes of the DataArrays themselves (alignment and all)
    ref = xr.Dataset({name: out.to_dataarray(name) for name, out in variables.items()})
    for dim in ref.dims:
        if str(dim).startswith("time_"):
            ref[dim].attrs.update(TIME_ATTRS)
    xr.testing.assert_identical(ours, ref)


def test_coordinates_that_meet_are_taken_once_or_aligned(monkeypatch) -> None:
    da = LAYOUTS["scalar"]
    a = output_variable(da, "a")
    # the same coordinate under the same name in two variables: taken once
    b = OutputVariable(a.variable.copy(), {**a.coords}, {**a.indexes})
    ds = _dataset({"a": a, "b": b})
    _same_dataset(ds, _public({"a": a, "b": b}, monkeypatch))
    # different ones: xarray's alignment, as before
    c = output_variable(da.isel(time=slice(0, 6)), "a")
    aligned = _dataset({"a": a, "c": c})
    assert aligned.sizes["time_a"] == da.sizes["time"]
    assert np.isnan(aligned["c"].values[6:]).all()


def test_a_variable_named_like_a_dimension_takes_the_constructors_way(monkeypatch) -> None:
    vec = output_variable(_vector(("x", "y", "z")), "v")
    # a variable on a dimension of its own name, without a coordinate (a loader cannot)
    d = OutputVariable(xr.Variable(("d",), [1.0, 2.0, 3.0], {"units": "m"}), {}, {})
    variables = {"v": vec, "d": d}
    data = {k: o.variable for k, o in variables.items()}
    assert assemble_module._direct(data, dict(vec.coords), dict(vec.indexes)) is None
    ours = _dataset(variables)
    _same_dataset(ours, _public(variables, monkeypatch))
    assert "d" in ours.xindexes  # the constructor made it a coordinate with an index


def test_dimensions_of_different_sizes_take_the_constructors_way(monkeypatch) -> None:
    a = output_variable(_vector(("x", "y", "z")), "a")
    b = output_variable(_vector(("x", "y", "z", "w")), "b")
    # a vector on a shared dim of another size, built by hand (a loader cannot)
    wrong = OutputVariable(
        xr.Variable(("time_b", COMPONENT), b.variable.values), b.coords, b.indexes
    )
    data = {"a": a.variable, "b": wrong.variable}
    coords = {**a.coords, **{k: v for k, v in b.coords.items() if k != "component_b"}}
    assert assemble_module._direct(data, coords, {**a.indexes}) is None
    with pytest.raises(Exception) as ours:
        _dataset({"a": a, "b": wrong})
    with pytest.raises(Exception) as public:
        _public({"a": a, "b": wrong}, monkeypatch)
    assert type(ours.value) is type(public.value) and str(ours.value) == str(public.value)


def test_the_dataset_owns_its_variables() -> None:
    variables = _bundles()["vectors and magnitudes"]
    ds = _dataset(variables)
    for name in ds.variables:
        ds.variables[name].attrs["touched"] = True
    for out in variables.values():
        assert "touched" not in out.variable.attrs
        for tdim, var in out.coords.items():
            assert "touched" not in var.attrs
            if tdim.startswith("time_"):
                assert var.attrs == {}  # the time attrs are the Dataset's
    again = _dataset(_bundles()["vectors and magnitudes"])
    assert again["component"].attrs == {}  # the shared x, y, z labels left as they were
    assert again["time_dc_mag_mms1"].attrs == TIME_ATTRS


def test_without_construct_direct_the_public_constructor(monkeypatch) -> None:
    variables = BUNDLES["everything"]
    expected = _dataset(variables)
    monkeypatch.delattr(xr.Dataset, "_construct_direct")
    assert assemble_module._direct({}, {}, {}) is None
    monkeypatch.undo()
    _same_dataset(_public(variables, monkeypatch), expected)
