"""First contact: failing fast and clearly without network, and the cache standing in."""

from __future__ import annotations

import socket
import time
import warnings

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
        (None, "start is missing"),
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
