"""Packages whose public names are imported on first use.

``helioport``, :mod:`helioport.derive`, :mod:`helioport.imaging` and
:mod:`helioport.transport` name their exports in a table (public name ->
submodule) instead of importing every submodule, so that ``import helioport``
and building the plugin registry (``helioport missions``) stay light;
``from helioport.derive import j_curl`` works as always.

A submodule may share its name with a function it exports (``helioport.align``,
``helioport.derive.curlometer``, ``helioport.imaging.keogram``). Python sets a
package's attribute to a submodule when that submodule is imported, which would
replace the function by the module, depending on what was imported first: such
a package keeps the function. The package attribute, and so ``import
helioport.align as m``, is then always the function; reach the module through
``from helioport.align import interp_to`` or :func:`importlib.import_module`
(which is also what ``monkeypatch.setattr`` needs, given the module object).

Examples
--------
>>> import helioport.derive.curlometer  # the submodule
>>> from helioport.derive import curlometer  # still the function, as the package exports it
>>> callable(curlometer)
True
"""

from __future__ import annotations

import copyreg
import importlib
import sys
import types
from collections.abc import Mapping
from typing import Any

__all__ = ["lazy_package"]


class _LazyPackage(types.ModuleType):
    """A package module importing its public names from their submodules on first use."""

    _exports: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        exports = self.__dict__.get("_exports", {})
        module = exports.get(name)
        if module is not None:
            value = getattr(importlib.import_module(f"{self.__name__}.{module}"), name)
        else:
            try:
                value = importlib.import_module(f"{self.__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{self.__name__}.{name}":
                    raise
                raise AttributeError(
                    f"module {self.__name__!r} has no attribute {name!r}"
                ) from None
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_exports", {})
        if isinstance(value, types.ModuleType) and exports.get(name) == name:
            # the import system binding the submodule of the same name as an exported
            # function: keep the function (bound now, or at its first use)
            value = getattr(value, name, value)
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_exports", {})))


def _reduce(package: _LazyPackage) -> tuple[Any, tuple[str]]:
    """Pickle the package by reference, as pickle and cloudpickle do a plain module.

    cloudpickle (dask, distributed) pickles a plain module by name but does not
    recognise a subclass of ``ModuleType`` (cloudpipe/cloudpickle#397): without
    this, a function sent to a dask worker that uses ``helioport`` fails.
    """
    return importlib.import_module, (package.__name__,)


copyreg.pickle(_LazyPackage, _reduce)


def lazy_package(name: str, exports: Mapping[str, str]) -> None:
    """Make the package ``name`` import each of ``exports`` (public name -> submodule) on first use.

    Call it at the end of the package's ``__init__``; other attributes (any
    submodule, ``helioport.imaging.fixtures``) are imported on first access too.
    """
    package = sys.modules[name]
    package.__class__ = _LazyPackage
    package.__dict__["_exports"] = dict(exports)
