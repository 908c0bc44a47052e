"""MMS through the LASP SDC API as the test archive server emulates it.

Listing (one ``file_info/science`` query per dataset and range), download
(``download/science?file=``), the SDC's file size checked after download, a
newer version appearing between two loads, 429 with ``Retry-After``, burst
intervals that start before midnight, version pinning, team credentials.
"""

from __future__ import annotations

import json
import logging

import cdflib
import helioport
import numpy as np
import pytest
from helioport.errors import CorruptFileError, DataNotFoundError, DownloadError, InvalidRequestError
from helioport.testing import ArchiveServer
from helioport_mms import fixtures
from helioport_mms.sdc_server import SDC_PREFIX, sdc_server

SRVY = "mms{p}/fgm/srvy/l2/2015/10/mms{p}_fgm_srvy_l2_201510{d}_v{v}.cdf"


@pytest.fixture
def fast_retries(monkeypatch, tmp_path):
    cfg = tmp_path / "fast.toml"
    cfg.write_text("backoff = 0.01\nretries = 3\n")
    monkeypatch.setenv("HELIOPORT_CONFIG", str(cfg))


@pytest.fixture
def archive(tmp_path):
    """FGM survey daily files of mms1 on 2015-10-15..17 and mms2 on 10-16 (10 min of 16 S/s each)."""
    root = tmp_path / "sdc"
    for day in (15, 16, 17):
        fixtures.write_fgm(root, "mms1", "srvy", f"2015-10-{day}", 9600, seed=day)
    fixtures.write_fgm(root, "mms2", "srvy", "2015-10-16", 9600, seed=99)
    return root


@pytest.fixture
def sdc(archive):
    with sdc_server(archive) as srv:
        yield srv


def _b(path, var="mms1_fgm_b_gse_srvy_l2"):
    """The file's B x, y, z: dc_mag_mms1 (|B|, the fourth column, is dc_mag_tot_mms1)."""
    data = cdflib.CDF(path).varget(var)[:, :3].astype(np.float32)
    data[data == np.float32(-1e31)] = np.nan
    return data


def _load(srv, start="2015-10-16T00:00", end="2015-10-17T12:00", **kw):
    kw.setdefault("products", "dc_mag")
    return helioport.load("mms", start, end, base_url={"mms_sdc": srv.api_url(SDC_PREFIX)}, **kw)


def _queries(srv):
    return [e for e in srv.log if e.path.endswith("file_info/science")]


def _downloads(srv):
    return [e for e in srv.log if e.path.endswith("download/science") and e.status == 200]


def test_one_listing_query_then_downloads_of_the_files_overlapping(sdc, archive, cache_dir):
    ds = _load(sdc)
    queries = _queries(sdc)
    assert len(queries) == 1, [q.query for q in queries]
    q = queries[0].query
    assert {k: q[k] for k in ("sc_id", "instrument_id", "data_rate_mode", "data_level")} == {
        "sc_id": "mms1",
        "instrument_id": "fgm",
        "data_rate_mode": "srvy",
        "data_level": "l2",
    }
    assert "descriptor" not in q
    assert (q["start_date"], q["end_date"]) == (
        "2015-10-15",
        "2015-10-17",
    )  # a day before: intervals crossing midnight
    got = sorted(e.query["file"] for e in _downloads(sdc))
    assert got == ["mms1_fgm_srvy_l2_20151016_v4.18.0.cdf", "mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"]
    b = ds["dc_mag_mms1"]
    expected = np.concatenate([_b(archive / SRVY.format(p=1, d=d, v="4.18.0")) for d in (16, 17)])
    np.testing.assert_array_equal(b.values, expected)
    assert (
        b.attrs["files"]
        == "mms1_fgm_srvy_l2_20151016_v4.18.0.cdf, mms1_fgm_srvy_l2_20151017_v4.18.0.cdf"
    )
    # the cache mirrors the SPDF layout
    assert (cache_dir / "mms" / SRVY.format(p=1, d=16, v="4.18.0")).is_file()


def test_four_probes_one_query_each(sdc, archive):
    for p in (3, 4):
        fixtures.write_fgm(archive, f"mms{p}", "srvy", "2015-10-16", 160, seed=p)
    ds = _load(sdc, end="2015-10-16T12:00", probes=["mms1", "2", 3, "mms4"])
    assert sorted(e.query["sc_id"] for e in _queries(sdc)) == ["mms1", "mms2", "mms3", "mms4"]
    for p in (1, 2):
        expected = _b(archive / SRVY.format(p=p, d=16, v="4.18.0"), f"mms{p}_fgm_b_gse_srvy_l2")
        np.testing.assert_array_equal(ds[f"dc_mag_mms{p}"].values, expected)
    assert ds["dc_mag_mms3"].sizes[ds["dc_mag_mms3"].dims[0]] == 160


def test_a_newer_version_on_the_server_replaces_the_cached_one(sdc, archive):
    first = _load(sdc, end="2015-10-16T12:00")
    assert first["dc_mag_mms1"].attrs["versions"] == "4.18.0"
    newer = fixtures.write_fgm(
        archive, "mms1", "srvy", "2015-10-16", 9600, version="4.18.1", seed=7
    )
    second = _load(sdc, end="2015-10-16T12:00")
    assert second["dc_mag_mms1"].attrs["versions"] == "4.18.1"
    assert second["dc_mag_mms1"].attrs["files"] == newer.name
    np.testing.assert_array_equal(second["dc_mag_mms1"].values, _b(newer))
    assert not np.array_equal(first["dc_mag_mms1"].values, second["dc_mag_mms1"].values)
    # one version per logical file, never all of them
    assert [e.query["file"] for e in _downloads(sdc)][-1] == newer.name
    # an older version can still be pinned
    pinned = _load(sdc, end="2015-10-16T12:00", version="4.18.0")
    assert pinned["dc_mag_mms1"].attrs["versions"] == "4.18.0"
    np.testing.assert_array_equal(pinned["dc_mag_mms1"].values, first["dc_mag_mms1"].values)


def test_version_ordering_is_natural_and_minimum_is_honoured(sdc, archive):
    for v in ("4.9.3", "4.10.0", "4.2.11"):
        fixtures.write_fgm(archive, "mms1", "srvy", "2015-10-16", 16, version=v, seed=1)
    assert _load(sdc, end="2015-10-16T12:00")["dc_mag_mms1"].attrs["versions"] == "4.18.0"
    assert (
        _load(sdc, end="2015-10-16T12:00", version="4.9")["dc_mag_mms1"].attrs["versions"]
        == "4.9.3"
    )
    assert (
        _load(sdc, end="2015-10-16T12:00", version="4")["dc_mag_mms1"].attrs["versions"] == "4.18.0"
    )
    with pytest.raises(DataNotFoundError, match="version"):
        _load(sdc, end="2015-10-16T12:00", version=">=5.0")


def test_429_with_retry_after_is_waited_out(sdc, archive, fast_retries):
    sdc.add_fault("*file_info/science", "retry_after", seconds=1)
    sdc.add_fault("*download/science", "retry_after", seconds=1, status=503)
    ds = _load(sdc, end="2015-10-16T12:00")
    statuses = [(e.path.rsplit("/", 2)[-2], e.status) for e in sdc.log]
    assert statuses[:2] == [("file_info", 429), ("file_info", 200)]
    assert ("download", 503) in statuses and statuses[-1] == ("download", 200)
    np.testing.assert_array_equal(
        ds["dc_mag_mms1"].values, _b(archive / SRVY.format(p=1, d=16, v="4.18.0"))
    )


def test_a_long_retry_after_fails_with_a_clear_error(sdc, fast_retries):
    sdc.add_fault("*file_info/science", "retry_after", seconds=99999, times=10)
    with pytest.raises(DownloadError, match="429|Retry-After|retry"):
        _load(sdc, end="2015-10-16T12:00")


def _fake_sdc(tmp_path, archive, size_delta):
    """A static 'SDC' whose file_info reports the file's size plus ``size_delta``."""
    real = archive / SRVY.format(p=1, d=16, v="4.18.0")
    api = tmp_path / "fake" / "api"
    (api / "file_info").mkdir(parents=True)
    (api / "download").mkdir()
    (api / "download" / "science").write_bytes(real.read_bytes())
    (api / "file_info" / "science").write_text(
        json.dumps(
            {
                "files": [
                    {
                        "file_name": real.name,
                        "file_size": real.stat().st_size + size_delta,
                        "timetag": "2015-10-16T00:00:00",
                        "modified_date": "2015-10-20T10:00:00",
                    }
                ]
            }
        )
    )
    return tmp_path / "fake", real


@pytest.mark.parametrize("delta", [0, 300_000])
def test_the_sdc_file_size_is_checked_after_download(tmp_path, archive, fast_retries, delta):
    root, real = _fake_sdc(tmp_path, archive, delta)
    with ArchiveServer(root) as srv:
        kw = {"products": "dc_mag", "base_url": {"mms_sdc": srv.url + "api/"}}
        if delta == 0:
            ds = helioport.load("mms", "2015-10-16T00:00", "2015-10-16T12:00", **kw)
            np.testing.assert_array_equal(ds["dc_mag_mms1"].values, _b(real))
        else:
            with pytest.raises(CorruptFileError, match="size|bytes"):
                helioport.load("mms", "2015-10-16T00:00", "2015-10-16T12:00", **kw)
            cached = list((tmp_path / "cache").rglob("*.cdf"))
            assert cached == [], "a file of the wrong size must not stay in the cache"


@pytest.mark.parametrize("source", ["mms_sdc", "mms"])
def test_burst_intervals_starting_before_midnight_are_found(tmp_path, source):
    root = tmp_path / "sdc"
    # 23:59:50 + 20 s at 128 S/s crosses midnight; the next interval starts at 00:10
    late = fixtures.write_fgm(root, "mms1", "brst", "2015-10-15T23:59:50", 2560, seed=1)
    early = fixtures.write_fgm(root, "mms1", "brst", "2015-10-16T00:10:00", 1280, seed=2)
    fixtures.write_fgm(root, "mms1", "brst", "2015-10-16T08:00:00", 1280, seed=3)
    assert late.parent.name == "15" and early.parent.name == "16"  # burst files live in day folders
    with sdc_server(root) as srv:
        base = {source: srv.api_url(SDC_PREFIX) if source == "mms_sdc" else srv.url}
        ds = helioport.load(
            "mms",
            "2015-10-16T00:00",
            "2015-10-16T01:00",
            products="dc_mag",
            mode="brst",
            base_url=base,
        )
        if source == "mms_sdc":
            got = sorted(e.query["file"] for e in _downloads(srv))
        else:  # the SPDF tree: the day folders of the 15th and the 16th are listed
            listed = [e.path for e in srv.log if e.path.endswith("/")]
            assert listed == ["/mms1/fgm/brst/l2/2015/10/15/", "/mms1/fgm/brst/l2/2015/10/16/"]
            got = sorted(e.path.rsplit("/", 1)[-1] for e in srv.log if e.path.endswith(".cdf"))
    assert got == [late.name, early.name]
    b = ds["dc_mag_mms1"]
    t = b[b.dims[0]].values
    assert t[0] == np.datetime64("2015-10-16T00:00:00") and t.size == 1280 + 1280
    np.testing.assert_array_equal(b.values[:1280], _b(late, "mms1_fgm_b_gse_brst_l2")[1280:])
    np.testing.assert_array_equal(b.values[1280:], _b(early, "mms1_fgm_b_gse_brst_l2"))


def test_team_credentials_are_sent_but_never_logged_nor_cached(sdc, monkeypatch, caplog, cache_dir):
    secret = "s3cr3t-Pa55"
    monkeypatch.setenv("HELIOPORT_MMS_USER", "alice")
    monkeypatch.setenv("HELIOPORT_MMS_PASSWORD", secret)
    with caplog.at_level(logging.DEBUG):
        ds = helioport.load(
            "mms",
            "2015-10-16T00:00",
            "2015-10-16T12:00",
            products="dc_mag",
            base_url={
                "mms_sdc_team": sdc.api_url(SDC_PREFIX),
                "mms_sdc": "https://unused.invalid/",
            },
        )
    assert ds["dc_mag_mms1"].sizes[ds["dc_mag_mms1"].dims[0]] == 9600
    sent = [e for e in sdc.log if e.status == 200]
    assert sent and all((e.header("Authorization") or "").startswith("Basic ") for e in sent)
    assert secret not in caplog.text
    assert all(secret not in str(e.query) for e in sdc.log)
    for f in cache_dir.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f
    # team=True without credentials is a clear error
    monkeypatch.delenv("HELIOPORT_MMS_USER")
    with pytest.raises(InvalidRequestError, match="HELIOPORT_MMS_USER"):
        helioport.load(
            "mms",
            "2015-10-16T00:00",
            "2015-10-16T12:00",
            products="dc_mag",
            team=True,
            base_url={"mms_sdc": sdc.api_url(SDC_PREFIX)},
        )


def test_credentials_from_env_or_keyring_and_hidden_in_repr(monkeypatch):
    from helioport_mms import auth

    assert auth.find_credentials({}) is None
    c = auth.find_credentials({"HELIOPORT_MMS_USER": "bob", "HELIOPORT_MMS_PASSWORD": "pw-123"})
    assert c.as_tuple() == ("bob", "pw-123") and "pw-123" not in repr(c) and "pw-123" not in str(c)
    monkeypatch.setattr(
        auth, "_from_keyring", lambda user: "from-keyring" if user == "bob" else None
    )
    assert auth.find_credentials({"HELIOPORT_MMS_USER": "bob"}).password == "from-keyring"
    from helioport.errors import ConfigError

    with pytest.raises(ConfigError, match="keyring"):
        auth.find_credentials({"HELIOPORT_MMS_USER": "carol"})


def test_offline_uses_the_cached_sdc_answer_and_files(sdc, archive):
    online = _load(sdc, end="2015-10-16T12:00")
    n = len(sdc.log)
    with pytest.warns(
        UserWarning, match=r"offline: mms .*mms1_fgm_srvy_l2_20151016_v4\.18\.0\.cdf"
    ):
        offline = _load(sdc, end="2015-10-16T12:00", offline=True)
    assert len(sdc.log) == n  # not one request
    np.testing.assert_array_equal(offline["dc_mag_mms1"].values, online["dc_mag_mms1"].values)


def test_source_option_and_mirrors_choose_the_archive(sdc, archive, monkeypatch):
    # both configured: the SPDF mirror wins unless source="sdc" is asked
    monkeypatch.setenv("HELIOPORT_MMS_SDC_URL", sdc.api_url(SDC_PREFIX))
    monkeypatch.setenv("HELIOPORT_MMS_URL", sdc.url)
    helioport.load("mms", "2015-10-16T00:00", "2015-10-16T12:00", products="dc_mag")
    assert not _queries(sdc) and any(e.path.endswith("/2015/10/") for e in sdc.log)
    sdc.clear_log()
    helioport.load("mms", "2015-10-16T00:00", "2015-10-16T12:00", products="dc_mag", source="sdc")
    assert len(_queries(sdc)) == 1
    # an SDC mirror that is a local folder is read in the SPDF layout
    monkeypatch.delenv("HELIOPORT_MMS_URL")
    monkeypatch.setenv("HELIOPORT_MMS_SDC_URL", str(archive))
    ds = helioport.load("mms", "2015-10-16T00:00", "2015-10-16T12:00", products="dc_mag")
    np.testing.assert_array_equal(
        ds["dc_mag_mms1"].values, _b(archive / SRVY.format(p=1, d=16, v="4.18.0"))
    )
