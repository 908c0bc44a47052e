"""Finding the skymap valid at a time: a building block for imager plugins.

UCalgary keeps one folder per skymap, named after the start of its validity,
``{site}/{site}_%Y%m%d/`` under the skymap source, holding
``themis_skymap_{site}_%Y%m%d-+_v{version}.sav`` (``vXX`` in the older
files, ``v01``/``v02`` in the newer; the server writes ``+`` as ``%2B`` in
its index links, which the core's listing decodes). A skymap is valid from
its date until the next one starts.

:func:`find_skymap_files` lists the site's folder (one cached, revalidated
listing), chooses the newest folder whose date is at or before the
request's start — or, when none is, the earliest, with a warning naming
both dates — lists that folder and returns every version of the file as
:class:`~helioport.schema.RemoteFile` (the core keeps the newest). Offline,
both listings come from the cache like any other.

Examples
--------
>>> SKYMAPS = SkymapTemplate(
...     source="themis_asi_skymap",
...     folder="{site}/{site}_%Y%m%d/",
...     name="themis_skymap_{site}_%Y%m%d-+_v{version}.sav",
... )
>>> SKYMAPS.folder_date("gako_20110305", site="gako")
datetime.datetime(2011, 3, 5, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DataNotFoundError, warn_caller
from ..schema import RemoteFile, Request
from ..transport.listing import DirEntry

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ..transport.context import ArchiveContext

__all__ = ["SkymapTemplate", "choose_skymap", "find_skymap_files"]

UTC = dt.timezone.utc
_MARK = "@version@"  # stands for {version} through str.format, strftime and re.escape


@dataclass(frozen=True)
class SkymapTemplate:
    """Where a mission's skymaps live, below a source's base URL.

    Attributes
    ----------
    source : the source key (its base URL, mirrors applied, is the root).
    folder : the folder of one skymap: ``{site}`` and strftime codes of its validity start.
    name : the file name in that folder, with ``{version}`` where the version stands.
    version : the regular expression of a version (``XX`` or digits by default).
    """

    source: str
    folder: str
    name: str
    version: str = r"XX|\d+"

    def _regex(self, text: str, start: dt.datetime | None = None, **fields: Any) -> re.Pattern:
        """``text`` as a regular expression: fields filled, strftime codes (or ``start``) matched."""
        text = text.replace("{version}", _MARK).format(**fields)
        if start is not None:
            text = start.strftime(text)
        pattern = re.escape(text)
        for code, digits in (("%Y", 4), ("%m", 2), ("%d", 2), ("%H", 2)):
            pattern = pattern.replace(code, rf"(?P<{code[1]}>\d{{{digits}}})", 1)
        return re.compile(pattern.replace(_MARK, f"(?P<version>{self.version})"))

    def folder_date(self, name: str, **fields: Any) -> dt.datetime | None:
        """The validity start a folder's name states, or ``None`` when it is not a skymap folder."""
        last = self.folder.rstrip("/").rsplit("/", 1)[-1]
        m = self._regex(last, **fields).fullmatch(name.rstrip("/"))
        if m is None:
            return None
        parts = m.groupdict()
        return dt.datetime(
            int(parts["Y"]), int(parts.get("m") or 1), int(parts.get("d") or 1),
            int(parts.get("H") or 0), tzinfo=UTC,
        )  # fmt: skip

    def file_version(self, name: str, start: dt.datetime, **fields: Any) -> str | None:
        """The version text of file ``name`` of the skymap valid from ``start``, or ``None``."""
        m = self._regex(self.name, start, **fields).fullmatch(name)
        return m.group("version") if m else None


def choose_skymap(
    dates: list[dt.datetime], time: dt.datetime, *, what: str = "skymap"
) -> dt.datetime:
    """The validity start to use at ``time``: the newest at or before it, else the earliest (warned).

    Examples
    --------
    >>> d = [dt.datetime(2011, 3, 5, tzinfo=UTC), dt.datetime(2012, 9, 1, tzinfo=UTC)]
    >>> choose_skymap(d, dt.datetime(2012, 1, 1, tzinfo=UTC)).year
    2011
    """
    before = [d for d in dates if d <= time]
    if before:
        return max(before)
    first = min(dates)
    from ..times import format_time  # numpy and pandas: not needed to declare a skymap template

    warn_caller(
        f"no {what} starts at or before {format_time(time)}: using the earliest, valid from "
        f"{format_time(first)}; its geometry may not apply to that time"
    )
    return first


def find_skymap_files(
    template: SkymapTemplate, request: Request, ctx: ArchiveContext, *, site: str
) -> list[RemoteFile]:
    """Every version of the skymap file of ``site`` valid at ``request.start``.

    Returns ``[]`` when the archive has no skymap for the site (the core then
    reports that nothing was found, or that nothing is cached offline).
    """
    base = ctx.base_url(template.source)
    parent_rel, _, _ = template.folder.rstrip("/").rpartition("/")
    parent_rel = parent_rel.format(site=site)
    parent = ctx.join(base, parent_rel + "/") if parent_rel else base
    folders: dict[dt.datetime, DirEntry] = {}
    for entry in ctx.list_dir(parent):
        start = template.folder_date(entry.name, site=site)
        if start is not None and (entry.is_dir or entry.url.endswith("/")):
            folders[start] = entry
    if not folders:
        return []
    start = choose_skymap(
        sorted(folders), request.start, what=f"{request.mission} skymap of {site}"
    )
    folder = folders[start]
    rel_folder = f"{parent_rel}/{folder.name.rstrip('/')}" if parent_rel else folder.name
    end = min((d for d in folders if d > start), default=None)
    files = []
    for entry in ctx.list_dir(ctx.join(base, rel_folder + "/")):
        if entry.is_dir:
            continue
        version = template.file_version(entry.name, start, site=site)
        if version is None:
            continue
        files.append(
            RemoteFile(
                url=entry.url,
                relpath=f"{rel_folder}/{entry.name}",
                mission=request.mission,
                key=f"{rel_folder}/skymap",
                version=version,
                start=start,
                end=end,
                size=entry.size,
                mtime=entry.mtime,
                source=template.source,
            )
        )
    if not files and not request.offline:
        raise DataNotFoundError(
            f"the skymap folder {folder.url} holds no file named like {template.name!r}; "
            "the archive layout may have changed: check the mirror or report it"
        )
    return files
