"""All-sky imager on a map

The same THEMIS frame projected onto geographic coordinates at the
skymap's emission altitude, on plain longitude/latitude axes. With cartopy
(``pip install helioport[maps]``) and the default ``projection="auto"`` the map
is an orthographic view with coastlines, which cartopy downloads once from
Natural Earth: this page is built offline, so it asks for plain axes.
"""

import helioport
from helioport.imaging import skymap
from helioport.imaging.plot import map_plot

ds = helioport.load(
    "themis_asi", "2011-01-06T04:00", "2011-01-06T06:00", products=["image"], probes=["gako"]
)
sky = skymap("themis_asi", "gako", "2011-01-06T04:00")
map_plot(ds["image_gako"], sky, time="2011-01-06T05:00", projection="plain", path="map.png")
