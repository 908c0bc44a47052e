"""First contact: failing fast and clearly without network, and the cache standing in."""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Callable

import helioport
import numpy as np
import pytest
from helioport.errors import DownloadError


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KW = {"products": ["dc_mag"], "mode": "1min"}
RANGE = ("2010-01-01", "2010-01-01T06:00")


def test_a_refused_port_fails_within_seconds_naming_the_host_with_hints():
    url = f"http://127.0.0.1:{_closed_port()}/omni/"
    helioport.missions()  # the plugins are imported before the clock starts
    t0 = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        helioport.load("omni", *RANGE, base_url=url, **KW)
    assert time.perf_counter() - t0 < 3
    text = str(err.value)
    assert "cannot reach 127.0.0.1: it refused the connection" in text
    assert "--offline" in text and "mirror" in text


def test_an_unresolvable_host_fails_at_once():
    helioport.missions()
    t0 = time.perf_counter()
    with pytest.raises(
        DownloadError, match="cannot reach no-such-host.invalid: its name could not"
    ):
        helioport.load("omni", *RANGE, base_url="https://no-such-host.invalid/omni/", **KW)
    assert time.perf_counter() - t0 < 3


def test_when_the_server_is_gone_the_cache_serves_with_a_warning(omni_root, server_for):
    server = server_for(omni_root)
    url = server.url
    first = helioport.load("omni", *RANGE, base_url=url, **KW)
    server.stop()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = helioport.load("omni", *RANGE, base_url=url, **KW)
    assert time.perf_counter() - t0 < 3
    np.testing.assert_array_equal(again["dc_mag"].values, first["dc_mag"].values)
    messages = " ".join(str(w.message) for w in caught)
    assert "cached" in messages and "127.0.0.1" in messages


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("1850-01-01", "outside the years 1900-2100"),
        ("21000-01-01", "cannot parse"),
        (None, "start is missing|give start and end"),
    ],
)
def test_impossible_times_are_refused_before_any_request(start, message):
    import pandas as pd

    with pytest.raises(helioport.InvalidRequestError, match=message):
        helioport.load(
            "omni", start, "2010-01-02", products=["dc_mag"], base_url="http://127.0.0.1:9/"
        )
    with pytest.raises(helioport.InvalidRequestError, match="NaT"):
        helioport.load("omni", pd.NaT, "2010-01-02", products=["dc_mag"])


def test_listed_names_with_control_characters_are_refused():
    from helioport.transport.listing import parse_index

    page = (
        '<pre><a href="a_v01.cdf%0A">a_v01.cdf\n</a> 05-Jan-2010 14:32 1.2M\n'
        '<a href="b_v01.cdf">b_v01.cdf</a> 05-Jan-2010 14:32 1.2M</pre>'
    )
    assert [e.name for e in parse_index(page, "https://x.org/d/")] == ["b_v01.cdf"]


def test_a_range_the_files_cover_only_in_part_warns_and_states_the_covered_span(omni_root):
    with pytest.warns(UserWarning, match=r"cover only 2010-01-01T00:00:00Z/2010-01-04T00:00:00Z"):
        ds = helioport.load(
            "omni",
            "2010-01-01",
            "2010-03-01",
            products=["dc_mag", "mag_elev_angle"],
            base_url=str(omni_root),
        )
    assert ds["dc_mag"].attrs["covered"] == "2010-01-01T00:00:00Z/2010-01-04T00:00:00Z"
    assert ds["mag_elev_angle"].attrs["covered"] == ds["dc_mag"].attrs["covered"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fully covered range says nothing
        full = helioport.load(
            "omni", "2010-01-01", "2010-01-02", products=["dc_mag"], base_url=str(omni_root)
        )
    assert "covered" not in full["dc_mag"].attrs


def test_yaml_alias_bombs_and_long_criteria_are_refused(tmp_path):
    from helioport.events import parse_criteria
    from helioport.intake import from_yaml

    bomb = tmp_path / "bomb.yaml"
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefghijklmn", "bcdefghijklmno"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb.write_text("\n".join(levels) + "\nversion: 2\nentries: {}\n")
    assert bomb.stat().st_size < 1000
    with pytest.raises(helioport.HelioportError, match="126 YAML aliases"):
        from_yaml(bomb)
    with pytest.raises(helioport.CriteriaError, match="at most 2000"):
        parse_criteria(" or ".join(["dc_mag_tot > 1"] * 200))
    assert parse_criteria("dc_mag_tot > 1 or i_dens < 2").required_variables()


def test_a_damaged_listing_database_is_moved_aside_and_rebuilt(omni_root, server_for, cache_dir):
    from helioport.transport.sessions import close_shared_sessions

    server = server_for(omni_root)
    first = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    close_shared_sessions()
    db = cache_dir / "http_cache.sqlite"
    assert db.exists()
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # valid magic, garbage body
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        extra.unlink(missing_ok=True)
    with pytest.warns(UserWarning, match="was damaged .* moved aside and is rebuilt"):
        again = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    np.testing.assert_array_equal(again["dc_mag"].values, first["dc_mag"].values)
    assert list(cache_dir.glob("http_cache.sqlite.damaged-*"))


def test_a_killed_downloads_leftovers_are_removed_by_the_next_fetch(
    omni_root, server_for, cache_dir
):
    server = server_for(omni_root)
    folder = cache_dir / "omni" / "omni_cdaweb" / "hro_1min" / "2010"
    folder.mkdir(parents=True)
    leftover = folder / ".omni_hro_1min_20100101_v01.cdf.part-x1y2z3"
    leftover.write_bytes(b"\xcd\xf3\x00\x01" + b"half a file" * 100)
    other = folder / ".unrelated.part-keep"  # not the file being fetched: left alone
    other.write_bytes(b"x")
    helioport.load("omni", *RANGE, base_url=server.url, **KW)
    assert not leftover.exists() and other.exists()
    assert (folder / "omni_hro_1min_20100101_v01.cdf").is_file()


def test_a_damaged_listing_database_that_cannot_be_moved_is_one_clear_error(tmp_path, monkeypatch):
    from pathlib import Path

    from helioport.errors import ConfigError
    from helioport.transport.sessions import heal_database

    db = tmp_path / "http_cache.sqlite"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)

    def refuse(self, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(
        ConfigError, match="is damaged .* cannot be moved aside .*Permission denied"
    ):
        heal_database(db)


# -- damaged cached files ------------------------------------------------------------------
HRO = "omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf"


def _garble(path, keep: int = 8) -> None:
    """Keep the size and the magic number, replace the rest with noise."""
    data = path.read_bytes()
    noise = np.random.default_rng(7).integers(0, 256, len(data) - keep, dtype=np.uint8)
    path.write_bytes(data[:keep] + noise.tobytes())


def _downloads(server) -> int:
    return sum(1 for r in server.log if r.path.endswith(".cdf") and r.status == 200)


def test_a_damaged_cached_cdf_is_moved_aside_and_fetched_once_more(
    omni_root, server_for, cache_dir
):
    server = server_for(omni_root)
    first = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    cached = cache_dir / HRO
    _garble(cached)
    assert _downloads(server) == 1
    with pytest.warns(UserWarning, match="fails to read .* moved aside and fetched again from 127"):
        again = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    np.testing.assert_array_equal(again["dc_mag"].values, first["dc_mag"].values)
    assert _downloads(server) == 2
    assert (cached.parent / f".{cached.name}.damaged").is_file()  # kept for inspection
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # healed: the next load says nothing
        helioport.load("omni", *RANGE, base_url=server.url, **KW)
    assert _downloads(server) == 2
    info = helioport.transport.Transport(helioport.config.Config.load()).cache_info()
    assert info["missions"]["omni"]["files"] == 1  # the damaged copy is not a cached file


def test_a_truncated_cached_cdf_is_downloaded_again(omni_root, server_for, cache_dir):
    server = server_for(omni_root)
    first = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    cached = cache_dir / HRO
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    again = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    np.testing.assert_array_equal(again["dc_mag"].values, first["dc_mag"].values)
    assert _downloads(server) == 2


def test_a_file_damaged_on_the_server_too_names_file_and_server(omni_root, server_for, cache_dir):
    from helioport.errors import CorruptFileError

    server = server_for(omni_root)
    helioport.load("omni", *RANGE, base_url=server.url, **KW)
    _garble(cache_dir / HRO)
    served = omni_root / HRO.removeprefix("omni/")
    stat = served.stat()
    _garble(served)  # the archive's own copy is bad (and was so from the start: same time)
    os.utime(served, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.warns(UserWarning, match="moved aside"), pytest.raises(CorruptFileError) as err:
        helioport.load("omni", *RANGE, base_url=server.url, **KW)
    text = str(err.value)
    assert "omni_hro_1min_20100101_v01.cdf" in text and f"127.0.0.1:{server.port}" in text
    assert "damaged even as just downloaded" in text and "version=" in text
    assert _downloads(server) == 2  # fetched once more, not in a loop


def test_a_damaged_cached_cdf_offline_says_to_go_online(omni_root, server_for, cache_dir):
    from helioport.errors import CorruptFileError

    server = server_for(omni_root)
    helioport.load("omni", *RANGE, base_url=server.url, **KW)
    _garble(cache_dir / HRO)
    with pytest.warns(UserWarning), pytest.raises(CorruptFileError, match="go online") as err:
        helioport.load("omni", *RANGE, base_url=server.url, offline=True, **KW)
    assert "omni_hro_1min_20100101_v01.cdf" in str(err.value)


@pytest.mark.parametrize("reader", ["pycdfpp", "cdflib"])
@pytest.mark.parametrize(
    "damage",
    ["garbage body", "negative header offset", "half the file", "eight bytes", "missing"],
)
def test_reading_a_damaged_cdf_raises_corrupt_file_error_never_a_bare_one(
    omni_sample, tmp_path, monkeypatch, reader, damage
):
    from helioport import cdf
    from helioport.errors import CorruptFileError

    monkeypatch.setenv("HELIOPORT_CDF_READER", reader)
    good = (omni_sample / HRO.removeprefix("omni/")).read_bytes()
    path = tmp_path / "damaged.cdf"
    if damage == "garbage body":
        path.write_bytes(good)
        _garble(path)
    elif damage == "negative header offset":  # the GDR offset read as a negative number
        path.write_bytes(good[:20] + b"\xff" * 8 + good[28:])
    elif damage == "half the file":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "eight bytes":
        path.write_bytes(good[:8])
    with pytest.raises(CorruptFileError) as err, cdf.reading_session():
        cdf.read_variables(path, ["BX_GSE"])
    assert err.value.path == path and str(path) in str(err.value)
    if damage == "missing":
        assert isinstance(err.value, FileNotFoundError)


# -- a cache that cannot be written, redirect loops ----------------------------------------
def _make_read_only(folder) -> Callable[[], None]:
    """Make ``folder`` read-only (chmod, or for root, which ignores modes, ``chattr +i``);
    returns the undo. Skips the test where neither works."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        return lambda: [p.chmod(m) for p, m in modes.items()]
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "-R", "+i", str(folder)], check=False).returncode:
        pytest.skip("running as root without chattr +i: cannot make a folder read-only")
    return lambda: subprocess.run([chattr, "-R", "-i", str(folder)], check=True)


def test_a_read_only_cache_works_offline_and_is_one_clear_error_online(
    omni_root, server_for, cache_dir
):
    from helioport.errors import ConfigError
    from helioport.transport.sessions import close_shared_sessions

    server = server_for(omni_root)
    first = helioport.load("omni", *RANGE, base_url=server.url, **KW)
    close_shared_sessions()  # as a new process would find it
    undo = _make_read_only(cache_dir)
    try:
        with pytest.warns(UserWarning, match="offline"):
            again = helioport.load("omni", *RANGE, base_url=server.url, offline=True, **KW)
        np.testing.assert_array_equal(again["dc_mag"].values, first["dc_mag"].values)
        with pytest.raises(ConfigError) as err:
            helioport.load("omni", *RANGE, base_url=server.url, **KW)
    finally:
        close_shared_sessions()
        undo()
    text = str(err.value)
    assert f"cannot write in the cache folder {cache_dir}" in text and "\n" not in text
    assert "read-only" in text and "offline" in text


def test_a_file_where_a_sidecar_folder_goes_is_one_clear_error(omni_root, cache_dir):
    from helioport.errors import ConfigError

    (cache_dir / ".meta").mkdir(parents=True)
    (cache_dir / ".meta" / "omni").write_text("not a folder")
    with pytest.raises(ConfigError) as err:
        helioport.load("omni", *RANGE, base_url=str(omni_root), **KW)
    assert f"{cache_dir / '.meta' / 'omni'} is a file where the cache needs a folder" in str(
        err.value
    )


def test_a_listing_that_redirects_in_a_loop_is_one_clear_error(omni_root, server_for, capsys):
    from helioport.cli import main

    server = server_for(omni_root)
    server.add_fault("*/hro_1min/2010/", "redirect_loop", times=1000)
    with pytest.raises(DownloadError, match="redirects in a loop") as err:
        helioport.load("omni", *RANGE, base_url=server.url, **KW)
    assert "hro_1min/2010/" in str(err.value) and "base_url" in str(err.value)
    hops = [r.status for r in server.log if r.path.endswith("/hro_1min/2010/")]
    assert 0 < len(hops) <= 31 and set(hops) == {302}  # requests' limit, no retries on top
    code = main(
        ["load", "omni", *RANGE, "-p", "dc_mag", "--mode", "1min", "--base-url", server.url]
    )
    err_text = capsys.readouterr().err
    assert code == 2 and err_text.count("\n") == 1 and "redirects in a loop" in err_text


# -- ranges of a century -------------------------------------------------------------------
BRST = "mms1/fgm/brst/l2/%Y/%m/%d/mms1_fgm_brst_l2_%Y%m%d_v{version}.cdf"
BRST_DAYS = ["2015/10/16", "2015/10/17", "2016/01/05"]


def _brst_archive(root, days):
    for day in days:
        folder = root / "mms1/fgm/brst/l2" / day
        folder.mkdir(parents=True)
        (folder / f"mms1_fgm_brst_l2_{day.replace('/', '')}_v4.18.0.cdf").write_bytes(b"x")
    return root


def _brst_context(server, **config):
    from helioport.config import Config
    from helioport.schema import MissionSpec, SourceSpec
    from helioport.transport import Transport

    spec = MissionSpec(
        name="brsty", sources=[SourceSpec(key="brsty", url=server.url, env="HELIOPORT_BRSTY_URL")]
    )
    return Transport(Config.load(**config)).context(spec, offline=False)


def test_a_century_of_daily_folders_lists_only_the_folders_that_exist(tmp_path, server_for):
    from helioport.schema import Request
    from helioport.templates import FileTemplate, find_files

    server = server_for(_brst_archive(tmp_path / "archive", BRST_DAYS))
    ctx = _brst_context(server)
    request = Request(mission="brsty", start="1900-01-01", end="2100-01-01")
    t0 = time.perf_counter()
    files = find_files(FileTemplate("brsty", BRST, "day"), request, ctx)
    elapsed = time.perf_counter() - t0
    assert [f.name for f in files] == [
        "mms1_fgm_brst_l2_20151016_v4.18.0.cdf",
        "mms1_fgm_brst_l2_20151017_v4.18.0.cdf",
        "mms1_fgm_brst_l2_20160105_v4.18.0.cdf",
    ]
    asked = [r.path for r in server.log]
    # the year folders' parent, the 2 years, their 2 months, the 3 days: not 73,049 day folders
    assert sorted(asked) == sorted(
        [
            "/mms1/fgm/brst/l2/",
            "/mms1/fgm/brst/l2/2015/",
            "/mms1/fgm/brst/l2/2016/",
            "/mms1/fgm/brst/l2/2015/10/",
            "/mms1/fgm/brst/l2/2016/01/",
            *[f"/mms1/fgm/brst/l2/{d}/" for d in BRST_DAYS],
        ]
    )
    assert elapsed < 30, elapsed
    few = find_files(  # a short range lists its folders directly, as before
        FileTemplate("brsty", BRST, "day"),
        Request(mission="brsty", start="2015-10-16", end="2015-10-18"),
        _brst_context(server),
    )
    assert len(few) == 2
    assert [r.path for r in server.log[len(asked) :]] == [
        "/mms1/fgm/brst/l2/2015/10/16/",
        "/mms1/fgm/brst/l2/2015/10/17/",
    ]


def test_a_century_with_too_many_folders_stops_with_a_clear_message(tmp_path, server_for):
    from helioport.schema import Request
    from helioport.templates import FileTemplate, find_files

    days = [f"2015/10/{d:02d}" for d in range(1, 32)] + [f"2015/11/{d:02d}" for d in range(1, 31)]
    server = server_for(_brst_archive(tmp_path / "archive", days))
    ctx = _brst_context(server, max_files=50)
    request = Request(mission="brsty", start="1900-01-01", end="2100-01-01")
    with pytest.raises(helioport.InvalidRequestError) as err:
        find_files(FileTemplate("brsty", BRST, "day"), request, ctx)
    text = str(err.value)
    assert "needs 61 folder listings" in text and "more than max_files=50" in text
    assert "l2/2015/10/01 to mms1/fgm/brst/l2/2015/11/30" in text and "max_files=61" in text
    assert len(server.log) == 4  # l2/, 2015/, 2015/10/, 2015/11/: it stopped before the days
    # raising the limit goes ahead
    assert len(find_files(FileTemplate("brsty", BRST, "day"), request, _brst_context(server))) == 61


def test_a_load_of_a_century_costs_a_few_requests(omni_root, server_for):
    server = server_for(omni_root)
    with pytest.warns(UserWarning, match="cover only 2010-01-01T00:00:00Z/2010-01-04T00:00:00Z"):
        ds = helioport.load("omni", "1900-01-01", "2100-01-01", base_url=server.url, **KW)
    assert ds["dc_mag"].sizes[ds["dc_mag"].dims[0]] == 3 * 1440
    assert [r.path for r in server.log] == [
        "/omni_cdaweb/hro_1min/",
        "/omni_cdaweb/hro_1min/2010/",
        "/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf",
    ]


def test_more_files_than_max_files_stop_before_any_download(
    sample_copy, server_for, tmp_path, monkeypatch
):
    pytest.importorskip("helioport_toy")
    config = tmp_path / "config.toml"
    config.write_text("max_files = 1\n")
    monkeypatch.setenv("HELIOPORT_CONFIG", str(config))
    server = server_for(sample_copy("toy").root)
    kw = {"products": ["dc_mag"], "probes": ["t1", "t2"], "base_url": server.url}
    with pytest.raises(helioport.InvalidRequestError) as err:
        helioport.load("toy", "2020-01-01", "2020-01-01T02:00", **kw)
    text = str(err.value)
    assert "toy dc_mag between 2020-01-01" in text and "needs 2 files" in text
    assert "more than max_files=1" in text and "max_files=2" in text
    assert not [r for r in server.log if r.path.endswith(".csv")]  # nothing downloaded
    config.write_text("max_files = 2\n")
    ds = helioport.load("toy", "2020-01-01", "2020-01-01T02:00", **kw)
    assert set(ds.data_vars) == {"dc_mag_t1", "dc_mag_t2"}
    # the keyword overrides the config file, both ways
    with pytest.raises(helioport.InvalidRequestError, match="more than max_files=1"):
        helioport.load("toy", "2020-01-01", "2020-01-01T02:00", max_files=1, **kw)
    config.write_text("max_files = 1\n")
    ds = helioport.load("toy", "2020-01-01", "2020-01-01T02:00", max_files=2, **kw)
    assert set(ds.data_vars) == {"dc_mag_t1", "dc_mag_t2"}


def _damaged_pointer(good: bytes, where: str) -> bytes:
    """The sample CDF with one structural field broken, as a bit flip on disk would."""
    import struct

    buf = bytearray(good)
    gdr = struct.unpack_from(">q", buf, 20)[0]
    if where == "variable index":  # the first z-variable's index points at the global record
        vdr = struct.unpack_from(">q", buf, gdr + 20)[0]
        struct.pack_into(">q", buf, vdr + 28, gdr)
    elif where == "attribute entry number":  # an entry for variable 1,000,000
        adr = struct.unpack_from(">q", buf, gdr + 28)[0]
        while not struct.unpack_from(">q", buf, adr + 48)[0]:
            adr = struct.unpack_from(">q", buf, adr + 12)[0]
        aedr = struct.unpack_from(">q", buf, adr + 48)[0]
        struct.pack_into(">i", buf, aedr + 28, 1_000_000)
    return bytes(buf)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("variable index", "the variable index at byte .* has record type 2"),
        ("attribute entry number", "the attribute entry at byte .* has number 1000000"),
    ],
)
def test_a_damaged_pointer_is_refused_before_the_cpp_decoder_sees_it(
    omni_sample, tmp_path, where, message
):
    import subprocess
    import sys

    from helioport.cdfcheck import check_structure
    from helioport.errors import CorruptFileError

    good = (omni_sample / HRO.removeprefix("omni/")).read_bytes()
    check_structure(good, "good.cdf")  # the intact file passes
    bad = _damaged_pointer(good, where)
    with pytest.raises(CorruptFileError, match=message):
        check_structure(bad, "bad.cdf")
    # the whole reading path, in a child process: a decoder crash would kill it
    path = tmp_path / "bad.cdf"
    path.write_bytes(bad)
    code = (
        "import sys\nfrom helioport import cdf\nfrom helioport.errors import CorruptFileError\n"
        "try:\n    cdf.read_variables(sys.argv[1], ['BX_GSE'])\n"
        "except CorruptFileError as e:\n    print('refused:', e)\n"
    )
    env = {**__import__("os").environ, "HELIOPORT_CDF_READER": "pycdfpp"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith(f"refused: {path} is damaged")


def test_a_folder_where_a_sidecar_file_goes_is_one_clear_error(omni_root, cache_dir):
    from helioport.errors import ConfigError

    sidecar = cache_dir / ".meta" / HRO.replace(".cdf", ".cdf.json")
    (sidecar / "stray").mkdir(parents=True)
    with pytest.raises(ConfigError) as err:
        helioport.load("omni", *RANGE, base_url=str(omni_root), **KW)
    assert f"{sidecar} is a folder where the cache needs a file; remove it" in str(err.value)


def test_a_parent_folder_the_server_will_not_list_falls_back_to_each_folder(tmp_path, server_for):
    from helioport.schema import Request
    from helioport.templates import FileTemplate, find_files

    server = server_for(_brst_archive(tmp_path / "archive", BRST_DAYS))
    server.add_fault("*/l2/2015/", "status", status=403)
    request = Request(mission="brsty", start="2015-10-01", end="2015-11-15")
    files = find_files(FileTemplate("brsty", BRST, "day"), request, _brst_context(server))
    assert [f.name for f in files] == [
        "mms1_fgm_brst_l2_20151016_v4.18.0.cdf",
        "mms1_fgm_brst_l2_20151017_v4.18.0.cdf",
    ]
    statuses = [(r.path, r.status) for r in server.log]
    assert statuses[0] == ("/mms1/fgm/brst/l2/2015/", 403)
    assert len(statuses) == 1 + 45  # then each of the 45 day folders, as without pruning


def test_a_parent_folder_answering_404_does_not_hide_folders_that_exist(tmp_path, server_for):
    """An index that 404s (or lists nothing) while its folders exist: nothing is dropped."""
    from helioport.schema import Request
    from helioport.templates import FileTemplate, find_files

    server = server_for(_brst_archive(tmp_path / "archive", BRST_DAYS))
    server.add_fault("*/l2/2015/", "status", status=404)
    request = Request(mission="brsty", start="2015-10-01", end="2015-11-15")
    files = find_files(FileTemplate("brsty", BRST, "day"), request, _brst_context(server))
    assert [f.name for f in files] == [
        "mms1_fgm_brst_l2_20151016_v4.18.0.cdf",
        "mms1_fgm_brst_l2_20151017_v4.18.0.cdf",
    ]
    statuses = [(r.path, r.status) for r in server.log]
    assert statuses[:2] == [("/mms1/fgm/brst/l2/2015/", 404), ("/mms1/fgm/brst/l2/2015/10/", 200)]


def test_offline_pruning_counts_folders_cached_after_the_parents_listing(tmp_path, server_for):
    """A cached year index from before a month was cached must not hide that month offline."""
    import shutil

    from helioport.config import Config
    from helioport.schema import MissionSpec, Request, SourceSpec
    from helioport.templates import FileTemplate, find_files
    from helioport.transport import Transport

    root = _brst_archive(tmp_path / "archive", [*BRST_DAYS, "2015/11/03"])
    for f in (root / "mms1/fgm/brst/l2/2015/11/03").iterdir():  # fetched below: CDF magic
        f.write_bytes(b"\xcd\xf3\x00\x01\x00\x00\xff\xff" + bytes(64))
    moved = tmp_path / "later"
    shutil.move(root / "mms1/fgm/brst/l2/2015/11", moved)  # not published yet
    server = server_for(root)
    spec = MissionSpec(
        name="brsty", sources=[SourceSpec(key="brsty", url=server.url, env="HELIOPORT_BRSTY_URL")]
    )
    transport = Transport(Config.load())
    wide = Request(mission="brsty", start="2015-01-01", end="2015-12-31")
    names = [f.name for f in find_files(FileTemplate("brsty", BRST, "day"), wide,
                                        transport.context(spec, offline=False))]  # fmt: skip
    assert "mms1_fgm_brst_l2_20151016_v4.18.0.cdf" in names
    shutil.move(moved, root / "mms1/fgm/brst/l2/2015/11")  # published, then fetched by a
    narrow = Request(mission="brsty", start="2015-11-01", end="2015-11-05")  # short request
    ctx = transport.context(spec, offline=False)
    got = find_files(FileTemplate("brsty", BRST, "day"), narrow, ctx)
    ctx.fetch(got)
    offline = transport.context(spec, offline=True)
    files = find_files(FileTemplate("brsty", BRST, "day"), wide, offline)
    assert {f.name for f in got} <= {f.name for f in files}


def test_covered_spans_with_one_or_two_samples():
    """One sample gives no cadence (the files' span stands); two give their interval."""
    import datetime as dt
    from types import SimpleNamespace

    from helioport.lifecycle.coverage import covered_spans
    from helioport.schema import RemoteFile

    utc = dt.timezone.utc
    day = dt.datetime(2010, 1, 1, tzinfo=utc)
    req = SimpleNamespace(start=day, end=day + dt.timedelta(days=1))
    f = RemoteFile(url="x", relpath="x", mission="omni", key="x", start=day, end=req.end)
    one = np.array(["2010-01-01T00:00"], dtype="datetime64[ns]")
    assert covered_spans(req, [f], one) == [(req.start, req.end)]
    # two 30 s samples at the start of the day: they cover one minute, not the day
    two = np.array(["2010-01-01T00:00:00", "2010-01-01T00:00:30"], dtype="datetime64[ns]")
    assert covered_spans(req, [f], two) == [(day, day + dt.timedelta(seconds=60))]


def test_warnings_point_at_the_users_line(omni_root, server_for):
    server = server_for(omni_root)
    with pytest.warns(UserWarning, match="cover only") as record:
        helioport.load("omni", "2009-12-30", "2010-01-02", base_url=server.url, **KW)
    assert [w.filename for w in record if "cover only" in str(w.message)] == [__file__]


@pytest.mark.parametrize("folder", ["l2/%Y/%-m/", "l2/%Y/week%U/", "l2/%G/%V/"])
def test_folder_templates_with_codes_of_unknown_span_are_refused(folder):
    """A folder code whose span helioport does not know could skip folders: refused."""
    from helioport.errors import PluginError
    from helioport.templates import _folder_period

    with pytest.raises(PluginError, match="folders can use"):
        _folder_period(folder, "day")
    assert _folder_period("l2/%Y/%m/%%d/", "day") == "month"  # %% is a literal percent
