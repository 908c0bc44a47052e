"""MMS file names, the SPDF folder layout, and file time spans.

Names follow ``mms{p}_{instr}_{rate}_{level}[_{desc}]_{YYYYMMDD[hhmmss]}_v{X}.{Y}.{Z}.cdf``;
the SPDF tree (and the SDC's own download layout) puts them in
``mms{p}/{instr}/{rate}/{level}[/{desc}]/%Y/%m/`` and burst files one level
deeper, in ``.../%Y/%m/%d/``.

A file's end is not in its name. Daily files (8-digit stamps) span one day;
other files end where the next file of the same dataset starts, and at most
:data:`MAX_SPAN` after their start (2 h for FPI fast survey files, which start
every two hours; :data:`MAX_BURST` for burst intervals).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from dataclasses import dataclass

__all__ = [
    "MAX_BURST",
    "MAX_SPAN",
    "Dataset",
    "FileName",
    "file_spans",
    "parse_name",
]

UTC = dt.timezone.utc
#: Longest burst interval assumed when no later file bounds it.
MAX_BURST = dt.timedelta(hours=1)
#: Longest non-daily survey file (FPI fast survey files cover two hours).
MAX_SPAN = dt.timedelta(hours=2)
ONE_DAY = dt.timedelta(days=1)

_NAME = re.compile(
    r"^(?P<probe>mms[1-4])_(?P<instr>[a-z0-9]+)_(?P<rate>[a-z]+)_(?P<level>[a-z0-9]+)"
    r"(?:_(?P<desc>[a-z0-9-]+))?_(?P<stamp>\d{8}|\d{14})_v(?P<version>\d+\.\d+\.\d+)\.cdf$"
)


@dataclass(frozen=True)
class Dataset:
    """One MMS dataset: probe, instrument, data rate, level and descriptor.

    Examples
    --------
    >>> ds = Dataset("mms1", "fpi", "fast", "l2", "dis-moms")
    >>> ds.prefix, ds.folder(dt.datetime(2015, 12, 1))
    ('mms1_fpi_fast_l2_dis-moms_', 'mms1/fpi/fast/l2/dis-moms/2015/12/')
    """

    probe: str
    instrument: str
    rate: str
    level: str = "l2"
    descriptor: str | None = None

    @property
    def prefix(self) -> str:
        """The start of every file name of the dataset."""
        parts = [self.probe, self.instrument, self.rate, self.level] + (
            [self.descriptor] if self.descriptor else []
        )
        return "_".join(parts) + "_"

    @property
    def logical_source(self) -> str:
        """The ISTP ``Logical_source`` (``mms1_fpi_fast_l2_dis-moms``)."""
        return self.prefix[:-1]

    @property
    def burst(self) -> bool:
        return self.rate == "brst"

    def base_folder(self) -> str:
        """``mms1/fgm/brst/l2[/desc]/`` below the archive root."""
        parts = [self.probe, self.instrument, self.rate, self.level] + (
            [self.descriptor] if self.descriptor else []
        )
        return "/".join(parts) + "/"

    def folder(self, day: dt.datetime | dt.date) -> str:
        """The folder holding the files starting on ``day`` (month folder, day folder for burst)."""
        sub = f"{day.year:04d}/{day.month:02d}/"
        if self.burst:
            sub += f"{day.day:02d}/"
        return self.base_folder() + sub

    def folders(self, start: dt.datetime, end: dt.datetime) -> list[str]:
        """The folders to list for files starting in ``[start, end)`` (each once, in order)."""
        out: dict[str, None] = {}  # ordered, and a century of days stays linear
        day = start.date()
        last = (end - dt.timedelta(microseconds=1)).date()
        while day <= last:
            out.setdefault(self.folder(day))
            day += dt.timedelta(days=1)
        return list(out)


@dataclass(frozen=True)
class FileName:
    """The parts of an MMS file name.

    Attributes
    ----------
    name : the whole name.
    dataset : the :class:`Dataset` it belongs to.
    start : its start time (UTC) from the name.
    version : ``"4.18.1"``.
    daily : whether the stamp is a date only (the file spans one day).
    """

    name: str
    dataset: Dataset
    start: dt.datetime
    version: str
    daily: bool

    @property
    def key(self) -> str:
        """The logical file: the name without its version (``mms1_fgm_brst_l2_20151016130524``)."""
        return self.name[: self.name.rindex("_v")]

    @property
    def relpath(self) -> str:
        """Path below the archive root / cache folder, in the SPDF layout."""
        return self.dataset.folder(self.start) + self.name


@functools.lru_cache(maxsize=65536)
def parse_name(name: str) -> FileName | None:
    """Split an MMS science file name; ``None`` when it is not one.

    Examples
    --------
    >>> f = parse_name("mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")
    >>> f.start.isoformat(), f.version, f.key, f.daily
    ('2015-10-16T13:05:24+00:00', '4.18.1', 'mms1_fgm_brst_l2_20151016130524', False)
    >>> parse_name("mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf.part") is None
    True
    """
    m = _NAME.match(name)
    if not m:
        return None
    stamp = m.group("stamp")
    try:
        start = dt.datetime.strptime(
            stamp, "%Y%m%d%H%M%S" if len(stamp) == 14 else "%Y%m%d"
        ).replace(tzinfo=UTC)
    except ValueError:
        return None
    ds = Dataset(
        m.group("probe"), m.group("instr"), m.group("rate"), m.group("level"), m.group("desc")
    )
    return FileName(
        name=name, dataset=ds, start=start, version=m.group("version"), daily=len(stamp) == 8
    )


def file_spans(
    files: list[FileName], *, max_burst: dt.timedelta = MAX_BURST
) -> dict[str, dt.datetime]:
    """The end time of each file, by logical key.

    Daily files end one day after their start. Others end at the start of the
    next file of their dataset (any version), and at most :data:`MAX_SPAN`
    (survey) or ``max_burst`` (burst) after their own start.

    Examples
    --------
    >>> a = parse_name("mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf")
    >>> b = parse_name("mms1_fgm_brst_l2_20151016131000_v4.18.0.cdf")
    >>> ends = file_spans([a, b])
    >>> ends[a.key].time(), ends[b.key].time()
    (datetime.time(13, 10), datetime.time(14, 10))
    """
    ends: dict[str, dt.datetime] = {}
    by_dataset: dict[Dataset, list[FileName]] = {}
    for f in files:
        by_dataset.setdefault(f.dataset, []).append(f)
    for ds, group in by_dataset.items():
        starts = sorted({f.start for f in group})
        limit = max_burst if ds.burst else MAX_SPAN
        for f in group:
            if f.daily:
                ends[f.key] = f.start + ONE_DAY
                continue
            i = bisect.bisect_right(starts, f.start)
            cap = f.start + limit
            ends[f.key] = min(starts[i], cap) if i < len(starts) else cap
    return ends
