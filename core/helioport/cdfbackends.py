"""The CDF decoders behind :mod:`helioport.cdffile`: pycdfpp (default) and cdflib.

Both answer the same small interface (:class:`CdfFile`): variable names,
:class:`VarInfo`, attributes with cdflib's value conventions (strings as
``str``; numbers as numpy scalars, or arrays when several; time-typed
attributes as raw CDF values), raw records (CDF time types as stored: TT2000
``int64``, EPOCH ``float64``, EPOCH16 ``complex128``; characters ``str``),
and global attributes. Whatever the decoder, the same file gives the same
values, so :mod:`helioport.cdffile` is decoder-agnostic.

The decoder is chosen by ``reader=`` or the ``HELIOPORT_CDF_READER``
environment variable (``pycdfpp`` or ``cdflib``; default ``pycdfpp``, and
cdflib when pycdfpp is not installed). Per-file metadata (names, variable
descriptions, attributes) is remembered by path, size and modification time
(cached files never change in place) in a small bounded table.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = [
    "DECODER_ERRORS",
    "READERS",
    "READER_ENV",
    "TYPE_NAMES",
    "CdfFile",
    "FileMeta",
    "VarInfo",
    "cdf_reader",
    "file_meta",
    "known_meta",
]

READER_ENV = "HELIOPORT_CDF_READER"
READERS = ("pycdfpp", "cdflib")
#: what a decoder raises on a damaged file (cdflib reads garbage offsets and sizes as they
#: come: negative seeks, missing keys, types it cannot build, arrays too large to allocate)
DECODER_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    MemoryError,
    RuntimeError,
    BufferError,
    struct.error,
    zlib.error,
)
# CDF data type code -> name, as cdflib's varinq names them
TYPE_NAMES = {1: "CDF_INT1", 2: "CDF_INT2", 4: "CDF_INT4", 8: "CDF_INT8", 11: "CDF_UINT1"}
TYPE_NAMES.update({12: "CDF_UINT2", 14: "CDF_UINT4", 21: "CDF_REAL4", 22: "CDF_REAL8"})
TYPE_NAMES.update({31: "CDF_EPOCH", 32: "CDF_EPOCH16", 33: "CDF_TIME_TT2000", 41: "CDF_BYTE"})
TYPE_NAMES.update({44: "CDF_FLOAT", 45: "CDF_DOUBLE", 51: "CDF_CHAR", 52: "CDF_UCHAR"})
_CACHE_FILES = 256


def cdf_reader(reader: str | None = None) -> str:
    """The decoder to use: ``reader``, else ``$HELIOPORT_CDF_READER``, else ``"pycdfpp"``.

    Examples
    --------
    >>> cdf_reader("cdflib")
    'cdflib'
    """
    name = (reader or os.environ.get(READER_ENV) or "pycdfpp").strip().lower()
    if name not in READERS:
        raise ConfigError(f"unknown CDF reader {name!r} ({READER_ENV}); choose one of {READERS}")
    if name == "pycdfpp" and _pycdfpp() is None:
        return "cdflib"
    return name


def _pycdfpp() -> Any:
    try:
        import pycdfpp
    except ImportError:  # pragma: no cover - pycdfpp is a dependency
        return None
    return pycdfpp


@dataclass(frozen=True)
class VarInfo:
    """What a variable is: CDF type, record variance, record count and record shape."""

    name: str
    data_type: int
    type_name: str
    rec_vary: bool
    nrec: int
    dims: tuple[int, ...]


@dataclass
class FileMeta:
    """Per-file metadata kept between opens (the file is unchanged: same path, size, mtime).

    ``checked`` holds the variables whose compressed blocks were found whole
    (:class:`helioport.cdfcheck.BlockCheck`); a file's structure is checked
    before its metadata is first made, so a remembered file needs no check again.
    """

    names: list[str]
    infos: dict[str, VarInfo] = field(default_factory=dict)
    attrs: dict[str, dict[str, Any]] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    #: whether each time variable's records are sorted (:meth:`helioport.cdffile._Reader.selection`)
    sorted_times: dict[str, bool] = field(default_factory=dict)
    #: the file is an uncompressed CDF whose structure was checked: the decoder may read it
    #: from disk itself (a whole-file compressed one is inflated by helioport first)
    direct: bool = False


_META: OrderedDict[tuple, FileMeta] = OrderedDict()
_META_LOCK = threading.Lock()


def known_meta(key: tuple) -> FileMeta | None:
    """The remembered metadata of the file ``key``, or ``None`` when it was not opened yet."""
    return _META.get(key)


def file_meta(key: tuple, names: Any) -> FileMeta:
    """The remembered metadata of the file ``key`` (path, size, mtime, reader), made by
    ``names()`` (the variable names) the first time."""
    meta = _META.get(key)
    if meta is None:
        made = FileMeta(list(names()))  # outside the lock: it may read and check the file
        with _META_LOCK:  # reads run on several threads: one entry per key, a whole LRU
            meta = _META.setdefault(key, made)
            while len(_META) > _CACHE_FILES:
                _META.popitem(last=False)
    else:
        with _META_LOCK:
            if key in _META:
                _META.move_to_end(key)
    return meta


class CdfFile:
    """One open CDF file; subclasses decode with one library."""

    path: Path
    meta: FileMeta

    @property
    def names(self) -> list[str]:
        return self.meta.names

    def info(self, name: str) -> VarInfo:
        info = self.meta.infos.get(name)
        if info is None:
            info = self.meta.infos[name] = self._info(name)
        return info

    def attrs(self, name: str) -> dict[str, Any]:
        attrs = self.meta.attrs.get(name)
        if attrs is None:
            attrs = self.meta.attrs[name] = self._attrs(name)
        return attrs

    def get(self, name: str, i0: int | None = None, i1: int | None = None) -> np.ndarray:
        """Records ``[i0, i1)`` (all by default) of a record-varying variable, record axis first;
        a non-record-varying variable's one record without a record axis. Always a fresh array."""
        raise NotImplementedError

    def view(self, name: str) -> np.ndarray:
        """All records of ``name`` as :meth:`get` gives them, but maybe a read-only view of the
        decoder's own array (no copy): for values only read, such as a time axis to convert."""
        return self.get(name)

    def global_attrs(self) -> dict[str, list[Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file now."""

    def _info(self, name: str) -> VarInfo:
        raise NotImplementedError

    def _attrs(self, name: str) -> dict[str, Any]:
        raise NotImplementedError
