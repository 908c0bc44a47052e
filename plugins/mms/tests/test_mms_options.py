"""MMS request options parsed by the core's helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from helioport.errors import InvalidRequestError
from helioport.schema import Request
from helioport_mms.names import MAX_BURST
from helioport_mms.sources import max_burst


def _request(**options) -> Request:
    return Request(mission="mms", start="2015-10-16", end="2015-10-17", options=options)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, MAX_BURST),
        (1800, dt.timedelta(minutes=30)),
        ("2h", dt.timedelta(hours=2)),
        ("90", dt.timedelta(seconds=90)),
        (dt.timedelta(minutes=5), dt.timedelta(minutes=5)),
    ],
)
def testmax_burst_takes_seconds_text_or_timedelta(value, expected):
    request = _request() if value is None else _request(max_burst=value)
    assert max_burst(request) == expected


def test_a_badmax_burst_names_the_option():
    with pytest.raises(InvalidRequestError, match="max_burst"):
        max_burst(_request(max_burst="a while"))
