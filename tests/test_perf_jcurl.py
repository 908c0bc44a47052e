"""j_curl's wrapper costs little next to its kernel (issue 12), with the same results.

- :func:`helioport.derive.interpolate.interp_linear` reads the samples of a
  chunk of targets in one of three ways (slices when the source is on the
  targets' cadence, each sample repeated when it is slower and the targets are
  in order, gathered otherwise) and reads sorted sources in place; every way
  gives, bit for bit, what :func:`helioport.align.interp_to` gives;
- long float64 vectors are read in place (``curlometer._xyz_columns``), with
  the columns and errors of :func:`helioport.derive.elevation.xyz_components`;
- :func:`helioport.derive.interpolate.interp_linear_chunks` gives each chunk
  what :func:`~helioport.derive.interpolate.interp_linear` gives;
- :func:`helioport.derive.curlometer.j_curl`, which runs the kernel on each
  chunk of interpolated inputs, gives, bit for bit, the kernel on the inputs
  put on probe 1's B times by ``interp_to``: NaNs, gaps, float32, units, a
  probe on its own cadence, degenerate samples and their warning (attributed
  to j_curl, as when it called the kernel on the whole arrays).
"""

from __future__ import annotations

import importlib
import warnings
from collections import Counter

import numpy as np
import pytest
import xarray as xr
from helioport.align import interp_to
from helioport.derive import interpolate
from helioport.derive.elevation import series_times, xyz_components
from helioport.derive.interpolate import interp_linear, interp_linear_chunks
from helioport.errors import DerivationError

# the module, not the function helioport.derive re-exports under the same name
curlometer_module = importlib.import_module("helioport.derive.curlometer")

T0 = np.datetime64("2015-10-16T13:05:24", "ns")
STEP = 62_500_000  # 16 Hz


def _ns(values) -> np.ndarray:
    return T0 + np.asarray(values, dtype=np.int64).astype("m8[ns]")


def _forms(monkeypatch) -> Counter:
    """Count how each chunk's samples are read: ``run``, ``counts`` or ``gather``."""
    seen: Counter = Counter()
    fill = interpolate._fill

    def counting(y, column, k):
        seen["run" if k.run is not None else "counts" if k.counts is not None else "gather"] += 1
        seen["strided"] += not column.flags.c_contiguous
        return fill(y, column, k)

    monkeypatch.setattr(interpolate, "_fill", counting)
    return seen


def _reference(times, values, targets, ext):
    da = xr.DataArray(np.asarray(values, dtype=np.float64), dims=("t", "c"), coords={"t": times})
    extrapolate = None if ext is None else np.timedelta64(ext, "ns")
    return interp_to(da, targets, "linear", extrapolate=extrapolate).values


SOURCES = {
    # on the targets' cadence, a few ms late, with a gap: slices; one sample early, before
    # its target, so that the chunk around it is not a run (searched instead)
    "run": lambda rng: np.delete(
        np.arange(5, 990) * STEP + np.where(np.arange(5, 990) == 500, -1_900_000, 3_100_000),
        np.arange(300, 340),
    ),
    # every 2 s, sorted: each sample repeated over the targets it covers
    "counts": lambda rng: np.arange(-1, 35) * 2_000_000_000 + 400_000_000,
    # twice the targets' cadence: searched and gathered
    "gather": lambda rng: np.arange(-10, 2010) * (STEP // 2) + 1_000_000,
    # unsorted, a NaT and a repeated time (sorted once, then as above)
    "messy": lambda rng: rng.permutation(np.arange(-1, 35) * 2_000_000_000 + 700_000_000),
}


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 15])
@pytest.mark.parametrize("ext_s", [None, 0.05, 3])
@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_each_way_of_reading_samples_equals_interp_to_bit_for_bit(monkeypatch, kind, ext_s, chunk):
    monkeypatch.setattr(interpolate, "CHUNK", chunk)
    seen = _forms(monkeypatch)
    rng = np.random.default_rng(5)
    targets = _ns(np.arange(1000) * STEP)
    times = _ns(SOURCES[kind](rng))
    if kind == "messy":
        times[3] = np.datetime64("NaT")
        times[9] = times[10]
    # x, y, z of x, y, z, tot: a strided view, read in place
    values = rng.normal(size=(times.size, 4))[:, :3]
    values[17] = np.nan
    ext = None if ext_s is None else int(ext_s * 1e9)
    ours = interp_linear([(times, values, ext), (times.copy(), values * 3, ext)], targets)
    for k, scale in enumerate((1, 3)):
        ref = _reference(times, values * scale, targets, ext)
        np.testing.assert_array_equal(ours[k], ref)  # NaN where NaN, the same bits elsewhere
    assert np.isfinite(ours).any()
    if chunk in (7, 64):  # chunks inside the source's span (one target is always a run)
        assert seen[{"messy": "counts"}.get(kind, kind)] > 0
    assert seen["strided"] == (0 if kind == "messy" else sum(seen.values()) - seen["strided"])


@pytest.mark.parametrize("order", ["sorted", "unsorted", "with_nat"])
def test_slow_source_on_targets_out_of_order_or_with_nat(monkeypatch, order):
    """Repeating samples needs targets in order; otherwise they are searched, same numbers."""
    monkeypatch.setattr(interpolate, "CHUNK", 128)
    seen = _forms(monkeypatch)
    rng = np.random.default_rng(9)
    targets = _ns(np.arange(600) * STEP)
    if order != "sorted":
        targets = targets[rng.permutation(targets.size)]
    if order == "with_nat":
        targets[[0, 300]] = np.datetime64("NaT")
    times = _ns(np.arange(-2, 25) * 2_000_000_000 + 300_000_000)
    values = rng.normal(size=(times.size, 3)).astype(np.float32)
    ours = interp_linear([(times, values, 10**9)], targets)
    np.testing.assert_array_equal(ours[0], _reference(times, values, targets, 10**9))
    assert (seen["counts"] > 0) == (order == "sorted")


def test_targets_on_samples_take_them_as_they_are():
    times = _ns(np.arange(0, 400, 40) * STEP)
    values = np.arange(times.size * 3, dtype=float).reshape(-1, 3) * 0.1
    targets = _ns(np.arange(400) * STEP)
    ours = interp_linear([(times, values, None)], targets)
    np.testing.assert_array_equal(ours[0, ::40], values)
    np.testing.assert_array_equal(ours[0], _reference(times, values, targets, None))


def test_a_source_sharing_memory_with_out_is_read_before_it_is_overwritten():
    """Sorted sources are read in place, but not one that ``out`` overwrites on the way."""
    t = _ns(np.arange(50) * STEP)
    block = np.linspace(0.0, 1.0, 2 * 50 * 3).reshape(2, 50, 3)
    other = np.random.default_rng(1).normal(size=(50, 3))
    sources = [
        (t + np.timedelta64(2, "ms"), other, None),
        (t + np.timedelta64(1, "ms"), block[0], None),
    ]
    expected = interp_linear([sources[0], (sources[1][0], block[0].copy(), None)], t)
    # out[0], filled first, is the second source's values
    assert interp_linear(sources, t, out=block) is block
    np.testing.assert_array_equal(block, expected)


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000])
def test_chunks_are_interp_linear_chunk_by_chunk(monkeypatch, size):
    monkeypatch.setattr(interpolate, "CHUNK", 64)
    rng = np.random.default_rng(8)
    targets = _ns(np.arange(size) * STEP)
    sources = [
        (_ns(np.arange(-3, size + 3) * STEP + 2_000_000), rng.normal(size=(size + 6, 3)), None),
        (
            _ns(np.arange(-1, size // 30 + 2) * 30 * STEP),
            rng.normal(size=(size // 30 + 3, 3)),
            STEP,
        ),
        (targets.copy(), rng.normal(size=(size, 3)), None),
    ]
    whole = interp_linear(sources, targets)
    buffer = np.full((3, 3, 70), -1.0).transpose(0, 2, 1)  # a little longer than a chunk
    starts = []
    for c0, c1 in interp_linear_chunks(sources, targets, buffer):
        starts.append(c0)
        assert c1 - c0 == min(64, size - c0)
        np.testing.assert_array_equal(buffer[:, : c1 - c0], whole[:, c0:c1])
    assert starts == list(range(0, size, 64))


# --------------------------------------------------------------------------- B read in place


def _vector(values, labels, times, transpose=False):
    da = xr.DataArray(
        values, dims=("time_b", "component"), coords={"time_b": times, "component": labels}
    )
    return da.transpose() if transpose else da


LAYOUTS = {
    "x_y_z_tot": (["x", "y", "z", "tot"], True),
    "tot_x_y_z": (["tot", "x", "y", "z"], True),
    "x_a_y_b_z": (["x", "a", "y", "b", "z"], True),  # every other column
    "z_y_x": (["z", "y", "x"], False),  # reversed: not a slice, copied
    "Bx_By_Bz": (["Bx", "By", "Bz"], True),
    "digits": (["0", "1", "2"], True),
}


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_xyz_columns_are_xyz_components_read_in_place(monkeypatch, layout, transpose):
    monkeypatch.setattr(curlometer_module, "_VIEW_MIN", 4)
    labels, in_place = LAYOUTS[layout]
    values = np.random.default_rng(2).normal(size=(40, len(labels)))
    da = _vector(values, labels, _ns(np.arange(40) * STEP), transpose)
    ours = curlometer_module._xyz_columns(da, "dc_mag of mms2")
    ref = xyz_components(da, "dc_mag of mms2")
    assert ours.dtype == np.float64 and ours.shape == (40, 3)
    np.testing.assert_array_equal(ours, ref)
    assert np.shares_memory(ours, da.values) == in_place


@pytest.mark.parametrize(
    "case", ["float32", "short", "no_time", "bad_labels", "unlabelled_4", "three_dims"]
)
def test_xyz_columns_falls_back_to_xyz_components_and_its_errors(monkeypatch, case):
    monkeypatch.setattr(curlometer_module, "_VIEW_MIN", 8)
    t = _ns(np.arange(20) * STEP)
    values = np.random.default_rng(4).normal(size=(20, 4))
    da = {
        "float32": _vector(values.astype(np.float32), ["x", "y", "z", "tot"], t),
        "short": _vector(values[:5], ["x", "y", "z", "tot"], t[:5]),
        "no_time": xr.DataArray(values, dims=("n", "component")),
        "bad_labels": _vector(values, ["a", "b", "c", "d"], t),
        "unlabelled_4": xr.DataArray(values, dims=("time_b", "k"), coords={"time_b": t}),
        "three_dims": xr.DataArray(values[:, :, None], dims=("time_b", "c", "e")).assign_coords(
            time_b=t
        ),
    }[case]
    try:
        ref = xyz_components(da, "dc_mag of mms3")
    except DerivationError as exc:
        with pytest.raises(DerivationError) as got:
            curlometer_module._xyz_columns(da, "dc_mag of mms3")
        assert str(got.value) == str(exc)
        return
    ours = curlometer_module._xyz_columns(da, "dc_mag of mms3")
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == ref.dtype and not np.shares_memory(ours, da.values)


# --------------------------------------------------------------------------- j_curl end to end

PROBES = ["mms1", "mms2", "mms3", "mms4"]
REGULAR = np.array(
    [[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]]
)


def _inputs(n: int, *, flatten_after: int | None = None) -> dict:
    """Four probes: B of mms1 on 16 Hz, the others a few ms off (mms4 at 8 Hz, with a
    gap), float32 B for mms3, positions every 30 s (mms2's in m) cut inside the span."""
    rng = np.random.default_rng(6)
    mags, poss = {}, {}
    for i, p in enumerate(PROBES):
        step = STEP * (2 if p == "mms4" else 1)
        tb = np.arange(-3, n + 3) * STEP if p == "mms1" else np.arange(-2, n // (step // STEP) + 2)
        tb = tb if p == "mms1" else tb * step + [0, 3_100_000, -1_700_000, 5_200_000][i]
        if p == "mms4":
            tb = np.delete(tb, np.arange(len(tb) // 3, len(tb) // 3 + 25))
        b = np.column_stack([rng.normal(size=(tb.size, 3)) * 5 + 20, np.zeros(tb.size)])
        b[7, 1] = np.nan
        b = b.astype(np.float32) if p == "mms3" else b
        mags[p] = xr.DataArray(
            b,
            dims=(f"time_dc_mag_{p}", "component"),
            coords={f"time_dc_mag_{p}": _ns(tb), "component": ["x", "y", "z", "tot"]},
            attrs={"units": "nT", "coords": "gse"},
        )
        tp = np.arange(0, n * STEP + 1, 30 * 10**9) + 10**9 * (i + 1)
        corner = REGULAR[i] * 12.0
        if flatten_after is not None and p == "mms4":
            corner = np.where(
                np.arange(tp.size)[:, None] >= flatten_after, REGULAR[3] * [12, 12, 0], corner
            )
        r = 6.4e4 + corner + np.outer(tp * 1e-9, [1.0, -0.5, 0.2])
        units, scale = ("m", 1e3) if p == "mms2" else ("km", 1.0)
        poss[p] = xr.DataArray(
            r * scale,
            dims=(f"time_sc_pos_{p}", "component"),
            coords={f"time_sc_pos_{p}": _ns(tp), "component": ["x", "y", "z"]},
            attrs={"units": units, "coords": "gse"},
        )
    return {"dc_mag": mags, "sc_pos": poss}


def _expected(inputs: dict, min_shape: float) -> tuple[dict, list[str]]:
    """The kernel on the inputs interp_to puts on mms1's B times (in their own units, scaled
    after), and the warnings it gives."""
    mags, poss = inputs["dc_mag"], inputs["sc_pos"]
    times = series_times(mags["mms1"], "t")
    b = np.empty((4, times.size, 3))
    r = np.empty((4, times.size, 3))
    for i, p in enumerate(PROBES):
        xyz = xyz_components(mags[p], "b")
        b[i] = xyz if p == "mms1" else _reference(series_times(mags[p], "t"), xyz, times, None)
        b[i] *= {"nT": 1.0}[mags[p].attrs["units"]]
        reach = curlometer_module._reach_ns(poss[p])
        r[i] = _reference(series_times(poss[p], "t"), xyz_components(poss[p], "r"), times, reach)
        r[i] *= {"km": 1.0, "m": 1e-3}[poss[p].attrs["units"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = curlometer_module.curlometer(r, b, min_shape=min_shape)
    return res, [str(w.message) for w in caught]


class _Request:
    def __init__(self, **options):
        self.options = options


@pytest.mark.parametrize("view_min", [0, 1 << 30])
@pytest.mark.parametrize("flatten_after", [None, 1])
def test_j_curl_is_the_kernel_on_interp_to_bit_for_bit(monkeypatch, view_min, flatten_after):
    monkeypatch.setattr(curlometer_module, "_VIEW_MIN", view_min)
    monkeypatch.setattr(interpolate, "CHUNK", 200)  # several chunks, each way of reading
    monkeypatch.setattr(curlometer_module, "_BLOCK", 64)  # kernel blocks across chunks
    inputs = _inputs(1500, flatten_after=flatten_after)
    request = _Request(curlometer_min_shape=0.2)
    res, messages = _expected(inputs, 0.2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = curlometer_module.j_curl(inputs, request)
    assert [str(w.message) for w in caught] == messages
    assert bool(messages) == (flatten_after is not None)
    for w in caught:  # j_curl's own line, as when it called curlometer()
        assert w.category is RuntimeWarning and w.filename == curlometer_module.__file__
    np.testing.assert_array_equal(ds["j_curl"].values, res["j"] * 1e9)
    for name, key in (("curl_b", "curl_b"), ("div_b", "div_b"), ("curl_quality", "quality")):
        np.testing.assert_array_equal(ds[name].values, res[key])
    assert all(ds[v].dtype == np.float64 for v in ds.data_vars)
    np.testing.assert_array_equal(ds["time"].values, series_times(inputs["dc_mag"]["mms1"], "t"))
    values = ds["div_b"].values
    finite = np.isfinite(values).sum()
    assert 0 < finite < values.size  # NaN outside the spans, at the gap, where degenerate
    assert finite > values.size // 2 or flatten_after is not None


def test_kernel_warning_still_points_at_its_caller():
    r = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0.0]])[:, None, :]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curlometer_module.curlometer(r, r)
    assert [w.filename for w in caught] == [__file__]
    assert "1 of 1 samples" in str(caught[0].message)


def test_j_curl_on_no_samples_gives_empty_variables():
    inputs = _inputs(200)
    mags = inputs["dc_mag"]
    mags["mms1"] = mags["mms1"].isel({mags["mms1"].dims[0]: slice(0, 0)})
    ds = curlometer_module.j_curl(inputs, None)
    assert ds["j_curl"].shape == (0, 3) and ds["div_b"].shape == (0,)


def test_samples_no_target_falls_between_are_not_differenced() -> None:
    """Slow sources take each used pair's difference once (the "counts" path); a pair no
    target falls between is not computed, so its infinities give no warning, as with a
    gather of the used pairs only."""
    ms = np.array([0, 10_200, 10_300, 10_400, 10_700, 20_000, 30_000], dtype="timedelta64[ms]")
    t = np.datetime64("2020-01-01T00:00:00", "ns") + ms.astype("timedelta64[ns]")
    v = np.array([0.0, 10.2, np.inf, np.inf, 10.7, 20.0, 30.0])[:, None]
    dst = np.datetime64("2020-01-01T00:00:01", "ns") + np.arange(29) * np.timedelta64(1, "s")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = interp_linear([(t, v, None)], dst)
    finite = np.delete(np.arange(7), [2, 3])
    want = np.interp(
        dst.astype(np.int64), t.astype(np.int64)[finite], v[finite, 0]
    )  # the inf samples lie between targets: no target reads them
    np.testing.assert_allclose(got[0, :, 0], want, rtol=1e-12)
