"""OMNI passes helioport's public conformance suite, its ``all`` bundle included."""

from __future__ import annotations

import helioport
from helioport.testing import check_dataset, check_plugin
from helioport.testing.conformance import PATH_CHECKS


def test_omni_conforms(tmp_path):
    report = check_plugin("omni", tmp_path, require_sample=True)
    assert report.ok, str(report)
    assert report.checked == ["mission spec", *PATH_CHECKS]


def test_the_all_bundle_passes_the_naming_check_and_only_with_all_requested(omni_sample):
    request = {"start": "2010-01-01", "end": "2010-01-01T06:00", "products": ["all"]}
    ds = helioport.load("omni", mode="hourly", base_url=str(omni_sample), **request)
    assert len(ds.data_vars) > 10 and "dc_mag" in ds.data_vars
    spec = helioport.mission_info("omni")
    assert check_dataset(ds, spec, request) == []
    # asked for dc_mag alone, the bundle's members are extra, its dc_mag member not dc_mag's
    problems = check_dataset(ds, spec, dict(request, products=["dc_mag"]))
    # (nor its magnitude dc_mag_tot, the archive's F, dc_mag's)
    assert "variable 'dc_mag' is named after ['dc_mag'] but holds product 'all'" in problems[0]
    assert "variable 'dc_mag_tot' is named after ['dc_mag'] but holds product 'all'" in problems[1]
    assert len(problems) == len(ds.data_vars) + 1  # ... and dc_mag has no variable of its own
    assert all("is not a variable of the requested products" in p for p in problems[2:-1])
