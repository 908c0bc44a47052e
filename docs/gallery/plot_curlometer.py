"""Curlometer

The current density ``j_curl`` from the four Cluster spacecraft (magnetic
field and positions of C1-C4, curlometer of Dunlop et al. 1988 in the
barycentric form of Chanteur 1998), with its quality figure
``|div B| / |curl B|``. The sample archive this page is built from holds a
linear field, for which the curlometer is exact: J is constant and div B is
zero, as the panels show.
"""

import helioport
import matplotlib.pyplot as plt
from helioport.naming import find_time_dim

ds = helioport.load(
    "cluster",
    "2001-06-11T00:00",
    "2001-06-11T02:00",
    products=["j_curl"],
    probes=["c1", "c2", "c3", "c4"],
    source="spdf",
)
j, quality = ds["j_curl"], ds["curl_quality"]
fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5), constrained_layout=True)
for component in ("x", "y", "z"):
    jc = j.sel(component=component)
    top.plot(jc[find_time_dim(jc)], jc, label=f"J{component}")
top.set_ylabel(f"J ({j.attrs['units']})")
top.legend(loc="upper right")
bottom.plot(quality[find_time_dim(quality)], quality, color="k")
bottom.set_ylabel("|div B| / |curl B|")
top.set_title("Cluster curlometer, 2001-06-11")
fig.savefig("curlometer.png", dpi=100)
