"""Bulk downloads: fill the cache for a request without reading anything.

:func:`prefetch` takes the first steps of the request lifecycle (plan, find:
one listing per archive folder or API query, cached) and brings every file
into the cache through the transport: at most ``max_workers`` downloads at a
time and ``per_host`` per server (settings of :class:`~helioport.config.Config`),
each atomic (a ``.part`` file renamed when complete and verified). So an
interrupted prefetch is resumed by running it again: complete files are kept
(``reused``), partial ones are downloaded again. It returns a
:class:`PrefetchSummary` of the files fetched, reused and failed; one file
failing does not stop the others.

``helioport fetch MISSION START END -p PRODUCT...`` is the command line of
it, with a progress bar: the way to pre-fill the shared cache a
``dask.distributed`` cluster's workers read lazy loads from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from .api import prepare
from .errors import HelioportError
from .lifecycle.fetch import unique_files
from .lifecycle.find import find_files
from .lifecycle.plan import make_plan
from .registry import Registry
from .transport import Transport

logger = logging.getLogger(__name__)

__all__ = ["PrefetchSummary", "prefetch"]

#: LocalFile actions that mean "the cached copy was used" (no body downloaded)
_REUSED = ("cached", "revalidated", "stale")


@dataclass
class PrefetchSummary:
    """What :func:`prefetch` did.

    Attributes
    ----------
    fetched : names of the files downloaded (new, or replacing a changed file).
    reused : names of the files already complete in the cache.
    failed : ``{name: reason}`` of the files that could not be fetched.
    bytes : bytes of the files fetched.
    cache : the cache folder.
    """

    fetched: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    bytes: int = 0
    cache: str = ""

    @property
    def ok(self) -> bool:
        """Every file is in the cache."""
        return not self.failed

    def __str__(self) -> str:
        total = len(self.fetched) + len(self.reused) + len(self.failed)
        text = (
            f"{total} files: {len(self.fetched)} fetched ({self.bytes / 1e6:.1f} MB), "
            f"{len(self.reused)} reused, {len(self.failed)} failed; cache {self.cache}"
        )
        if self.failed:
            name, why = next(iter(self.failed.items()))
            text += f". First failure: {name}: {why}. Run the same command again to retry them"
        return text


def prefetch(
    mission: str,
    start: Any,
    end: Any,
    products: Iterable[str] | str | None = None,
    probes: Iterable[str] | str | None = None,
    mode: str | None = None,
    *,
    coords: str | None = None,
    version: str | None = None,
    base_url: str | Mapping[str, str] | None = None,
    cache_dir: str | None = None,
    max_files: int | None = None,
    progress: bool | None = None,
    registry: Registry | None = None,
    **options: Any,
) -> PrefetchSummary:
    """Download every file a :func:`helioport.load` of the same arguments would read.

    Parameters
    ----------
    mission, start, end, products, probes, mode, coords, version, base_url, cache_dir, max_files
        As for :func:`helioport.load` (derived products bring their inputs' files).
    progress
        A tqdm progress bar over the files (``None``: on a terminal only).
    **options
        Plugin-specific options.

    Returns
    -------
    PrefetchSummary
        Files fetched, reused (already complete in the cache) and failed.

    Raises
    ------
    HelioportError
        The request is not valid, or the archive cannot be listed (nothing is
        downloaded then). Failures of single files are in the summary instead.

    Examples
    --------
    >>> s = prefetch("omni", "1995-01-01", "2025-01-01", "dc_mag", mode="1min")  # doctest: +SKIP
    >>> print(s)  # doctest: +SKIP
    360 files: 12 fetched (127.3 MB), 348 reused, 0 failed; cache /home/me/.cache/helioport
    """
    reg, spec, cfg, derivs, request = prepare(
        mission,
        start,
        end,
        products,
        probes,
        coords,
        mode,
        offline=False,
        version=version,
        base_url=base_url,
        cache_dir=cache_dir,
        progress=False,  # one bar over the files here, not one per file
        max_files=max_files,
        registry=registry,
        options=options,
    )
    plan = make_plan(spec, derivs, request)
    transport = Transport(cfg)
    found = find_files(reg, plan, transport.context(spec, offline=False))
    unique, candidates = unique_files(found)
    summary = PrefetchSummary(cache=str(cfg.cache_dir))
    bar = _bar(len(unique), spec.name, progress)
    try:
        with ThreadPoolExecutor(max(1, cfg.max_workers), "helioport-prefetch") as pool:
            futures = {
                pool.submit(
                    transport.fetch, [r], offline=False, candidates=list(candidates.values())
                ): r
                for r in unique.values()
            }
            for fut in as_completed(futures):
                r = futures[fut]
                try:
                    lf = fut.result()[0]
                except HelioportError as exc:
                    summary.failed[r.name] = " ".join(str(exc).split())
                    logger.warning("prefetch: %s failed: %s", r.name, exc)
                else:
                    if lf.action in _REUSED:
                        summary.reused.append(r.name)
                    else:
                        summary.fetched.append(r.name)
                        summary.bytes += sum(p.stat().st_size for p in lf.paths if p.is_file())
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(
                        fetched=len(summary.fetched),
                        reused=len(summary.reused),
                        failed=len(summary.failed),
                        refresh=False,
                    )
    finally:
        if bar is not None:
            bar.close()
    for names in (summary.fetched, summary.reused):
        names.sort()
    return summary


def _bar(total: int, mission: str, progress: bool | None) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(
        total=total,
        unit="file",
        desc=f"helioport fetch {mission}",
        disable=None if progress is None else not progress,
    )
