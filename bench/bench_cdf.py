"""Benchmark: loading a large FGM survey-like CDF with helioport vs cdflib.

Run by hand (never by the tests)::

    python bench/bench_cdf.py [--records 1400000] [--repeat 5] [--compress 0]

Writes a synthetic MMS FGM survey L2-like file (``helioport_mms.fixtures.fgm_like_file``) into a
temporary folder, then times, best of ``--repeat`` runs in this process:

- ``helioport.cdf.load_variables`` (B with its time axis, NaN fills, labels);
- ``cdflib.xarray.cdf_to_xarray(path, fillval_to_nan=True)``;
- plain ``cdflib.CDF(path).varget`` of B and Epoch + ``cdflib.cdfepoch.to_datetime``;
- a one-hour record-range read with ``load_variables(start=, end=)``.

and prints the times and their ratios to the helioport load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import helioport  # noqa: F401
    import helioport_mms  # noqa: F401
except ImportError:  # running from a checkout without the installed packages
    sys.path[:0] = [str(ROOT / "core"), str(ROOT / "plugins" / "mms")]

import cdflib
import cdflib.xarray
import numpy as np
from helioport.cdf import load_variables
from helioport_mms.fixtures import fgm_like_file


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_400_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--compress", type=int, default=0, help="GZIP level of the B variables (real files: 6)"
    )
    args = ap.parse_args(argv)

    probe, rate = "mms1", "srvy"
    var = f"{probe}_fgm_b_gse_{rate}_l2"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{probe}_fgm_{rate}_l2_20151016_v4.18.0.cdf"
        t0 = time.perf_counter()
        fgm_like_file(path, "2015-10-16", args.records, 1 / 16, probe, rate, compress=args.compress)
        print(f"wrote {path.name}: {args.records} records, {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t0:.2f} s")  # fmt: skip

        def helioport_load() -> object:
            return load_variables(path, [var])[var]

        def cdf_to_xarray() -> object:
            ds = cdflib.xarray.cdf_to_xarray(str(path), fillval_to_nan=True)
            return ds[var]

        def raw_varget() -> object:
            cdf = cdflib.CDF(path)
            return cdf.varget(var), cdflib.cdfepoch.to_datetime(cdf.varget("Epoch"))

        def raw_varget_only() -> object:
            cdf = cdflib.CDF(path)
            return cdf.varget(var), cdf.varget("Epoch")

        def helioport_hour() -> object:
            return load_variables(path, [var], start="2015-10-16T12:00", end="2015-10-16T13:00")[
                var
            ]

        # same answer first
        da = helioport_load()
        b, t = raw_varget()
        assert np.array_equal(
            da.values, np.where(b == np.float32(-1e31), np.nan, b), equal_nan=True
        )
        assert np.array_equal(da["time"].values, t)

        rows = [
            ("helioport.cdf.load_variables", helioport_load, args.repeat),
            ("cdflib.xarray.cdf_to_xarray", cdf_to_xarray, max(1, min(args.repeat, 3))),
            ("cdflib varget + cdfepoch.to_datetime", raw_varget, args.repeat),
            ("cdflib varget only (no time conversion)", raw_varget_only, args.repeat),
            ("helioport load_variables, 1 h range", helioport_hour, args.repeat),
        ]
        times = {label: best_of(fn, n) for label, fn, n in rows}
    ref = times["helioport.cdf.load_variables"]
    print(f"\n{'method':<42} {'best (ms)':>10} {'ratio to helioport':>19}")
    for label, secs in times.items():
        print(f"{label:<42} {secs * 1e3:>10.1f} {secs / ref:>19.2f}")
    print(f"\ncdf_to_xarray / helioport: {times['cdflib.xarray.cdf_to_xarray'] / ref:.1f}x slower")
    print(
        f"helioport / (varget + to_datetime): {ref / times['cdflib varget + cdfepoch.to_datetime']:.2f}"
    )
    print(f"helioport / varget only: {ref / times['cdflib varget only (no time conversion)']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
