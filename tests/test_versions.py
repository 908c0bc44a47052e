"""Version ordering and per-key version selection (helioport.transport.versions)."""

from __future__ import annotations

import datetime as dt

import pytest
from helioport.errors import DataNotFoundError
from helioport.schema import RemoteFile, VersionPolicy
from helioport.transport import select_versions, version_key
from helioport.transport.versions import version_numbers
from hypothesis import given
from hypothesis import strategies as st

UTC = dt.timezone.utc


def rf(key: str, version: str | None, start: dt.datetime | None = None) -> RemoteFile:
    name = f"{key}_v{version}.cdf" if version else f"{key}.cdf"
    return RemoteFile(
        url=f"https://archive.example/{name}",
        relpath=name,
        mission="mms",
        key=key,
        version=version,
        start=start,
    )


# -- version_key ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("v5.9.1", "v5.10.0"),
        ("v9", "v10"),
        ("01", "02"),
        ("09", "10"),
        ("V070906", "V101231"),
        ("4.18", "4.18.0"),
        ("4.18.0", "4.18.1"),
        ("4.18.1", "4.180"),
        ("1.0rc1", "1.0.1"),
        ("v1.2.3", "V1.2.4"),
    ],
)
def test_version_key_orders_naturally(low: str, high: str) -> None:
    assert version_key(low) < version_key(high)
    assert sorted([high, low], key=version_key) == [low, high]


def test_version_key_numeric_not_lexical() -> None:
    versions = ["v1.10.0", "v1.9.0", "v1.2.0", "v10.0.0", "v2.0.0"]
    assert sorted(versions, key=version_key) == ["v1.2.0", "v1.9.0", "v1.10.0", "v2.0.0", "v10.0.0"]
    assert version_key("V070906")[0] == ((0, 0, "v"), (1, 70906, ""))


def test_version_key_is_total_on_equal_numbers() -> None:
    # "01" and "1" are the same number: the text breaks the tie, deterministically
    assert version_key("01") != version_key("1")
    assert sorted(["1", "01"], key=version_key) == sorted(["01", "1"], key=version_key)


tuples = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5).map(tuple)


@given(a=tuples, b=tuples)
def test_version_key_matches_tuple_order(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    fa, fb = "v" + ".".join(map(str, a)), "v" + ".".join(map(str, b))
    assert (version_key(fa) < version_key(fb)) == (a < b)
    assert (version_key(fa) == version_key(fb)) == (a == b)


@given(a=st.integers(0, 99), b=st.integers(0, 99))
def test_zero_padded_versions(a: int, b: int) -> None:
    assert (version_key(f"_v{a:02d}") < version_key(f"_v{b:02d}")) == (a < b)


def test_version_numbers() -> None:
    assert version_numbers("v4.18.1") == (4, 18, 1)
    assert version_numbers("V070906") == (70906,)
    assert version_numbers("01") == (1,)


# -- select_versions ----------------------------------------------------------------
def test_latest_per_key_sorted_by_start_then_key() -> None:
    t1, t2 = dt.datetime(2015, 10, 16, tzinfo=UTC), dt.datetime(2015, 10, 17, tzinfo=UTC)
    files = [
        rf("b", "5.9.1", t2),
        rf("b", "5.10.0", t2),
        rf("a", "5.2.0", t2),
        rf("c", "1.0.0", t1),
        rf("c", "0.9.9", t1),
    ]
    picked = select_versions(files, VersionPolicy())
    assert [(f.key, f.version) for f in picked] == [("c", "1.0.0"), ("a", "5.2.0"), ("b", "5.10.0")]


def test_default_policy_is_latest_and_naive_starts_are_utc() -> None:
    # naive 05:00 is 05:00 UTC: after 04:00 UTC (06:00+02:00), before 06:00 UTC
    plus2 = dt.timezone(dt.timedelta(hours=2))
    files = [
        rf("x", "9", dt.datetime(2020, 1, 2, 5)),
        rf("x", "10", dt.datetime(2020, 1, 2, 5)),
        rf("w", "1", dt.datetime(2020, 1, 2, 6, tzinfo=plus2)),
        rf("y", "1", dt.datetime(2020, 1, 2, 6, tzinfo=UTC)),
    ]
    assert [(f.key, f.version) for f in select_versions(files)] == [
        ("w", "1"),
        ("x", "10"),
        ("y", "1"),
    ]


def test_pinned_matches_numeric_prefix() -> None:
    files = [rf("a", v) for v in ("4.17.9", "4.18.0", "4.18.1", "4.180.0", "4.19.0")]
    picked = select_versions(files, VersionPolicy.parse("4.18"))
    assert [f.version for f in picked] == ["4.18.1"]
    picked = select_versions(files, VersionPolicy.parse("v4.18.0"))
    assert [f.version for f in picked] == ["4.18.0"]


def test_pinned_drops_keys_without_match_and_raises_when_none_left() -> None:
    files = [rf("a", "4.18.0"), rf("a", "4.19.0"), rf("b", "4.19.0")]
    assert [(f.key, f.version) for f in select_versions(files, VersionPolicy.parse("4.18"))] == [
        ("a", "4.18.0")
    ]
    with pytest.raises(DataNotFoundError) as err:
        select_versions(files, VersionPolicy.parse("3.1"))
    assert "4.18.0, 4.19.0" in str(err.value) and "3.1" in str(err.value)


def test_minimum_policy() -> None:
    files = [rf("a", "4.17.9"), rf("a", "4.18.2"), rf("b", "4.17.0"), rf("b", "4.16.0")]
    picked = select_versions(files, VersionPolicy.parse(">=4.18"))
    assert [(f.key, f.version) for f in picked] == [("a", "4.18.2")]
    picked = select_versions(files, VersionPolicy.parse(">=4.17"))
    assert [(f.key, f.version) for f in picked] == [("a", "4.18.2"), ("b", "4.17.0")]
    with pytest.raises(DataNotFoundError, match=r"4\.16\.0, 4\.17\.0, 4\.17\.9, 4\.18\.2"):
        select_versions(files, VersionPolicy.parse(">=5"))


def test_unversioned_files_always_pass() -> None:
    files = [rf("omni2_2010", None), rf("a", "1.0")]
    for policy in ("latest", "1.0", ">=1"):  # the unversioned key first: "a" is kept too
        picked = select_versions(files, VersionPolicy.parse(policy))
        assert [f.key for f in picked] == ["a", "omni2_2010"]
    assert [f.key for f in select_versions(files, VersionPolicy.parse(">=9"))] == ["omni2_2010"]


def test_empty_input_gives_empty_list() -> None:
    assert select_versions([], VersionPolicy.parse(">=2")) == []
