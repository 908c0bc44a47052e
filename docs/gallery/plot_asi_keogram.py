"""All-sky imager keogram

A north-south keogram of the THEMIS all-sky imager at Gakona: the meridian
column of every frame, placed in geographic latitude with the site's skymap
(the newest valid at the time).
"""

import helioport
from helioport.imaging import keogram, skymap
from helioport.imaging.plot import keogram_plot

ds = helioport.load(
    "themis_asi", "2011-01-06T04:00", "2011-01-06T06:00", products=["image"], probes=["gako"]
)
sky = skymap("themis_asi", "gako", "2011-01-06T04:00")
keo = keogram(ds["image_gako"], sky)
keogram_plot(keo, path="keogram.png")
