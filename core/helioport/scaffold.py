"""``helioport plugin new NAME``: scaffold a third-party mission plugin distribution.

The scaffold is a complete, working plugin modelled on helioport's own (a
table of products, the hooks, a generated sample archive) that passes its own
tests straight after creation::

    helioport-NAME/
        pyproject.toml          distribution helioport-NAME, entry point in helioport.plugins
        README.md
        helioport_NAME/
            __init__.py
            products.py         the table: mission, products, archive source, file template
            plugin.py           the hooks
            sample.py           a small archive in the real layout (demo and tests)
        tests/
            test_conformance.py helioport.testing.check_plugin
            test_NAME.py        the values, loaded through helioport.load

The templates live in ``helioport/scaffold_templates`` (shipped in the wheel).
"""

from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path

from . import __version__
from .errors import InvalidRequestError

__all__ = ["new_plugin", "plugin_names", "run_new"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_TEMPLATES = "scaffold_templates"


def plugin_names(name: str) -> dict[str, str]:
    """The names a plugin for mission ``name`` uses: mission, package, distribution, variable.

    Raises
    ------
    InvalidRequestError
        When ``name`` is not a lowercase identifier of 2 to 31 characters.

    Examples
    --------
    >>> plugin_names("solar_probe")["distribution"], plugin_names("solar_probe")["package"]
    ('helioport-solar-probe', 'helioport_solar_probe')
    """
    mission = str(name).strip()
    if not _NAME.match(mission) or keyword.iskeyword(mission) or mission.endswith("_"):
        raise InvalidRequestError(
            f"cannot scaffold a plugin named {name!r}: a mission name is a lowercase identifier "
            "of 2 to 31 characters (letters, digits and '_', starting with a letter), "
            "e.g. 'solar_probe'"
        )
    return {
        "mission": mission,
        "package": f"helioport_{mission}",
        "distribution": "helioport-" + mission.replace("_", "-"),
        "env": f"HELIOPORT_{mission.upper()}_URL",
        "title": mission.replace("_", " ").title() + " (scaffolded by helioport plugin new)",
        "core_version": __version__,
    }


def _render(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _target(rel: str, names: dict[str, str]) -> str:
    """Where a template lands: ``package/`` is the package, ``test_values`` the mission's test."""
    rel = rel.removesuffix(".tmpl")
    if rel.startswith("package/"):
        rel = names["package"] + rel[len("package") :]
    return rel.replace("tests/test_values.py", f"tests/test_{names['mission']}.py")


def new_plugin(name: str, dest: str | Path = ".") -> Path:
    """Write a new plugin distribution for mission ``name`` into ``dest/helioport-NAME``.

    Parameters
    ----------
    name
        The mission name (a lowercase identifier, e.g. ``"solar_probe"``).
    dest
        The folder that receives the distribution's folder (created if missing).

    Returns
    -------
    pathlib.Path
        The distribution's folder. ``pip install -e <it>`` then
        ``python -m pytest <it>`` run its tests (conformance suite included).

    Raises
    ------
    InvalidRequestError
        For a bad name, a mission helioport already knows (its plugin is, or
        can be, installed), or a target folder that exists and is not empty.

    Examples
    --------
    >>> import tempfile
    >>> root = new_plugin("solar_probe", tempfile.mkdtemp())
    >>> root.name, (root / "helioport_solar_probe" / "plugin.py").is_file()
    ('helioport-solar-probe', True)
    """
    from .registry import KNOWN_DISTRIBUTIONS, get_registry

    names = plugin_names(name)
    served = {m: s.distribution for m, s in get_registry().missions().items()}
    served = {**KNOWN_DISTRIBUTIONS, **served}
    if names["mission"] in served:
        raise InvalidRequestError(
            f"mission {names['mission']!r} is already served by "
            f"{served[names['mission']] or 'an installed plugin'}; choose another name for a "
            "new plugin"
        )
    root = Path(dest).expanduser() / names["distribution"]
    if root.exists() and any(root.iterdir()):
        raise InvalidRequestError(
            f"{root} exists and is not empty; remove it or scaffold into another folder (--dest)"
        )
    templates = resources.files("helioport").joinpath(_TEMPLATES)
    written = 0
    for rel, item in _walk(templates):
        target = root / _target(rel, names)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(item.read_text(encoding="utf-8"), names), encoding="utf-8")
        written += 1
    if not written:  # pragma: no cover - a broken installation
        raise InvalidRequestError(
            f"helioport's plugin templates are missing from {templates}; reinstall helioport"
        )
    return root


def _walk(folder, prefix: str = ""):
    """Every ``*.tmpl`` file below ``folder`` as ``(relative path, traversable)``."""
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.is_dir():
            yield from _walk(item, f"{prefix}{item.name}/")
        elif item.name.endswith(".tmpl"):
            yield f"{prefix}{item.name}", item


def run_new(name: str, dest: str | Path = ".") -> int:
    """``helioport plugin new NAME [--dest DIR]``: scaffold and say what to do next.

    Returns the exit status (0); errors are raised as :class:`InvalidRequestError`.
    """
    root = new_plugin(name, dest)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    print(f"wrote the plugin distribution {root}:")
    for rel in files:
        print(f"  {rel}")
    print(
        "next: pip install -e "
        f"{root} && python -m pytest {root} && helioport demo --mission {plugin_names(name)['mission']}"
    )
    return 0
