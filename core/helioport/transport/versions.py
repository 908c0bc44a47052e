"""File versions: natural ordering and the choice of one version per logical file.

Archives write versions in many ways (``v5.10.0``, ``_v01``, ``V070906``);
:func:`version_key` orders all of them the way a person reads them, and
:func:`select_versions` keeps one file per :attr:`RemoteFile.key` according to
a :class:`~helioport.schema.VersionPolicy` (latest, pinned or minimum).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from ..errors import DataNotFoundError, warn_caller
from ..schema import RemoteFile, VersionPolicy

__all__ = ["select_versions", "version_key", "version_numbers"]

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_NUMBER = re.compile(r"\d+")
_UTC = dt.timezone.utc


def version_key(text: str) -> tuple:
    """A sort key that orders version strings naturally.

    Runs of digits compare as numbers and runs of letters case-insensitively;
    separators (``.``, ``_``, ``-``) only split. A version that extends another
    sorts after it (``1.2`` < ``1.2.0`` < ``1.2.1``); letters sort before
    numbers at the same position (``1.0rc`` < ``1.0.1``). Equal keys are broken
    by the text itself, so the order is total and stable.

    Parameters
    ----------
    text : str
        The version as written (``"v5.10.0"``, ``"01"``, ``"V070906"``).

    Returns
    -------
    tuple
        Comparable with the key of any other version string.

    Examples
    --------
    >>> version_key("v5.10.0") > version_key("v5.9.1")
    True
    >>> sorted(["v10", "v9", "v1.2"], key=version_key)
    ['v1.2', 'v9', 'v10']
    """
    text = str(text)
    tokens = tuple(
        (1, int(tok), "") if tok.isdigit() else (0, 0, tok.lower()) for tok in _TOKEN.findall(text)
    )
    return (tokens, text)


def version_numbers(text: str) -> tuple[int, ...]:
    """The numbers of a version string: ``"v4.18.1"`` -> ``(4, 18, 1)``, ``"V070906"`` -> ``(70906,)``.

    Examples
    --------
    >>> version_numbers("v4.18.1")
    (4, 18, 1)
    """
    return tuple(int(n) for n in _NUMBER.findall(str(text)))


def select_versions(
    files: Iterable[RemoteFile], policy: VersionPolicy | None = None
) -> list[RemoteFile]:
    """Keep one file per logical file (:attr:`RemoteFile.key`) according to ``policy``.

    - ``latest``: the newest version of each key;
    - ``pinned`` (value ``(4, 18)``): the newest version whose numbers start with
      the pin (``4.18.0`` and ``4.18.1`` match, ``4.180`` does not); keys with
      no matching version are dropped;
    - ``minimum`` (value ``(4, 18)``): the newest version, dropped when it is
      below the minimum.

    Files without a version always pass (the last one listed wins when a key has
    several). When the policy drops every key, :class:`DataNotFoundError` lists
    the versions available.

    Parameters
    ----------
    files : iterable of RemoteFile
        Every candidate, all versions of each logical file.
    policy : VersionPolicy, optional
        Defaults to latest.

    Returns
    -------
    list of RemoteFile
        One file per kept key, sorted by (start, key).

    Examples
    --------
    >>> from helioport.schema import RemoteFile, VersionPolicy
    >>> fs = [RemoteFile(url=f"https://x/a_v{v}.cdf", relpath=f"a_v{v}.cdf", mission="m",
    ...                  key="a", version=v) for v in ("5.9.1", "5.10.0")]
    >>> [f.version for f in select_versions(fs, VersionPolicy())]
    ['5.10.0']
    """
    policy = policy or VersionPolicy()
    groups: dict[str, list[RemoteFile]] = {}
    for f in files:
        groups.setdefault(f.key, []).append(f)
    chosen: list[RemoteFile] = []
    dropped: dict[str, list[str]] = {}
    for key, group in groups.items():
        versioned = [f for f in group if f.version is not None]
        if not versioned:
            chosen.append(group[-1])
            continue
        pick = _pick(versioned, policy)
        if pick is None:
            dropped[key] = sorted({f.version for f in versioned}, key=version_key)
        else:
            chosen.append(pick)
    if dropped:
        if not chosen:
            available = sorted({v for vs in dropped.values() for v in vs}, key=version_key)
            raise DataNotFoundError(
                f"no file matches version {policy}: the archive has versions "
                f"{', '.join(available)} for these files; ask for one of those or use "
                "version='latest'"
            )
        warn_caller(
            f"version {policy}: {len(dropped)} file(s) have no matching version and are left out "
            f"(e.g. {next(iter(dropped))}: {', '.join(next(iter(dropped.values())))})"
        )
    return sorted(chosen, key=_order)


def _pick(versioned: list[RemoteFile], policy: VersionPolicy) -> RemoteFile | None:
    if policy.kind == "pinned":
        pin = tuple(policy.value)
        versioned = [f for f in versioned if version_numbers(f.version)[: len(pin)] == pin]
        if not versioned:
            return None
    best = max(versioned, key=lambda f: version_key(f.version))
    if policy.kind == "minimum" and _trim(version_numbers(best.version)) < _trim(policy.value):
        return None
    return best


def _trim(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """Without trailing zeros, so that ``4.18`` and ``4.18.0`` compare equal."""
    numbers = tuple(numbers)
    while numbers and numbers[-1] == 0:
        numbers = numbers[:-1]
    return numbers


def _order(f: RemoteFile) -> tuple:
    if f.start is None:
        return (0, 0.0, f.key)
    start = f.start if f.start.tzinfo else f.start.replace(tzinfo=_UTC)
    return (1, start.timestamp(), f.key)
