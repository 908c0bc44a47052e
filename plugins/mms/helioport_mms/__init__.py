"""helioport plugin for MMS: FGM, EDP, FPI, ASPOC and MEC L2 data.

Installed as the distribution ``helioport-mms``; registered through the entry
point ``mms = "helioport_mms.plugin"`` in the group ``helioport.plugins``.
Files come from the LASP SDC API (default) or the SPDF directory tree; see
:mod:`helioport_mms.products` for the products and the variables behind them.
"""

__version__ = "0.1.0"
