"""Finding files from strftime templates over directory listings (a plugin's table row).

Most archives name files after the period they cover and keep them in
folders per year, month or day. A plugin describes that with a
:class:`FileTemplate`; :func:`find_files` lists each folder the request's
range touches once (through the transport's cached, revalidated listings)
and returns every version of every file as :class:`~helioport.schema.RemoteFile`.
The core then keeps the newest version per logical file (or the pinned /
minimum one), so a plugin never sorts versions itself.

A template that names its CDAWeb ``dataset`` is also served by HelioCloud
(:mod:`helioport.heliocloud`): with the request option ``source="heliocloud"``
its files come from the dataset's CloudCatalog registries instead of folder
listings, so a plugin gets that source by giving ``dataset=``.

Template syntax: :func:`time.strftime` codes (``%Y``, ``%m``, ``%d``,
``%H``...) for the period's start, ``{name}`` fields filled from keyword
arguments (``{probe}``, ``{site}``, ``{mode}``), and ``{version}`` where the
version text sits in the file name (any run of digits and dots by default).

Examples
--------
>>> HRO = FileTemplate(
...     source="omni",
...     path="omni_cdaweb/hro_{mode}/%Y/omni_hro_{mode}_%Y%m01_v{version}.cdf",
...     period="month",
... )
>>> HRO.relpath(dt.datetime(2010, 3, 1), mode="1min")
'omni_cdaweb/hro_1min/2010/omni_hro_1min_20100301_v{version}.cdf'
>>> [p[0].month for p in periods(dt.datetime(2010, 1, 20), dt.datetime(2010, 3, 2), "month")]
[1, 2, 3]
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from . import heliocloud
from .errors import DownloadError, InvalidRequestError, OfflineError, PluginError
from .schema import RemoteFile, Request

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from .transport.context import ArchiveContext

__all__ = [
    "PRUNE_ABOVE",
    "FileTemplate",
    "Period",
    "existing_folders",
    "find_files",
    "periods",
    "wants_heliocloud",
]

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
Period = Literal["hour", "day", "month", "halfyear", "year"]
_MONTHS = {"month": 1, "halfyear": 6, "year": 12}
_VERSION = "{version}"
_MARK = "@@version@@"  # stands for {version} through str.format and strftime
#: more dated folders than this are first looked up in their parents (:func:`existing_folders`)
PRUNE_ABOVE = 16


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _month_start(index: int) -> dt.datetime:
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def periods(
    start: dt.datetime, end: dt.datetime, period: Period
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The aligned ``period`` spans ``[first, last)`` that overlap ``[start, end)``.

    Hours and days are aligned on UTC midnight, months on the 1st, half-years
    on January and July, years on January.

    Examples
    --------
    >>> [a.hour for a, _ in periods(dt.datetime(2020, 1, 1, 5, 30), dt.datetime(2020, 1, 1, 7), "hour")]
    [5, 6]
    >>> [a.month for a, _ in periods(dt.datetime(2010, 5, 1), dt.datetime(2011, 1, 2), "halfyear")]
    [1, 7, 1]
    """
    start, end = _utc(start), _utc(end)
    if period in ("hour", "day"):
        step = dt.timedelta(hours=1) if period == "hour" else dt.timedelta(days=1)
        t = (
            start.replace(minute=0, second=0, microsecond=0)
            if period == "hour"
            else start.replace(hour=0, minute=0, second=0, microsecond=0)
        )
        while t < end:
            yield t, t + step
            t += step
        return
    if period not in _MONTHS:
        raise PluginError(f"file period {period!r} is not one of hour, day, month, halfyear, year")
    step_m = _MONTHS[period]
    m = (start.year * 12 + start.month - 1) // step_m * step_m
    while True:
        first = _month_start(m)
        if first >= end:
            return
        yield first, _month_start(m + step_m)
        m += step_m


@dataclass(frozen=True)
class FileTemplate:
    """Where the files of one dataset live, as a template over time and fields.

    Attributes
    ----------
    source : the :class:`~helioport.schema.SourceSpec` key whose base URL the
        path is relative to (mirrors apply).
    path : the file's path below the base URL (see the module docstring).
    period : the span one file covers: ``hour``, ``day``, ``month``,
        ``halfyear`` or ``year``.
    version : the regular expression a version matches where ``{version}``
        stands (digits and dots by default).
    unpack : a packed delivery the transport unpacks (``gunzip``, ``untar``, ``unzip``).
    dataset : the CDAWeb dataset ID of these files (``{fields}`` allowed, any
        case: ``"OMNI_HRO_{mode}"``), when CDAWeb has them; it lets HelioCloud
        serve the template (request option ``source="heliocloud"``).
    """

    source: str
    path: str
    period: Period = "day"
    version: str = r"\d+(?:\.\d+)*"
    unpack: Literal["gunzip", "untar", "unzip"] | None = None
    dataset: str | None = None

    def relpath(self, start: dt.datetime, **fields: Any) -> str:
        """The path of the file covering the period starting at ``start``; ``{version}`` kept."""
        try:
            text = self.path.replace(_VERSION, _MARK).format(**fields)
        except KeyError as exc:
            raise PluginError(
                f"file template {self.path!r} needs the field {exc.args[0]!r}; give it to find_files"
            ) from None
        return start.strftime(text).replace(_MARK, _VERSION)

    def dataset_id(self, **fields: Any) -> str | None:
        """The CDAWeb dataset ID with its ``{fields}`` filled, ``None`` when the template has none."""
        if self.dataset is None:
            return None
        try:
            return self.dataset.format(**fields)
        except KeyError as exc:
            raise PluginError(
                f"dataset {self.dataset!r} of file template {self.path!r} needs the field "
                f"{exc.args[0]!r}; give it to find_files"
            ) from None


def wants_heliocloud(request: Request) -> bool:
    """Whether the request selects the HelioCloud source (option ``source="heliocloud"``).

    Examples
    --------
    >>> wants_heliocloud(request_with(source="HelioCloud"))  # doctest: +SKIP
    True
    """
    return str(request.options.get("source", "")).strip().lower() == heliocloud.KEY


def find_files(
    template: FileTemplate,
    request: Request,
    ctx: ArchiveContext,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    **fields: Any,
) -> list[RemoteFile]:
    """Every version of every file of ``template`` covering ``[start, end)`` (default: the request's).

    Each folder is listed once, whatever the number of periods in it. When a
    range touches many dated folders (a century of daily folders), the
    folders that exist are found first by listing their parents (years, then
    months, then days: :func:`existing_folders`), so only folders that exist
    are listed; a range that still needs more than ``max_files`` folder
    listings stops with :class:`~helioport.errors.InvalidRequestError`.
    Files the listing does not show are simply absent (the core reports a
    request with no file at all).

    With the request option ``source="heliocloud"``, the files come from the
    HelioCloud registries of the template's ``dataset`` instead (no listing;
    :func:`helioport.heliocloud.find_files`).

    Parameters
    ----------
    template
        Where the files live.
    request
        The validated request (its range and mission).
    ctx
        The :class:`~helioport.transport.context.ArchiveContext` handed to the hook.
    start, end
        Another range to list (e.g. a day earlier, for files that start before the range).
    **fields
        Values of the template's ``{name}`` fields (``probe="mms1"``, ``site="gako"``).

    Raises
    ------
    InvalidRequestError
        HelioCloud was asked for a template without a ``dataset``.

    Examples
    --------
    >>> find_files(HRO, request, ctx, mode=request.mode)  # doctest: +SKIP
    [RemoteFile(url='https://.../omni_hro_1min_20100101_v01.cdf', version='01', ...)]
    """
    first_t = _utc(start or request.start)
    last_t = _utc(end or request.end)
    if wants_heliocloud(request):
        return _from_heliocloud(template, request, ctx, first_t, last_t, fields)
    base = ctx.base_url(template.source)
    folder_path = template.path.rpartition("/")[0]
    step = _folder_period(folder_path, template.period)
    spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    folder_of = FileTemplate(template.source, folder_path + "/x", step)
    for f0, f1 in periods(first_t, last_t, step):
        folder = folder_of.relpath(f0, **fields).rpartition("/")[0]
        old = spans.get(folder)
        spans[folder] = (f0, f1) if old is None else (min(old[0], f0), max(old[1], f1))
    kept = existing_folders(ctx, base, list(spans), what=f"{request.mission} files")
    version_re = re.compile(template.version)
    files: list[RemoteFile] = []
    for folder in kept:
        f0, f1 = spans[folder]
        wanted: dict[tuple[str, str], tuple[dt.datetime, dt.datetime]] = {}
        for p0, p1 in periods(max(first_t, f0), min(last_t, f1), template.period):
            rel = template.relpath(p0, **fields)
            name = rel.rpartition("/")[2]
            head, sep, tail = name.partition(_VERSION)
            wanted[(head, tail if sep else "\0")] = (p0, p1)
        url = ctx.join(base, folder + "/") if folder else base
        index = _index(wanted)
        for entry in ctx.list_dir(url):
            if entry.is_dir:
                continue
            hit = _match(entry.name, wanted, index, version_re)
            if hit is None:
                continue
            (head, tail), version = hit
            p0, p1 = wanted[(head, tail)]
            relpath = f"{folder}/{entry.name}" if folder else entry.name
            key_name = head + (tail if tail != "\0" else "")
            files.append(
                RemoteFile(
                    url=entry.url,
                    relpath=relpath,
                    mission=request.mission,
                    key=f"{folder}/{key_name}" if folder else key_name,
                    version=version,
                    start=p0,
                    end=p1,
                    size=entry.size,
                    mtime=entry.mtime,
                    source=template.source,
                    unpack=template.unpack,
                )
            )
    return files


def _from_heliocloud(
    template: FileTemplate,
    request: Request,
    ctx: ArchiveContext,
    start: dt.datetime,
    end: dt.datetime,
    fields: dict[str, Any],
) -> list[RemoteFile]:
    """The template's files from the HelioCloud registries of its dataset."""
    dataset = template.dataset_id(**fields)
    if dataset is None:
        spec = request.mission
        option = (ctx.mission.options or {}).get("source")
        others = [c for c in (option.choices or []) if c != heliocloud.KEY] if option else []
        choices = f"source={' or source='.join(map(repr, others))}" if others else "another source"
        raise InvalidRequestError(
            f"HelioCloud does not serve the {spec} files {template.path} (source "
            f"{template.source!r}): CDAWeb has no dataset of them; use {choices}"
        )
    return heliocloud.find_files(ctx, dataset, start, end)


#: strftime codes of a folder path, finest first, and the period a folder then spans
_FOLDER_CODES: tuple[tuple[tuple[str, ...], Period], ...] = (
    (("%H", "%I"), "hour"),
    (("%d", "%j", "%a", "%A", "%w"), "day"),
    (("%m", "%b", "%B"), "month"),
    (("%Y", "%y"), "year"),
)
_ORDER: tuple[Period, ...] = ("hour", "day", "month", "halfyear", "year")


def _folder_period(folder_path: str, period: Period) -> Period:
    """The span one folder of ``folder_path`` covers (its finest strftime code), never finer
    than the files' own ``period``; ``year`` for a folder without date codes (listed once)."""
    known = {c for codes, _ in _FOLDER_CODES for c in codes}
    folder_path = folder_path.replace("%%", "")  # a literal percent sign
    unknown = sorted({c for c in re.findall(r"%[-_0^#]?[A-Za-z]", folder_path) if c not in known})
    if unknown:  # %-m, %U, %V...: the folder's span is unknown, so folders could be skipped
        raise PluginError(
            f"folder template {folder_path!r} uses {', '.join(unknown)}: folders can use "
            f"{', '.join(sorted(known))} (zero-padded), so helioport knows the span of each"
        )
    step: Period = "year"
    for codes, span in _FOLDER_CODES:
        if any(c in folder_path for c in codes):
            step = span
            break
    return step if _ORDER.index(step) >= _ORDER.index(period) else period


def existing_folders(
    ctx: ArchiveContext,
    base: str,
    folders: list[str],
    *,
    what: str = "files",
    min_prune: int = PRUNE_ABOVE,
) -> list[str]:
    """The ``folders`` (paths below ``base``) that exist, found by listing their parents.

    A range of a century asks for tens of thousands of dated folders
    (``2015/10/16``) of which a few hundred exist. Above ``min_prune``
    folders, the parent of the first level where they differ is listed once
    (the years), folders whose part at that level is not there are dropped,
    and so on down (months, then days), so the cost is the folders that
    exist plus their parents. Below it, nothing is listed here (listing the
    folders themselves is as cheap).

    Raises
    ------
    InvalidRequestError
        More than ``ctx.config.max_files`` folders would still need a
        listing; the message names the count and the ``max_files=`` option.

    Examples
    --------
    >>> existing_folders(ctx, base, ["l2/2015/10/16", "l2/2015/10/17"])  # doctest: +SKIP
    ['l2/2015/10/16', 'l2/2015/10/17']
    """
    split = [[s for s in f.split("/") if s] for f in folders]
    kept = ["/".join(p) for p in _prune(ctx, base, split, 0, min_prune)]
    limit = ctx.config.max_files
    if len(kept) > limit:
        raise InvalidRequestError(
            f"listing the {what} of this range needs {len(kept)} folder listings under {base} "
            f"({kept[0]} to {kept[-1]}), more than max_files={limit}; narrow the time range, "
            f"or to go ahead raise the limit: max_files={len(kept)} (a keyword of load, or "
            "max_files in the config file)"
        )
    return kept


def _prune(
    ctx: ArchiveContext, base: str, paths: list[list[str]], depth: int, min_prune: int
) -> list[list[str]]:
    """Keep the ``paths`` (sharing their first ``depth`` parts) whose folders exist."""
    if len(paths) <= max(min_prune, 1):
        return paths
    d = depth
    while all(len(p) > d for p in paths) and len({p[d] for p in paths}) == 1:
        d += 1
    if any(len(p) <= d for p in paths):
        return paths  # folders of different depths: nothing to prune safely
    parent = paths[0][:d]
    url = ctx.join(base, *parent) + "/" if parent else base
    try:
        names = {e.name for e in ctx.list_dir(url)}
    except DownloadError as exc:  # a parent the server does not let list (403): list them all
        if isinstance(exc, OfflineError):
            raise
        log.info("cannot list %s to skip missing folders (%s); listing each folder", url, exc)
        return paths
    if ctx.offline and url.startswith(("http://", "https://")):
        # a cached index may predate folders cached since: the cache folder counts too
        names |= {e.name for e in ctx.list_cache_folder(url)}
    if not names:
        # an empty or missing (404) parent: believe it only if a child is missing too
        child = ctx.join(base, *paths[0][: d + 1]) + "/"
        if ctx.list_dir(child):
            log.info("%s lists nothing but %s has entries; listing each folder", url, child)
            return paths
    groups: dict[str, list[list[str]]] = {}
    for p in paths:
        if p[d] in names:
            groups.setdefault(p[d], []).append(p)
    out: list[list[str]] = []
    for group in groups.values():
        out += _prune(ctx, base, group, d + 1, min_prune) if len(group[0]) > d + 1 else group
    return out


def _index(wanted: dict[tuple[str, str], Any]) -> dict[int, dict[str, list[str]]]:
    """Versioned (head, tail) pairs by head length, then head (strftime fields are fixed-width)."""
    index: dict[int, dict[str, list[str]]] = {}
    for head, tail in wanted:
        if tail != "\0":
            index.setdefault(len(head), {}).setdefault(head, []).append(tail)
    return index


def _match(
    name: str,
    wanted: dict[tuple[str, str], Any],
    index: dict[int, dict[str, list[str]]],
    version_re: re.Pattern,
) -> tuple[tuple[str, str], str | None] | None:
    """Which wanted (head, tail) ``name`` is, and its version; ``None`` when none.

    A few dictionary look-ups per file, so a folder of thousands of files is cheap.
    """
    if (name, "\0") in wanted:  # unversioned: the name is exactly the head
        return (name, "\0"), None
    for length, heads in index.items():
        for tail in heads.get(name[:length], ()):
            middle = name[length : len(name) - len(tail)] if name.endswith(tail) else ""
            if middle and version_re.fullmatch(middle):
                return (name[:length], tail), middle
    return None
