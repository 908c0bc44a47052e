"""A worker takes a cached copy for the stamped file only when it is the same copy."""

from __future__ import annotations

from pathlib import Path

from helioport.lifecycle.fetch import FileStamp, _identity, _same_file
from helioport.schema import RemoteFile
from helioport.transport import LocalFile
from helioport.transport.cache import CacheLayout


def _cached(root: Path, meta: dict) -> tuple[CacheLayout, LocalFile]:
    layout = CacheLayout(root)
    remote = RemoteFile(
        url="http://127.0.0.1:1/omni/a_v01.cdf", relpath="a_v01.cdf", mission="omni", version="01"
    )
    path = layout.file_path(remote)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    layout.write_meta(remote, {"size": 10, "version": "01", **meta})
    return layout, LocalFile(path, remote, "downloaded")


def _stamp(layout: CacheLayout, lf: LocalFile) -> FileStamp:
    meta = layout.read_meta(lf.remote) or {}
    return FileStamp(
        local=lf,
        cache_dir=layout.root,
        size=meta.get("size"),
        version=meta.get("version"),
        etag=meta.get("etag"),
        offline=False,
        origin=("here", 1),
        identity=_identity(meta),
    )


def test_without_etag_or_last_modified_another_fetch_is_another_copy(tmp_path):
    layout, lf = _cached(tmp_path, {"etag": None, "last_modified": None, "fetched_at_ts": 1.0})
    stamp = _stamp(layout, lf)
    assert _same_file(stamp)
    # an older copy of the same name and size, fetched at another time (another cache, reused path)
    layout.write_meta(lf.remote, {"size": 10, "version": "01", "etag": None, "fetched_at_ts": 0.5})
    assert not _same_file(stamp)


def test_with_last_modified_a_revalidation_keeps_the_copy_the_same(tmp_path):
    meta = {"etag": None, "last_modified": "Fri, 01 Jan 2010 00:00:00 GMT", "fetched_at_ts": 1.0}
    layout, lf = _cached(tmp_path, meta)
    stamp = _stamp(layout, lf)
    layout.write_meta(lf.remote, {"size": 10, "version": "01", **meta, "fetched_at_ts": 2.0})
    assert _same_file(stamp)  # revalidated (304): the same copy
    layout.write_meta(
        lf.remote,
        {"size": 10, "version": "01", **meta, "last_modified": "Sat, 02 Jan 2010 00:00:00 GMT"},
    )
    assert not _same_file(stamp)
