"""The Intake (v2) catalog: the tree, user parameters, reading through helioport.load, YAML, CLI."""

from __future__ import annotations

import datetime as dt

import helioport
import numpy as np
import pytest
import xarray as xr
import yaml
from helioport import Derivation, hookimpl
from helioport.cli import main
from helioport.errors import (
    HelioportError,
    InvalidRequestError,
    UnknownMissionError,
    UnknownProductError,
)
from helioport.intake import (
    ChoiceParameter,
    HelioportReader,
    TimeParameter,
    catalog,
    from_yaml,
    mission_catalog,
    to_yaml,
    tree,
)
from helioport.registry import Registry
from intake.readers.entry import Catalog

START, END = "2010-01-01", "2010-01-01T02:00"  # 120 one-minute records in the OMNI sample


@pytest.fixture(scope="module")
def cat():
    return catalog()


# --------------------------------------------------------------------------- the tree


def test_tree_lists_every_mission_and_product(cat):
    assert list(cat) == helioport.missions()  # listed (add_entry + give_name), sorted
    for mission in helioport.missions():
        spec = helioport.mission_info(mission)
        mcat = cat[mission].read()
        assert isinstance(mcat, Catalog)
        products = helioport.products(mission)
        assert list(mcat) == [p.name for p in products]
        assert list(cat.entries[mission].metadata["products"]) == [p.name for p in products]
        assert mcat.metadata["modes"] == spec.modes and mcat.metadata["probes"] == spec.probes
        for p in products:
            meta = mcat.entries[p.name].metadata
            assert (meta["level"], meta["units"], meta["kind"]) == (p.level, p.units, p.kind)
            assert meta["description"] == p.description and meta["inputs"] == p.inputs
            assert meta["probes"] == spec.probes
            assert mcat.entries[p.name].reader == HelioportReader.qname()
            assert mcat.entries[p.name].output_instance == "xarray:Dataset"


def test_l3_entries_carry_level_and_inputs(cat):
    omni = cat["omni"].read()
    elev = omni.entries["mag_elev_angle"].metadata
    assert (elev["level"], elev["units"], elev["inputs"]) == ("L3", "deg", ["dc_mag"])
    assert elev["coords"] == ["gse", "gsm"]  # the frames of its input dc_mag
    assert (
        omni.entries["dc_mag"].metadata["level"] == "L2"
        and omni.entries["dc_mag"].metadata["inputs"] == []
    )
    mms = cat["mms"].read()
    curl = mms.entries["j_curl"]
    assert curl.metadata["level"] == "L3" and curl.metadata["inputs"] == ["dc_mag", "sc_pos"]
    assert curl.metadata["across_probes"] is True and curl.metadata["min_probes"] == 4
    assert curl.metadata["coords"] == ["gse", "gsm"]  # shared by dc_mag and sc_pos
    # the curlometer needs four spacecraft: its default is all of them, dc_mag's is the mission default
    assert curl.user_parameters["probes"].default == ["mms1", "mms2", "mms3", "mms4"]
    assert mms.entries["dc_mag"].user_parameters["probes"].default == ["mms1"]
    beta = mms.entries["i_beta"].metadata
    assert (
        beta["inputs"] == ["i_dens", "i_temppara", "i_tempperp", "dc_mag"] and beta["units"] == "1"
    )


def test_text_tree(cat):
    text = tree(cat)
    lines = text.splitlines()
    missions = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert missions == sorted(helioport.missions())  # every installed mission, in order
    assert any(line.startswith("mms  Magnetospheric Multiscale") for line in lines)
    row = next(line for line in lines if line.split()[:1] == ["j_curl"])
    assert row.split()[1:4] == ["L3", "vector", "nA/m^2"] and row.endswith("from dc_mag, sc_pos")
    after = missions[missions.index("omni") + 1]
    omni_rows = text.split("\nomni  ")[1].split(f"\n{after}  ")[0]
    assert len([r for r in omni_rows.splitlines() if r.startswith("    ")]) == len(
        helioport.products("omni")
    )


# --------------------------------------------------------------------------- user parameters


def test_user_parameters_and_defaults(cat):
    dc = cat["omni"].read().entries["dc_mag"]
    ups = dc.user_parameters
    assert sorted(ups) == ["coords", "end", "mode", "probes", "start"]
    assert isinstance(ups["start"], TimeParameter) and ups["start"].default is None
    assert isinstance(ups["mode"], ChoiceParameter)
    assert (ups["mode"].allowed, ups["mode"].default) == (["1min", "5min", "hourly"], "1min")
    assert (ups["coords"].allowed, ups["coords"].default) == (["gse", "gsm"], "gse")
    assert (ups["probes"].allowed, ups["probes"].default) == ([], [])
    # a product's own modes and frames: OMNI i_bulkv has no hourly, i_dens no frame
    bulkv = cat["omni"].read().entries["i_bulkv"].user_parameters
    assert bulkv["mode"].allowed == ["1min", "5min"] and bulkv["coords"].allowed == ["gse"]
    assert cat["omni"].read().entries["i_dens"].user_parameters["coords"].allowed == []
    # values reach the reader under its own keywords (a parameter never shares the keyword it fills)
    reader = cat["omni"](start="2010-01-01", end="2010-01-02T00:00Z", mode="1h", coords="GSM")[
        "dc_mag"
    ]
    assert reader.kwargs["start_time"] == dt.datetime(2010, 1, 1, tzinfo=dt.timezone.utc)
    assert reader.kwargs["end_time"] == dt.datetime(2010, 1, 2, tzinfo=dt.timezone.utc)
    assert (reader.kwargs["data_mode"], reader.kwargs["frame"]) == ("hourly", "gsm")
    reader = cat["mms"](probes=["1", "mms3", "3"])["dc_mag"]
    assert reader.kwargs["probe_list"] == ["mms1", "mms3"]


@pytest.mark.parametrize(
    "mission,product,values,needle",
    [
        ("omni", "dc_mag", {"mode": "3s"}, "has no mode '3s'; valid modes: 1min, 5min, hourly"),
        (
            "omni",
            "i_bulkv",
            {"mode": "hourly"},
            "omni/i_bulkv has no mode 'hourly'; valid modes: 1min, 5min",
        ),
        (
            "omni",
            "dc_mag",
            {"coords": "xyz"},
            "has no coordinate system 'xyz'; valid coordinate systems: gse, gsm",
        ),
        (
            "omni",
            "i_dens",
            {"coords": "gse"},
            "omni/i_dens has no coordinate system; leave coords out",
        ),
        ("omni", "dc_mag", {"probes": ["c1"]}, "mission 'omni' has no probe; leave probes out"),
        (
            "mms",
            "dc_mag",
            {"probes": ["mms1", "mms7"]},
            "no probe 'mms7'; valid probes: mms1, mms2, mms3, mms4",
        ),
        ("mms", "dc_mag", {"start": "yesterday-ish"}, "start: cannot parse"),
    ],
)
def test_bad_parameter_values_are_clear_errors(cat, mission, product, values, needle):
    with pytest.raises(InvalidRequestError) as info:
        cat[mission](**values)[product]
    assert needle in str(info.value)


def test_reading_without_a_time_range_says_what_to_do(cat):
    with pytest.raises(
        InvalidRequestError, match=r"no start and end time given; set them on the catalog"
    ):
        cat["omni"]["dc_mag"].read()


# --------------------------------------------------------------------------- reading


def test_read_dc_mag_equals_helioport_load(cat, omni_root, cache_dir):
    reader = cat["omni"](start=START, end=END, coords="gsm", base_url=str(omni_root))["dc_mag"]
    ds = reader.read()
    ref = helioport.load(
        "omni", START, END, products=["dc_mag"], coords="gsm", base_url=str(omni_root)
    )
    xr.testing.assert_identical(ds, ref)
    b = ds["dc_mag"]
    assert b.shape == (120, 3) and b.attrs["units"] == "nT" and b.attrs["coords"] == "gsm"
    assert list(b["component"].values) == ["x", "y", "z"]
    assert ds["time_dc_mag"].values[0] == np.datetime64("2010-01-01T00:00")
    assert ds["time_dc_mag"].values[-1] == np.datetime64("2010-01-01T01:59")
    assert np.isfinite(b.values).sum() > 300 and np.nanmax(np.abs(b.values)) > 1
    # the archive's |B| (F) is a variable of its own
    mag = ds["dc_mag_tot"]
    assert mag.dims == ("time_dc_mag_tot",) and mag.attrs["source_variable"] == "F"
    assert np.isfinite(mag.values).sum() > 100
    assert list(cache_dir.rglob("*.cdf"))  # fetched into the test's cache
    # gse is a different frame of the same field: |B| agrees, the components do not all agree
    gse_ds = cat["omni"](start=START, end=END, base_url=str(omni_root))["dc_mag"].read()
    gse = gse_ds["dc_mag"]
    np.testing.assert_allclose(gse_ds["dc_mag_tot"], mag)
    assert not np.allclose(gse.sel(component="z"), b.sel(component="z"), equal_nan=True)


def test_read_l3_through_env_mirror_and_read_overrides(cat, omni_root, monkeypatch):
    monkeypatch.setenv("HELIOPORT_OMNI_URL", str(omni_root))
    ds = cat["omni"]["mag_elev_angle"].read(start=START, end=END, mode="5m")
    ref = helioport.load("omni", START, END, products=["mag_elev_angle", "dc_mag"], mode="5min")
    assert ds["mag_elev_angle"].shape == (24,) and ds["mag_elev_angle"].attrs["level"] == "L3"
    b = ref["dc_mag"]
    expected = np.degrees(
        np.arctan2(b.sel(component="z"), np.hypot(b.sel(component="x"), b.sel(component="y")))
    )
    np.testing.assert_allclose(ds["mag_elev_angle"].values, expected.values, rtol=1e-12)
    # the top catalog passes parameters down to the mission catalog as well
    top = cat(start=START, end="2010-01-01T00:10")["omni"]["i_dens"].read()
    np.testing.assert_array_equal(
        top["i_dens"].values,
        helioport.load("omni", START, "2010-01-01T00:10", products="i_dens")["i_dens"],
    )


class _ExtraL3:
    """A third-party derivation, seen only by the registry the catalog is built with."""

    @staticmethod
    def bz_squared(inputs, request):
        bz = inputs["dc_mag"].sel(component="z", drop=True)
        return (bz**2).assign_attrs(units="nT^2")

    @hookimpl
    def helioport_missions(self):
        return []

    @hookimpl
    def helioport_derivations(self):
        return [
            Derivation(
                name="bz_squared",
                inputs=["dc_mag"],
                function=self.bz_squared,
                units="nT^2",
                description="Bz squared",
            )
        ]


def test_catalog_of_a_custom_registry_reads_through_it(tmp_path):
    from helioport_toy.plugin import write_toy_archive

    root = tmp_path / "toy"
    for probe in ("t1", "t2"):
        write_toy_archive(root, probe, dt.date(2020, 1, 1))
    reg = Registry(plugins=[_ExtraL3()])
    cat = catalog(reg, missions=["toy"])
    assert list(cat) == ["toy"]
    toy = cat["toy"](
        start="2020-01-01", end="2020-01-01T00:10", probes=["t1", "t2"], base_url=str(root)
    ).read()
    entry = toy.entries["bz_squared"]
    assert entry.metadata["inputs"] == ["dc_mag"] and entry.metadata["level"] == "L3"
    ds = toy["bz_squared"].read()
    assert set(ds.data_vars) == {"bz_squared_t1", "bz_squared_t2"}
    np.testing.assert_allclose(ds["bz_squared_t1"].values, 1.0)  # the toy field has bz = -1 nT
    assert "bz_squared" not in catalog()["toy"].read()  # the default registry does not have it
    assert list(mission_catalog("toy", registry=reg)) == [
        p.name for p in helioport.products("toy", registry=reg)
    ]


# --------------------------------------------------------------------------- YAML


def test_yaml_round_trip(tmp_path, omni_root):
    path = to_yaml(tmp_path / "helioport.yaml")
    raw = yaml.safe_load(path.read_text())
    assert raw["version"] == 2 and sorted(raw["aliases"]) == helioport.missions()
    assert raw["entries"]["omni"]["metadata"]["products"]["mag_elev_angle"]["inputs"] == ["dc_mag"]
    back = from_yaml(path)
    assert list(back) == helioport.missions()
    for mission in helioport.missions():
        assert list(back[mission].read()) == [p.name for p in helioport.products(mission)]
    # rebuilt from code: the parameter classes survive, unlike in a plain intake round trip
    dc = back["omni"].read().entries["dc_mag"]
    assert isinstance(dc.user_parameters["mode"], ChoiceParameter)
    plain = Catalog.from_yaml_file(str(path))
    assert list(plain) == helioport.missions()
    ds = back["omni"](start=START, end="2010-01-01T00:30", base_url=str(omni_root))["dc_mag"].read()
    ref = helioport.load(
        "omni", START, "2010-01-01T00:30", products="dc_mag", base_url=str(omni_root)
    )
    xr.testing.assert_identical(ds, ref)


def test_yaml_subset_and_unknown_names(tmp_path):
    path = to_yaml(tmp_path / "omni.yaml", missions=["omni"])
    raw = yaml.safe_load(path.read_text())
    assert list(raw["aliases"]) == ["omni"]
    raw["entries"]["omni"]["kwargs"]["products"] = ["i_dens", "mag_elev_angle"]
    path.write_text(yaml.safe_dump(raw))
    back = from_yaml(path)
    assert list(back["omni"].read()) == ["i_dens", "mag_elev_angle"]
    assert list(back.entries["omni"].metadata["products"]) == ["i_dens", "mag_elev_angle"]

    raw["entries"]["omni"]["kwargs"]["products"] = ["i_dens", "warp_drive"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        UnknownProductError, match=r"'warp_drive' of mission 'omni'.*its products: dc_mag"
    ):
        from_yaml(path)

    raw["entries"]["cassini"] = dict(raw["entries"]["omni"], kwargs={"mission": "cassini"})
    raw["aliases"]["cassini"] = "cassini"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        UnknownMissionError, match=r"'cassini' that no installed plugin serves; installed missions"
    ):
        from_yaml(path)

    path.write_text("version: 1\nsources: {}\n")
    with pytest.raises(HelioportError, match="not an intake 2 catalog"):
        from_yaml(path)


# --------------------------------------------------------------------------- CLI


def test_cli_catalog_prints_tree_and_writes_yaml(capsys, tmp_path):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    for mission in helioport.missions():
        assert any(line.startswith(f"{mission}  ") for line in out.splitlines())
    out_file = tmp_path / "omni.yaml"
    assert main(["catalog", "omni", "-o", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("omni  OMNI") and "mms" not in out
    row = next(line for line in out.splitlines() if line.split()[:1] == ["mag_elev_angle"])
    assert row.split()[1:4] == ["L3", "scalar", "deg"] and row.endswith("from dc_mag")
    assert next(line for line in out.splitlines() if line.split()[:1] == ["dc_mag"]).split()[
        1:4
    ] == ["L2", "vector", "nT"]
    assert out.strip().endswith(f"wrote {out_file}")
    assert list(from_yaml(out_file)) == ["omni"]
    assert main(["catalog", "nomission"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("helioport: error: ") and "installed missions" in err
