"""The cdflib decoder of :mod:`helioport.cdffile` (the pure-Python fallback).

Used when ``HELIOPORT_CDF_READER=cdflib`` (or ``reader="cdflib"``) or when
pycdfpp is not installed. cdflib inflates a whole-file-compressed CDF into a
temporary copy, removed on :meth:`CdflibFile.close`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cdflib
import numpy as np

from .cdfbackends import CdfFile, FileMeta, VarInfo

__all__ = ["CdflibFile", "varatts_index"]


def varatts_index(cdf: cdflib.CDF) -> dict[tuple[bool, int], list[tuple[str, int]]] | None:
    """``(is z variable, variable number) -> [(attribute, entry record offset)]`` in one walk.

    cdflib's ``varattsget`` walks every attribute's entry list for each
    variable asked; this walks them once per file with cdflib's record readers
    (``_read_adr``, ``_read_aedr_fast``) and returns ``None`` when they are
    not there (another cdflib): the caller then uses ``varattsget``.

    Examples
    --------
    >>> varatts_index(cdflib.CDF(path))[(True, 1)][:1]  # doctest: +SKIP
    [('CATDESC', 1234)]
    """
    try:
        index: dict[tuple[bool, int], list[tuple[str, int]]] = {}
        loc = cdf._first_adr
        for _ in range(cdf._num_att):
            adr = cdf._read_adr(loc)
            if adr.scope != 1:  # 1: global scope
                lists = (
                    (True, adr.first_z_entry, adr.num_z_entry),
                    (False, adr.first_gr_entry, adr.num_gr_entry),
                )
                for z, entry, count in lists:
                    for _ in range(count):
                        num, following = cdf._read_aedr_fast(entry)
                        index.setdefault((z, int(num)), []).append((adr.name, entry))
                        entry = following
            loc = adr.next_adr_loc
        return index
    except AttributeError:  # pragma: no cover - a cdflib without these internals
        return None


class CdflibFile(CdfFile):
    """One CDF decoded by cdflib.

    Examples
    --------
    >>> f = CdflibFile(path, key, file_meta)  # doctest: +SKIP
    >>> f.attrs("mms1_fgm_b_gse_brst_l2")["UNITS"]  # doctest: +SKIP
    'nT'
    """

    def __init__(self, path: Path, key: tuple, meta: Callable[[tuple, Any], FileMeta]):
        self.path = path
        self.cdf = cdflib.CDF(path)
        self._index: dict[tuple[bool, int], list[tuple[str, int]]] | None = None
        self._inq: dict[str, Any] = {}

        def names() -> list[str]:
            info = self.cdf.cdf_info()
            return list(info.zVariables) + list(info.rVariables)

        self.meta = meta(key, names)

    def _varinq(self, name: str) -> Any:
        if name not in self._inq:
            self._inq[name] = self.cdf.varinq(name)
        return self._inq[name]

    def _info(self, name: str) -> VarInfo:
        inq = self._varinq(name)
        dims = tuple(s for s, v in zip(inq.Dim_Sizes, inq.Dim_Vary) if v) if inq.Dim_Vary else ()
        return VarInfo(
            name,
            int(inq.Data_Type),
            inq.Data_Type_Description,
            bool(inq.Rec_Vary),
            int(inq.Last_Rec) + 1,
            tuple(int(d) for d in dims),
        )

    def _attrs(self, name: str) -> dict[str, Any]:
        """The variable's attributes as ``varattsget`` gives them, from the one-walk index."""
        vinq = self._varinq(name)
        if self._index is None:
            self._index = varatts_index(self.cdf) or {}
        z = str(getattr(vinq, "Var_Type", "zVariable")).lower().startswith("z")
        entries = self._index.get((z, int(vinq.Num))) if self._index else None
        if entries is None and not self._index:
            return self.cdf.varattsget(name) or {}
        out: dict[str, Any] = {}
        for attr, loc in entries or ():
            value = self.cdf._read_aedr(loc).entry
            if isinstance(value, np.ndarray) and len(value) == 1:
                value = value[0]
            out[attr] = value
        return out

    def get(self, name: str, i0: int | None = None, i1: int | None = None) -> np.ndarray:
        info = self.info(name)
        if not info.rec_vary or info.nrec == 0:
            data = self.cdf.varget(name) if info.nrec else None
            return np.asarray(data if data is not None else np.zeros((0,) + info.dims))
        i0 = 0 if i0 is None else i0
        i1 = info.nrec if i1 is None else min(i1, info.nrec)
        if i1 <= i0:
            data = np.asarray(self.cdf.varget(name, startrec=0, endrec=0))[:0]
        elif i0 == 0 and i1 == info.nrec:
            data = np.asarray(self.cdf.varget(name))
        else:
            data = np.asarray(self.cdf.varget(name, startrec=i0, endrec=i1 - 1))
        if data.ndim == len(info.dims):  # a single record comes back without its record axis
            data = data.reshape((-1,) + info.dims)
        return data

    def global_attrs(self) -> dict[str, list[Any]]:
        raw = self.cdf.globalattsget() or {}
        return {k: v if isinstance(v, list) else [v] for k, v in raw.items()}

    def close(self) -> None:
        """Release the file handle and any inflated temporary copy now, not at garbage collection."""
        handle = getattr(self.cdf, "_f", None)
        if handle is not None and hasattr(handle, "close"):
            handle.close()
        temp = getattr(self.cdf, "temp_file", None)
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
            self.cdf.temp_file = None
