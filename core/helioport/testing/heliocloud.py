"""Write a HelioCloud-like bucket tree (CloudCatalog) from archives laid out like SPDF.

:func:`write_heliocloud_tree` copies sample archives (folders in the SPDF
``pub/data/<mission>/`` layout) below ``cdaweb/<mission>/`` of a folder laid
out like the GSFC bucket, and writes what the CloudCatalog specification asks
for: ``catalog.json`` at the root (``id``, ``index``, ``title``, ``start``,
``stop``, ``modification``, ``indextype``, ``filetype``, ``status``) and, in
each dataset's index folder, the yearly registries ``<id>_YYYY.csv`` (``start,
stop, datakey, filesize`` with absolute ``s3://<bucket>/...`` keys, a ``#``
header line unless ``header=False``).

A file's dataset is its CDAWeb ID: the name before ``_<YYYYMMDD[hhmmss]>_v<version>``,
upper-cased (``omni_hro_1min_20100101_v01.cdf`` -> ``OMNI_HRO_1MIN``); its
``start`` is the time in its name (as in CDAWeb's HelioCloud registries) and
its ``stop`` the last time of its CDF epoch variables (the name's time when
it has none). The index folder of a dataset is the
folder of its files above the dated folders (``cdaweb/omni/omni_cdaweb/hro_1min/``).

Examples
--------
>>> tree = write_heliocloud_tree(tmp_path / "bucket", {"omni": omni_root})  # doctest: +SKIP
>>> sorted(tree.datasets)  # doctest: +SKIP
['OMNI_HRO_1MIN', 'OMNI_HRO_5MIN']
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import cdflib
import numpy as np

__all__ = ["HelioCloudTree", "set_modification", "write_heliocloud_tree"]

UTC = dt.timezone.utc
_NAME = re.compile(r"^(?P<id>.+?)_(?P<stamp>\d{8}(?:\d{6})?)_v\d+(?:\.\d+)*\.cdf$", re.IGNORECASE)
#: CDF epoch data types: CDF_EPOCH, CDF_EPOCH16, CDF_TIME_TT2000
_EPOCH_TYPES = {31, 32, 33}
DEFAULT_MODIFICATION = dt.datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class HelioCloudTree:
    """What :func:`write_heliocloud_tree` wrote.

    Attributes
    ----------
    root : the folder laid out like the bucket (use it, or upload it, as the base).
    bucket : the bucket name the registries' keys name.
    datasets : registry files of each dataset ID, by year.
    """

    root: Path
    bucket: str
    datasets: dict[str, dict[int, Path]] = field(default_factory=dict)

    @property
    def catalog(self) -> Path:
        """The ``catalog.json`` file."""
        return self.root / "catalog.json"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _epoch_span(path: Path) -> tuple[dt.datetime, dt.datetime] | None:
    """First and last time of the file's epoch variables, ``None`` when it has none."""
    cdf = cdflib.CDF(str(path))
    first = last = None
    for name in cdf.cdf_info().zVariables:
        if cdf.varinq(name).Data_Type not in _EPOCH_TYPES:
            continue
        values = np.atleast_1d(cdf.varget(name))
        if values.size == 0:
            continue
        times = np.asarray(cdflib.cdfepoch.to_datetime(values), dtype="datetime64[us]")
        times = times[~np.isnat(times)]
        if times.size == 0:
            continue
        lo, hi = times.min(), times.max()
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
    if first is None:
        return None
    return (
        first.astype(dt.datetime).replace(tzinfo=UTC),
        last.astype(dt.datetime).replace(tzinfo=UTC),
    )


def _name_span(stamp: str) -> tuple[dt.datetime, dt.datetime]:
    t = dt.datetime.strptime(stamp, "%Y%m%d%H%M%S" if len(stamp) == 14 else "%Y%m%d")
    return t.replace(tzinfo=UTC), t.replace(tzinfo=UTC)


def _index_folder(rel: PurePosixPath) -> PurePosixPath:
    """The folder of ``rel`` above its dated folders (``.../hro_1min/2010/x.cdf`` -> ``.../hro_1min``)."""
    folder = rel.parent
    while folder.name.isdigit():
        folder = folder.parent
    return folder


@dataclass
class _File:
    rel: PurePosixPath  # below the bucket root
    start: dt.datetime
    stop: dt.datetime
    size: int


def _collect(root: Path, spdf_trees: Mapping[str, Path]) -> dict[str, list[_File]]:
    """Copy every dataset file below ``cdaweb/<mission>/`` and group them by CDAWeb ID."""
    out: dict[str, list[_File]] = {}
    for mission, tree in spdf_trees.items():
        tree = Path(tree)
        for src in sorted(tree.rglob("*.cdf")):
            m = _NAME.match(src.name)
            if m is None:
                continue
            rel = PurePosixPath("cdaweb", mission, src.relative_to(tree).as_posix())
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            named, _ = _name_span(m.group("stamp"))
            start, stop = _epoch_span(dest) or (named, named)
            start = min(start, named)  # a file starts at its name's time, like CDAWeb's registries
            out.setdefault(m.group("id").upper(), []).append(
                _File(rel, start, stop, dest.stat().st_size)
            )
    return out


def _write_registries(
    root: Path, bucket: str, ident: str, files: list[_File], index: PurePosixPath, header: bool
) -> dict[int, Path]:
    by_year: dict[int, list[_File]] = {}
    for f in sorted(files, key=lambda f: (f.start, str(f.rel))):
        by_year.setdefault(f.start.year, []).append(f)
    written = {}
    for year, group in by_year.items():
        lines = ["#start,stop,datakey,filesize"] if header else []
        lines += [
            f"{_iso(f.start)},{_iso(f.stop)},s3://{bucket}/{f.rel.as_posix()},{f.size}"
            for f in group
        ]
        path = root / index / f"{ident}_{year}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written[year] = path
    return written


def write_heliocloud_tree(
    root: Path,
    spdf_trees: Mapping[str, Path],
    bucket: str = "gov-nasa-hdrl-data1",
    *,
    header: bool = True,
    modification: dt.datetime = DEFAULT_MODIFICATION,
) -> HelioCloudTree:
    """Write a bucket-like tree with ``catalog.json`` and yearly registries under ``root``.

    Parameters
    ----------
    root
        The folder standing for the bucket root (created).
    spdf_trees
        ``{"omni": folder, "mms": folder, "cluster": folder}``: folders laid out
        like SPDF's ``pub/data/<mission>/``; their CDF files go to ``cdaweb/<mission>/``.
    bucket
        The bucket the registries' absolute ``s3://`` keys and ``index`` name.
    header
        Whether the registries start with the ``#start,stop,datakey,filesize`` line.
    modification
        The ``modification`` time of every dataset.

    Returns
    -------
    HelioCloudTree
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tree = HelioCloudTree(root, bucket)
    entries = []
    for ident, files in sorted(_collect(root, spdf_trees).items()):
        index = PurePosixPath(*_common([_index_folder(f.rel) for f in files]))
        tree.datasets[ident] = _write_registries(root, bucket, ident, files, index, header)
        entries.append(
            {
                "id": ident,
                "index": f"s3://{bucket}/{index.as_posix()}/",
                "title": f"{ident} (CDAWeb)",
                "start": _iso(min(f.start for f in files)),
                "stop": _iso(max(f.stop for f in files)),
                "modification": _iso(modification),
                "indextype": "csv",
                "filetype": "cdf",
                "status": "1200/OK",
            }
        )
    catalog = {
        "version": "1.0",
        "name": "HelioCloud test bucket",
        "egress": "public, no-egress",
        "contact": "helioport tests",
        "catalog": entries,
        "status": {"code": 1200, "message": "OK request successful"},
    }
    tree.catalog.write_text(json.dumps(catalog, indent=1), encoding="utf-8")
    return tree


def _common(folders: list[PurePosixPath]) -> tuple[str, ...]:
    parts = [f.parts for f in folders]
    out: list[str] = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        out.append(level[0])
    return tuple(out)


def set_modification(tree: HelioCloudTree, ident: str, when: dt.datetime) -> None:
    """Set the ``modification`` of dataset ``ident`` in the tree's ``catalog.json``."""
    data = json.loads(tree.catalog.read_text(encoding="utf-8"))
    for entry in data["catalog"]:
        if entry["id"].upper() == ident.upper():
            entry["modification"] = _iso(when)
    tree.catalog.write_text(json.dumps(data, indent=1), encoding="utf-8")
