"""Templates of the national customer-satisfaction-index models (CCSI, ACSI, ECSI, SCSB).

Each template is a *data-defined* list of structural paths (:data:`TEMPLATE_PATHS`)
between the index constructs, filled with the user's items per construct and returned
as a :class:`~csindex.spec.ModelSpec` that every engine (:func:`csindex.fit_pls`,
:func:`csindex.fit_sem`) accepts.

Constructs are named by one code in every template, so that results of different models
line up:

* ``IMAG`` (key ``image``): brand / corporate image;
* ``EXPE`` (``expectation``): customer expectations / expected quality;
* ``QUAL`` (``quality``): perceived quality;
* ``VAL`` (``value``): perceived value (SCSB: perceived performance);
* ``SAT`` (``satisfaction``): customer satisfaction (the index);
* ``COMP`` (``complaints``): complaints (SCSB: voice);
* ``LOY`` (``loyalty``): customer loyalty.

The ``items=`` argument is a mapping from a key (or a code, or an alias such as
``"brand_image"``, ``"expected_quality"``, ``"performance"``, ``"voice"``) to item
names, or a :class:`~csindex.survey.Survey` whose codebook column ``index_construct``
names each item's construct (see :func:`items_from_survey`).

Sources (see ``docs/models.md`` and METHODS.md §5 of the project):

* SCSB -- Fornell (1992); Johnson, Gustafsson, Andreassen, Lervik & Cha (2001),
  *J. Economic Psychology* 22:217-245.
* ACSI -- Fornell, Johnson, Anderson, Cha & Bryant (1996), *J. Marketing* 60(4):7-18.
* ECSI -- Eklöf (2000); Johnson et al. (2001); the path matrix of R plspm / cSEM on the
  ECSI ``satisfaction`` data; the complaints extension of Tenenhaus et al. (2005),
  *CSDA* 48:159-205 (the ``mobi`` model).
* CCSI -- GB/T 19038-2009 (China National Institute of Standardization); **the path
  list is a reconstruction** (11 paths) that could not be checked against the
  standard's Annex A. Override it with ``paths=`` or ``ModelSpec.add_path`` /
  ``remove_path``.

Examples
--------
>>> import csindex
>>> spec = csindex.models.ccsi(csindex.datasets.airline())
>>> spec.constructs
('IMAG', 'EXPE', 'QUAL', 'VAL', 'SAT', 'LOY')
>>> len(spec.paths)
11
>>> spec.block_items["VAL"]
('PRICE1', 'PRICE2', 'PRICE3')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._validation import did_you_mean, quote_list
from .exceptions import SpecError, SurveyDataError
from .spec import Construct, ModelSpec
from .survey import Survey

__all__ = [
    "AMBIGUOUS_CODES",
    "CONSTRUCTS",
    "TEMPLATE_PATHS",
    "TEMPLATE_SOURCES",
    "OPTIONAL_CONSTRUCTS",
    "ccsi",
    "acsi",
    "ecsi",
    "scsb",
    "template",
    "items_from_survey",
    "index_construct_of",
    "TEMPLATES",
    "resolve_model",
]

logger = logging.getLogger(__name__)

#: Construct code for each lower-case key, in the order blocks are declared.
CONSTRUCTS: dict[str, str] = {
    "image": "IMAG",
    "expectation": "EXPE",
    "quality": "QUAL",
    "value": "VAL",
    "satisfaction": "SAT",
    "complaints": "COMP",
    "loyalty": "LOY",
}

_ALIASES: dict[str, str] = {
    # image
    "imag": "image", "img": "image", "brand_image": "image", "corporate_image": "image", "bi": "image",
    # expectations
    "expe": "expectation", "exp": "expectation", "expectations": "expectation",
    "expected_quality": "expectation", "customer_expectations": "expectation", "eq": "expectation",
    # quality
    "qual": "quality", "perceived_quality": "quality", "pq": "quality",
    # value
    "val": "value", "perceived_value": "value", "performance": "value", "perf": "value",
    "perceived_performance": "value", "pv": "value", "price": "value",
    # satisfaction
    "sat": "satisfaction", "csi": "satisfaction", "customer_satisfaction": "satisfaction",
    # complaints
    "comp": "complaints", "complaint": "complaints", "voice": "complaints",
    # loyalty
    "loy": "loyalty", "customer_loyalty": "loyalty",
    # the ECSI codes of Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005) ("mobi" data)
    "cuex": "expectation", "perq": "quality", "perv": "value", "cusa": "satisfaction",
    "cusco": "complaints", "cusl": "loyalty",
}

#: roles of the items a template may take by their construct's name (never the
#: expectation/importance batteries of the service attributes)
_INDEX_ROLES = frozenset({"perception", "overall_satisfaction", "loyalty"})

#: Structural paths of each template, as ``(source, target)`` construct codes.
TEMPLATE_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    # METHODS.md §5.5: reconstruction with exactly 11 paths, NOT confirmed against
    # GB/T 19038-2009 Annex A.
    "ccsi": (
        ("IMAG", "EXPE"), ("IMAG", "QUAL"), ("IMAG", "VAL"), ("IMAG", "SAT"),
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("QUAL", "VAL"), ("QUAL", "SAT"),
        ("VAL", "SAT"),
        ("SAT", "LOY"),
    ),
    # Fornell et al. (1996), 9 paths.
    "acsi": (
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("QUAL", "VAL"), ("QUAL", "SAT"),
        ("VAL", "SAT"),
        ("SAT", "COMP"), ("SAT", "LOY"),
        ("COMP", "LOY"),
    ),
    # Eklöf (2000) / Johnson et al. (2001): 10 core paths; with complaints items the
    # Tenenhaus et al. (2005) "mobi" extension SAT -> COMP -> LOY (12 paths).
    "ecsi": (
        ("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"),
        ("EXPE", "QUAL"), ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("QUAL", "VAL"), ("QUAL", "SAT"),
        ("VAL", "SAT"),
        ("SAT", "LOY"),
        ("SAT", "COMP"), ("COMP", "LOY"),
    ),
    # Fornell (1992), Johnson et al. (2001): 6 paths; VAL is "perceived performance",
    # COMP is "voice".
    "scsb": (
        ("EXPE", "VAL"), ("EXPE", "SAT"),
        ("VAL", "SAT"),
        ("SAT", "COMP"), ("SAT", "LOY"),
        ("COMP", "LOY"),
    ),
}

#: Citation of each template's path structure.
TEMPLATE_SOURCES: dict[str, str] = {
    "ccsi": (
        "GB/T 19038-2009 (CNIS; Tsinghua University CCSI project). Path list reconstructed "
        "(METHODS.md 5.5: 11 paths, 'BI, EQ, PQ, PV cause SAT; LOY is its consequence'); "
        "NOT confirmed against Annex A of the standard."
    ),
    "acsi": "Fornell, Johnson, Anderson, Cha & Bryant (1996), J. Marketing 60(4):7-18.",
    "ecsi": (
        "Eklöf (2000); Johnson, Gustafsson, Andreassen, Lervik & Cha (2001), J. Econ. Psychology "
        "22:217-245; complaints extension: Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), "
        "CSDA 48:159-205."
    ),
    "scsb": (
        "Fornell (1992), J. Marketing 56(1):6-21; Johnson, Gustafsson, Andreassen, Lervik & Cha "
        "(2001), J. Econ. Psychology 22:217-245."
    ),
}

#: Constructs a template drops silently when no items are given (the model's literature
#: omits them routinely; the remaining paths stay as they are, SAT -> LOY is part of
#: every template).
OPTIONAL_CONSTRUCTS: dict[str, frozenset[str]] = {
    "ccsi": frozenset(),
    "acsi": frozenset({"COMP"}),
    "ecsi": frozenset({"COMP"}),
    "scsb": frozenset({"COMP"}),
}

_TITLES = {"ccsi": "CCSI", "acsi": "ACSI", "ecsi": "ECSI", "scsb": "SCSB"}
_KEY_OF_CODE = {code: key for key, code in CONSTRUCTS.items()}


def _canonical_key(name: str) -> str | None:
    """Lower-case key of a construct name, code or alias; None when unknown."""
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    if key in CONSTRUCTS:
        return key
    return _ALIASES.get(key)


#: construct codes that name an index construct for sure only in a template's own spec: a
#: survey's ``comp`` is as often competence (the corporate-reputation model) as complaints
AMBIGUOUS_CODES = frozenset({"comp"})


def index_construct_of(name: str, *, strict: bool = False) -> str | None:
    """The index construct (``image, expectation, quality, value, satisfaction, complaints,
    loyalty``) a construct name, code or standard abbreviation stands for; None when none.

    Parameters
    ----------
    name : str
        A construct name, code or alias (``CUSCO``, ``perceived quality``, ``LOY``).
    strict : bool, default False
        Leave out the codes of :data:`AMBIGUOUS_CODES` (``comp``: competence as often as
        complaints), for a survey's own construct names rather than a template's.

    Examples
    --------
    >>> index_construct_of("CUSCO"), index_construct_of("perceived quality"), index_construct_of("CREW")
    ('complaints', 'quality', None)
    >>> index_construct_of("comp"), index_construct_of("comp", strict=True)
    ('complaints', None)
    """
    if not isinstance(name, str):
        raise SpecError(f"The 'name' parameter of index_construct_of must be a construct name (a string). "
                        f"Got {name!r} instead.")
    if strict and name.strip().lower() in AMBIGUOUS_CODES:
        return None
    return _canonical_key(name)


def items_from_survey(survey: Any, column: str = "index_construct") -> dict[str, list[str]]:
    """Items per index construct from a Survey's codebook.

    Parameters
    ----------
    survey : Survey or Codebook
        A :class:`~csindex.survey.Survey` (its ``codebook``) or a
        :class:`~csindex.codebook.Codebook`.
    column : str, default "index_construct"
        The codebook column naming each item's construct (``image, expectation,
        quality, value, satisfaction, complaints, loyalty``; aliases accepted).

    Returns
    -------
    dict of str to list of str
        Lower-case construct key -> item names, in codebook order.

    Raises
    ------
    SurveyDataError
        When the column is absent, empty, or names an unknown construct.

    Examples
    --------
    >>> import csindex
    >>> items_from_survey(csindex.datasets.airline())["loyalty"]
    ['LOY1', 'LOY2']
    """
    if not isinstance(column, str):
        raise SpecError(f"The 'column' parameter of items_from_survey must be a codebook column name. "
                        f"Got {column!r} instead.")
    codebook = getattr(survey, "codebook", survey)
    table = getattr(codebook, "items", None)
    if table is None or not hasattr(table, "columns"):
        raise SurveyDataError(
            f"items_from_survey() needs a Survey or a Codebook, got {type(survey).__name__}."
        )
    if column not in table.columns:
        raise SurveyDataError(
            f"The codebook has no column {column!r}.{did_you_mean(column, table.columns)} "
            "Name each item's index construct there, or pass items={construct: [items]}."
        )
    out: dict[str, list[str]] = {}
    unknown: list[str] = []
    for item, value in table[column].items():
        if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
            continue
        key = _canonical_key(str(value))
        if key is None:
            unknown.append(f"{item}={value}")
            continue
        out.setdefault(key, []).append(str(item))
    if unknown:
        raise SurveyDataError(
            f"The codebook column {column!r} names unknown index constructs: {quote_list(unknown)}. "
            f"Use one of {quote_list(list(CONSTRUCTS), limit=10, conj='or')}."
        )
    if not out:
        raise SurveyDataError(
            f"No item of the survey has an index construct in the codebook column {column!r}. "
            "Fill it in (image, expectation, quality, value, satisfaction, complaints, loyalty) "
            "or pass items={construct: [items]}."
        )
    return {k: out[k] for k in CONSTRUCTS if k in out}


def _survey_items(survey: Any, template_name: str) -> dict[str, list[str]]:
    """:func:`items_from_survey`; when the codebook's ``index_construct`` column is absent or
    empty, the constructs whose own names are index-construct names or their standard codes
    (``IMAG``, ``CUEX``, ``PERQ``, ``PERV``, ``CUSA``, ``CUSCO``, ``CUSL``, ``SAT``, ...), with a
    warning that lists the mapping. Taken only when the satisfaction construct and at least
    two others are found, so an unrelated codebook still gets the original error."""
    try:
        return items_from_survey(survey)
    except SurveyDataError as missing:
        table = getattr(getattr(survey, "codebook", None), "items", None)
        column = table.get("index_construct") if table is not None else None
        if table is None or (column is not None and column.fillna("").astype(str).str.strip().ne("").any()):
            raise
        found: dict[str, list[str]] = {}
        named: dict[str, str] = {}
        for item, row in table.iterrows():
            key = _canonical_key(str(row.get("construct") or ""))
            if key is not None and str(row.get("role")) in _INDEX_ROLES:
                found.setdefault(key, []).append(str(item))
                named.setdefault(key, str(row.get("construct")))
        if "satisfaction" not in found or len(found) < 3:
            raise missing
        import warnings

        from .exceptions import CsindexWarning

        warnings.warn(
            f"The codebook has no 'index_construct' column; the {_TITLES[template_name]} template takes the "
            f"constructs by their names: {', '.join(f'{named[k]} = {k}' for k in CONSTRUCTS if k in found)}. "
            "Fill in 'index_construct' to choose otherwise.", CsindexWarning, stacklevel=5)
        return {k: found[k] for k in CONSTRUCTS if k in found}


def _normalise_items(items: Any, template_name: str) -> dict[str, tuple[str, ...]]:
    """Mapping or Survey -> {code: items}; extra constructs from a Survey are ignored."""
    from_survey = not isinstance(items, Mapping)
    mapping = _survey_items(items, template_name) if from_survey else items
    out: dict[str, tuple[str, ...]] = {}
    for name, its in mapping.items():
        key = _canonical_key(name)
        if key is None:
            raise SpecError(
                f"{_TITLES[template_name]} template: unknown construct {name!r} in items=. "
                f"Use {quote_list(list(CONSTRUCTS), limit=10, conj='or')} (or their codes "
                f"{quote_list(list(CONSTRUCTS.values()), limit=10, conj='or')})."
                f"{did_you_mean(str(name).lower(), list(CONSTRUCTS) + list(_ALIASES))}"
            )
        code = CONSTRUCTS[key]
        if code in out:
            raise SpecError(f"items= gives construct {key!r} twice (as {name!r} and another alias).")
        its_t = (its,) if isinstance(its, str) else tuple(str(i) for i in its)
        out[code] = its_t
    return out


def template(
    name: str,
    items: Mapping[str, Sequence[str]] | Any,
    *,
    paths: Iterable[tuple[str, str]] | None = None,
    drop: Iterable[str] = (),
) -> ModelSpec:
    """Build one of the index models by name (``"ccsi"``, ``"acsi"``, ``"ecsi"``, ``"scsb"``).

    Parameters
    ----------
    name : str
        Template name.
    items : mapping or Survey
        Items per construct (``{"satisfaction": ["SAT1", ...], ...}``; keys are the
        lower-case construct keys, the codes or aliases), or a Survey whose codebook
        column ``index_construct`` assigns items (:func:`items_from_survey`).
    paths : iterable of (str, str), optional
        Replace the template's structural paths (construct keys or codes).
    drop : iterable of str
        Constructs to leave out. Each dropped construct's predecessors get a path to
        each of its successors (re-routing, so indirect effects stay representable).

    Returns
    -------
    ModelSpec

    Raises
    ------
    SpecError
        When a construct the template needs has no items (naming it and how to drop
        it), when ``items=`` names a construct the template does not have, or when a
        path names an unknown construct.

    Examples
    --------
    >>> spec = template("acsi", {"expectation": ["e1", "e2"], "quality": ["q1", "q2"],
    ...                          "value": ["v1", "v2"], "satisfaction": ["s1", "s2"],
    ...                          "loyalty": ["l1", "l2"]})
    >>> spec.constructs  # no complaints items: COMP is dropped, SAT -> LOY stays
    ('EXPE', 'QUAL', 'VAL', 'SAT', 'LOY')
    >>> len(spec.paths)
    7
    """
    key = str(name).strip().lower()
    if key not in TEMPLATE_PATHS:
        raise SpecError(
            f"Unknown index model {name!r}; use one of {quote_list(list(TEMPLATE_PATHS), conj='or')}."
            f"{did_you_mean(key, TEMPLATE_PATHS)}"
        )
    title = _TITLES[key]
    from_survey = not isinstance(items, Mapping)
    blocks = _normalise_items(items, key)

    for opt, value in (("paths", paths), ("drop", drop)):
        if (value is not None or opt == "drop") and (isinstance(value, (str, bytes)) or not isinstance(value, Iterable)):
            raise SpecError(f"The {opt!r} parameter of the {title} template must be a list "
                            f"{'of (source, target) pairs' if opt == 'paths' else 'of construct names'}. "
                            f"Got {value!r} instead.")
    if paths is None:
        edges = list(TEMPLATE_PATHS[key])
    else:
        edges = []
        for pair in paths:
            try:
                s, t = pair
            except (TypeError, ValueError):
                raise SpecError(f"paths= entries must be (source, target) pairs, got {pair!r}.") from None
            codes = []
            for end in (s, t):
                k = _canonical_key(end)
                if k is None:
                    raise SpecError(
                        f"Path {s!r} -> {t!r} names {end!r}, which is not an index construct. "
                        f"Use {quote_list(list(CONSTRUCTS), limit=10, conj='or')} or their codes."
                    )
                codes.append(CONSTRUCTS[k])
            edges.append((codes[0], codes[1]))
    needed = [c for c in CONSTRUCTS.values() if any(c in e for e in edges)]

    dropped: list[str] = []
    for d in drop:
        k = _canonical_key(d)
        if k is None or CONSTRUCTS[k] not in needed:
            raise SpecError(
                f"drop= names {d!r}, which is not a construct of the {title} model "
                f"({quote_list(needed)})."
            )
        dropped.append(CONSTRUCTS[k])

    extra = [c for c in blocks if c not in needed]
    if extra and not from_survey:
        raise SpecError(
            f"The {title} model has no construct {quote_list([_KEY_OF_CODE[c] for c in extra])}; "
            f"its constructs are {quote_list([_KEY_OF_CODE[c] for c in needed], limit=10)}. "
            "Remove it from items= or add paths for it with paths=."
        )
    optional = OPTIONAL_CONSTRUCTS[key] if paths is None else frozenset()
    missing = [c for c in needed if c not in blocks and c not in dropped and c not in optional]
    if missing:
        where = "the survey's codebook (column 'index_construct')" if from_survey else "items="
        raise SpecError(
            f"The {title} model needs items for {quote_list([_KEY_OF_CODE[c] for c in missing], limit=10)}, "
            f"but {where} gives none. Give them, or leave the construct out with "
            f"drop={tuple(_KEY_OF_CODE[c] for c in missing)!r} (its paths are re-routed)."
        )
    for c in needed:
        if c in optional and c not in blocks and c not in dropped:
            logger.info("%s template: no items for %r; the construct is left out.", title, c)
            dropped.append(c)

    for c in dropped:
        preds = [s for s, t in edges if t == c]
        succs = [t for s, t in edges if s == c]
        edges = [e for e in edges if c not in e]
        edges += [(s, t) for s in preds for t in succs if (s, t) not in edges and s != t]
    kept = [c for c in needed if c not in dropped]
    return ModelSpec.from_blocks({c: blocks[c] for c in kept}, edges)


def ccsi(
    items: Mapping[str, Sequence[str]] | Any,
    *,
    paths: Iterable[tuple[str, str]] | None = None,
    drop: Iterable[str] = (),
) -> ModelSpec:
    """The China Customer Satisfaction Index (CCSI) model, GB/T 19038-2009.

    Six constructs: brand image (``IMAG``, 品牌形象), expected quality (``EXPE``, 预期质量),
    perceived quality (``QUAL``, 感知质量), perceived value (``VAL``, 感知价值),
    satisfaction (``SAT``, 顾客满意度) and loyalty (``LOY``, 顾客忠诚).

    Paths (11): IMAG -> EXPE, QUAL, VAL, SAT; EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT;
    VAL -> SAT; SAT -> LOY.

    Warning: the path list is **not confirmed** by a readable primary source. It is
    the reconstruction of the project's METHODS.md §5.5 (exactly 11 paths, consistent
    with "image, expected quality, perceived quality and perceived value cause
    satisfaction; loyalty is its consequence"; source: GB/T 19038-2009 and the CNIS
    survey descriptions). Check it against Annex A of the standard and override it
    with ``paths=`` or ``ModelSpec.add_path`` / ``remove_path`` where it differs.
    The list is data: ``TEMPLATE_PATHS["ccsi"]``.

    Parameters
    ----------
    items : mapping or Survey
        Items per construct, keyed ``image, expectation, quality, value,
        satisfaction, loyalty`` (codes and aliases such as ``brand_image`` or
        ``expected_quality`` accepted), or a Survey with the codebook column
        ``index_construct``.
    paths : iterable of (str, str), optional
        Replace the path list.
    drop : iterable of str
        Constructs to leave out, with their paths re-routed (predecessors -> successors).

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> import csindex
    >>> spec = csindex.models.ccsi(csindex.datasets.airline())
    >>> spec.predecessors("SAT")
    ('IMAG', 'EXPE', 'QUAL', 'VAL')
    >>> spec.add_path("IMAG", "LOY").predecessors("LOY")
    ('IMAG', 'SAT')
    """
    return template("ccsi", items, paths=paths, drop=drop)


def acsi(
    items: Mapping[str, Sequence[str]] | Any,
    *,
    paths: Iterable[tuple[str, str]] | None = None,
    drop: Iterable[str] = (),
) -> ModelSpec:
    """The American Customer Satisfaction Index (ACSI) model (Fornell et al. 1996).

    Constructs: customer expectations (``EXPE``), perceived quality (``QUAL``),
    perceived value (``VAL``), satisfaction (``SAT``, the ACSI), complaints (``COMP``)
    and loyalty (``LOY``).

    Paths (9): EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT; VAL -> SAT; SAT -> COMP, LOY;
    COMP -> LOY. Source: Fornell, Johnson, Anderson, Cha & Bryant (1996), "The American
    Customer Satisfaction Index: nature, purpose, and findings", J. Marketing 60(4):7-18.

    When no complaints items are given the complaints construct is left out; its
    paths SAT -> COMP -> LOY collapse into the SAT -> LOY path the model already has.

    Parameters
    ----------
    items : mapping or Survey
        Items per construct (``expectation, quality, value, satisfaction,
        complaints, loyalty``), or a Survey with the codebook column ``index_construct``.
    paths : iterable of (str, str), optional
        Replace the path list.
    drop : iterable of str
        Constructs to leave out, with their paths re-routed.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> import csindex
    >>> spec = csindex.models.acsi(csindex.datasets.airline())  # no complaints items
    >>> spec.paths[-1]
    ('SAT', 'LOY')
    """
    return template("acsi", items, paths=paths, drop=drop)


def ecsi(
    items: Mapping[str, Sequence[str]] | Any,
    *,
    paths: Iterable[tuple[str, str]] | None = None,
    drop: Iterable[str] = (),
) -> ModelSpec:
    """The European Customer Satisfaction Index (ECSI / EPSI) model (Eklöf 2000).

    Constructs: image (``IMAG``), customer expectations (``EXPE``), perceived quality
    (``QUAL``), perceived value (``VAL``), satisfaction (``SAT``), loyalty (``LOY``);
    optionally complaints (``COMP``).

    Core paths (10): IMAG -> EXPE, SAT, LOY; EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT;
    VAL -> SAT; SAT -> LOY. Sources: Eklöf (2000); Johnson et al. (2001), J. Econ.
    Psychology 22:217-245; the same path matrix as R plspm / cSEM on the ECSI
    ``satisfaction`` data. With complaints items the model adds SAT -> COMP and
    COMP -> LOY (Tenenhaus et al. 2005, CSDA 48:159-205, the ``mobi`` model).

    Parameters
    ----------
    items : mapping or Survey
        Items per construct (``image, expectation, quality, value, satisfaction,
        loyalty`` and optionally ``complaints``), or a Survey.
    paths : iterable of (str, str), optional
        Replace the path list.
    drop : iterable of str
        Constructs to leave out, with their paths re-routed.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> from csindex.models import ecsi
    >>> blocks = {k: [f"{k[:4]}{i}" for i in (1, 2, 3)] for k in
    ...           ("image", "expectation", "quality", "value", "satisfaction", "loyalty")}
    >>> print(ecsi(blocks).to_lavaan().splitlines()[-1])
    LOY ~ IMAG + SAT
    >>> len(ecsi({**blocks, "complaints": ["comp1"]}).paths)
    12
    """
    return template("ecsi", items, paths=paths, drop=drop)


def scsb(
    items: Mapping[str, Sequence[str]] | Any,
    *,
    paths: Iterable[tuple[str, str]] | None = None,
    drop: Iterable[str] = (),
) -> ModelSpec:
    """The Swedish Customer Satisfaction Barometer (SCSB) model (Fornell 1992).

    Constructs: customer expectations (``EXPE``), perceived performance = perceived
    value (``VAL``), satisfaction (``SAT``), voice = complaints (``COMP``) and loyalty
    (``LOY``).

    Paths (6): EXPE -> VAL, SAT; VAL -> SAT; SAT -> COMP, LOY; COMP -> LOY. Sources:
    Fornell (1992), "A national customer satisfaction barometer: the Swedish
    experience", J. Marketing 56(1):6-21; Johnson et al. (2001). The sign of
    COMP -> LOY shows how well complaints are handled.

    Parameters
    ----------
    items : mapping or Survey
        Items per construct (``expectation``, ``value`` (alias ``performance``),
        ``satisfaction``, ``complaints`` (alias ``voice``), ``loyalty``), or a Survey.
    paths : iterable of (str, str), optional
        Replace the path list.
    drop : iterable of str
        Constructs to leave out, with their paths re-routed.

    Returns
    -------
    ModelSpec

    Examples
    --------
    >>> from csindex.models import scsb
    >>> spec = scsb({"expectation": ["e1", "e2"], "performance": ["p1", "p2"],
    ...              "satisfaction": ["s1", "s2"], "voice": ["c1"], "loyalty": ["l1", "l2"]})
    >>> spec.successors("SAT")
    ('COMP', 'LOY')
    """
    return template("scsb", items, paths=paths, drop=drop)


#: Names of the index-model templates accepted wherever a model is passed as a string.
TEMPLATES = ("ccsi", "acsi", "ecsi", "scsb")

_SPEC_CACHE: dict[str, ModelSpec] = {}


def resolve_model(model: ModelSpec | str | Any, data: Any = None) -> ModelSpec:
    """Turn ``model=`` into a :class:`~csindex.spec.ModelSpec`: the one template resolver of
    :func:`csindex.fit_pls`, :func:`csindex.fit_sem` and the report.

    Parameters
    ----------
    model : ModelSpec, str or mapping
        A ModelSpec; a template name (``"ccsi"``, ``"acsi"``, ``"ecsi"``, ``"scsb"``, any
        case), filled with the items the Survey's codebook assigns to each construct
        (:func:`template`); lavaan-style syntax; or anything ``ModelSpec.coerce`` accepts.
    data : Survey or DataFrame, optional
        The data the model is for; a template needs a Survey.

    Returns
    -------
    ModelSpec

    Raises
    ------
    SpecError
        A template name with a DataFrame (no codebook to map items to constructs), or
        syntax ``ModelSpec`` cannot parse.

    Examples
    --------
    >>> import csindex
    >>> survey = csindex.datasets.airline()
    >>> resolve_model("CCSI", survey) == ccsi(survey)
    True
    >>> resolve_model("SAT =~ SAT1 + SAT2").constructs
    ('SAT',)
    """
    if isinstance(model, str) and model.strip().lower() in TEMPLATES:
        name = model.strip().lower()
        if not isinstance(data, Survey):
            got = "no data" if data is None else f"a {type(data).__name__}"
            raise SpecError(
                f"The model template {name!r} needs a Survey (its codebook maps items to constructs); "
                f"got {got}. Load the data with csindex.load_survey() or pass lavaan syntax."
            )
        return template(name, data)
    if isinstance(model, str):
        spec = _SPEC_CACHE.get(model)
        if spec is None:
            spec = ModelSpec.coerce(model)
            if len(_SPEC_CACHE) > 64:
                _SPEC_CACHE.clear()
            _SPEC_CACHE[model] = spec
        return spec
    return ModelSpec.coerce(model)
