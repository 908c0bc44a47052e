"""OMNI quick-look

Two days of 1-min OMNI data (IMF, density, bulk velocity, flow pressure,
SYM-H and the derived elevation angle of the field) in one call: one panel
per variable, as ``helioport load ... --plot`` writes it.
"""

import helioport
from helioport.plot import quicklook

ds = helioport.load(
    "omni",
    "2010-01-01",
    "2010-01-03",
    products=["dc_mag", "i_dens", "i_bulkv", "flow_pressure", "sym_h", "mag_elev_angle"],
    mode="1min",
)
quicklook(ds, "omni_quicklook.png")
