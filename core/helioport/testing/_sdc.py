"""Emulation of the LASP MMS Science Data Center (SDC) web-service API.

Used by :class:`helioport.testing.server.ArchiveServer` under its SDC prefix
(default ``mms/sdc/public/files/api/v1/``). The files are found by walking a
folder laid out like the SPDF MMS tree (any layout works: only the file names
matter). Names follow
``mms{p}_{instr}_{rate}_{level}[_{desc}]_{YYYYMMDD[hhmmss]}_v{X}.{Y}.{Z}.cdf``.

Query semantics, as the SDC and its clients (pySPEDAS, heliopy) use them:

* ``sc_id``, ``instrument_id``, ``data_rate_mode``, ``data_level``,
  ``descriptor`` and their plural forms (``sc_ids``, ``instrument_ids``,
  ``data_rate_modes``, ``data_levels``, ``descriptors``) each take a
  comma-separated list; singular and plural are merged.
* ``start_date`` / ``end_date`` select on the start time in the file name.
  ``start_date`` is inclusive. A date-only ``end_date`` covers that whole day
  (``start_date=end_date=2015-10-16`` returns the files of that day); an
  ``end_date`` with a time (``2015-10-16-23:59:59``, or pySPEDAS'
  ``2015-10-16-23-59-59``) is an inclusive instant.
* ``files`` (or ``file``) restricts to a comma-separated list of names.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

__all__ = [
    "DEFAULT_SDC_PREFIX",
    "MmsFile",
    "SdcQuery",
    "file_info_json",
    "file_names_text",
    "find_by_name",
    "parse_mms_name",
    "scan",
    "select",
    "zip_files",
]

DEFAULT_SDC_PREFIX = "mms/sdc/public/files/api/v1/"

#: Most files the real SDC puts into one zip download.
MAX_ZIP_FILES = 500

_VERSION_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
_DATE_RE = re.compile(r"^\d{8}(?:\d{2}){0,3}$")
_QUERY_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[-T ](\d{2})[:-](\d{2})(?:[:-](\d{2})(?:\.\d*)?)?)?Z?$"
)

_FILTERS: dict[str, tuple[str, str]] = {
    "sc_id": ("sc_id", "sc_ids"),
    "instrument_id": ("instrument_id", "instrument_ids"),
    "data_rate_mode": ("data_rate_mode", "data_rate_modes"),
    "data_level": ("data_level", "data_levels"),
    "descriptor": ("descriptor", "descriptors"),
}


@dataclass(frozen=True)
class MmsFile:
    """An MMS science file found under the SDC root.

    Attributes
    ----------
    path : pathlib.Path
        Location on disk.
    file_name : str
        Base name, as the SDC reports and downloads it.
    sc_id, instrument_id, data_rate_mode, data_level : str
        Name fields, e.g. ``mms1``, ``fgm``, ``brst``, ``l2``.
    descriptor : str or None
        Optional descriptor, e.g. ``dis-moms``.
    start : datetime.datetime
        Start time from the name (naive, UTC).
    version : tuple of int
        ``(X, Y, Z)``.
    """

    path: Path
    file_name: str
    sc_id: str
    instrument_id: str
    data_rate_mode: str
    data_level: str
    descriptor: str | None
    start: datetime
    version: tuple[int, int, int]

    @property
    def timetag(self) -> str:
        """Start time as the SDC writes it, e.g. ``2015-10-16T13:05:24``."""
        return self.start.strftime("%Y-%m-%dT%H:%M:%S")

    def info(self) -> dict[str, object]:
        """Return this file's ``file_info`` record (stats the file now)."""
        st = self.path.stat()
        modified = datetime.fromtimestamp(st.st_mtime, tz=timezone.utc)
        return {
            "file_name": self.file_name,
            "file_size": st.st_size,
            "timetag": self.timetag,
            "modified_date": modified.strftime("%Y-%m-%dT%H:%M:%S"),
        }


def parse_mms_name(name: str) -> dict[str, object] | None:
    """Split an MMS science file name into its fields.

    Parameters
    ----------
    name : str
        e.g. ``mms1_fpi_fast_l2_dis-moms_20151201000000_v3.3.0.cdf``.

    Returns
    -------
    dict or None
        Keys ``sc_id, instrument_id, data_rate_mode, data_level, descriptor,
        start, version``; ``None`` when the name does not follow the pattern.
    """
    if not name.lower().endswith(".cdf"):
        return None
    parts = name[:-4].split("_")
    if len(parts) < 6 or not re.fullmatch(r"mms[1-4]", parts[0]):
        return None
    version = _VERSION_RE.match(parts[-1])
    stamp = parts[-2]
    if version is None or not _DATE_RE.match(stamp):
        return None
    try:
        start = datetime.strptime(stamp.ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    descriptor = "_".join(parts[4:-2]) or None
    return {
        "sc_id": parts[0],
        "instrument_id": parts[1],
        "data_rate_mode": parts[2],
        "data_level": parts[3],
        "descriptor": descriptor,
        "start": start,
        "version": tuple(int(v) for v in version.groups()),
    }


def scan(sdc_root: Path) -> list[MmsFile]:
    """Find every MMS science CDF under ``sdc_root`` (symlinks not followed).

    Parameters
    ----------
    sdc_root : pathlib.Path
        Folder to walk; a missing folder gives an empty list.

    Returns
    -------
    list of MmsFile
        Sorted by start time, then name.
    """
    found: list[MmsFile] = []
    for folder, dirs, names in os.walk(sdc_root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            fields = parse_mms_name(name)
            if fields is not None:
                path = Path(folder, name)
                found.append(MmsFile(path=path, file_name=name, **fields))  # type: ignore[arg-type]
    found.sort(key=lambda f: (f.start, f.file_name))
    return found


def _parse_time(value: str) -> tuple[datetime, bool]:
    """Parse a query date; returns (instant, had_time)."""
    match = _QUERY_TIME_RE.match(value.strip())
    if match is None:
        raise ValueError(f"invalid date {value!r}: use YYYY-MM-DD or YYYY-MM-DD-HH:MM:SS")
    y, m, d, hh, mm, ss = match.groups()
    when = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    return when, hh is not None


def _split(values: Iterable[str]) -> frozenset[str] | None:
    items = {v.strip().lower() for value in values for v in value.split(",") if v.strip()}
    return frozenset(items) if items else None


@dataclass(frozen=True)
class SdcQuery:
    """Parsed filters of a ``file_info`` / ``file_names`` / ``download`` query.

    Attributes
    ----------
    filters : dict
        Field name to accepted (lower-case) values; absent means any.
    start : datetime or None
        Inclusive lower bound on the file start time.
    end : datetime or None
        Upper bound on the file start time.
    end_exclusive : bool
        Whether ``end`` is exclusive (date-only ``end_date``, moved one day on).
    files : frozenset of str or None
        Accepted file names.
    """

    filters: Mapping[str, frozenset[str]]
    start: datetime | None = None
    end: datetime | None = None
    end_exclusive: bool = True
    files: frozenset[str] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, list[str]]) -> SdcQuery:
        """Build a query from ``urllib.parse.parse_qs`` output.

        Raises
        ------
        ValueError
            On an unparsable ``start_date`` / ``end_date``.
        """
        filters: dict[str, frozenset[str]] = {}
        for field, keys in _FILTERS.items():
            values = _split(v for key in keys for v in params.get(key, []))
            if values is not None:
                filters[field] = values
        start = end = None
        end_exclusive = True
        if params.get("start_date"):
            start, _ = _parse_time(params["start_date"][-1])
        if params.get("end_date"):
            end, had_time = _parse_time(params["end_date"][-1])
            if had_time:
                end_exclusive = False
            else:
                end += timedelta(days=1)
        names = [v for key in ("files", "file") for v in params.get(key, [])]
        files = frozenset(n.strip() for v in names for n in v.split(",") if n.strip()) or None
        return cls(filters=filters, start=start, end=end, end_exclusive=end_exclusive, files=files)

    def matches(self, f: MmsFile) -> bool:
        """Whether ``f`` passes every filter."""
        for field, accepted in self.filters.items():
            value = getattr(f, field)
            if value is None or value.lower() not in accepted:
                return False
        if self.start is not None and f.start < self.start:
            return False
        if self.end is not None and (
            f.start > self.end or (self.end_exclusive and f.start == self.end)
        ):
            return False
        return self.files is None or f.file_name in self.files


def select(sdc_root: Path, params: Mapping[str, list[str]]) -> list[MmsFile]:
    """Return the files under ``sdc_root`` that a query selects.

    Parameters
    ----------
    sdc_root : pathlib.Path
        SDC data folder.
    params : mapping
        Query parameters as parsed by ``urllib.parse.parse_qs``.

    Returns
    -------
    list of MmsFile
        Sorted by start time, then name.
    """
    query = SdcQuery.from_params(params)
    return [f for f in scan(sdc_root) if query.matches(f)]


def find_by_name(sdc_root: Path, names: Iterable[str]) -> list[MmsFile]:
    """Return the files called ``names`` (unknown names are skipped).

    Parameters
    ----------
    sdc_root : pathlib.Path
        SDC data folder.
    names : iterable of str
        Base names.

    Returns
    -------
    list of MmsFile
        In the order of ``names``; the first file wins when a name repeats.
    """
    wanted = [n for n in names if n]
    by_name: dict[str, MmsFile] = {}
    for f in scan(sdc_root):
        by_name.setdefault(f.file_name, f)
    return [by_name[n] for n in wanted if n in by_name]


def file_info_json(files: list[MmsFile]) -> bytes:
    """Serialise ``file_info`` records as the SDC does (``{"files": [...]}``)."""
    return json.dumps({"files": [f.info() for f in files]}).encode()


def file_names_text(files: list[MmsFile]) -> bytes:
    """Serialise a ``file_names`` answer: comma-separated names."""
    return ",".join(f.file_name for f in files).encode()


def zip_files(files: list[MmsFile]) -> bytes:
    """Pack files into a zip (what the SDC sends for a multi-file download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for f in files[:MAX_ZIP_FILES]:
            archive.write(f.path, arcname=f.file_name)
    return buffer.getvalue()
