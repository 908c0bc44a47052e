"""One orientation for every all-sky image and skymap array (DESIGN §9).

``frame[row, col]``: row 0 is the **southern** edge and column 0 the
**eastern** edge (asilib's convention), so ``imshow(frame, origin="lower")``
shows north up and east left, as an observer lying on the ground looking up
sees the sky. Loaders bring raw arrays into it with one of the transforms
below and state both in attrs (``orientation``, ``raw_transform``):

- THEMIS/REGO L1 CDF frames: ``fliplr`` (each raw frame's columns reversed);
- the skymaps' readsav arrays (azimuth, elevation, latitude/longitude maps):
  ``flipud`` (rows reversed).

The plugins' tests prove it on the real GAKO files: bright stars at their
catalogue azimuth/elevation light the pixels the oriented skymap gives for
them, north (azimuth 0) is at high rows and east (azimuth 90) at low columns.

Examples
--------
>>> raw = np.arange(6).reshape(2, 3)
>>> apply(raw, "fliplr").tolist()
[[2, 1, 0], [5, 4, 3]]
>>> apply(raw[None], "flipud")[0].tolist()
[[3, 4, 5], [0, 1, 2]]
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import PluginError

__all__ = ["ORIENTATION", "Transform", "apply", "describe"]

#: the convention, as written in every image's and skymap's ``orientation`` attribute
ORIENTATION = "row 0 south, column 0 east (imshow origin='lower': north up, east left)"
Transform = Literal["none", "fliplr", "flipud", "rot180"]


def apply(raw: np.ndarray, transform: Transform) -> np.ndarray:
    """Bring ``raw`` (``[..., rows, cols]``) into the convention by ``transform`` (a view).

    ``fliplr`` reverses the last axis, ``flipud`` the one before it,
    ``rot180`` both, ``none`` neither.
    """
    if transform == "none":
        return raw
    if transform == "fliplr":
        return raw[..., ::-1]
    if transform == "flipud":
        return raw[..., ::-1, :]
    if transform == "rot180":
        return raw[..., ::-1, ::-1]
    raise PluginError(
        f"unknown orientation transform {transform!r}; use none, fliplr, flipud or rot180"
    )


def describe(transform: Transform, what: str) -> dict[str, str]:
    """The attrs stating the orientation of an array made from ``what`` by ``transform``.

    Examples
    --------
    >>> describe("fliplr", "CDF frames")["raw_transform"]
    'fliplr (CDF frames)'
    """
    return {"orientation": ORIENTATION, "raw_transform": f"{transform} ({what})"}
