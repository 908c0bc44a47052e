"""Benchmark: helioport's curlometer against pySPEDAS ``mms_curl``.

Run by hand, in a virtual environment that has both pyspedas and helioport::

    python bench/bench_curlometer.py                      # 1e6 samples, pyspedas at 1e5
    python bench/bench_curlometer.py --pyspedas-samples 1000000   # pyspedas at full size (slow)

Synthetic MMS-like data: four spacecraft in a ~10 km tetrahedron (slowly
rotating and breathing) around a point near 10 Re, drifting at ~1 km/s,
inside a moving Harris current sheet (B_x = 20 tanh(z / 300 km) nT, about
50 nA/m^2 at its centre) with a guide field and a wave. As in real MMS data,
each probe has its own time base: B at 16 Hz with a few ms offset between
probes (FGM), positions every 30 s (MEC). Both codes interpolate the other
probes' B and all positions linearly onto mms1's B times (pySPEDAS with
``tinterpol``, helioport with :func:`helioport.align.interp_to`).

Timed:

- ``curlometer``: helioport's numpy kernel on (4, N, 3) arrays;
- ``j_curl``: helioport's derivation wrapper on eight labelled DataArrays
  (interpolation onto probe 1's B time base, checks, a labelled Dataset);
- ``mms_curl``: pySPEDAS on tplot variables (only the call is timed; its
  ``tinterpol`` calls are part of it). pySPEDAS loops over samples in Python,
  so it is measured on ``--pyspedas-samples`` and scaled linearly to N (its
  cost per sample is constant; the script measures it at two sizes to show it).

Both results are compared where both are defined: curl B (nT/km) and J.
pySPEDAS gives J in A/m^2 with mu0 = 4 pi 1e-7; helioport in A/m^2 (and nA/m^2
in ``j_curl``) with the CODATA 2018 mu0, 5.5e-10 relatively different.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import numpy as np
import xarray as xr
from helioport.derive.curlometer import MU0, curlometer, j_curl

RE_KM = 6371.2
CADENCE_S = 1 / 16
PROBES = ["mms1", "mms2", "mms3", "mms4"]


B_OFFSETS_S = [0.0, 0.0031, -0.0017, 0.0052]  # FGM time tags differ by a few ms between probes
POS_CADENCE_S = 30.0  # MEC


def _formation(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (4, len(t), 3) in km of the four probes at times t (s), and the centre (len(t), 3)."""
    centre = np.array([10.0, 2.0, 1.0]) * RE_KM + np.outer(t, [-1.0, 0.5, 0.2])  # km
    regular = np.array(
        [[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]]
    )
    regular = (regular - regular.mean(0)) * 10.0  # ~10 km edges
    angle = 2 * np.pi * t / 86400.0  # one turn a day about z
    cos, sin = np.cos(angle), np.sin(angle)
    breathe = 1 + 0.2 * np.sin(2 * np.pi * t / 7200.0)
    r = np.empty((4, t.size, 3))
    for a in range(4):  # four vertices
        x, y, z = regular[a]
        r[a, :, 0] = centre[:, 0] + breathe * (cos * x - sin * y)
        r[a, :, 1] = centre[:, 1] + breathe * (sin * x + cos * y) * 1.3
        r[a, :, 2] = centre[:, 2] + breathe * z * 0.8
    return r, centre


def _field(r: np.ndarray, centre: np.ndarray, t: np.ndarray) -> np.ndarray:
    """B (..., 3) in nT at positions r (..., len(t), 3) and times t.

    A Harris sheet moving across the formation, a guide field, a transverse wave along z
    and a weak B_z(x) gradient: divergence-free, so |div B| / |curl B| measures the
    curlometer's own (non-linearity and interpolation) error.
    """
    sheet_z = centre[:, 2] + 400 * np.sin(2 * np.pi * t / 900.0)
    zrel = r[..., 2] - sheet_z
    phase = 2 * np.pi * (r[..., 2] / 500.0 - t / 30.0)
    b = np.empty(r.shape)
    b[..., 0] = 20 * np.tanh(zrel / 300.0) + 1.5 * np.sin(phase)
    b[..., 1] = 5 + 2 * np.cos(phase)
    b[..., 2] = 3 + 0.002 * (r[..., 0] - centre[:, 0])
    return b


def synthetic(n: int) -> dict[str, list[np.ndarray]]:
    """Per probe: B times (s) and B (n, 3) in nT; position times (s) and positions (m, 3) in km."""
    out: dict[str, list[np.ndarray]] = {"tb": [], "b": [], "tr": [], "r": []}
    tr = np.arange(-POS_CADENCE_S, n * CADENCE_S + 2 * POS_CADENCE_S, POS_CADENCE_S)
    r_all, _ = _formation(tr)
    for a in range(4):
        tb = np.arange(n) * CADENCE_S + B_OFFSETS_S[a]
        r_b, centre = _formation(tb)
        out["tb"].append(tb)
        out["b"].append(_field(r_b[a], centre, tb))
        out["tr"].append(tr)
        out["r"].append(r_all[a])
    return out


def on_mms1_times(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact positions and fields (4, n, 3) of the four probes at mms1's B times (the kernel's input)."""
    tb = np.arange(n) * CADENCE_S
    r, centre = _formation(tb)
    return r, _field(r, centre, tb)


UNIX0 = 1.4450e9  # 2015-10-16


def best_of(repeat: int, fn, *args, **kwargs) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def labelled(data: dict[str, list[np.ndarray]], m: int | None = None) -> dict:
    """The j_curl inputs: {"dc_mag": {probe: DataArray}, "sc_pos": {...}} (first m B samples)."""

    def da(t, values, product, p, units):
        dim = f"time_{product}_{p}"
        times = ((UNIX0 + t) * 1e9).astype("int64").astype("datetime64[ns]")
        return xr.DataArray(
            values,
            dims=(dim, "component"),
            coords={dim: times, "component": ["x", "y", "z"]},
            attrs={"units": units, "coords": "gse"},
        )

    mags = {
        p: da(data["tb"][i][:m], data["b"][i][:m], "dc_mag", p, "nT") for i, p in enumerate(PROBES)
    }
    poss = {p: da(data["tr"][i], data["r"][i], "sc_pos", p, "km") for i, p in enumerate(PROBES)}
    return {"dc_mag": mags, "sc_pos": poss}


def run_pyspedas(data: dict[str, list[np.ndarray]], m: int) -> tuple[float, dict]:
    import pyspedas
    from pyspedas.projects.mms import mms_curl

    logging.disable(logging.INFO)  # pyspedas logs every tinterpol call
    for i, p in enumerate(PROBES):
        pyspedas.store_data(f"{p}_b", data={"x": UNIX0 + data["tb"][i][:m], "y": data["b"][i][:m]})
        pyspedas.store_data(f"{p}_r", data={"x": UNIX0 + data["tr"][i], "y": data["r"][i]})
    t0 = time.perf_counter()
    mms_curl(fields=[f"{p}_b" for p in PROBES], positions=[f"{p}_r" for p in PROBES])
    elapsed = time.perf_counter() - t0
    out = {name: pyspedas.get_data(name)[1] for name in ("curlB", "divB", "jtotal")}
    return elapsed, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--pyspedas-samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    warnings.simplefilter("ignore", FutureWarning)

    n = args.samples
    data = synthetic(n)
    print(
        f"N = {n:,} samples x 4 probes (B at 16 Hz, {n * CADENCE_S / 3600:.1f} h; "
        f"positions every {POS_CADENCE_S:g} s; probes' B offset by {B_OFFSETS_S[1:]} s)"
    )

    r, b = on_mms1_times(n)
    t_kernel, res = best_of(args.repeat, curlometer, r, b)
    inputs = labelled(data)
    t_wrap, ds = best_of(args.repeat, j_curl, inputs, None)
    j_na = ds["j_curl"].values
    print(
        f"helioport curlometer (numpy kernel): {t_kernel:8.3f} s  ({t_kernel / n * 1e9:6.1f} ns/sample)"
    )
    print(
        f"helioport j_curl (labelled wrapper, 7 interpolations): {t_wrap:8.3f} s  "
        f"({t_wrap / n * 1e9:6.1f} ns/sample)"
    )
    print(
        f"  |J| median {np.nanmedian(np.linalg.norm(j_na, axis=1)):.2f} nA/m^2, "
        f"max {np.nanmax(np.linalg.norm(j_na, axis=1)):.2f}; "
        f"median |divB|/|curlB| {np.nanmedian(ds['curl_quality'].values):.1e}; "
        f"interpolation error (wrapper vs kernel on exact inputs): max |dJ| "
        f"{np.nanmax(np.linalg.norm(j_na - res['j'] * 1e9, axis=1)):.1e} nA/m^2"
    )

    m = min(args.pyspedas_samples, n)
    small = max(m // 5, 1)
    t_small, _ = run_pyspedas(data, small)
    t_py, py = run_pyspedas(data, m)
    per_sample = t_py / m
    t_py_n = per_sample * n
    print(
        f"pyspedas mms_curl: {t_small:8.3f} s at {small:,} ({t_small / small * 1e6:.1f} us/sample), "
        f"{t_py:8.3f} s at {m:,} ({per_sample * 1e6:.1f} us/sample)"
    )
    if m < n:
        print(
            f"  -> {t_py_n:8.1f} s at {n:,}, scaled linearly from {m:,} (a per-sample Python loop)"
        )

    # agreement where both are defined, on the same inputs and the same interpolation
    # (pyspedas gives J in A/m^2 with mu0 = 4 pi 1e-7; helioport nA/m^2 with CODATA 2018 mu0)
    ds_m = ds if m == n else j_curl(labelled(data, m), None)
    curl_h, curl_p = ds_m["curl_b"].values, py["curlB"]
    j_h = ds_m["j_curl"].values * 1e-9  # A/m^2
    j_p = py["jtotal"] * (4e-7 * np.pi) / MU0  # same mu0 for both
    ok = np.isfinite(j_h).all(1) & np.isfinite(j_p).all(1)
    both_nan = (~np.isfinite(j_h).all(1) & ~np.isfinite(j_p).all(1)).sum()
    norm = np.linalg.norm(j_h[ok], axis=1)
    rel_j = np.max(np.linalg.norm(j_h[ok] - j_p[ok], axis=1) / norm)
    rel_j_raw = np.max(np.linalg.norm(j_h[ok] - py["jtotal"][ok], axis=1) / norm)
    rel_curl = np.max(
        np.linalg.norm(curl_h[ok] - curl_p[ok], axis=1) / np.linalg.norm(curl_h[ok], axis=1)
    )
    div_abs = np.max(np.abs(ds_m["div_b"].values[ok] - py["divB"][ok]))
    print(
        f"agreement on {ok.sum():,} of {m:,} samples ({both_nan} undefined in both): "
        f"max relative |dJ|/|J| {rel_j:.1e} (same mu0), "
        f"{rel_j_raw:.1e} (pyspedas's own mu0 = 4 pi 1e-7); curl B {rel_curl:.1e}; "
        f"max |d divB| {div_abs:.1e} nT/km"
    )
    print(
        f"speed ratio at N = {n:,}: kernel {t_py_n / t_kernel:,.0f}x, "
        f"wrapper {t_py_n / t_wrap:,.0f}x faster than pyspedas mms_curl"
    )
    if rel_j > 1e-6:
        raise SystemExit(f"helioport and pySPEDAS disagree: {rel_j:.1e} > 1e-6")


if __name__ == "__main__":
    main()
