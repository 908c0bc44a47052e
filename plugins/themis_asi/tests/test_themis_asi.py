"""The THEMIS ASI plugin over a local archive server: generated sample, and the real GAKO files."""

from __future__ import annotations

import shutil
import warnings

import cdflib
import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.errors import OfflineError
from helioport.imaging import iter_frames, keogram, lla2azel, read_skymap, skymap
from helioport.testing import check_plugin
from helioport_themis_asi.sample import SKYMAP_FOLDER

REAL_SKY = "themis_skymap_gako_20110305-+_vXX.sav"
REAL_CDF = "thg_l1_asf_gako_2011010617_v01.cdf"


def test_plugin_conforms(tmp_path):
    report = check_plugin("themis_asi", tmp_path, require_sample=True)
    assert report.ok, str(report)
    assert report.path_checked


@pytest.fixture
def sample(sample_copy, server_for):
    s = sample_copy("themis_asi")
    server = server_for(s.root)
    skymaps = server_for(s.root / SKYMAP_FOLDER)  # another host, as UCalgary is
    return s, skymaps, {"themis_asi": server.url, "themis_asi_skymap": skymaps.url}


def test_frames_load_as_uint16_in_the_convention(sample):
    s, _, urls = sample
    ds = helioport.load(
        "themis_asi", "2011-01-06T04:30", "2011-01-06T05:30", "image", "gako", base_url=urls
    )
    da = ds["image_gako"]
    # pixel axes are the variable's own (<axis>_<variable>): rows (y) then columns (x)
    assert da.dtype == np.uint16 and da.shape[1:] == (256, 256)
    assert da.dims == ("time_image_gako", "y_image_gako", "x_image_gako")
    cdf_files = sorted(s.root.rglob("*.cdf"))
    raw = np.concatenate([cdflib.CDF(str(f)).varget("thg_asf_gako") for f in cdf_files])
    epoch = np.concatenate(
        [
            cdflib.cdfepoch.to_datetime(cdflib.CDF(str(f)).varget("thg_asf_gako_epoch"))
            for f in cdf_files
        ]
    ).astype("datetime64[ns]")
    keep = (epoch >= np.datetime64("2011-01-06T04:30")) & (
        epoch < np.datetime64("2011-01-06T05:30")
    )
    np.testing.assert_array_equal(da.values, raw[keep][:, :, ::-1])
    np.testing.assert_array_equal(da[da.dims[0]].values, epoch[keep])
    assert da.attrs["units"] == "counts" and da.attrs["fill_value"] == 65535
    assert "fliplr" in da.attrs["raw_transform"] and da.attrs["orientation"].startswith(
        "row 0 south"
    )
    assert (
        da.attrs["files"]
        == "thg_l1_asf_gako_2011010604_v01.cdf, thg_l1_asf_gako_2011010605_v01.cdf"
    )


def test_skymap_through_the_lifecycle_cached_and_offline(sample):
    _, server, urls = sample
    sky = skymap("themis_asi", "gako", "2011-01-06T04:00", base_url=urls)
    assert sky["elevation"].dims == ("y", "x") and sky["latitude"].dims == ("altitude", "y", "x")
    assert sky.attrs["file"] == "themis_skymap_gako_20101001-+_vXX.sav"
    assert sky.attrs["valid_from"] == "2010-10-01T00:00:00" and sky.attrs["mission"] == "themis_asi"
    assert (sky.attrs["site_latitude"], sky.attrs["site_longitude"]) == (62.41, -145.16)
    n = len(server.log)
    with pytest.warns(UserWarning, match="offline"):
        again = skymap("themis_asi", "gako", "2011-01-06T04:00", base_url=urls, offline=True)
    assert len(server.log) == n  # nothing asked of the server
    xr.testing.assert_equal(again, sky)
    with pytest.raises(OfflineError):
        skymap("themis_asi", "fykn", "2011-01-06T04:00", base_url=urls, offline=True)


def test_keogram_derivation_equals_the_streamed_keogram(sample):
    _, _, urls = sample
    ds = helioport.load(
        "themis_asi", "2011-01-06T04:00", "2011-01-06T06:00", "keogram", "gako", base_url=urls,
        keogram_alt_km=150,
    )  # fmt: skip
    derived = ds["keogram_gako"]
    sky = skymap("themis_asi", "gako", "2011-01-06T04:00", base_url=urls)
    streamed = keogram(
        iter_frames("themis_asi", "gako", "2011-01-06T04", "2011-01-06T06", base_url=urls),
        sky,
        alt_km=150,
    )
    assert derived.attrs["level"] == "L3" and derived.attrs["alt_km"] == 150
    assert streamed.sizes["time"] == 80
    np.testing.assert_array_equal(derived.values, streamed.values)
    # the generated arc (at 110 km) starts 2.5 deg north of the site and drifts 1.5 deg/hour
    # south; mapped at 150 km the same pixels lie further from the site
    at110 = keogram(
        iter_frames("themis_asi", "gako", "2011-01-06T04", "2011-01-06T06", base_url=urls), sky
    )
    peak = at110["latitude"].values[np.nanargmax(at110.values, axis=1)]
    hours = (at110["time"].values - at110["time"].values[0]) / np.timedelta64(1, "h")
    np.testing.assert_allclose(peak, 62.41 + 2.5 - 1.5 * hours, atol=0.25)
    peak150 = streamed["latitude"].values[np.nanargmax(streamed.values, axis=1)]
    north = peak > 62.41 + 0.5
    assert north.sum() > 20 and (peak150[north] > peak[north]).all()


# --- the real GAKO files -------------------------------------------------------------------


@pytest.fixture
def real_sky(real_file):
    return read_skymap(real_file("themis", REAL_SKY), mission="themis_asi")


def test_real_skymap_values_site_and_orientation(real_sky):
    # raw elevation[29, 161] = 15.458, azimuth 1.6255: flipud puts it at row 255 - 29 = 226
    assert real_sky["elevation"].values[226, 161] == pytest.approx(15.458, abs=1e-3)
    assert real_sky["azimuth"].values[226, 161] == pytest.approx(1.6255, abs=1e-3)
    a = real_sky.attrs
    assert (a["site_latitude"], a["site_longitude"], a["site"]) == (62.41, -145.16, "gako")
    assert a["valid_from"] == "2011-03-05T08:00:00"
    el, az = real_sky["elevation"].values, real_sky["azimuth"].values
    r, c = np.unravel_index(np.nanargmax(el), el.shape)
    assert np.hypot(r - 127.5, c - 127.5) < 10  # zenith near the centre
    north = np.isfinite(az) & ((az < 10) | (az > 350)) & (el < 45)
    east = np.isfinite(az) & (np.abs(az - 90) < 10) & (el < 45)
    south = np.isfinite(az) & (np.abs(az - 180) < 10) & (el < 45)
    assert np.nonzero(north)[0].mean() > 170 and np.nonzero(south)[0].mean() < 85
    assert np.nonzero(east)[1].mean() < 85  # east at low columns
    lat110 = real_sky["latitude"].sel(altitude=110.0).values
    assert np.nanmean(lat110[200:, 120:136]) > 62.41 + 1  # high rows map north of the site
    lon = real_sky["longitude"].values
    assert np.nanmin(lon) >= -180 and np.nanmax(lon) < 180


def _serve_real(real_file, tmp_path, server_for):
    root = tmp_path / "berkeley" / "thg" / "l1" / "asi" / "gako" / "2011" / "01"
    root.mkdir(parents=True)
    shutil.copy(real_file("themis", REAL_CDF), root / REAL_CDF)
    sky_root = tmp_path / "ucalgary" / "gako" / "gako_20110305"
    sky_root.mkdir(parents=True)
    shutil.copy(real_file("themis", REAL_SKY), sky_root / REAL_SKY)
    berkeley, ucalgary = server_for(tmp_path / "berkeley"), server_for(tmp_path / "ucalgary")
    return {"themis_asi": berkeley.url, "themis_asi_skymap": ucalgary.url}


def test_real_frames_over_http_and_their_keogram(real_file, tmp_path, server_for):
    urls = _serve_real(real_file, tmp_path, server_for)
    with pytest.warns(UserWarning, match="cover only 2011-01-06T17:00:00Z/2011-01-06T17:01"):
        ds = helioport.load(  # the real file is the hour cut to its first 23 frames
            "themis_asi", "2011-01-06T17:00", "2011-01-06T18:00", "image", "gako", base_url=urls
        )
    da = ds["image_gako"]
    cdf = cdflib.CDF(str(real_file("themis", REAL_CDF)))
    times = cdflib.cdfepoch.to_datetime(cdf.varget("thg_asf_gako_epoch")).astype("datetime64[ns]")
    assert da.shape == (23, 256, 256) and da.dtype == np.uint16
    np.testing.assert_array_equal(da[da.dims[0]].values, times)
    assert str(times[0]) == "2011-01-06T17:00:00.053000000"
    np.testing.assert_array_equal(da.values, cdf.varget("thg_asf_gako")[:, :, ::-1])
    with pytest.warns(UserWarning, match=r"2011-01-06T17:00:00Z.*2011-03-05T00:00:00Z"):
        sky = skymap("themis_asi", "gako", "2011-01-06T17:00", base_url=urls)
    keo = keogram(da, sky, min_elevation=10)
    assert keo.sizes["time"] == 23
    finite = np.isfinite(keo.values)
    assert finite.any(axis=0).sum() > 100
    assert (keo["elevation"].values[finite.any(axis=0)] >= 10).all()
    assert not finite[:, keo["elevation"].values < 10].any()


def test_real_image_and_skymap_agree_on_the_field_of_view(real_file, real_sky):
    raw = cdflib.CDF(str(real_file("themis", REAL_CDF))).varget("thg_asf_gako").astype(float)
    median = np.median(raw, axis=0)
    lit = median > 2500  # the dark corners outside the lens sit near 2300 counts
    valid = np.isfinite(real_sky["elevation"].values)
    agree = {
        name: (transform(lit) == valid).mean()
        for name, transform in {
            "fliplr": lambda a: a[:, ::-1], "none": lambda a: a,
            "flipud": lambda a: a[::-1], "rot180": lambda a: a[::-1, ::-1],
        }.items()
    }  # fmt: skip
    assert max(agree, key=agree.get) == "fliplr" and agree["fliplr"] > 0.96
    # no dark pixel inside the skymap's field of view after both transforms
    assert (~lit[:, ::-1] & valid).mean() < 0.002


#: bright stars (J2000 RA, Dec in degrees) above GAKO at 2011-01-06 17:00 UT (pre-dawn)
STARS = {
    "Vega": (279.234, 38.784), "Arcturus": (213.915, 19.182), "Deneb": (310.358, 45.280),
    "Polaris": (37.955, 89.264), "Dubhe": (165.932, 61.751), "Alkaid": (206.885, 49.313),
    "Alioth": (193.507, 55.960), "Mizar": (200.981, 54.925), "Merak": (165.460, 56.383),
    "Kochab": (222.676, 74.155),
}  # fmt: skip


def test_real_stars_light_the_pixels_the_skymap_gives_for_them(real_file, real_sky):
    """Independent proof of both transforms: catalogue stars against the image."""
    coords = pytest.importorskip("astropy.coordinates")
    from astropy import units as u
    from astropy.time import Time
    from astropy.utils import iers

    raw = cdflib.CDF(str(real_file("themis", REAL_CDF))).varget("thg_asf_gako").astype(float)
    image = np.median(raw, axis=0)[:, ::-1]  # fliplr: the convention
    site = coords.EarthLocation(lat=62.41 * u.deg, lon=-145.16 * u.deg, height=0 * u.m)
    with iers.conf.set_temp("auto_download", False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = coords.AltAz(obstime=Time("2011-01-06T17:00:30"), location=site)
        ra, dec = np.array(list(STARS.values())).T
        seen = coords.SkyCoord(ra * u.deg, dec * u.deg).transform_to(frame)
    from helioport.imaging.geometry import nearest_pixels

    rows, cols = nearest_pixels(real_sky, seen.az.deg, seen.alt.deg)
    contrast = []
    for r, c in zip(rows, cols):
        peak = image[r - 2 : r + 3, c - 2 : c + 3].max()
        contrast.append(peak - np.median(image[r - 8 : r + 9, c - 8 : c + 9]))
    assert (seen.alt.deg > 30).all() and (rows >= 0).all()
    assert np.median(contrast) > 300 and min(contrast) > 150  # every star is there
    # the other flips of the image put no star there
    for wrong in (np.median(raw, axis=0), np.median(raw, axis=0)[::-1, ::-1]):
        off = [wrong[r - 2 : r + 3, c - 2 : c + 3].max() - np.median(wrong[r - 8 : r + 9, c - 8 : c + 9])
               for r, c in zip(rows, cols)]  # fmt: skip
        assert np.median(off) < 150


def test_real_skymap_geometry_matches_pymap3d(real_sky):
    """lla2azel of the skymap's own mapped pixel centres gives back the pixel's az/el."""
    lat = real_sky["latitude"].sel(altitude=110.0).values
    lon = real_sky["longitude"].sel(altitude=110.0).values
    el = real_sky["elevation"].values
    pick = np.isfinite(lat) & (el > 30)
    az_c, el_c = lla2azel(real_sky, lat[pick], lon[pick], 110.0)
    assert np.median(np.abs(el_c - el[pick])) < 1.0
    d_az = np.abs((az_c - real_sky["azimuth"].values[pick] + 180) % 360 - 180)
    assert np.median(d_az) < 2.0


def test_real_frame_fisheye_and_map_pngs(real_file, real_sky, tmp_path):
    """The real frame drawn both ways: north up and east left, the map around the site."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from helioport.imaging.plot import fisheye, map_plot
    from matplotlib.image import imread

    cdf = cdflib.CDF(str(real_file("themis", REAL_CDF)))
    frame = cdf.varget("thg_asf_gako")[10, :, ::-1]  # the convention: fliplr of the raw frame
    ax = fisheye(frame, real_sky, path=tmp_path / "fisheye.png")
    labels = {t.get_text(): t for t in ax.texts if t.get_text() in ("N", "E", "S", "W")}
    assert set(labels) == {"N", "E", "S", "W"}
    assert labels["E"].xy[0] < labels["W"].xy[0] and labels["N"].xy[1] > labels["S"].xy[1]
    ax = map_plot(frame, real_sky, alt_km=110, projection="plain", path=tmp_path / "map.png")
    lon0, lon1 = ax.get_xlim()
    lat0, lat1 = ax.get_ylim()
    assert lon0 < -145.16 < lon1 and lat0 < 62.41 < lat1  # the site is inside the map
    for name in ("fisheye.png", "map.png"):
        png = imread(tmp_path / name)
        assert png.shape[0] > 300 and png.shape[1] > 300 and png[..., :3].std() > 0.05
