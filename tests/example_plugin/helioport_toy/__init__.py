"""A third-party helioport plugin, written only against helioport's public API."""
