"""Behaviours of helioport.transport.versions that mutation testing found unpinned.

Each test names the wrong result it guards against: a refactor that changes one
of these behaviours gives a silently wrong file choice, not an error.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from helioport.errors import DataNotFoundError
from helioport.schema import RemoteFile, VersionPolicy
from helioport.transport.versions import select_versions, version_key, version_numbers

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


def picked(files: list[RemoteFile], policy: str | None = None) -> list[tuple[str, str | None]]:
    return [(f.key, f.version) for f in select_versions(files, VersionPolicy.parse(policy))]


# -- the per-key loop -----------------------------------------------------------------
@pytest.mark.parametrize("policy", [None, "1", ">=1"])
def test_unversioned_key_does_not_end_the_loop(policy: str | None) -> None:
    # the key without a versioned file comes first: every later key must still be chosen
    files = [rf("u", None), rf("a", "1.0"), rf("a", "1.1"), rf("b", "1.2")]
    assert picked(files, policy) == [("a", "1.1"), ("b", "1.2"), ("u", None)]


def test_last_unversioned_file_of_a_key_wins() -> None:
    files = [
        RemoteFile(url="https://x/first", relpath="first", mission="m", key="k"),
        RemoteFile(url="https://x/second", relpath="second", mission="m", key="k"),
    ]
    assert [f.relpath for f in select_versions(files)] == ["second"]


def test_unversioned_files_of_a_versioned_key_are_ignored() -> None:
    # once a key has versions, its unversioned duplicates do not compete
    files = [rf("a", "2.0"), rf("a", None), rf("a", "1.0")]
    assert picked(files) == [("a", "2.0")]


# -- minimum --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "minimum"),
    [
        ("4.18", ">=4.18"),  # exactly the minimum
        ("4.18.0", ">=4.18"),  # trailing zeros do not make it larger ...
        ("4.18", ">=4.18.0"),  # ... nor smaller
        ("4.18.0.0", ">=4.18.0"),
        ("v4.18.0", ">=4.18"),
        ("10", ">=10"),
    ],
)
def test_version_equal_to_the_minimum_is_kept(version: str, minimum: str) -> None:
    assert picked([rf("a", version)], minimum) == [("a", version)]


@pytest.mark.parametrize(
    ("version", "minimum"), [("4.17.99", ">=4.18"), ("4.17", ">=4.17.1"), ("9", ">=10")]
)
def test_version_just_below_the_minimum_is_dropped(version: str, minimum: str) -> None:
    with pytest.raises(DataNotFoundError) as err:
        select_versions([rf("a", version)], VersionPolicy.parse(minimum))
    message = str(err.value)
    assert f"no file matches version {minimum}" in message
    assert f"the archive has versions {version} for these files" in message
    assert message.endswith("; ask for one of those or use version='latest'")


def test_minimum_keeps_the_newest_version() -> None:
    files = [rf("a", "5.0"), rf("a", "4.1"), rf("a", "3.0"), rf("b", "6.0")]
    assert picked(files, ">=4") == [("a", "5.0"), ("b", "6.0")]


def test_dropped_keys_warn_with_their_versions() -> None:
    files = [rf("a", "4.18.0"), rf("b", "4.19.2"), rf("b", "4.19.10")]
    with pytest.warns(UserWarning) as record:
        assert picked(files, "4.18") == [("a", "4.18.0")]
    message = (
        "version 4.18: 1 file(s) have no matching version and are left out "
        "(e.g. b: 4.19.2, 4.19.10)"
    )
    assert [str(w.message) for w in record] == [message]


def test_no_warning_when_nothing_is_dropped(recwarn: pytest.WarningsRecorder) -> None:
    assert picked([rf("a", "1.0"), rf("a", "1.1")], ">=1.1") == [("a", "1.1")]
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_error_lists_every_version_once_in_natural_order() -> None:
    files = [rf("a", "1.10"), rf("a", "1.9"), rf("b", "1.9"), rf("b", "1.2")]
    with pytest.raises(DataNotFoundError) as err:
        select_versions(files, VersionPolicy.parse("2"))
    assert "versions 1.2, 1.9, 1.10 for these files" in str(err.value)


# -- pinned ---------------------------------------------------------------------------
def test_pin_longer_than_the_version_does_not_match() -> None:
    # a pin 4.18.1 must not match version 4.18 (its numbers are a prefix of the pin)
    with pytest.raises(DataNotFoundError):
        select_versions([rf("a", "4.18")], VersionPolicy.parse("4.18.1"))


def test_pin_picks_the_newest_matching_not_the_newest() -> None:
    files = [rf("a", "4.18.2"), rf("a", "4.18.10"), rf("a", "4.19.0"), rf("a", "5.0")]
    assert picked(files, "4.18") == [("a", "4.18.10")]
    assert picked(files, "4") == [("a", "4.19.0")]


# -- order of the result and time zones -----------------------------------------------
@pytest.fixture
def tokyo_local_time(monkeypatch: pytest.MonkeyPatch):
    """Make the process's local time zone UTC+9, so naive times read as local would move."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_naive_starts_are_utc_whatever_the_local_zone(tokyo_local_time: None) -> None:
    # 05:00 naive is 05:00 UTC: after 04:30 UTC. Read as Tokyo time it would be 20:00 UTC the
    # day before, and first.
    files = [
        rf("naive", "1", dt.datetime(2020, 1, 2, 5, 0)),
        rf("aware", "1", dt.datetime(2020, 1, 2, 4, 30, tzinfo=UTC)),
    ]
    assert [f.key for f in select_versions(files)] == ["aware", "naive"]


def test_starts_in_other_zones_are_compared_as_instants() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    files = [
        rf("a", "1", dt.datetime(2020, 1, 2, 5, 0, tzinfo=UTC)),  # 05:00 UTC
        rf("b", "1", dt.datetime(2020, 1, 2, 6, 0, tzinfo=plus2)),  # 04:00 UTC
        rf("c", "1", dt.datetime(2020, 1, 2, 4, 30)),  # naive: 04:30 UTC
    ]
    assert [f.key for f in select_versions(files)] == ["b", "c", "a"]


def test_files_without_start_come_first_by_key_even_before_1970() -> None:
    files = [
        rf("late", "1", dt.datetime(1960, 1, 2, tzinfo=UTC)),
        rf("zz", "1"),
        rf("early", "1", dt.datetime(1960, 1, 1, tzinfo=UTC)),
        rf("aa", "1"),
    ]
    assert [f.key for f in select_versions(files)] == ["aa", "zz", "early", "late"]


def test_same_start_orders_by_key() -> None:
    t = dt.datetime(2020, 1, 1, tzinfo=UTC)
    files = [rf("b", "1", t), rf("a", "1", t), rf("c", "1", t)]
    assert [f.key for f in select_versions(files)] == ["a", "b", "c"]


# -- version_key and version_numbers --------------------------------------------------
def test_version_key_tokens() -> None:
    assert version_key("v5.10.0-RC_2") == (
        ((0, 0, "v"), (1, 5, ""), (1, 10, ""), (1, 0, ""), (0, 0, "rc"), (1, 2, "")),
        "v5.10.0-RC_2",
    )
    assert version_key(7) == (((1, 7, ""),), "7")


def test_letters_sort_before_numbers_at_the_same_position() -> None:
    assert sorted(["1.0.1", "1.0rc"], key=version_key) == ["1.0rc", "1.0.1"]
    assert version_key("1.0b") < version_key("1.0c") < version_key("1.0.0")


def test_version_numbers_ignores_letters_and_separators() -> None:
    assert version_numbers("v5.10.0-rc2") == (5, 10, 0, 2)
    assert version_numbers("latest") == ()
    assert version_numbers(12) == (12,)
