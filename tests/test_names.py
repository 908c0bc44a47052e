"""Stable names (DESIGN §4): a variable's dimensions depend on it alone; the ``.helio``
accessor; ``load(time=...)`` on one time base; pySPEDAS-style ``trange``.

MMS data come from files with the real variable names written by the MMS plugin's
fixtures, OMNI data from its sample archive (a local mirror in both cases).
"""

from __future__ import annotations

import datetime as dt

import cdflib
import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.errors import InvalidRequestError
from helioport.events.resolve import infer_probes, resolve_series

fixtures = pytest.importorskip("helioport_mms.fixtures", reason="the MMS plugin is not installed")

START, END = "2015-10-16T00:00", "2015-10-16T00:10"
FGM_N = 16 * 600  # 10 min at 16 S/s
MOMS_N = 120  # 9 min at 4.5 s


@pytest.fixture(scope="module")
def mms_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mms_names")
    for i, probe in enumerate(("mms1", "mms2")):
        fixtures.write_fgm(root, probe, "srvy", "2015-10-16", FGM_N, seed=1 + i)
        fixtures.write_fpi_moms(root, probe, "dis", "fast", START, MOMS_N, seed=3 + i)
    return root


def _mms(root, products, probes="mms1", **kw):
    return helioport.load(
        "mms", START, END, products=products, probes=probes, base_url=str(root), **kw
    )


def _raw(root, pattern, var):
    (path,) = sorted(root.glob(pattern))
    cdf = cdflib.CDF(str(path))
    epoch = cdf.varattsget(var)["DEPEND_0"]
    t = cdflib.cdfepoch.to_datetime(cdf.varget(epoch)).astype("datetime64[ns]")
    return t, np.asarray(cdf.varget(var))


def _dims(ds):
    """Every variable's dims and the labels of its shared dimensions."""
    return {
        str(v): (
            da.dims,
            {
                str(d): da[d].values.tolist()
                for d in da.dims
                if d in da.coords and da[d].dtype.kind == "U"
            },
        )
        for v, da in ds.data_vars.items()
    }


# --------------------------------------------------------------------------- dims


MMS_EXPECTED = {
    "i_dens_mms1": ("time_i_dens_mms1",),
    "i_bulkv_mms1": ("time_i_bulkv_mms1", "component"),
    "dc_mag_mms1": ("time_dc_mag_mms1", "component"),
    "dc_mag_tot_mms1": ("time_dc_mag_tot_mms1",),
    "i_omniflux_mms1": ("time_i_omniflux_mms1", "energy_bin_i_omniflux_mms1"),
    "i_prestens_mms1": ("time_i_prestens_mms1", "component_1", "component_2"),
}


def test_mms_dims_are_the_same_alone_and_with_others(mms_root):
    together = _mms(mms_root, ["i_dens", "i_bulkv", "dc_mag", "i_omniflux", "i_prestens"])
    assert {v: together[v].dims for v in together.data_vars} == MMS_EXPECTED
    for product in ("i_dens", "i_bulkv", "dc_mag", "i_omniflux", "i_prestens"):
        alone = _mms(mms_root, product)
        for v in alone.data_vars:
            assert alone[v].dims == together[v].dims == MMS_EXPECTED[v], v
            xr.testing.assert_identical(alone[v], together[v])
    # ... and with a second probe, and in another order
    both = _mms(mms_root, ["dc_mag", "i_bulkv", "i_dens"], probes=["mms2", "mms1"])
    for v in ("dc_mag_mms1", "dc_mag_tot_mms1", "i_bulkv_mms1", "i_dens_mms1"):
        xr.testing.assert_identical(both[v], together[v])
    assert both["dc_mag_mms2"].dims == ("time_dc_mag_mms2", "component")
    # vectors share one component dimension x, y, z: no NaN padding from an outer join
    assert together["component"].values.tolist() == ["x", "y", "z"]
    assert together.sizes["component"] == 3
    assert not np.isnan(together["i_bulkv_mms1"].values).all(axis=1).any()


def test_mms_values_and_the_archives_magnitude_as_its_own_variable(mms_root):
    ds = _mms(mms_root, ["dc_mag", "i_bulkv", "i_omniflux"])
    t, b = _raw(mms_root, "mms1/fgm/**/*.cdf", "mms1_fgm_b_gse_srvy_l2")
    np.testing.assert_array_equal(ds["time_dc_mag_mms1"].values, t)
    np.testing.assert_array_equal(ds["dc_mag_mms1"].values, b[:, :3])
    np.testing.assert_array_equal(ds["dc_mag_mms1"].sel(component="z").values, b[:, 2])
    mag = ds["dc_mag_tot_mms1"]
    np.testing.assert_array_equal(mag.values, b[:, 3])
    np.testing.assert_array_equal(mag["time_dc_mag_tot_mms1"].values, t)
    assert mag.attrs["units"] == "nT" and mag.attrs["probe"] == "mms1"
    assert mag.attrs["product"] == "dc_mag" and mag.attrs["magnitude_of"] == "dc_mag_mms1"
    assert mag.attrs["files"] == ds["dc_mag_mms1"].attrs["files"] != ""
    assert mag.attrs["source_variable"].startswith("mms1_fgm_b_gse_srvy_l2 (component 4 of 4")
    assert "magnitude the archive gives" in mag.attrs["long_name"]
    assert "magnitude the archive gives" in mag.attrs["CATDESC"]
    # a time-varying energy table stays a time-varying coordinate on the variable's own axes
    energy = ds["i_omniflux_mms1"].coords["energy_i_omniflux_mms1"]
    assert energy.dims == ("time_i_omniflux_mms1", "energy_bin_i_omniflux_mms1")
    _, table = _raw(mms_root, "mms1/fpi/**/*.cdf", "mms1_dis_energy_fast")
    np.testing.assert_array_equal(energy.values, table)
    assert not np.array_equal(energy.values[0], energy.values[1])


def test_omni_dims_are_the_same_alone_and_with_others(omni_sample):
    kw = {"mode": "1min", "base_url": str(omni_sample)}
    span = ("2010-01-01", "2010-01-01T03:00")
    together = helioport.load(
        "omni", *span, products=["i_dens", "sc_pos", "dc_mag", "i_bulkv"], **kw
    )
    expected = {
        "i_dens": ("time_i_dens",),
        "sc_pos": ("time_sc_pos", "component"),
        "dc_mag": ("time_dc_mag", "component"),
        "dc_mag_tot": ("time_dc_mag_tot",),  # the archive's F
        "i_bulkv": ("time_i_bulkv", "component"),
        "i_bulkv_tot": ("time_i_bulkv_tot",),  # the archive's flow speed V
    }
    assert {v: together[v].dims for v in together.data_vars} == expected
    assert together["dc_mag_tot"].attrs["source_variable"] == "F"
    assert together["i_bulkv_tot"].attrs["source_variable"] == "flow_speed"
    for product in ("dc_mag", "i_dens", "sc_pos"):
        alone = helioport.load("omni", *span, products=product, **kw)
        for v in alone.data_vars:
            xr.testing.assert_identical(alone[v], together[v])
    # the 'all' bundle: the same names and dims; a vector without a magnitude (sc_pos) gets no
    # all-NaN sc_pos_tot, nor a padded component
    bundle = helioport.load("omni", *span, products="all", **kw)
    for v in ("dc_mag", "dc_mag_tot", "i_bulkv", "sc_pos", "i_dens"):
        assert bundle[v].dims == expected[v]
        np.testing.assert_array_equal(bundle[v].values, together[v].values)
    assert "sc_pos_tot" not in bundle and "bsn_pos_tot" not in bundle
    assert bundle["component"].values.tolist() == ["x", "y", "z"]


# --------------------------------------------------------------------------- the accessor


def test_accessor_slices_every_time_dimension_at_once(mms_root):
    ds = _mms(mms_root, ["dc_mag", "i_dens", "i_omniflux"])
    assert ds.helio.time_dims == [
        "time_dc_mag_mms1",
        "time_dc_mag_tot_mms1",
        "time_i_dens_mms1",
        "time_i_omniflux_mms1",
    ]
    a, b = np.datetime64("2015-10-16T00:02:00"), np.datetime64("2015-10-16T00:04:30")
    part = ds.helio.sel(time=slice("2015-10-16T00:02Z", dt.datetime(2015, 10, 16, 0, 4, 30)))
    for dim in ds.helio.time_dims:
        t = ds[dim].values
        inside = (t >= a) & (t <= b)  # both ends included, as xarray's label slices
        np.testing.assert_array_equal(part[dim].values, t[inside])
    assert part.sizes["time_dc_mag_mms1"] == 150 * 16 + 1  # 16 S/s from 00:02:00 to 00:04:30
    assert part.sizes["time_i_dens_mms1"] == 34  # 4.5 s: 00:02:00 ... 00:04:28.5
    np.testing.assert_array_equal(
        part["i_omniflux_mms1"].values,
        ds["i_omniflux_mms1"].values[
            (ds["time_i_omniflux_mms1"].values >= a) & (ds["time_i_omniflux_mms1"].values <= b)
        ],
    )
    # the energy table (a time-varying coordinate) follows; other keys pass through
    assert part["energy_i_omniflux_mms1"].shape == (34, 32)
    bz = ds.helio.sel(time=slice(a, b), component="z")["dc_mag_mms1"]
    np.testing.assert_array_equal(
        bz.values,
        ds["dc_mag_mms1"].values[
            (ds["time_dc_mag_mms1"].values >= a) & (ds["time_dc_mag_mms1"].values <= b), 2
        ],
    )
    # an open end, a single time with method=, positions, and a DataArray
    tail = ds.helio.sel(time=slice("2015-10-16T00:08", None))
    assert tail["time_i_dens_mms1"].values[-1] == ds["time_i_dens_mms1"].values[-1]
    near = ds.helio.sel(time="2015-10-16T00:03:01", method="nearest")
    assert near["i_dens_mms1"].values == ds["i_dens_mms1"].values[40]  # 00:03:00 is sample 40
    assert near["time_i_dens_mms1"].values == np.datetime64("2015-10-16T00:03:00")
    first = ds.helio.isel(time=0)
    assert first["dc_mag_tot_mms1"].values == ds["dc_mag_tot_mms1"].values[0]
    assert first["i_dens_mms1"].values == ds["i_dens_mms1"].values[0]
    last10 = ds.helio.isel(time=slice(-10, None))
    assert all(last10.sizes[d] == 10 for d in ds.helio.time_dims)
    da = ds["dc_mag_mms1"].helio.sel(time=slice(a, b))
    xr.testing.assert_identical(da, part["dc_mag_mms1"])


def test_accessor_says_what_is_wrong():
    ds = xr.Dataset({"v": ("x", [1.0, 2.0])})
    with pytest.raises(InvalidRequestError, match="no datetime64 dimension"):
        ds.helio.sel(time=slice("2020-01-01", "2020-01-02"))
    t = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")
    ds = xr.Dataset({"v": ("time_v", [1.0, 2.0])}, coords={"time_v": t})
    with pytest.raises(InvalidRequestError, match="cannot parse 'yesterday'"):
        ds.helio.sel(time=slice("yesterday", None))
    with pytest.raises(InvalidRequestError, match="takes no step"):
        ds.helio.sel(time=slice("2020-01-01", "2020-01-02", 2))
    with pytest.raises(InvalidRequestError, match="method="):
        ds.helio.sel(time=slice("2020-01-01", "2020-01-02"), method="nearest")
    # a Dataset already on one ``time`` axis works the same
    one = xr.Dataset({"v": ("time", [1.0, 2.0])}, coords={"time": t})
    assert one.helio.sel(time=slice("2020-01-02", None))["v"].values.tolist() == [2.0]


def test_accessor_keeps_nanoseconds_and_explains_a_time_missing_from_a_variable():
    a = np.array(["2020-01-01T00:00:00.000000000", "2020-01-01T00:00:00.123456789"], "M8[ns]")
    b = np.array(["2020-01-01T00:00:00", "2020-01-01T00:00:01"], "M8[ns]")
    ds = xr.Dataset(
        {"a": ("time_a", [1.0, 2.0]), "b": ("time_b", [3.0, 4.0])},
        coords={"time_a": a, "time_b": b},
    )
    # the end is inclusive to the nanosecond (microseconds would drop the second sample)
    part = ds.helio.sel(time=slice(None, "2020-01-01T00:00:00.123456789"))
    assert part["a"].values.tolist() == [1.0, 2.0] and part["b"].values.tolist() == [3.0]
    # a zone is converted to UTC
    late = ds.helio.sel(time=slice("2020-01-01T01:00:00.5+01:00", None))
    assert late["b"].values.tolist() == [4.0] and late["a"].size == 0
    with pytest.raises(InvalidRequestError, match="not a sample time of every variable"):
        ds.helio.sel(time="2020-01-01T00:00:01")
    near = ds.helio.sel(time="2020-01-01T00:00:01", method="nearest")
    assert float(near["a"]) == 2.0 and float(near["b"]) == 4.0


# --------------------------------------------------------------------------- load(time=...)


def test_load_time_puts_every_variable_on_one_products_time_base(mms_root):
    own = _mms(mms_root, ["dc_mag", "i_dens", "i_bulkv"])
    ds = _mms(mms_root, ["dc_mag", "i_dens", "i_bulkv"], time="i_dens")
    t = own["time_i_dens_mms1"].values
    assert set(ds.dims) == {"time", "component"}
    np.testing.assert_array_equal(ds["time"].values, t)
    assert ds.attrs["alignment"] == "linear onto i_dens_mms1 time base"
    np.testing.assert_array_equal(ds["i_dens_mms1"].values, own["i_dens_mms1"].values)
    # B (16 S/s) interpolated linearly onto the moments' times, magnitude included
    tb = own["time_dc_mag_mms1"].values.astype("int64")
    for c in "xyz":
        expected = np.interp(
            t.astype("int64"), tb, own["dc_mag_mms1"].sel(component=c).values.astype(float)
        )
        inside = (t >= own["time_dc_mag_mms1"].values[0]) & (
            t <= own["time_dc_mag_mms1"].values[-1]
        )
        np.testing.assert_allclose(
            ds["dc_mag_mms1"].sel(component=c).values[inside], expected[inside], rtol=1e-6
        )
    assert ds["dc_mag_tot_mms1"].dims == ("time",)
    assert ds["dc_mag_mms1"].attrs["units"] == "nT"  # variable attrs kept
    # an output variable's name works as well, and nearest is stated
    near = _mms(mms_root, ["dc_mag", "i_dens"], time="dc_mag_tot_mms1", time_method="nearest")
    np.testing.assert_array_equal(near["time"].values, own["time_dc_mag_mms1"].values)
    assert near.attrs["alignment"] == "nearest onto dc_mag_tot_mms1 time base"
    # B sample 1000 is at 00:01:02.5; the moments are at 00:00:58.5 (13) and 00:01:03 (14)
    assert near["time"].values[1000] == np.datetime64("2015-10-16T00:01:02.500")
    assert t[13] == np.datetime64("2015-10-16T00:00:58.500") and t[14] == np.datetime64(
        "2015-10-16T00:01:03"
    )
    assert near["i_dens_mms1"].values[1000] == own["i_dens_mms1"].values[14]
    assert own["i_dens_mms1"].values[14] != own["i_dens_mms1"].values[13]


def test_load_time_with_a_bad_name_lists_the_valid_ones(mms_root):
    with pytest.raises(
        InvalidRequestError,
        match=r"time='i_dist'.*dc_mag_mms1, dc_mag_tot_mms1.*products \(dc_mag\)",
    ):
        _mms(mms_root, ["dc_mag"], time="i_dist")
    with pytest.raises(InvalidRequestError, match="time_method='cubic'"):
        _mms(mms_root, ["dc_mag"], time="dc_mag", time_method="cubic")


# --------------------------------------------------------------------------- trange


def test_trange_is_start_and_end(mms_root):
    ref = _mms(mms_root, ["i_dens"])
    got = helioport.load(
        "mms",
        trange=["2015-10-16/00:00", "2015-10-16/00:10:00"],
        products="i_dens",
        base_url=str(mms_root),
    )
    xr.testing.assert_identical(got["i_dens_mms1"], ref["i_dens_mms1"])
    got = helioport.load_data(
        "mms",
        prod=["i_dens"],
        probes=["1"],
        trange=(START, END),
        base_url=str(mms_root),
    )
    xr.testing.assert_identical(got["i_dens_mms1"], ref["i_dens_mms1"])


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"start": START, "end": END, "trange": [START, END]}, "not both"),
        ({"start": START, "trange": [START, END]}, "not both"),
        ({}, "give start and end"),
        ({"start": START}, "give start and end"),
        ({"trange": [START]}, "two times"),
        ({"trange": "2015-10-16"}, "two times"),
    ],
)
def test_trange_errors_say_what_to_give(kw, match):
    with pytest.raises(InvalidRequestError, match=match):
        helioport.load("omni", products="dc_mag", **kw)


# --------------------------------------------------------------------------- event criteria


def test_criteria_tot_resolves_to_the_archives_magnitude(mms_root, omni_sample):
    ds = _mms(mms_root, ["dc_mag", "i_bulkv"], probes=["mms1", "mms2"])
    s = resolve_series(ds, "dc_mag_tot", "dc_mag", "tot", "mms1")
    assert s.variable == "dc_mag_tot_mms1"
    np.testing.assert_array_equal(s.values, ds["dc_mag_tot_mms1"].values.astype(float))
    # a vector without one: the magnitude of x, y, z
    v = resolve_series(ds, "i_bulkv_tot", "i_bulkv", "tot", "mms2")
    assert v.variable == "i_bulkv_mms2"
    np.testing.assert_allclose(
        v.values, np.linalg.norm(ds["i_bulkv_mms2"].values.astype(float), axis=1)
    )
    assert infer_probes(ds, ["dc_mag", "i_bulkv"]) == ["mms1", "mms2"]
    # OMNI: dc_mag_tot is the magnitude of dc_mag, not dc_mag of a probe "tot"
    omni = helioport.load(
        "omni", "2010-01-01", "2010-01-01T06:00", products="dc_mag", base_url=str(omni_sample)
    )
    assert infer_probes(omni, ["dc_mag"]) == [None]
    s = resolve_series(omni, "dc_mag_tot", "dc_mag", "tot", None)
    assert s.variable == "dc_mag_tot"
    cat = helioport.find_events(
        omni, "dc_mag_tot > 0", window="30min", step="30min", progress=False
    )
    assert len(cat) == 1 and cat.provenance.get("probes") in (None, [], [None])


def test_helioport_align_stays_the_function_after_a_load(omni_sample):
    import helioport.align as _  # noqa: F401  (the submodule, imported as derivations do)

    ds = helioport.load(
        "omni", "2010-01-01", "2010-01-01T02:00", products="dc_mag", base_url=str(omni_sample)
    )
    out = helioport.align(ds, "dc_mag_tot")
    assert out.attrs["alignment"] == "linear onto dc_mag_tot time base"
    np.testing.assert_array_equal(out["dc_mag"].values, ds["dc_mag"].values)
    assert ds.helio.align("dc_mag").sizes["time"] == 120
