"""Imager geometry and science on a generated 64x64 fisheye at GAKO: az/el, pixels,
keograms, area intensity, conjunctions and intensity along a footprint."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pymap3d
import pytest
import xarray as xr
from helioport.errors import InvalidRequestError
from helioport.imaging import (
    area_intensity,
    conjunctions,
    intensity_along,
    keogram,
    lla2azel,
    lla2pixel,
    read_skymap,
)
from helioport.imaging.fixtures import ARC, DARK, SKY, arc_frames, write_skymap_sav

LAT0, LON0 = 62.41, -145.16
N = 64


@pytest.fixture(scope="module")
def sky(tmp_path_factory):
    path = tmp_path_factory.mktemp("sky") / "themis_skymap_gako_20100101-+_v02.sav"
    return read_skymap(write_skymap_sav(path, "gako", LAT0, LON0, dt.datetime(2010, 1, 1), size=N))


@pytest.fixture(scope="module")
def images(sky):
    times = np.datetime64("2011-01-06T04:00", "ns") + np.arange(30) * np.timedelta64(60, "s")
    frames = arc_frames(sky["latitude"].sel(altitude=110.0).values, times, start_lat=LAT0 + 2.0)
    return xr.DataArray(frames, dims=("time", "y", "x"), coords={"time": times})


def test_lla2azel_straight_up_and_due_north(sky):
    az, el = lla2azel(sky, LAT0, LON0, 110)
    assert float(el) == pytest.approx(90.0, abs=1e-6)
    az, el = lla2azel(sky, LAT0 + 8.0, LON0, 110)  # ~900 km north at 110 km: near the horizon
    assert min(float(az), 360 - float(az)) < 0.01 and 0 < float(el) < 10
    az, _ = lla2azel(sky, LAT0, LON0 + 3.0, 110)
    assert float(az) == pytest.approx(90.0, abs=2.0)


def test_lla2pixel_finds_the_pixel_looking_at_the_point(sky):
    el_map, az_map = sky["elevation"].values, sky["azimuth"].values
    for az, el in [(0.0, 45.0), (90.0, 30.0), (200.0, 60.0), (300.0, 15.0)]:
        lat, lon, alt = pymap3d.aer2geodetic(az, el, 300e3, LAT0, LON0, 0.0)
        row, col = lla2pixel(sky, lat, lon, alt / 1000)
        assert abs(el_map[row, col] - el) < 3.0
        assert (
            abs((az_map[row, col] - az + 180) % 360 - 180)
            < 360 / (2 * np.pi * (90 - el) / 90 * N / 2) + 1
        )
    row, col = lla2pixel(sky, LAT0 + 2.0, LON0, 110)
    assert row > N // 2 and abs(col - (N - 1) / 2) <= 1  # north of the site: above the centre
    row, col = lla2pixel(sky, LAT0, LON0 + 4.0, 110)
    assert col < N // 2  # east of the site: left
    row, col = lla2pixel(sky, -30.0, 20.0, 110)
    assert (int(row), int(col)) == (-1, -1)


def test_keogram_tracks_the_arc(sky, images):
    keo = keogram(images, sky, alt_km=110, min_elevation=10)
    assert keo.dims == ("time", "latitude") and keo.sizes["time"] == 30
    assert keo.dtype == np.float32 and keo.attrs["units"] == "counts"
    peak = keo["latitude"].values[np.nanargmax(keo.values, axis=1)]
    hours = np.arange(30) / 60
    np.testing.assert_allclose(peak, LAT0 + 2.0 - 1.5 * hours, atol=0.2)
    assert np.nanmax(keo.values) > 0.8 * ARC and np.nanmin(keo.values) >= SKY - 1
    # only points seen above the minimum elevation have values
    finite = np.isfinite(keo.values).all(axis=0)
    assert (keo["elevation"].values[finite] >= 10).all()
    assert np.isnan(keo.values[:, keo["elevation"].values < 10]).all()
    assert np.allclose(keo["longitude"].values, LON0, atol=1e-4)


def test_keogram_is_the_same_from_an_iterator_and_from_dask(sky, images):
    ref = keogram(images, sky)
    chunks = ((images["time"].values[i : i + 7], images.values[i : i + 7]) for i in range(0, 30, 7))
    xr.testing.assert_identical(keogram(chunks, sky), ref)
    xr.testing.assert_identical(keogram(images.chunk({"time": 4}), sky), ref)


def test_keogram_along_a_path_and_its_errors(sky, images):
    path = [(LAT0 + 1.0, LON0 - 2.0), (LAT0, LON0), (LAT0 - 1.0, LON0 + 2.0), (10.0, 10.0)]
    keo = keogram(images, sky, path=path)
    assert keo.sizes["latitude"] == 4 and np.isnan(keo.values[:, 3]).all()
    assert np.isfinite(keo.values[:, :3]).all()
    with pytest.raises(InvalidRequestError, match="90, 110, 150"):
        keogram(images, sky, alt_km=100)
    with pytest.raises(InvalidRequestError, match="lat, lon"):
        keogram(images, sky, path=[1.0, 2.0])


def test_fill_values_become_nan_in_the_keogram(sky, images):
    frames = images.values.copy()
    keo = keogram(images, sky)
    r, c = int(keo["row"].values[32]), int(keo["col"].values[32])
    frames[5, r, c] = 65535
    keo2 = keogram([(images["time"].values, frames)], sky)
    assert np.isnan(keo2.values[5, 32]) and np.isfinite(keo.values[5, 32])


def test_area_intensity_is_the_mean_of_the_box(sky, images):
    series = area_intensity(images, sky, LAT0 + 2.0, LON0, 110, box_km=(40, 40))
    assert series.dims == ("time",) and series.attrs["n_pixels"] >= 1
    assert series.values[0] > 0.8 * ARC  # the arc is there at the first frame
    assert series.values[-1] < series.values[0]  # and has moved away 29 minutes later
    far = area_intensity(images, sky, LAT0 - 2.0, LON0, 110, box_km=(40, 40))
    assert far.values[0] == pytest.approx(SKY, abs=50)
    with pytest.raises(InvalidRequestError, match="outside the field of view"):
        area_intensity(images, sky, 10.0, 10.0, 110)
    assert DARK < SKY


def _track(start: str, lat0: float, lat1: float, n: int = 61) -> pd.DataFrame:
    t = pd.date_range(start, periods=n, freq="30s")
    return pd.DataFrame({"time": t, "lat": np.linspace(lat0, lat1, n), "lon": LON0, "alt": 110.0})


def test_conjunction_of_a_track_crossing_the_field_of_view(sky):
    track = _track("2011-01-06T04:00", LAT0 + 12.0, LAT0 - 12.0)  # 0.4 deg per sample southward
    found = conjunctions(sky, track, min_elevation=20)
    assert len(found) == 1
    _, el = lla2azel(sky, track["lat"], track["lon"], 110)
    inside = np.flatnonzero(el >= 20)
    assert found["start"][0] == track["time"][inside[0]]
    assert found["end"][0] == track["time"][inside[-1]]
    assert found["n_points"][0] == inside.size
    assert found["max_elevation"][0] > 85 and found["closest_time"][0] == track["time"][30]
    assert conjunctions(sky, _track("2011-01-06T04:00", -20.0, -10.0)).empty


def test_intensity_along_the_footprint(sky, images):
    track = _track("2011-01-06T03:59", LAT0 + 2.0, LAT0 + 2.0, n=70).assign(lon=LON0)
    nearest = intensity_along(images, sky, track)
    assert nearest.sizes["time"] == 30 and nearest.values[0] > 0.8 * ARC
    boxed = intensity_along(images, sky, track, box_km=(30, 30))
    assert boxed.values[0] > 0.6 * ARC and boxed.values[-1] < boxed.values[0]
    late = _track("2011-01-06T04:20", LAT0, LAT0, n=5)  # covers 04:20-04:22 only
    part = intensity_along(images, sky, late)
    assert np.isnan(part.values[:20]).all() and np.isfinite(part.values[20:23]).all()
