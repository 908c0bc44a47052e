"""Benchmark: a 12-hour THEMIS keogram streamed one hourly file at a time.

Run by hand (never by the default tests)::

    python bench/bench_keogram.py [--hours 12] [--frames 1200] [--workdir DIR]

Writes (once per work folder) a GAKO skymap and ``--hours`` hourly L1 CDFs of
``--frames`` 256x256 frames each (``helioport_themis_asi.fixtures.write_site``),
then, in a fresh child process so its peak memory is the keogram's alone:

- ``keogram(iter_frames(...), skymap(...))`` through the whole request
  lifecycle from a ``file://`` mirror (a first run fills the cache, the second
  is timed from the cache), reporting the peak resident memory
  (``VmHWM``, see :func:`peak_rss_mb`) against the 500 MB budget;
- the floor in the same run: ``pycdfpp`` reads of the same files (times
  converted) plus the same fancy indexing (the least work a keogram needs), as
  time per frame, and the same with ``cdflib``;
- asilib's keogram on the same frames when ``asilib`` is importable (a
  printed note otherwise; asilib is never a dependency of helioport).

It checks the keogram's correctness (one column per frame, the arc's
latitude tracked) and exits 1 when memory exceeds the budget.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import helioport  # noqa: F401
    import helioport_themis_asi  # noqa: F401
except ImportError:  # running from a checkout without the installed packages
    sys.path[:0] = [str(ROOT / "core"), str(ROOT / "plugins" / "themis_asi")]

import numpy as np

UTC = dt.timezone.utc
SITE = "gako"
DAY = dt.datetime(2011, 1, 6, 4, tzinfo=UTC)
BUDGET_MB = 500.0


def generate(workdir: Path, hours: int, frames: int) -> dict[str, Path]:
    """Write the archive once; a marker file records what was written."""
    from helioport_themis_asi.fixtures import write_site

    marker = workdir / f"written_{hours}h_{frames}f"
    roots = {"images": workdir / "berkeley", "skymaps": workdir / "ucalgary"}
    if not marker.exists():
        t0 = time.perf_counter()
        starts = [DAY + dt.timedelta(hours=h) for h in range(hours)]
        write_site(roots["images"], roots["skymaps"], SITE, starts, frames_per_hour=frames)
        marker.write_text("ok")
        print(f"wrote {hours} hourly files of {frames} frames in {time.perf_counter() - t0:.1f} s")
    return roots


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` of ``/proc/self/status`` where it exists: ``ru_maxrss`` survives
    ``execve`` on Linux, so a child started right after the parent wrote the
    archive (about 900 MB resident) would report the parent's peak, not its own.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def child(workdir: Path, hours: int) -> None:
    """Stream the keogram (twice: cold cache, then timed warm) and print JSON figures."""
    from helioport.imaging import iter_frames, keogram, skymap

    urls = {
        "themis_asi": (workdir / "berkeley").as_uri(),
        "themis_asi_skymap": (workdir / "ucalgary").as_uri(),
    }
    kw = {"base_url": urls, "cache_dir": str(workdir / "cache"), "progress": False}
    end = DAY + dt.timedelta(hours=hours)
    sky = skymap("themis_asi", SITE, DAY, **kw)
    t0 = time.perf_counter()
    keogram(iter_frames("themis_asi", SITE, DAY, end, **kw), sky)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    keo = keogram(iter_frames("themis_asi", SITE, DAY, end, **kw), sky)
    warm = time.perf_counter() - t0
    peak = peak_rss_mb()
    hours_in = (keo["time"].values - keo["time"].values[0]) / np.timedelta64(1, "h")
    expected = sky.attrs["site_latitude"] + 2.5 - 1.5 * hours_in  # the arc leaves after ~4 h
    lats = keo["latitude"].values
    seen = (expected > lats.min() + 0.5) & (expected < lats.max() - 0.5)
    peak_lat = lats[np.nanargmax(np.nan_to_num(keo.values[seen], nan=0), axis=1)]
    print(
        json.dumps(
            {
                "frames": int(keo.sizes["time"]),
                "cold_s": cold,
                "warm_s": warm,
                "peak_mb": peak,
                "rows": keo["row"].values.tolist(),
                "cols": keo["col"].values.tolist(),
                "lat_error": float(np.max(np.abs(peak_lat - expected[seen]))),
                "frames_with_arc": int(seen.sum()),
            }
        )
    )  # fmt: skip


def baseline(
    images_root: Path, rows: np.ndarray, cols: np.ndarray, reader: str = "pycdfpp"
) -> tuple[float, int]:
    """The floor: reads of every file (pycdfpp, the fastest reader; or cdflib) with the
    times converted and the same fancy indexing as the keogram: seconds, frames."""
    t0, n = time.perf_counter(), 0
    for path in sorted(images_root.rglob("*.cdf")):
        if reader == "pycdfpp":
            import pycdfpp

            cdf = pycdfpp.load(str(path))
            frames = np.asarray(cdf[f"thg_asf_{SITE}"].values)[:, :, ::-1]
            pycdfpp.to_datetime64(cdf[f"thg_asf_{SITE}_epoch"])
        else:
            import cdflib

            cdf = cdflib.CDF(str(path))
            frames = cdf.varget(f"thg_asf_{SITE}")[:, :, ::-1]
            cdflib.cdfepoch.to_datetime(cdf.varget(f"thg_asf_{SITE}_epoch"))
        frames[:, rows, cols].astype(np.float32)
        n += frames.shape[0]
        del frames, cdf
    return time.perf_counter() - t0, n


def asilib_per_frame(workdir: Path, hours: int) -> tuple[str, float | None]:
    """asilib's keogram on the same frames, when asilib is importable: (text, seconds per frame)."""
    try:
        import asilib
    except ImportError:
        return "asilib (aurora-asi-lib) is not installed: comparison skipped", None
    import cdflib
    from asilib.asi.themis import _load_skymap  # asilib's own skymap reading (flip, lon wrap)

    sky_file = next((workdir / "ucalgary").rglob("*.sav"))
    sky = _load_skymap(sky_file)
    alt_index = int(np.flatnonzero(np.asarray(sky["FULL_MAP_ALTITUDE"]) / 1000 == 110)[0])
    paths = sorted((workdir / "berkeley").rglob("*.cdf"))
    starts = [DAY.replace(tzinfo=None) + dt.timedelta(hours=i) for i in range(len(paths))]

    def loader(path):
        """The frames as helioport reads them (the same uint16 values, fliplr'ed)."""
        cdf = cdflib.CDF(str(path))
        t = cdflib.cdfepoch.to_datetime(cdf.varget(f"thg_asf_{SITE}_epoch"))
        frames = cdf.varget(f"thg_asf_{SITE}")[:, :, ::-1]
        return np.array([x.astype("datetime64[us]").item() for x in t]), frames

    try:
        imager = asilib.Imager(
            file_info={
                "path": paths,
                "start_time": starts,
                "end_time": [t + dt.timedelta(hours=1) for t in starts],
                "loader": loader,
                "time_range": [starts[0], starts[0] + dt.timedelta(hours=hours)],
            },
            skymap={
                "lat": sky["FULL_MAP_LATITUDE"][alt_index],
                "lon": sky["FULL_MAP_LONGITUDE"][alt_index],
                "alt": 110,
                "el": sky["FULL_ELEVATION"],
                "az": sky["FULL_AZIMUTH"],
                "path": sky_file,
            },
            meta={
                "array": "THEMIS", "location": SITE.upper(),
                "lat": float(sky["SITE_MAP_LATITUDE"]), "lon": float(sky["SITE_MAP_LONGITUDE"]),
                "alt": float(sky["SITE_MAP_ALTITUDE"]) / 1e3, "cadence": 3, "resolution": (256, 256),
            },
        )  # fmt: skip
        t0 = time.perf_counter()
        keo = imager.keogram()
        if hasattr(keo, "keogram"):  # asilib >= 0.20 returns a Keogram object, built lazily
            keo = keo.keogram() if callable(keo.keogram) else keo.keogram
        seconds = time.perf_counter() - t0
        data = keo[-1] if isinstance(keo, tuple) else np.asarray(keo)
        n = data.shape[0]
        return f"asilib keogram: {seconds / n * 1e3:.3f} ms/frame ({n} frames)", seconds / n
    except Exception as exc:  # noqa: BLE001 - an optional comparison reports, it does not fail
        return (
            f"asilib is installed but its keogram could not run here: {type(exc).__name__}: {exc}",
            None,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=12)
    parser.add_argument("--frames", type=int, default=1200, help="frames per hourly file")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the archive here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.workdir, args.hours)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_keogram_") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        roots = generate(workdir, args.hours, args.frames)
        cmd = [sys.executable, __file__, "--child", "--workdir", str(workdir), "--hours",
               str(args.hours)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stdout, out.stderr, sep="\n")
            return 1
        res = json.loads(out.stdout.strip().splitlines()[-1])
        rows, cols = np.array(res["rows"]), np.array(res["cols"])
        base_s, base_n = baseline(roots["images"], rows, cols, "pycdfpp")
        cdflib_s, cdflib_n = baseline(roots["images"], rows, cols, "cdflib")
        n = res["frames"]
        print(f"keogram of {args.hours} h x {args.frames} frames: {n} frames")
        print(f"  first run (fills the cache): {res['cold_s']:.2f} s")
        print(f"  from the cache: {res['warm_s']:.2f} s = {res['warm_s'] / n * 1e3:.3f} ms/frame")
        print(f"  floor, pycdfpp read + indexing: {base_s / base_n * 1e3:.3f} ms/frame")
        print(f"  helioport / floor: {res['warm_s'] / n / (base_s / base_n):.2f}x")
        print(f"  cdflib read + indexing: {cdflib_s / cdflib_n * 1e3:.3f} ms/frame")
        print(f"  peak resident memory: {res['peak_mb']:.0f} MB (budget {BUDGET_MB:.0f} MB)")
        print(
            f"  arc latitude error: {res['lat_error']:.3f} deg over the "
            f"{res['frames_with_arc']} frames where the arc is in view"
        )
        text, asilib_s = asilib_per_frame(workdir, args.hours)
        print(f"  {text}")
        if asilib_s:
            print(f"  helioport / asilib: {res['warm_s'] / n / asilib_s:.2f}x (time per frame)")
        ok = n == args.hours * args.frames and res["frames_with_arc"] > 0
        ok = ok and res["lat_error"] < 0.3
        if not ok:
            print("FAILED: the keogram is wrong")
            return 1
        if res["peak_mb"] > BUDGET_MB:
            print("FAILED: peak memory above the budget")
            return 1
        print("keogram checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
