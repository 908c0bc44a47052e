"""The geocentric frame names helioport transforms between, without numpy.

Request checks and product tables need only the names; the rotations
(:mod:`helioport.frames`, SpacePy) are imported when vectors are transformed.
"""

from __future__ import annotations

__all__ = ["EARTH_FIXED", "FRAMES", "can_transform"]

#: helioport frame name -> SpacePy's
FRAMES = {
    "gse": "GSE",
    "gsm": "GSM",
    "sm": "SM",
    "geo": "GEO",
    "mag": "MAG",
    "gei": "ECI2000",
    "j2000": "ECI2000",
}
#: the frames that turn with the Earth
EARTH_FIXED = frozenset({"geo", "mag"})


def can_transform(frm: str | None, to: str | None) -> bool:
    """Whether vectors in frame ``frm`` can be given in ``to``.

    Examples
    --------
    >>> can_transform("gse", "gsm"), can_transform("dmpa", "gsm")
    (True, False)
    """
    return bool(frm) and bool(to) and str(frm).lower() in FRAMES and str(to).lower() in FRAMES
