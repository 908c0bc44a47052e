"""A minimal writer of IDL SAVE files (``.sav``), for generated skymap fixtures.

scipy reads IDL SAVE files (:func:`scipy.io.readsav`) but cannot write them.
The format is simple and documented (C. Markwardt, *Unofficial Format
Specification of the IDL "SAVE" File*): the signature ``SR\\0\\4``, then
records, each ``RECTYPE`` (int32), the offset of the next record (two
uint32, low word first), four reserved bytes and the record's body, all
big-endian XDR with every item padded to four bytes. This module writes the
records a variable file needs — ``TIMESTAMP``, ``VERSION``, one
``VARIABLE`` per name and ``END_MARKER`` — for the values skymap files hold:

- a :class:`dict` is an IDL structure (nested dicts are nested structures);
- numpy arrays of ``uint8``, ``int16``, ``int32``, ``uint16``, ``float32``,
  ``float64`` (any shape; IDL's column-major dimensions are the reverse of
  numpy's, so ``readsav`` gives the array back with its numpy shape);
- scalars (numpy scalars, Python ``int`` as int32, ``float`` as float64) and
  strings (``str`` or ``bytes``).

Examples
--------
>>> write_sav(tmp / "x.sav", {"skymap": {"SITE_UID": "gako", "FULL_ELEVATION": el}})  # doctest: +SKIP
>>> scipy.io.readsav(tmp / "x.sav")["skymap"]["SITE_UID"][0]  # doctest: +SKIP
b'gako'
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import PluginError

__all__ = ["write_sav"]

#: numpy dtype -> IDL type code
_CODES = {"u1": 1, "i2": 2, "i4": 3, "f4": 4, "f8": 5, "u2": 12, "u4": 13, "i8": 14, "u8": 15}
_STRING, _STRUCT = 7, 8
_VARIABLE, _END, _TIMESTAMP, _VERSION = 2, 6, 10, 14
_ARRAY_FLAG, _STRUCT_FLAG = 4, 32


def _long(value: int) -> bytes:
    return struct.pack(">i", int(value))


def _pad(raw: bytes) -> bytes:
    return raw + b"\0" * (-len(raw) % 4)


def _string(text: str) -> bytes:
    """A name string: length, then the bytes padded to four."""
    raw = text.encode("latin1")
    return _long(len(raw)) + _pad(raw)


def _string_data(value: str | bytes) -> bytes:
    """A string value: its length twice (none for the empty string), then the padded bytes."""
    raw = value.encode("latin1") if isinstance(value, str) else bytes(value)
    return _long(len(raw)) + (_long(len(raw)) + _pad(raw) if raw else b"")


def _kind(value: Any) -> tuple[str, int, np.ndarray | None]:
    """(``struct`` | ``array`` | ``scalar`` | ``string``, IDL type code, numpy value)."""
    if isinstance(value, Mapping):
        return "struct", _STRUCT, None
    if isinstance(value, (str, bytes)):
        return "string", _STRING, None
    if isinstance(value, bool) or value is None:
        raise PluginError(f"cannot write {value!r} to an IDL SAVE file")
    if isinstance(value, int):
        value = np.int32(value)
    elif isinstance(value, float):
        value = np.float64(value)
    arr = np.asarray(value)
    code = _CODES.get(arr.dtype.str[1:])
    if code is None:
        raise PluginError(f"cannot write numpy {arr.dtype} to an IDL SAVE file")
    return ("array" if arr.ndim else "scalar"), code, arr


def _array_desc(arr: np.ndarray | None, nelements: int = 1, ndims: int = 1) -> bytes:
    """An array descriptor (ARRSTART 8): sizes and IDL's (reversed) dimensions, eight slots."""
    if arr is None:  # a structure variable: one element
        elsize, nbytes, dims = 0, 0, [nelements]
    else:
        elsize, nbytes, dims = arr.dtype.itemsize, arr.nbytes, list(arr.shape[::-1])
        nelements, ndims = arr.size, arr.ndim
    dims += [1] * (8 - len(dims))
    head = _long(8) + _long(elsize) + _long(nbytes) + _long(nelements) + _long(ndims)
    return head + _long(0) + _long(0) + _long(8) + b"".join(_long(d) for d in dims)


def _struct_desc(fields: Mapping[str, Any]) -> bytes:
    """A structure descriptor (STRUCTSTART 9): tags, names, array and nested descriptors."""
    kinds = {name: _kind(v) for name, v in fields.items()}
    out = _long(9) + _string("") + _long(0) + _long(len(fields)) + _long(0)
    for kind, code, _ in kinds.values():
        flags = {"array": _ARRAY_FLAG, "struct": _STRUCT_FLAG | _ARRAY_FLAG}.get(kind, 0)
        out += _long(0) + _long(code) + _long(flags)
    out += b"".join(_string(name.upper()) for name in fields)
    out += b"".join(
        _array_desc(arr) if kind == "array" else _array_desc(None)
        for kind, _, arr in kinds.values()
        if kind in ("array", "struct")
    )
    out += b"".join(_struct_desc(fields[n]) for n, (k, _, _) in kinds.items() if k == "struct")
    return out


def _scalar_data(code: int, arr: np.ndarray) -> bytes:
    if code == 1:
        return _long(1) + _pad(arr.astype(">u1").tobytes())
    if code in (2, 12):  # 16-bit integers take four bytes, value in the low half
        return b"\0\0" + arr.astype(">" + arr.dtype.str[1:]).tobytes()
    return arr.astype(">" + arr.dtype.str[1:]).tobytes()


def _array_data(code: int, arr: np.ndarray) -> bytes:
    flat = np.ascontiguousarray(arr).ravel()
    if code == 1:
        return _long(flat.nbytes) + _pad(flat.astype(">u1").tobytes())
    if code in (2, 12):  # each 16-bit element padded to four bytes
        wide = np.zeros((flat.size, 2), dtype=">" + arr.dtype.str[1:])
        wide[:, 1] = flat
        return wide.tobytes()
    return _pad(flat.astype(">" + arr.dtype.str[1:]).tobytes())


def _data(value: Any) -> bytes:
    kind, code, arr = _kind(value)
    if kind == "struct":
        return b"".join(_data(v) for v in value.values())
    if kind == "string":
        return _string_data(value)
    assert arr is not None
    return _array_data(code, arr) if kind == "array" else _scalar_data(code, arr)


def _variable_body(name: str, value: Any) -> bytes:
    kind, code, arr = _kind(value)
    flags = {"array": _ARRAY_FLAG, "struct": _STRUCT_FLAG | _ARRAY_FLAG}.get(kind, 0)
    body = _string(name.upper()) + _long(code) + _long(flags)
    if kind == "struct":
        body += _array_desc(None) + _struct_desc(value)
    elif kind == "array":
        body += _array_desc(arr)
    return body + _long(7) + _data(value)  # VARSTART = 7


def write_sav(path: str | Path, variables: Mapping[str, Any], *, user: str = "helioport") -> Path:
    """Write ``variables`` (name -> value) as an uncompressed IDL SAVE file at ``path``.

    Parameters
    ----------
    path
        The file to write.
    variables
        Variable names and values (see the module docstring for the types).
    user
        The user name written in the file's timestamp record.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    bodies = [
        (_TIMESTAMP, b"\0" * 1024 + _string("Thu Jan 01 00:00:00 1970") + _string(user) * 2),
        (_VERSION, _long(10) + _string("x86_64") + _string("linux") + _string("8.0")),
    ]
    bodies += [(_VARIABLE, _variable_body(n, v)) for n, v in variables.items()]
    bodies.append((_END, b""))
    out = io.BytesIO()
    out.write(b"SR\x00\x04")
    for rectype, body in bodies:
        nxt = out.tell() + 16 + len(body)
        out.write(_long(rectype) + struct.pack(">II", nxt & 0xFFFFFFFF, nxt >> 32) + b"\0" * 4)
        out.write(body)
    path = Path(path)
    path.write_bytes(out.getvalue())
    return path
