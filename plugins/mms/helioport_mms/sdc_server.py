"""Emulation of the LASP MMS Science Data Center (SDC) web-service API, for tests.

:class:`SdcApi` is mounted on a :class:`helioport.testing.ArchiveServer` under
the SDC's URL prefix (:data:`SDC_PREFIX`, ``mms/sdc/public/files/api/v1/``)::

    with ArchiveServer(root, apis={SDC_PREFIX: SdcApi(root)}) as server:
        helioport.load("mms", ..., base_url={"mms_sdc": server.api_url(SDC_PREFIX)})

or from the command line: ``python -m helioport_mms.sdc_server ROOT [--port N]``.
The files are found by walking a folder laid out like the SPDF MMS tree (any
layout works: only the file names matter). Names follow
``mms{p}_{instr}_{rate}_{level}[_{desc}]_{YYYYMMDD[hhmmss]}_v{X}.{Y}.{Z}.cdf``;
they are parsed here independently of :mod:`helioport_mms.names`, so the
emulated server does not share a bug with the client under test.

Endpoints (``GET``): ``file_info/science`` (JSON ``{"files": [{file_name,
file_size, timetag, modified_date}]}``), ``file_names/science`` (comma-separated
names, ``text/plain``) and ``download/science`` (``file=NAME``: the file, with
ETag/``304``/``Range``; several files or a query: a zip). Unknown endpoints
answer a JSON ``404``, bad dates a JSON ``400``.

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

import argparse
import io
import json
import logging
import os
import re
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from helioport.testing import ApiRequest, ApiResponse, ArchiveServer, serve_forever

__all__ = [
    "SDC_PREFIX",
    "MmsFile",
    "SdcApi",
    "SdcQuery",
    "file_info_json",
    "file_names_text",
    "find_by_name",
    "main",
    "parse_mms_name",
    "scan",
    "sdc_server",
    "select",
    "zip_files",
]

#: URL prefix of the SDC API below the server root, as at lasp.colorado.edu.
SDC_PREFIX = "mms/sdc/public/files/api/v1/"

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


def _is_inside(path: Path, folder: str) -> bool:
    real = os.path.realpath(path)
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


class SdcApi:
    """The SDC API over the MMS files under ``root``; mount it on an ArchiveServer.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding the MMS files (walked on each query; files may be added
        or replaced while serving).

    Examples
    --------
    >>> with ArchiveServer(tmp, apis={SDC_PREFIX: SdcApi(tmp)}) as srv:  # doctest: +SKIP
    ...     requests.get(srv.api_url(SDC_PREFIX) + "file_info/science", params={"sc_id": "mms1"})
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def __call__(self, request: ApiRequest) -> ApiResponse:
        params = request.query
        try:
            if request.path == "file_info/science":
                return ApiResponse(body=file_info_json(select(self.root, params)))
            if request.path == "file_names/science":
                text = file_names_text(select(self.root, params))
                return ApiResponse(body=text, content_type="text/plain")
            if request.path == "download/science":
                return self._download(params)
        except ValueError as exc:
            return ApiResponse.json({"error": str(exc)}, 400)
        return ApiResponse.json({"error": f"unknown endpoint: {request.path or '/'}"}, 404)

    def _download(self, params: Mapping[str, list[str]]) -> ApiResponse:
        names = [
            n.strip()
            for key in ("file", "files")
            for v in params.get(key, [])
            for n in v.split(",")
        ]
        names = [n for n in names if n]
        if names:
            files = find_by_name(self.root, names)
        elif set(params) - {"start_date", "end_date"}:
            files = select(self.root, params)
        else:
            return ApiResponse.json({"error": "give file=NAME or query parameters"}, 400)
        if not files:
            return ApiResponse.json({"error": "file not found", "file": ",".join(names)}, 404)
        real_root = os.path.realpath(self.root)
        if any(not _is_inside(f.path, real_root) for f in files):
            return ApiResponse.json({"error": "forbidden"}, 403)
        if len(files) == 1:
            disposition = f'attachment; filename="{files[0].file_name}"'
            return ApiResponse.send_file(files[0].path, {"Content-Disposition": disposition})
        return ApiResponse(
            body=zip_files(files),
            content_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="mms_sdc_files.zip"'},
        )

    def __repr__(self) -> str:
        return f"<SdcApi {self.root}>"


def sdc_server(
    root: str | os.PathLike[str],
    *,
    sdc_root: str | os.PathLike[str] | None = None,
    prefix: str = SDC_PREFIX,
    **kwargs: object,
) -> ArchiveServer:
    """An :class:`ArchiveServer` of ``root`` with the SDC API mounted at ``prefix`` (not started).

    Parameters
    ----------
    root : str or os.PathLike
        Folder served as files (the SPDF tree, say).
    sdc_root : str or os.PathLike, optional
        Folder of the files the SDC API serves (default ``root``).
    prefix : str
        URL prefix of the API; ``server.api_url(prefix)`` is its base URL.
    **kwargs
        Passed to :class:`ArchiveServer` (``port``, ``host``).

    Examples
    --------
    >>> with sdc_server(tmp_path) as srv:  # doctest: +SKIP
    ...     helioport.load("mms", ..., base_url={"mms_sdc": srv.api_url(SDC_PREFIX)})
    """
    api = SdcApi(root if sdc_root is None else sdc_root)
    return ArchiveServer(root, apis={prefix: api}, **kwargs)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helioport_mms.sdc_server ROOT [--port N]``: files and the SDC API."""
    parser = argparse.ArgumentParser(
        prog="python -m helioport_mms.sdc_server",
        description="Serve a folder of MMS files like the SPDF tree and the LASP SDC API.",
    )
    parser.add_argument("root", help="folder to serve")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--prefix", default=SDC_PREFIX, help="URL prefix of the SDC API")
    parser.add_argument("--sdc-root", default=None, help="folder of the MMS files (default ROOT)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    api = SdcApi(args.root if args.sdc_root is None else args.sdc_root)
    serve_forever(args.root, port=args.port, host=args.host, apis={args.prefix: api})
    return 0


if __name__ == "__main__":
    sys.exit(main())
