"""Tests of helioport.testing.server: the local archive server used by the test suite."""

from __future__ import annotations

import email.utils
import http.client
import importlib.util
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

if importlib.util.find_spec("helioport") is None:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from helioport.testing._apache import format_size
from helioport.testing.server import ApiRequest, ApiResponse, ArchiveServer, LoggedRequest

UTC = timezone.utc
FGM_BRST = "mms1/fgm/brst/l2/2015/10/16/mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"
FGM_BRST2 = "mms1/fgm/brst/l2/2015/10/16/mms1_fgm_brst_l2_20151016133000_v4.18.1.cdf"
FGM_SRVY_16 = "mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151016_v4.18.0.cdf"
FGM_SRVY_17 = "mms1/fgm/srvy/l2/2015/10/mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"
FGM_SRVY_MMS2 = "mms2/fgm/srvy/l2/2015/10/mms2_fgm_srvy_l2_20151016_v4.18.0.cdf"
DIS_00 = "mms1/fpi/fast/l2/dis-moms/2015/12/mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf"
DIS_02 = "mms1/fpi/fast/l2/dis-moms/2015/12/mms1_fpi_fast_l2_dis-moms_20151201020000_v3.3.0.cdf"
DES_00 = "mms1/fpi/fast/l2/des-moms/2015/12/mms1_fpi_fast_l2_des-moms_20151201000000_v3.3.0.cdf"
SKYMAP = "themis/skymaps/gako/gako_20110305/themis_skymap_gako_20110305-+_vXX.sav"
MMS_FILES = [FGM_BRST, FGM_BRST2, FGM_SRVY_16, FGM_SRVY_17, FGM_SRVY_MMS2, DIS_00, DIS_02, DES_00]
OMNI_DATA = bytes(range(256)) * 20  # 5120 bytes


def _payload(rel: str) -> bytes:
    """Distinct content per file (size differs by name length)."""
    return (rel.encode() * 3)[: 100 + len(rel)]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    for rel in MMS_FILES + [SKYMAP]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_payload(rel))
    omni = root / "omni" / "low_res_omni"
    omni.mkdir(parents=True)
    (omni / "omni2_2010.dat").write_bytes(OMNI_DATA)
    (omni / "small.txt").write_bytes(b"x" * 303)
    with open(omni / "big.cdf", "wb") as fh:
        fh.truncate(1258291)  # sparse: "1.2M" in the index
    (omni / "bundle.tar.gz").write_bytes(b"\x1f\x8b" + b"\0" * 30)
    (omni / "sub").mkdir()
    (omni / ".hidden").write_text("not listed")
    (tmp_path / "secret.txt").write_text("outside the root")
    return root


@pytest.fixture()
def server(tree: Path):
    with ArchiveServer(tree) as srv:
        yield srv


def _raw_get(server: ArchiveServer, raw_path: str, headers: dict | None = None):
    """GET with the path sent verbatim (requests would normalise ``..``)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", raw_path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


# --------------------------------------------------------------------------- files


def test_url_and_root(server: ArchiveServer, tree: Path) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
    assert server.root == tree.resolve()
    assert server.url_for(SKYMAP).endswith("themis_skymap_gako_20110305-%2B_vXX.sav")
    assert server.apis == {}


def test_file_get_headers(server: ArchiveServer, tree: Path) -> None:
    path = tree / "omni/low_res_omni/omni2_2010.dat"
    r = requests.get(server.url_for("omni/low_res_omni/omni2_2010.dat"), timeout=5)
    st = path.stat()
    assert r.status_code == 200
    assert r.content == OMNI_DATA
    assert r.headers["Content-Length"] == "5120"
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers["Last-Modified"] == email.utils.formatdate(st.st_mtime, usegmt=True)
    assert r.headers["Accept-Ranges"] == "bytes"
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert f"{st.st_size:x}" in etag
    assert "Content-Encoding" not in r.headers

    types = {
        FGM_BRST: "application/x-cdf",
        "omni/low_res_omni/bundle.tar.gz": "application/gzip",
        "omni/low_res_omni/small.txt": "text/plain",
    }
    for rel, ctype in types.items():
        assert requests.get(server.url_for(rel), timeout=5).headers["Content-Type"] == ctype

    head = requests.head(server.url_for("omni/low_res_omni/omni2_2010.dat"), timeout=5)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == "5120"
    assert head.headers["ETag"] == etag
    assert head.content == b""
    assert server.log[-1].method == "HEAD" and server.log[-1].bytes_sent == 0


def test_etag_changes_when_file_replaced(server: ArchiveServer, tree: Path) -> None:
    url = server.url_for("omni/low_res_omni/small.txt")
    first = requests.get(url, timeout=5).headers["ETag"]
    server.touch("omni/low_res_omni/small.txt")
    second = requests.get(url, timeout=5)
    assert second.headers["ETag"] != first
    tmp = tree / "omni/low_res_omni/small.txt.new"
    tmp.write_bytes(b"y" * 303)
    os.replace(tmp, tree / "omni/low_res_omni/small.txt")
    third = requests.get(url, timeout=5)
    assert third.content == b"y" * 303
    assert third.headers["ETag"] not in (first, second.headers["ETag"])


def test_if_none_match_gives_304(server: ArchiveServer) -> None:
    url = server.url_for(FGM_BRST)
    etag = requests.get(url, timeout=5).headers["ETag"]
    server.clear_log()

    r = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == etag
    assert (
        requests.get(url, headers={"If-None-Match": f'"other", W/{etag}'}, timeout=5).status_code
        == 304
    )
    assert requests.get(url, headers={"If-None-Match": "*"}, timeout=5).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"stale"'}, timeout=5).status_code == 200
    # If-None-Match wins over a matching If-Modified-Since
    lm = requests.head(url, timeout=5).headers["Last-Modified"]
    both = requests.get(
        url, headers={"If-None-Match": '"stale"', "If-Modified-Since": lm}, timeout=5
    )
    assert both.status_code == 200

    log = server.log
    assert [e.status for e in log[:4]] == [304, 304, 304, 200]
    assert all(e.conditional for e in log[:4])
    assert log[0].bytes_sent == 0 and log[3].bytes_sent == len(_payload(FGM_BRST))
    assert log[0].header("if-none-match") == etag


def test_if_modified_since(server: ArchiveServer, tree: Path) -> None:
    rel = "omni/low_res_omni/omni2_2010.dat"
    url = server.url_for(rel)
    server.touch(rel, mtime=datetime(2010, 1, 5, 14, 32, 10, tzinfo=UTC))
    lm = requests.get(url, timeout=5).headers["Last-Modified"]
    assert lm == "Tue, 05 Jan 2010 14:32:10 GMT"

    assert requests.get(url, headers={"If-Modified-Since": lm}, timeout=5).status_code == 304
    later = "Wed, 06 Jan 2010 00:00:00 GMT"
    assert requests.get(url, headers={"If-Modified-Since": later}, timeout=5).status_code == 304
    earlier = "Tue, 05 Jan 2010 14:32:09 GMT"
    r = requests.get(url, headers={"If-Modified-Since": earlier}, timeout=5)
    assert r.status_code == 200 and r.content == OMNI_DATA
    assert requests.get(url, headers={"If-Modified-Since": "garbage"}, timeout=5).status_code == 200

    server.touch(rel)  # now: newer than lm
    r = requests.get(url, headers={"If-Modified-Since": lm}, timeout=5)
    assert r.status_code == 200
    assert email.utils.parsedate_to_datetime(r.headers["Last-Modified"]).year >= 2024


def test_range_requests(server: ArchiveServer) -> None:
    url = server.url_for("omni/low_res_omni/omni2_2010.dat")
    r = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=5)
    assert r.status_code == 206
    assert r.content == OMNI_DATA[10:20]
    assert r.headers["Content-Range"] == "bytes 10-19/5120"
    assert r.headers["Content-Length"] == "10"

    r = requests.get(url, headers={"Range": "bytes=5000-"}, timeout=5)
    assert (r.status_code, r.content) == (206, OMNI_DATA[5000:])
    assert r.headers["Content-Range"] == "bytes 5000-5119/5120"

    r = requests.get(url, headers={"Range": "bytes=-5"}, timeout=5)
    assert (r.status_code, r.content) == (206, OMNI_DATA[-5:])
    assert r.headers["Content-Range"] == "bytes 5115-5119/5120"

    r = requests.get(url, headers={"Range": "bytes=5100-9999"}, timeout=5)
    assert (r.status_code, r.content) == (206, OMNI_DATA[5100:])

    for bad in ("bytes=5120-", "bytes=9000-9999", "bytes=-0"):
        r = requests.get(url, headers={"Range": bad}, timeout=5)
        assert r.status_code == 416, bad
        assert r.headers["Content-Range"] == "bytes */5120"

    # unparsable or multi-range: ignored, full body
    for ignored in ("bytes=abc", "items=0-1", "bytes=5-1", "bytes=0-1,5-6"):
        r = requests.get(url, headers={"Range": ignored}, timeout=5)
        assert (r.status_code, len(r.content)) == (200, 5120), ignored

    etag = requests.head(url, timeout=5).headers["ETag"]
    r = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}, timeout=5)
    assert r.status_code == 206
    r = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'}, timeout=5)
    assert (r.status_code, len(r.content)) == (200, 5120)
    assert server.log[-1].bytes_sent == 5120


# --------------------------------------------------------------------------- folders

_ROW = re.compile(
    r'<tr><td valign="top"><img src="[^"]+" alt="(?P<alt>[^"]+)"></td>'
    r'<td><a href="(?P<href>[^"]+)">(?P<text>[^<]+)</a></td>'
    r'<td align="right">(?P<date>[^<]*)</td><td align="right">(?P<size>[^<]*)</td>'
    r"<td>&nbsp;</td></tr>"
)


def _rows(page: str) -> dict[str, dict[str, str]]:
    return {m["href"]: m.groupdict() for m in _ROW.finditer(page)}


def test_directory_index(server: ArchiveServer) -> None:
    rel = "omni/low_res_omni/"
    server.touch(rel + "omni2_2010.dat", mtime=datetime(2010, 1, 5, 14, 32, tzinfo=UTC))
    r = requests.get(server.url + rel, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    page = r.text
    assert page.startswith('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">')
    assert "<title>Index of /omni/low_res_omni</title>" in page
    assert "<h1>Index of /omni/low_res_omni</h1>" in page
    assert (
        '<tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th>'
        '<th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>'
        '<th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>'
    ) in page
    assert '<a href="/omni/">Parent Directory</a>' in page

    rows = _rows(page)
    assert list(rows) == ["big.cdf", "bundle.tar.gz", "omni2_2010.dat", "small.txt", "sub/"]
    assert rows["omni2_2010.dat"]["date"] == "2010-01-05 14:32  "
    assert rows["omni2_2010.dat"]["size"] == "5.0K"
    assert rows["small.txt"]["size"] == "303 "
    assert rows["big.cdf"]["size"] == "1.2M"
    assert rows["sub/"]["size"] == "  - " and rows["sub/"]["alt"] == "[DIR]"
    assert rows["sub/"]["text"] == "sub/"
    assert ".hidden" not in page
    for rest in rows.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d  ", rest["date"])

    # sort by size, descending
    page = requests.get(server.url + rel + "?C=S;O=D", timeout=5).text
    assert list(_rows(page))[:4] == ["big.cdf", "omni2_2010.dat", "small.txt", "bundle.tar.gz"]
    assert '<a href="?C=S;O=A">Size</a>' in page

    # root: no parent link
    root_page = requests.get(server.url, timeout=5).text
    assert "<title>Index of /</title>" in root_page and "Parent Directory" not in root_page
    assert set(_rows(root_page)) == {"mms1/", "mms2/", "omni/", "themis/"}


def test_index_quotes_plus_and_serves_decoded_path(server: ArchiveServer) -> None:
    folder = SKYMAP.rsplit("/", 1)[0] + "/"
    page = requests.get(server.url + folder, timeout=5).text
    rows = _rows(page)
    assert list(rows) == ["themis_skymap_gako_20110305-%2B_vXX.sav"]
    assert (
        rows["themis_skymap_gako_20110305-%2B_vXX.sav"]["text"]
        == "themis_skymap_gako_20110305-+_vXX.sav"
    )
    for url in (
        server.url + folder + "themis_skymap_gako_20110305-%2B_vXX.sav",
        server.url + folder + "themis_skymap_gako_20110305-+_vXX.sav",
    ):
        r = requests.get(url, timeout=5)
        assert r.status_code == 200 and r.content == _payload(SKYMAP)
    assert server.log[-1].path == "/" + SKYMAP


def test_index_etag_and_conditional(server: ArchiveServer, tree: Path) -> None:
    url = server.url + "omni/low_res_omni/"
    first = requests.get(url, timeout=5)
    etag, lm = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"')
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304 and again.content == b""
    assert requests.get(url, headers={"If-Modified-Since": lm}, timeout=5).status_code == 304

    (tree / "omni/low_res_omni/omni2_2011.dat").write_bytes(b"2011")
    added = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert added.status_code == 200
    assert added.headers["ETag"] != etag
    assert "omni2_2011.dat" in _rows(added.text)

    etag2 = added.headers["ETag"]
    server.touch("omni/low_res_omni/small.txt")  # replaced in place: same names, new mtime
    replaced = requests.get(url, headers={"If-None-Match": etag2}, timeout=5)
    assert replaced.status_code == 200 and replaced.headers["ETag"] != etag2
    assert email.utils.parsedate_to_datetime(replaced.headers["Last-Modified"]) > (
        email.utils.parsedate_to_datetime(lm)
    )
    assert requests.get(url + "?C=M;O=A", timeout=5).headers["ETag"] != replaced.headers["ETag"]


def test_folder_without_slash_redirects(server: ArchiveServer) -> None:
    r = requests.get(server.url + "omni/low_res_omni?C=M;O=A", allow_redirects=False, timeout=5)
    assert r.status_code == 301
    assert r.headers["Location"] == server.url + "omni/low_res_omni/?C=M;O=A"
    assert "Moved Permanently" in r.text
    followed = requests.get(server.url + "omni", timeout=5)
    assert followed.status_code == 200 and followed.url == server.url + "omni/"


def test_missing_paths_404(server: ArchiveServer) -> None:
    r = requests.get(server.url_for("omni/nothing.dat"), timeout=5)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<title>404 Not Found</title>" in r.text
    # a file with a trailing slash is not a folder
    assert requests.get(server.url_for(FGM_BRST) + "/", timeout=5).status_code == 404
    assert requests.post(server.url_for(FGM_BRST), data=b"x", timeout=5).status_code == 405


@pytest.mark.parametrize(
    "raw",
    [
        "/../secret.txt",
        "/omni/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/omni/%2E%2E/%2e%2e/secret.txt",
        "/omni/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "//" + "secret.txt",
        "/%00secret.txt",
    ],
)
def test_path_traversal_refused(server: ArchiveServer, raw: str) -> None:
    status, _headers, body = _raw_get(server, raw)
    assert status in (403, 404)
    assert b"outside the root" not in body


def test_absolute_path_and_symlink_out_refused(server: ArchiveServer, tree: Path) -> None:
    secret = tree.parent / "secret.txt"
    status, _, body = _raw_get(server, "/" + str(secret).lstrip("/"))
    assert status == 404 and b"outside" not in body
    status, _, body = _raw_get(server, "/%2F" + str(secret).lstrip("/"))
    assert status == 404
    (tree / "omni" / "escape.txt").symlink_to(secret)
    (tree / "omni" / "escape_dir").symlink_to(tree.parent, target_is_directory=True)
    (tree / "omni" / "inside.dat").symlink_to(tree / "omni/low_res_omni/omni2_2010.dat")
    assert requests.get(server.url_for("omni/escape.txt"), timeout=5).status_code == 403
    assert requests.get(server.url_for("omni/escape_dir/secret.txt"), timeout=5).status_code == 403
    assert requests.get(server.url_for("omni/inside.dat"), timeout=5).content == OMNI_DATA
    listing = _rows(requests.get(server.url + "omni/", timeout=5).text)
    assert "inside.dat" in listing and "escape.txt" not in listing and "escape_dir/" not in listing


# --------------------------------------------------------------------------- mounted APIs


def _echo(request: ApiRequest) -> ApiResponse:
    return ApiResponse.json(
        {"path": request.path, "query": request.query, "accept": request.header("accept")}
    )


def test_mounted_api_gets_the_rest_of_the_path_and_the_query(tree: Path) -> None:
    with ArchiveServer(tree, apis={"/svc/api/v1": _echo}) as srv:
        assert srv.apis == {"svc/api/v1/": _echo}
        assert srv.api_url("svc/api/v1/") == srv.url + "svc/api/v1/"
        r = requests.get(
            srv.api_url("svc/api/v1") + "file_info/science",
            params={"sc_id": "mms1", "blank": ""},
            headers={"Accept": "application/json"},
            timeout=5,
        )
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
        assert r.json() == {
            "path": "file_info/science",
            "query": {"sc_id": ["mms1"]},
            "accept": "application/json",
        }
        assert requests.get(srv.url + "svc/api/v1", timeout=5).json()["path"] == ""
        entry = srv.log[-1]
        assert entry.path == "/svc/api/v1" and entry.content_type == "application/json"
        # outside the prefix: the archive's files, as before
        assert requests.get(srv.url + "svc/api/v2/x", timeout=5).status_code == 404
        assert requests.get(srv.url_for(FGM_BRST), timeout=5).content == _payload(FGM_BRST)


def test_api_bodies_get_an_etag_and_304(tree: Path) -> None:
    answers = iter([b"one", b"one", b"two"])

    def api(request: ApiRequest) -> ApiResponse:
        return ApiResponse(body=next(answers), content_type="text/plain")

    with ArchiveServer(tree, apis={"api": api}) as srv:
        first = requests.get(srv.api_url("api") + "x", timeout=5)
        etag = first.headers["ETag"]
        same = requests.get(srv.api_url("api") + "x", headers={"If-None-Match": etag}, timeout=5)
        changed = requests.get(srv.api_url("api") + "x", headers={"If-None-Match": etag}, timeout=5)
        assert (first.status_code, same.status_code, changed.status_code) == (200, 304, 200)
        assert same.content == b"" and changed.content == b"two"
        assert [e.bytes_sent for e in srv.log] == [3, 0, 3]


def test_api_files_are_sent_like_the_archives_files(tree: Path) -> None:
    def api(request: ApiRequest) -> ApiResponse:
        if request.path == "get":
            return ApiResponse.send_file(tree / FGM_BRST, {"Content-Disposition": "attachment"})
        if request.path == "boom":
            raise RuntimeError("bug in the API")
        return ApiResponse.json({"error": "no such endpoint"}, 404)

    with ArchiveServer(tree, apis={"api/": api}) as srv:
        direct = requests.get(srv.url_for(FGM_BRST), timeout=5)
        r = requests.get(srv.api_url("api") + "get", timeout=5)
        assert r.content == _payload(FGM_BRST) and r.headers["ETag"] == direct.headers["ETag"]
        assert r.headers["Content-Type"] == "application/x-cdf"
        assert r.headers["Content-Disposition"] == "attachment"
        part = requests.get(srv.api_url("api") + "get", headers={"Range": "bytes=2-5"}, timeout=5)
        assert part.status_code == 206 and part.content == _payload(FGM_BRST)[2:6]
        again = requests.get(
            srv.api_url("api") + "get", headers={"If-None-Match": r.headers["ETag"]}, timeout=5
        )
        assert again.status_code == 304
        missing = requests.get(srv.api_url("api") + "nope", timeout=5)
        assert missing.status_code == 404 and missing.json() == {"error": "no such endpoint"}
        assert "ETag" not in missing.headers  # only 200 bodies are revalidated
        assert requests.get(srv.api_url("api") + "boom", timeout=5).status_code == 500
        assert requests.post(srv.api_url("api") + "get", timeout=5).status_code == 405


def test_the_longest_prefix_wins_and_mounting_works_while_running(server: ArchiveServer) -> None:
    server.mount("a", lambda req: ApiResponse.json("outer"))
    server.mount("a/b/", lambda req: ApiResponse.json("inner"))
    assert requests.get(server.url + "a/x", timeout=5).json() == "outer"
    assert requests.get(server.url + "a/b/x", timeout=5).json() == "inner"
    assert requests.get(server.url + "ab/x", timeout=5).status_code == 404
    with pytest.raises(ValueError, match="must not be empty"):
        server.mount("/", _echo)
    with pytest.raises(KeyError, match="mounted: \\['a/', 'a/b/'\\]"):
        server.api_url("c")


# --------------------------------------------------------------------------- faults


def test_fault_status_fires_times_only(server: ArchiveServer) -> None:
    url = server.url_for(FGM_BRST)
    fault = server.add_fault("*.cdf", "status", times=2, status=503)
    assert server.faults_pending() == 2
    other = requests.get(server.url_for("omni/low_res_omni/small.txt"), timeout=5)
    assert other.status_code == 200  # does not match
    statuses = [requests.get(url, timeout=5).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert fault.fired == 2 and server.faults_pending() == 0

    server.add_fault("/mms1/*", "status", status=500)  # leading slash also matches
    r = requests.get(url, timeout=5)
    assert r.status_code == 500 and "<title>500 Internal Server Error</title>" in r.text
    assert r.headers["Content-Type"].startswith("text/html")


def test_fault_retry_after(server: ArchiveServer) -> None:
    url = server.url_for("omni/low_res_omni/small.txt")
    server.add_fault("*/small.txt", "retry_after", seconds=300)
    r = requests.get(url, params={"sc_id": "mms1"}, timeout=5)
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    assert "Too Many Requests" in r.text

    server.add_fault("*/small.txt", "retry_after", seconds=30, http_date=True, status=503)
    before = time.time()
    r = requests.get(url, timeout=5)
    assert r.status_code == 503
    when = email.utils.parsedate_to_datetime(r.headers["Retry-After"]).timestamp()
    assert before + 28 <= when <= time.time() + 31
    assert requests.get(url, timeout=5).status_code == 200


def test_fault_truncate(server: ArchiveServer) -> None:
    url = server.url_for("omni/low_res_omni/omni2_2010.dat")
    server.add_fault("*omni2_2010.dat", "truncate", fraction=0.25)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=5)
    entry = server.log[-1]
    assert (entry.status, entry.bytes_sent) == (200, 1280)

    server.add_fault("*omni2_2010.dat", "truncate")  # default: half
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/omni/low_res_omni/omni2_2010.dat")
    resp = conn.getresponse()
    assert resp.getheader("Content-Length") == "5120"
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    assert info.value.partial == OMNI_DATA[:2560]
    conn.close()

    assert requests.get(url, timeout=5).content == OMNI_DATA  # fault gone


def test_fault_html_200(server: ArchiveServer) -> None:
    server.add_fault("*.cdf", "html_200")
    r = requests.get(server.url_for(FGM_BRST), timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!DOCTYPE html>") and "unavailable" in r.text
    server.add_fault("*.cdf", "html_200", body="<html><body>Oops</body></html>")
    assert (
        requests.get(server.url_for(FGM_BRST), timeout=5).text == "<html><body>Oops</body></html>"
    )
    assert requests.get(server.url_for(FGM_BRST), timeout=5).content == _payload(FGM_BRST)


def test_fault_slow(server: ArchiveServer) -> None:
    url = server.url_for(FGM_BRST)
    server.add_fault("*.cdf", "slow", delay=0.4)
    start = time.monotonic()
    r = requests.get(url, timeout=5)
    assert time.monotonic() - start >= 0.4
    assert r.content == _payload(FGM_BRST)
    server.add_fault("*.cdf", "slow", delay=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(url, timeout=0.3)
    start = time.monotonic()
    assert requests.get(url, timeout=5).status_code == 200
    assert time.monotonic() - start < 1.0


def test_fault_reset(server: ArchiveServer) -> None:
    url = server.url_for(FGM_BRST)
    server.add_fault("*.cdf", "reset", times=2)
    with requests.Session() as session:
        for _ in range(2):
            with pytest.raises(requests.exceptions.ConnectionError):
                session.get(url, timeout=5)
        assert session.get(url, timeout=5).status_code == 200
    assert [e.status for e in server.log] == [0, 0, 200]
    assert server.log[0].bytes_sent == 0


def test_fault_validation_and_clear(server: ArchiveServer) -> None:
    with pytest.raises(ValueError):
        server.add_fault("*", "explode")
    with pytest.raises(TypeError):
        server.add_fault("*", "slow", seconds=3)
    with pytest.raises(ValueError):
        server.add_fault("*", "status", times=0)
    server.add_fault("*", "status", times=5, status=500)
    server.add_fault("*.cdf", "reset")
    assert server.faults_pending() == 6
    server.clear_faults()
    assert server.faults_pending() == 0
    assert requests.get(server.url_for(FGM_BRST), timeout=5).status_code == 200


def test_faults_are_thread_safe(server: ArchiveServer) -> None:
    server.add_fault("*.cdf", "status", times=10, status=503)
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            code = requests.get(server.url_for(FGM_BRST), timeout=5).status_code
            with lock:
                results.append(code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 30
    assert results.count(503) == 10 and results.count(200) == 20
    assert len(server.log) == 30


# ------------------------------------------------------------------ log, helpers, lifecycle


def test_log_counts_conditional_requests(server: ArchiveServer) -> None:
    url = server.url_for(DIS_00)
    with requests.Session() as session:
        etag = session.get(url, timeout=5).headers["ETag"]
        server.clear_log()
        assert session.get(url, headers={"If-None-Match": etag}, timeout=5).status_code == 304
    log = server.log
    assert len(log) == 1
    entry = log[0]
    assert isinstance(entry, LoggedRequest)
    assert (entry.method, entry.path, entry.status, entry.bytes_sent) == (
        "GET",
        "/" + DIS_00,
        304,
        0,
    )
    assert entry.conditional and entry.query == {}
    assert sum(e.conditional for e in log) == 1 and sum(e.bytes_sent for e in log) == 0


def test_touch(server: ArchiveServer, tree: Path) -> None:
    path = tree / FGM_BRST
    before = path.stat().st_mtime
    assert server.touch(FGM_BRST) == path
    assert path.stat().st_mtime >= before + 1.0
    server.touch(FGM_BRST, mtime=1_000_000_000)
    assert path.stat().st_mtime == 1_000_000_000
    created = server.touch("new/folder/file.txt")
    assert created.is_file() and created.read_bytes() == b""
    with pytest.raises(ValueError):
        server.touch("../outside.txt")


def test_stop_is_prompt_with_requests_in_flight(tree: Path) -> None:
    srv = ArchiveServer(tree).start()
    url = srv.url_for(FGM_BRST)
    idle = requests.Session()
    assert idle.get(url, timeout=5).status_code == 200  # keep-alive connection left open
    srv.add_fault("*.cdf", "slow", delay=30)
    errors: list[BaseException] = []

    def slow_client() -> None:
        try:
            requests.get(url, timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=slow_client)
    client.start()
    time.sleep(0.2)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 2.0
    client.join(5)
    assert not client.is_alive() and len(errors) == 1
    idle.close()
    srv.stop()  # idempotent
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=2)


def test_format_size_like_apache() -> None:
    cases = {
        0: "  0 ",
        303: "303 ",
        972: "972 ",
        973: "1.0K",
        5120: "5.0K",
        524288: "512K",
        1258291: "1.2M",
        10 * 1024**2: " 10M",
        3 * 1024**3: "3.0G",
        None: "  - ",
    }
    assert {k: format_size(k) for k in cases} == cases


def test_command_line(tree: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "helioport.testing.server", str(tree), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert match, line
        r = requests.get(match.group(1) + "omni/low_res_omni/omni2_2010.dat", timeout=5)
        assert r.content == OMNI_DATA
    finally:
        proc.terminate()
        proc.wait(10)
