"""One variable as read from a CDF file (:class:`CdfVariable`), and plain-Python attribute values.

What :func:`helioport.cdffile.read_variables` returns and :mod:`helioport.cdf`
merges and wraps; decoder-independent.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["NAT", "CdfVariable", "as_dtype", "invalid_mask", "plain"]

NAT = np.iinfo(np.int64).min  # datetime64 NaT as int64


@dataclass
class CdfVariable:
    """One CDF variable as read: data, attributes and its time axis.

    Attributes
    ----------
    name
        Variable name in the file.
    data
        numpy array, records first when ``record_varying``; float fill values
        are NaN, integers untouched, CDF time types ``datetime64[ns]``.
    attrs
        All the variable's attributes as cdflib returns them (ISTP ``FIELDNAM``,
        ``UNITS``, ``CATDESC``, ``VAR_TYPE``, ``FILLVAL``, ``VALIDMIN``, ...).
    depend_0
        Name of the time variable, or None.
    time
        ``datetime64[ns]`` per record, or None.
    record_varying
        False for metadata such as label or fixed energy-table variables.
    cdf_type
        CDF data type name, e.g. ``"CDF_REAL4"``.
    labels
        ``{axis: [label, ...]}`` from ``LABL_PTR_i`` (or the CSA's ``LABEL_i``).
    depends
        ``{axis: CdfVariable}`` for ``DEPEND_1..3``.
    source
        Path of the file read.

    Examples
    --------
    >>> v = CdfVariable("n", np.array([1.0, np.nan]), {"FILLVAL": -1e31})
    >>> v.fill_mask()
    array([False,  True])
    """

    name: str
    data: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)
    depend_0: str | None = None
    time: np.ndarray | None = None
    record_varying: bool = True
    cdf_type: str = ""
    labels: dict[int, list[str]] = field(default_factory=dict)
    depends: dict[int, CdfVariable] = field(default_factory=dict)
    source: str = ""

    def fill_mask(self, *, invalid: bool = False) -> np.ndarray:
        """Boolean mask of fill values (NaN/NaT too); with ``invalid``, also outside VALIDMIN/MAX."""
        d = self.data
        if d.dtype.kind in "fc":
            mask = np.isnan(d)
        elif d.dtype.kind == "M":
            mask = np.isnat(d)
        else:
            fill = self.attrs.get("FILLVAL")
            mask = d == as_dtype(fill, d.dtype) if fill is not None else np.zeros(d.shape, bool)
        if invalid and d.dtype.kind in "iuf":
            mask |= invalid_mask(d, self.attrs)
        return mask


def as_dtype(value: Any, dtype: np.dtype) -> Any:
    try:
        return np.asarray(value).astype(dtype)
    except (TypeError, ValueError, OverflowError):
        return value


def invalid_mask(data: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    mask = np.zeros(data.shape, bool)
    for key, op in (("VALIDMIN", np.less), ("VALIDMAX", np.greater)):
        if attrs.get(key) is None:
            continue
        try:
            mask |= op(data, as_dtype(attrs[key], data.dtype))
        except ValueError:
            logger.warning(
                "%s of shape %s does not fit data %s; ignored",
                key,
                np.shape(attrs[key]),
                data.shape,
            )
    return mask


def plain(value: Any) -> Any:
    """numpy scalars/arrays to Python scalars/lists; strings stripped of NULs.

    Examples
    --------
    >>> plain(np.float32(-1e31)), plain(np.array([1, 2])), plain("ab\\x00")
    (-1e+31, [1, 2], 'ab')
    """
    if type(value) is str:  # most attributes: tested first
        return value.rstrip("\x00")
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "biufc" and value.size <= _PLAIN_SIZE:
            # the same few attribute values (FILLVAL, VALIDMIN, ...) come with every file
            out = _plain_numbers(value.dtype.str, value.shape, value.tobytes())
            return _fresh(out) if type(out) is list else out
        return _plain_numpy(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return value.rstrip("\x00")
    return value


_PLAIN_SIZE = 64  # numeric attribute values up to this many elements are remembered


@functools.lru_cache(maxsize=1024)
def _plain_numbers(dtype: str, shape: tuple[int, ...], data: bytes) -> Any:
    """:func:`plain` of the numeric array ``dtype``, ``shape``, ``data`` (its exact value)."""
    return _plain_numpy(np.frombuffer(data, dtype=dtype).reshape(shape))


def _plain_numpy(value: np.ndarray | np.generic) -> Any:
    if value.dtype == np.float32:  # shortest repr, so -1e31 stays -1e31, not -9.99...e30
        value = np.asarray([float(str(x)) for x in np.ravel(value)]).reshape(np.shape(value))
    return value.item() if value.size == 1 else value.tolist()


def _fresh(value: list) -> list:
    """A remembered list for one caller: copied, nested lists too (the caller may change them)."""
    return [_fresh(v) if type(v) is list else v for v in value]
