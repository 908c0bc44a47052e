"""helioport plugin for the REGO 630 nm red-line all-sky imagers (mission ``rego``).

The table is :mod:`.products`; the hooks are in :mod:`.plugin`; files are
found and read in :mod:`.loading`; the Rayleigh calibration (UCalgary's
calibration files, the imager of a site on a date) is :mod:`.calibration`.
The shared imager machinery (skymaps, keograms, plots, movies, geometry) is
:mod:`helioport.imaging`.
"""
