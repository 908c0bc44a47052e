"""Finding MMS files: the LASP SDC API or the SPDF directory tree, as RemoteFiles.

Source choice (:func:`choose_source`): the request option ``source="sdc"``,
``"spdf"`` or ``"heliocloud"`` wins; otherwise a mirror configured for the SPDF tree (source key
``mms``: ``HELIOPORT_MMS_URL``, the config file's ``[urls] mms``, or
``base_url=`` in :func:`helioport.load`) makes the SPDF tree the source;
otherwise the SDC API (key ``mms_sdc``, ``HELIOPORT_MMS_SDC_URL``).

- **SDC**: one ``file_info/science`` query per dataset (probe, instrument,
  rate, level, descriptor) over the whole range, with sizes; files are fetched
  with ``download/science?file=NAME``. A local-folder (or ``file://``) SDC
  mirror is read as a tree in the SPDF layout, the layout the SDC's clients
  store files in.
- **SPDF**: the month folders (burst: day folders) are listed.
- **HelioCloud**: the yearly registries of the dataset's CDAWeb ID
  (``MMS1_FGM_SRVY_L2``, ``MMS1_FPI_FAST_L2_DIS-MOMS``) are read, no listing
  (:func:`helioport.heliocloud.find_files`); files are cached under ``heliocloud/``.

All start one day before the request, so that a burst interval (or a file)
that starts before the requested start, even before midnight of the first day,
is found; files are kept when their span (:func:`helioport_mms.names.file_spans`)
overlaps the request. Every version is returned; the core picks one per key.
Offline, an SDC answer that was never cached falls back on the cache folders.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from helioport import heliocloud
from helioport.errors import DownloadError, OfflineError
from helioport.schema import RemoteFile, Request
from helioport.templates import existing_folders
from helioport.times import parse_duration
from helioport.transport import ArchiveContext

from . import products
from .auth import team_base_url
from .names import MAX_BURST, Dataset, file_spans, parse_name

__all__ = [
    "LOOKBACK",
    "Listed",
    "choose_source",
    "dataset_for",
    "find_files",
    "list_heliocloud",
    "list_sdc",
    "list_spdf",
    "max_burst",
]

log = logging.getLogger(__name__)

#: How far before the requested start the listing begins.
LOOKBACK = dt.timedelta(days=1)
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Listed:
    """A file as a listing shows it (before its name is parsed); ``relpath`` its cache path
    when not the SPDF layout's."""

    name: str
    url: str
    size: int | None
    mtime: dt.datetime | None
    source: str
    relpath: str | None = None


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def choose_source(request: Request, ctx: ArchiveContext) -> str:
    """``"sdc"``, ``"spdf"`` or ``"heliocloud"`` for this request (see the module docstring).

    The core has checked the option against its declared choices.

    Examples
    --------
    >>> choose_source(request_with(source="spdf"), ctx)  # doctest: +SKIP
    'spdf'
    """
    opt = request.options.get("source")
    if opt is not None:
        return str(opt).lower()
    return "spdf" if "mms" in ctx.config.urls else "sdc"


def dataset_for(request: Request, product: str, probe: str) -> Dataset:
    """The :class:`Dataset` holding ``product`` for ``probe`` in the request's mode.

    ``sc_pos`` with the option ``positions="fgm"`` is in the FGM dataset ``dc_mag`` reads.
    """
    if product == "sc_pos" and products.position_source(request) == "fgm":
        product = "dc_mag"
    prod = products.BY_NAME[product]
    return Dataset(
        probe,
        prod.instrument,
        products.archive_rate(prod, request.mode),
        "l2",
        products.descriptor(prod, request),
    )


def list_spdf(
    ctx: ArchiveContext, base: str, ds: Dataset, start: dt.datetime, end: dt.datetime, source: str
) -> list[Listed]:
    """The dataset's files in the folders of ``[start, end)`` below ``base`` (SPDF layout).

    Over a long range only the folders that exist are listed (the core's
    :func:`~helioport.templates.existing_folders`: years, then months, then days).
    """
    out: list[Listed] = []
    prefix = ds.prefix
    folders = list(_folders(ds, start, end, start.utcoffset(), end.utcoffset()))
    for folder in existing_folders(ctx, base, folders, what=f"{prefix} files"):
        for e in ctx.list_dir(_folder_url(base, folder)):
            if not e.is_dir and e.name.startswith(prefix) and e.name.endswith(".cdf"):
                out.append(Listed(e.name, e.url, e.size, e.mtime, source))
    return out


@functools.lru_cache(maxsize=256)
def _folders(
    ds: Dataset, start: dt.datetime, end: dt.datetime, *offsets: dt.timedelta | None
) -> tuple[str, ...]:
    """:meth:`Dataset.folders`, worked out once for the same arguments (a warm load asks
    again). The times' UTC ``offsets`` are part of the key: equal instants in other time
    zones fall on other dates."""
    return tuple(ds.folders(start, end))


@functools.lru_cache(maxsize=1024)
def _folder_url(base: str, folder: str) -> str:
    """The URL of ``folder`` below ``base`` (:meth:`ArchiveContext.join`, a pure function)."""
    return ArchiveContext.join(base, folder + "/")


def list_heliocloud(
    ctx: ArchiveContext, ds: Dataset, start: dt.datetime, end: dt.datetime
) -> list[Listed]:
    """The dataset's files overlapping ``[start, end)`` from its HelioCloud registries.

    The CDAWeb ID is the upper-cased logical source (``MMS1_FGM_SRVY_L2``).
    """
    found = heliocloud.find_files(ctx, ds.logical_source.upper(), start, end)
    return [
        Listed(f.name, f.url, f.size, f.mtime, heliocloud.KEY, relpath=f.relpath)
        for f in found
        if f.name.startswith(ds.prefix)
    ]


def _mtime(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def list_sdc(
    ctx: ArchiveContext, base: str, ds: Dataset, start: dt.datetime, end: dt.datetime
) -> list[Listed]:
    """The dataset's files starting in ``[start, end)`` from one SDC ``file_info/science`` query.

    Raises
    ------
    DownloadError
        The answer is not the SDC's ``{"files": [...]}``.
    """
    last = end - dt.timedelta(microseconds=1)
    params = {
        "sc_id": ds.probe,
        "instrument_id": ds.instrument,
        "data_rate_mode": ds.rate,
        "data_level": ds.level,
    }
    if ds.descriptor:
        params["descriptor"] = ds.descriptor
    params["start_date"] = start.date().isoformat()
    params["end_date"] = last.date().isoformat()
    url = ctx.join(base, "file_info/science")
    answer = ctx.get_json(url, params)
    records = answer.get("files") if isinstance(answer, dict) else None
    if not isinstance(records, list):
        raise DownloadError(
            f"the MMS SDC at {url} answered {type(answer).__name__} without a 'files' list; "
            "check HELIOPORT_MMS_SDC_URL (it must point at .../files/api/v1/)"
        )
    download = ctx.join(base, "download/science")
    out = []
    for rec in records:
        name = str(rec.get("file_name", "")) if isinstance(rec, dict) else ""
        if not name.startswith(ds.prefix):
            continue
        size = rec.get("file_size")
        out.append(
            Listed(
                name=name,
                url=f"{download}?{urlencode({'file': name})}",
                size=int(size) if size not in (None, "") else None,
                mtime=_mtime(rec.get("modified_date")),
                source="mms_sdc",
            )
        )
    return out


def max_burst(request: Request) -> dt.timedelta:
    """The option ``max_burst`` (seconds, a pandas-style text such as ``"2h"``, or a timedelta)."""
    value = request.options.get("max_burst")
    return MAX_BURST if value is None else parse_duration(value, "max_burst")


def _listing(request: Request, ds: Dataset, ctx: ArchiveContext) -> list[Listed]:
    start = request.start - LOOKBACK
    source = choose_source(request, ctx)
    if source == "spdf":
        return list_spdf(ctx, ctx.base_url("mms"), ds, start, request.end, "mms")
    if source == heliocloud.KEY:
        return list_heliocloud(ctx, ds, start, request.end)
    base = team_base_url(ctx, request.options) or ctx.base_url("mms_sdc")
    if not _is_http(base):
        return list_spdf(ctx, base, ds, start, request.end, "mms_sdc")
    try:
        return list_sdc(ctx, base, ds, start, request.end)
    except OfflineError:
        log.info(
            "offline and no cached SDC answer for %s: looking in the cache folders",
            ds.logical_source,
        )
        return list_spdf(ctx, ctx.base_url("mms"), ds, start, request.end, "mms")


def find_files(request: Request, product: str, probe: str, ctx: ArchiveContext) -> list[RemoteFile]:
    """Every version of every file of ``product`` for ``probe`` overlapping the request.

    Parameters
    ----------
    request
        The validated request (times, mode, options ``source``, ``team``,
        ``mec_datatype``, ``max_burst``).
    product
        An MMS product name (see :mod:`helioport_mms.products`).
    probe
        ``mms1`` .. ``mms4``.
    ctx
        The :class:`~helioport.transport.ArchiveContext`.

    Returns
    -------
    list of RemoteFile
        With ``key`` the name without version, ``size`` from the listing (the
        SDC's ``file_size``), ``relpath`` in the SPDF layout. MEC products in
        burst mode: the burst files overlapping the request, or when there are
        none the survey files (:data:`helioport_mms.products.RATE_FALLBACKS`);
        ``sc_pos`` with ``positions="fgm"``: the FGM files.
    """
    ds = dataset_for(request, product, probe)
    files = _remote_files(request, ds, ctx)
    fallback = products.RATE_FALLBACKS.get(ds.instrument, {}).get(ds.rate)
    if not files and fallback is not None:
        # MEC burst files exist for some burst intervals only: the survey files cover the rest
        log.info(
            "%s %s: no %s file for the request, using %s",
            product,
            probe,
            ds.logical_source,
            replace(ds, rate=fallback).logical_source,
        )
        files = _remote_files(request, replace(ds, rate=fallback), ctx)
    log.debug("%s %s: %d candidate file(s)", product, probe, len(files))
    return files


def _remote_files(request: Request, ds: Dataset, ctx: ArchiveContext) -> list[RemoteFile]:
    """Every version of every file of ``ds`` overlapping the request."""
    listed = tuple(_listing(request, ds, ctx))
    # listing times in another zone are the same instants, but the RemoteFiles keep them
    zones = tuple(x.mtime.utcoffset() if x.mtime else None for x in listed)
    return list(_overlapping(listed, ds, request.start, request.end, max_burst(request), zones))


@functools.lru_cache(maxsize=256)
def _overlapping(
    listed: tuple[Listed, ...],
    ds: Dataset,
    start: dt.datetime,
    end: dt.datetime,
    burst: dt.timedelta,
    zones: tuple[dt.timedelta | None, ...],
) -> tuple[RemoteFile, ...]:
    """The files of ``ds`` among ``listed`` overlapping ``[start, end)``, as RemoteFiles.

    A pure function of its arguments, kept for the last few: a warm load lists
    the same entries (names, sizes, times) again and gets the same (immutable)
    RemoteFiles without parsing and validating them anew; any change in a
    listing is another key (``zones``: the UTC offsets of the listed times, which
    equality of times leaves out).
    """
    parsed = []
    for item in listed:
        fn = parse_name(item.name)
        if fn is not None and fn.dataset == ds:
            parsed.append((fn, item))
    ends = file_spans([fn for fn, _ in parsed], max_burst=burst)
    files = []
    for fn, item in parsed:
        stop = ends[fn.key]
        if fn.start >= end or stop <= start:
            continue
        files.append(
            RemoteFile(
                url=item.url,
                relpath=item.relpath or fn.relpath,
                mission=products.MISSION,
                key=fn.key,
                version=fn.version,
                start=fn.start,
                end=stop,
                size=item.size,
                mtime=item.mtime,
                source=item.source,
            )
        )
    return tuple(files)
