"""The LASP SDC API emulation (helioport_mms.sdc_server) mounted on helioport's ArchiveServer."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from helioport.testing import ArchiveServer
from helioport_mms.sdc_server import SDC_PREFIX, SdcApi, parse_mms_name, sdc_server

UTC = timezone.utc
SDC = SDC_PREFIX
FGM_BRST = "mms1/fgm/brst/l2/2015/10/16/mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"
FGM_BRST2 = "mms1/fgm/brst/l2/2015/10/16/mms1_fgm_brst_l2_20151016133000_v4.18.1.cdf"
FGM_SRVY_16 = "mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
FGM_SRVY_17 = "mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"
FGM_SRVY_MMS2 = "mms2/fgm/srvy/l2/2015/10/mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"
DIS_00 = "mms1/fpi/fast/l2/dis-moms/2015/12/mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf"
DIS_02 = "mms1/fpi/fast/l2/dis-moms/2015/12/mms1_fpi_fast_l2_dis-moms_20151201020000_v3.3.0.cdf"
DES_00 = "mms1/fpi/fast/l2/des-moms/2015/12/mms1_fpi_fast_l2_des-moms_20151201000000_v3.3.0.cdf"
MMS_FILES = [FGM_BRST, FGM_BRST2, FGM_SRVY_16, FGM_SRVY_17, FGM_SRVY_MMS2, DIS_00, DIS_02, DES_00]


def _payload(rel: str) -> bytes:
    """Distinct content per file (size differs by name length)."""
    return (rel.encode() * 3)[: 100 + len(rel)]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    for rel in MMS_FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_payload(rel))
    (root / "omni").mkdir()
    (root / "mms1" / "notes.txt").write_text("not an MMS science file")
    return root


@pytest.fixture()
def server(tree: Path):
    with sdc_server(tree) as srv:
        yield srv


def test_names_are_parsed_like_the_sdc_does() -> None:
    fields = parse_mms_name("mms1_fpi_fast_l2_dis-moms_20151201020000_v3.3.0.cdf")
    assert fields == {
        "sc_id": "mms1",
        "instrument_id": "fpi",
        "data_rate_mode": "fast",
        "data_level": "l2",
        "descriptor": "dis-moms",
        "start": datetime(2015, 12, 1, 2),
        "version": (3, 3, 0),
    }
    assert parse_mms_name("mms1_fgm_srvy_l2_20151016_v4.18.0.cdf")["descriptor"] is None
    for bad in (
        "notes.txt",
        "mms5_fgm_srvy_l2_20151016_v4.18.0.cdf",
        "mms1_fgm_srvy_l2_2015_v4.cdf",
    ):
        assert parse_mms_name(bad) is None


def test_mounted_at_the_sdc_prefix(server: ArchiveServer, tree: Path) -> None:
    assert server.api_url(SDC_PREFIX) == server.url + SDC
    assert set(server.apis) == {SDC}
    # the archive's files are still served beside the API
    assert requests.get(server.url_for(FGM_BRST), timeout=5).content == _payload(FGM_BRST)


def _file_info(server: ArchiveServer, **params: str) -> list[dict]:
    r = requests.get(server.api_url(SDC) + "file_info/science", params=params, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    return r.json()["files"]


def _names(files: list[dict]) -> list[str]:
    return [f["file_name"] for f in files]


def test_sdc_file_info_filters(server: ArchiveServer, tree: Path) -> None:
    files = _file_info(
        server,
        sc_id="mms1",
        instrument_id="fgm",
        data_rate_mode="brst",
        data_level="l2",
        start_date="2015-10-16",
        end_date="2015-10-16",
    )
    assert _names(files) == [FGM_BRST.rsplit("/", 1)[1], FGM_BRST2.rsplit("/", 1)[1]]
    first = files[0]
    assert first["file_size"] == len(_payload(FGM_BRST))
    assert first["timetag"] == "2015-10-16T13:05:24"
    mtime = datetime.fromtimestamp((tree / FGM_BRST).stat().st_mtime, tz=UTC)
    assert first["modified_date"] == mtime.strftime("%Y-%m-%dT%H:%M:%S")

    srvy = {"instrument_id": "fgm", "data_rate_mode": "srvy", "data_level": "l2"}
    assert _names(
        _file_info(server, sc_id="mms1", start_date="2015-10-16", end_date="2015-10-16", **srvy)
    ) == ["mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"]
    both = _file_info(server, sc_id="mms1", start_date="2015-10-16", end_date="2015-10-17", **srvy)
    assert _names(both) == [
        "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
        "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf",
    ]
    assert both[1]["timetag"] == "2015-10-17T00:00:00"
    # sc_ids plural / comma list / singular+plural merged
    probes = _file_info(
        server, sc_ids="mms1,mms2", start_date="2015-10-16", end_date="2015-10-16", **srvy
    )
    assert sorted(_names(probes)) == [
        "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf",
        "mms2_fgm_srvy_l2_20151016_v4.18.0.cdf",
    ]
    assert (
        len(
            _file_info(
                server,
                sc_id="mms2",
                instrument_ids="fgm",
                data_rate_modes="srvy,brst",
                data_levels="l2",
            )
        )
        == 1
    )
    # no data for another level
    assert _file_info(server, sc_id="mms1", instrument_id="fgm", data_level="l1b") == []


def test_sdc_descriptor_filter(server: ArchiveServer) -> None:
    common = {
        "sc_id": "mms1",
        "instrument_id": "fpi",
        "data_rate_mode": "fast",
        "data_level": "l2",
        "start_date": "2015-12-01",
        "end_date": "2015-12-01",
    }
    dis = _file_info(server, descriptor="dis-moms", **common)
    assert _names(dis) == [
        "mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf",
        "mms1_fpi_fast_l2_dis-moms_20151201020000_v3.3.0.cdf",
    ]
    assert dis[1]["timetag"] == "2015-12-01T02:00:00"
    assert len(_file_info(server, descriptors="dis-moms,des-moms", **common)) == 3
    assert len(_file_info(server, **common)) == 3
    assert _file_info(server, descriptor="dis-dist", **common) == []
    # files without descriptor never match a descriptor filter
    assert _file_info(server, instrument_id="fgm", descriptor="dis-moms") == []


def test_sdc_date_window_with_times(server: ArchiveServer) -> None:
    srvy = {"sc_id": "mms1", "instrument_id": "fgm", "data_rate_mode": "srvy", "data_level": "l2"}
    one_day = ["mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"]
    # end_date with a time is an inclusive instant (pySPEDAS sends trange end - 0.1 s)
    assert (
        _names(_file_info(server, start_date="2015-10-16", end_date="2015-10-16-23:59:59", **srvy))
        == one_day
    )
    assert (
        _names(_file_info(server, start_date="2015-10-16", end_date="2015-10-16-23-59-59", **srvy))
        == one_day
    )
    assert (
        len(_file_info(server, start_date="2015-10-16", end_date="2015-10-17-00:00:00", **srvy))
        == 2
    )
    brst = {"sc_id": "mms1", "instrument_id": "fgm", "data_rate_mode": "brst", "data_level": "l2"}
    assert _names(
        _file_info(server, start_date="2015-10-16-13:10:00", end_date="2015-10-16", **brst)
    ) == ["mms1_fgm_brst_l2_20151016133000_v4.18.1.cdf"]
    assert _names(
        _file_info(server, start_date="2015-10-16-13:05:24", end_date="2015-10-16-13:05:24", **brst)
    ) == ["mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"]
    assert _file_info(server, start_date="2015-10-17", end_date="2015-10-18", **brst) == []
    # files= restricts to names
    picked = _file_info(server, files="mms1_fgm_srvy_l2_20151017_v4.18.0.cdf,nope.cdf")
    assert _names(picked) == ["mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"]

    bad = requests.get(
        server.api_url(SDC) + "file_info/science", params={"start_date": "16/10/2015"}, timeout=5
    )
    assert bad.status_code == 400 and "invalid date" in bad.json()["error"]


def test_sdc_file_names_and_conditional(server: ArchiveServer) -> None:
    url = server.api_url(SDC) + "file_names/science"
    params = {
        "sc_id": "mms1",
        "instrument_id": "fgm",
        "data_rate_mode": "srvy",
        "data_level": "l2",
        "start_date": "2015-10-16",
        "end_date": "2015-10-17",
    }
    r = requests.get(url, params=params, timeout=5)
    assert r.status_code == 200
    assert r.text == "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf,mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"
    again = requests.get(
        url, params=params, headers={"If-None-Match": r.headers["ETag"]}, timeout=5
    )
    assert again.status_code == 304 and again.content == b""
    assert server.log[-1].query["instrument_id"] == "fgm"
    assert server.log[-1].path == "/" + SDC + "file_names/science"


def test_sdc_download(server: ArchiveServer) -> None:
    name = FGM_BRST.rsplit("/", 1)[1]
    url = server.api_url(SDC) + "download/science"
    r = requests.get(url, params={"file": name}, timeout=5)
    assert r.status_code == 200
    assert r.content == _payload(FGM_BRST)
    assert r.headers["Content-Type"] == "application/x-cdf"
    assert r.headers["Content-Length"] == str(len(_payload(FGM_BRST)))
    assert r.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert requests.get(server.url_for(FGM_BRST), timeout=5).headers["ETag"] == r.headers["ETag"]

    cond = requests.get(
        url, params={"file": name}, headers={"If-None-Match": r.headers["ETag"]}, timeout=5
    )
    assert cond.status_code == 304
    part = requests.get(url, params={"file": name}, headers={"Range": "bytes=0-3"}, timeout=5)
    assert part.status_code == 206 and part.content == _payload(FGM_BRST)[:4]

    missing = requests.get(
        url, params={"file": "mms1_fgm_brst_l2_20990101000000_v1.0.0.cdf"}, timeout=5
    )
    assert missing.status_code == 404 and missing.json()["error"] == "file not found"
    assert requests.get(url, timeout=5).status_code == 400
    assert requests.get(server.api_url(SDC) + "nothing/science", timeout=5).status_code == 404

    # several files: a zip, like the SDC
    zipped = requests.get(
        url, params={"sc_id": "mms1", "instrument_id": "fgm", "data_rate_mode": "brst"}, timeout=5
    )
    assert zipped.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        assert sorted(zf.namelist()) == sorted(p.rsplit("/", 1)[1] for p in (FGM_BRST, FGM_BRST2))
        assert zf.read(name) == _payload(FGM_BRST)


def test_sdc_custom_prefix_and_root(tree: Path) -> None:
    with ArchiveServer(tree / "omni", apis={"/sdc/api/": SdcApi(tree)}) as srv:
        assert srv.api_url("sdc/api") == srv.url + "sdc/api/"
        files = requests.get(
            srv.api_url("sdc/api") + "file_info/science", params={"sc_id": "mms2"}, timeout=5
        ).json()
        assert _names(files["files"]) == ["mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"]
        assert requests.get(srv.url + SDC + "file_info/science", timeout=5).status_code == 404
    with sdc_server(tree / "omni", sdc_root=tree, prefix="other/") as srv:
        assert srv.apis.keys() == {"other/"}
        info = requests.get(
            srv.api_url("other") + "file_info/science", params={"sc_id": "mms2"}, timeout=5
        )
        assert _names(info.json()["files"]) == ["mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"]
        with pytest.raises(KeyError, match="other/"):
            srv.api_url(SDC)


def test_the_sdc_answers_are_logged_with_their_content_type(server: ArchiveServer) -> None:
    _file_info(server, sc_id="mms1")
    entry = server.log[-1]
    assert (
        entry.path == "/" + SDC + "file_info/science" and entry.content_type == "application/json"
    )
    assert entry.query == {"sc_id": "mms1"}


def test_fault_retry_after_on_the_api(server: ArchiveServer) -> None:
    url = server.api_url(SDC) + "file_info/science"
    server.add_fault("*/file_info/science", "retry_after", seconds=300)
    r = requests.get(url, params={"sc_id": "mms1"}, timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    assert requests.get(url, params={"sc_id": "mms1"}, timeout=5).status_code == 200


def test_command_line(tree: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "helioport_mms.sdc_server", str(tree), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert match, line
        assert proc.stdout.readline().strip() == f"API at {match.group(1)}{SDC}"
        r = requests.get(match.group(1) + FGM_SRVY_MMS2, timeout=5)
        assert r.content == _payload(FGM_SRVY_MMS2)
        info = requests.get(
            match.group(1) + SDC + "file_info/science", params={"sc_id": "mms2"}, timeout=5
        )
        assert (
            json.loads(info.text)["files"][0]["file_name"]
            == "mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"
        )
    finally:
        proc.terminate()
        proc.wait(10)
