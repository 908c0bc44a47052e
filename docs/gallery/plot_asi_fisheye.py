"""All-sky imager fisheye

One THEMIS frame as the camera sees it, north up and east left, with the
azimuth and elevation grid of the site's skymap.
"""

import helioport
from helioport.imaging import skymap
from helioport.imaging.plot import fisheye

ds = helioport.load(
    "themis_asi", "2011-01-06T04:00", "2011-01-06T06:00", products=["image"], probes=["gako"]
)
sky = skymap("themis_asi", "gako", "2011-01-06T04:00")
fisheye(ds["image_gako"], sky, time="2011-01-06T05:00", path="fisheye.png")
