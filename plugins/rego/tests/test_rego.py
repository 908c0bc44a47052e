"""The REGO plugin over local archive servers, on generated files in the real structures."""

from __future__ import annotations

import datetime as dt
import warnings

import cdflib
import helioport
import matplotlib
import numpy as np
import pandas as pd
import pytest
import scipy.io
from helioport.errors import DataNotFoundError, InvalidRequestError
from helioport.imaging import conjunctions, iter_frames, keogram, skymap
from helioport.testing import check_plugin
from helioport_rego import fixtures, products
from helioport_rego.calibration import dark_levels, parse_name, read_calibration, to_rayleighs
from helioport_rego.sample import FOLDERS, SAMPLE_IMAGER

matplotlib.use("Agg", force=True)

UTC = dt.timezone.utc
T0, T1 = "2021-11-04T03:00", "2021-11-04T05:00"
GILL = products.SITES["gill"]


def test_plugin_conforms(tmp_path):
    report = check_plugin("rego", tmp_path, require_sample=True)
    assert report.ok, str(report)
    assert report.path_checked


def _urls(root, server_for):
    server = server_for(root)
    urls = {"rego": server.url}
    for source, folder in FOLDERS.items():  # UCalgary is another host
        urls[source] = server_for(root / folder).url
    return server, urls


@pytest.fixture
def sample(sample_copy, server_for):
    s = sample_copy("rego")
    server, urls = _urls(s.root, server_for)
    return s, server, urls


def _raw(root, name):
    cdfs = sorted(root.rglob("clg_l1_rgf_gill_*.cdf"))
    return np.concatenate([np.asarray(cdflib.CDF(str(f)).varget(name)) for f in cdfs])


def test_frames_load_as_uint16_512_in_the_convention(sample):
    s, _, urls = sample
    da = helioport.load("rego", "2021-11-04T03:30", "2021-11-04T04:30", "image", "gill",
                        base_url=urls)["image_gill"]  # fmt: skip
    assert da.dtype == np.uint16 and da.shape[1:] == (512, 512)
    raw = _raw(s.root, "clg_rgf_gill")
    epoch = cdflib.cdfepoch.to_datetime(_raw(s.root, "clg_rgf_gill_epoch")).astype("M8[ns]")
    keep = (epoch >= np.datetime64("2021-11-04T03:30")) & (
        epoch < np.datetime64("2021-11-04T04:30")
    )
    assert keep.sum() == 20 == da.shape[0]
    np.testing.assert_array_equal(da.values, raw[keep][:, :, ::-1])  # fliplr, as THEMIS L1
    np.testing.assert_array_equal(da[da.dims[0]].values, epoch[keep])
    a = da.attrs
    assert (a["units"], a["fill_value"], a["mission"], a["colour"]) == (
        "counts",
        65535,
        "rego",
        "red",
    )
    assert "fliplr" in a["raw_transform"] and a["orientation"].startswith("row 0 south")


def test_orientation_the_arc_north_of_the_site_is_at_high_rows(sample):
    """Generated frames and skymap, both written raw, agree in the convention: the arc
    (3 deg north of GILL at 03 UT, at 230 km) lights high rows, where the skymap maps north."""
    _, _, urls = sample
    sky = skymap("rego", "gill", T0, base_url=urls)
    with warnings.catch_warnings():  # two frames, 3 min apart, cover the 6 min asked
        warnings.simplefilter("error")
        ds = helioport.load("rego", T0, "2021-11-04T03:06", "image", "gill", base_url=urls)
    da = ds["image_gill"]
    frame = da.values[0].astype(float)
    lat = sky["latitude"].sel(altitude=230.0).values
    bright = frame > 8000
    assert bright.sum() > 500
    assert np.nanmean(lat[bright]) == pytest.approx(GILL[1] + 3.0, abs=0.3)
    rows, cols = np.nonzero(bright)
    assert rows.mean() > 300 and abs(cols.mean() - 255.5) < 15  # north (high rows), centred E-W
    az, el = sky["azimuth"].values, sky["elevation"].values
    east = np.isfinite(az) & (np.abs(az - 90) < 10) & (el < 45)
    assert np.nonzero(east)[1].mean() < 128  # east at low columns
    assert sky.attrs["default_alt_km"] == 230.0 and sky.attrs["mission"] == "rego"
    assert list(sky["altitude"].values) == [110.0, 230.0, 250.0]
    assert sky["elevation"].shape == (512, 512)


def _hand_rayleighs(root, rper, flat_conv, row, col):
    """Rayleighs at convention pixel (row, col) of every frame, from the raw files by hand."""
    raw = _raw(root, "clg_rgf_gill").astype(float)  # raw orientation: column c is 511 - c
    exposure = _raw(root, "clg_rgf_gill_tend") - _raw(root, "clg_rgf_gill_time")
    # UCalgary's box images[0:5, 0:5] is in the skymaps' array orientation (convention =
    # flipud of it): convention rows -5:, columns :5, which is raw[-5:, -5:] (raw = fliplr)
    dark = np.trunc(raw[:, -5:, -5:].mean(axis=(1, 2)))
    counts = raw[:, row, 511 - col]
    return np.maximum(counts - dark, 0) * flat_conv[row, col] * rper / exposure, dark, exposure


def test_calibration_reproduces_hand_computed_rayleighs(sample):
    s, _, urls = sample
    ds = helioport.load("rego", T0, T1, ["image", "image_rayleighs"], "gill", base_url=urls)
    ray = ds["image_rayleighs_gill"]
    assert ray.dtype == np.float32 and ray.attrs["units"] == "R" and ray.attrs["level"] == "L3"
    cal = s.root / "calibration"
    rper = float(scipy.io.readsav(str(next(cal.glob("REGO_Rayleighs_*.sav"))))[
        f"rper_dnpersecond_{SAMPLE_IMAGER}"])  # fmt: skip
    flat_raw = scipy.io.readsav(str(next(cal.glob("REGO_flatfield_*.sav"))))[
        f"flat_field_multiplier_{SAMPLE_IMAGER}"
    ]
    flat_conv = np.asarray(flat_raw, float)[::-1, :]  # flipud, as the skymaps
    for row, col in [(255, 256), (400, 256), (300, 100), (128, 380)]:
        want, dark, exposure = _hand_rayleighs(s.root, rper, flat_conv, row, col)
        np.testing.assert_allclose(ray.values[:, row, col], want, rtol=2e-6)
    assert (dark == 2300).all()  # the dark corners outside the lens
    np.testing.assert_allclose(exposure, fixtures.EXPOSURE_S, atol=1e-6)
    # a night-sky pixel near the zenith: (3000 - 2300) counts x flat ~1 x 0.6 / 1.9815 s
    sky_pixel = ds["image_gill"].values[0, 255, 256]
    assert sky_pixel == 3000
    assert ray.values[0, 255, 256] == pytest.approx(700 * 0.6 / 1.9815, rel=1e-4)
    a = ray.attrs
    assert a["imager"] == "rego-652" and a["exposure_s"] == pytest.approx(1.9815)
    assert a["calibration_rayleighs_file"] == "REGO_Rayleighs_652_20141001-+_v02.sav"
    assert a["calibration_flatfield_file"] == "REGO_flatfield_652_20141001-+_v02.sav"
    assert "tend" in a["exposure_source"] and "dark" in a["calibration"]
    # calibrate=True on image gives the same values
    again = helioport.load("rego", T0, T1, "image", "gill", base_url=urls, calibrate="yes")
    np.testing.assert_array_equal(again["image_gill"].values, ray.values)
    assert again["image_gill"].attrs["units"] == "R"


def test_calibration_files_in_the_real_structure_are_read(tmp_path):
    start = dt.datetime(2014, 10, 1, tzinfo=UTC)
    path = fixtures.write_rayleighs_sav(tmp_path, "652", start, 0.6)
    content = scipy.io.readsav(str(path))
    assert set(content) == {"rper_dnpersecond_652", "author", "input_data_dir", "skymap_filename"}
    assert content["rper_dnpersecond_652"].dtype == np.float32
    cal = read_calibration(path)
    assert cal.rper_dnpersecond == pytest.approx(0.6) and cal.name.imager == "652"
    flat = np.arange(16, dtype=np.float32).reshape(4, 4)
    fpath = fixtures.write_flatfield_sav(tmp_path, "652", start, flat)
    raw = scipy.io.readsav(str(fpath))["flat_field_multiplier_652"]
    np.testing.assert_array_equal(raw, flat[::-1])  # stored raw like the skymaps' arrays
    np.testing.assert_array_equal(read_calibration(fpath).flat_field, flat)
    # names as UCalgary's calibration folder has them
    n = parse_name("REGO_Rayleighs_15649_20141015-20211018_v01.sav")
    assert n.valid_at(dt.datetime(2021, 10, 18, 23, tzinfo=UTC))
    assert not n.valid_at(dt.datetime(2021, 10, 19, tzinfo=UTC))
    assert parse_name("rego_skymap_gill_20141001-+_v01.sav") is None
    with pytest.raises(
        helioport.errors.CorruptFileError, match="no variable 'rper_dnpersecond_654'"
    ):
        read_calibration(path.rename(tmp_path / "REGO_Rayleighs_654_20141001-+_v02.sav"))


def test_to_rayleighs_steps():
    frames = np.full((2, 8, 8), 1000, dtype=np.uint16)
    # the other corners hold other levels: only the north-east one (rows -5:, columns :5)
    # is UCalgary's images[0:5, 0:5]
    frames[:, :5, :5], frames[:, :5, -5:], frames[:, -5:, -5:] = 400, 500, 600
    frames[:, -5:, :5] = [[[101]], [[300]]]  # dark boxes: 101 and 300
    frames[1, -1, 0] = 65535  # fill in the box: left out of its mean, not 300 -> 2880
    frames[1, 1, 6] = 65535
    frames[0, 2, 5] = 50  # below the dark: clipped at 0
    flat = np.full((8, 8), 2.0)
    out = to_rayleighs(frames, 0.5, np.array([2.0, 4.0]), flat)
    assert dark_levels(frames).tolist() == [101, 300]
    assert out[0, 0, 7] == pytest.approx((500 - 101) * 2 * 0.5 / 2)
    assert out[1, 6, 6] == pytest.approx((600 - 300) * 2 * 0.5 / 4)
    assert out[0, 2, 5] == 0 and np.isnan(out[1, 1, 6])
    # a box of fill only: the frame has no dark level and becomes NaN, never 0 or huge
    frames[1, -5:, :5] = 65535
    assert np.isnan(dark_levels(frames)[1]) and np.isnan(to_rayleighs(frames, 0.5, 2.0)[1]).all()
    # float frames with NaN in the box (already converted): the other box pixels count
    as_float = frames[:1].astype(float)
    as_float[0, -1, 0] = np.nan
    assert dark_levels(as_float).tolist() == [101.0]
    with pytest.raises(InvalidRequestError, match="flat field is"):
        to_rayleighs(frames, 0.5, 2.0, np.ones((4, 4)))
    with pytest.raises(InvalidRequestError, match="positive"):
        to_rayleighs(frames, 0.5, 0.0)


def test_imager_comes_from_the_stream0_day_folder(sample):
    s, _, urls = sample
    # another imager at the site that day: its folder decides which calibration is used
    (s.root / "stream0/2021/11/04/gill_rego-652").rename(
        s.root / "stream0/2021/11/04/gill_rego-654"
    )
    with pytest.raises(DataNotFoundError, match="imager 654 .gill. is valid"):
        helioport.load("rego", T0, T1, "image_rayleighs", "gill", base_url=urls)
    # naming the imager skips the lookup
    ds = helioport.load("rego", T0, T1, "image_rayleighs", "gill", base_url=urls, rego_imager="652")
    assert ds["image_rayleighs_gill"].attrs["imager"] == "rego-652"
    (s.root / "stream0/2021/11/04/gill_rego-654").rename(
        s.root / "stream0/2021/11/04/fsmi_rego-654"
    )
    with pytest.raises(
        DataNotFoundError, match="no REGO imager is recorded for gill on 2021-11-04"
    ):
        helioport.load("rego", T0, T1, "image_rayleighs", "gill", base_url=urls,
                       cache_dir=str(s.root.parent / "other_cache"))  # fmt: skip
    with pytest.raises(InvalidRequestError, match="rego_imager='gill-one' is not an imager"):
        helioport.load(
            "rego", T0, T1, "image_rayleighs", "gill", base_url=urls, rego_imager="gill-one"
        )
    with pytest.raises(InvalidRequestError, match="calibrate='maybe'"):
        helioport.load("rego", T0, T1, "image", "gill", base_url=urls, calibrate="maybe")


def test_a_file_without_exposure_uses_the_nominal_one_and_says_so(sample):
    s, _, urls = sample
    path = s.root / fixtures.rgf_name("gill", dt.datetime(2021, 11, 4, 3, tzinfo=UTC))
    times = np.datetime64("2021-11-04T03:00", "ns") + np.timedelta64(3, "s") * np.arange(4)
    frames = np.full((4, 512, 512), 2300, dtype=np.uint16)
    frames[:, 200:300, 200:300] = 3300
    fixtures.write_rgf_cdf(path, "gill", times, frames, exposure_s=None)
    with pytest.warns(UserWarning, match="nominal REGO 2 s"):
        ds = helioport.load(
            "rego", T0, "2021-11-04T03:00:12", "image_rayleighs", "gill", base_url=urls
        )
    da = ds["image_rayleighs_gill"]
    assert da.attrs["exposure_s"] == 2.0 and "nominal" in da.attrs["exposure_source"]
    centre = 1000 * fixtures.flat_field(512)[250, 250] * 0.6 / 2.0
    assert da.values[0, 250, 250] == pytest.approx(centre, rel=1e-5)


def test_frames_without_a_usable_exposure_alone_use_the_nominal_one(sample):
    s, _, urls = sample
    path = s.root / fixtures.rgf_name("gill", dt.datetime(2021, 11, 4, 3, tzinfo=UTC))
    times = np.datetime64("2021-11-04T03:00", "ns") + np.timedelta64(3, "s") * np.arange(4)
    frames = np.full((4, 512, 512), 2300, dtype=np.uint16)
    frames[:, 200:300, 200:300] = 3300
    fixtures.write_rgf_cdf(path, "gill", times, frames, exposure_s=np.array([1.5, 0.0, 1.5, 1.5]))
    with pytest.warns(UserWarning, match="1 of 4 frames state no usable exposure"):
        ds = helioport.load(
            "rego", T0, "2021-11-04T03:00:12", "image_rayleighs", "gill", base_url=urls
        )
    da = ds["image_rayleighs_gill"]
    flat = 1000 * fixtures.flat_field(512)[250, 250] * 0.6
    np.testing.assert_allclose(
        da.values[:, 250, 250], [flat / 1.5, flat / 2.0, flat / 1.5, flat / 1.5], rtol=1e-5
    )
    assert "1 of 4 frames" in da.attrs["exposure_source"]


def test_keogram_at_230_km_by_default_in_rayleighs_and_plotted_red(sample, tmp_path):
    _, _, urls = sample
    ds = helioport.load("rego", T0, T1, "keogram", "gill", base_url=urls, calibrate=True)
    keo = ds["keogram_gill"]
    assert keo.attrs["alt_km"] == 230.0 and keo.attrs["units"] == "R"
    sky = skymap("rego", "gill", T0, base_url=urls)
    streamed = keogram(iter_frames("rego", "gill", T0, T1, base_url=urls, calibrate=True), sky)
    assert streamed.attrs["alt_km"] == 230.0
    np.testing.assert_array_equal(keo.values, streamed.values)
    # the arc (at 230 km) starts 3 deg north of GILL and drifts 1.5 deg/hour south
    peak = streamed["latitude"].values[np.nanargmax(streamed.values, axis=1)]
    hours = (streamed["time"].values - streamed["time"].values[0]) / np.timedelta64(1, "h")
    np.testing.assert_allclose(peak, GILL[1] + 3.0 - 1.5 * hours, atol=0.25)
    at110 = keogram(iter_frames("rego", "gill", T0, T1, base_url=urls), sky, alt_km=110)
    lat110 = at110["latitude"].values[np.nanargmax(at110.values, axis=1)]
    north = peak > GILL[1] + 0.5
    assert north.sum() > 15 and (lat110[north] < peak[north]).all()  # mapped lower: closer in
    from helioport.imaging.plot import fisheye, imager_cmap, keogram_plot, map_plot

    ax = keogram_plot(keo, path=tmp_path / "keo.png")
    assert ax.collections[0].get_cmap().name == "helioport_red"
    images = helioport.load("rego", T0, T1, "image", "gill", base_url=urls)["image_gill"]
    assert imager_cmap(images).name == "helioport_red"
    ax = fisheye(images, sky, time=0, path=tmp_path / "fisheye.png")
    labels = {t.get_text(): t for t in ax.texts if t.get_text() in ("N", "E", "S", "W")}
    assert labels["E"].xy[0] < labels["W"].xy[0] and labels["N"].xy[1] > labels["S"].xy[1]
    ax = map_plot(images, sky, time=0, projection="plain", path=tmp_path / "map.png")
    assert "at 230 km" in ax.get_title()
    lon0, lon1 = ax.get_xlim()
    assert lon0 < GILL[2] < lon1
    from matplotlib.image import imread

    png = imread(tmp_path / "keo.png")
    red = png[..., 0].mean() - png[..., 2].mean()
    assert png.shape[0] > 200 and red > 0.01  # a red keogram


def test_movie_and_conjunction_use_the_red_line_altitude(sample, tmp_path):
    from helioport.imaging.movie import movie

    _, _, urls = sample
    sky = skymap("rego", "gill", T0, base_url=urls)
    images = helioport.load("rego", T0, "2021-11-04T03:10", "image", "gill", base_url=urls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mp4 -> gif when ffmpeg is missing
        out = movie(images["image_gill"], tmp_path / "rego.gif", skymap=sky, fps=4)
    assert out.stat().st_size > 10_000
    # a footprint crossing the zenith north to south at 230 km (no alt column)
    times = pd.date_range("2021-11-04T03:00", periods=41, freq="30s")
    track = pd.DataFrame({"lat": np.linspace(GILL[1] + 10, GILL[1] - 10, 41),
                          "lon": np.full(41, GILL[2])}, index=times)  # fmt: skip
    found = conjunctions(sky, track, min_elevation=20)
    assert len(found) == 1 and found["max_elevation"].iloc[0] > 80
    assert found["closest_time"].iloc[0] == times[20]
    # at 110 km the same ground track leaves the 20 deg cone sooner: fewer points inside
    low = conjunctions(sky, track, min_elevation=20, alt_km=110)
    assert low["n_points"].iloc[0] < found["n_points"].iloc[0]


def test_generated_rego_skymap_has_the_real_skymap_structure_at_512(sample, real_file):
    """readsav reads the generated REGO skymap like the real THEMIS one (same nesting, field
    names and types), its image arrays 512x512 and corner maps 3x513x513."""
    s, _, _ = sample
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scipy on the real file's structures
        real = scipy.io.readsav(str(real_file("themis", "themis_skymap_gako_20110305-+_vXX.sav")))
        gen = scipy.io.readsav(str(next((s.root / "skymap").rglob("rego_skymap_gill_*.sav"))))

    def layout(rec, scale=1):
        out = []
        for name in rec.dtype.names:
            v = rec[name][0]
            if isinstance(v, np.recarray):
                out.append((name, "struct", layout(v, scale)))
            elif isinstance(v, np.ndarray):
                shape = tuple(d * 2 - 1 if d == 257 else d * 2 if d == 256 else d for d in v.shape)
                out.append((name, v.dtype.str, shape if scale == 2 else v.shape))
            else:
                out.append((name, type(v).__name__))
        return out

    assert layout(gen["skymap"]) == layout(real["skymap"], scale=2)
    sky = gen["skymap"][0]
    assert sky["FULL_MAP_LATITUDE"].shape == (3, 513, 513) and sky["PROJECT_UID"] == b"rego"
    np.testing.assert_array_equal(sky["FULL_MAP_ALTITUDE"], [110000.0, 230000.0, 250000.0])


def test_area_intensity_defaults_to_the_red_line_altitude(sample):
    from helioport.imaging import area_intensity

    _, _, urls = sample
    sky = skymap("rego", "gill", T0, base_url=urls)
    ray = helioport.load("rego", T0, "2021-11-04T03:10", "image_rayleighs", "gill", base_url=urls)
    series = area_intensity(ray["image_rayleighs_gill"], sky, GILL[1] + 3.0, GILL[2])
    assert series.attrs["alt_km"] == 230.0 and series.attrs["units"] == "R"
    # the arc sits 3 deg north at 230 km at 03:00: its peak (9000 counts) fills the box
    peak = (9000 - 2300) * 0.6 / fixtures.EXPOSURE_S
    assert float(series.values[0]) > 0.6 * peak
    quiet = area_intensity(ray["image_rayleighs_gill"], sky, GILL[1] - 3.0, GILL[2])
    assert float(quiet.values[0]) < 0.2 * peak  # the night sky south of the site


def test_exposure_is_read_as_the_real_l1_cdfs_record_it(real_file):
    """The Berkeley ground L1 CDFs record the end of integration per frame (``_tend``): on the
    real THEMIS GAKO file (the same pipeline as REGO's) the exposure read is ~0.98 s."""
    from helioport.schema import Request
    from helioport_rego.loading import exposures

    path = real_file("themis", "thg_l1_asf_gako_2011010617_v01.cdf")
    request = Request(
        mission="rego",
        start=dt.datetime(2011, 1, 6, 17, tzinfo=UTC),
        end=dt.datetime(2011, 1, 6, 18, tzinfo=UTC),
    )
    exposure, source = exposures([path], "thg_asf_gako", request, 23)
    assert exposure.shape == (23,) and "tend" in source
    assert np.median(exposure) == pytest.approx(0.9815, abs=0.002)
    assert exposure.min() > 0.98 and exposure.max() < 0.99


def test_calibration_files_ignore_the_images_version_pin_and_take_their_newest(sample):
    """version= pins image files; the calibration is always its newest version (v03 here)."""
    s, _, urls = sample
    cal = s.root / "calibration"
    start = dt.datetime(2014, 10, 1)
    base = helioport.load("rego", T0, T1, "image_rayleighs", "gill", base_url=urls)
    rper_v02 = float(scipy.io.readsav(str(next(cal.glob("REGO_Rayleighs_*_v02.sav"))))[
        f"rper_dnpersecond_{SAMPLE_IMAGER}"])  # fmt: skip
    fixtures.write_rayleighs_sav(cal, SAMPLE_IMAGER, start, 2 * rper_v02, version="03")
    ds = helioport.load("rego", T0, T1, "image_rayleighs", "gill", version="01", base_url=urls)
    ray = ds["image_rayleighs_gill"]
    assert "_v03.sav" in ray.attrs["calibration_rayleighs_file"]
    np.testing.assert_allclose(ray.values, 2 * base["image_rayleighs_gill"].values, rtol=1e-5)


def test_a_request_past_the_calibrations_validity_warns(sample):
    s, _, urls = sample
    cal = s.root / "calibration"
    # valid 2021-11-01 to the end of 2021-11-04: newer-starting, so chosen at T0
    path = fixtures.write_rayleighs_sav(cal, SAMPLE_IMAGER, dt.datetime(2021, 11, 1), 0.9)
    path.rename(cal / path.name.replace("-+_", "-20211104_"))
    with pytest.warns(UserWarning, match="valid through 2021-11-04, but the request ends"):
        ds = helioport.load(
            "rego", T0, "2021-11-05T01:00", "image_rayleighs", "gill", base_url=urls
        )
    assert "20211101-20211104" in ds["image_rayleighs_gill"].attrs["calibration_rayleighs_file"]
