"""The example plugin passes helioport's public conformance suite (a plugin's first test)."""

from __future__ import annotations

from helioport.testing import check_plugin
from helioport.testing.conformance import PATH_CHECKS


def test_toy_conforms(tmp_path):
    report = check_plugin("toy", tmp_path, require_sample=True)
    assert report.ok, str(report)
    assert report.checked == ["mission spec", *PATH_CHECKS]
