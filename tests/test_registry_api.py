"""Registry (entry points, isolation, lookups), Request validation and the API on the example plugin."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import EntryPoint

import helioport
import numpy as np
import pandas as pd
import pytest
from helioport import registry as reg_mod
from helioport.errors import InvalidRequestError, UnknownMissionError, UnknownProductError
from helioport.schema import Request, VersionPolicy


def test_entry_points_register_core_and_third_party_plugins():
    reg = reg_mod.Registry()
    assert {"omni", "toy"} <= set(reg.missions())
    assert {"j_curl", "mag_elev_angle", "i_beta", "e_beta", "b_pressure"} <= set(reg.derivations())
    assert reg.plugin_name("toy") == "toy"


def test_broken_plugin_warns_and_the_rest_keeps_working(monkeypatch):
    real = reg_mod.entry_points

    def fake(group):
        eps = list(real(group=group))
        return eps + [
            EntryPoint(name="broken", value="helioport_no_such_module_xyz.plugin", group=group)
        ]

    monkeypatch.setattr(reg_mod, "entry_points", fake)
    with pytest.warns(RuntimeWarning, match="broken.*failed to load.*ModuleNotFoundError"):
        reg = reg_mod.Registry()
    assert "omni" in reg.missions()
    with pytest.raises(UnknownMissionError, match="failed to load: broken"):
        reg.mission("nothing")


def test_unknown_mission_lists_installed_and_what_to_install(monkeypatch):
    # every plugin of this repository is installed here: a known but absent one is made up
    monkeypatch.setitem(reg_mod.KNOWN_DISTRIBUTIONS, "swarm", "helioport-swarm")
    with pytest.raises(UnknownMissionError) as err:
        helioport.load("swarm", "2010-01-01", "2010-01-02", products=["dc_mag"])
    text = str(err.value)
    assert "installed missions: " in text and "omni" in text and "toy" in text
    assert "pip install helioport-swarm" in text


def test_products_lists_stored_and_derived_with_level():
    names = {p.name: p for p in helioport.products("omni")}
    assert names["dc_mag"].level == "L2" and names["dc_mag"].units == "nT"
    assert names["mag_elev_angle"].level == "L3" and names["mag_elev_angle"].inputs == ["dc_mag"]
    assert "j_curl" not in names  # OMNI has no four probes
    frame = helioport.products("toy", as_frame=True)
    assert frame.loc["b_pressure", "level"] == "L3"
    assert frame.loc["b_pressure", "inputs"] == "dc_mag"


@pytest.mark.parametrize(
    "value",
    [
        "2015-10-16T13:05:24",
        "2015-10-16 13:05:24Z",
        "2015-10-16T15:05:24+02:00",
        dt.datetime(2015, 10, 16, 13, 5, 24),
        dt.datetime(2015, 10, 16, 13, 5, 24, tzinfo=dt.timezone.utc),
        np.datetime64("2015-10-16T13:05:24"),
        pd.Timestamp("2015-10-16T13:05:24"),
    ],
)
def test_request_accepts_every_time_form(value):
    spec = helioport.mission_info("omni")
    r = Request.for_mission(spec, value, "2015-10-17", ["dc_mag"])
    assert r.start == dt.datetime(2015, 10, 16, 13, 5, 24, tzinfo=dt.timezone.utc)


def test_request_accepts_astropy_time():
    astropy_time = pytest.importorskip("astropy.time")
    spec = helioport.mission_info("omni")
    r = Request.for_mission(
        spec, astropy_time.Time("2015-10-16T13:05:24", scale="utc"), "2015-10-17", ["dc_mag"]
    )
    assert r.start == dt.datetime(2015, 10, 16, 13, 5, 24, tzinfo=dt.timezone.utc)


def test_request_defaults_and_probe_shorthand():
    toy = helioport.mission_info("toy")
    r = Request.for_mission(toy, "2020-01-01", "2020-01-02", "dc_mag", probes=["1", "t2", "T2"])
    assert r.probes == ("t1", "t2") and r.coords == "gse" and r.mode == "srvy"
    with pytest.raises(InvalidRequestError, match="valid probes: t1, t2"):
        Request.for_mission(toy, "2020-01-01", "2020-01-02", "dc_mag", probes=["t9"])
    with pytest.raises(InvalidRequestError, match="no probes"):
        Request.for_mission(
            helioport.mission_info("omni"), "2020-01-01", "2020-01-02", "dc_mag", probes=["x"]
        )
    with pytest.raises(UnknownProductError, match="valid products: dc_mag, i_dens"):
        Request.for_mission(toy, "2020-01-01", "2020-01-02", "bogus")
    with pytest.raises(InvalidRequestError, match="no product asked"):
        Request.for_mission(toy, "2020-01-01", "2020-01-02", [])


def test_request_options_declared_by_the_mission_or_a_derivation():
    omni = helioport.mission_info("omni")
    extra = {"curlometer_min_shape": "shape threshold"}
    r = Request.for_mission(
        omni, "2020-01-01", "2020-01-02", "dc_mag", known_options=extra,
        options={"hourly_source": "cdf", "curlometer_min_shape": 0.01},
    )  # fmt: skip
    assert r.options == {"hourly_source": "cdf", "curlometer_min_shape": 0.01}
    with pytest.raises(
        InvalidRequestError,
        match=r"no option 'colour'; valid options: curlometer_min_shape \(shape",
    ):
        Request.for_mission(
            omni, "2020-01-01", "2020-01-02", "dc_mag", known_options=extra, options={"colour": 1}
        )
    toy = helioport.mission_info("toy")  # declares no options: everything is passed on
    assert toy.options is None
    r = Request.for_mission(toy, "2020-01-01", "2020-01-02", "dc_mag", options={"anything": 1})
    assert r.options == {"anything": 1}


@pytest.mark.parametrize(
    "text,kind,value",
    [
        (None, "latest", ()),
        ("latest", "latest", ()),
        ("4.18", "pinned", (4, 18)),
        ("v4.18.1", "pinned", (4, 18, 1)),
        (">=4.18", "minimum", (4, 18)),
        (3, "pinned", (3,)),
    ],
)
def test_version_policy_parsing(text, kind, value):
    p = VersionPolicy.parse(text)
    assert (p.kind, p.value) == (kind, value)


def test_version_policy_rejects_garbage():
    with pytest.raises(InvalidRequestError, match="'4.18'"):
        VersionPolicy.parse("newest-please")


def test_remote_file_cannot_escape_the_cache():
    with pytest.raises(ValueError, match="escape"):
        helioport.RemoteFile(url="http://x/a", relpath="../../etc/passwd", mission="toy")
    with pytest.raises(ValueError, match="escape"):
        helioport.RemoteFile(url="http://x/a", relpath="/etc/passwd", mission="toy")


@pytest.fixture
def toy_root(tmp_path):
    from helioport_toy.plugin import write_toy_archive

    root = tmp_path / "toy"
    for probe in ("t1", "t2"):
        write_toy_archive(root, probe, dt.date(2020, 1, 1))
        write_toy_archive(root, probe, dt.date(2020, 1, 2))
    return root


def test_third_party_plugin_loads_through_the_core(toy_root, server_for):
    srv = server_for(toy_root)
    ds = helioport.load(
        "toy",
        "2020-01-01T23:00",
        "2020-01-02T01:00",
        products=["dc_mag", "i_dens"],
        probes=["t1", "t2"],
        base_url=srv.url,
    )
    assert set(ds.data_vars) == {"dc_mag_t1", "dc_mag_t2", "i_dens_t1", "i_dens_t2"}
    b = ds["dc_mag_t1"]
    t = b[b.dims[0]].values
    assert t.size == 120 and t[0] == np.datetime64("2020-01-01T23:00")
    # the files' bx is minute-of-day / 100: 23:00 is minute 1380, 00:00 of the next file minute 0
    assert b.sel(component="x").values[0] == pytest.approx(13.80)
    assert b.sel(component="x").values[60] == pytest.approx(0.0)
    assert b.attrs["probe"] == "t1"
    assert b.attrs["files"] == "toy_t1_20200101_v1.csv, toy_t1_20200102_v1.csv"
    # same file, same time base, yet each variable has its own time dimension
    assert (ds["i_dens_t1"].dims, b.dims) == (("time_i_dens_t1",), ("time_dc_mag_t1", "component"))
    np.testing.assert_array_equal(ds["time_i_dens_t1"].values, t)


def test_third_party_derivation_goes_through_the_same_path(toy_root):
    ds = helioport.load(
        "toy",
        "2020-01-01",
        "2020-01-01T00:10",
        products=["b_pressure", "mag_elev_angle"],
        probes=["t2"],
        base_url=str(toy_root),
    )
    p = ds["b_pressure_t2"]
    bx = np.arange(10) / 100
    b2 = (bx**2 + 4.0 + 1.0) * 1e-18
    np.testing.assert_allclose(p.values, b2 / (2 * 4e-7 * np.pi) * 1e9, rtol=1e-12)
    assert (
        p.attrs["units"] == "nPa"
        and p.attrs["level"] == "L3"
        and p.attrs["derived_from"] == "dc_mag"
    )
    elev = ds["mag_elev_angle_t2"]
    np.testing.assert_allclose(
        elev.values, np.degrees(np.arctan2(-1.0, np.sqrt(bx**2 + 4.0))), rtol=1e-12
    )
    assert "dc_mag_t2" not in ds  # inputs are not returned unless asked for


def test_load_data_aidapy_signature(toy_root):
    ds = helioport.load_data(
        "toy",
        "2020-01-01",
        "2020-01-01T01:00",
        prod=["i_dens"],
        probes=["1"],
        coords="gse",
        mode="srvy",
        base_url=str(toy_root),
    )
    assert list(ds.data_vars) == ["i_dens_t1"]
    assert float(ds["i_dens_t1"].mean()) == 5.0


def test_version_pinning_and_minimum(toy_root):
    from helioport_toy.plugin import write_toy_archive

    write_toy_archive(toy_root, "t1", dt.date(2020, 1, 1), version=2)
    kw = {"products": ["dc_mag"], "probes": ["t1"], "base_url": str(toy_root)}
    assert (
        helioport.load("toy", "2020-01-01", "2020-01-01T01:00", **kw)["dc_mag_t1"].attrs["versions"]
        == "2"
    )
    pinned = helioport.load("toy", "2020-01-01", "2020-01-01T01:00", version="1", **kw)
    assert pinned["dc_mag_t1"].attrs["versions"] == "1"
    assert (
        helioport.load("toy", "2020-01-01", "2020-01-01T01:00", version=">=2", **kw)[
            "dc_mag_t1"
        ].attrs["versions"]
        == "2"
    )
    with pytest.raises(helioport.DataNotFoundError, match="2"):
        helioport.load("toy", "2020-01-01", "2020-01-01T01:00", version=">=3", **kw)


def test_mirror_for_unknown_source_key_is_refused():
    with pytest.raises(InvalidRequestError, match="sources: toy"):
        helioport.load(
            "toy", "2020-01-01", "2020-01-02", products=["dc_mag"], base_url={"nope": "/tmp"}
        )
