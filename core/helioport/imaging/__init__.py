"""Shared all-sky-imager machinery (DESIGN §9), mission-agnostic.

Every image and skymap array follows one orientation (:mod:`.orientation`):
``frame[row, col]`` with row 0 the southern edge and column 0 the eastern
edge, so ``imshow(frame, origin="lower")`` shows north up and east left.

- :func:`skymap`: the site's skymap valid at a time (product ``skymap`` of
  the mission, through :func:`helioport.load`);
- :func:`iter_frames`: ``(times, frames)`` one hour at a time (bounded memory);
- :func:`keogram`: intensity along the meridian (or any path) against time;
- :func:`lla2azel`, :func:`lla2pixel`: geodetic points to sky directions and pixels;
- :func:`default_altitude`: the mapping altitude used when none is given (the
  skymap's ``default_alt_km``: 110 km THEMIS, 230 km for REGO's 630 nm);
- :func:`area_intensity`, :func:`conjunctions`, :func:`intensity_along`:
  an area's intensity, and a satellite footprint against the field of view.

Building blocks for imager plugins: :func:`read_skymap` (UCalgary IDL skymaps),
:class:`SkymapTemplate` and :func:`find_skymap_files` (the skymap valid at a
time), :func:`keogram_derivation` (the L3 ``keogram``), and
:mod:`.fixtures` (generated skymaps and frames, :func:`write_sav`).

Examples
--------
>>> from helioport.imaging import iter_frames, keogram, skymap  # doctest: +SKIP
>>> sky = skymap("themis_asi", "gako", "2011-01-06T17")  # doctest: +SKIP
>>> keo = keogram(iter_frames("themis_asi", "gako", "2011-01-06T04", "2011-01-06T16"), sky)  # doctest: +SKIP
"""

from .derivation import keogram_derivation
from .frames import UINT16_FILL, frame_chunks, iter_frames
from .geometry import default_altitude, lla2azel, lla2pixel, pixels_in_box
from .keogram import keogram, meridian_path
from .orientation import ORIENTATION
from .savwriter import write_sav
from .skymap import skymap
from .skymapfile import from_product, read_skymap, to_product
from .skymapfind import SkymapTemplate, choose_skymap, find_skymap_files
from .tracks import area_intensity, conjunctions, intensity_along

__all__ = [
    "ORIENTATION",
    "UINT16_FILL",
    "SkymapTemplate",
    "area_intensity",
    "choose_skymap",
    "conjunctions",
    "default_altitude",
    "find_skymap_files",
    "frame_chunks",
    "from_product",
    "intensity_along",
    "iter_frames",
    "keogram",
    "keogram_derivation",
    "lla2azel",
    "lla2pixel",
    "meridian_path",
    "pixels_in_box",
    "read_skymap",
    "skymap",
    "to_product",
    "write_sav",
]
