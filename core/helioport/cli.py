"""The ``helioport`` command line.

Every error, helioport's own or not (a folder that does not exist for ``-o``),
prints one line (``helioport: error: ...``, no traceback) and exits 2;
``--debug`` shows tracebacks and debug logging.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import HelioportError, InvalidRequestError, UnknownMissionError

__all__ = ["main"]


def _request_arguments(p: argparse.ArgumentParser) -> None:
    """What says which data to load: shared by ``load`` and ``events``."""
    p.add_argument("mission")
    p.add_argument("start", help="ISO time, e.g. 2010-01-01 or 2015-10-16T13:05:24")
    p.add_argument("end", help="ISO time (exclusive)")
    p.add_argument("--probes", nargs="+", metavar="PROBE")
    p.add_argument("--coords", help="coordinate system, e.g. gse, gsm")
    p.add_argument("--mode", help="data rate / resolution, e.g. 1min, hourly, brst")
    p.add_argument("--offline", action="store_true", default=None, help="use the local cache only")
    p.add_argument(
        "--base-url",
        help="mirror of the mission's archive (https://, file://, a folder, or s3://, gs://, az:// with helioport[s3]/[gcs]/[azure])",
    )
    p.add_argument(
        "--cache-dir", help="cache folder (default: HELIOPORT_CACHE_DIR or the user cache)"
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="plugin option, e.g. hourly_source=cdf (repeatable)",
    )


def _request_keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`helioport.load` keywords of :func:`_request_arguments` that were given."""
    kw = {
        "probes": args.probes,
        "coords": args.coords,
        "mode": args.mode,
        "offline": args.offline,
        "base_url": args.base_url,
        "cache_dir": args.cache_dir,
    }
    return {k: v for k, v in kw.items() if v is not None} | _options(args.option)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="helioport",
        description="Find, download, cache, load and search heliophysics mission data.",
    )
    p.add_argument("--version", action="version", version=f"helioport {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("missions", help="list the installed missions")

    sp = sub.add_parser("products", help="list a mission's products (stored L2 and derived L3)")
    sp.add_argument("mission")

    lp = sub.add_parser("load", help="load products and print, save (-o) or plot (--plot) them")
    _request_arguments(lp)
    lp.add_argument("-p", "--products", nargs="+", required=True, metavar="PRODUCT")
    lp.add_argument(
        "--version", dest="file_version", help="file version: latest, 4.18 (pinned), >=4.18"
    )
    lp.add_argument("-o", "--output", help="write to .nc (NetCDF) or .csv")
    lp.add_argument("--plot", help="write a quick-look PNG")

    fp = sub.add_parser(
        "fetch",
        help="download a request's files into the cache without loading them (resumable)",
        description="Pre-fill the cache (e.g. a cluster's shared storage) with every file a load "
        "of the same arguments reads. Interrupted? Run it again: complete files are kept.",
    )
    _request_arguments(fp)
    fp.add_argument("-p", "--products", nargs="+", required=True, metavar="PRODUCT")
    fp.add_argument(
        "--version", dest="file_version", help="file version: latest, 4.18 (pinned), >=4.18"
    )
    fp.add_argument("--max-files", type=int, help="allow a request of more files than max_files")
    fp.add_argument(
        "--no-progress", action="store_true", help="no progress bar (default: on a terminal)"
    )

    cp = sub.add_parser("cache", help="show or clear the local cache")
    cp.add_argument("action", choices=["info", "clear"])
    cp.add_argument("--mission", help="clear only this mission's files")
    cp.add_argument("--cache-dir")
    cp.add_argument("--yes", action="store_true", help="do not ask before clearing")

    dp = sub.add_parser("demo", help="run the whole path offline on a built-in sample archive")
    dp.add_argument("--workdir", help="keep the sample archive, cache and outputs here")
    dp.add_argument(
        "--mission", action="append", help="only these missions (default: every installed one)"
    )

    kp = sub.add_parser(
        "catalog", help="show the Intake catalog (mission -> products) or write it as YAML (-o)"
    )
    kp.add_argument("mission", nargs="?", help="only this mission (default: every installed one)")
    kp.add_argument("-o", "--output", help="write the intake 2 catalog to this YAML file")

    ep = sub.add_parser(
        "events", help="search a mission's data for events (writes a catalog and a plot)"
    )
    _request_arguments(ep)
    ep.add_argument(
        "--criteria",
        required=True,
        help='expression on products, e.g. "dc_mag_tot < 5 and abs(i_bulkv_x) > 400"',
    )
    ep.add_argument(
        "--window", default="120s", help="window length, e.g. 120s, 10min (default 120s)"
    )
    ep.add_argument("--step", default="60s", help="window spacing (default 60s)")
    ep.add_argument(
        "--sample-freq", type=float, help="common sampling frequency in Hz (default: coarsest)"
    )
    ep.add_argument(
        "--require",
        default="any",
        help="a window counts when the criterion holds: any, all, or a fraction such as 0.5",
    )
    ep.add_argument("--merge-gap", default="0s", help="merge events closer than this (default 0s)")
    ep.add_argument(
        "--min-duration", default="0s", help="drop events shorter than this (default 0s)"
    )
    ep.add_argument(
        "--chunk",
        default="auto",
        help="load the range in pieces of this length, e.g. 30D (default auto: ~200000 samples)",
    )
    ep.add_argument(
        "-o", "--output", help="catalog file: .txt (AIDApy), .csv, .json, .xml/.vot (VOTable)"
    )
    ep.add_argument("--plot", help="summary plot PNG")
    pp = sub.add_parser("plugin", help="plugin author's tools: 'plugin new NAME' scaffolds one")
    pp.add_argument("action", choices=["new"])
    pp.add_argument("name", help="the new mission's name, e.g. solar_probe")
    pp.add_argument("--dest", default=".", help="folder receiving helioport-NAME/ (default .)")
    return p


def _options(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise HelioportError(f"--option {pair!r} must look like KEY=VALUE")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _cmd_missions(args) -> int:
    from .registry import get_registry

    reg = get_registry()
    for name, spec in sorted(reg.missions().items()):
        probes = f" probes: {', '.join(spec.probes)}" if spec.probes else ""
        print(f"{name:<12} {spec.title} ({spec.distribution}){probes}")
    if not reg.missions():
        print("no mission installed; install a plugin, e.g. pip install helioport-omni")
    for name, err in reg.broken.items():
        print(f"(plugin {name} failed to load: {err})")
    return 0


def _cmd_products(args) -> int:
    from .api import mission_info, products

    spec = mission_info(args.mission)
    print(
        f"{spec.name}: modes {', '.join(spec.modes)} (default {spec.default_mode}); "
        f"coords {', '.join(spec.coords) or '-'}; probes {', '.join(spec.probes) or '-'}"
    )
    for p in products(args.mission):
        extra = f" from {', '.join(p.inputs)}" if p.inputs else ""
        modes = f" [{', '.join(p.modes)}]" if p.modes is not None and p.modes != spec.modes else ""
        print(
            f"  {p.name:<20} {p.level} {p.kind:<12} {p.units or '-':<18} {p.description}{extra}{modes}"
        )
    return 0


def _cmd_load(args) -> int:
    from .api import load

    ds = load(
        args.mission,
        args.start,
        args.end,
        products=args.products,
        version=args.file_version,
        **_request_keywords(args),
    )
    if args.output:
        from .io import write

        print(f"wrote {write(ds, args.output)}")
    if args.plot:
        from .plot import quicklook

        quicklook(ds, args.plot)
        print(f"wrote {args.plot}")
    if not args.output and not args.plot:
        print(ds)
    return 0


def _cmd_fetch(args) -> int:
    from .prefetch import prefetch

    kw = _request_keywords(args)
    if kw.pop("offline", None):
        raise InvalidRequestError("fetch downloads files: it cannot run with --offline")
    summary = prefetch(
        args.mission,
        args.start,
        args.end,
        products=args.products,
        version=args.file_version,
        max_files=args.max_files,
        progress=False if args.no_progress else None,
        **kw,
    )
    print(summary)
    return 0 if summary.ok else 1


def _cmd_cache(args) -> int:
    from .config import Config
    from .transport import Transport

    cfg = Config.load(cache_dir=args.cache_dir)
    t = Transport(cfg)
    if args.mission is not None:
        _check_cached_mission(args.mission, t.cache_info()["missions"])
    if args.action == "info":
        info = t.cache_info()
        for k, v in info.items():
            print(f"{k}: {v}")
        return 0
    target = (
        f"the {args.mission} files in {cfg.cache_dir}"
        if args.mission
        else f"everything in {cfg.cache_dir}"
    )
    if not args.yes:
        if not sys.stdin.isatty():
            raise HelioportError(f"refusing to delete {target} without --yes (no terminal to ask)")
        if input(f"delete {target}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 0
    removed = t.clear(args.mission)
    print(f"removed {removed / 1e6:.1f} MB from {cfg.cache_dir}")
    return 0


def _check_cached_mission(mission: str, cached: dict[str, Any]) -> None:
    """Refuse ``--mission`` naming neither an installed mission nor one with cached files."""
    from .registry import get_registry

    installed = sorted(get_registry().missions())
    if mission in installed or mission in cached:
        return
    raise UnknownMissionError(
        f"no mission {mission!r}: installed missions are {', '.join(installed) or 'none'}; "
        f"missions with cached files: {', '.join(sorted(cached)) or 'none'}"
    )


def _require(text: str) -> str | float:
    """``--require``: ``any``, ``all`` or a fraction in (0, 1]."""
    if text in ("any", "all"):
        return text
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise InvalidRequestError(
            f"--require {text!r} is not understood: use any, all, or a fraction in (0, 1] such "
            "as 0.5 (the share of a window's samples where the criterion must hold)"
        )
    return value


def _cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(workdir=args.workdir, missions=args.mission)


def _cmd_events(args) -> int:
    from .events import find_events, parse_criteria, summary_plot

    parse_criteria(args.criteria)  # a bad expression fails before anything is loaded
    require = _require(args.require)
    catalog = find_events(
        {"mission": args.mission, "start": args.start, "end": args.end, **_request_keywords(args)},
        args.criteria,
        window=args.window,
        step=args.step,
        sample_freq=args.sample_freq,
        mode=require,
        merge_gap=args.merge_gap,
        min_duration=args.min_duration,
        chunk=args.chunk,
    )
    print(f"{len(catalog)} event(s) where {catalog.settings['criteria']}")
    for ev in catalog:
        probe = f"  {ev.probe}" if ev.probe else ""
        print(f"  {ev.start.isoformat()}  {ev.stop.isoformat()}{probe}")
    if args.output:
        print(f"wrote {catalog.write(args.output)}")
    if args.plot:
        from .api import load

        data = load(
            args.mission,
            args.start,
            args.end,
            products=catalog.provenance["products"],
            **_request_keywords(args),
        )
        summary_plot(catalog, data, path=args.plot)
        print(f"wrote {args.plot}")
    return 0


def _cmd_catalog(args) -> int:
    from .intake import catalog, to_yaml, tree

    cat = catalog(missions=[args.mission] if args.mission else None)
    if len(cat):
        print(tree(cat))
    else:
        print("no mission installed; install a plugin, e.g. pip install helioport-omni")
    if args.output:
        print(f"wrote {to_yaml(args.output, cat)}")
    return 0


_COMMANDS = {
    "missions": _cmd_missions,
    "products": _cmd_products,
    "load": _cmd_load,
    "fetch": _cmd_fetch,
    "cache": _cmd_cache,
    "demo": _cmd_demo,
    "events": _cmd_events,
    "catalog": _cmd_catalog,
    "plugin": lambda args: __import__("helioport.scaffold").scaffold.run_new(args.name, args.dest),
}


#: how messages written for the Python API name a setting, and the command line's way
_FLAGS = (
    (re.compile(r"--offline, offline=True(?: or HELIOPORT_OFFLINE=1)?"), "--offline"),
    (re.compile(r"unset HELIOPORT_OFFLINE / offline=True"), "drop --offline"),
    (re.compile(r"offline=True(?: or HELIOPORT_OFFLINE=1)?"), "--offline"),
    (re.compile(r"\(offline=False(?:, --offline not given)?\)"), "(without --offline)"),
    (re.compile(r"offline=False"), "no --offline"),
    (re.compile(r"base_url= / --base-url|base_url="), "--base-url"),
    (re.compile(r"\(version=\.\.\.\)"), "(--version ...)"),
    (re.compile(r"\bversion=(?='|\.\.\.)"), "--version "),
    (re.compile(r"cache_dir \(HELIOPORT_CACHE_DIR\)"), "--cache-dir (or HELIOPORT_CACHE_DIR)"),
)


def cli_words(text: str) -> str:
    """A message written for the Python API with the command line's flags for its keywords
    (``offline=True`` -> ``--offline``, ``base_url=`` -> ``--base-url``...).

    Examples
    --------
    >>> cli_words("go offline (--offline, offline=True or HELIOPORT_OFFLINE=1)")
    'go offline (--offline)'
    >>> cli_words("Go online (offline=False) to check.")
    'Go online (without --offline) to check.'
    """
    for pattern, flag in _FLAGS:
        text = pattern.sub(flag, text)
    return text


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line, like errors (``--debug`` shows where they came from)."""
    print(f"helioport: warning: {cli_words(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        with warnings.catch_warnings():  # restored on return: the CLI's own way of showing them
            if not args.debug:
                warnings.showwarning = _show_warning
            return _COMMANDS[args.command](args)
    except HelioportError as exc:
        if args.debug:
            raise
        print(f"helioport: error: {cli_words(' '.join(str(exc).split()))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("helioport: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"helioport: error: {_describe(exc)} (--debug shows the traceback)", file=sys.stderr)
        return 2


def _describe(exc: BaseException) -> str:
    """An unexpected failure in one line: a file system error names its path."""
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or type(exc).__name__
        return f"cannot write or read {exc.filename}: {reason}"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
