"""Event summary

An event search on OMNI data (southward IMF stronger than 8 nT, in 10-minute
windows every 5 minutes, events closer than 30 minutes merged) and its
summary plot: the criterion's variables with the events shaded.
"""

import helioport
from helioport.events import find_events, summary_plot

ds = helioport.load("omni", "2010-01-01", "2010-01-03", products=["dc_mag", "i_dens"], mode="1min")
catalog = find_events(ds, "dc_mag_z < -8", window="10min", step="5min", merge_gap="30min")
catalog.write("events.txt")  # the AIDApy list; .csv, .json and .xml (VOTable) too
summary_plot(catalog, ds, path="event_summary.png")
