"""Pieces of Apache httpd 2.4 behaviour imitated by :mod:`helioport.testing.server`.

The archives helioport talks to (SPDF, Berkeley, UCalgary) run Apache with
``mod_autoindex`` in ``FancyIndexing`` + ``HTMLTable`` mode. This module renders
directory listings and error pages in exactly that shape, formats sizes the way
``apr_strfsize`` does (``303 ``, ``1.2M``, ``512K``, ``  - ``) and maps file
names to content types.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

__all__ = [
    "IndexEntry",
    "content_type",
    "error_page",
    "format_size",
    "parse_sort",
    "render_index",
]

_DOCTYPE_INDEX = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">'
_DOCTYPE_ERROR = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">'

#: Content types by (lower-case) suffix; longest suffix wins.
_CONTENT_TYPES: dict[str, str] = {
    ".cdf": "application/x-cdf",
    ".dat": "text/plain",
    ".txt": "text/plain",
    ".asc": "text/plain",
    ".cef": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".tar.gz": "application/gzip",
    ".tgz": "application/gzip",
    ".gz": "application/gzip",
    ".tar": "application/x-tar",
    ".zip": "application/zip",
    ".nc": "application/x-netcdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".sav": "application/octet-stream",
}

#: (icon, alt) pairs of Apache's default ``httpd-autoindex.conf``.
_ICONS: dict[str, tuple[str, str]] = {
    "text/plain": ("/icons/text.gif", "[TXT]"),
    "text/csv": ("/icons/text.gif", "[TXT]"),
    "text/html": ("/icons/layout.gif", "[   ]"),
    "application/gzip": ("/icons/compressed.gif", "[   ]"),
    "application/x-tar": ("/icons/tar.gif", "[   ]"),
    "application/zip": ("/icons/compressed.gif", "[   ]"),
    "image/png": ("/icons/image2.gif", "[IMG]"),
    "image/jpeg": ("/icons/image2.gif", "[IMG]"),
    "image/gif": ("/icons/image2.gif", "[IMG]"),
}

_SORT_KEYS = ("N", "M", "S", "D")


def content_type(name: str) -> str:
    """Return the ``Content-Type`` Apache would send for a file called ``name``.

    Parameters
    ----------
    name : str
        File name (only the suffix matters, compared case-insensitively).

    Returns
    -------
    str
        For example ``application/x-cdf`` for ``.cdf``, ``text/plain`` for
        ``.dat``/``.txt``, ``application/gzip`` for ``.tar.gz``/``.tgz``;
        ``application/octet-stream`` when unknown.
    """
    lower = name.lower()
    best = ""
    for suffix in _CONTENT_TYPES:
        if lower.endswith(suffix) and len(suffix) > len(best):
            best = suffix
    return _CONTENT_TYPES[best] if best else "application/octet-stream"


def format_size(size: int | None) -> str:
    """Format a size like Apache's ``apr_strfsize`` (used by ``mod_autoindex``).

    Parameters
    ----------
    size : int or None
        Size in bytes; ``None`` or negative for directories.

    Returns
    -------
    str
        Four characters or fewer: ``"  - "`` for directories, ``"303 "`` below
        973 bytes, else ``"1.2M"``, ``"512K"``, ``" 14G"``...

    Examples
    --------
    >>> format_size(303), format_size(1258291), format_size(524288), format_size(None)
    ('303 ', '1.2M', '512K', '  - ')
    """
    if size is None or size < 0:
        return "  - "
    if size < 973:
        return f"{size:3d} "
    orders = "KMGTPE"
    order = 0
    while True:
        remain = size & 1023
        size >>= 10
        if size >= 973:
            order += 1
            continue
        if size < 9 or (size == 9 and remain < 973):
            tenth = (remain * 5 + 256) // 512
            if tenth >= 10:
                size, tenth = size + 1, 0
            return f"{size}.{tenth}{orders[order]}"
        if remain >= 512:
            size += 1
        return f"{size:3d}{orders[order]}"


@dataclass(frozen=True)
class IndexEntry:
    """One row of a directory listing.

    Attributes
    ----------
    name : str
        Entry name (without trailing slash).
    is_dir : bool
        Whether the entry is a folder.
    size : int
        Size in bytes (ignored for folders).
    mtime : float
        Modification time, seconds since the epoch.
    """

    name: str
    is_dir: bool
    size: int
    mtime: float


def parse_sort(query: str) -> tuple[str, str]:
    """Parse Apache's ``?C=M;O=D`` column/order query arguments.

    Parameters
    ----------
    query : str
        Raw query string; arguments may be separated by ``;`` or ``&``.

    Returns
    -------
    tuple of str
        ``(column, order)`` with column in ``N M S D`` and order in ``A D``;
        ``("N", "A")`` by default.
    """
    column, order = "N", "A"
    for part in query.replace("&", ";").split(";"):
        key, _, value = part.partition("=")
        if key == "C" and value in _SORT_KEYS:
            column = value
        elif key == "O" and value in ("A", "D"):
            order = value
    return column, order


def _sorted(entries: list[IndexEntry], column: str, order: str) -> list[IndexEntry]:
    def key(e: IndexEntry) -> tuple[Any, ...]:
        if column == "M":
            return (e.mtime, e.name)
        if column == "S":
            return (-1 if e.is_dir else e.size, e.name)
        return (e.name,)  # "N", and "D" (descriptions are all empty, so by name)

    return sorted(entries, key=key, reverse=(order == "D"))


def render_index(
    url_path: str,
    entries: list[IndexEntry],
    *,
    sort: tuple[str, str] = ("N", "A"),
    address: str = "",
) -> str:
    """Render a directory listing the way Apache 2.4 ``mod_autoindex`` does.

    The ``IndexOptions FancyIndexing HTMLTable NameWidth=*`` variant used by
    SPDF: a ``<table>`` whose header row links ``?C=N;O=D`` etc., a
    "Parent Directory" row (except at the root), then one row per entry with
    ``YYYY-MM-DD HH:MM`` dates (UTC) and ``apr_strfsize`` sizes.

    Parameters
    ----------
    url_path : str
        Decoded URL path of the folder, with or without trailing slash.
    entries : list of IndexEntry
        Entries to list (already filtered).
    sort : tuple of str
        ``(column, order)`` as returned by :func:`parse_sort`.
    address : str
        Text of the ``<address>`` footer; omitted when empty.

    Returns
    -------
    str
        The HTML page.
    """
    column, order = sort
    title_path = url_path.rstrip("/") or "/"
    esc_title = html.escape(title_path, quote=False)

    def head_link(key: str, label: str) -> str:
        link_order = ("D" if order == "A" else "A") if key == column else "A"
        return f'<th><a href="?C={key};O={link_order}">{label}</a></th>'

    lines = [
        _DOCTYPE_INDEX,
        "<html>",
        " <head>",
        f"  <title>Index of {esc_title}</title>",
        " </head>",
        " <body>",
        f"<h1>Index of {esc_title}</h1>",
        "  <table>",
        '   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th>'
        + head_link("N", "Name")
        + head_link("M", "Last modified")
        + head_link("S", "Size")
        + head_link("D", "Description")
        + "</tr>",
        '   <tr><th colspan="5"><hr></th></tr>',
    ]
    if title_path != "/":
        parent = title_path.rsplit("/", 1)[0] + "/"
        lines.append(
            '<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td>'
            f'<td><a href="{html.escape(quote(parent))}">Parent Directory</a></td>'
            '<td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>'
        )
    for entry in _sorted(entries, column, order):
        href = quote(entry.name, safe="") + ("/" if entry.is_dir else "")
        text = html.escape(entry.name + ("/" if entry.is_dir else ""), quote=False)
        if entry.is_dir:
            icon, alt = "/icons/folder.gif", "[DIR]"
        else:
            icon, alt = _ICONS.get(content_type(entry.name), ("/icons/unknown.gif", "[   ]"))
        stamp = datetime.fromtimestamp(entry.mtime, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
        size = format_size(None if entry.is_dir else entry.size)
        lines.append(
            f'<tr><td valign="top"><img src="{icon}" alt="{alt}"></td>'
            f'<td><a href="{html.escape(href)}">{text}</a></td>'
            f'<td align="right">{stamp}  </td><td align="right">{size}</td>'
            "<td>&nbsp;</td></tr>"
        )
    lines.append('   <tr><th colspan="5"><hr></th></tr>')
    lines.append("</table>")
    if address:
        lines.append(f"<address>{html.escape(address, quote=False)}</address>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"


_ERROR_TEXT: dict[int, str] = {
    301: 'The document has moved <a href="{location}">here</a>.',
    400: "Your browser sent a request that this server could not understand.<br />",
    403: "You don't have permission to access this resource.",
    404: "The requested URL was not found on this server.",
    405: "The requested method is not allowed for this URL.",
    416: "None of the range-specifier values in the Range\nrequest-header field "
    "overlap the current extent\nof the selected resource.",
    429: "The user has sent too many requests\nin a given amount of time.",
    500: "The server encountered an internal error or\nmisconfiguration and was unable "
    "to complete\nyour request.",
    502: "The proxy server received an invalid\nresponse from an upstream server.<br />",
    503: "The server is temporarily unable to service your\nrequest due to maintenance "
    "downtime or capacity\nproblems. Please try again later.",
    504: "The gateway did not receive a timely response\nfrom the upstream server or application.",
}


def error_page(status: int, *, location: str = "", address: str = "") -> str:
    """Render the HTML body Apache 2.4 sends with an error or redirect status.

    Parameters
    ----------
    status : int
        HTTP status code (e.g. 301, 404, 503).
    location : str
        Target of a redirect, shown in the 3xx text.
    address : str
        Text of the ``<address>`` footer; omitted when empty.

    Returns
    -------
    str
        The HTML page.
    """
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    text = _ERROR_TEXT.get(status, f"The server answered with status {status}.")
    text = text.replace("{location}", html.escape(location))
    footer = f"<hr>\n<address>{html.escape(address, quote=False)}</address>\n" if address else ""
    return (
        f"{_DOCTYPE_ERROR}\n<html><head>\n<title>{status} {phrase}</title>\n"
        f"</head><body>\n<h1>{phrase}</h1>\n<p>{text}</p>\n{footer}</body></html>\n"
    )
