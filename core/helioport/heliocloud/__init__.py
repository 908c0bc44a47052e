"""The HelioCloud source: CDAWeb's data tree in the GSFC bucket, found through its CloudCatalog.

The GSFC HelioCloud bucket (``s3://gov-nasa-hdrl-data1/``, replaceable by
``HELIOPORT_HELIOCLOUD_URL``: another bucket, an ``https://`` server or a
folder laid out like the bucket) keeps a copy of CDAWeb's data tree under
``cdaweb/``. Following the CloudCatalog specification of the heliocloud-data
project, the bucket root holds ``catalog.json``, whose ``catalog`` list names
each dataset (``id``, ``index``, ``start``, ``stop``, ``modification``,
``indextype``, ``filetype``, optional ``status``), and each dataset's
``index`` folder holds one registry per year, ``<id>_YYYY.csv``, whose rows
are ``start, stop, datakey, filesize`` (absolute ``s3://`` keys; an optional
header line starting with ``#``).

Files are found through those registries only: one small read per year of
the request, never an object listing. Dataset IDs are CDAWeb's, matched
case-insensitively (``OMNI_HRO_1MIN``, ``MMS1_FGM_SRVY_L2``, ``C1_CP_FGM_SPIN``).

Caching and staleness. ``catalog.json`` and the registries are fetched as
cache files through :meth:`ArchiveContext.fetch
<helioport.transport.context.ArchiveContext.fetch>` (not
``read_bytes``), so every protocol (``s3://``, ``https://``, a folder) gets
the same ETag revalidation, the same stale-if-error fallback and the same
offline use of the cached copy. The catalog is revalidated on every call
(one conditional request); a registry and the data files carry the dataset's
``modification`` as their listing time, so while the catalog states the same
``modification`` for the dataset they are used from the cache without any
request, and when it changes they are all revalidated.

Missing years. A year whose registry does not exist (404, no such object or
file) has no files, and the cache remembers it for offline loads; any other
failure to read a registry (refused, broken, unreachable with nothing cached)
is an error, and offline a year in range whose registry is not cached is an
:class:`~helioport.errors.OfflineError` naming the years: a load never leaves a
year out silently.

Mirrors. A ``datakey`` (or ``index``) under the configured base URL is used
as it is; one on another bucket (the registries name the GSFC bucket) is
re-rooted onto the configured base, keeping its path below the bucket, so a
copy of the bucket anywhere works with the registries unchanged.

The documents themselves are parsed by :mod:`helioport.heliocloud.cloudcatalog`.

Examples
--------
>>> files = find_files(ctx, "OMNI_HRO_1MIN", start, end)  # doctest: +SKIP
>>> files[0].relpath  # doctest: +SKIP
'heliocloud/cdaweb/omni/omni_cdaweb/hro_1min/2010/omni_hro_1min_20100101_v01.cdf'
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..errors import DataNotFoundError, DownloadError, OfflineError
from ..schema import RemoteFile, SourceSpec
from ..transport.retry import failure
from .cloudcatalog import Catalog, Entry, Row, parse_catalog, parse_registry, parse_time

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ..transport.context import ArchiveContext

__all__ = [
    "CATALOG",
    "KEY",
    "SOURCE",
    "Catalog",
    "Entry",
    "Row",
    "find_files",
    "parse_catalog",
    "parse_registry",
    "parse_time",
    "read_catalog",
]

log = logging.getLogger(__name__)
UTC = dt.timezone.utc

#: the source key (``source="heliocloud"``, ``[urls] heliocloud``, ``HELIOPORT_HELIOCLOUD_URL``)
KEY = "heliocloud"
#: the catalog's name at the bucket root
CATALOG = "catalog.json"
SOURCE = SourceSpec(
    key=KEY,
    url="s3://gov-nasa-hdrl-data1/",
    env="HELIOPORT_HELIOCLOUD_URL",
    description="GSFC HelioCloud bucket: CDAWeb's data tree under cdaweb/, found through "
    "catalog.json and <id>_YYYY.csv registries (CloudCatalog)",
)
#: a version in a file name: ``_v01.cdf``, ``_v4.18.1.cdf``
_VERSION = re.compile(r"_v(\d+(?:\.\d+)*)(?=\.[A-Za-z][^/]*$|$)")


@functools.lru_cache(maxsize=8)
def _catalog_from(path: str, size: int, mtime_ns: int, url: str) -> Catalog:
    """The parsed catalog file (memoised on its size and time: a load asks once per product)."""
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise DownloadError(
            f"the HelioCloud catalog {url} cannot be read ({exc}); it is not valid JSON"
        ) from None
    return parse_catalog(data, url)


@functools.lru_cache(maxsize=64)
def _registry_from(path: str, size: int, mtime_ns: int, url: str) -> tuple[Row, ...]:
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    return tuple(parse_registry(text, url))


def _rooted(ctx: ArchiveContext, key: str, base: str) -> tuple[str, str]:
    """(URL to fetch, path below the bucket) of a ``datakey`` or ``index``.

    Under ``base``: as it is. On another bucket or server: re-rooted onto
    ``base``. Without a scheme: relative to ``base``.
    """
    if key.startswith(base):
        return key, key[len(base) :]
    if "://" in key:
        path = key.split("://", 1)[1].partition("/")[2]
    else:
        path = key[2:] if key.startswith("./") else key.lstrip("/")
    url = ctx.join(base, path)
    return (url + "/" if key.endswith("/") and not url.endswith("/") else url), path


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _cache_relpath(path: str) -> str:
    return f"{KEY}/{path.strip('/')}"


def read_catalog(ctx: ArchiveContext) -> Catalog:
    """``catalog.json`` at the HelioCloud base, fetched into the cache (revalidated by ETag).

    Raises
    ------
    OfflineError
        Offline and the catalog was never cached.
    DownloadError
        It cannot be fetched (nothing cached) or is not a CloudCatalog.
    """
    base = ctx.base_url(KEY)
    url = ctx.join(base, CATALOG)
    remote = RemoteFile(
        url=url, relpath=_cache_relpath(CATALOG), mission=ctx.mission.name, source=KEY
    )
    try:
        path = ctx.fetch_once(remote)
    except OfflineError as exc:
        raise OfflineError(
            f"offline mode is on and the HelioCloud catalog ({url}) is not cached: {exc}"
        ) from None
    except DownloadError as exc:
        raise failure(
            type(exc),
            f"the HelioCloud catalog {url} could not be fetched: {exc}. Check "
            "HELIOPORT_HELIOCLOUD_URL (the bucket, server or folder holding catalog.json), "
            "or use the mission's own archive (source= option)",
            transient=getattr(exc, "transient", False),
            last=getattr(exc, "last", None),
        ) from exc
    st = path.stat()
    return _catalog_from(str(path), st.st_size, st.st_mtime_ns, url)


def _years(entry: Entry, start: dt.datetime, end: dt.datetime) -> range:
    """The registry years to read for ``[start, end)``, clipped to the dataset's span."""
    first = entry.start.year if entry.multiyear and entry.start else start.year
    last = (end - dt.timedelta(microseconds=1)).year
    if entry.start is not None:
        first = max(first, entry.start.year)
    if entry.stop is not None:
        last = min(last, entry.stop.year)
    return range(first, last + 1)


def _registry(
    ctx: ArchiveContext, entry: Entry, index: tuple[str, str], year: int
) -> tuple[Row, ...] | None:
    """The rows of ``entry``'s registry of ``year``; ``None`` when the store has none.

    Only "does not exist" (404, no such object or file) is an absence; it is
    remembered in the cache (``.<registry>.absent``) so that offline loads know
    the year has no files. A refusal, a broken answer or an offline cache
    without the registry raise.
    """
    name = f"{entry.id}_{year}.csv"
    remote = RemoteFile(
        url=ctx.join(index[0], name),
        relpath=_cache_relpath(f"{index[1].strip('/')}/{name}"),
        mission=ctx.mission.name,
        mtime=entry.modification,
        source=KEY,
    )
    marker = ctx.cache_path(remote).with_name(f".{name}.absent")  # hidden: no cache walk sees it
    if ctx.offline and marker.exists() and not ctx.cache_path(remote).exists():
        return None
    try:
        path = ctx.fetch_once(remote)
    except DownloadError as exc:
        if isinstance(exc, OfflineError) or not getattr(exc, "missing", False):
            raise
        log.info("HelioCloud %s: no registry for %d (%s)", entry.id, year, exc)
        _remember_absent(marker)
        return None
    marker.unlink(missing_ok=True)
    st = path.stat()
    return _registry_from(str(path), st.st_size, st.st_mtime_ns, remote.url)


def _remember_absent(marker: Path) -> None:
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError as exc:  # a read-only cache: offline loads of this year will ask to go online
        log.info("cannot note %s: %s", marker, exc)


def _span(years: list[int]) -> str:
    """``[2009, 2010, 2012]`` as ``'2009, 2010, 2012'``; a run as ``'2009-2012'``."""
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def _rows(ctx: ArchiveContext, entry: Entry, years: range) -> list[Row]:
    """The rows of the registries of ``years``; a year without a registry has no files.

    Raises
    ------
    OfflineError
        Offline, and the registry of a year in range is not cached (the years named).
    DataNotFoundError
        No year in range has a registry.
    DownloadError
        A registry cannot be fetched (refused, broken, unreachable with nothing cached).
    """
    index = _rooted(
        ctx, entry.index if entry.index.endswith("/") else entry.index + "/", ctx.base_url(KEY)
    )
    rows: list[Row] = []
    absent: list[int] = []
    uncached: list[int] = []
    for year in years:
        try:
            found = _registry(ctx, entry, index, year)
        except OfflineError:
            uncached.append(year)
            continue
        if found is None:
            absent.append(year)
        else:
            rows += found
    if uncached:
        raise OfflineError(
            f"offline mode is on and the registry of HelioCloud dataset {entry.id} for "
            f"{_span(uncached)} is not cached (asked: {_span(list(years))}); go online once for "
            "this range (offline=False or unset HELIOPORT_OFFLINE), or ask for cached years only"
        )
    if years and len(absent) == len(years):
        raise DataNotFoundError(
            f"HelioCloud has no registry of {entry.id} for {_span(absent)} below {index[0]}; "
            "the dataset has no files there, or the registries are missing: try the "
            "mission's own archive (source= option)"
        )
    return rows


def _remote(ctx: ArchiveContext, row: Row, entry: Entry, base: str) -> RemoteFile | None:
    url, path = _rooted(ctx, row.datakey, base)
    relpath = _cache_relpath(path)
    m = None
    for m in _VERSION.finditer(relpath):
        pass
    version = m.group(1) if m else None
    key = relpath[: m.start(1)] + relpath[m.end(1) :] if m else relpath
    try:
        return RemoteFile(
            url=url,
            relpath=relpath,
            mission=ctx.mission.name,
            key=key,
            version=version,
            start=row.start,
            end=row.stop,
            size=row.filesize,
            mtime=entry.modification,
            source=KEY,
        )
    except ValidationError:
        log.warning("HelioCloud %s: datakey %r is not a safe path; skipped", entry.id, row.datakey)
        return None


def find_files(
    ctx: ArchiveContext, dataset: str, start: dt.datetime, end: dt.datetime
) -> list[RemoteFile]:
    """Every file of CDAWeb dataset ``dataset`` in HelioCloud that overlaps ``[start, end)``.

    Reads ``catalog.json`` and the registries of the years in range (clipped
    to the dataset's ``start``/``stop``); rows are kept when ``stop >= start``
    and ``start < end`` (a registry's ``stop`` is the file's last time).

    Parameters
    ----------
    ctx
        The mission's :class:`~helioport.transport.context.ArchiveContext`;
        the mission must declare :data:`SOURCE`.
    dataset
        The CDAWeb dataset ID (any case).
    start, end
        The range (UTC; naive times are taken as UTC).

    Returns
    -------
    list of RemoteFile
        ``relpath`` ``heliocloud/<path below the bucket>``, ``key`` the relpath
        without its version, ``version`` from ``_v<digits.dots>``, ``start``/``end``
        and ``size`` from the registry, ``mtime`` the dataset's ``modification``.

    Raises
    ------
    DataNotFoundError
        Unknown dataset (close IDs listed), or no registry in range at all.
    DownloadError
        The catalog cannot be read, or marks the dataset unavailable.
    OfflineError
        Offline, and the catalog or a registry in range is not cached.

    Examples
    --------
    >>> [f.name for f in find_files(ctx, "omni_hro_1min", start, end)]  # doctest: +SKIP
    ['omni_hro_1min_20100101_v01.cdf']
    """
    start, end = _utc(start), _utc(end)
    catalog = read_catalog(ctx)
    entry = catalog.lookup(dataset)
    if entry.unavailable:
        raise DownloadError(
            f"HelioCloud marks dataset {entry.id} as {entry.status!r} in {catalog.url}; try "
            "again later, or use the mission's own archive (source= option)"
        )
    if entry.indextype != "csv":
        raise DownloadError(
            f"HelioCloud dataset {entry.id} has {entry.indextype!r} registries; helioport "
            "reads 'csv' registries: use the mission's own archive (source= option)"
        )
    if (entry.stop is not None and start > entry.stop) or (
        entry.start is not None and end <= entry.start
    ):
        log.info("HelioCloud %s: the request is outside %s..%s", entry.id, entry.start, entry.stop)
        return []
    base = ctx.base_url(KEY)
    files = []
    for row in _rows(ctx, entry, _years(entry, start, end)):
        if row.stop >= start and row.start < end:
            remote = _remote(ctx, row, entry, base)
            if remote is not None:
                files.append(remote)
    log.debug("HelioCloud %s: %d file(s) in range", entry.id, len(files))
    return files
