"""Skymaps: the IDL SAVE writer, the reader's orientation and centres, and choosing the valid file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import scipy.io
from helioport.config import Config
from helioport.errors import CorruptFileError
from helioport.imaging import SkymapTemplate, choose_skymap, find_skymap_files, read_skymap
from helioport.imaging.fixtures import synthetic_skymap, write_skymap_sav
from helioport.imaging.savwriter import write_sav
from helioport.imaging.skymapfile import centres_from_corners, from_product, to_product
from helioport.schema import MissionSpec, Request, SourceSpec
from helioport.transport import Transport
from hypothesis import given, settings
from hypothesis import strategies as st

UTC = dt.timezone.utc
LAT0, LON0 = 62.41, -145.16
TEMPLATE = SkymapTemplate(
    "sky", "{site}/{site}_%Y%m%d/", "themis_skymap_{site}_%Y%m%d-+_v{version}.sav"
)


@pytest.fixture(scope="module")
def sav(tmp_path_factory):
    path = tmp_path_factory.mktemp("sky") / "themis_skymap_gako_20100101-+_v02.sav"
    return write_skymap_sav(path, "gako", LAT0, LON0, dt.datetime(2010, 1, 1, 8), size=64)


def test_written_save_file_reads_back_with_scipy(tmp_path):
    el = np.arange(12, dtype="f4").reshape(3, 4)
    el[0, 0] = np.nan
    rows = np.arange(6, dtype="u2").reshape(2, 3)
    write_sav(
        tmp_path / "x.sav",
        {"s": {"info": {"start": "2011030508"}, "uid": "gako", "el": el, "rows": rows,
               "lat": np.float32(62.41), "n": 5, "b": np.uint8(7), "i": np.int16(-3)},
         "plain": np.arange(3.0)},
    )  # fmt: skip
    out = scipy.io.readsav(str(tmp_path / "x.sav"), python_dict=True)
    s = out["s"][0]
    assert s["INFO"][0]["START"] == b"2011030508" and s["UID"] == b"gako"
    np.testing.assert_array_equal(s["EL"], el)
    np.testing.assert_array_equal(s["ROWS"], rows)
    assert s["LAT"] == np.float32(62.41) and s["N"] == 5 and s["B"] == 7 and s["I"] == -3
    np.testing.assert_array_equal(out["plain"], [0.0, 1.0, 2.0])


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    dtype=st.sampled_from(["f4", "f8", "i2", "i4", "u2", "u1"]),
)
def test_arrays_of_any_shape_and_type_round_trip(tmp_path_factory, shape, dtype):
    arr = (np.arange(np.prod(shape)) % 200).astype(dtype).reshape(shape)
    path = tmp_path_factory.mktemp("rt") / "a.sav"
    write_sav(path, {"a": arr, "wrapped": {"a": arr}})
    out = scipy.io.readsav(str(path), python_dict=True)
    np.testing.assert_array_equal(out["a"], arr)
    np.testing.assert_array_equal(out["wrapped"][0]["A"], arr)
    assert out["a"].dtype.newbyteorder("=") == arr.dtype.newbyteorder("=")


def test_centres_average_corners_across_the_longitude_seam():
    lat = np.array([[60.0, 60.0, 60.0], [61.0, 61.0, 61.0]])
    lon = np.array([[359.0, 1.0, 3.0], [359.0, 1.0, 3.0]])
    clat, clon = centres_from_corners(lat, lon)
    np.testing.assert_allclose(clat, [[60.5, 60.5]])
    np.testing.assert_allclose(clon, [[0.0, 2.0]], atol=1e-9)
    lat[0, 0] = np.nan
    assert np.isnan(centres_from_corners(lat, lon)[0][0, 0])


def test_reader_orients_the_raw_arrays_north_up_east_left(sav):
    sky = read_skymap(sav, mission="themis_asi")
    geo = synthetic_skymap(LAT0, LON0, size=64)
    np.testing.assert_allclose(sky["elevation"].values, geo["elevation"], atol=1e-4)
    el, az = sky["elevation"].values, sky["azimuth"].values
    # zenith near the centre; north (az ~ 0) at high rows; east (az ~ 90) at low columns
    r, c = np.unravel_index(np.nanargmax(el), el.shape)
    assert abs(r - 31.5) <= 1 and abs(c - 31.5) <= 1
    north = np.isfinite(az) & ((az < 5) | (az > 355))
    east = np.isfinite(az) & (np.abs(az - 90) < 5)
    assert np.nonzero(north)[0].min() > 32 and np.nonzero(east)[1].max() < 32
    # pixel centres are the mean of the corners; the site is under the zenith pixel at any altitude
    lat110 = sky["latitude"].sel(altitude=110.0).values
    assert lat110[50, 31] > LAT0 + 1 and lat110[13, 31] < LAT0 - 1  # high rows are north
    lon110 = sky["longitude"].sel(altitude=110.0).values
    assert lon110[31, 10] > LON0 + 1 and lon110[31, 53] < LON0 - 1  # low columns are east
    assert sky.attrs["site_longitude"] == pytest.approx(LON0, abs=1e-4)
    assert sky.attrs["valid_from"] == "2010-01-01T08:00:00" and sky.attrs["site"] == "gako"
    assert list(sky["altitude"].values) == [90.0, 110.0, 150.0]
    assert "flipud" in sky.attrs["raw_transform"] and "north up" in sky.attrs["orientation"]


def test_product_form_round_trips(sav):
    sky = read_skymap(sav, mission="themis_asi")
    prod = to_product(sky)
    assert prod["skymap_elevation"].dims == ("time", "y", "x")
    assert prod["skymap_elevation"]["time"].values[0] == np.datetime64("2010-01-01T08:00", "ns")
    two = to_product(sky, ["2011-01-06T17:00", "2011-01-06T17:59:59"])
    assert two.sizes["time"] == 2
    np.testing.assert_array_equal(from_product(two)["elevation"].values, sky["elevation"].values)
    back = from_product(prod)
    np.testing.assert_array_equal(back["latitude"].values, sky["latitude"].values)
    assert back.attrs["valid_from"] == sky.attrs["valid_from"]


def test_a_file_that_is_not_a_skymap_is_a_corrupt_file_error(tmp_path):
    bad = tmp_path / "themis_skymap_gako_20100101-+_v01.sav"
    bad.write_bytes(b"<html>not found</html>")
    with pytest.raises(CorruptFileError, match="cannot read skymap"):
        read_skymap(bad)


def test_choose_the_newest_skymap_starting_at_or_before_the_time():
    dates = [dt.datetime(y, 9, 1, tzinfo=UTC) for y in (2008, 2010, 2012)]
    assert choose_skymap(dates, dt.datetime(2011, 1, 6, tzinfo=UTC)).year == 2010
    assert choose_skymap(dates, dt.datetime(2012, 9, 1, tzinfo=UTC)).year == 2012
    with pytest.warns(UserWarning, match=r"2007-01-01.*2008-09-01"):
        assert choose_skymap(dates, dt.datetime(2007, 1, 1, tzinfo=UTC)).year == 2008


def test_find_lists_folders_and_versions_over_http(tmp_path, server_for, sav):
    for day, version in (
        ("20080901", "XX"),
        ("20100101", "XX"),
        ("20100101", "02"),
        ("20120901", "02"),
    ):
        folder = tmp_path / "gako" / f"gako_{day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"themis_skymap_gako_{day}-+_v{version}.sav").write_bytes(sav.read_bytes())
    (tmp_path / "gako" / "notes.txt").write_text("not a skymap folder")
    server = server_for(tmp_path)
    spec = MissionSpec(
        name="imgr",
        probes=["gako"],
        sources=[SourceSpec(key="sky", url=server.url, env="HELIOPORT_SKY_URL")],
    )
    ctx = Transport(Config.load(cache_dir=str(tmp_path / "cache"))).context(spec, offline=False)
    req = Request(
        mission="imgr", start="2011-01-06T17:00", end="2011-01-06T18:00", probes=("gako",)
    )
    files = find_skymap_files(TEMPLATE, req, ctx, site="gako")
    assert sorted(f.version for f in files) == ["02", "XX"]
    assert {f.relpath for f in files} == {
        "gako/gako_20100101/themis_skymap_gako_20100101-+_vXX.sav",
        "gako/gako_20100101/themis_skymap_gako_20100101-+_v02.sav",
    }
    assert all("%2B" in f.url for f in files)  # the index writes + as %2B
    assert files[0].start == dt.datetime(2010, 1, 1, tzinfo=UTC)
    assert files[0].end == dt.datetime(2012, 9, 1, tzinfo=UTC)
    assert len({f.key for f in files}) == 1  # the core keeps the newest version: v02
