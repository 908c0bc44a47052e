"""What a product's spec declares, checked against a request before any plugin code runs.

:meth:`~helioport.schema.Request.for_mission` checks the request against the
mission (products, probes, frames, modes, option names and choices). Each
stored product a request needs (asked for, or an input of a derivation) is
then checked against its own :class:`~helioport.schema.ProductSpec` by
:func:`check_product`: its ``modes``, ``coords`` (or the option named by
``frame_option``), ``probes`` and ``options``. Plugins rely on it and do not
check again; :func:`product_frame` gives them the frame to read.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidRequestError
from .framenames import can_transform
from .schema import MissionSpec, ProductSpec, Request

__all__ = ["check_product", "option_value", "product_frame", "source_frame"]


def option_value(spec: MissionSpec, request: Request, name: str) -> Any:
    """The request's value of option ``name``, or the default the mission declares for it.

    Examples
    --------
    >>> option_value(omni_spec, request, "hourly_source")  # doctest: +SKIP
    'ascii'
    """
    if name in request.options:
        return request.options[name]
    declared = (spec.options or {}).get(name)
    return declared.default if declared is not None else None


def product_frame(product: ProductSpec, request: Request) -> str | None:
    """The frame ``product`` is read in: the request's ``coords`` (or its ``frame_option``).

    ``None`` for frame-less products. Call :func:`check_product` first (the
    core does) so the frame is one the product has.
    """
    if not product.coords:
        return None
    if product.frame_option and request.options.get(product.frame_option) is not None:
        return str(request.options[product.frame_option]).lower()
    return request.coords or product.coords[0]


def source_frame(product: ProductSpec, request: Request) -> str | None:
    """The frame to read a vector in when the archive lacks the one asked for, else ``None``.

    ``coords="gsm"`` for a vector the archive has only in GSE: read GSE, and the
    core transforms it (:mod:`helioport.frames`). GSE is preferred as the source
    when the archive has it.

    Examples
    --------
    >>> spec = ProductSpec(name="v", kind="vector", components=["x", "y", "z"], coords=["gse"])
    >>> source_frame(spec, Request(mission="m", start="2020-01-01", end="2020-01-02", coords="gsm"))
    'gse'
    """
    wanted = product_frame(product, request)
    if (
        product.kind != "vector"
        or not product.coords
        or wanted in product.coords
        or product.frame_option
        or not {"x", "y", "z"} <= set(product.components or [])
    ):
        return None
    options = sorted(product.coords, key=lambda f: f != "gse")
    return next((f for f in options if can_transform(f, wanted)), None)


def check_product(
    spec: MissionSpec, product: ProductSpec, request: Request, *, wanted_for: str | None = None
) -> None:
    """Raise :class:`InvalidRequestError` when ``request`` asks ``product`` for what it lacks.

    Parameters
    ----------
    spec
        The mission.
    product
        A stored product the request needs.
    request
        The validated request.
    wanted_for
        The derived product that needs it, named in the message.
    """
    what = f"{spec.name} product {product.name!r}" + (
        f" (needed for {wanted_for!r})" if wanted_for else ""
    )
    if product.modes is not None and request.mode not in product.modes:
        raise InvalidRequestError(
            f"{what} is not in mode {request.mode!r}; it exists in: {', '.join(product.modes)}"
        )
    if product.coords:
        frame = product_frame(product, request)
        if frame not in product.coords and source_frame(product, request) is None:
            how = (
                f"{product.frame_option}={frame!r}"
                if product.frame_option and product.frame_option in request.options
                else f"coords={frame!r}"
            )
            raise InvalidRequestError(
                f"{what} has no {how} in the archive; valid: {', '.join(product.coords)}"
                + (
                    " (vectors are transformed between gse, gsm, sm, geo, mag, gei)"
                    if product.kind == "vector"
                    else ""
                )
            )
    if product.probes is not None:
        bad = [p for p in request.probes if p not in product.probes]
        if bad:
            raise InvalidRequestError(
                f"{what} has no data for probe {', '.join(bad)}; it exists for: "
                f"{', '.join(product.probes)}"
            )
    for name, allowed in product.options.items():
        value = option_value(spec, request, name)
        if value not in allowed and not (
            isinstance(value, str) and value.lower() in [str(a).lower() for a in allowed]
        ):
            raise InvalidRequestError(
                f"{what} exists only with {name} in {allowed} (the request has {name}={value!r})"
            )
