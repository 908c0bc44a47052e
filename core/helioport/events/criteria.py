"""Event-search criteria: safe expression strings and AIDApy-style callables.

A criterion names its inputs as products with an optional component suffix,
as AIDApy does: ``dc_mag_tot`` (magnitude: the one the archive gives, a variable
of its own in a loaded Dataset, else that of x, y, z), ``dc_mag_z``,
``i_bulkv_x``, ``i_dens``. It comes either as a callable whose parameter names are those
inputs, or as an expression string such as
``"dc_mag_tot < 5 and abs(e_bulkv_x) > 4000"``.

Expression strings are parsed with :mod:`ast` and turned into a tree of numpy
operations; they are never given to ``eval``, ``exec`` or ``compile``. Allowed:
names, numbers, ``True``/``False``, comparisons (chained too), ``and``/``or``/
``not``, ``&``/``|``/``~``, ``+ - * / **``, unary ``-``/``+``, parentheses, the
constants ``pi`` and ``inf``, and calls to

- element-wise functions: ``abs``, ``sqrt``, ``log10``, ``log``, ``exp``, and
  ``min``/``max`` with two or more arguments (element-wise);
- window reductions: ``any``, ``all``, ``mean``, ``median``, ``std``, ``sum``,
  and ``min``/``max`` with one argument.

As in Python and numpy, ``&`` and ``|`` bind tighter than comparisons; an
operand of ``&``/``|`` that is not a condition (``a < 5 & b > 3``) is refused
rather than silently read as ``a < (5 & b) > 3``: write ``(a < 5) & (b > 3)``
or ``a < 5 and b > 3``. A criterion names at least one product.

Without reductions a criterion is *sample-level*: it is evaluated at every
sample, and a window counts according to the search ``mode`` (any/all/fraction
of its samples). With reductions it is *window-level*: reductions run over
each window (NaN ignored by ``mean``/``median``/``std``/``sum``/``min``/``max``),
as AIDApy's ``np.any(dc_mag_tot < 5) & np.any(j_curl_tot > 70)`` does, so the
conditions may hold at different samples of the window.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

import numpy as np

from ..errors import CriteriaError

__all__ = [
    "COMPONENTS",
    "CriteriaLike",
    "Criterion",
    "parse_criteria",
    "required_variables",
    "split_variable",
]

#: Component suffixes understood in variable names (``tot`` is the magnitude).
COMPONENTS = ("x", "y", "z", "tot")

Level = Literal["sample", "window", "auto"]
CriteriaLike = Union[str, Callable[..., Any], "Criterion"]

_ELEMENTWISE: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "log10": np.log10,
    "log": np.log,
    "exp": np.exp,
}
_REDUCTIONS = ("any", "all", "mean", "median", "std", "sum", "min", "max")
_CONSTANTS = {"pi": float(np.pi), "inf": float(np.inf)}
_ALLOWED_FUNCS = sorted(set(_ELEMENTWISE) | set(_REDUCTIONS))
_COMPARE = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
    ast.BitAnd: np.logical_and,
    ast.BitOr: np.logical_or,
}
_CONDITION_CALLS = ("any", "all")
_HELP = (
    "allowed: names of products (dc_mag_tot, i_bulkv_x), numbers, comparisons, and/or/not, "
    f"& | ~, + - * / **, parentheses and the functions {', '.join(_ALLOWED_FUNCS)}"
)


def split_variable(name: str) -> tuple[str, str | None]:
    """Split a criterion variable name into product and component.

    Examples
    --------
    >>> split_variable("dc_mag_tot")
    ('dc_mag', 'tot')
    >>> split_variable("i_dens")
    ('i_dens', None)
    """
    head, sep, tail = name.rpartition("_")
    if sep and head and tail in COMPONENTS:
        return head, tail
    return name, None


@dataclass(frozen=True, eq=False)
class _Env:
    """What an expression sees: the arrays by name, and the window mask."""

    arrays: Mapping[str, np.ndarray]
    inside: np.ndarray | None = None  # (n_windows, window) True where a real sample


Node = Callable[[_Env], Any]


@dataclass(frozen=True, eq=False)
class Criterion:
    """A parsed criterion, ready to be evaluated on numpy arrays.

    Attributes
    ----------
    text : the expression, or a description of the callable.
    names : the input variable names, in order (``("dc_mag_tot", "e_bulkv_x")``).
    level : ``"sample"`` (one boolean per sample), ``"window"`` (one per window)
        or ``"auto"`` (a callable, decided on first use from what it returns).
    source : the expression string or the callable (used for pickling).

    Examples
    --------
    >>> import numpy as np
    >>> c = parse_criteria("dc_mag_tot < 5 and abs(e_bulkv_x) > 4000")
    >>> c.names
    ('dc_mag_tot', 'e_bulkv_x')
    >>> c(dc_mag_tot=np.array([3.0, 3.0]), e_bulkv_x=np.array([-5000.0, 100.0]))
    array([ True, False])
    """

    text: str
    names: tuple[str, ...]
    level: Level
    source: Any
    _root: Node | None = field(default=None, repr=False)

    def required_variables(self) -> list[tuple[str, str | None]]:
        """``[(product, component or None), ...]`` in the order of :attr:`names`."""
        return [split_variable(n) for n in self.names]

    def __call__(self, **arrays: np.ndarray) -> np.ndarray:
        """Evaluate a sample-level criterion (or a callable) on 1-D arrays."""
        return self.evaluate(arrays)

    def evaluate(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Evaluate on 1-D arrays, one boolean per sample.

        For callables the raw result is returned (the search decides what a
        scalar result means).
        """
        missing = [n for n in self.names if n not in arrays]
        if missing:
            raise CriteriaError(f"criteria {self.text!r}: no data given for {', '.join(missing)}")
        if (
            self._root is None
        ):  # a user's callable may write into its inputs: never into shared data
            args = (
                a if getattr(a, "flags", None) is None or a.flags.writeable else a.copy()
                for a in (arrays[n] for n in self.names)
            )
            return np.asarray(self.source(*args))
        if self.level == "window":
            raise CriteriaError(
                f"criteria {self.text!r} uses window reductions; evaluate it with evaluate_windows"
            )
        n = len(next(iter(arrays.values()))) if arrays else 1
        with np.errstate(all="ignore"):
            out = self._root(_Env(arrays))
        return _as_bool(out, (n,))

    def evaluate_windows(self, arrays: Mapping[str, np.ndarray], inside: np.ndarray) -> np.ndarray:
        """Evaluate a window-level criterion on ``(n_windows, window)`` arrays.

        ``inside`` marks real samples (False for the padding of partial
        windows). Returns ``(n_windows,)`` booleans, or ``(n_windows, window)``
        when some variable is used outside a reduction (the search mode then
        decides).
        """
        if self._root is None:  # a vectorised window callable
            out = np.asarray(self.source(*(arrays[n] for n in self.names)))
            return _as_bool(out, inside.shape[:1])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            out = self._root(_Env(arrays, inside))
        out = np.asarray(out)
        if out.ndim == 2 and out.shape[1] == 1:
            return _as_bool(out[:, 0], inside.shape[:1])
        return _as_bool(out, inside.shape)

    def __reduce__(self):  # closures do not pickle; rebuild from the source
        if self._root is not None:
            return (parse_criteria, (self.source,))
        return (Criterion, (self.text, self.names, self.level, self.source))


def _as_bool(out: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.asarray(out)
    if out.dtype != bool:
        out = np.nan_to_num(out.astype(float), nan=0.0) != 0
    return np.broadcast_to(out, shape) if out.shape != shape else out


#: the longest expression string accepted (parsing time grows with its square)
MAX_CRITERIA_LENGTH = 2000


def parse_criteria(
    criteria: CriteriaLike, *, level: Level | None = None, text: str | None = None
) -> Criterion:
    """Parse an expression string or wrap a callable into a :class:`Criterion`.

    Parameters
    ----------
    criteria
        An expression string, a callable whose parameter names are the input
        variables (AIDApy style), or a :class:`Criterion` (returned as is).
    level
        For callables: ``"sample"`` (returns one boolean per sample),
        ``"window"`` (vectorised over windows: receives ``(n_windows, window)``
        arrays padded with NaN and returns ``(n_windows,)`` booleans) or
        ``None``/``"auto"`` (decided from the result: a per-sample array, or a
        scalar meaning one answer per window, then called window by window).
        Ignored for strings, whose level follows from their reductions.
    text
        A description to store instead of the expression or callable name.

    Raises
    ------
    CriteriaError
        On a syntax error or any construct outside the whitelist; the message
        names the token and its column.

    Examples
    --------
    >>> parse_criteria("any(dc_mag_tot < 5) & any(abs(e_bulkv_x) > 4000)").level
    'window'
    >>> parse_criteria("x.__class__")
    Traceback (most recent call last):
    ...
    helioport.errors.CriteriaError: criteria 'x.__class__': attribute access '.__class__' at column 2 is not allowed; ...
    """
    if isinstance(criteria, Criterion):
        return criteria
    if isinstance(criteria, str):
        if len(criteria) > MAX_CRITERIA_LENGTH:
            raise CriteriaError(
                f"criteria of {len(criteria)} characters: at most {MAX_CRITERIA_LENGTH} are "
                "accepted; write a long criterion as a Python callable instead"
            )
        return _parse_expression(criteria, text)
    if callable(criteria):
        return _wrap_callable(criteria, level, text)
    raise CriteriaError(
        f"criteria must be an expression string or a callable, not {type(criteria).__name__}: "
        "e.g. 'dc_mag_tot < 5 and abs(e_bulkv_x) > 4000'"
    )


def required_variables(criteria: CriteriaLike) -> list[tuple[str, str | None]]:
    """The ``(product, component)`` pairs a criterion needs.

    Examples
    --------
    >>> required_variables("dc_mag_tot < 5 and abs(e_bulkv_x) > 4000")
    [('dc_mag', 'tot'), ('e_bulkv', 'x')]
    >>> required_variables(lambda i_dens, dc_mag_z: i_dens > dc_mag_z)
    [('i_dens', None), ('dc_mag', 'z')]
    """
    return parse_criteria(criteria).required_variables()


# --------------------------------------------------------------------------- callables


def _wrap_callable(func: Callable[..., Any], level: Level | None, text: str | None) -> Criterion:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError) as exc:
        raise CriteriaError(f"cannot read the parameter names of {func!r}: {exc}") from exc
    names = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise CriteriaError(
                f"criteria callable {func!r} takes *{p.name}: name each input as a parameter, "
                "e.g. lambda dc_mag_tot, e_bulkv_x: ..."
            )
        names.append(p.name)
    if not names:
        raise CriteriaError(
            f"criteria callable {func!r} takes no input: name products as parameters"
        )
    label = text or f"{getattr(func, '__name__', 'callable')}({', '.join(names)})"
    lvl: Level = "auto" if level in (None, "auto") else level  # type: ignore[assignment]
    if lvl not in ("sample", "window", "auto"):
        raise CriteriaError(f"level must be 'sample', 'window' or 'auto', not {level!r}")
    return Criterion(label, tuple(names), lvl, func)


# --------------------------------------------------------------------------- expressions


def _parse_expression(source: str, text: str | None) -> Criterion:
    stripped = source.strip()
    if not stripped:
        raise CriteriaError("criteria is an empty string: write e.g. 'dc_mag_tot < 5'")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" for '0and'
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(stripped, exc) from None
    except (RecursionError, MemoryError):
        raise CriteriaError(
            f"criteria of {len(stripped)} characters is too deeply nested to parse"
        ) from None
    compiler = _Compiler(stripped)
    try:
        root = compiler.visit_root(tree.body)
    except RecursionError:
        raise CriteriaError(
            f"criteria of {len(stripped)} characters is too deeply nested to parse"
        ) from None
    if not compiler.names:
        raise CriteriaError(
            f"criteria {stripped!r} names no product: compare a product, e.g. 'dc_mag_tot < 5'"
        )
    level: Level = "window" if compiler.reductions else "sample"
    return Criterion(text or stripped, tuple(compiler.names), level, stripped, root)


def _syntax_error(source: str, exc: SyntaxError) -> CriteriaError:
    try:  # a statement (import, assignment...) or several parse in exec mode
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            body = ast.parse(source, mode="exec").body
    except (SyntaxError, RecursionError, MemoryError):
        return CriteriaError(
            f"criteria {source!r}: invalid syntax {_near(source, exc)}: {exc.msg}; " + _HELP
        )
    if not body:
        return CriteriaError(
            f"criteria {source!r} holds no expression (only a comment?); write e.g. "
            "'dc_mag_tot < 5'"
        )
    # the first statement that is not a plain expression is the offender; else the second expression
    stmt = next(
        (b for b in body if not isinstance(b, ast.Expr)), body[1] if len(body) > 1 else body[0]
    )
    kind = type(stmt).__name__.lower()
    segment = ast.get_source_segment(source, stmt) or ""
    token = segment if len(segment) <= 40 else segment.split()[0]
    where = (
        f"line {stmt.lineno}, column {stmt.col_offset + 1}"
        if stmt.lineno > 1
        else f"column {stmt.col_offset + 1}"
    )
    what = "a second expression" if isinstance(stmt, ast.Expr) else f"{kind} statement"
    return CriteriaError(
        f"criteria {source!r}: {what} {token!r} at {where} is not allowed; a criterion is a "
        f"single expression; {_HELP}"
    )


def _near(source: str, exc: SyntaxError) -> str:
    """Where a syntax error is, naming the token there (or the end of the expression)."""
    lines = source.splitlines() or [source]
    line = min(max(exc.lineno or 1, 1), len(lines))
    text = lines[line - 1]
    col = exc.offset or 0
    prefix = f"line {line}, " if line > 1 else ""
    if not 0 < col <= len(text):
        last = text.split()[-1] if text.split() else text
        return f"at the end ({prefix}column {len(text) + 1}, after {last!r})"
    end = exc.end_offset if exc.end_offset and exc.end_offset > col else col + 1
    token = text[col - 1 : end - 1].strip() or text[col - 1 : col]
    return f"at {prefix}column {col} (near {token!r})"


class _Compiler:
    """Walks the tree once, checking every node and building numpy closures."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.names: list[str] = []
        self.reductions = 0
        self._depth = 0  # > 0 inside a reduction

    # -- errors ---------------------------------------------------------------------------
    def _where(self, node: ast.AST, col: int | None = None) -> str:
        line = getattr(node, "lineno", 1)
        column = (getattr(node, "col_offset", 0) if col is None else col) + 1
        return f"line {line}, column {column}" if line > 1 else f"column {column}"

    def _refuse(
        self, what: str, token: str, node: ast.AST, col: int | None = None, hint: str = ""
    ) -> None:
        hint = f"; {hint}" if hint else ""
        raise CriteriaError(
            f"criteria {self.source!r}: {what} {token!r} at {self._where(node, col)} "
            f"is not allowed{hint}; {_HELP}"
        )

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    # -- entry ----------------------------------------------------------------------------
    def visit_root(self, node: ast.expr) -> Node:
        root = self.visit(node)  # refuses anything outside the whitelist first
        if not _is_condition(node):
            raise CriteriaError(
                f"criteria {self.source!r}: the expression {self._segment(node)!r} is not a "
                "condition; compare it, e.g. 'dc_mag_tot < 5' or 'abs(e_bulkv_x) > 4000'"
            )
        return root

    def visit(self, node: ast.AST) -> Node:
        method = getattr(self, f"_v_{type(node).__name__}", None)
        if method is None:
            self._refuse(_describe(node), self._token(node), node, self._column(node))
        return method(node)

    def _token(self, node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f".{node.attr}"
        if isinstance(node, ast.Subscript):
            return f"[{self._segment(node.slice)}]"
        if isinstance(node, ast.Lambda):
            return "lambda"
        return self._segment(node)

    def _column(self, node: ast.AST) -> int | None:
        if isinstance(node, ast.Attribute) and node.end_col_offset is not None:
            return node.end_col_offset - len(node.attr) - 1
        if isinstance(node, ast.Subscript):
            return max(node.slice.col_offset - 1, 0)
        return None

    # -- leaves ---------------------------------------------------------------------------
    def _v_Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if isinstance(value, bool):
            b = value
            return lambda env: b
        if isinstance(value, (int, float)):
            v = float(value)  # no integer overflow nor 'integers to negative powers' in numpy
            return lambda env: v
        kind = (
            "string"
            if isinstance(value, (str, bytes))
            else f"constant of type {type(value).__name__}"
        )
        self._refuse(kind, self._segment(node), node)
        raise AssertionError  # pragma: no cover

    def _v_Name(self, node: ast.Name) -> Node:
        name = node.id
        if name.startswith("_") or "__" in name:
            self._refuse("name", name, node, hint="names starting with '_' are reserved")
        if name in _CONSTANTS:
            v = _CONSTANTS[name]
            return lambda env: v
        if name in _ALLOWED_FUNCS:
            self._refuse("function name", name, node, hint=f"call it, e.g. {name}(dc_mag_tot)")
        if name not in self.names:
            self.names.append(name)
        return lambda env: env.arrays[name]

    # -- operators ------------------------------------------------------------------------
    def _v_BoolOp(self, node: ast.BoolOp) -> Node:
        parts = [self.visit(v) for v in node.values]
        op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def run(env: _Env) -> Any:
            out = parts[0](env)
            for p in parts[1:]:
                out = op(out, p(env))
            return out

        return run

    def _v_UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.visit(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return lambda env: np.logical_not(operand(env))
        if isinstance(node.op, ast.USub):
            return lambda env: np.negative(operand(env))
        return lambda env: np.positive(operand(env))

    def _v_BinOp(self, node: ast.BinOp) -> Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            sym = _op_symbol(node)
            col = self.source.find(sym, node.left.end_col_offset or 0) if node.lineno == 1 else -1
            self._refuse(
                "operator", sym, node, col if col >= 0 else None, hint="use + - * / ** & |"
            )
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            bad = next((side for side in (node.left, node.right) if not _is_condition(side)), None)
            if bad is not None:
                sym = "&" if isinstance(node.op, ast.BitAnd) else "|"
                word = "and" if sym == "&" else "or"
                col = (
                    self.source.find(sym, node.left.end_col_offset or 0) if node.lineno == 1 else -1
                )
                self._refuse(
                    "operator",
                    sym,
                    node,
                    col if col >= 0 else None,
                    hint=f"{self._segment(bad)!r} is not a condition: '{sym}' binds tighter than "
                    f"comparisons, so 'a < 5 {sym} b > 3' means 'a < (5 {sym} b) > 3'; write "
                    f"'(a < 5) {sym} (b > 3)' or 'a < 5 {word} b > 3'",
                )
        return lambda env: op(left(env), right(env))

    def _v_Compare(self, node: ast.Compare) -> Node:
        ops = []
        for op in node.ops:
            fn = _COMPARE.get(type(op))
            if fn is None:
                self._refuse("comparison", type(op).__name__, node, hint="use < <= > >= == !=")
            ops.append(fn)
        operands = [self.visit(node.left)] + [self.visit(c) for c in node.comparators]

        def run(env: _Env) -> Any:
            values = [o(env) for o in operands]
            out = ops[0](values[0], values[1])
            for i, fn in enumerate(ops[1:], start=1):
                out = np.logical_and(out, fn(values[i], values[i + 1]))
            return out

        return run

    def _v_Call(self, node: ast.Call) -> Node:
        func = node.func
        if not isinstance(func, ast.Name):
            self.visit(func)  # refuses attributes, subscripts... with their own message
            self._refuse("call of", self._segment(func), node)
        name = func.id
        if name.startswith("_"):
            self._refuse("name", name, func, hint="names starting with '_' are reserved")
        if name not in _ALLOWED_FUNCS:
            self._refuse("call to function", name, func, hint=f"only {', '.join(_ALLOWED_FUNCS)}")
        if node.keywords:
            kw = node.keywords[0]
            self._refuse("keyword argument", self._segment(kw), kw)
        for a in node.args:
            if isinstance(a, ast.Starred):
                self._refuse("starred argument", self._segment(a), a)
        if not node.args:
            self._refuse("call without argument", self._segment(node), node)
        if name in _ELEMENTWISE:
            if len(node.args) != 1:
                self._refuse("call with several arguments", self._segment(node), node)
            fn = _ELEMENTWISE[name]
            arg = self.visit(node.args[0])
            return lambda env: fn(arg(env))
        if name in ("min", "max") and len(node.args) > 1:
            args = [self.visit(a) for a in node.args]
            fn2 = np.minimum if name == "min" else np.maximum

            def run(env: _Env) -> Any:
                out = args[0](env)
                for a in args[1:]:
                    out = fn2(out, a(env))
                return out

            return run
        if len(node.args) != 1:
            self._refuse("call with several arguments", self._segment(node), node)
        self.reductions += 1
        arg = self.visit(node.args[0])
        return _reduction(name, arg)


def _reduction(name: str, arg: Node) -> Node:
    """A reduction over the window axis (last), keeping dims for broadcasting."""
    nan_fn = {
        "mean": np.nanmean,
        "median": np.nanmedian,
        "std": np.nanstd,
        "sum": np.nansum,
        "min": np.nanmin,
        "max": np.nanmax,
    }.get(name)

    def run(env: _Env) -> Any:
        inside = env.inside
        if inside is None:  # pragma: no cover - guarded by the level
            raise CriteriaError(f"{name}() is a window reduction; use it in a window-level search")
        value = arg(env)
        if name == "any":
            return np.any(np.logical_and(_truthy(value), inside), axis=-1, keepdims=True)
        if name == "all":
            return np.all(np.logical_or(_truthy(value), ~inside), axis=-1, keepdims=True)
        value = np.where(inside, np.asarray(value, dtype=float), np.nan)
        return nan_fn(value, axis=-1, keepdims=True)

    return run


def _truthy(value: Any) -> np.ndarray:
    value = np.asarray(value)
    return value if value.dtype == bool else np.nan_to_num(value.astype(float)) != 0


def _is_condition(node: ast.expr) -> bool:
    if isinstance(node, (ast.Compare,)):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_is_condition(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        return _is_condition(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        return _is_condition(node.left) and _is_condition(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in _CONDITION_CALLS
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    return False


def _describe(node: ast.AST) -> str:
    kinds = {
        "Attribute": "attribute access",
        "Subscript": "subscript",
        "Lambda": "lambda",
        "ListComp": "comprehension",
        "SetComp": "comprehension",
        "DictComp": "comprehension",
        "GeneratorExp": "generator expression",
        "IfExp": "conditional expression",
        "NamedExpr": "assignment expression",
        "JoinedStr": "f-string",
        "List": "list",
        "Tuple": "tuple",
        "Dict": "dict",
        "Set": "set",
        "Starred": "starred expression",
        "Await": "await",
        "Yield": "yield",
        "YieldFrom": "yield",
        "Slice": "slice",
    }
    return kinds.get(type(node).__name__, f"{type(node).__name__} expression")


def _op_symbol(node: ast.BinOp) -> str:
    symbols = {
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.MatMult: "@",
    }
    return symbols.get(type(node.op), type(node.op).__name__)
