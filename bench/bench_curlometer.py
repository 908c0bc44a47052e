"""Benchmark: helioport's curlometer against pySPEDAS ``mms_curl``.

Run by hand, in a virtual environment that has both pyspedas and helioport::

    python bench/bench_curlometer.py                      # 1e6 samples, pyspedas at 1e5
    python bench/bench_curlometer.py --pyspedas-samples 1000000   # pyspedas at full size (slow)

Synthetic MMS-like data: four spacecraft in a ~10 km tetrahedron (slowly
rotating and breathing) around a point near 10 Re, drifting at ~1 km/s,
sampled at 16 Hz, inside a moving Harris current sheet (B_x = 20 tanh(z / 300
km) nT, about 50 nA/m^2 at its centre) with a guide field and a wave. All
four probes share one time base, so pyspedas's interpolation (``tinterpol``)
and helioport's (:func:`helioport.align.interp_to`) do the same work.

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


def synthetic(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unix times (n,), positions (4, n, 3) in km and fields (4, n, 3) in nT."""
    t = np.arange(n) * CADENCE_S
    unix = 1.4450e9 + t  # 2015-10-16
    centre = np.array([10.0, 2.0, 1.0]) * RE_KM + np.outer(t, [-1.0, 0.5, 0.2])  # km
    regular = np.array(
        [[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0.5, np.sqrt(3) / 6, np.sqrt(2 / 3)]]
    )
    regular = (regular - regular.mean(0)) * 10.0  # ~10 km edges
    angle = 2 * np.pi * t / 86400.0  # one turn a day about z
    cos, sin = np.cos(angle), np.sin(angle)
    breathe = 1 + 0.2 * np.sin(2 * np.pi * t / 7200.0)
    r = np.empty((4, n, 3))
    for a in range(4):  # four vertices
        x, y, z = regular[a]
        r[a, :, 0] = centre[:, 0] + breathe * (cos * x - sin * y)
        r[a, :, 1] = centre[:, 1] + breathe * (sin * x + cos * y) * 1.3
        r[a, :, 2] = centre[:, 2] + breathe * z * 0.8
    # a Harris sheet moving across the formation, a guide field, a transverse wave along z
    # and a weak B_z(x) gradient: divergence-free, so |div B| / |curl B| measures the
    # curlometer's own (non-linearity) error
    sheet_z = centre[:, 2] + 400 * np.sin(2 * np.pi * t / 900.0)
    zrel = r[..., 2] - sheet_z
    phase = 2 * np.pi * (r[..., 2] / 500.0 - t / 30.0)
    b = np.empty((4, n, 3))
    b[..., 0] = 20 * np.tanh(zrel / 300.0) + 1.5 * np.sin(phase)
    b[..., 1] = 5 + 2 * np.cos(phase)
    b[..., 2] = 3 + 0.002 * (r[..., 0] - centre[:, 0])
    return unix, r, b


def best_of(repeat: int, fn, *args, **kwargs) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def labelled(unix: np.ndarray, r: np.ndarray, b: np.ndarray) -> dict:
    times = (unix * 1e9).astype("int64").astype("datetime64[ns]")
    mags, poss = {}, {}
    for i, p in enumerate(PROBES):

        def da(values, product, units, p=p):
            dim = f"time_{product}_{p}"
            return xr.DataArray(
                values,
                dims=(dim, "component"),
                coords={dim: times, "component": ["x", "y", "z"]},
                attrs={"units": units, "coords": "gse"},
            )

        mags[p] = da(b[i], "dc_mag", "nT")
        poss[p] = da(r[i], "sc_pos", "km")
    return {"dc_mag": mags, "sc_pos": poss}


def run_pyspedas(unix: np.ndarray, r: np.ndarray, b: np.ndarray) -> tuple[float, dict]:
    import pyspedas
    from pyspedas.projects.mms import mms_curl

    logging.disable(logging.INFO)  # pyspedas logs every tinterpol call
    for i, p in enumerate(PROBES):
        pyspedas.store_data(f"{p}_b", data={"x": unix, "y": b[i]})
        pyspedas.store_data(f"{p}_r", data={"x": unix, "y": r[i]})
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
    unix, r, b = synthetic(n)
    print(f"N = {n:,} samples x 4 probes (16 Hz, {n * CADENCE_S / 3600:.1f} h)")

    t_kernel, res = best_of(args.repeat, curlometer, r, b)
    inputs = labelled(unix, r, b)
    t_wrap, ds = best_of(args.repeat, j_curl, inputs, None)
    j_na = res["j"] * 1e9
    print(
        f"helioport curlometer (numpy kernel): {t_kernel:8.3f} s  ({t_kernel / n * 1e9:6.1f} ns/sample)"
    )
    print(
        f"helioport j_curl (labelled wrapper): {t_wrap:8.3f} s  ({t_wrap / n * 1e9:6.1f} ns/sample)"
    )
    print(
        f"  |J| median {np.nanmedian(np.linalg.norm(j_na, axis=1)):.2f} nA/m^2, "
        f"max {np.nanmax(np.linalg.norm(j_na, axis=1)):.2f}; "
        f"median |divB|/|curlB| {np.nanmedian(res['quality']):.3f}"
    )
    assert np.allclose(ds["j_curl"].values, j_na, rtol=1e-12, atol=0, equal_nan=True)

    m = min(args.pyspedas_samples, n)
    small = max(m // 5, 1)
    t_small, _ = run_pyspedas(unix[:small], r[:, :small], b[:, :small])
    t_py, py = run_pyspedas(unix[:m], r[:, :m], b[:, :m])
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

    # agreement where both are defined (pyspedas: A/m^2 with mu0 = 4 pi 1e-7)
    curl_h, curl_p = res["curl_b"][:m], py["curlB"]
    j_h = res["j"][:m]
    j_p = py["jtotal"] * (4e-7 * np.pi) / MU0  # same mu0 for both
    ok = np.isfinite(j_h).all(1) & np.isfinite(j_p).all(1)
    norm = np.linalg.norm(j_h[ok], axis=1)
    rel_j = np.max(np.linalg.norm(j_h[ok] - j_p[ok], axis=1) / norm)
    rel_j_raw = np.max(np.linalg.norm(j_h[ok] - py["jtotal"][ok], axis=1) / norm)
    rel_curl = np.max(
        np.linalg.norm(curl_h[ok] - curl_p[ok], axis=1) / np.linalg.norm(curl_h[ok], axis=1)
    )
    div_abs = np.max(np.abs(res["div_b"][:m][ok] - py["divB"][ok]))
    print(
        f"agreement on {ok.sum():,} samples: max relative |dJ|/|J| {rel_j:.1e} (same mu0), "
        f"{rel_j_raw:.1e} (pyspedas's own mu0 = 4 pi 1e-7); curl B {rel_curl:.1e}; "
        f"max |d divB| {div_abs:.1e} nT/km"
    )
    print(
        f"speed ratio at N = {n:,}: kernel {t_py_n / t_kernel:,.0f}x, "
        f"wrapper {t_py_n / t_wrap:,.0f}x faster than pyspedas mms_curl"
    )


if __name__ == "__main__":
    main()
