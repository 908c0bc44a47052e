"""helioport plugin for OMNI: HRO 1-min/5-min CDFs and OMNI2 hourly data from SPDF.

Installed as the distribution ``helioport-omni``; registered through the
entry point ``omni = "helioport_omni.plugin"`` in the group ``helioport.plugins``.
"""

__version__ = "0.1.0"
