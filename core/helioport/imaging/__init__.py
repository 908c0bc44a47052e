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

from __future__ import annotations

from ..exports import lazy_package

# public name -> its module, imported on first use: an imager plugin declares the
# keogram derivation (``keogram_derivation``) when the registry is built, which
# needs none of the imaging code (numpy, xarray, pymap3d)
_LAZY = {
    "ORIENTATION": "orientation",
    "SkymapTemplate": "skymapfind",
    "UINT16_FILL": "frames",
    "area_intensity": "tracks",
    "choose_skymap": "skymapfind",
    "conjunctions": "tracks",
    "default_altitude": "geometry",
    "find_skymap_files": "skymapfind",
    "frame_chunks": "frames",
    "from_product": "skymapfile",
    "intensity_along": "tracks",
    "iter_frames": "frames",
    "keogram": "keogram",
    "keogram_derivation": "derivation",
    "lla2azel": "geometry",
    "lla2pixel": "geometry",
    "meridian_path": "keogram",
    "pixels_in_box": "geometry",
    "read_skymap": "skymapfile",
    "skymap": "skymap",
    "to_product": "skymapfile",
    "write_sav": "savwriter",
}

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

lazy_package(__name__, _LAZY)
