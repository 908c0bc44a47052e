"""Derived products through the real API: resolution, shared inputs, time bases, listings.

The science of each derivation is tested in ``test_derive_science.py``; here the
question is the path: ``helioport.load(..., products=[<derived>])`` resolves the
inputs (recursively, across plugins), lists, fetches and loads each input once
however many derivations share it, runs each derivation once, states the time
base, and returns values equal to the formula applied to the loaded inputs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import helioport
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from helioport import (
    Derivation,
    MissionSpec,
    ProductSpec,
    RemoteFile,
    SourceSpec,
    hookimpl,
    lifecycle,
)
from helioport.derive import j_curl, mag_elev_angle_product
from helioport.derive.curlometer import MU0
from helioport.errors import DerivationError, UnknownProductError
from helioport.lifecycle import derive as lifecycle_derive
from helioport.lifecycle import read as lifecycle_read
from helioport.registry import Registry

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
TOY_MU0 = 4e-7 * np.pi  # the example plugin's b_pressure uses this mu0


# --------------------------------------------------------------------------- instrumentation


@pytest.fixture
def calls(monkeypatch):
    """Count the lifecycle steps of every load(): files fetched, products loaded, derivations run."""
    counts = {"fetch": [], "load": Counter(), "derive": Counter()}
    real_fetch, real_read, real_derive = (
        lifecycle.fetch_files,
        lifecycle_read.read_one,
        lifecycle_derive.Values.derive,
    )

    def fetch(transport, plan, found):
        counts["fetch"].append(sorted({r.relpath for f in found.values() for r in f.selected}))
        return real_fetch(transport, plan, found)

    def read(reg, plan, product, probe, files):
        counts["load"][(product, probe)] += 1
        return real_read(reg, plan, product, probe, files)

    def derive(self, d, probe):
        counts["derive"][(d.name, None if d.across_probes else probe)] += 1
        return real_derive(self, d, probe)

    monkeypatch.setattr(lifecycle, "fetch_files", fetch)
    monkeypatch.setattr(lifecycle_read, "read_one", read)
    monkeypatch.setattr(lifecycle_derive.Values, "derive", derive)
    return counts


# --------------------------------------------------------------------------- derivations of derivations


def bz_pressure(inputs, request):
    """Pressure of B_z alone from two derived inputs: p_B sin^2(elevation) = B_z^2 / 2 mu0."""
    p, elev = inputs["b_pressure"], inputs["mag_elev_angle"]
    p_dim, e_dim = p.dims[0], elev.dims[0]
    if not np.array_equal(p[p_dim].values, elev[e_dim].values):
        raise DerivationError("bz_pressure: inputs on different time bases")
    out = xr.DataArray(
        p.values * np.sin(np.radians(elev.values)) ** 2,
        dims="time",
        coords={"time": p[p_dim].values},
        attrs={"units": "nPa", "time_base": "b_pressure"},
    )
    return out


def bz_fraction(inputs, request):
    """B_z^2 / B^2 from two derived products, one of them itself derived from derived products."""
    pz, p = inputs["bz_pressure"], inputs["b_pressure"]
    return xr.DataArray(
        pz.values / p.values,
        dims="time",
        coords={"time": pz[pz.dims[0]].values},
        attrs={"units": "1", "time_base": "bz_pressure"},
    )


def broken(inputs, request):
    raise ZeroDivisionError("on purpose")


class ChainPlugin:
    """A third-party plugin adding only derivations, some built on other plugins' derivations."""

    @hookimpl
    def helioport_missions(self):
        return []

    @hookimpl
    def helioport_derivations(self):
        return [
            # b_pressure comes from the example plugin, mag_elev_angle from the core
            Derivation(name="bz_pressure", inputs=["b_pressure", "mag_elev_angle"], function=bz_pressure,
                       units="nPa", description="Pressure of Bz alone"),
            Derivation(name="bz_fraction", inputs=["bz_pressure", "b_pressure"], function=bz_fraction,
                       units="1", description="Bz^2 / B^2"),
            Derivation(name="needs_ghost", inputs=["ghost_product"], function=broken, description="never offered"),
            Derivation(name="broken_l3", inputs=["dc_mag"], function=broken, description="raises"),
        ]  # fmt: skip


@pytest.fixture
def toy_root(tmp_path):
    from helioport_toy.plugin import write_toy_archive

    root = tmp_path / "toy"
    for probe in ("t1", "t2"):
        write_toy_archive(root, probe, dt.date(2020, 1, 1))
    return root


def test_recursive_derivations_load_each_input_once(toy_root, calls):
    reg = Registry(plugins=[ChainPlugin()])
    listed = {p.name: p for p in helioport.products("toy", registry=reg)}
    assert listed["bz_fraction"].level == "L3" and listed["bz_fraction"].inputs == [
        "bz_pressure",
        "b_pressure",
    ]
    assert listed["bz_pressure"].inputs == ["b_pressure", "mag_elev_angle"]
    assert "needs_ghost" not in listed  # its input is neither served nor derivable

    ds = helioport.load(
        "toy",
        "2020-01-01",
        "2020-01-01T00:10",
        registry=reg,
        base_url=str(toy_root),
        products=["dc_mag", "bz_fraction", "bz_pressure", "mag_elev_angle"],
        probes=["t1", "t2"],
    )
    # one fetch of the two files, each stored input loaded once per probe, each derivation run once per probe
    assert calls["fetch"] == [["t1/2020/toy_t1_20200101_v1.csv", "t2/2020/toy_t2_20200101_v1.csv"]]
    assert calls["load"] == {("dc_mag", "t1"): 1, ("dc_mag", "t2"): 1}
    for name in ("b_pressure", "mag_elev_angle", "bz_pressure", "bz_fraction"):
        for probe in ("t1", "t2"):
            assert calls["derive"][(name, probe)] == 1, (name, probe)
    assert set(ds.data_vars) == {
        f"{n}_{p}"
        for n in ("dc_mag", "bz_fraction", "bz_pressure", "mag_elev_angle")
        for p in ("t1", "t2")
    }

    # values from the loaded field: bx = minute / 100, by = 2, bz = -1
    b = ds["dc_mag_t1"]
    bx, by, bz = (b.sel(component=c).values for c in "xyz")
    assert bx[3] == pytest.approx(0.03)
    np.testing.assert_allclose(
        ds["bz_fraction_t1"].values, bz**2 / (bx**2 + by**2 + bz**2), rtol=1e-12
    )
    np.testing.assert_allclose(ds["bz_pressure_t2"].values, 1e-18 / (2 * TOY_MU0) * 1e9, rtol=1e-12)
    np.testing.assert_allclose(
        ds["mag_elev_angle_t1"].values, np.degrees(np.arctan2(bz, np.hypot(bx, by))), rtol=1e-12
    )
    # provenance follows the recursion down to the files; the time base is stated and shared
    frac = ds["bz_fraction_t2"]
    assert frac.attrs["level"] == "L3" and frac.attrs["derived_from"] == "bz_pressure, b_pressure"
    assert frac.attrs["files"] == "toy_t2_20200101_v1.csv" and frac.attrs["probe"] == "t2"
    assert frac.attrs["time_base"] == "bz_pressure" and frac.attrs["units"] == "1"
    elev = ds["mag_elev_angle_t1"]
    assert elev.attrs["time_base"] == "dc_mag" and elev.attrs["units"] == "deg"
    # same time base as its input, each on its own time dimension
    assert elev.dims == ("time_mag_elev_angle_t1",) and b.dims[0] == "time_dc_mag_t1"
    np.testing.assert_array_equal(elev[elev.dims[0]].values, b[b.dims[0]].values)


def test_unavailable_and_failing_derivations_are_clear_errors(toy_root):
    reg = Registry(plugins=[ChainPlugin()])
    kw = {"probes": ["t1"], "base_url": str(toy_root), "registry": reg}
    with pytest.raises(UnknownProductError, match="needs_ghost"):
        helioport.load("toy", "2020-01-01", "2020-01-01T00:10", products=["needs_ghost"], **kw)
    with pytest.raises(DerivationError, match="'broken_l3' failed: ZeroDivisionError: on purpose"):
        helioport.load("toy", "2020-01-01", "2020-01-01T00:10", products=["broken_l3"], **kw)


# --------------------------------------------------------------------------- j_curl through the API


PROBES_C = ["c1", "c2", "c3", "c4"]  # Cluster-style probe names: j_curl is generic over names
G_FIELD = np.array([[0.4, 1.5, -2.0], [-1.0, -0.1, 3.0], [2.5, -0.5, 0.3]])  # nT/km, div B = 0.6
CORNERS = np.array([[0, 0, 0], [600, 0, 0], [250, 550, 0], [300, 200, 480.0]])  # km, not regular
CENTRE = np.array([5.0e4, -2.0e4, 1.0e4])  # km
VELOCITY = np.array([-1.2, 0.4, 0.8])  # km/s, the whole formation
T0 = pd.Timestamp("2020-01-01")


def _curl(g):
    return np.array([g[2, 1] - g[1, 2], g[0, 2] - g[2, 0], g[1, 0] - g[0, 1]])


def write_tetra_archive(root: Path) -> None:
    """B every 4 s (each probe offset by 1 s) and positions every 60 s, linear in space and time."""
    for i, probe in enumerate(PROBES_C):
        folder = root / probe
        folder.mkdir(parents=True, exist_ok=True)
        tb = np.arange(i, 3600 + 8, 4.0)
        rb = CENTRE + CORNERS[i] + VELOCITY * tb[:, None]
        b = (
            np.array([12.0, -4.0, 6.0])
            + (rb - CENTRE) @ G_FIELD.T
            + np.array([0.01, -0.02, 0.005]) * tb[:, None]
        )
        tr = np.arange(-60.0, 3600 + 120, 60.0)
        r = CENTRE + CORNERS[i] + VELOCITY * tr[:, None]
        for kind, t, v in (("fgm", tb, b), ("pos", tr, r)):
            times = (T0 + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%dT%H:%M:%S")
            pd.DataFrame({"time": times, "x": v[:, 0], "y": v[:, 1], "z": v[:, 2]}).to_csv(
                folder / f"tetra_{probe}_{kind}_20200101_v1.csv", index=False, float_format="%.17g"
            )


class TetraPlugin:
    """A four-probe test mission serving B (nT) and positions (km) from CSV files, probes c1..c4."""

    @hookimpl
    def helioport_missions(self):
        vec = {"kind": "vector", "components": ["x", "y", "z"], "coords": ["gse"]}
        return [MissionSpec(
            name="tetra", title="four-probe test mission", probes=PROBES_C, coords=["gse"], default_coords="gse",
            modes=["spin"], default_mode="spin",
            products=[ProductSpec(name="dc_mag", units="nT", description="B", **vec),
                      ProductSpec(name="sc_pos", units="km", description="positions", **vec)],
            sources=[SourceSpec(key="tetra", url="https://tetra.invalid/", env="HELIOPORT_TETRA_URL")])]  # fmt: skip

    @hookimpl
    def helioport_find_files(self, request, product, probe, ctx):
        if request.mission != "tetra":
            return None
        kind = {"dc_mag": "fgm", "sc_pos": "pos"}[product]
        pat = re.compile(rf"^tetra_{probe}_{kind}_(\d{{8}})_v(\d+)\.csv$")
        out = []
        for e in ctx.list_dir(ctx.join(ctx.base_url("tetra"), f"{probe}/")):
            m = pat.match(e.name)
            if m:
                day = dt.datetime.strptime(m.group(1), "%Y%m%d").replace(tzinfo=dt.timezone.utc)
                out.append(
                    RemoteFile(
                        url=e.url,
                        relpath=f"{probe}/{e.name}",
                        mission="tetra",
                        key=f"{probe}/{kind}_{m.group(1)}",
                        version=m.group(2),
                        start=day,
                        end=day + dt.timedelta(days=1),
                        size=e.size,
                        mtime=e.mtime,
                    )
                )
        return out

    @hookimpl
    def helioport_load(self, request, product, probe, paths):
        if request.mission != "tetra":
            return None
        df = pd.concat([pd.read_csv(p, parse_dates=["time"]) for p in paths])
        t = df["time"].to_numpy().astype("datetime64[ns]")
        start, end = (
            np.datetime64(x.replace(tzinfo=None), "ns") for x in (request.start, request.end)
        )
        keep = (t >= start) & (t < end)
        return xr.DataArray(
            df[["x", "y", "z"]].to_numpy(float)[keep],
            dims=("time", "component"),
            coords={"time": t[keep], "component": ["x", "y", "z"]},
            attrs={"units": "nT" if product == "dc_mag" else "km", "coords": "gse"},
        )


def test_j_curl_through_the_api_is_exact_for_a_linear_field(tmp_path, calls):
    root = tmp_path / "tetra"
    write_tetra_archive(root)
    reg = Registry(plugins=[TetraPlugin()])  # j_curl itself comes from the core's entry point
    listed = {p.name: p for p in helioport.products("tetra", registry=reg)}
    assert listed["j_curl"].level == "L3" and listed["j_curl"].inputs == ["dc_mag", "sc_pos"]

    ds = helioport.load(
        "tetra",
        "2020-01-01",
        "2020-01-01T01:00",
        products=["j_curl", "dc_mag"],
        probes=PROBES_C,
        base_url=str(root),
        registry=reg,
    )
    assert len(calls["fetch"]) == 1 and len(calls["fetch"][0]) == 8
    assert calls["load"] == {(p, c): 1 for p in ("dc_mag", "sc_pos") for c in PROBES_C}
    assert calls["derive"] == {("j_curl", None): 1}
    assert {"j_curl", "curl_b", "div_b", "curl_quality"} <= set(ds.data_vars)
    assert "sc_pos_c1" not in ds

    j = ds["j_curl"]
    # on c1's B time base, and stated so
    assert j.dims == ("time_j_curl", "component")
    np.testing.assert_array_equal(j["time_j_curl"].values, ds["time_dc_mag_c1"].values)
    assert j.attrs["time_base"] == "dc_mag of c1" and j.attrs["probes"] == "c1,c2,c3,c4"
    assert j.attrs["level"] == "L3" and j.attrs["derived_from"] == "dc_mag, sc_pos"
    assert j.attrs["units"] == "nA/m^2" and j.attrs["coords"] == "gse"
    assert ds["div_b"].attrs["units"] == "nT/km" and ds["curl_quality"].attrs["units"] == "1"
    assert len(j.attrs["files"].split(", ")) == 8
    # exact: curl B = curl G, div B = trace G, J = curl B / mu0 (1 nT/km = 1e-12 T/m; A/m^2 -> nA/m^2)
    t = ds[j.dims[0]].values
    inside = t >= np.datetime64("2020-01-01T00:00:03")  # c4's B starts at 3 s: before, no estimate
    assert np.isnan(j.values[~inside]).all() and (~inside).sum() == 1
    curl = _curl(G_FIELD)
    np.testing.assert_allclose(
        ds["curl_b"].values[inside], np.tile(curl, (inside.sum(), 1)), rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(ds["div_b"].values[inside], np.trace(G_FIELD), rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        j.values[inside], np.tile(curl * 1e-12 / MU0 * 1e9, (inside.sum(), 1)), rtol=1e-9
    )
    assert j.sel(component="z").values[-1] == pytest.approx(
        (-1.0 - 1.5) * 1e-3 / MU0, rel=1e-9
    )  # -1989.4 nA/m^2


def test_j_curl_with_three_probes_says_how_many_it_needs(tmp_path):
    root = tmp_path / "tetra"
    write_tetra_archive(root)
    reg = Registry(plugins=[TetraPlugin()])
    with pytest.raises(DerivationError, match=r"j_curl needs 4 probes, the request has 3"):
        helioport.load(
            "tetra",
            "2020-01-01",
            "2020-01-01T00:10",
            products=["j_curl"],
            probes=PROBES_C[:3],
            base_url=str(root),
            registry=reg,
        )


# --------------------------------------------------------------------------- OMNI end to end


def test_omni_lists_l3_products_with_inputs(capsys):
    frame = helioport.products("omni", as_frame=True)
    assert frame.loc["mag_elev_angle", "level"] == "L3"
    assert frame.loc["mag_elev_angle", "inputs"] == "dc_mag"
    assert frame.loc["mag_elev_angle", "units"] == "deg"
    assert frame.loc["dc_mag", "level"] == "L2" and frame.loc["dc_mag", "inputs"] == ""
    # OMNI has no four probes nor ion temperature anisotropy: no j_curl, no i_beta
    assert "j_curl" not in frame.index and "i_beta" not in frame.index

    from helioport.cli import main

    assert main(["products", "omni"]) == 0
    out = capsys.readouterr().out
    line = next(
        line for line in out.splitlines() if line.split() and line.split()[0] == "mag_elev_angle"
    )
    assert " L3 " in line and "deg" in line and line.rstrip().endswith("from dc_mag")


def test_omni_mag_elev_angle_end_to_end(omni_root, calls):
    ds = helioport.load(
        "omni",
        "2010-01-01T00:00",
        "2010-01-01T06:00",
        products=["dc_mag", "mag_elev_angle"],
        mode="5min",
        coords="gsm",
        base_url=str(omni_root),
    )
    assert calls["load"] == {("dc_mag", None): 1}
    assert len(calls["fetch"]) == 1 and len(calls["fetch"][0]) == 1
    b, elev = ds["dc_mag"], ds["mag_elev_angle"]
    assert elev.dims == ("time_mag_elev_angle",) and elev.sizes["time_mag_elev_angle"] == 72
    np.testing.assert_array_equal(elev["time_mag_elev_angle"].values, b["time_dc_mag"].values)
    bx, by, bz = (b.sel(component=c).values.astype(np.float64) for c in "xyz")
    expected = np.degrees(np.arctan2(bz, np.sqrt(bx**2 + by**2)))
    np.testing.assert_allclose(elev.values, expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isfinite(expected).sum() > 60 and (np.abs(expected) > 1).any()
    assert (
        elev.attrs["units"] == "deg"
        and elev.attrs["level"] == "L3"
        and elev.attrs["coords"] == "gsm"
    )
    assert elev.attrs["files"] == b.attrs["files"] and elev.attrs["derived_from"] == "dc_mag"

    # asked alone, the input is loaded but not returned
    alone = helioport.load(
        "omni",
        "2010-01-01T00:00",
        "2010-01-01T06:00",
        products="mag_elev_angle",
        mode="5min",
        coords="gsm",
        base_url=str(omni_root),
    )
    assert list(alone.data_vars) == ["mag_elev_angle"]
    np.testing.assert_array_equal(alone["mag_elev_angle"].values, elev.values)


# --------------------------------------------------------------------------- Cluster (real file)


def _real_cluster():
    path = REAL / "cluster" / "C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf"
    if not path.is_file():
        pytest.skip(f"real Cluster file {path} is not available")
    from helioport.cdf import load_variables

    names = ["B_vec_xyz_gse__C1_CP_FGM_SPIN", "sc_pos_xyz_gse__C1_CP_FGM_SPIN"]
    das = load_variables([path], names, mask_invalid=True)
    b, r = (das[n] for n in names)
    for da in (b, r):
        da.attrs["coords"] = "gse"
    return path, b, r


def test_mag_elev_angle_on_the_real_cluster_file():
    cdflib = pytest.importorskip("cdflib")
    path, b, _ = _real_cluster()
    out = mag_elev_angle_product({"dc_mag": b})
    raw = cdflib.CDF(str(path)).varget("B_vec_xyz_gse__C1_CP_FGM_SPIN").astype(np.float64)
    raw[raw <= -1e30] = np.nan
    expected = np.degrees(np.arctan2(raw[:, 2], np.sqrt(raw[:, 0] ** 2 + raw[:, 1] ** 2)))
    assert out.sizes["time"] == raw.shape[0] > 100
    np.testing.assert_allclose(out.values, expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert out.attrs["units"] == "deg" and out.attrs["coords"] == "gse"


def test_j_curl_with_cluster_probe_names_on_real_c1_positions():
    """C2-C4 are C1 displaced by a fixed tetrahedron; B is C1's real field plus a planted gradient."""
    _, b1, r1 = _real_cluster()
    G = np.array([[0.0, 0.8, -0.3], [0.2, 0.1, 0.5], [-0.4, 0.6, -0.1]])  # nT/km
    offsets = np.array([[0, 0, 0], [650.0, 80, -40], [120, 700, 60], [200, -90, 610]])  # km
    mags, poss = {}, {}
    for i, probe in enumerate(["C1", "C2", "C3", "C4"]):
        poss[probe] = r1.copy(data=r1.values.astype(np.float64) + offsets[i])
        mags[probe] = b1.copy(data=b1.values.astype(np.float64) + offsets[i] @ G.T)
    ds = j_curl({"dc_mag": mags, "sc_pos": poss})
    assert ds.attrs["probes"] == "C1,C2,C3,C4" and ds.attrs["time_base"] == "dc_mag of C1"
    ok = np.isfinite(b1.values).all(1) & np.isfinite(r1.values).all(1)
    assert ok.sum() > 100
    # rounding grows with |r| / size (~2e4 km / 600 km) times |B| (tens of nT): 1e-9 nT/km is ample
    np.testing.assert_allclose(ds["curl_b"].values[ok], np.tile(_curl(G), (ok.sum(), 1)), atol=1e-9)
    np.testing.assert_allclose(ds["div_b"].values[ok], np.trace(G), atol=1e-9)
    assert np.isnan(ds["j_curl"].values[~ok]).all()


# --------------------------------------------------------------------------- MMS end to end

MMS_PROBES = ["mms1", "mms2", "mms3", "mms4"]
MMS_G = np.array([[0.05, 0.12, -0.04], [-0.08, 0.02, 0.10], [0.06, -0.03, -0.01]])  # nT/km
MMS_CENTRE = np.array([6.0e4, 1.5e4, -4.5e3])  # km
MMS_CORNERS = np.array([[0, 0, 0], [18.0, 2, -1], [6, 16, 3], [7, 5, 15.0]])  # ~17 km, not regular
MMS_VELOCITY = np.array([0.3, -0.2, 0.1])  # km/s
MMS_B_OFFSETS = [0.0, 0.0031, -0.0017, 0.0052]  # s: each FGM has its own time tags
MMS_T0 = np.datetime64("2015-10-16T13:00:00", "ns")


def write_mms_linear_field(root: Path) -> None:
    """FGM srvy (16 S/s, float32 B + total) and MEC (30 s, float64 km) files of a linear field."""
    fixtures = pytest.importorskip("helioport_mms.fixtures")
    names = pytest.importorskip("helioport_mms.names")
    from helioport.testing.cdfwriter import VarSpec, write_cdf

    def data_attrs(desc, units, depend, label, frame="GSE"):
        return {
            "CATDESC": desc, "DEPEND_0": depend, "DISPLAY_TYPE": "time_series", "FIELDNAM": desc,
            "FILLVAL": np.float32(-1e31), "FORMAT": "E13.5", "LABL_PTR_1": label, "UNITS": units,
            "VALIDMIN": np.float32(-1e6), "VALIDMAX": np.float32(1e6), "VAR_TYPE": "data",
            "COORDINATE_SYSTEM": frame,
        }  # fmt: skip

    def label(values):
        return VarSpec(np.array(values), {"CATDESC": "labels", "FIELDNAM": "labels", "FORMAT": "A10",
                                          "VAR_TYPE": "metadata"})  # fmt: skip

    def gattrs(ds, path):
        return {"Project": "STP>Solar-Terrestrial Physics", "Mission_group": "MMS",
                "Logical_source": ds.logical_source, "Logical_file_id": path.stem,
                "Data_version": path.stem.rsplit("_v", 1)[1]}  # fmt: skip

    for i, probe in enumerate(MMS_PROBES):
        # B over 12:58-13:12 at 16 S/s, positions over the same span every 30 s
        tb = np.arange(-120 * 16, 720 * 16) / 16 + MMS_B_OFFSETS[i]
        rb = MMS_CENTRE + MMS_CORNERS[i] + MMS_VELOCITY * tb[:, None]
        b = np.array([20.0, -8.0, 12.0]) + (rb - MMS_CENTRE) @ MMS_G.T
        b4 = np.column_stack([b, np.linalg.norm(b, axis=1)]).astype(np.float32)
        times_b = MMS_T0 + np.round(tb * 1e9).astype("timedelta64[ns]")
        fgm = names.Dataset(probe, "fgm", "srvy")
        path = fixtures.file_path(root, fgm, "2015-10-16", "4.18.0", daily=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cdf(path, {
            "Epoch": fixtures.epoch_var(times_b),
            f"{probe}_fgm_b_gse_srvy_l2": VarSpec(b4, data_attrs("B GSE", "nT", "Epoch", "label_b_gse")),
            "label_b_gse": label(["Bx GSE", "By GSE", "Bz GSE", "Bt"]),
        }, gattrs(fgm, path))  # fmt: skip

        tr = np.arange(-120.0, 721.0, 30.0)
        r = MMS_CENTRE + MMS_CORNERS[i] + MMS_VELOCITY * tr[:, None]
        mec = names.Dataset(probe, "mec", "srvy", "l2", "epht89d")
        path = fixtures.file_path(root, mec, "2015-10-16", "2.2.0", daily=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cdf(path, {
            "Epoch": fixtures.epoch_var(MMS_T0 + (tr * 1e9).astype("timedelta64[ns]")),
            f"{probe}_mec_r_gse": VarSpec(r, dict(data_attrs("position GSE", "km", "Epoch", "r_label"),
                                                  FILLVAL=-1e31)),
            "r_label": label(["X GSE", "Y GSE", "Z GSE"]),
        }, gattrs(mec, path))  # fmt: skip


def test_mms_j_curl_end_to_end_from_a_folder_mirror(tmp_path, calls):
    pytest.importorskip("helioport_mms")
    if not {"dc_mag", "sc_pos"} <= {p.name for p in helioport.products("mms")}:
        pytest.skip("the installed MMS plugin does not serve dc_mag and sc_pos")
    root = tmp_path / "mms"
    write_mms_linear_field(root)
    ds = helioport.load("mms", "2015-10-16T13:00", "2015-10-16T13:10", products=["j_curl"],
                        probes=MMS_PROBES, coords="gse", mode="srvy", base_url=str(root))  # fmt: skip
    assert calls["load"] == {(p, c): 1 for p in ("dc_mag", "sc_pos") for c in MMS_PROBES}
    assert len(calls["fetch"]) == 1 and len(calls["fetch"][0]) == 8
    j = ds["j_curl"]
    t = ds[j.dims[0]].values
    assert t[0] == MMS_T0 and t.size == 600 * 16  # mms1's B time base over [13:00, 13:10)
    assert j.attrs["time_base"] == "dc_mag of mms1" and j.attrs["coords"] == "gse"
    assert j.attrs["units"] == "nA/m^2" and ds["div_b"].attrs["units"] == "nT/km"
    curl = _curl(MMS_G)
    # MEC positions are cut at 13:09:30 by the request: the last 30 s are covered by extrapolating
    # the (straight-line) positions. The other probes' B is cut at 13:00 too and starts a few ms
    # after mms1's first sample, which alone has no estimate.
    ok = np.isfinite(ds["curl_b"].values).all(1)
    assert ok[1:].all() and not ok[0]
    # B is float32 in the files: ~1e-7 relative rounding of ~25 nT across ~17 km
    np.testing.assert_allclose(
        ds["curl_b"].values[1:], np.tile(curl, (t.size - 1, 1)), rtol=0, atol=2e-6
    )
    np.testing.assert_allclose(ds["div_b"].values[1:], np.trace(MMS_G), rtol=0, atol=2e-6)
    np.testing.assert_allclose(
        j.values[1:],
        np.tile(curl * 1e-12 / MU0 * 1e9, (t.size - 1, 1)),
        rtol=0,
        atol=2e-6 / MU0 * 1e-3,
    )
