"""Check a CDF file's structure before a decoder touches it.

A damaged file must become :class:`~helioport.errors.CorruptFileError`, never
a crash: cdflib raises on damage, but a C++ reader (pycdfpp) can crash the
process on a truncated GZIP block. So, before decoding, helioport checks what
is cheap to check from the records themselves (CDF internal format, v3):

- :func:`check_header`: the magic number, and that an uncompressed file is as
  long as its GDR says;
- :func:`inflate_file`: a whole-file GZIP-compressed CDF (``CCR`` record)
  inflated with :mod:`zlib`, which raises on damage;
- :class:`BlockCheck`: for a variable stored in GZIP-compressed blocks
  (``CVVR``), every block lies inside the file and its GZIP trailer states a
  size of whole records that its index entry can hold (a truncated stream's
  last bytes are not a trailer and fail this).
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from .errors import CorruptFileError
from .magic import CDF_MAGIC

__all__ = ["BlockCheck", "check_header", "check_structure", "inflate_file"]

_V3 = bytes.fromhex("cdf30001")
_PLAIN = bytes.fromhex("0000ffff")
_COMPRESSED = bytes.fromhex("cccc0001")
_GZIP = 5
# bytes per element of each CDF data type code
_SIZES = {1: 1, 2: 2, 4: 4, 8: 8, 11: 1, 12: 2, 14: 4, 21: 4, 22: 8, 31: 8, 32: 16, 33: 8}
_SIZES.update({41: 1, 44: 4, 45: 8, 51: 1, 52: 1})


def check_header(path: Path) -> None:
    """Raise CorruptFileError unless ``path`` starts like a CDF and is as long as it says.

    Examples
    --------
    >>> check_header(Path("mms1_fgm_brst_l2_20151016130524_v4.18.1.cdf"))  # doctest: +SKIP
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(32)
            magic, second = head[:4].hex(), head[4:8].hex()
            if len(head) < 8 or head[:4] not in CDF_MAGIC:
                raise CorruptFileError(
                    f"{path} is not a CDF file (first bytes {head[:8].hex() or 'none'}, expected "
                    f"{'/'.join(m.hex() for m in CDF_MAGIC)}): delete it and download it again",
                    path=path,
                )
            if second != "0000ffff" or magic == "0000ffff":
                return  # compressed file (inflate_file checks it) or pre-2.6 layout
            v3 = magic == "cdf30001"
            gdr = int.from_bytes(head[20:28] if v3 else head[16:20], "big", signed=True)
            if len(head) < (28 if v3 else 20) or not 0 < gdr < size:
                raise CorruptFileError(
                    f"{path} is damaged: its header points to byte {gdr} for the global "
                    f"descriptor, the file has {size} bytes; delete it and download it again",
                    path=path,
                )
            f.seek(gdr + (36 if v3 else 20))
            raw = f.read(8 if v3 else 4)
    except CorruptFileError:
        raise
    except OSError as exc:
        raise CorruptFileError(
            f"{path} cannot be read ({exc.strerror or exc}); delete it and download it again",
            path=path,
        ) from exc
    eof = int.from_bytes(raw, "big", signed=True) if len(raw) == (8 if v3 else 4) else -1
    if eof < 0 or eof > size:
        raise CorruptFileError(
            f"{path} is truncated: {size} bytes on disk, its header says {eof if eof >= 0 else 'more'}; "
            "delete it and download it again",
            path=path,
        )


def _u32(buf: bytes, at: int) -> int:
    return struct.unpack_from(">i", buf, at)[0]


def _u64(buf: bytes, at: int) -> int:
    return struct.unpack_from(">q", buf, at)[0]


def inflate_file(buf: bytes, name: str) -> bytes:
    """The uncompressed CDF of a whole-file GZIP-compressed v3 CDF (``buf`` itself otherwise).

    Raises
    ------
    CorruptFileError
        The compressed stream is damaged or truncated.

    Examples
    --------
    >>> inflate_file(Path("x.cdf").read_bytes(), "x.cdf")[:8].hex()  # doctest: +SKIP
    'cdf300010000ffff'
    """
    if buf[:4] != _V3 or buf[4:8] != _COMPRESSED:
        return buf
    try:
        size = _u64(buf, 8)
        cpr = _u64(buf, 8 + 12)
        if _u32(buf, cpr + 12) != _GZIP:
            return buf  # RLE and others: the decoder's business
        if 8 + size > len(buf):
            raise ValueError(
                f"its compressed record needs {8 + size} bytes, the file has {len(buf)}"
            )
        return _V3 + _PLAIN + zlib.decompress(buf[40 : 8 + size], wbits=31)
    except (struct.error, zlib.error, ValueError) as exc:
        raise CorruptFileError(
            f"{name} is damaged ({exc}); delete it and download it again", path=name
        ) from exc


class BlockCheck:
    """Checks the GZIP blocks of compressed variables in an uncompressed v3 CDF buffer.

    Only variables actually read are checked, each once.

    Examples
    --------
    >>> BlockCheck(buf, "x.cdf").check("mms1_fgm_b_gse_brst_l2")  # doctest: +SKIP
    """

    def __init__(self, buf: bytes | Callable[[], bytes], name: str, done: set[str] | None = None):
        # the buffer, or how to read it when a variable first needs checking
        self._buf = None if callable(buf) else buf
        self._read = buf if callable(buf) else None
        self.name = name
        self._vdrs: dict[str, tuple[int, bool]] | None = None
        # variables found whole; shared with the file's remembered metadata when given
        self._done: set[str] = set() if done is None else done

    @property
    def buf(self) -> bytes:
        if self._buf is None:
            self._buf = self._read()
        return self._buf

    def _index(self) -> dict[str, tuple[int, bool]]:
        buf, out = self.buf, {}
        gdr = _u64(buf, 8 + 12)
        for z, head in ((False, _u64(buf, gdr + 12)), (True, _u64(buf, gdr + 20))):
            loc, seen = head, 0
            while loc and seen < 1_000_000:
                raw = buf[loc + 84 : loc + 84 + 256]
                out[raw.split(b"\0", 1)[0].decode("latin-1")] = (loc, z)
                loc, seen = _u64(buf, loc + 12), seen + 1
        return out

    def _record_bytes(self, loc: int, z: bool) -> int:
        buf = self.buf
        gdr = _u64(buf, 8 + 12)
        size = _SIZES.get(_u32(buf, loc + 20), 0) * _u32(buf, loc + 64)
        if z:
            ndims = _u32(buf, loc + 340)
            dims = struct.unpack_from(f">{ndims}i", buf, loc + 344)
        else:
            ndims = _u32(buf, gdr + 56)
            dims = struct.unpack_from(f">{ndims}i", buf, gdr + 84)
        varys = struct.unpack_from(f">{ndims}i", buf, loc + 344 + (4 * ndims if z else 0))
        return size * math.prod(d for d, v in zip(dims, varys) if v)

    def check(self, var: str) -> None:
        """Raise CorruptFileError if a compressed block of ``var`` is truncated or out of the file."""
        if var in self._done or self.buf[:4] != _V3 or self.buf[4:8] != _PLAIN:
            return
        try:
            if self._vdrs is None:
                self._vdrs = self._index()
            if var in self._vdrs:
                self._check(var, *self._vdrs[var])
        except (struct.error, ValueError, UnicodeDecodeError) as exc:
            raise CorruptFileError(
                f"{self.name} is damaged ({var}: {exc}); delete it and download it again",
                path=self.name,
            ) from exc
        self._done.add(var)

    def _check(self, var: str, loc: int, z: bool) -> None:
        buf = self.buf
        if not _u32(buf, loc + 44) & 4:  # not compressed
            return
        cpr = _u64(buf, loc + 72)
        if not cpr or _u32(buf, cpr + 12) != _GZIP:
            return
        record = self._record_bytes(loc, z)
        stack, seen = [_u64(buf, loc + 28)], 0
        while stack:
            vxr = stack.pop()
            while vxr and seen < 1_000_000:
                seen += 1
                n, used = _u32(buf, vxr + 20), _u32(buf, vxr + 24)
                first = struct.unpack_from(f">{n}i", buf, vxr + 28)
                last = struct.unpack_from(f">{n}i", buf, vxr + 28 + 4 * n)
                offs = struct.unpack_from(f">{n}q", buf, vxr + 28 + 8 * n)
                for i in range(used):
                    kind = _u32(buf, offs[i] + 8)
                    if kind == 6:
                        stack.append(offs[i])
                    elif kind == 13:
                        self._check_block(var, offs[i], (last[i] - first[i] + 1) * record, record)
                vxr = _u64(buf, vxr + 12)

    def _check_block(self, var: str, at: int, expected: int, record: int) -> None:
        """A block's GZIP trailer (ISIZE) must be whole records, no more than its index entry spans
        (the entry may span records allocated but not written)."""
        csize = _u64(self.buf, at + 16)
        end = at + 24 + csize
        if csize < 18 or end > len(self.buf):
            raise ValueError(f"a compressed block at byte {at} runs past the end of the file")
        isize = int.from_bytes(self.buf[end - 4 : end], "little")
        if record and expected < 2**32 and (isize > expected or isize % record):
            raise ValueError(
                f"a compressed block at byte {at} says it inflates to {isize} bytes, its records "
                f"take at most {expected} in records of {record}"
            )


_MAX_DIMS = 10
_RECORDS = 10_000_000  # records walked at most (a loop in damaged pointers ends here)


class _Walk:
    """The record walk of :func:`check_structure` over one buffer."""

    def __init__(self, buf: bytes) -> None:
        self.buf, self.n, self.seen = buf, len(buf), 0

    def record(
        self, at: int, kinds: tuple[int, ...], what: str, minimum: int = 12, *, whole: bool = True
    ) -> int:
        """Check the record at ``at`` (inside the file, a sane size, one of ``kinds``); its size.

        ``whole=False`` checks only its header: a GZIP data block running past the end is
        :class:`BlockCheck`'s business, when (and if) its variable is read.
        """
        self.seen += 1
        if self.seen > _RECORDS:
            raise ValueError("its records point to each other in a loop")
        if not 8 <= at <= self.n - 12:
            raise ValueError(f"a {what} pointer to byte {at} is outside the file ({self.n} bytes)")
        size, kind = _u64(self.buf, at), _u32(self.buf, at + 8)
        if kind not in kinds:
            raise ValueError(f"the {what} at byte {at} has record type {kind}, not {kinds}")
        if size < minimum or (whole and at + size > self.n):
            raise ValueError(f"the {what} at byte {at} says it is {size} bytes long")
        return size

    def chain(self, head: int, kinds: tuple[int, ...], what: str) -> list[int]:
        out: list[int] = []
        loc, visited = head, set()
        while loc:
            if loc in visited:
                raise ValueError(f"the {what} list loops back to byte {loc}")
            visited.add(loc)
            self.record(loc, kinds, what)
            out.append(loc)
            loc = _u64(self.buf, loc + 12)
        return out


def check_structure(buf: bytes, name: str) -> None:
    """Raise :class:`CorruptFileError` unless the records of an uncompressed v3 CDF ``buf``
    hang together: every pointer (variables, attributes and their entries, the index
    records and the data records they list) lands on a record of the right type inside the
    file, and sizes, types and dimensions are ones a CDF can have.

    A C++ decoder given a damaged pointer can crash the process; this is what it would
    follow, checked in Python first (values themselves are not checked: damaged numbers
    read as numbers). Other buffers (v2, compressed before inflating) are not checked.

    Examples
    --------
    >>> check_structure(Path("x.cdf").read_bytes(), "x.cdf")  # doctest: +SKIP
    """
    if buf[:4] != _V3 or buf[4:8] != _PLAIN:
        return
    try:
        _check_structure(_Walk(buf))
    except (struct.error, ValueError, OverflowError) as exc:
        raise CorruptFileError(
            f"{name} is damaged ({exc}); delete it and download it again", path=name
        ) from exc


def _check_structure(w: _Walk) -> None:
    buf = w.buf
    gdr = _u64(buf, 8 + 12)
    w.record(gdr, (2,), "global descriptor", 84)
    r_dims = _u32(buf, gdr + 56)
    if not 0 <= r_dims <= _MAX_DIMS:
        raise ValueError(f"the global descriptor says {r_dims} r-variable dimensions")
    n_vars = {False: _u32(buf, gdr + 44), True: _u32(buf, gdr + 60)}
    for z, head in ((False, _u64(buf, gdr + 12)), (True, _u64(buf, gdr + 20))):
        for vdr in w.chain(head, (8,) if z else (3,), "variable descriptor"):
            if not 0 <= _u32(buf, vdr + 68) < n_vars[z]:
                raise ValueError(f"the variable descriptor at byte {vdr} has a bad number")
            _check_variable(w, vdr, z, r_dims)
    for adr in w.chain(_u64(buf, gdr + 28), (4,), "attribute descriptor"):
        global_scope = _u32(buf, adr + 28) in (1, 3)
        max_gr = _u32(buf, adr + 40)
        for z, head in ((False, _u64(buf, adr + 20)), (True, _u64(buf, adr + 48))):
            for aedr in w.chain(head, (9,) if z else (5,), "attribute entry"):
                _check_entry(buf, aedr, max_gr if global_scope and not z else n_vars[z] - 1)


def _check_entry(buf: bytes, aedr: int, last: int) -> None:
    """An attribute entry: its number (at most ``last``), type and values fit its record."""
    size = _u64(buf, aedr)
    num, kind, count = _u32(buf, aedr + 28), _u32(buf, aedr + 24), _u32(buf, aedr + 32)
    strings = _u32(buf, aedr + 36)
    if not 0 <= num <= last:
        raise ValueError(f"the attribute entry at byte {aedr} has number {num} (at most {last})")
    if kind not in _SIZES or count < 0 or 56 + count * _SIZES[kind] > size:
        raise ValueError(
            f"the attribute entry at byte {aedr} holds {count} values of type {kind} "
            f"in {size} bytes"
        )
    if not 0 <= strings <= max(count, 1):
        raise ValueError(f"the attribute entry at byte {aedr} says it holds {strings} strings")


def _check_variable(w: _Walk, vdr: int, z: bool, r_dims: int) -> None:
    buf = w.buf
    size = _u64(buf, vdr)
    kind, max_rec, elems = _u32(buf, vdr + 20), _u32(buf, vdr + 24), _u32(buf, vdr + 64)
    if kind not in _SIZES or elems < 1 or max_rec < -1:
        raise ValueError(
            f"the variable descriptor at byte {vdr} says type {kind}, {elems} elements, "
            f"last record {max_rec}"
        )
    ndims = _u32(buf, vdr + 340) if z else r_dims
    if not 0 <= ndims <= _MAX_DIMS or 344 + 8 * ndims > size + (0 if z else 4):
        raise ValueError(f"the variable descriptor at byte {vdr} says {ndims} dimensions")
    if z and any(d < 1 for d in struct.unpack_from(f">{ndims}i", buf, vdr + 344)):
        raise ValueError(f"the variable descriptor at byte {vdr} has a dimension of size < 1")
    cpr = _u64(buf, vdr + 72)
    if cpr not in (0, -1):  # -1: none
        w.record(cpr, (11, 12), "compression parameters")
    compressed = bool(_u32(buf, vdr + 44) & 4)
    record = 0 if compressed else BlockCheck(buf, "")._record_bytes(vdr, z)
    stack, visited = [_u64(buf, vdr + 28)], set()
    while stack:
        vxr = stack.pop()
        while vxr:
            if vxr in visited:
                raise ValueError(f"the index of the variable at byte {vdr} loops")
            visited.add(vxr)
            vsize = w.record(vxr, (6,), "variable index", 28)
            n, used = _u32(buf, vxr + 20), _u32(buf, vxr + 24)
            if not 0 <= used <= n or 28 + 16 * n > vsize:
                raise ValueError(f"the variable index at byte {vxr} lists {used} of {n} entries")
            first = struct.unpack_from(f">{n}i", buf, vxr + 28)
            last = struct.unpack_from(f">{n}i", buf, vxr + 28 + 4 * n)
            offs = struct.unpack_from(f">{n}q", buf, vxr + 28 + 8 * n)
            for i in range(used):
                if not 0 <= first[i] <= last[i]:
                    raise ValueError(
                        f"the variable index at byte {vxr} lists records {first[i]} to {last[i]}"
                    )
                block = _u32(buf, offs[i] + 8) == 13 if 8 <= offs[i] <= w.n - 12 else False
                dsize = w.record(offs[i], (6, 7, 13), "data", whole=not block)
                if _u32(buf, offs[i] + 8) == 6:
                    stack.append(offs[i])
                elif _u32(buf, offs[i] + 8) == 7 and 12 + (last[i] - first[i] + 1) * record > dsize:
                    raise ValueError(
                        f"the data record at byte {offs[i]} is {dsize} bytes, too short for "
                        f"records {first[i]} to {last[i]}"
                    )
            vxr = _u64(buf, vxr + 12)
