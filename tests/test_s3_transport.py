"""Object-store mirrors: s3:// sources through fsspec against a real S3 API on 127.0.0.1 (moto).

The same loads from an ``s3://`` mirror and from a folder mirror give the
same data; listings are asked again on every load and files fetched only when
the store's ETag changed; an unreachable or missing store fails clearly, and
the cache stands in when the store goes away.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import socket
import time
from pathlib import Path

import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.config import Config, normalise_base_url
from helioport.errors import ConfigError, DownloadError, OfflineError
from helioport.registry import get_registry
from helioport.schema import RemoteFile
from helioport.transport import Transport
from helioport.transport.stores import filesystem
from helioport_omni.sample import write_hro_month

OMNI = {"products": ["dc_mag"], "mode": "1min"}
OMNI_RANGE = ("2010-01-01", "2010-01-03")
HRO_KEY = "omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf"
MMS = {"products": ["dc_mag"], "probes": ["mms1"], "mode": "srvy"}
MMS_RANGE = ("2015-10-16T00:00", "2015-10-16T02:00")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _same_data(a: xr.Dataset, b: xr.Dataset, *mirrors: str) -> None:
    """``a`` and ``b`` identical: values, coordinates, attributes (but those naming a mirror)."""

    def strip(ds: xr.Dataset) -> xr.Dataset:
        ds = ds.copy()
        for item in [ds, *ds.variables.values()]:
            for k, v in list(item.attrs.items()):
                if any(m in str(v) for m in mirrors):
                    del item.attrs[k]
        return ds

    xr.testing.assert_identical(strip(a), strip(b))


@pytest.fixture
def omni_s3(s3_server, sample_archive) -> tuple[str, Path]:
    """The OMNI sample in the public bucket ``helio-mirror`` under ``omni/``: (URL, folder)."""
    root = sample_archive("omni").root
    s3_server.make_bucket("helio-mirror")
    s3_server.upload_folder(root, "s3://helio-mirror/omni/")
    s3_server.reset_counts()
    return "s3://helio-mirror/omni/", root


def _load_omni(url: str, **kw) -> xr.Dataset:
    return helioport.load("omni", *OMNI_RANGE, base_url=url, **OMNI, **kw)


def _sidecar(cache: Path, relpath: str) -> dict:
    return json.loads((cache / ".meta" / "omni" / (relpath + ".json")).read_text())


# -- the same data as from a folder ------------------------------------------------------
def test_omni_hro_1min_from_s3_equals_the_folder_load(omni_s3, s3_server, tmp_path, monkeypatch):
    url, root = omni_s3
    from_s3 = _load_omni(url)
    assert s3_server.counts["ListObjectsV2"] >= 1 and s3_server.counts["GetObject"] >= 1
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "folder-cache"))
    from_folder = _load_omni(str(root))
    _same_data(from_s3, from_folder, url, str(root))
    assert from_s3["dc_mag"].attrs["versions"] == "01"
    assert from_s3["dc_mag"].shape == (2 * 1440, 3)
    assert np.isfinite(from_s3["dc_mag"].values).mean() > 0.9


def test_mms_fgm_from_s3_equals_the_folder_load(s3_server, sample_archive, tmp_path, monkeypatch):
    root = sample_archive("mms").root
    s3_server.make_bucket("helio-mirror")
    s3_server.upload_folder(root, "s3://helio-mirror/mms/")
    url = "s3://helio-mirror/mms/"
    from_s3 = helioport.load("mms", *MMS_RANGE, base_url={"mms": url}, source="spdf", **MMS)
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "folder-cache"))
    from_folder = helioport.load(
        "mms", *MMS_RANGE, base_url={"mms": str(root)}, source="spdf", **MMS
    )
    _same_data(from_s3, from_folder, url, str(root))
    b = from_s3["dc_mag_mms1"]
    assert b.attrs["versions"] == "4.18.1"  # the newest of the two listed
    assert b.sizes[b.dims[0]] == 2 * 3600 * 16


# -- revalidation and versions -----------------------------------------------------------
def test_a_second_load_lists_again_and_downloads_nothing(omni_s3, s3_server, cache_dir):
    url, _ = omni_s3
    first = _load_omni(url)
    assert s3_server.counts["GetObject"] >= 1
    fetched = _sidecar(cache_dir, HRO_KEY.removeprefix("omni/"))["fetched_at"]
    s3_server.reset_counts()
    again = _load_omni(url)
    xr.testing.assert_identical(first, again)
    assert s3_server.counts["ListObjectsV2"] == 1  # the year folder: the listing revalidates
    assert s3_server.counts["GetObject"] == 0 and s3_server.counts["HeadObject"] == 0
    assert _sidecar(cache_dir, HRO_KEY.removeprefix("omni/"))["fetched_at"] == fetched


def test_a_changed_object_is_fetched_again(omni_s3, s3_server, tmp_path):
    url, _ = omni_s3
    first = _load_omni(url)
    other = write_hro_month(tmp_path / "new", dt.date(2010, 1, 1), "1min", days=3, seed=7)
    s3_server.put(f"s3://helio-mirror/{HRO_KEY}", other.read_bytes())
    s3_server.reset_counts()
    again = _load_omni(url)
    assert s3_server.counts["GetObject"] >= 1
    assert again["dc_mag"].attrs["versions"] == "01"
    assert not np.allclose(first["dc_mag"].values, again["dc_mag"].values, equal_nan=True)
    # the same content uploaded again (a new time, the same ETag): nothing is downloaded
    s3_server.put(f"s3://helio-mirror/{HRO_KEY}", other.read_bytes())
    s3_server.reset_counts()
    xr.testing.assert_identical(_load_omni(url), again)
    assert s3_server.counts["GetObject"] == 0


def test_a_new_version_uploaded_is_picked(omni_s3, s3_server, tmp_path, cache_dir):
    url, _ = omni_s3
    first = _load_omni(url)
    v02 = write_hro_month(
        tmp_path / "v02", dt.date(2010, 1, 1), "1min", days=3, version="02", seed=3
    )
    s3_server.put(f"s3://helio-mirror/{HRO_KEY.replace('_v01', '_v02')}", v02.read_bytes())
    newer = _load_omni(url)
    assert newer["dc_mag"].attrs["versions"] == "02"
    assert newer["dc_mag"].attrs["files"] == v02.name
    assert not np.allclose(first["dc_mag"].values, newer["dc_mag"].values, equal_nan=True)
    cached = sorted(p.name for p in (cache_dir / "omni").rglob("omni_hro_1min_*.cdf"))
    assert cached == [v02.name]  # the replaced version left the cache


# -- offline, failures ---------------------------------------------------------------------
def test_offline_after_a_load_uses_the_cache_without_asking_the_store(omni_s3, s3_server):
    url, _ = omni_s3
    online = _load_omni(url)
    s3_server.reset_counts()
    with pytest.warns(UserWarning, match="offline"):
        offline = _load_omni(url, offline=True)
    for name in online.data_vars:  # the request attributes differ (offline=True)
        xr.testing.assert_identical(online[name], offline[name])
    assert sum(s3_server.counts.values()) == 0


def test_offline_without_a_load_says_nothing_is_cached(omni_s3):
    with pytest.raises(OfflineError, match="offline"):
        _load_omni(omni_s3[0], offline=True)


def test_a_missing_bucket_is_a_one_line_config_error_naming_it(s3_server):
    with pytest.raises(ConfigError) as err:
        _load_omni("s3://no-such-bucket/omni/")
    text = str(err.value)
    assert "\n" not in text
    assert "no-such-bucket" in text and "HELIOPORT_OMNI_URL" in text
    assert "there is no bucket 'no-such-bucket'" in text


def test_a_missing_prefix_in_a_bucket_is_a_config_error_too(omni_s3):
    with pytest.raises(ConfigError, match="nothing is stored under it"):
        _load_omni("s3://helio-mirror/not-omni/")


def test_an_unreachable_endpoint_fails_within_seconds_naming_the_host(omni_s3, monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    helioport.missions()  # plugins imported before the clock starts
    t0 = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        _load_omni(omni_s3[0])
    assert time.perf_counter() - t0 < 10
    text = str(err.value)
    assert f"127.0.0.1:{port}" in text and "refused" in text
    assert "--offline" in text and "AWS_ENDPOINT_URL_S3" in text


def test_an_endpoint_gone_after_a_load_falls_back_on_the_kept_listing(omni_s3, monkeypatch):
    url, _ = omni_s3
    online = _load_omni(url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{_closed_port()}")
    with pytest.warns(UserWarning, match="using the listing of s3://helio-mirror/omni/.* kept"):
        again = _load_omni(url)
    xr.testing.assert_identical(online, again)


# -- credentials ---------------------------------------------------------------------------
def test_a_private_bucket_refuses_anonymous_reads_and_accepts_credentials(
    s3_server, sample_archive, monkeypatch
):
    s3_server.make_bucket("team-bucket", public=False)
    s3_server.upload_folder(sample_archive("omni").root, "s3://team-bucket/omni/")
    with pytest.raises(DownloadError) as err:
        _load_omni("s3://team-bucket/omni/")
    assert "refused access" in str(err.value) and "AWS_ACCESS_KEY_ID" in str(err.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "team-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "team-secret")
    ds = _load_omni("s3://team-bucket/omni/")
    assert ds["dc_mag"].attrs["files"] == "omni_hro_1min_20100101_v01.cdf"
    fs, _ = filesystem("s3://team-bucket/omni/")
    assert fs.anon is False


def test_a_public_bucket_is_read_anonymously(omni_s3):
    fs, path = filesystem(omni_s3[0])
    assert fs.anon is True and path == "helio-mirror/omni"
    assert _load_omni(omni_s3[0])["dc_mag"].size > 0


def test_an_unknown_aws_profile_is_a_config_error(omni_s3, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(ConfigError, match="AWS_PROFILE='no-such-profile'"):
        _load_omni(omni_s3[0])


# -- the context and the transport with s3 URLs (catalog readers, dask workers) ----------------
def _context(offline: bool = False):
    spec = get_registry().mission("omni")
    return Transport(Config.load(offline=offline)).context(spec, offline=offline)


def test_list_dir_gives_the_store_listing_with_etags(omni_s3):
    ctx = _context()
    entries = ctx.list_dir("s3://helio-mirror/omni/omni_cdaweb/hro_1min/2010/")
    assert [e.name for e in entries] == ["omni_hro_1min_20100101_v01.cdf"]
    (e,) = entries
    assert e.url == "s3://helio-mirror/" + HRO_KEY and not e.is_dir
    assert e.size == (omni_s3[1] / HRO_KEY.removeprefix("omni/")).stat().st_size
    assert e.etag and e.etag.startswith('"') and e.mtime.tzinfo is not None
    folders = ctx.list_dir("s3://helio-mirror/omni/omni_cdaweb/")
    assert next((f.name, f.is_dir, f.url) for f in folders) == (
        "hro_1min",
        True,
        "s3://helio-mirror/omni/omni_cdaweb/hro_1min/",
    )


def test_folder_markers_are_not_files_and_a_file_named_like_a_folder_is_kept(s3_server):
    s3_server.make_bucket("marked")
    s3_server.put("s3://marked/omni/2010/", b"")  # a folder marker (consoles create them)
    s3_server.put("s3://marked/omni/2010/a_v01.cdf", b"x" * 10)
    s3_server.put("s3://marked/omni/2010", b"an object named like the folder")
    ctx = _context()
    inside = ctx.list_dir("s3://marked/omni/2010/")
    assert [(e.name, e.is_dir, e.size) for e in inside] == [("a_v01.cdf", False, 10)]
    above = ctx.list_dir("s3://marked/omni/")
    assert [(e.url, e.is_dir, e.size) for e in above] == [
        ("s3://marked/omni/2010", False, 31),
        ("s3://marked/omni/2010/", True, None),
    ]


def test_read_bytes_and_fetch_of_s3_urls(s3_server, cache_dir):
    s3_server.make_bucket("catalogs")
    s3_server.put("s3://catalogs/catalog.json", b'{"version": 1}')
    s3_server.put("s3://catalogs/data/a_v01.txt", b"first")
    ctx = _context()
    assert ctx.read_bytes("s3://catalogs/catalog.json") == b'{"version": 1}'
    assert ctx.get_json("s3://catalogs/catalog.json") == {"version": 1}
    with pytest.raises(DownloadError, match="does not exist"):
        ctx.read_bytes("s3://catalogs/none.json")
    remote = RemoteFile(
        url="s3://catalogs/data/a_v01.txt", relpath="data/a_v01.txt", mission="omni"
    )
    transport = Transport(Config.load())
    (got,) = transport.fetch([remote])
    assert got.action == "downloaded" and got.path.read_bytes() == b"first"
    assert [lf.action for lf in transport.fetch([remote])] == ["revalidated"]
    s3_server.put("s3://catalogs/data/a_v01.txt", b"second")
    (got,) = Transport(Config.load()).fetch([remote])
    assert got.action == "replaced" and got.path.read_bytes() == b"second"
    # offline, the kept copy of a document answers
    assert _context(offline=True).read_bytes("s3://catalogs/catalog.json") == b'{"version": 1}'
    with pytest.raises(OfflineError):
        _context(offline=True).read_bytes("s3://catalogs/other.json")


def test_a_missing_object_fails_finally_naming_it(s3_server):
    s3_server.make_bucket("catalogs")
    remote = RemoteFile(url="s3://catalogs/gone_v01.cdf", relpath="gone_v01.cdf", mission="omni")
    t0 = time.perf_counter()
    with pytest.raises(DownloadError, match="has no object s3://catalogs/gone_v01.cdf"):
        Transport(Config.load()).fetch([remote])
    assert time.perf_counter() - t0 < 5  # not retried


def _replacing_after_first_block(monkeypatch, s3_server, url: str, new: bytes) -> list[int]:
    """Make the first read of ``url`` see the object replaced by ``new`` after its first block."""
    from helioport.transport import stores

    original = stores.read_chunks
    calls: list[int] = []

    def reading(u, **kw):
        calls.append(1)
        for i, block in enumerate(original(u, **kw)):
            yield block
            if i == 0 and len(calls) == 1:
                s3_server.put(url, new)

    monkeypatch.setattr(stores, "read_chunks", reading)
    return calls


def test_an_object_replaced_while_read_is_fetched_again_whole(s3_server, monkeypatch, cache_dir):
    # 20 MiB: several 8 MiB range requests, the object replaced after the first block
    s3_server.make_bucket("big")
    url = "s3://big/a_v01.bin"
    s3_server.put(url, b"A" * (20 * 2**20))
    calls = _replacing_after_first_block(monkeypatch, s3_server, url, b"B" * (20 * 2**20))
    remote = RemoteFile(url=url, relpath="big/a_v01.bin", mission="omni")
    (got,) = Transport(Config.load(backoff=0)).fetch([remote])
    data = got.path.read_bytes()
    assert len(calls) == 2  # the first attempt was refused (If-Match), the second read it all
    assert len(data) == 20 * 2**20 and data.count(b"B") == len(data)


def test_an_object_that_shrinks_while_read_is_retried_not_refused(s3_server, monkeypatch):
    from helioport.transport import stores
    from helioport.transport.retry import Transient

    s3_server.make_bucket("big")
    url = "s3://big/a_v01.bin"
    s3_server.put(url, b"A" * (20 * 2**20))
    info = stores.file_info(url)
    with pytest.raises(Transient, match="changed while it was read"):
        for i, _ in enumerate(stores.read_chunks(url, chunk=2**18, info=info)):
            if i == 0:
                s3_server.put(url, b"B" * (5 * 2**20))
    # without If-Match (another store), a range past the new end is retried too
    s3_server.put(url, b"A" * (20 * 2**20))
    info = stores.file_info(url)
    monkeypatch.setattr(stores, "_pin", lambda fh, url, info: None)
    with pytest.raises(Transient, match="changed while it was read"):
        for i, _ in enumerate(stores.read_chunks(url, chunk=2**18, info=info)):
            if i == 0:
                s3_server.put(url, b"B" * (5 * 2**20))


# -- settings ------------------------------------------------------------------------------
def test_store_urls_are_accepted_as_mirrors():
    assert normalise_base_url("S3://helio-public/omni") == "s3://helio-public/omni/"
    assert normalise_base_url("gs://bucket/x/") == "gs://bucket/x/"
    with pytest.raises(ConfigError, match="names no bucket"):
        normalise_base_url("s3://")
    with pytest.raises(ConfigError, match="scheme 'ftp'"):
        normalise_base_url("ftp://host/omni/")


@pytest.mark.skipif(importlib.util.find_spec("gcsfs") is not None, reason="gcsfs is installed")
def test_a_missing_backend_names_the_extra():
    with pytest.raises(ConfigError, match=r"gs:// needs gcsfs: pip install 'helioport\[gcs\]'"):
        filesystem("gs://bucket/omni/")


def test_the_s3_server_counts_and_empties(s3_server):
    s3_server.make_bucket("scratch")
    s3_server.put("s3://scratch/k", b"x")
    assert s3_server.counts["PutObject"] == 1
    s3_server.reset()
    assert not s3_server.counts
    with pytest.raises(ConfigError, match="bucket 'scratch' does not exist"):
        _context().read_bytes("s3://scratch/k")


def _client_error(code: str, status: int):
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetObject",
    )


def test_store_errors_become_helioport_errors(monkeypatch, tmp_path):
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
    from helioport.transport.retry import Transient
    from helioport.transport.stores import store_error

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    url = "s3://bucket/omni/a_v01.cdf"
    slow = store_error(_client_error("SlowDown", 503), url)
    assert isinstance(slow, Transient) and not slow.unreachable and "SlowDown" in slow.cause
    assert isinstance(store_error(_client_error("InternalError", 500), url), Transient)
    read = store_error(ReadTimeoutError(endpoint_url="http://127.0.0.1:9/bucket"), url)
    assert isinstance(read, Transient) and not read.unreachable
    down = store_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/bucket"), url)
    assert isinstance(down, Transient) and down.unreachable and "127.0.0.1:9" in down.cause
    refused = store_error(_client_error("AccessDenied", 403), url)
    assert isinstance(refused, DownloadError) and not refused.transient
    assert "refused access" in str(refused) and "anonymous" in str(refused)
    missing = store_error(_client_error("NoSuchBucket", 404), url)
    assert isinstance(missing, ConfigError) and "'bucket'" in str(missing)
    other = store_error(ValueError("odd answer"), url)
    assert isinstance(other, DownloadError) and url in str(other)


def _standin(module: str, name: str, *bases: type) -> type:
    """An exception class called ``module.name``, as the backend defines it (not installed here)."""
    return type(name, bases or (Exception,), {"__module__": module})


def test_gcs_and_azure_errors_become_helioport_errors_by_name(monkeypatch):
    import sys
    import types

    from helioport.transport import storeerrors, stores
    from helioport.transport.retry import Transient

    http_error = _standin("gcsfs.retry", "HttpError")
    google_auth = _standin("google.auth.exceptions", "GoogleAuthError")
    google_transport = _standin("google.auth.exceptions", "TransportError", google_auth)
    azure = _standin("azure.core.exceptions", "AzureError")
    azure_http = _standin("azure.core.exceptions", "HttpResponseError", azure)
    azure_auth = _standin("azure.core.exceptions", "ClientAuthenticationError", azure_http)
    azure_missing = _standin("azure.core.exceptions", "ResourceNotFoundError", azure_http)
    azure_request = _standin("azure.core.exceptions", "ServiceRequestError", azure)
    azure_response = _standin("azure.core.exceptions", "ServiceResponseError", azure)

    def gcs(code: int) -> Exception:
        err = http_error(f"HTTP {code}")
        err.code = code
        return err

    def az(cls: type, status: int | None = None, code: str | None = None) -> Exception:
        err = cls(f"azure {status} {code}")
        err.status_code, err.error_code = status, code
        return err

    gs, blob = "gs://bucket/omni/a_v01.cdf", "az://container/omni/a_v01.cdf"
    busy = stores.store_error(gcs(503), gs)
    assert isinstance(busy, Transient) and not busy.unreachable and "503" in busy.cause
    assert isinstance(stores.store_error(gcs(429), gs), Transient)
    refused = stores.store_error(gcs(403), gs)
    assert isinstance(refused, DownloadError) and not refused.transient
    assert "refused access" in str(refused) and "GOOGLE_APPLICATION_CREDENTIALS" in str(refused)
    forbidden = stores.store_error(OSError("Forbidden: bucket/omni/a_v01.cdf"), gs)
    assert "refused access" in str(forbidden)
    signin = stores.store_error(google_auth("could not find default credentials"), gs)
    assert isinstance(signin, ConfigError) and "GOOGLE_APPLICATION_CREDENTIALS" in str(signin)
    assert isinstance(stores.store_error(google_transport("no route"), gs), Transient)
    denied = stores.store_error(az(azure_auth, 403, "AuthorizationFailure"), blob)
    assert isinstance(denied, DownloadError) and not denied.transient
    assert "AZURE_STORAGE_ACCOUNT_KEY" in str(denied)
    no_container = stores.store_error(az(azure_missing, 404, "ContainerNotFound"), blob)
    assert isinstance(no_container, ConfigError) and "'container'" in str(no_container)
    no_blob = stores.store_error(az(azure_missing, 404, "BlobNotFound"), blob)
    assert isinstance(no_blob, DownloadError) and no_blob.missing and blob in str(no_blob)
    throttled = stores.store_error(az(azure_http, 503, "ServerBusy"), blob)
    assert isinstance(throttled, Transient) and "ServerBusy" in throttled.cause
    down = stores.store_error(az(azure_request, None, None), blob)
    assert isinstance(down, Transient) and down.unreachable
    cut = stores.store_error(az(azure_response, None, None), blob)
    assert isinstance(cut, Transient) and not cut.unreachable
    # the transport catches them once their backend is loaded, without importing it
    assert azure not in storeerrors.backend_errors()
    for module, classes in {
        "gcsfs.retry": [http_error],
        "google.auth.exceptions": [google_auth],
        "azure.core.exceptions": [azure],
    }.items():
        fake = types.ModuleType(module)
        for cls in classes:
            setattr(fake, cls.__name__, cls)
        monkeypatch.setitem(sys.modules, module, fake)
    assert {http_error, google_auth, azure} <= set(storeerrors.backend_errors())


def test_gcs_and_azure_filesystems_get_the_timeout(monkeypatch):
    aiohttp = pytest.importorskip("aiohttp")
    from helioport.transport import storefs

    gcs, _ = storefs._options("gcs", 7.0)
    timeout = gcs["requests_timeout"]
    assert isinstance(timeout, aiohttp.ClientTimeout)
    assert (timeout.sock_connect, timeout.sock_read, timeout.total) == (7.0, 7.0, None)
    az, first = storefs._options("az", 7.4)
    assert az == {"connection_timeout": 7, "read_timeout": 7}
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_NAME", "another")
    assert storefs._options("abfs", 7.4)[1] != first  # new settings, new instance
