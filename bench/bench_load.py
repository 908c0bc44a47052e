"""helioport.load on the cache-hit path vs cdflib on the same files (run by hand).

    python bench/bench_load.py [--months 3]

Writes full-month OMNI HRO 1-min CDFs (44,640 records each, the real variable
names) into a temporary archive served on 127.0.0.1, loads them once to fill a
cache, then times in the same process, best of N:

1. ``helioport.load("omni", ..., products=["dc_mag", "i_dens", "i_bulkv"])``
   on a cache hit (listing revalidated with one conditional request per year
   folder, no download);
2. the same cached files read directly with cdflib: ``CDF.varget`` of the 9
   variables and the raw epochs (the floor any loader pays), and the same plus
   cdflib's own ``cdfepoch.to_datetime``;
3. ``cdflib.xarray.cdf_to_xarray`` on the same files (whole-file conversion).

Prints the ratios. Targets (issue 2): cache hit within 2x of the direct read,
and faster than cdf_to_xarray.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import cdflib
import numpy as np
from cdflib.xarray import cdf_to_xarray

VARS = ["BX_GSE", "BY_GSE", "BZ_GSE", "F", "proton_density", "Vx", "Vy", "Vz", "flow_speed"]


def best(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def direct_read(paths: list[Path], convert_times: bool = True) -> dict:
    out: dict = {}
    for p in paths:
        cdf = cdflib.CDF(str(p))
        epoch = cdf.varget("Epoch")
        if convert_times:
            epoch = cdflib.cdfepoch.to_datetime(epoch)
        out.setdefault("Epoch", []).append(np.asarray(epoch))
        for v in VARS:
            data = cdf.varget(v).astype(np.float64)
            fill = cdf.varattsget(v)["FILLVAL"]
            data[data == np.float32(fill)] = np.nan
            out.setdefault(v, []).append(data)
    return {k: np.concatenate(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import helioport
    from helioport.testing import ArchiveServer
    from helioport_omni.sample import write_hro_month

    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "archive", Path(tmp) / "cache"
        for m in range(1, args.months + 1):
            write_hro_month(root, dt.date(2010, m, 1), "1min")
        end = dt.datetime(2010, args.months + 1, 1)
        os.environ["HELIOPORT_CACHE_DIR"] = str(cache)
        with ArchiveServer(root) as srv:
            kw = {
                "products": ["dc_mag", "i_dens", "i_bulkv"],
                "coords": "gse",
                "mode": "1min",
                "base_url": srv.url,
            }
            ds = helioport.load("omni", "2010-01-01", end, **kw)  # fills the cache
            n = ds["dc_mag"].shape[0]
            cached = sorted((cache / "omni").rglob("*.cdf"))
            t_hit = best(lambda: helioport.load("omni", "2010-01-01", end, **kw), args.repeat)
            srv.clear_log()
            helioport.load("omni", "2010-01-01", end, **kw)
            requests_per_hit = len(srv.log)
        t_folder = best(
            lambda: helioport.load("omni", "2010-01-01", end, **dict(kw, base_url=str(root))),
            args.repeat,
        )
        t_direct = best(lambda: direct_read(cached), max(1, args.repeat // 2))
        t_raw = best(lambda: direct_read(cached, convert_times=False), args.repeat)
        t_xr = best(lambda: [cdf_to_xarray(str(p)) for p in cached], max(1, args.repeat // 2))
        ref = direct_read(cached)
        np.testing.assert_allclose(
            ds["dc_mag"].sel(component="z").values, ref["BZ_GSE"], equal_nan=True
        )
    print(
        f"{args.months} month(s) of OMNI HRO 1-min, {n} records x {len(VARS)} variables, best of {args.repeat}"
    )
    print(
        f"  helioport.load, cache hit over HTTP   : {t_hit * 1e3:8.1f} ms ({requests_per_hit} request(s), 304)"
    )
    print(f"  helioport.load, folder mirror         : {t_folder * 1e3:8.1f} ms")
    print(f"  cdflib varget only (raw epochs, floor): {t_raw * 1e3:8.1f} ms")
    print(f"  cdflib varget + cdfepoch.to_datetime  : {t_direct * 1e3:8.1f} ms")
    print(f"  cdflib.xarray.cdf_to_xarray           : {t_xr * 1e3:8.1f} ms")
    print(f"  ratio cache hit / raw varget floor    : {t_hit / t_raw:6.2f}x  (target <= 2)")
    print(f"  ratio cache hit / varget + to_datetime: {t_hit / t_direct:6.2f}x")
    print(f"  speed-up vs cdf_to_xarray             : {t_xr / t_hit:6.1f}x  (target > 1)")


if __name__ == "__main__":
    main()
