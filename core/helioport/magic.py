"""File signatures ("magic numbers"): the first bytes that tell what a file is.

The one home of these constants: :mod:`helioport.cdffile` checks a CDF header
with :data:`CDF_MAGIC`, and the transport checks every download against what
was declared (:func:`helioport.transport.download.verify_head`) with
:func:`looks_like`.
"""

from __future__ import annotations

__all__ = [
    "BZIP2_MAGIC",
    "CDF_MAGIC",
    "GZIP_MAGIC",
    "TAR_MAGIC",
    "TAR_MAGIC_OFFSET",
    "XZ_MAGIC",
    "ZIP_MAGIC",
    "looks_like",
]

#: First four bytes of a CDF: version 3, version 2.6/2.7, and before 2.6.
CDF_MAGIC: tuple[bytes, ...] = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02", b"\x00\x00\xff\xff")
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
#: A zip's first local header, or the end record of an empty zip.
ZIP_MAGIC: tuple[bytes, ...] = (b"PK\x03\x04", b"PK\x05\x06")
#: POSIX (``ustar\0``) and GNU (``ustar  \0``) tar headers carry ``ustar`` at byte 257.
TAR_MAGIC = b"ustar"
TAR_MAGIC_OFFSET = 257

_COMPRESSED = (GZIP_MAGIC, BZIP2_MAGIC, XZ_MAGIC)


def looks_like(kind: str, head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes, at least 512 for a tar) starts a file of ``kind``.

    ``kind`` is ``"cdf"``, ``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zip"``,
    ``"tar"`` (plain: ``ustar`` at offset 257) or ``"compressed_tar"`` (a
    plain tar, or gzip/bzip2/xz data, which may hold one).

    Examples
    --------
    >>> looks_like("cdf", b"\\xcd\\xf3\\x00\\x01rest"), looks_like("zip", b"<html>")
    (True, False)
    >>> looks_like("compressed_tar", b"\\x1f\\x8b\\x08\\x00")
    True
    """
    if kind == "cdf":
        return head[:4] in CDF_MAGIC
    if kind == "gzip":
        return head.startswith(GZIP_MAGIC)
    if kind == "bzip2":
        return head.startswith(BZIP2_MAGIC)
    if kind == "xz":
        return head.startswith(XZ_MAGIC)
    if kind == "zip":
        return head.startswith(ZIP_MAGIC)
    tar = head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + len(TAR_MAGIC)] == TAR_MAGIC
    if kind == "tar":
        return tar
    if kind == "compressed_tar":
        return tar or head.startswith(_COMPRESSED)
    raise ValueError(f"unknown file kind {kind!r}")
