"""Settings: cache folder, offline mode, mirrors, network limits.

Precedence, highest first: keyword arguments, environment variables
(``HELIOPORT_CACHE_DIR``, ``HELIOPORT_OFFLINE``, ``HELIOPORT_<KEY>_URL``), the
config file (``HELIOPORT_CONFIG`` or ``<user config dir>/helioport/config.toml``),
built-in defaults. A config file looks like::

    cache_dir = "/data/helioport-cache"
    offline = false
    max_workers = 4

    [urls]
    omni = "https://mirror.example.org/omni/"
    mms_sdc = "/srv/mms-sdc/"
    mms = "s3://my-bucket/mms/"      # object stores: pip install 'helioport[s3]' (gcs, azure)
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import threading
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any, NamedTuple

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError, one_line
from .stamps import settled, stamp

__all__ = ["STORE_SCHEMES", "Config", "config_file_path", "normalise_base_url"]


def _toml() -> Any:
    """The TOML reader, imported when there is a config file to read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


#: object-store schemes read through fsspec (the backend is an extra: helioport[s3], [gcs], [azure])
STORE_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
#: Configs kept per state of the environment (one entry per set of keyword arguments)
_CACHE_SIZE = 16
#: keyword values a cached Config may be keyed by (immutable, compared by value)
_PLAIN = (str, int, float, bool, type(None))


def config_file_path() -> Path:
    """Where the config file is read from: ``HELIOPORT_CONFIG``, else
    ``<user config dir>/helioport/config.toml`` (``$XDG_CONFIG_HOME`` on Linux).

    ``HELIOPORT_CONFIG`` must name a file that exists (a typo would otherwise
    silently drop every setting), or be ``os.devnull`` (``/dev/null``): no
    config file at all.

    Raises
    ------
    ConfigError
        ``HELIOPORT_CONFIG`` names nothing, or a folder.

    Examples
    --------
    >>> config_file_path()  # doctest: +SKIP
    PosixPath('/home/me/.config/helioport/config.toml')
    """
    env = os.environ.get("HELIOPORT_CONFIG")
    if env:
        path = Path(env).expanduser()
        if str(path) != os.devnull and not path.is_file():
            what = "a folder" if path.is_dir() else "nothing"
            raise ConfigError(
                f"HELIOPORT_CONFIG={env!r} names {what}; point it at a config file (TOML), "
                f"set it to {os.devnull} for no config file, or unset it to use "
                f"{Path(platformdirs.user_config_dir('helioport')) / 'config.toml'}"
            )
        return path
    return Path(platformdirs.user_config_dir("helioport")) / "config.toml"


def normalise_base_url(url: str) -> str:
    """A base URL ending in ``/``: ``https://``/``http://``/``file://`` and object-store URLs
    (``s3://bucket/prefix``, ``gs://``, ``az://``) kept, a folder path made absolute.

    Raises :class:`ConfigError` for schemes helioport cannot read from, and for a
    store URL without a bucket.

    Examples
    --------
    >>> normalise_base_url("S3://helio-public/omni")
    's3://helio-public/omni/'
    """
    return _normalise(url, None)


def _normalise(url: Any, resolved: list[tuple[Path, Path]] | None) -> str:
    """:func:`normalise_base_url`, appending each folder it resolves (as given, as resolved)
    to ``resolved``."""
    # a str is parsed once per process (a pure function of the text); other types as given
    parse = _parse_base_url if type(url) is str else _parse_base_url.__wrapped__
    text, local = parse(url)
    if not local:
        return text
    given = Path(text).expanduser()
    real = given.resolve()
    if resolved is not None:
        resolved.append((given, real))
    text = real.as_uri()
    return text if text.endswith("/") else text + "/"


@functools.lru_cache(maxsize=256)
def _parse_base_url(url: Any) -> tuple[str, bool]:
    """``(base URL, False)`` for a remote URL, ``(path, True)`` for a folder to resolve.

    Raises the :class:`ConfigError` of :func:`normalise_base_url`.
    """
    text = str(url).strip()
    if not text:
        raise ConfigError(
            "an empty mirror URL was given; use https://..., file:///..., s3://... or a folder path"
        )
    if "://" not in text:
        return text, True
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    if scheme not in ("http", "https", "file", *STORE_SCHEMES):
        raise ConfigError(
            f"mirror URL {url!r} has scheme {scheme!r}; use an https:// server, a file:// URL, "
            "a folder path or an object store (s3://, gs://, az://)"
        )
    if scheme in STORE_SCHEMES:
        if not rest.strip("/"):
            raise ConfigError(f"mirror URL {url!r} names no bucket; use {scheme}://BUCKET/...")
        text = f"{scheme}://{rest}"
    if scheme == "file":
        return text[len("file://") :], True
    return (text if text.endswith("/") else text + "/"), False


class Config(BaseModel):
    """Resolved settings of one helioport call (immutable).

    Build it with :meth:`Config.load`, which merges keywords, environment and the
    config file.

    Network limits: ``timeout`` (seconds) bounds the connection and each wait
    for bytes; a file download slower than ``min_speed`` bytes/s over any
    ``speed_window`` seconds is cut and retried (``min_speed = 0`` turns this
    off), so a download of ``n`` bytes ends within about
    ``n / min_speed + 2 * speed_window`` seconds per attempt, whatever the
    server does. ``retries`` more attempts follow a failed one, ``backoff``
    seconds apart (doubling), or what ``Retry-After`` asks up to
    ``max_retry_after``. ``max_files`` is the largest number of files (or
    folder listings) one request may need before it stops and asks for the
    ``max_files=`` option.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cache_dir: Path
    offline: bool = False
    urls: dict[str, str] = Field(default_factory=dict)
    max_workers: int = Field(4, ge=1, le=64)
    per_host: int = Field(2, ge=1, le=16)
    retries: int = Field(4, ge=0, le=20)
    backoff: float = Field(1.0, ge=0.0)
    max_retry_after: float = Field(600.0, ge=0.0)
    timeout: float = Field(60.0, gt=0.0)
    min_speed: float = Field(1024.0, ge=0.0)
    speed_window: float = Field(30.0, gt=0.0)
    max_files: int = Field(5000, ge=1)
    progress: bool | None = None

    @classmethod
    def load(cls, **overrides: Any) -> Config:
        """Merge keyword overrides, environment variables and the config file.

        ``overrides`` with value ``None`` are ignored; ``urls`` given as a keyword
        is merged over the other sources key by key.

        The result is remembered per state of the environment, config file (its
        size, mtime and inode), working folder and keywords, while every folder
        it resolved (cache, mirrors) still names the same folder: a change of any
        takes effect on the next call. Each call returns a Config of its own.
        """
        env = _Environment.current()
        key = env.key(overrides)
        entry = env.configs.get(key) if key is not None else None
        if entry is not None and entry.still_valid():
            return _own_copy(entry.config)
        resolved: list[tuple[Path, Path]] = []
        cfg = cls._build(dict(overrides), resolved)
        if key is not None:
            env.remember(key, cfg, resolved)
        return cfg

    @classmethod
    def _build(cls, overrides: dict[str, Any], resolved: list[tuple[Path, Path]]) -> Config:
        """The uncached :meth:`load`, appending each folder it resolves to ``resolved``."""
        data: dict[str, Any] = {}
        path = config_file_path()
        if path.is_file():
            tomllib = _toml()
            try:
                data.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        urls = {str(k).lower(): v for k, v in dict(data.pop("urls", {}) or {}).items()}
        env = os.environ
        if env.get("HELIOPORT_CACHE_DIR"):
            data["cache_dir"] = env["HELIOPORT_CACHE_DIR"]
        if "HELIOPORT_OFFLINE" in env:
            data["offline"] = _env_bool("HELIOPORT_OFFLINE", env["HELIOPORT_OFFLINE"])
        for name, value in env.items():
            if name.startswith("HELIOPORT_") and name.endswith("_URL") and value.strip():
                key = name[len("HELIOPORT_") : -len("_URL")].lower()
                if key:
                    urls[key] = value
        kw_urls = overrides.pop("urls", None) or {}
        for k, v in overrides.items():
            if v is not None:
                data[k] = v
        urls.update({str(k).lower(): v for k, v in dict(kw_urls).items()})
        data["urls"] = {k: _normalise(v, resolved) for k, v in urls.items()}
        data.setdefault("cache_dir", platformdirs.user_cache_dir("helioport"))
        try:
            cfg = cls(**data)
        except ValidationError as exc:
            where = (
                f"config file {path}" if path.is_file() else "keywords and HELIOPORT_* environment"
            )
            raise ConfigError(f"invalid helioport settings from {where}: {one_line(exc)}") from None
        given = Path(cfg.cache_dir).expanduser()
        cache_dir = given.resolve()
        resolved.append((given, cache_dir))
        return cfg.model_copy(update={"cache_dir": cache_dir})

    def base_url(self, key: str, default: str) -> str:
        """The base URL of source ``key``: a configured mirror, else ``default``."""
        return self.urls.get(key.lower(), normalise_base_url(default))


def _env_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no")


def _own_copy(cfg: Config) -> Config:
    """A Config equal to ``cfg`` whose ``urls`` dict is its own (the model is frozen, the
    dict is not): a caller changing it cannot change a remembered Config."""
    return cfg.model_copy(update={"urls": dict(cfg.urls)})


def _folder_id(path: str | PurePath) -> tuple[int, int] | None:
    """The (device, inode) ``path`` leads to, symlinks followed; ``None`` if it leads nowhere."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


class _Folder(NamedTuple):
    """A folder :meth:`Config.load` resolved: the path given, the path resolved and the
    (device, inode) both led to. While both still lead to it, the resolved path names the
    folder the given one names (without a ``lstat`` per part, as resolving takes)."""

    given: str
    real: str
    identity: tuple[int, int]

    def holds(self) -> bool:
        ident = _folder_id(self.given)
        return ident == self.identity and (
            self.given == self.real or _folder_id(self.real) == self.identity
        )


class _Entry(NamedTuple):
    """A remembered Config and the folders it resolved."""

    config: Config
    folders: tuple[_Folder, ...]

    def still_valid(self) -> bool:
        return all(f.holds() for f in self.folders)


class _Environment:
    """What :meth:`Config.load` derives from one state of ``os.environ``: the config file's
    path and the Configs built (at most :data:`_CACHE_SIZE`). A changed environment
    gets a new one, so nothing built under another environment is ever returned."""

    _latest: _Environment | None = None

    def __init__(self, state: dict[Any, Any]) -> None:
        self.state = state
        self.configs: dict[tuple[Any, ...], _Entry] = {}
        self.lock = threading.Lock()
        named = os.environ.get("HELIOPORT_CONFIG")
        # config_file_path without its check, which depends on the file system (done per call)
        self.named = bool(named)
        try:
            self.config_path: Path | None = (
                Path(named).expanduser()
                if named
                else Path(platformdirs.user_config_dir("helioport")) / "config.toml"
            )
        except (RuntimeError, ValueError, OSError):  # no home folder: load raises as usual
            self.config_path = None
        self.devnull = self.named and str(self.config_path) == os.devnull

    @classmethod
    def current(cls) -> _Environment:
        """The :class:`_Environment` of the environment as it is now."""
        state = dict(os.environ)
        latest = cls._latest
        if latest is None or latest.state != state:
            latest = cls(state)
            if dict(os.environ) == latest.state:  # not changed meanwhile by another thread
                cls._latest = latest
        return latest

    def key(self, overrides: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """What the Config of ``overrides`` depends on besides the environment, or ``None``
        when it cannot be remembered (unusual keyword types, a config file just written or
        unreadable, a working folder gone)."""
        kw = _keywords_key(overrides)
        if kw is None or self.config_path is None:
            return None
        # HELIOPORT_CONFIG=os.devnull: no config file at all (and nothing to stat)
        state = ("devnull",) if self.devnull else _file_state(self.config_path)
        if state is None:
            return None
        if self.named and state[0] not in ("file", "devnull"):
            return None  # HELIOPORT_CONFIG names no file: the full load raises its error
        try:
            cwd = os.getcwd()  # a relative cache folder or mirror resolves against it
        except OSError:
            return None
        return kw, state, cwd

    def remember(
        self, key: tuple[Any, ...], cfg: Config, resolved: list[tuple[Path, Path]]
    ) -> None:
        """Keep ``cfg`` (a copy) under ``key`` if each folder it resolved exists."""
        folders = []
        for given, real in resolved:
            ident = _folder_id(given)
            if ident is None or ident != _folder_id(real):
                return  # a folder not (yet) there, or changed meanwhile: resolve again next time
            folders.append(_Folder(str(given), str(real), ident))
        if dict(os.environ) != self.state:
            return  # the environment changed while cfg was built: cfg may not be this one's
        with self.lock:
            if key not in self.configs and len(self.configs) >= _CACHE_SIZE:
                del self.configs[next(iter(self.configs))]
            self.configs[key] = _Entry(_own_copy(cfg), tuple(folders))


def _keywords_key(overrides: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """``overrides`` as a hashable key (values with their types: ``1`` is not ``True``), or
    ``None`` for values that are not plain immutable data."""
    items: list[tuple[Any, ...]] = []
    for name, value in overrides.items():
        if name == "urls" and type(value) is dict:
            if not all(type(k) is str and type(v) is str for k, v in value.items()):
                return None
            items.append((name, dict, tuple(value.items())))
        elif type(value) in _PLAIN or isinstance(value, PurePath):
            items.append((name, type(value), value))
        else:
            return None
    return tuple(items)


def _file_state(path: Path) -> tuple[Any, ...] | None:
    """What the config file at ``path`` is: ``("file", *stamp)`` (:func:`helioport.stamps.stamp`),
    ``("absent",)`` or ``("other", file type)``; ``None`` when it cannot be remembered
    (not settled, :func:`helioport.stamps.settled`, or not readable)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ("absent",)
    except (OSError, ValueError):
        return None  # Path.is_file raises or answers these itself: the full load decides
    if not stat.S_ISREG(st.st_mode):
        return ("other", stat.S_IFMT(st.st_mode))
    file_stamp = stamp(st)
    if not settled(file_stamp):
        return None  # (ctime too: an edit may set the mtime back)
    return ("file", *file_stamp)


def describe(cfg: Config) -> Mapping[str, Any]:
    """Plain-data view of the settings (for ``helioport cache info``)."""
    return {
        "config_file": str(config_file_path()),
        "cache_dir": str(cfg.cache_dir),
        "offline": cfg.offline,
        "urls": dict(cfg.urls),
    }
