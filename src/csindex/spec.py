"""Model specification shared by every csindex engine (PLS path modeling and CB-SEM).

A :class:`ModelSpec` is a frozen, declarative description of a latent path model:

* measurement blocks (:class:`Construct`): a construct name, its items and its
  :class:`Mode` -- reflective (``=~``, PLS Mode A) or formative/composite (``<~``,
  PLS Mode B);
* structural paths as a ``(source, target)`` edge list;
* optional free covariances (``~~``) and per-term modifiers (``1*x``, ``NA*x``) that
  are passed through to semopy.

It is parsed from lavaan-style syntax (:meth:`ModelSpec.from_lavaan`), built from
Python objects (:meth:`ModelSpec.from_blocks`) and rendered back
(:meth:`ModelSpec.to_lavaan`, :meth:`ModelSpec.to_semopy`). Structural checks
(empty block, item in two blocks, unknown construct, duplicated path, cycle) run
when the spec is built; checks against data run in :meth:`ModelSpec.check_data`,
which the engines call at estimation time.

Examples
--------
>>> from csindex.spec import ModelSpec
>>> spec = ModelSpec.from_lavaan('''
... # ECSI, shortened
... IMAG =~ imag1 + imag2 + imag3
... SAT  =~ sat1 + sat2
... LOY  =~ loy1 + loy2
... SAT ~ IMAG
... LOY ~ IMAG + SAT
... ''')
>>> spec.constructs
('IMAG', 'SAT', 'LOY')
>>> spec.paths
(('IMAG', 'SAT'), ('IMAG', 'LOY'), ('SAT', 'LOY'))
>>> spec.endogenous, spec.exogenous
(('SAT', 'LOY'), ('IMAG',))
>>> ModelSpec.from_lavaan(spec.to_lavaan()) == spec
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from ._validation import did_you_mean, quote_list
from .exceptions import SpecError, SurveyDataError

__all__ = ["Mode", "Construct", "ModelSpec", "items", "paths"]


class Mode(str, Enum):
    """How a construct relates to its items.

    ``REFLECTIVE`` (lavaan ``=~``, PLS Mode A: weights from correlations) or
    ``FORMATIVE`` (lavaan ``<~``, PLS Mode B: weights from a multiple regression).
    """

    REFLECTIVE = "reflective"
    FORMATIVE = "formative"

    @property
    def operator(self) -> str:
        """The lavaan operator of this mode (``=~`` or ``<~``)."""
        return "=~" if self is Mode.REFLECTIVE else "<~"

    @property
    def pls_mode(self) -> str:
        """The PLS outer mode letter (``"A"`` or ``"B"``)."""
        return "A" if self is Mode.REFLECTIVE else "B"


@dataclass(frozen=True)
class Construct:
    """A measurement block: a construct, its items and its mode.

    Examples
    --------
    >>> Construct("SAT", ("sat1", "sat2"))
    Construct(name='SAT', items=('sat1', 'sat2'), mode=<Mode.REFLECTIVE: 'reflective'>)
    """

    name: str
    items: tuple[str, ...]
    mode: Mode = Mode.REFLECTIVE

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(str(i) for i in self.items))
        object.__setattr__(self, "mode", Mode(self.mode))
        if not self.name or not isinstance(self.name, str):
            raise SpecError(f"A construct needs a non-empty string name, got {self.name!r}.")
        if not self.items:
            raise SpecError(
                f"Construct {self.name!r} has no items (an empty block). "
                "Give it at least one item or drop it from the model."
            )
        dup = sorted({i for i in self.items if self.items.count(i) > 1})
        if dup:
            raise SpecError(f"Construct {self.name!r} lists item(s) {quote_list(dup)} more than once.")


def items(prefix: str, first: int, last: int) -> tuple[str, ...]:
    """Numbered item names ``prefix{first}`` … ``prefix{last}``.

    Examples
    --------
    >>> items("IMAG", 1, 3)
    ('IMAG1', 'IMAG2', 'IMAG3')
    """
    return tuple(f"{prefix}{k}" for k in range(first, last + 1))


def paths(source: str | Sequence[str], to: str | Sequence[str]) -> tuple[tuple[str, str], ...]:
    """All paths from each of ``source`` to each of ``to``.

    Examples
    --------
    >>> paths("IMAG", to=("EXPE", "SAT"))
    (('IMAG', 'EXPE'), ('IMAG', 'SAT'))
    """
    srcs = (source,) if isinstance(source, str) else tuple(source)
    tgts = (to,) if isinstance(to, str) else tuple(to)
    return tuple((s, t) for s in srcs for t in tgts)


# --------------------------------------------------------------------------- parsing

_OPS = ("=~", "<~", "~~", "~")
_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_TERM_RE = re.compile(rf"^\s*(?:(?P<mod>[^*\s]+)\s*\*\s*)?(?P<name>{_NAME})\s*$")
_LHS_RE = re.compile(rf"^\s*{_NAME}\s*$")


def _split_statements(text: str) -> list[tuple[int, str]]:
    """Strip comments, split on ``;`` and newlines, join continued lines.

    A statement continues on the next line when it ends with ``+`` or an operator,
    or when the next line starts with ``+`` (lavaan allows both).
    """
    raw: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = re.split(r"[#!]", line, maxsplit=1)[0]
        for part in line.split(";"):
            if part.strip():
                raw.append((lineno, part.strip()))
    statements: list[tuple[int, str]] = []
    for lineno, part in raw:
        # a part that has an operator of its own starts a new statement, so "A =~" followed
        # by "B =~ b" reports the empty block instead of swallowing the next line
        continues = statements and (
            part.startswith("+")
            or (statements[-1][1].endswith(("+", "=~", "<~", "~")) and not any(o in part for o in _OPS))
        )
        if continues:
            statements[-1] = (statements[-1][0], statements[-1][1] + " " + part)
        else:
            statements.append((lineno, part))
    return statements


def _syntax_error(lineno: int, statement: str, why: str, pos: int | None = None) -> SpecError:
    caret = ""
    if pos is not None:
        caret = "\n    " + " " * max(pos, 0) + "^"
    return SpecError(f"Cannot parse the model syntax at line {lineno}: {why}\n    {statement}{caret}")


@dataclass(frozen=True)
class ModelSpec:
    """A latent path model: measurement blocks, structural paths, covariances.

    Parameters
    ----------
    blocks : tuple of Construct
        The measurement model, one :class:`Construct` per latent variable.
    structural : tuple of (str, str)
        Structural paths as ``(source, target)`` pairs.
    covariances : tuple of (str, str)
        Free covariances (lavaan ``~~``) between constructs or items, passed to
        CB-SEM engines; PLS ignores them.
    modifiers : tuple of ((str, str, str), str)
        Fixed values or labels of single terms (``(lhs, op, rhs) -> "1"``), from
        lavaan's ``1*x`` notation; passed to CB-SEM engines.

    Raises
    ------
    SpecError
        For an item in two blocks, a path naming an undeclared construct, a
        duplicated path, a self-loop or a cyclic (non-recursive) structural model.

    See Also
    --------
    ModelSpec.from_lavaan, ModelSpec.from_blocks

    Examples
    --------
    >>> from csindex.spec import Construct, ModelSpec
    >>> spec = ModelSpec((Construct("Q", ("q1", "q2")), Construct("S", ("s1",))), (("Q", "S"),))
    >>> print(spec.to_lavaan())
    Q =~ q1 + q2
    S =~ s1
    S ~ Q
    """

    blocks: tuple[Construct, ...]
    structural: tuple[tuple[str, str], ...] = ()
    covariances: tuple[tuple[str, str], ...] = ()
    modifiers: tuple[tuple[tuple[str, str, str], str], ...] = field(default=())

    # ----------------------------------------------------------------- construction
    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        structural = tuple((str(s), str(t)) for s, t in self.structural)
        # canonical order: grouped by target in declaration order, sources as given; so that
        # equality does not depend on how paths were listed and to_lavaan() round-trips
        rank = {b.name: k for k, b in enumerate(self.blocks)}
        structural = tuple(sorted(structural, key=lambda p: rank.get(p[1], len(rank))))
        object.__setattr__(self, "structural", structural)
        object.__setattr__(self, "covariances", tuple((str(a), str(b)) for a, b in self.covariances))
        object.__setattr__(self, "modifiers", tuple(self.modifiers))
        if not self.blocks:
            raise SpecError("The model has no measurement blocks. Declare constructs with '=~' or '<~'.")
        names = [b.name for b in self.blocks]
        dup_names = sorted({n for n in names if names.count(n) > 1})
        if dup_names:
            raise SpecError(f"Construct(s) {quote_list(dup_names)} are declared more than once.")
        owner: dict[str, str] = {}
        for block in self.blocks:
            for item in block.items:
                if item in owner:
                    raise SpecError(
                        f"Item {item!r} is in two blocks, {owner[item]!r} and {block.name!r}. "
                        "Each item may measure one construct only."
                    )
                if item in names:
                    raise SpecError(
                        f"Item {item!r} of construct {block.name!r} has the name of a construct. "
                        "Rename the construct or the item."
                    )
                owner[item] = block.name
        seen: set[tuple[str, str]] = set()
        for source, target in self.structural:
            for end in (source, target):
                if end not in names:
                    where = " It is an item, not a construct." if end in owner else ""
                    raise SpecError(
                        f"Path {source!r} -> {target!r} names {end!r}, a construct that is never "
                        f"measured.{where} Declared: {quote_list(sorted(names))}."
                        f"{did_you_mean(end, names)}"
                    )
            if source == target:
                raise SpecError(f"Path {source!r} -> {target!r} is a self-loop.")
            if (source, target) in seen:
                raise SpecError(f"Path {source!r} -> {target!r} is declared more than once.")
            seen.add((source, target))
        known = set(names) | set(owner)
        seen_cov: set[frozenset[str]] = set()
        for a, b in self.covariances:
            if frozenset((a, b)) in seen_cov:
                raise SpecError(f"Covariance {a!r} ~~ {b!r} is declared more than once.")
            seen_cov.add(frozenset((a, b)))
            for end in (a, b):
                if end not in known:
                    raise SpecError(
                        f"Covariance {a!r} ~~ {b!r} names {end!r}, which is neither a construct "
                        f"nor an item of the model.{did_you_mean(end, known)}"
                    )
        self.topological_order  # raises on a cycle

    @classmethod
    def from_blocks(
        cls,
        blocks: Mapping[str, Sequence[str]],
        paths: Iterable[tuple[str, str]] = (),
        *,
        modes: Mapping[str, Mode | str] | None = None,
        covariances: Iterable[tuple[str, str]] = (),
    ) -> ModelSpec:
        """Build a spec from ``{construct: [items]}`` and a ``(source, target)`` list.

        Parameters
        ----------
        blocks : mapping of str to sequence of str
            Items per construct, in order.
        paths : iterable of (str, str)
            Structural paths.
        modes : mapping of str to Mode or str, optional
            ``"reflective"``/``"formative"`` (or ``"A"``/``"B"``) per construct;
            reflective when not given.
        covariances : iterable of (str, str)
            Free covariances for CB-SEM.

        Examples
        --------
        >>> spec = ModelSpec.from_blocks({"VAL": ["v1", "v2"], "SAT": ["s1", "s2"]},
        ...                              paths=[("VAL", "SAT")], modes={"VAL": "B"})
        >>> print(spec.to_lavaan())
        VAL <~ v1 + v2
        SAT =~ s1 + s2
        SAT ~ VAL
        """
        modes = dict(modes or {})
        unknown = sorted(set(modes) - set(blocks))
        if unknown:
            raise SpecError(f"modes= names construct(s) {quote_list(unknown)} that have no block.")
        constructs = []
        for name, its in blocks.items():
            if isinstance(its, str):
                its = (its,)
            constructs.append(Construct(str(name), tuple(its), _coerce_mode(modes.get(name, Mode.REFLECTIVE))))
        return cls(tuple(constructs), tuple(paths), tuple(covariances))

    @classmethod
    def from_lavaan(cls, text: str) -> ModelSpec:
        """Parse lavaan-style model syntax.

        Supported: ``=~`` (reflective block), ``<~`` (formative/composite block),
        ``~`` (structural path between constructs), ``~~`` (covariance), ``#``
        comments, ``;`` separators, statements continued over several lines, and
        term modifiers such as ``1*x`` or ``NA*x`` (kept for CB-SEM engines).

        Raises
        ------
        SpecError
            Quoting the line and its number when a statement cannot be parsed, and
            for every structural problem listed in :class:`ModelSpec`.

        Examples
        --------
        >>> ModelSpec.from_lavaan("SAT =~ s1 + s2\\nSAT ~ QUAL")
        Traceback (most recent call last):
        ...
        csindex.exceptions.SpecError: Path 'QUAL' -> 'SAT' names 'QUAL', a construct that is never measured. Declared: 'SAT'.
        >>> ModelSpec.from_lavaan("SAT = s1 + s2")
        Traceback (most recent call last):
        ...
        csindex.exceptions.SpecError: Cannot parse the model syntax at line 1: no operator (one of '=~', '<~', '~~' or '~') found.
            SAT = s1 + s2
        """
        if not isinstance(text, str):
            raise SpecError(f"Model syntax must be a string, got {type(text).__name__}.")
        statements = _split_statements(text)
        if not statements:
            raise SpecError("Model syntax is empty.")
        blocks: dict[str, list[str]] = {}
        modes: dict[str, Mode] = {}
        structural: list[tuple[str, str]] = []
        covariances: list[tuple[str, str]] = []
        modifiers: list[tuple[tuple[str, str, str], str]] = []
        for lineno, stmt in statements:
            op = next((o for o in _OPS if o in stmt), None)
            if op is None:
                raise _syntax_error(lineno, stmt, f"no operator (one of {quote_list(_OPS, conj='or')}) found.")
            pos = stmt.index(op)
            lhs_txt, rhs_txt = stmt[:pos], stmt[pos + len(op):]
            if not _LHS_RE.match(lhs_txt):
                raise _syntax_error(lineno, stmt, "the left-hand side must be a single name.", 0)
            lhs = lhs_txt.strip()
            if not rhs_txt.strip():
                raise _syntax_error(lineno, stmt, f"nothing on the right-hand side of {op!r}.", len(stmt))
            terms: list[str] = []
            offset = pos + len(op)
            for raw_term in rhs_txt.split("+"):
                m = _TERM_RE.match(raw_term)
                if not m:
                    where = offset + (len(raw_term) - len(raw_term.lstrip()))
                    why = "an empty term (two '+' in a row?)." if not raw_term.strip() else (
                        f"cannot read the term {raw_term.strip()!r} (expected a name, or value*name)."
                    )
                    raise _syntax_error(lineno, stmt, why, where)
                name = m.group("name")
                if m.group("mod") is not None:
                    modifiers.append(((lhs, op, name), m.group("mod")))
                terms.append(name)
                offset += len(raw_term) + 1
            if op in ("=~", "<~"):
                mode = Mode.REFLECTIVE if op == "=~" else Mode.FORMATIVE
                if lhs in modes and modes[lhs] is not mode:
                    raise _syntax_error(lineno, stmt, f"construct {lhs!r} is declared both '=~' and '<~'.")
                modes[lhs] = mode
                blocks.setdefault(lhs, []).extend(terms)
            elif op == "~":
                structural.extend((t, lhs) for t in terms)
            else:
                covariances.extend((lhs, t) for t in terms)
        constructs = tuple(Construct(n, tuple(its), modes[n]) for n, its in blocks.items())
        return cls(constructs, tuple(structural), tuple(covariances), tuple(modifiers))

    @classmethod
    def coerce(cls, model: ModelSpec | str) -> ModelSpec:
        """Accept a spec or lavaan syntax and return a spec.

        Examples
        --------
        >>> ModelSpec.coerce("S =~ s1 + s2").constructs
        ('S',)
        """
        if isinstance(model, ModelSpec):
            return model
        if isinstance(model, str):
            return cls.from_lavaan(model)
        raise SpecError(
            f"A model must be lavaan-style syntax (str) or a ModelSpec, got {type(model).__name__}."
        )

    # ----------------------------------------------------------------- accessors
    @property
    def constructs(self) -> tuple[str, ...]:
        """Construct names in declaration order."""
        return tuple(b.name for b in self.blocks)

    @property
    def paths(self) -> tuple[tuple[str, str], ...]:
        """Structural paths as ``(source, target)`` pairs."""
        return self.structural

    @property
    def block_items(self) -> dict[str, tuple[str, ...]]:
        """``{construct: items}`` in declaration order."""
        return {b.name: b.items for b in self.blocks}

    @property
    def modes(self) -> dict[str, Mode]:
        """``{construct: Mode}``."""
        return {b.name: b.mode for b in self.blocks}

    @property
    def items(self) -> tuple[str, ...]:
        """All items of the model, block by block."""
        return tuple(i for b in self.blocks for i in b.items)

    def block(self, name: str) -> Construct:
        """The :class:`Construct` called ``name``."""
        for b in self.blocks:
            if b.name == name:
                return b
        raise SpecError(f"The model has no construct {name!r}.{did_you_mean(name, self.constructs)}")

    def predecessors(self, target: str) -> tuple[str, ...]:
        """Constructs with a path into ``target``, in declaration order."""
        srcs = {s for s, t in self.structural if t == target}
        return tuple(c for c in self.constructs if c in srcs)

    def successors(self, source: str) -> tuple[str, ...]:
        """Constructs that ``source`` has a path into, in declaration order."""
        tgts = {t for s, t in self.structural if s == source}
        return tuple(c for c in self.constructs if c in tgts)

    @property
    def endogenous(self) -> tuple[str, ...]:
        """Constructs with at least one incoming path."""
        tgts = {t for _, t in self.structural}
        return tuple(c for c in self.constructs if c in tgts)

    @property
    def exogenous(self) -> tuple[str, ...]:
        """Constructs with no incoming path."""
        tgts = {t for _, t in self.structural}
        return tuple(c for c in self.constructs if c not in tgts)

    @property
    def topological_order(self) -> tuple[str, ...]:
        """Constructs ordered so that every path points forward (Kahn's algorithm,
        ties broken by declaration order).

        Raises
        ------
        SpecError
            When the structural model has a cycle (is non-recursive).
        """
        order: list[str] = []
        remaining = list(self.constructs)
        edges = set(self.structural)
        while remaining:
            ready = [c for c in remaining if not any((s, c) in edges for s in remaining)]
            if not ready:
                cyc = _find_cycle(remaining, edges)
                raise SpecError(
                    "The structural model is non-recursive (has a cycle): "
                    + " -> ".join(repr(c) for c in cyc)
                    + ". Remove one of these paths."
                )
            order.append(ready[0])
            remaining.remove(ready[0])
        return tuple(order)

    def layers(self) -> list[tuple[str, ...]]:
        """Constructs grouped by their longest distance from an exogenous construct
        (used to lay out path diagrams left to right).

        Examples
        --------
        >>> ModelSpec.from_lavaan("A =~ a\\nB =~ b\\nC =~ c\\nB ~ A\\nC ~ A + B").layers()
        [('A',), ('B',), ('C',)]
        """
        depth: dict[str, int] = {}
        for c in self.topological_order:
            preds = self.predecessors(c)
            depth[c] = 1 + max(depth[p] for p in preds) if preds else 0
        n_layers = max(depth.values()) + 1
        return [tuple(c for c in self.constructs if depth[c] == k) for k in range(n_layers)]

    # ----------------------------------------------------------------- editing (pure)
    def add_path(self, source: str, target: str) -> ModelSpec:
        """A new spec with the path ``source -> target`` added."""
        return replace(self, structural=self.structural + ((source, target),))

    def remove_path(self, source: str, target: str) -> ModelSpec:
        """A new spec without the path ``source -> target``."""
        if (source, target) not in self.structural:
            raise SpecError(f"The model has no path {source!r} -> {target!r}.")
        return replace(self, structural=tuple(p for p in self.structural if p != (source, target)))

    def drop_construct(self, name: str, *, reroute: bool = False) -> ModelSpec:
        """A new spec without construct ``name`` and its paths.

        With ``reroute=True`` every predecessor of ``name`` gets a path to every
        successor of it (when not already present), so indirect effects through the
        dropped construct stay representable.

        Examples
        --------
        >>> spec = ModelSpec.from_lavaan("A =~ a\\nB =~ b\\nC =~ c\\nB ~ A\\nC ~ B")
        >>> spec.drop_construct("B", reroute=True).paths
        (('A', 'C'),)
        """
        self.block(name)
        kept = tuple(p for p in self.structural if name not in p)
        if reroute:
            for s in self.predecessors(name):
                for t in self.successors(name):
                    if (s, t) not in kept:
                        kept = kept + ((s, t),)
        block_items = set(self.block(name).items)
        covs = tuple(c for c in self.covariances if name not in c and not (set(c) & block_items))
        mods = tuple(m for m in self.modifiers if m[0][0] != name and m[0][2] not in block_items)
        return ModelSpec(tuple(b for b in self.blocks if b.name != name), kept, covs, mods)

    def with_mode(self, name: str, mode: Mode | str) -> ModelSpec:
        """A new spec with construct ``name`` switched to ``mode``."""
        self.block(name)
        m = _coerce_mode(mode)
        return replace(self, blocks=tuple(replace(b, mode=m) if b.name == name else b for b in self.blocks))

    # ----------------------------------------------------------------- rendering
    def to_lavaan(self) -> str:
        """Render as lavaan syntax (parseable by :meth:`from_lavaan`: a round trip)."""
        mods = dict(self.modifiers)

        def term(lhs: str, op: str, rhs: str) -> str:
            m = mods.get((lhs, op, rhs))
            return f"{m}*{rhs}" if m is not None else rhs

        lines = [
            f"{b.name} {b.mode.operator} " + " + ".join(term(b.name, b.mode.operator, i) for i in b.items)
            for b in self.blocks
        ]
        for target in self.constructs:
            preds = self.predecessors(target)
            # keep the user's order of predecessors for this target
            ordered = [s for s, t in self.structural if t == target]
            if preds:
                lines.append(f"{target} ~ " + " + ".join(term(target, "~", s) for s in ordered))
        cov_lhs: dict[str, list[str]] = {}
        for a, b in self.covariances:
            cov_lhs.setdefault(a, []).append(b)
        for a, rhs in cov_lhs.items():
            lines.append(f"{a} ~~ " + " + ".join(term(a, "~~", b) for b in rhs))
        return "\n".join(lines)

    def to_semopy(self) -> str:
        """Render as semopy syntax.

        Single-item reflective constructs get their item's error variance fixed to
        0 (the item *is* the construct, as seminr's lavaan export does).

        Raises
        ------
        SpecError
            For a formative (``<~``) block: covariance-based SEM cannot estimate a
            composite without extra identification; use :func:`csindex.fit_pls`.

        Examples
        --------
        >>> print(ModelSpec.from_lavaan("S =~ s1 + s2\\nC =~ c1\\nC ~ S").to_semopy())
        S =~ s1 + s2
        C =~ c1
        C ~ S
        c1 ~~ 0*c1
        """
        formative = [b.name for b in self.blocks if b.mode is Mode.FORMATIVE]
        if formative:
            raise SpecError(
                f"Construct(s) {quote_list(formative)} are formative ('<~'); covariance-based SEM "
                "cannot estimate composites. Declare them reflective ('=~') or use fit_pls()."
            )
        text = self.to_lavaan()
        fixed = [
            f"{b.items[0]} ~~ 0*{b.items[0]}"
            for b in self.blocks
            if len(b.items) == 1 and (b.items[0], b.items[0]) not in self.covariances
        ]
        return "\n".join([text, *fixed])

    def __str__(self) -> str:
        return self.to_lavaan()

    # ----------------------------------------------------------------- data checks
    def check_data(self, columns: Iterable[str]) -> None:
        """Check that every item is a column of the data.

        Raises
        ------
        SurveyDataError
            Naming each construct's missing items and the closest column names.

        Examples
        --------
        >>> spec = ModelSpec.from_lavaan("SAT =~ sat1 + sat2")
        >>> spec.check_data(["sat1", "sat_2"])
        Traceback (most recent call last):
        ...
        csindex.exceptions.SurveyDataError: Construct 'SAT' lists 1 item that is not a data column: 'sat2'. Did you mean 'sat_2'? Fix the model or the data.
        """
        cols = [str(c) for c in columns]
        colset = set(cols)
        for b in self.blocks:
            missing = [i for i in b.items if i not in colset]
            if missing:
                hint = did_you_mean(missing[0], cols)
                n = len(missing)
                raise SurveyDataError(
                    f"Construct {b.name!r} lists {n} item{'s' if n > 1 else ''} that "
                    f"{'are' if n > 1 else 'is'} not {'data columns' if n > 1 else 'a data column'}: "
                    f"{quote_list(missing)}.{hint} Fix the model or the data."
                )


def _coerce_mode(mode: Mode | str) -> Mode:
    if isinstance(mode, Mode):
        return mode
    key = str(mode).strip().lower()
    table = {"a": Mode.REFLECTIVE, "reflective": Mode.REFLECTIVE, "=~": Mode.REFLECTIVE,
             "b": Mode.FORMATIVE, "formative": Mode.FORMATIVE, "composite": Mode.FORMATIVE, "<~": Mode.FORMATIVE}
    if key not in table:
        raise SpecError(f"Unknown mode {mode!r}; use 'reflective' (Mode A, '=~') or 'formative' (Mode B, '<~').")
    return table[key]


def _find_cycle(nodes: list[str], edges: set[tuple[str, str]]) -> list[str]:
    """Return one cycle among ``nodes`` (all of which are on or behind a cycle)."""
    start = nodes[0]
    path = [start]
    current = start
    while True:
        nxt = next(s for s in nodes if (s, current) in edges)  # walk backwards along incoming edges
        if nxt in path:
            cyc = path[path.index(nxt):]
            cyc.reverse()
            return cyc + [cyc[0]]
        path.append(nxt)
        current = nxt
