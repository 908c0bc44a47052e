"""helioport plugin for Cluster (C1-C4): the ESA Cluster Science Archive and its SPDF copy.

Registered through the entry point ``cluster = "helioport_cluster.plugin"`` in the
group ``helioport.plugins``. See :mod:`helioport_cluster.products` for the table.
"""
