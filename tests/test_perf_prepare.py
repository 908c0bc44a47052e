"""Settings are resolved once per state of what they depend on (issue 12), never stale.

:meth:`Config.load` remembers its answer per environment, config file (size, mtime,
inode), working folder and keywords, while the folders it resolved still name the same
folders. Each test changes one of these between two loads and checks that the second
load sees the change; the others check that the remembered answer is the full one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helioport import config as config_module
from helioport import stamps
from helioport.config import Config, normalise_base_url
from helioport.errors import ConfigError

PAST_NS = 1_600_000_000 * 10**9  # a config file's mtime long ago: it may be remembered


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("HELIOPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(config_module._Environment, "_latest", None)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full (uncached) builds of a Config."""
    calls: list[int] = []
    real = Config._build.__func__

    def counting(cls, overrides, resolved):
        calls.append(1)
        return real(cls, overrides, resolved)

    monkeypatch.setattr(Config, "_build", classmethod(counting))
    return calls


def write_config(path: Path, text: str, mtime_ns: int = PAST_NS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def full(**kw) -> Config:
    """The Config without anything remembered."""
    return Config._build(dict(kw), [])


def same(a: Config, b: Config) -> bool:
    return a == b and a.__pydantic_fields_set__ == b.__pydantic_fields_set__


def test_a_remembered_config_is_the_full_one_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    monkeypatch.setattr(stamps, "SETTLE_NS", 0)  # the file just written may be kept
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("HELIOPORT_MMS_URL", str(tmp_path / "mirror"))
    write_config(tmp_path / "xdg-config" / "helioport" / "config.toml", "max_workers = 3\n")
    kw = {"cache_dir": None, "offline": None, "urls": {"omni": "https://x.org/o"}}
    first, second = Config.load(**kw), Config.load(**kw)
    assert len(builds) == 1  # the second load was remembered
    assert same(first, second) and same(second, full(**kw))
    assert second.max_workers == 3 and second.urls["mms"] == (tmp_path / "mirror").as_uri() + "/"
    assert second.urls["omni"] == "https://x.org/o/"


def test_a_caller_changing_urls_does_not_change_the_next_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELIOPORT_OMNI_URL", "https://mirror.org/omni")
    for _ in range(3):
        cfg = Config.load()
        assert cfg.urls == {"omni": "https://mirror.org/omni/"}
        cfg.urls["omni"] = "https://elsewhere.org/"
        cfg.urls["mms"] = "https://elsewhere.org/"


@pytest.mark.parametrize(
    ("name", "value", "check"),
    [
        ("HELIOPORT_OFFLINE", "1", lambda c, tmp: c.offline is True),
        (
            "HELIOPORT_OMNI_URL",
            "https://m.org/omni",
            lambda c, tmp: c.urls.get("omni") == "https://m.org/omni/",
        ),
        ("HELIOPORT_CACHE_DIR", "other", lambda c, tmp: c.cache_dir == (tmp / "other").resolve()),
        ("XDG_CONFIG_HOME", "elsewhere", lambda c, tmp: c.max_workers == 7),
    ],
)
def test_a_changed_environment_variable_takes_effect_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, check
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path / "elsewhere" / "helioport" / "config.toml", "max_workers = 7\n")
    before = Config.load()
    assert not check(before, tmp_path)
    monkeypatch.setenv(name, str(tmp_path / value) if name == "XDG_CONFIG_HOME" else value)
    after = Config.load()
    assert check(after, tmp_path) and same(after, full())
    monkeypatch.delenv(name)
    assert same(Config.load(), full())


def test_a_config_file_edited_to_the_same_size_takes_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: list[int]
) -> None:
    monkeypatch.setattr(stamps, "SETTLE_NS", 0)  # the file just written may be kept
    path = tmp_path / "xdg-config" / "helioport" / "config.toml"
    write_config(path, "max_workers = 3\n")
    assert Config.load().max_workers == 3 and Config.load().max_workers == 3
    assert len(builds) == 1
    write_config(path, "max_workers = 5\n", PAST_NS + 1)  # same size, mtime 1 ns later
    assert Config.load().max_workers == 5


def test_a_config_file_edited_keeping_size_and_mtime_takes_effect(tmp_path: Path) -> None:
    path = tmp_path / "xdg-config" / "helioport" / "config.toml"
    write_config(path, "max_workers = 3\n")
    assert Config.load().max_workers == 3
    write_config(path, "max_workers = 5\n")  # mtime put back: the change time still moved
    assert Config.load().max_workers == 5


def test_a_config_file_just_written_is_read_again(tmp_path: Path, builds: list[int]) -> None:
    # two edits within the file system's timestamp granularity may keep size, mtime and ctime
    path = tmp_path / "xdg-config" / "helioport" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("max_workers = 3\n", encoding="utf-8")
    assert Config.load().max_workers == 3 and Config.load().max_workers == 3
    write_config(path, "max_workers = 4\n")  # an old mtime, a new ctime
    assert Config.load().max_workers == 4 and Config.load().max_workers == 4
    assert len(builds) == 4
    write_config(path, "max_workers = 5\n")
    assert Config.load().max_workers == 5


def test_a_config_file_created_then_deleted_takes_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "SETTLE_NS", 0)  # the file just written may be kept
    path = tmp_path / "xdg-config" / "helioport" / "config.toml"
    assert Config.load().max_workers == 4
    write_config(path, "max_workers = 9\n")
    assert Config.load().max_workers == 9
    path.unlink()
    assert Config.load().max_workers == 4


def test_helioport_config_naming_nothing_raises_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "named.toml"
    write_config(path, "retries = 2\n")
    monkeypatch.setenv("HELIOPORT_CONFIG", str(path))
    assert Config.load().retries == 2 and Config.load().retries == 2
    path.unlink()
    for _ in range(2):
        with pytest.raises(ConfigError, match="names nothing"):
            Config.load()
    path.mkdir()
    with pytest.raises(ConfigError, match="names a folder"):
        Config.load()
    monkeypatch.setenv("HELIOPORT_CONFIG", os.devnull)
    assert Config.load().retries == 4 and same(Config.load(), full())


def test_a_repointed_cache_folder_or_mirror_is_resolved_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "ma", "mb"):
        (tmp_path / name).mkdir()
    (tmp_path / "cache-link").symlink_to(tmp_path / "a")
    (tmp_path / "mirror-link").symlink_to(tmp_path / "ma")
    kw = {"cache_dir": str(tmp_path / "cache-link"), "urls": {"mms": str(tmp_path / "mirror-link")}}
    first = Config.load(**kw)
    assert first.cache_dir == (tmp_path / "a").resolve()
    assert first.urls["mms"] == (tmp_path / "ma").resolve().as_uri() + "/"
    (tmp_path / "cache-link").unlink()
    (tmp_path / "cache-link").symlink_to(tmp_path / "b")
    assert Config.load(**kw).cache_dir == (tmp_path / "b").resolve()
    (tmp_path / "mirror-link").unlink()
    (tmp_path / "mirror-link").symlink_to(tmp_path / "mb")
    assert Config.load(**kw).urls["mms"] == (tmp_path / "mb").resolve().as_uri() + "/"


def test_a_relative_cache_folder_follows_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("one", "two"):
        (tmp_path / name / "c").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "one")
    assert Config.load(cache_dir="c").cache_dir == (tmp_path / "one" / "c").resolve()
    monkeypatch.chdir(tmp_path / "two")
    assert Config.load(cache_dir="c").cache_dir == (tmp_path / "two" / "c").resolve()


def test_a_cache_folder_created_later_is_then_remembered(tmp_path: Path, builds: list[int]) -> None:
    later = tmp_path / "later"
    assert Config.load(cache_dir=str(later)).cache_dir == later.resolve()
    assert Config.load(cache_dir=str(later)).cache_dir == later.resolve()
    assert len(builds) == 2  # a folder not there yet is resolved each time
    later.mkdir()
    first = Config.load(cache_dir=str(later))
    second = Config.load(cache_dir=str(later))
    assert len(builds) == 3
    assert same(first, second) and same(second, full(cache_dir=str(later)))


def test_keywords_are_told_apart_by_value_and_type(builds: list[int]) -> None:
    assert Config.load(max_files=3).max_files == 3
    assert Config.load(max_files=4).max_files == 4
    assert Config.load(offline=True).offline is True
    assert Config.load(offline=False).offline is False
    assert Config.load(progress=1.0).progress is True
    assert Config.load(urls={"omni": "https://a.org"}).urls == {"omni": "https://a.org/"}
    assert Config.load(urls={"omni": "https://b.org"}).urls == {"omni": "https://b.org/"}
    assert len(builds) == 7


def test_remembered_configs_are_bounded() -> None:
    assert config_module._CACHE_SIZE < 40
    for n in range(40):
        assert Config.load(max_files=n + 1).max_files == n + 1
    assert len(config_module._Environment.current().configs) <= config_module._CACHE_SIZE


def test_invalid_settings_raise_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ConfigError, match="invalid helioport settings"):
            Config.load(max_workers=0)
        with pytest.raises(ConfigError, match="has scheme 'ftp'"):
            Config.load(urls={"omni": "ftp://x.org/"})
        with pytest.raises(ConfigError, match="names no bucket"):
            normalise_base_url("s3://")
        with pytest.raises(ConfigError, match="empty mirror URL"):
            normalise_base_url("  ")


def test_normalise_base_url_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalise_base_url("S3://helio-public/omni") == "s3://helio-public/omni/"
    assert normalise_base_url("HTTPS://x.org/a") == "HTTPS://x.org/a/"
    assert normalise_base_url("rel") == (tmp_path / "rel").resolve().as_uri() + "/"
    assert normalise_base_url(tmp_path) == tmp_path.resolve().as_uri() + "/"
    assert normalise_base_url(f"file://{tmp_path}/") == tmp_path.resolve().as_uri() + "/"
