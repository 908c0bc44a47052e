"""Directory listings: Apache/nginx-style HTML indexes, local folders and object stores,
as :class:`DirEntry`.

Pure functions, no network: :func:`parse_index` reads the HTML of an index page
(the ``<table>`` and ``<pre>`` variants), :func:`scan_folder` lists a local
folder, :func:`store_entries` converts an fsspec listing (``fs.ls(path,
detail=True)`` of ``s3://``, ``gs://``...). The cached, revalidated fetching of index pages lives in
:mod:`helioport.transport.context`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

__all__ = [
    "DirEntry",
    "parse_index",
    "parse_mtime",
    "parse_size",
    "scan_folder",
    "store_entries",
    "url_name",
    "url_to_path",
]

_UTC = dt.timezone.utc
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
log = logging.getLogger(__name__)
#: names with control characters (a trailing newline, NUL, escape) are refused
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)"
    r"|(?P<dmy>\d{1,2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}(?::\d{2})?)"
)
_SIZE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[KMGTPB]?)(?:i?B)?(?=\s|$)", re.IGNORECASE
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


@dataclass(frozen=True)
class DirEntry:
    """One entry of a directory listing.

    Attributes
    ----------
    name : the entry's name, unquoted (``themis_skymap_gako_20150101-+_v01.sav``).
    url : its full URL as the server wrote it (quoting kept); folders end in ``/``.
    is_dir : whether it is a folder.
    size : size in bytes, ``None`` when not shown. Indexes often abbreviate
        (``1.2M``): the value is then approximate.
    mtime : modification time (UTC) when shown.
    etag : the store's tag of the content (an object store's ETag), when it gives one.
    """

    name: str
    url: str
    is_dir: bool
    size: int | None = None
    mtime: dt.datetime | None = None
    etag: str | None = None


def parse_size(text: str) -> int | None:
    """Bytes from an index's size column: ``"12"``, ``"512K"``, ``"1.2M"``, ``"3G"``; ``"-"`` -> None.

    Examples
    --------
    >>> parse_size("1.2M"), parse_size("512K"), parse_size("12"), parse_size("-")
    (1258291, 524288, 12, None)
    """
    m = _SIZE.match(text or "")
    if not m:
        return None
    return int(float(m.group("num")) * _UNITS[m.group("unit").upper()])


def parse_mtime(text: str) -> dt.datetime | None:
    """A UTC datetime from ``"2010-01-05 14:32"`` or ``"05-Jan-2010 14:32"`` (seconds optional).

    Examples
    --------
    >>> parse_mtime("05-Jan-2010 14:32")
    datetime.datetime(2010, 1, 5, 14, 32, tzinfo=datetime.timezone.utc)
    """
    m = _DATE.search(text or "")
    if not m:
        return None
    try:
        if m.group("iso"):
            stamp = m.group("iso").replace("T", " ")
            fmt = "%Y-%m-%d %H:%M:%S" if stamp.count(":") == 2 else "%Y-%m-%d %H:%M"
            return dt.datetime.strptime(stamp, fmt).replace(tzinfo=_UTC)
        day, mon, rest = m.group("dmy").split("-", 2)
        year, clock = rest.split(" ", 1)
        hms = [int(x) for x in clock.split(":")] + [0]
        return dt.datetime(
            int(year), _MONTHS[mon.lower()], int(day), hms[0], hms[1], hms[2], tzinfo=_UTC
        )
    except (ValueError, KeyError):
        return None


def parse_index(html: str, url: str) -> list[DirEntry]:
    """The entries of an HTML directory index served at ``url``.

    Understands Apache ``mod_autoindex`` (``<table>`` and ``<pre>`` layouts),
    nginx ``autoindex`` and similar pages: every link to a direct child of
    ``url`` is an entry; parent, sort (``?C=M;O=A``), absolute and off-site
    links are skipped. Sizes and dates are read from the text after each link.

    Parameters
    ----------
    html : str
        The page.
    url : str
        Its URL (a folder URL, ending in ``/``).

    Returns
    -------
    list of DirEntry
        In page order, one per name.

    Examples
    --------
    >>> page = '<pre><a href="../">Parent Directory</a>\\n<a href="a_v01.cdf">a_v01.cdf</a>  05-Jan-2010 14:32  1.2M</pre>'
    >>> [(e.name, e.size) for e in parse_index(page, "https://x.org/d/")]
    [('a_v01.cdf', 1258291)]
    """
    if not url.endswith("/"):
        url += "/"
    from .htmlindex import IndexParser  # html.parser loads only when a page is parsed

    parser = IndexParser()
    parser.feed(html)
    parser.close()
    base = urlsplit(url)
    entries: dict[str, DirEntry] = {}
    for href, _text, tail in parser.links:
        if href is None:
            continue
        href = href.strip()
        if not href or href.startswith(("?", "#", "mailto:", "javascript:")):
            continue
        full = urljoin(url, href)
        parts = urlsplit(full)
        if (
            (parts.scheme, parts.netloc) != (base.scheme, base.netloc)
            or parts.query
            or parts.fragment
        ):
            continue
        if not parts.path.startswith(base.path) or parts.path == base.path:
            continue  # parent, sibling or self
        rest = parts.path[len(base.path) :]
        is_dir = rest.endswith("/")
        if "/" in rest.rstrip("/") or rest.strip("/") in ("", ".", ".."):
            continue
        name = unquote(rest.rstrip("/"))
        if _CONTROL.search(name):
            log.warning("listing %s: entry %r has control characters and is ignored", url, name)
            continue
        mtime = parse_mtime(tail)
        size = None
        if not is_dir:
            after = tail[_DATE.search(tail).end() :] if mtime is not None else tail
            size = parse_size(after)
        old = entries.get(name)
        if old is not None:  # the same link twice (icon + name): merge what each shows
            size = size if size is not None else old.size
            mtime = mtime or old.mtime
        entries[name] = DirEntry(name=name, url=full, is_dir=is_dir, size=size, mtime=mtime)
    return list(entries.values())


def url_name(url: str) -> str:
    """The last part of ``url``'s path, decoded (``""`` for a folder or bare host).

    Examples
    --------
    >>> url_name("https://soar.example/data/solo_L2_mag%2Brtn_v02.tar.gz?x=1")
    'solo_L2_mag+rtn_v02.tar.gz'
    """
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def url_to_path(url: str) -> Path:
    """The local path of a ``file://`` URL or a plain folder path.

    Examples
    --------
    >>> str(url_to_path("file:///srv/omni/hro_1min/"))
    '/srv/omni/hro_1min'
    """
    if url.startswith("file://"):
        from urllib.request import url2pathname  # urllib.request is slow to import: only here

        return Path(url2pathname(urlsplit(url).path))
    return Path(url).expanduser()


def scan_folder(folder: Path, url: str, *, meta: dict[str, dict] | None = None) -> list[DirEntry]:
    """List a local folder as :class:`DirEntry` items whose URLs are built on ``url``.

    Hidden entries (names starting with ``.``: temporary downloads, cache
    bookkeeping) are skipped. A missing folder gives ``[]``. ``meta`` maps a
    file name to its cache sidecar: the listing size and time recorded there
    are reported instead of the local ones, and an unpacked delivery is listed
    under the name of the packed file it came from, so an offline listing
    describes the files as the archive did.

    Examples
    --------
    >>> scan_folder(Path("/nonexistent"), "file:///nonexistent/")
    []
    """
    if not url.endswith("/"):
        url += "/"
    try:
        items = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for item in sorted(items, key=lambda e: e.name):
        if item.name.startswith("."):
            continue
        try:
            is_dir = item.is_dir()
            st = item.stat()
        except OSError:
            continue
        name = item.name
        size = None if is_dir else st.st_size
        mtime = dt.datetime.fromtimestamp(st.st_mtime, _UTC)
        side = (meta or {}).get(item.name)
        if side and side.get("unpack") and side.get("url"):
            # an unpacked delivery: listed as the archive's packed file it came from
            name = url_name(side["url"]) or name
            is_dir = False
        if side and not is_dir:
            size = side.get("listing_size") if side.get("listing_size") is not None else size
            if side.get("listing_mtime"):
                mtime = dt.datetime.fromisoformat(side["listing_mtime"])
        href = quote(name) + ("/" if is_dir else "")
        out.append(DirEntry(name=name, url=url + href, is_dir=is_dir, size=size, mtime=mtime))
    return out


#: characters left unquoted in a store entry's URL (those of ``ArchiveContext.join`` but ``%``,
#: so that unquoting gives the key back)
_STORE_SAFE = "!$&'()*+,;=:@~-._"


def _as_utc(value: object) -> dt.datetime | None:
    """A UTC datetime from what fsspec backends report: a datetime, a POSIX time, ISO text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(_UTC) if value.tzinfo else value.replace(tzinfo=_UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(float(value), _UTC)
    if isinstance(value, str) and value:
        try:
            return _as_utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def store_entries(infos: list[dict], url: str) -> list[DirEntry]:
    """The entries of an fsspec listing (``fs.ls(path, detail=True)``) of the folder ``url``.

    Names are the last part of each path; entry URLs are ``url`` plus the
    quoted name (folders end in ``/``). Hidden names (``.``) and names with
    control characters are skipped, like in :func:`scan_folder`, and so are
    folder markers (empty objects whose key ends in ``/``, the listed folder's
    own among them); an object and a folder of the same name (``omni/2010``
    and ``omni/2010/``) are both kept. The ETag is kept when the store gives
    one. Sorted by name, a file before the folder of its name.

    Examples
    --------
    >>> infos = [{"name": "b/omni/a v01.cdf", "type": "file", "size": 3, "ETag": '"9f"',
    ...           "LastModified": dt.datetime(2010, 1, 5, tzinfo=dt.timezone.utc)},
    ...          {"name": "b/omni/2010", "type": "directory", "size": 0}]
    >>> [(e.url, e.is_dir, e.size, e.etag) for e in store_entries(infos, "s3://b/omni/")]
    [('s3://b/omni/2010/', True, None, None), ('s3://b/omni/a%20v01.cdf', False, 3, '"9f"')]
    >>> marker = {"name": "b/omni/", "type": "file", "size": 0}
    >>> [e.name for e in store_entries([marker, *infos], "s3://b/omni/")]
    ['2010', 'a v01.cdf']
    """
    if not url.endswith("/"):
        url += "/"
    out: dict[tuple[str, bool], DirEntry] = {}
    for info in infos:
        raw = str(info.get("name", ""))
        is_dir = info.get("type") == "directory"
        if raw.endswith("/") and not is_dir:
            continue  # a folder marker: the folder itself, not a file in it
        name = raw.rstrip("/").rsplit("/", 1)[-1]
        if not name or name.startswith(".") or _CONTROL.search(name):
            continue
        size = info.get("size")
        mtime = _as_utc(
            info.get("LastModified")
            or info.get("mtime")
            or info.get("last_modified")
            or info.get("updated")
        )
        etag = info.get("ETag") or info.get("etag")
        out[name, is_dir] = DirEntry(
            name=name,
            url=url + quote(name, safe=_STORE_SAFE) + ("/" if is_dir else ""),
            is_dir=is_dir,
            size=None if is_dir or size is None else int(size),
            mtime=mtime,
            etag=str(etag) if etag else None,
        )
    return [out[k] for k in sorted(out)]
