"""Imager plots and movies on a synthetic 64x64 all-sky camera.

The skymap follows the convention (row 0 south, column 0 east): azimuth 0
(north) at high rows, azimuth 90 (east) at low columns. A bright spot in the
north-east of the sky sits at a high row and a low column, and must show in
the top-left of the picture and north-east of the site on the map.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg", force=True)

import matplotlib.dates as mdates
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from helioport.errors import InvalidRequestError
from helioport.imaging import movie as movie_mod
from helioport.imaging.movie import frames, movie
from helioport.imaging.plot import fisheye, imager_cmap, keogram_plot, map_plot
from matplotlib.collections import QuadMesh

N = 64
SITE_LAT, SITE_LON = 62.4, -145.2
EARTH_KM = 6371.0
CENTRE = (N - 1) / 2


def make_skymap() -> xr.Dataset:
    rows, cols = np.mgrid[0:N, 0:N].astype(float)
    north, east = rows - CENTRE, CENTRE - cols  # row 0 south, column 0 east
    radius = np.hypot(north, east)
    inside = radius <= N / 2
    elevation = np.where(inside, 90.0 - radius * 90.0 / (N / 2), np.nan)
    azimuth = np.where(inside, np.degrees(np.arctan2(east, north)) % 360.0, np.nan)
    alts = np.array([90.0, 110.0, 150.0])
    el, az = np.deg2rad(elevation), np.deg2rad(azimuth)
    lat, lon = [], []
    for h in alts:  # central angle from the site to where the line of sight crosses h
        psi = np.pi / 2 - el - np.arcsin(EARTH_KM * np.cos(el) / (EARTH_KM + h))
        lat.append(SITE_LAT + np.degrees(psi) * np.cos(az))
        lon.append(SITE_LON + np.degrees(psi) * np.sin(az) / np.cos(np.deg2rad(SITE_LAT)))
    return xr.Dataset(
        {
            "azimuth": (("y", "x"), azimuth),
            "elevation": (("y", "x"), elevation),
            "latitude": (("altitude", "y", "x"), np.array(lat)),
            "longitude": (("altitude", "y", "x"), np.array(lon)),
        },
        coords={"altitude": alts},
        attrs={
            "site": "gako",
            "site_latitude": SITE_LAT,
            "site_longitude": SITE_LON,
            "site_altitude_m": 565.0,
            "mission": "themis",
        },
    )


def spot_pixel(skymap: xr.Dataset, az: float, el: float) -> tuple[int, int]:
    off = np.abs((skymap.azimuth.values - az + 180) % 360 - 180) + np.abs(
        skymap.elevation.values - el
    )
    return np.unravel_index(np.nanargmin(off), off.shape)


def make_images(skymap: xr.Dataset, n: int = 5, tdim: str = "time_asi") -> xr.DataArray:
    """``n`` frames: a sky of 1000 counts with a spot drifting from the north-east."""
    rows, cols = np.mgrid[0:N, 0:N]
    stack = np.empty((n, N, N), dtype=np.uint16)
    for i in range(n):
        row, col = spot_pixel(skymap, 45.0 + 10 * i, 45.0)
        spot = 4000 * np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / 8.0)
        stack[i] = np.where(np.isfinite(skymap.elevation.values), 1000 + spot, 0)
    times = np.datetime64("2008-03-09T09:35:00", "ns") + np.arange(n) * np.timedelta64(3, "s")
    return xr.DataArray(
        stack,
        dims=(tdim, "y", "x"),
        coords={tdim: times},
        attrs={"site": "gako", "units": "counts", "mission": "themis"},
    )


@pytest.fixture
def skymap() -> xr.Dataset:
    return make_skymap()


@pytest.fixture
def images(skymap) -> xr.DataArray:
    return make_images(skymap)


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def test_the_north_east_spot_is_at_a_high_row_and_a_low_column(images):
    row, col = np.unravel_index(np.argmax(images.values[0]), (N, N))
    assert row > CENTRE + 5 and col < CENTRE - 5


def test_fisheye_png_shows_the_north_east_spot_top_left(images, skymap, tmp_path):
    out = tmp_path / "sky.png"
    ax = fisheye(images, skymap, time=0, cmap="gray", path=out)
    png = mpimg.imread(out)
    assert 300 <= png.shape[0] <= 2000 and 300 <= png.shape[1] <= 2000
    # crop the PNG to the image's axes (display y runs up, PNG rows run down)
    x0, y0, x1, y1 = np.round(ax.get_window_extent().extents).astype(int)
    crop = png[png.shape[0] - y1 : png.shape[0] - y0, x0:x1, :3].sum(axis=-1)
    rows, cols = np.nonzero(crop >= 0.98 * crop.max())
    top, left = rows.mean() / crop.shape[0], cols.mean() / crop.shape[1]
    assert top < 0.5 and left < 0.5  # north up, east left
    row, col = spot_pixel(skymap, 45.0, 45.0)
    assert top == pytest.approx(1 - (row + 0.5) / N, abs=0.04)
    assert left == pytest.approx((col + 0.5) / N, abs=0.04)


def test_fisheye_labels_north_at_the_top_and_east_at_the_left(images, skymap):
    ax = fisheye(images, skymap, time=0)
    # each label is anchored at the horizon pixel of its azimuth, its text pushed outwards
    where = {t.get_text(): (t.xy, t.xyann) for t in ax.texts}
    assert set(where) == {"N", "E", "S", "W"}
    (n_at, n_out), (e_at, e_out) = where["N"], where["E"]
    (s_at, s_out), (w_at, w_out) = where["S"], where["W"]
    assert n_at[1] >= N - 2 and abs(n_at[0] - CENTRE) < 2 and n_out[1] > 10  # top, upwards
    assert e_at[0] <= 1 and abs(e_at[1] - CENTRE) < 2 and e_out[0] < -10  # left, leftwards
    assert s_at[1] <= 1 and s_out[1] < -10 and w_at[0] >= N - 2 and w_out[0] > 10
    assert len(ax.collections) >= 4  # elevation rings and azimuth spokes


def test_fisheye_without_skymap_labels_by_the_convention(images):
    ax = fisheye(images.isel(time_asi=0), azel_grid=True)
    where = {t.get_text(): t.get_position() for t in ax.texts}
    assert where["N"][1] > 1 and where["E"][0] < 0 and where["W"][0] > 1


def test_fisheye_picks_frames_and_limits(images, skymap):
    with pytest.raises(InvalidRequestError, match="pass time="):
        fisheye(images, skymap)
    ax = fisheye(images, skymap, time="2008-03-09T09:35:07")  # nearest: the third frame
    assert ax.get_title() == "GAKO 2008-03-09 09:35:06"
    np.testing.assert_array_equal(ax.images[0].get_array(), images.values[2])
    lo, hi = ax.images[0].get_clim()
    assert lo == pytest.approx(1000, abs=1) and 1000 < hi < 5000  # robust, inside the FOV


def test_colour_table_by_mission_and_cmap_wins(images, skymap):
    assert fisheye(images, skymap, time=0).images[0].get_cmap().name == "gray"
    rego = images.assign_attrs(mission="rego")
    red = fisheye(rego, skymap, time=0).images[0].get_cmap()
    assert red.name == "helioport_red"
    assert red(0.0)[:3] == (0.0, 0.0, 0.0) and red(0.7)[0] > red(0.7)[1]
    assert fisheye(rego, skymap, time=0, cmap="viridis").images[0].get_cmap().name == "viridis"
    assert imager_cmap(images.assign_attrs(colour="green")).name == "helioport_green"


def test_map_plot_puts_the_spot_north_east_of_the_site(images, skymap, tmp_path):
    ax = map_plot(images, skymap, time=0, alt_km=110, projection="plain", path=tmp_path / "m.png")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    values = mesh.get_array()
    row, col = np.unravel_index(np.ma.argmax(values), values.shape)
    assert (row, col) == tuple(spot_pixel(skymap, 45.0, 45.0))
    corners = mesh.get_coordinates()  # (y + 1, x + 1, lon/lat) cell edges
    lon, lat = corners[row : row + 2, col : col + 2].reshape(-1, 2).mean(axis=0)
    expected = skymap.sel(altitude=110).isel(y=row, x=col)
    assert lat == pytest.approx(float(expected.latitude), abs=0.05)
    assert lon == pytest.approx(float(expected.longitude), abs=0.1)
    assert lat > SITE_LAT + 0.5 and lon > SITE_LON + 0.5  # north-east of the site
    assert ax.get_xlim()[0] < lon < ax.get_xlim()[1] and ax.get_ylim()[0] < lat < ax.get_ylim()[1]
    low = skymap.elevation.values < 10
    assert (
        np.ma.getmaskarray(values)[low].all()
        and not np.ma.getmaskarray(values)[~low & (skymap.elevation.values >= 10)].any()
    )
    with pytest.raises(InvalidRequestError, match="90, 110, 150 km"):
        map_plot(images, skymap, time=0, alt_km=120, projection="plain")


def test_map_plot_without_cartopy_notes_plain_axes(images, skymap, monkeypatch):
    monkeypatch.setitem(sys.modules, "cartopy", None)
    monkeypatch.setitem(sys.modules, "cartopy.crs", None)
    ax = map_plot(images, skymap, time=0)
    assert "install cartopy" in ax.get_title() and "longitude" in ax.get_xlabel()


@pytest.mark.filterwarnings("ignore::Warning:cartopy")
def test_map_plot_with_cartopy_uses_a_map_projection(images, skymap, tmp_path):
    pytest.importorskip("cartopy", reason="cartopy is optional")
    out = tmp_path / "geo.png"
    ax = map_plot(images, skymap, time=0, path=out)  # offline: drawn without coastlines
    assert hasattr(ax, "coastlines") and "install cartopy" not in ax.get_title()
    assert any(isinstance(c, QuadMesh) for c in ax.collections)
    assert mpimg.imread(out).shape[0] > 300


def test_keogram_plot_time_on_x_latitude_on_y(tmp_path):
    times = np.datetime64("2008-03-09T09:00", "ns") + np.arange(60) * np.timedelta64(3, "s")
    lats = np.linspace(60.0, 66.0, 30)
    data = np.ones((60, 30))
    data[40, 20] = 50.0
    keo = xr.DataArray(
        data,
        dims=("time", "latitude"),
        coords={"time": times, "latitude": lats},
        attrs={"site": "gako", "units": "counts"},
    )
    out = tmp_path / "keo.png"
    ax = keogram_plot(keo, path=out)
    assert out.stat().st_size > 1000
    assert "time" in ax.get_xlabel() and "latitude" in ax.get_ylabel()
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert np.unravel_index(np.ma.argmax(mesh.get_array()), (30, 60)) == (20, 40)
    start, stop = (np.datetime64(d.replace(tzinfo=None)) for d in mdates.num2date(ax.get_xlim()))
    assert start <= times[0] and stop >= times[-1] and stop - start < np.timedelta64(4, "m")
    assert ax.get_ylim()[0] <= 60.0 and ax.get_ylim()[1] >= 66.0


def test_frames_yields_each_time_on_one_reused_figure(images, skymap):
    seen, figures = [], set()
    for when, frame, ax in frames(images, skymap):
        assert len(plt.get_fignums()) == 1
        assert len(ax.lines) == 0  # what the user drew on the last frame is gone
        np.testing.assert_array_equal(ax.images[0].get_array(), frame)
        assert ax.get_title().endswith(str(when)[11:19])
        ax.plot([10, 20], [10, 20], "r-")
        seen.append(when)
        figures.add(id(ax.figure))
    np.testing.assert_array_equal(seen, images.time_asi.values)
    assert len(figures) == 1 and plt.get_fignums() == []


def test_frames_streams_chunks_and_maps(images, skymap):
    def chunks():
        yield images.time_asi.values[:2], images.values[:2]
        yield images.isel(time_asi=slice(2, None))

    seen = [when for when, _, _ in frames(chunks(), skymap, kind="map", projection="plain")]
    np.testing.assert_array_equal(seen, images.time_asi.values)
    with pytest.raises(InvalidRequestError, match="needs the skymap"):
        next(frames(images, kind="map"))


def test_movie_writes_a_gif_with_every_frame(images, skymap, tmp_path):
    from PIL import Image

    out = movie(images, tmp_path / "sky.gif", skymap=skymap, fps=5)
    assert out == tmp_path / "sky.gif" and plt.get_fignums() == []
    with Image.open(out) as gif:
        assert gif.n_frames == images.sizes["time_asi"]
    assert list(tmp_path.iterdir()) == [out]  # no partial file left behind


def test_movie_mp4_becomes_gif_without_ffmpeg(images, skymap, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(movie_mod, "_find_ffmpeg", lambda: None)
    with pytest.warns(UserWarning, match="as a GIF instead of mp4"):
        out = movie(images, tmp_path / "sky.mp4", skymap=skymap)
    assert out.suffix == ".gif"
    with Image.open(out) as gif:
        assert gif.n_frames == 5


def test_movie_writes_an_mp4_with_ffmpeg(images, skymap, tmp_path):
    if movie_mod._find_ffmpeg() is None:
        pytest.skip("imageio-ffmpeg is not installed: mp4 movies are optional")
    import imageio_ffmpeg

    out = movie(images, tmp_path / "sky.mp4", skymap=skymap, fps=10)
    assert out.suffix == ".mp4"
    n_frames, _secs = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert n_frames == images.sizes["time_asi"]


@pytest.mark.parametrize("draw", ["fisheye", "map_plot", "keogram_plot", "movie"])
def test_a_missing_output_folder_is_a_clear_error(draw, images, skymap, tmp_path):
    bad = tmp_path / "missing" / "out.png"
    calls = {
        "fisheye": lambda: fisheye(images, skymap, time=0, path=bad),
        "map_plot": lambda: map_plot(images, skymap, time=0, path=bad),
        "keogram_plot": lambda: keogram_plot(images.isel(x=0), path=bad),
        "movie": lambda: movie(images, bad.with_suffix(".gif"), skymap=skymap),
    }
    with pytest.raises(InvalidRequestError, match="folder .* does not exist"):
        calls[draw]()
    assert not (tmp_path / "missing").exists()
