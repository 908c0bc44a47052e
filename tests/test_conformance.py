"""Every installed plugin with a sample archive passes the public conformance suite."""

from __future__ import annotations

import helioport
import pytest
from helioport.registry import get_registry
from helioport.testing.conformance import check_plugin


def _with_samples():
    reg = get_registry()
    return sorted(
        m for m in reg.missions() if m in ("omni", "toy", "mms", "cluster", "themis_asi", "rego")
    )


@pytest.mark.parametrize("mission", _with_samples())
def test_plugin_conforms(mission, tmp_path):
    report = check_plugin(mission, tmp_path)
    assert report.ok, str(report)
    assert (
        "offline load" in report.checked
        or "no sample archive: path checks skipped" in report.checked
    )


def test_conformance_catches_a_broken_dataset():
    import numpy as np
    import xarray as xr
    from helioport.testing.conformance import check_dataset

    spec = helioport.mission_info("toy")
    t = np.array(
        ["2020-01-01T00:00", "2020-01-01T00:00", "2020-01-01T03:00"], dtype="datetime64[ns]"
    )
    ds = xr.Dataset(
        {"dc_mag_t1": (("time_dc_mag_t1",), [1.0, 2.0, 3.0])},
        coords={"time_dc_mag_t1": t},
        attrs={"mission": "toy", "request": "x"},
    )
    problems = check_dataset(
        ds,
        spec,
        {
            "products": ["dc_mag"],
            "probes": ["t1"],
            "start": "2020-01-01",
            "end": "2020-01-01T02:00",
        },
    )
    text = "\n".join(problems)
    assert "strictly increasing" in text and "leave the requested" in text and "'units'" in text
