"""``helioport demo``: the real path end to end, offline, on a generated sample archive.

For every installed mission whose plugin can write a sample archive
(hook ``helioport_sample_archive``), the demo

1. writes the sample (real layout, names and variables) into a work folder;
2. serves it over HTTP on 127.0.0.1 with :class:`helioport.testing.ArchiveServer`;
3. loads the sample's request through that server into a fresh cache and
   reports what crossed the network (listings, downloads);
4. loads again: one conditional request, no download;
5. publishes a newer version of a file and loads again: the new version is used;
6. stops the server and loads offline from the cache;
7. writes a quick-look PNG and a NetCDF file and prints the Dataset.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .api import load
from .imaging import keogram, skymap
from .imaging.plot import fisheye, keogram_plot, map_plot
from .io import to_netcdf
from .naming import find_time_dim
from .plot import quicklook
from .registry import get_registry

__all__ = ["publish_new_version", "run_demo"]

_VERSION = re.compile(r"_[vV](\d+(?:\.\d+)*)(\.[A-Za-z0-9]+)$")


def publish_new_version(root: Path, in_use: set[str] | None = None) -> tuple[Path, Path] | None:
    """Copy a versioned file under ``root`` to the next version number.

    ``..._v01.cdf`` becomes ``..._v02.cdf``; ``..._v4.18.1.cdf`` becomes
    ``..._v4.18.2.cdf``. With ``in_use`` (names of the files a load used, so
    each the newest of its kind), one of those is bumped, so the next load
    must switch to the new file. Returns ``(old, new)`` or ``None`` when no
    file qualifies.
    """
    candidates = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and _VERSION.search(p.name) and (in_use is None or p.name in in_use)
    )
    if not candidates:
        return None
    old = candidates[0]
    m = _VERSION.search(old.name)
    parts = m.group(1).split(".")
    width = len(parts[-1])
    parts[-1] = str(int(parts[-1]) + 1).zfill(width)
    new = old.with_name(old.name[: m.start(1)] + ".".join(parts) + m.group(2))
    shutil.copy2(old, new)
    return old, new


def _traffic(server, since: int) -> str:
    entries = server.log[since:]
    listings = sum(1 for e in entries if e.path.endswith("/") or "file_info" in e.path)
    bodies = [
        e
        for e in entries
        if e.status == 200 and not e.path.endswith("/") and "file_info" not in e.path
    ]
    not_modified = sum(1 for e in entries if e.status == 304)
    size = sum(e.bytes_sent for e in bodies)
    return (
        f"{len(entries)} request(s): {listings} listing(s), {not_modified} answered 304, "
        f"{len(bodies)} file download(s) ({size / 1e6:.2f} MB)"
    )


def run_demo(workdir: str | None = None, missions: list[str] | None = None) -> int:
    """Run the demo; returns the exit status (0 when every step worked).

    Unknown missions are refused before anything is written; a demo that
    fails with an error removes the temporary work folder it made (a
    ``workdir`` given is kept).
    """
    reg = get_registry()
    names = missions or sorted(reg.missions())
    for mission in names:
        reg.mission(mission)  # an unknown mission fails here, listing the installed ones
    if workdir:
        base = Path(workdir)
        base.mkdir(parents=True, exist_ok=True)
        return _run(reg, names, base)
    base = Path(tempfile.mkdtemp(prefix="helioport-demo-"))
    try:
        return _run(reg, names, base)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)  # a failed demo leaves no temporary folder
        raise


def _run(reg, names: list[str], base: Path) -> int:
    """The demo's steps for ``names`` in the work folder ``base``; the exit status."""
    from .testing import ArchiveServer

    archive, cache, out = base / "archive", base / "cache", base / "output"
    for folder in (archive, cache):
        if folder.exists():
            shutil.rmtree(folder)
    out.mkdir(parents=True, exist_ok=True)
    print(f"helioport demo: work folder {base}")
    done = 0
    for mission in names:
        t0 = time.perf_counter()
        sample = reg.call(
            "helioport_sample_archive", mission, mission=mission, root=archive / mission
        )
        if sample is None:  # the plugin ships no sample archive
            continue
        print(
            f"\n[{mission}] sample archive written in {time.perf_counter() - t0:.1f} s: "
            f"{sum(1 for p in (archive / mission).rglob('*') if p.is_file())} file(s) in the real layout"
        )
        request, criteria = sample.load_kwargs(), sample.criteria
        with ArchiveServer(archive) as server:
            url = server.url_for(f"{mission}/")
            urls = sample.base_urls(
                lambda rel, m=mission: server.url_for(f"{m}/{rel}/".replace("//", "/"))
            )
            kw = dict(request, base_url=urls, cache_dir=str(cache))
            print(f"[{mission}] serving it at {url}")
            n = len(server.log)
            ds = load(mission, **kw)
            print(f"[{mission}] first load : {_traffic(server, n)}")
            sky = _imager_skymap(mission, ds, kw)
            n = len(server.log)
            ds = load(mission, **kw)
            print(f"[{mission}] second load: {_traffic(server, n)}")
            published = publish_new_version(archive / mission, _files_used(ds))
            if published:
                print(
                    f"[{mission}] server publishes {published[1].name} (newer than {published[0].name})"
                )
                n = len(server.log)
                ds = load(mission, **kw)
                print(f"[{mission}] third load : {_traffic(server, n)}")
                used = _files_used(ds)
                print(f"[{mission}] files used now: {', '.join(sorted(used))}")
                if published[1].name not in used or published[0].name in used:
                    print(f"[{mission}] FAILED: the load did not switch to {published[1].name}")
                    return 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = load(mission, **dict(kw, offline=True))
        print(
            f"[{mission}] server stopped; offline load from the cache: {len(ds.data_vars)} variable(s)"
        )
        for w in caught:
            print(f"[{mission}] (warned: {w.message})")
        png = out / f"{mission}_quicklook.png"
        nc = out / f"{mission}.nc"
        quicklook(ds, png)
        to_netcdf(ds, nc)
        print(f"[{mission}] wrote {png} and {nc}")
        print(ds)
        done += 1
        if criteria:
            _demo_events(mission, ds, out, criteria)
        if sky is not None:
            _demo_imaging(mission, ds, sky, out)
    if not done:
        print("no installed mission provides a sample archive; install helioport-omni")
        return 1
    print(f"\nhelioport demo: done ({done} mission(s)); outputs in {out}")
    return 0


def _files_used(ds) -> set[str]:
    """Names of the files behind a loaded Dataset (its variables' ``files`` attrs)."""
    return {
        f for name in ds.data_vars for f in str(ds[name].attrs.get("files", "")).split(", ") if f
    }


def _imager_skymap(mission: str, ds, load_kwargs: dict):
    """For an imager sample: the skymap of its site (through the same sources and cache)."""
    images = [v for v in ds.data_vars if ds[v].attrs.get("product") == "image"]
    if not images:
        return None
    da = ds[images[0]]
    first = da[find_time_dim(da)].values[0]
    kw = {k: v for k, v in load_kwargs.items() if k in ("base_url", "cache_dir")}
    return skymap(mission, da.attrs.get("probe"), first, **kw)


def _demo_imaging(mission: str, ds, sky, out: Path) -> None:
    """A keogram, a fisheye and a map plot of the imager sample."""
    da = next(ds[v] for v in ds.data_vars if ds[v].attrs.get("product") == "image")
    times = da[find_time_dim(da)].values
    keo = keogram(da, sky)
    paths = [out / f"{mission}_{name}.png" for name in ("keogram", "fisheye", "map")]
    keogram_plot(keo, path=paths[0])
    fisheye(da, sky, time=times[len(times) // 2], path=paths[1])
    map_plot(da, sky, time=times[len(times) // 2], path=paths[2])
    finite = int(np.isfinite(keo.values).any(axis=0).sum())
    print(
        f"[{mission}] skymap {Path(str(sky.attrs.get('file'))).name} (valid from "
        f"{sky.attrs.get('valid_from')}); keogram {keo.sizes[keo.dims[0]]} frames x {finite} "
        f"latitudes with data; wrote {', '.join(p.name for p in paths)}"
    )


def _demo_events(mission: str, ds, out: Path, criteria: str) -> None:
    """Search the loaded sample for events, when the event machinery is installed."""
    try:
        from .events import find_events, summary_plot
    except ImportError:  # pragma: no cover
        return
    catalog = find_events(ds, criteria, window="10min", step="5min")
    path = out / f"{mission}_events.txt"
    catalog.write(path)
    summary_plot(catalog, ds, path=out / f"{mission}_events.png")
    print(f"[{mission}] event search {criteria!r}: {len(catalog)} event(s) -> {path}")
