"""The CloudCatalog documents: a bucket's ``catalog.json`` and its ``<id>_YYYY.csv`` registries.

Parsers for the CloudCatalog specification of the heliocloud-data project
(version 1.x): the catalog's ``catalog`` list of datasets (``id``, ``index``,
``start``, ``stop``, ``modification``, ``indextype``, ``status``,
``multiyear``) and the yearly registries whose rows are ``start, stop,
datakey, filesize`` (optional ``#`` header, CDAWeb's ``s3key`` column name
accepted, values possibly quoted). Times are restricted ISO 8601 (HAPI) of
any precision. Nothing here reads files or the network:
:mod:`helioport.heliocloud` fetches the documents.

Examples
--------
>>> cat = parse_catalog({"catalog": [{"id": "OMNI_HRO_1MIN", "index": "s3://b/omni/",
...     "start": "1995-01-01T00:00Z", "stop": "2024-12-31T23:59Z"}]}, "s3://b/catalog.json")
>>> cat.lookup("omni_hro_1min").start.year
1995
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import difflib
import logging
import re
from dataclasses import dataclass
from typing import Any

from ..errors import DataNotFoundError, DownloadError, warn_caller

__all__ = ["Catalog", "Entry", "Row", "parse_catalog", "parse_registry", "parse_time"]

log = logging.getLogger(__name__)
UTC = dt.timezone.utc

#: column names registries use for the four required fields (the spec's and CDAWeb's)
_COLUMNS = {
    "start": ("start",),
    "stop": ("stop", "end"),
    "datakey": ("datakey", "s3key", "key", "filekey", "s3_key", "data_key"),
    "filesize": ("filesize", "size", "fsize", "file_size"),
}
#: ``2010-01-01T00:00:00Z`` / ``...00.000Z``: what registries mostly hold
_PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?Z$")
_TIME = re.compile(
    r"^(\d{4})-(?:(\d{2})-(\d{2})|(\d{3}))"
    r"(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2}))?)?(?:\.(\d+))?)?Z?$"
)


@dataclass(frozen=True)
class Entry:
    """One dataset of ``catalog.json``.

    Attributes
    ----------
    id : the dataset ID as the catalog spells it.
    index : the folder URL of its registries, as written (``s3://``, ``https://`` or relative).
    start, stop : the span of its data, when given.
    modification : when it was last updated, when given.
    status : the dataset's (or the whole catalog's) status text, ``""`` when none.
    indextype : the registries' format (``csv``).
    multiyear : whether files may span several years (registries are then read
        from the dataset's first year).
    """

    id: str
    index: str
    start: dt.datetime | None
    stop: dt.datetime | None
    modification: dt.datetime | None
    status: str = ""
    indextype: str = "csv"
    multiyear: bool = False

    @property
    def unavailable(self) -> bool:
        """Whether its status says it cannot be served (code 1400 and above, or the word)."""
        m = re.match(r"\s*(\d{3,4})", self.status)
        return (m is not None and int(m.group(1)) >= 1400) or "unavailable" in self.status.lower()


@dataclass(frozen=True)
class Catalog:
    """A parsed ``catalog.json``: its URL and its datasets by case-folded ID."""

    url: str
    entries: dict[str, Entry]

    def lookup(self, dataset: str) -> Entry:
        """The entry of ``dataset``, matched case-insensitively.

        Raises
        ------
        DataNotFoundError
            The catalog has no such dataset; the message lists close IDs.
        """
        entry = self.entries.get(dataset.casefold())
        if entry is not None:
            return entry
        ids = [e.id for e in self.entries.values()]
        close = difflib.get_close_matches(dataset.upper(), [i.upper() for i in ids], n=5)
        shown = {i.upper(): i for i in ids}
        hint = (
            f"close IDs: {', '.join(shown[c] for c in close)}"
            if close
            else f"it lists {len(ids)} datasets"
        )
        raise DataNotFoundError(
            f"the HelioCloud catalog {self.url} has no dataset {dataset!r} ({hint}); "
            "check the CDAWeb dataset ID, or use the mission's own archive (source= option)"
        )


@dataclass(frozen=True)
class Row:
    """One registry row: a data file and the span it covers."""

    start: dt.datetime
    stop: dt.datetime
    datakey: str
    filesize: int | None


def parse_time(text: str) -> dt.datetime:
    """A CloudCatalog (restricted ISO 8601, HAPI) time as a UTC datetime.

    Any precision is accepted (``2010``-``01``-``01``, ``2017-01-15T23:00Z``,
    ``2010-05-08T12:05:30.000Z``), day-of-year too (``2010-128T12:00Z``).

    Raises
    ------
    ValueError
        When ``text`` is not such a time.

    Examples
    --------
    >>> parse_time("2017-01-15T23:00Z")
    datetime.datetime(2017, 1, 15, 23, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("2010-128T12:05:30.5Z").isoformat()
    '2010-05-08T12:05:30.500000+00:00'
    """
    text = text.strip().strip("'\"")
    if _PLAIN.match(text):  # the common case, ~10x faster than the general one
        return dt.datetime.fromisoformat(text[:-1] + "+00:00")
    m = _TIME.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not an ISO 8601 time")
    year, month, day, doy, hour, minute, second, frac = m.groups()
    if int(hour or 0) > 23 or int(minute or 0) > 59 or int(second or 0) > 59:
        raise ValueError(f"{text!r} is not a time of day (hours 00-23, minutes and seconds 00-59)")
    if doy is not None:
        days = 366 if calendar.isleap(int(year)) else 365
        if not 1 <= int(doy) <= days:
            raise ValueError(f"{text!r}: day {doy} is not a day of {year} (001-{days})")
        base = dt.datetime(int(year), 1, 1, tzinfo=UTC) + dt.timedelta(days=int(doy) - 1)
    else:
        base = dt.datetime(int(year), int(month), int(day), tzinfo=UTC)
    micro = round(float("0." + frac) * 1e6) if frac else 0
    return base + dt.timedelta(
        hours=int(hour or 0),
        minutes=int(minute or 0),
        seconds=int(second or 0),
        microseconds=micro,
    )


def _optional_time(value: Any, what: str, url: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        log.warning("%s: %s %r is not a time; ignored", url, what, value)
        return None


def _status_text(status: Any) -> str:
    """A status as text: ``{"code": 1400, "message": "..."}``, ``"1400/..."`` or a number."""
    if isinstance(status, dict):
        return f"{status.get('code', '')} {status.get('message', '')}".strip()
    return "" if status is None else str(status).strip()


def parse_catalog(data: Any, url: str) -> Catalog:
    """A ``catalog.json`` document (already decoded) as a :class:`Catalog`.

    Entries without ``id`` or ``index`` are skipped with a warning in the log.

    Raises
    ------
    DownloadError
        The document has no ``catalog`` list (it is not a CloudCatalog).
    """
    items = data.get("catalog") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DownloadError(
            f"{url} is not a CloudCatalog catalog.json (no 'catalog' list); check "
            "HELIOPORT_HELIOCLOUD_URL: it must name the bucket (or folder) holding catalog.json"
        )
    overall = _status_text(data.get("status"))
    entries: dict[str, Entry] = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("id") or not item.get("index"):
            log.warning("%s: a catalog entry without id or index is skipped: %r", url, item)
            continue
        own = _status_text(item.get("status"))
        ident = str(item["id"])
        entries.setdefault(
            ident.casefold(),
            Entry(
                id=ident,
                index=str(item["index"]),
                start=_optional_time(item.get("start"), "start", url),
                stop=_optional_time(item.get("stop"), "stop", url),
                modification=_optional_time(item.get("modification"), "modification", url),
                status=own if own else overall,
                indextype=str(item.get("indextype") or "csv").lower(),
                multiyear=str(item.get("multiyear", "")).lower() in ("true", "1", "yes"),
            ),
        )
    return Catalog(url, entries)


def _clean(value: str) -> str:
    return value.strip().strip("'\"").strip()


def _header(fields: list[str]) -> dict[str, int] | None:
    """The column of each required field from a header line, or ``None`` when it names none."""
    names = [_clean(f).lstrip("#").strip().lower() for f in fields]
    found = {}
    for field, aliases in _COLUMNS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[field] = i
                break
    if not found:
        return None
    # the spec's order stands for any required field the header does not name
    order = {"start": 0, "stop": 1, "datakey": 2, "filesize": 3}
    return {f: found.get(f, order[f]) for f in order}


def parse_registry(text: str, url: str) -> list[Row]:
    """The rows of a ``<id>_YYYY.csv`` registry, sorted by start.

    Blank lines are skipped; a first line starting with ``#`` (or naming the
    columns) is a header whose names (``start``, ``stop``, ``datakey`` or
    ``s3key``, ``filesize``) give the column order, else the spec's order
    ``start, stop, datakey, filesize`` applies. Values may be quoted. Rows
    that cannot be read are skipped with a warning naming the registry.

    Examples
    --------
    >>> rows = parse_registry(
    ...     "# start, stop, datakey, filesize\\n"
    ...     "2010-01-01T00:00Z,2010-02-01T00:00Z,s3://b/omni_hro_1min_20100101_v01.cdf,1200\\n",
    ...     "s3://b/OMNI_HRO_1MIN_2010.csv",
    ... )
    >>> rows[0].datakey, rows[0].filesize, rows[0].stop.month
    ('s3://b/omni_hro_1min_20100101_v01.cdf', 1200, 2)
    """
    columns = {"start": 0, "stop": 1, "datakey": 2, "filesize": 3}
    rows: list[Row] = []
    bad: list[str] = []
    first = True
    for fields in csv.reader(text.splitlines(), skipinitialspace=True):
        if not fields or not "".join(fields).strip():
            continue
        if first:
            first = False
            if fields[0].lstrip().startswith("#") or _is_header(fields):
                columns = _header(fields) or columns
                continue
        if fields[0].lstrip().startswith("#"):
            continue  # a comment line
        try:
            rows.append(_row(fields, columns))
        except (ValueError, IndexError, OverflowError):
            bad.append(",".join(fields))
    if bad:
        warn_caller(
            f"the HelioCloud registry {url} has {len(bad)} unreadable row(s), skipped "
            f"(first: {bad[0][:120]!r}); the files they name are not used"
        )
    rows.sort(key=lambda r: (r.start, r.datakey))
    return rows


def _is_header(fields: list[str]) -> bool:
    """A first line without ``#`` that names columns instead of holding a time."""
    try:
        parse_time(_clean(fields[0]))
    except ValueError:
        return _header(fields) is not None
    return False


def _row(fields: list[str], columns: dict[str, int]) -> Row:
    """One row; ``ValueError`` (or ``OverflowError`` for an infinite size) when it is unreadable:
    no datakey, a time that is not one, ``stop`` before ``start``, a negative size."""
    size = _clean(fields[columns["filesize"]]) if len(fields) > columns["filesize"] else ""
    key = _clean(fields[columns["datakey"]])
    if not key:
        raise ValueError("empty datakey")
    start = parse_time(fields[columns["start"]])  # it strips spaces and quotes itself
    stop = parse_time(fields[columns["stop"]])
    if stop < start:
        raise ValueError("stop before start")
    filesize = (int(size) if size.isdigit() else int(float(size))) if size else None
    if filesize is not None and filesize < 0:
        raise ValueError("negative filesize")
    return Row(start=start, stop=stop, datakey=key, filesize=filesize)
