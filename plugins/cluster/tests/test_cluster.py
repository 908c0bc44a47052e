"""The Cluster plugin against a CSA emulation on 127.0.0.1, with the real C1 CDF and C4 CEF files."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tarfile
import warnings
from pathlib import Path

import cdflib
import helioport
import numpy as np
import pytest
from helioport.derive.curlometer import MU0
from helioport.errors import CorruptFileError, DownloadError, InvalidRequestError
from helioport.testing import ApiResponse, check_plugin
from helioport_cluster.fixtures import CURL, CsaArchive, csa_name, write_fgm

UTC = dt.timezone.utc
REAL_CDF = "C1_CP_FGM_SPIN__20010611_200000_20010611_210000_V070906.cdf"
REAL_CEF = "C4_CP_FGM_SPIN__20010706_211607_20010709_062406_V01.cef"


def _serve(server_for, root: Path, csa: CsaArchive):
    server = server_for(root, apis={"csa/": csa})
    return server, server.api_url("csa/")


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def csa_root(tmp_path) -> Path:
    root = tmp_path / "csa"
    root.mkdir()
    return root


def test_real_cdf_delivered_as_a_tarball_loads_to_the_files_values(
    real_file, csa_root, server_for, cache_dir
):
    src = real_file("cluster", REAL_CDF)
    (csa_root / "C1_CP_FGM_SPIN").mkdir()
    shutil.copy(src, csa_root / "C1_CP_FGM_SPIN" / REAL_CDF)
    csa = CsaArchive(csa_root)
    _, url = _serve(server_for, csa_root, csa)
    ds = helioport.load(
        "cluster",
        "2001-06-11T20:00",
        "2001-06-11T21:00",
        products=["dc_mag", "sc_pos"],
        probes=["c1"],
        base_url=url,
    )
    cdf = cdflib.CDF(str(src))
    t = cdflib.cdfepoch.to_datetime(cdf.varget("time_tags__C1_CP_FGM_SPIN"))
    b = cdf.varget("B_vec_xyz_gse__C1_CP_FGM_SPIN")
    pos = cdf.varget("sc_pos_xyz_gse__C1_CP_FGM_SPIN")
    keep = (t >= np.datetime64("2001-06-11T20:00")) & (t < np.datetime64("2001-06-11T21:00"))
    da = ds["dc_mag_c1"]
    np.testing.assert_array_equal(da.values, b[keep])
    np.testing.assert_array_equal(ds["sc_pos_c1"].values, pos[keep])
    np.testing.assert_array_equal(da[da.dims[0]].values, t[keep].astype("datetime64[ns]"))
    assert list(da["component"].values) == ["x", "y", "z"]
    assert da.attrs["units"] == "nT" and da.attrs["coords"] == "gse"
    assert da.attrs["dataset"] == "C1_CP_FGM_SPIN" and da.attrs["file_versions"] == "V070906"
    assert da.attrs["source_variable"] == "B_vec_xyz_gse__C1_CP_FGM_SPIN"
    assert ds["sc_pos_c1"].attrs["units"] == "km"
    # one day-aligned delivery request, asked once for both products
    assert [(q["DATASET_ID"], q["START_DATE"], q["END_DATE"]) for q in csa.data_requests] == [
        ("C1_CP_FGM_SPIN", "2001-06-11T00:00:00Z", "2001-06-12T00:00:00Z")
    ]
    assert csa.data_requests[0]["DELIVERY_FORMAT"] == "CDF_ISTP"


def test_real_cef_loads_to_the_same_structure_with_the_texts_values(
    real_file, csa_root, server_for
):
    src = real_file("cluster", REAL_CEF)
    (csa_root / "C4_CP_FGM_SPIN").mkdir()
    shutil.copy(src, csa_root / "C4_CP_FGM_SPIN" / REAL_CEF)
    _, url = _serve(server_for, csa_root, CsaArchive(csa_root))
    ds = helioport.load(
        "cluster",
        "2001-07-06T21:16",
        "2001-07-09T06:25",
        products=["dc_mag", "sc_pos"],
        probes=["c4"],
        format="cef",
        base_url=url,
    )
    b = ds["dc_mag_c4"]
    t = b[b.dims[0]].values
    assert b.dims[1] == "component" and list(b["component"].values) == ["x", "y", "z"]
    # first and last records of the text:
    # 2001-07-06T21:16:10.814Z,2,-304.844,-516.558,29.454,600.524,17101.5,18191.7,10116.2,4,22  $
    # 2001-07-09T06:24:01.171Z,2,-210.833,-400.505,193.057,492.063,17854.4,17529.7,10105.9,4,22  $
    assert t[0] == np.datetime64("2001-07-06T21:16:10.814")
    assert t[-1] == np.datetime64("2001-07-09T06:24:01.171")
    np.testing.assert_allclose(b.values[0], [-304.844, -516.558, 29.454])
    np.testing.assert_allclose(b.values[-1], [-210.833, -400.505, 193.057])
    np.testing.assert_allclose(ds["sc_pos_c4"].values[-1], [17854.4, 17529.7, 10105.9])
    assert np.all(
        np.diff(t) > np.timedelta64(0)
    )  # the file came in 4 daily tarballs: no duplicates
    assert b.attrs["units"] == "nT" and b.attrs["file_versions"] == "V01"


def test_cdf_and_cef_deliveries_give_identical_dataarrays(tmp_path, csa_root, server_for):
    """The same data written as CDF and as CEF load to the same values, dims and coords."""
    from helioport_cluster.cef import read_cef

    start, end = dt.datetime(2001, 6, 11, 0, tzinfo=UTC), dt.datetime(2001, 6, 11, 1, tzinfo=UTC)
    folder = csa_root / "C1_CP_FGM_SPIN"
    folder.mkdir()
    cdf = write_fgm(folder / csa_name("C1_CP_FGM_SPIN", start, end, "01"), "c1", start, end)
    _write_cef_twin(cdf, folder / csa_name("C1_CP_FGM_SPIN", start, end, "01", "cef"))
    assert read_cef(folder / csa_name("C1_CP_FGM_SPIN", start, end, "01", "cef"))
    _, url = _serve(server_for, csa_root, CsaArchive(csa_root))
    kw = {"products": ["dc_mag"], "probes": ["c1"], "base_url": url}
    a = helioport.load("cluster", start, end, **kw)["dc_mag_c1"]
    b = helioport.load("cluster", start, end, format="cef", **kw)["dc_mag_c1"]
    assert a.dims == b.dims and a.shape == b.shape == (900, 3)
    np.testing.assert_array_equal(a[a.dims[0]].values, b[b.dims[0]].values)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6)


def _write_cef_twin(cdf_path: Path, cef_path: Path) -> None:
    """A CEF file holding what the CDF holds (time, B, position), as the CSA writes CEF."""
    cdf = cdflib.CDF(str(cdf_path))
    ds = "C1_CP_FGM_SPIN"
    t = cdflib.cdfepoch.to_datetime(cdf.varget(f"time_tags__{ds}"))
    b = cdf.varget(f"B_vec_xyz_gse__{ds}")
    pos = cdf.varget(f"sc_pos_xyz_gse__{ds}")
    head = [
        'FILE_NAME = "x.cef"',
        'FILE_FORMAT_VERSION = "CEF-2.0"',
        'END_OF_RECORD_MARKER = "$"',
        'INCLUDE = "CL_CH_MISSION.ceh"',
        f"START_VARIABLE = time_tags__{ds}",
        "  SIZES = 1",
        "  VALUE_TYPE = ISO_TIME",
        "  FILLVAL = 9999-12-31T23:59:59Z",
        f"END_VARIABLE = time_tags__{ds}",
        f"START_VARIABLE = B_vec_xyz_gse__{ds}",
        '  UNITS = "nT"',
        "  SIZES = 3",
        "  VALUE_TYPE = FLOAT",
        "  FILLVAL = -1e30",
        f"  DEPEND_0 = time_tags__{ds}",
        '  LABEL_1 = "Bx", "By", "Bz"   ! the components',
        f"END_VARIABLE = B_vec_xyz_gse__{ds}",
        f"START_VARIABLE = sc_pos_xyz_gse__{ds}",
        '  UNITS = "km"',
        "  SIZES = 3",
        "  VALUE_TYPE = FLOAT",
        "  FILLVAL = -1e30",
        f"  DEPEND_0 = time_tags__{ds}",
        f"END_VARIABLE = sc_pos_xyz_gse__{ds}",
        "DATA_UNTIL = EOF",
    ]
    rows = [
        f"{np.datetime_as_string(ti, unit='ms')}Z,"
        + ",".join(repr(float(v)) for v in (*bi, *pi))
        + " $"
        for ti, bi, pi in zip(t, b, pos)
    ]
    cef_path.write_text("\n".join(head + rows) + "\n", encoding="latin-1")


@pytest.fixture
def four_probes(csa_root) -> tuple[dt.datetime, dt.datetime]:
    start, end = dt.datetime(2001, 6, 11, 0, tzinfo=UTC), dt.datetime(2001, 6, 11, 2, tzinfo=UTC)
    for n in range(1, 5):
        folder = csa_root / f"C{n}_CP_FGM_SPIN"
        folder.mkdir()
        write_fgm(folder / csa_name(f"C{n}_CP_FGM_SPIN", start, end, "070906"), f"c{n}", start, end)
    return start, end


def test_four_probes_and_the_curlometer_end_to_end(four_probes, csa_root, server_for):
    start, end = four_probes
    _, url = _serve(server_for, csa_root, CsaArchive(csa_root))
    ds = helioport.load(
        "cluster",
        start,
        end,
        products=["dc_mag", "j_curl"],
        probes=["c1", "c2", "c3", "c4"],
        base_url=url,
    )
    assert {f"dc_mag_c{n}" for n in range(1, 5)} <= set(ds.data_vars)
    j = ds["j_curl"]
    expected = CURL * 1e-12 / MU0 * 1e9  # nA/m^2 of the linear field
    np.testing.assert_allclose(j.values, np.broadcast_to(expected, j.shape), atol=2e-3)
    assert abs(expected[2]) > 1  # the test field has a real current
    assert np.nanmax(np.abs(ds["div_b"].values)) < 1e-5
    assert j.attrs["units"] == "nA/m^2"


def test_a_repeated_request_sends_nothing_to_the_data_endpoint_and_days_are_reused(
    four_probes, csa_root, server_for
):
    start, end = four_probes
    csa = CsaArchive(csa_root)
    _, url = _serve(server_for, csa_root, csa)
    kw = {"products": ["dc_mag"], "probes": ["c1"], "base_url": url}
    helioport.load("cluster", start, end, **kw)
    assert len(csa.data_requests) == 1
    helioport.load("cluster", start, end, **kw)
    assert len(csa.data_requests) == 1  # cached interval: not asked again
    # an overlapping longer request asks only for the day it lacks
    helioport.load("cluster", start, start + dt.timedelta(days=1, hours=1), **kw)
    assert [q["START_DATE"] for q in csa.data_requests[1:]] == ["2001-06-12T00:00:00Z"]


def test_a_newer_dataset_update_replaces_the_cached_delivery(
    four_probes, csa_root, server_for, cache_dir
):
    start, end = four_probes
    csa = CsaArchive(csa_root, last_update={"C1_CP_FGM_SPIN": "2020-01-01 00:00:00"})
    _, url = _serve(server_for, csa_root, csa)
    kw = {"products": ["dc_mag"], "probes": ["c1"], "base_url": url}
    first = helioport.load("cluster", start, end, **kw)["dc_mag_c1"]
    assert first.attrs["file_versions"] == "V070906"
    folder = csa_root / "C1_CP_FGM_SPIN"
    old = next(folder.glob("*.cdf"))
    new = folder / old.name.replace("V070906", "V230101")
    old.rename(new)
    helioport.load("cluster", start, end, **kw)
    assert len(csa.data_requests) == 1  # same last update: the cache serves
    csa.last_update["C1_CP_FGM_SPIN"] = "2023-01-01 00:00:00"
    second = helioport.load("cluster", start, end, **kw)["dc_mag_c1"]
    assert len(csa.data_requests) == 2
    assert second.attrs["file_versions"] == "V230101"
    cached = [p.name for p in _files_in(cache_dir / "cluster")]
    assert new.name in cached and old.name not in cached


def test_tap_outage_warns_and_the_load_goes_on(four_probes, csa_root, server_for):
    start, end = four_probes
    csa = CsaArchive(csa_root, tap_status=404)
    _, url = _serve(server_for, csa_root, csa)
    with pytest.warns(UserWarning, match="CSA TAP service did not answer for C1_CP_FGM_SPIN"):
        ds = helioport.load("cluster", start, end, products=["dc_mag"], probes=["c1"], base_url=url)
    assert ds["dc_mag_c1"].shape == (1800, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        helioport.load("cluster", start, end, products=["dc_mag"], probes=["c1"], base_url=url)
    assert len(csa.data_requests) == 1  # the cached day is not asked for again


def test_an_html_page_with_status_200_is_a_clear_error_and_leaves_nothing(
    csa_root, server_for, cache_dir
):
    csa = CsaArchive(
        csa_root, error_page="<html><body><h1>Error: too many requests in the queue</h1>"
    )
    _, url = _serve(server_for, csa_root, csa)
    with pytest.raises(DownloadError, match="too many requests in the queue"):
        helioport.load(
            "cluster", "2001-06-11", "2001-06-11T01:00", products=["dc_mag"], base_url=url
        )
    mission = cache_dir / "cluster"
    left = _files_in(mission) if mission.exists() else []
    assert not [p for p in left if not p.name.endswith((".json", ".lock"))], left


def _answering(body: bytes):
    """A data endpoint answering ``body`` to every request (the TAP service is absent)."""

    def api(request):
        if request.path == "data":
            return ApiResponse(200, body, "application/x-gzip")
        return ApiResponse(404, b"no TAP here", "text/plain")

    return api


def _crafted(members: list[tuple[str, bytes, str]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            else:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if kind == "file" else None)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("member", "kind"),
    [
        ("CSA_Download_x/C1_CP_FGM_SPIN/../../../../evil.cdf", "file"),
        ("/tmp/helioport-absolute-evil.cdf", "file"),
        ("CSA_Download_x/C1_CP_FGM_SPIN/link.cdf", "symlink"),
    ],
)
def test_hostile_tar_members_are_refused_and_nothing_is_written(
    tmp_path, member, kind, server_for, cache_dir
):
    ok = ("CSA_Download_x/C1_CP_FGM_SPIN/ok.cdf", b"\xcd\xf3\x00\x01" + b"0" * 60, "file")
    server = server_for(
        tmp_path, apis={"csa/": _answering(_crafted([ok, (member, b"evil", kind)]))}
    )
    before = set(tmp_path.parent.rglob("evil*"))
    with pytest.warns(UserWarning, match="TAP"), pytest.raises(CorruptFileError, match="refusing"):
        helioport.load(
            "cluster",
            "2001-06-11",
            "2001-06-11T01:00",
            products=["dc_mag"],
            base_url=server.api_url("csa/"),
        )
    assert set(tmp_path.parent.rglob("evil*")) == before
    assert not Path("/tmp/helioport-absolute-evil.cdf").exists()
    assert not [p for p in _files_in(cache_dir) if p.suffix == ".cdf"]


def test_a_truncated_tarball_leaves_no_partial_files(
    four_probes, csa_root, tmp_path, server_for, cache_dir
):
    start, end = four_probes
    query = {
        "DATASET_ID": "C1_CP_FGM_SPIN",
        "START_DATE": "2001-06-11T00:00:00Z",
        "END_DATE": "2001-06-12T00:00:00Z",
    }
    full = CsaArchive(csa_root)._data(query).body
    server = server_for(tmp_path, apis={"csa/": _answering(full[: len(full) // 2])})
    with pytest.warns(UserWarning, match="TAP"), pytest.raises(DownloadError):
        helioport.load("cluster", start, end, products=["dc_mag"], base_url=server.api_url("csa/"))
    mission = cache_dir / "cluster"
    left = _files_in(mission) if mission.exists() else []
    assert not [p for p in left if not p.name.endswith((".json", ".lock"))], left


def test_hia_moments_on_c2_are_refused_before_any_request(csa_root, server_for):
    csa = CsaArchive(csa_root)
    _, url = _serve(server_for, csa_root, csa)
    with pytest.raises(InvalidRequestError, match=r"'i_dens' has no data for probe c2.*c1, c3"):
        helioport.load(
            "cluster", "2001-06-11", "2001-06-12", products=["i_dens"], probes=["c2"], base_url=url
        )
    assert csa.data_requests == []


def test_the_plugin_conforms(tmp_path):
    report = check_plugin("cluster", tmp_path)
    assert report.ok, str(report)
    assert "offline load" in report.checked


def test_moments_electric_field_and_aux_positions(csa_root, server_for):
    from helioport_cluster.fixtures import write_dataset

    start, end = dt.datetime(2002, 2, 1, 10, tzinfo=UTC), dt.datetime(2002, 2, 1, 11, tzinfo=UTC)
    tables = {
        "C3_CP_CIS-HIA_ONBOARD_MOMENTS": {
            "density": (12.5, "particles cm^-3"),
            "velocity_gse": ([-400.0, 30.0, 5.0], "km s^-1"),
            "temperature": (1.5, "MK"),
            "temp_par": (1.8, "MK"),
            "temp_perp": (1.35, "MK"),
        },
        "C3_CP_PEA_MOMENTS": {
            "Data_Density": (11.0, "cm^-3"),
            "Data_Velocity_GSE": ([-390.0, 0, 0], "km/s"),
        },
        "C3_CP_EFW_L3_E3D_GSE": {"E_Vec_xyz_GSE": ([1.0, -2.0, 0.5], "mV m^-1")},
        "C3_CP_AUX_POSGSE_1M": {"sc_r_xyz_gse": ([70000.0, 1000.0, -3000.0], "km")},
    }
    for dataset, variables in tables.items():
        (csa_root / dataset).mkdir()
        cadence = 60.0 if "AUX" in dataset else 4.0
        write_dataset(
            csa_root / dataset / csa_name(dataset, start, end, "01"),
            dataset,
            start,
            end,
            variables,
            cadence_s=cadence,
        )
    _, url = _serve(server_for, csa_root, CsaArchive(csa_root))
    products = [
        "i_dens",
        "i_bulkv",
        "i_temp",
        "i_temppara",
        "i_tempperp",
        "e_dens",
        "e_bulkv",
        "dc_elec",
        "sc_pos",
    ]
    ds = helioport.load(
        "cluster", start, end, products=products, probes=["c3"], positions="aux", base_url=url
    )
    assert float(ds["i_dens_c3"].mean()) == pytest.approx(12.5)
    np.testing.assert_allclose(ds["i_bulkv_c3"].values[0], [-400.0, 30.0, 5.0])
    assert ds["i_temppara_c3"].attrs["units"] == "MK" and float(
        ds["i_temppara_c3"][0]
    ) == pytest.approx(1.8)
    assert (
        ds["i_tempperp_c3"].attrs["source_variable"] == "temp_perp__C3_CP_CIS-HIA_ONBOARD_MOMENTS"
    )
    assert float(ds["e_dens_c3"][0]) == pytest.approx(11.0)
    np.testing.assert_allclose(ds["dc_elec_c3"].values[-1], [1.0, -2.0, 0.5])
    pos = ds["sc_pos_c3"]
    assert pos.attrs["dataset"] == "C3_CP_AUX_POSGSE_1M" and pos.sizes[pos.dims[0]] == 60
    np.testing.assert_allclose(pos.values[0], [70000.0, 1000.0, -3000.0])
    assert list(ds["i_bulkv_c3"]["component"].values) == ["x", "y", "z"]


def test_cef_reader_refuses_a_record_with_the_wrong_number_of_values(tmp_path):
    from helioport_cluster.cef import read_cef

    path = tmp_path / "bad.cef"
    path.write_text(
        'END_OF_RECORD_MARKER = "$"\n'
        "START_VARIABLE = t\n  VALUE_TYPE = ISO_TIME\n  SIZES = 1\nEND_VARIABLE = t\n"
        "START_VARIABLE = b\n  VALUE_TYPE = FLOAT\n  SIZES = 3\n  DEPEND_0 = t\nEND_VARIABLE = b\n"
        "DATA_UNTIL = EOF\n2001-01-01T00:00:00Z, 1, 2 $\n",
        encoding="latin-1",
    )
    with pytest.raises(CorruptFileError, match="records have 3 values, the header declares 4"):
        read_cef(path)
    with pytest.raises(helioport.HelioportError, match="no variable nope"):
        path.write_text(path.read_text().replace("1, 2 $", "1, 2, 3 $"))
        read_cef(path, ["nope"])


def test_hia_distribution_keeps_its_theta_phi_energy_axes(csa_root, server_for):
    from helioport.testing import VarSpec, write_cdf

    ds_id = "C1_CP_CIS-HIA_HS_MAG_IONS_PSD"
    start = dt.datetime(2002, 2, 1, 10, tzinfo=UTC)
    n = 10
    t = np.datetime64("2002-02-01T10:00", "ns") + np.arange(n) * np.timedelta64(4, "s")
    theta = np.linspace(-78.75, 78.75, 8).astype("f4")
    phi = np.arange(16, dtype="f4") * 22.5 + 11.25
    energy = np.geomspace(5.0, 32000.0, 31).astype("f4")[::-1].copy()
    psd = np.random.default_rng(1).random((n, 8, 16, 31)).astype("f4")
    (csa_root / ds_id).mkdir()
    write_cdf(
        csa_root / ds_id / csa_name(ds_id, start, start + dt.timedelta(hours=1), "01"),
        {
            f"time_tags__{ds_id}": VarSpec(t, {"UNITS": "ms"}, cdf_type="CDF_EPOCH"),
            f"theta__{ds_id}": VarSpec(theta, {"UNITS": "deg"}, record_varying=False),
            f"phi__{ds_id}": VarSpec(phi, {"UNITS": "deg"}, record_varying=False),
            f"energy_table__{ds_id}": VarSpec(energy, {"UNITS": "eV"}, record_varying=False),
            f"3d_ions__{ds_id}": VarSpec(
                psd,
                {
                    "DEPEND_0": f"time_tags__{ds_id}",
                    "DEPEND_1": f"theta__{ds_id}",
                    "DEPEND_2": f"phi__{ds_id}",
                    "DEPEND_3": f"energy_table__{ds_id}",
                    "UNITS": "s^3/km^6",
                    "FILLVAL": np.float32(-1e30),
                },
            ),
        },
    )
    _, url = _serve(server_for, csa_root, CsaArchive(csa_root))
    out = helioport.load(
        "cluster", start, start + dt.timedelta(minutes=5), products=["i_dist"], base_url=url
    )
    da = out["i_dist_c1"]
    assert da.shape == (n, 8, 16, 31)
    # the axes are the variable's own: <axis>_<variable>
    assert da.dims[1:] == ("theta_bin_i_dist_c1", "phi_bin_i_dist_c1", "energy_bin_i_dist_c1")
    np.testing.assert_allclose(da["energy_i_dist_c1"].values, energy)
    np.testing.assert_allclose(da["theta_i_dist_c1"].values, theta)
    assert da["energy_i_dist_c1"].dims == ("energy_bin_i_dist_c1",)
    np.testing.assert_array_equal(da.values, psd)
    assert da.attrs["units"] == "s^3/km^6"


def test_cef_files_that_cannot_be_read_are_corrupt_file_errors(tmp_path):
    from helioport_cluster.cef import read_cef

    with pytest.raises(CorruptFileError, match="cannot read the CEF file"):
        read_cef(tmp_path / "missing.cef")
    bad = tmp_path / "bad.cef"
    bad.write_text(
        "START_VARIABLE = t\n  VALUE_TYPE = ISO_TIME\nEND_VARIABLE = t\n"
        'DATA_UNTIL = EOF\n"unterminated, quote\n',
        encoding="latin-1",
    )
    with pytest.raises(CorruptFileError, match="bad.cef"):
        read_cef(bad)
