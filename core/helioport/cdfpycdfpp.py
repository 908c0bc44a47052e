"""The pycdfpp decoder of :mod:`helioport.cdffile` (the default; C++, the fastest CDF reader).

The file is read once into memory (inflated by :func:`helioport.cdfcheck.inflate_file`
when the whole file is compressed) and parsed lazily by ``pycdfpp.load``;
each variable's GZIP blocks are checked (:class:`helioport.cdfcheck.BlockCheck`)
before pycdfpp decodes them, since pycdfpp can crash on a truncated block.
The checks are remembered with the file's metadata (:class:`helioport.cdfbackends.FileMeta`,
by path, size and mtime): a cached file opened again unchanged is not checked again, and
pycdfpp reads an uncompressed one from disk itself.
Values follow cdflib's conventions (see :mod:`helioport.cdfbackends`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pycdfpp

from .cdfbackends import TYPE_NAMES, CdfFile, FileMeta, VarInfo, known_meta
from .cdfcheck import BlockCheck, check_structure, inflate_file

__all__ = ["PycdfppFile"]

_NUMPY = {1: "i1", 2: "i2", 4: "i4", 8: "i8", 11: "u1", 12: "u2", 14: "u4", 21: "f4"}
_NUMPY.update({22: "f8", 31: "f8", 33: "i8", 41: "i1", 44: "f4", 45: "f8"})
_CHAR = (51, 52)


def _code(data_type: Any) -> int:
    return int(data_type.value)


def _time_value(value: Any, code: int) -> Any:
    if code == 33:
        return np.array([v.nseconds for v in value], np.int64)
    if code == 31:
        return np.array([v.mseconds for v in value], np.float64)
    return np.array([complex(v.seconds, v.picoseconds) for v in value], np.complex128)


def attribute_value(value: Any, code: int) -> Any:
    """An attribute entry as cdflib gives it: ``str``, or a typed numpy array.

    Examples
    --------
    >>> attribute_value([-9.999999848243207e30], 21)
    array([-1.e+31], dtype=float32)
    """
    if code in _CHAR or isinstance(value, str):
        return value
    if code in (31, 32, 33):
        return _time_value(value, code)
    return np.asarray(value, dtype=_NUMPY.get(code))


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, np.ndarray) and len(value) == 1 else value


def _records(values: np.ndarray, code: int) -> np.ndarray:
    """pycdfpp values to cdflib's dtypes: raw time values, ``str`` characters."""
    if code in (31, 33):
        return values.view(_NUMPY[code])
    if code == 32:
        pairs = values.view(np.float64).reshape(values.shape + (2,))
        return pairs[..., 0] + 1j * pairs[..., 1]
    if code in _CHAR:
        return np.char.decode(values, "utf-8", errors="replace")
    return values


def _load(source: bytes | str) -> Any:
    cdf = pycdfpp.load(source)
    if cdf is None:
        raise ValueError("pycdfpp could not parse it")
    return cdf


class PycdfppFile(CdfFile):
    """One CDF decoded by pycdfpp.

    Examples
    --------
    >>> f = PycdfppFile(path, key, file_meta)  # doctest: +SKIP
    >>> f.get("Epoch", 0, 3)  # doctest: +SKIP
    array([498272793048243059, 498272793056055661, 498272793063868264])
    """

    def __init__(self, path: Path, key: tuple, meta: Callable[[tuple, Any], FileMeta]):
        self.path = path
        known = known_meta(key)
        if known is not None and known.direct:
            # opened before as this very file (path, size, mtime) and checked then:
            # pycdfpp reads it from disk itself, as a plain pycdfpp user does
            self.cdf = _load(str(path))
            self.meta = meta(key, self.cdf.keys)
            self.blocks = BlockCheck(path.read_bytes, str(path), done=self.meta.checked)
            return
        raw = path.read_bytes()
        buf = inflate_file(raw, str(path))
        self.cdf = None

        def first_open() -> list[str]:
            # the file is new (path, size, mtime): a damaged pointer must not reach the
            # C++ decoder; a remembered file was checked when first opened
            check_structure(buf, str(path))
            self.cdf = _load(buf)
            return self.cdf.keys()

        self.meta = meta(key, first_open)
        if self.cdf is None:
            self.cdf = _load(buf)
        self.meta.direct = buf is raw
        self.blocks = BlockCheck(buf, str(path), done=self.meta.checked)

    def _info(self, name: str) -> VarInfo:
        var = self.cdf[name]
        code = _code(var.type)
        shape = tuple(int(s) for s in var.shape)
        rv = not var.is_nrv
        return VarInfo(name, code, TYPE_NAMES.get(code, var.type.name), rv, shape[0], shape[1:])

    def _attrs(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, attr in self.cdf[name].attributes.items():
            out[key] = _single(attribute_value(attr.value, _code(attr.type())))
        return out

    def get(self, name: str, i0: int | None = None, i1: int | None = None) -> np.ndarray:
        info = self.info(name)
        if info.nrec == 0:
            return np.zeros((0,) + info.dims, _NUMPY.get(info.data_type, "f8"))
        self.blocks.check(name)
        values = self.cdf[name].values
        if not info.rec_vary:
            return np.array(_records(values[0], info.data_type))
        if i0 is not None or i1 is not None:
            values = values[i0:i1]
        return np.array(_records(values, info.data_type))

    def view(self, name: str) -> np.ndarray:
        info = self.info(name)
        if info.nrec == 0 or not info.rec_vary:
            return self.get(name)
        self.blocks.check(name)
        values = _records(self.cdf[name].values, info.data_type)
        values.flags.writeable = False
        return values

    def global_attrs(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for key, attr in self.cdf.attributes.items():
            n = len(attr)
            if n:
                out[key] = [
                    _single(attribute_value(attr[i], _code(attr.type(i)))) for i in range(n)
                ]
        return out

    def close(self) -> None:
        self.cdf = None
