"""helioport plugin for the THEMIS ground-based all-sky imagers (mission ``themis_asi``).

The table is :mod:`.products`; the hooks are in :mod:`.plugin`; the shared
imager machinery (skymaps, keograms, geometry) is :mod:`helioport.imaging`.
"""
