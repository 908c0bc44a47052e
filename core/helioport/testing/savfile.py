"""IDL SAVE (``.sav``) fixtures: :func:`write_sav`, a small writer that :func:`scipy.io.readsav` reads.

No PyPI package writes IDL SAVE files; UCalgary's skymaps and calibration
files are IDL SAVE files, so fixtures imitating them need a writer. It lives
in :mod:`helioport.imaging.savwriter` (the generated skymaps use it) and is
public here, with the other fixture writers (:mod:`helioport.testing.cdfwriter`).

A dict is written as an IDL structure (nested dicts nest), numpy arrays keep
their dtype and shape, numpy scalars their type, ``str`` becomes an IDL
string. ``readsav`` gives a structure variable back as a one-record
``numpy.recarray`` whose fields are the upper-cased tag names, as it does for
the real THEMIS and REGO skymaps.

Examples
--------
>>> import numpy as np, scipy.io, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.sav"
>>> _ = write_sav(path, {"skymap": {"SITE_UID": "gill", "FULL_ELEVATION": np.zeros((2, 2), "f4")}})
>>> sky = scipy.io.readsav(str(path))["skymap"]
>>> sky["SITE_UID"][0], sky["FULL_ELEVATION"][0].dtype
(b'gill', dtype('>f4'))
"""

from __future__ import annotations

from ..imaging.savwriter import write_sav

__all__ = ["write_sav"]
