"""Benchmark: a year of OMNI 1-min data searched for events, eager vs lazy vs a 2-worker cluster.

Run by hand::

    python bench/bench_scale.py                    # 12 monthly files (525,600 samples)
    python bench/bench_scale.py --months 3 --workdir /tmp/scale

Data: ``--months`` generated OMNI HRO 1-min monthly CDFs
(:func:`helioport_omni.sample.write_hro_month`, all ~50 variables of the real
files), served from a folder mirror; the cache is pre-filled once with
:func:`helioport.prefetch.prefetch` (the way a cluster's shared cache is), so
no run below downloads anything. Search: ``dc_mag`` and ``i_dens`` (1 min),
criterion ``dc_mag_z < -6 and i_dens > 1``, window 30 min, step 10 min.

Three runs, each in a fresh interpreter (so that peaks do not mix):

- ``eager``: ``load(...)`` then ``find_events(ds, ...)`` (one chunk, all in memory);
- ``lazy``: ``load(..., lazy=True)`` (one dask chunk per file) then
  ``find_events(ds, ...)``, which reads one search chunk (plus overlap) at a time;
- ``cluster``: the lazy run with a ``dask.distributed`` ``LocalCluster`` of 2
  worker processes (1 thread each) active: the chunks run and read their
  files on the workers, which share the cache folder. The cluster's start and
  the workers' imports are not timed (a cluster is started once per session).

For each: time to load (or open), time to search, the peak resident memory of
the process (``ru_maxrss``) minus its resident memory after the imports, and
for the cluster the workers' peaks. The event lists of the three runs must be
identical (checked). Figures go in the report, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

CRITERIA = "dc_mag_z < -6 and i_dens > 1"
PRODUCTS = ["dc_mag", "i_dens"]
MODES = ("eager", "lazy", "cluster")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def _months(n: int) -> list[dt.date]:
    return [dt.date(2010 + i // 12, i % 12 + 1, 1) for i in range(n)]


def prepare(workdir: Path, months: int) -> tuple[Path, Path, str]:
    """Write the archive, pre-fill the cache; the archive, the cache and the end time."""
    from helioport.prefetch import prefetch
    from helioport_omni.sample import write_hro_month

    archive, cache = workdir / "archive", workdir / "cache"
    for m in _months(months):
        write_hro_month(archive, m, "1min", seed=m.month)
    last = _months(months + 1)[-1]
    end = last.isoformat()
    s = prefetch(
        "omni",
        "2010-01-01",
        end,
        PRODUCTS,
        mode="1min",
        base_url=str(archive),
        cache_dir=str(cache),
        progress=False,
    )
    print(f"prepared: {s}")
    return archive, cache, end


def _warm_worker() -> int:
    """Import helioport and discover its plugins on a worker (what a first task would do)."""
    import dask.array  # noqa: F401
    from helioport.registry import get_registry

    return len(get_registry().missions())


def run_mode(mode: str, archive: str, cache: str, end: str) -> dict:
    """One measured run (in this interpreter): times, memory and the events."""
    import helioport
    from helioport.events import find_events

    warnings.simplefilter("ignore")
    kw = {"products": PRODUCTS, "mode": "1min", "base_url": archive, "cache_dir": cache}
    search = {"window": "30min", "step": "10min", "progress": False}
    client = cluster = None
    if mode == "cluster":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        client.run(_warm_worker)  # imports and plugin discovery, not timed (a long-lived cluster)
    import dask.array  # noqa: F401  (imports counted in the baseline, not the run)

    base = _rss_mb()
    t0 = time.perf_counter()
    ds = helioport.load("omni", "2010-01-01", end, lazy=mode != "eager", **kw)
    t1 = time.perf_counter()
    opened = _rss_mb() - base
    cat = find_events(ds, CRITERIA, **search)
    t2 = time.perf_counter()
    out = {
        "mode": mode,
        "load_s": t1 - t0,
        "search_s": t2 - t1,
        "opened_mb": opened,
        "peak_mb": _peak_mb() - base,
        "events": [[e.start.isoformat(), e.stop.isoformat()] for e in cat],
    }
    if client is not None:
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)
        out["worker_peak_mb"] = sorted(peaks.values())
        client.close()
        cluster.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--months", type=int, default=12, help="monthly files (default 12: a year)")
    p.add_argument("--workdir", help="keep the archive and cache here (default: a temp folder)")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument(
        "--run", nargs=4, metavar=("MODE", "ARCHIVE", "CACHE", "END"), help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(run_mode(*args.run)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        archive, cache, end = prepare(workdir, args.months)
        results = []
        for mode in args.modes:
            cmd = [sys.executable, __file__, "--run", mode, str(archive), str(cache), end]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                raise SystemExit(f"the {mode} run failed")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    samples = args.months * 30.4 * 1440
    print(f"OMNI 1-min, {args.months} monthly files (~{samples / 1e3:.0f} k samples), {CRITERIA}")
    print(
        f"{'mode':<8} {'load/open s':>11} {'search s':>9} {'open MB':>8} {'peak MB':>8}  workers' peak MB"
    )
    for r in results:
        workers = ", ".join(f"{w:.0f}" for w in r.get("worker_peak_mb", [])) or "-"
        print(
            f"{r['mode']:<8} {r['load_s']:>11.2f} {r['search_s']:>9.2f} {r['opened_mb']:>8.0f} "
            f"{r['peak_mb']:>8.0f}  {workers}"
        )
    first = results[0]["events"]
    same = all(r["events"] == first for r in results)
    print(f"events: {len(first)}; identical in every mode: {same}")
    if not same or not first:
        raise SystemExit("the runs disagree (or found no event): the benchmark is invalid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
