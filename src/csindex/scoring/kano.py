"""Kano classification (Kano et al. 1984) with Better/Worse coefficients (Berger et al. 1993).

Each attribute has a functional question ("if present") and a dysfunctional question ("if
absent"), answered 1 like, 2 must-be/expect, 3 neutral, 4 live with, 5 dislike. The standard
evaluation table (rows functional, columns dysfunctional; METHODS.md §7.2 [V]):

| functional | like | must-be | neutral | live-with | dislike |
|---|---|---|---|---|---|
| like | Q | A | A | A | O |
| must-be | R | I | I | I | M |
| neutral | R | I | I | I | M |
| live-with | R | I | I | I | M |
| dislike | R | R | R | R | Q |

A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
The attribute's category is the modal one over respondents (weighted), ties broken in the
order M > O > A > I > R > Q (Berger et al.; unconfirmed [U]).
``Better = (A + O) / (A + O + M + I)``, ``Worse = −(O + M) / (A + O + M + I)`` [U: standard,
the paper itself was not read].

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"F1": [1, 1, 2], "D1": [5, 3, 5]})
>>> res = kano(df, functional=["F1"], dysfunctional=["D1"])
>>> row = res.attributes.set_index("attribute").loc["F1"]   # one O, one A, one M: tie broken M > O > A
>>> row["category"], round(float(row["better"]), 4), round(float(row["worse"]), 4)
('M', 0.6667, -0.6667)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._params import Instance, check_param
from .._results import ResultMixin
from .._segmenting import segmentable
from .._summary import Summary
from .._validation import quote_list
from ..exceptions import MissingDataWarning, ParameterError, SurveyDataError
from ._common import as_names, as_survey, check_items, matrix, row_chunks, sampling_weights

__all__ = ["KanoResult", "kano", "EVALUATION_TABLE", "CATEGORIES"]

CATEGORIES = ("A", "O", "M", "I", "R", "Q")
CATEGORY_NAMES = {"A": "attractive", "O": "one-dimensional", "M": "must-be", "I": "indifferent", "R": "reverse",
                  "Q": "questionable"}
EVALUATION_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
_CODE = {c: i for i, c in enumerate(CATEGORIES)}
_TABLE = np.array([[_CODE[c] for c in row] for row in EVALUATION_TABLE], dtype=np.int8)


@dataclass(frozen=True, repr=False)
class KanoResult(ResultMixin):
    """Result of :func:`kano`.

    Attributes
    ----------
    attributes : pandas.DataFrame
        One row per attribute: ``attribute, n`` (respondents with both answers), the weighted shares
        ``A, O, M, I, R, Q`` (sum to 1), ``category`` (modal, tie-broken), ``category_name``,
        ``better``, ``worse``.
    respondents : pandas.DataFrame
        Category letter per respondent (rows, aligned to the survey) and attribute; missing
        where either answer is missing.
    settings : dict
        ``tie_break, weighted, n_missing``.
    """

    attributes: pd.DataFrame
    settings: Mapping[str, Any] = field(default_factory=dict)
    _answers: Any = field(default=None, compare=False)

    _tables: ClassVar[Mapping[str, str]] = {"attributes": "attribute"}

    @property
    def respondents(self) -> pd.DataFrame:
        """Category letter per respondent (rows) and attribute; missing where an answer is
        missing. Computed on access."""
        fr, dr, codes, f_names, d_names, index, names = self._answers
        cat = _categories(fr, dr, codes, f_names, d_names)
        letters = np.array(CATEGORIES + (None,), dtype=object)
        return pd.DataFrame(letters[cat], index=index, columns=names)

    def summary(self) -> Summary:
        """The attribute table."""
        return Summary("Kano classification", facts={"attributes": len(self.attributes),
                                                     "weighted": self.settings.get("weighted")},
                       tables={"Attributes": self.attributes})

    def plot(self, *, ax: Any = None):
        """Better (vertical) against |Worse| (horizontal) per attribute, as a priority matrix split at 0.5."""
        from ..plots import priority_matrix

        t = pd.DataFrame({"name": self.attributes["attribute"], "abs_worse": -self.attributes["worse"].to_numpy(),
                          "better": self.attributes["better"].to_numpy()})
        return priority_matrix(t, x="abs_worse", y="better", crosshair=(0.5, 0.5), ax=ax, title="Kano Better-Worse")


@segmentable
def kano(data: Any, functional: Sequence[str] | None = None, dysfunctional: Sequence[str] | None = None, *,
         attributes: Sequence[str] | None = None, codes: Mapping[Any, int] | None = None,
         tie_break: str = "MOAIRQ", weights: Any = None, by: Any = None) -> KanoResult:
    """Kano categories per respondent and attribute, modal category and Better/Worse coefficients.

    Parameters
    ----------
    data : Survey or DataFrame
    functional, dysfunctional : list of str
        Paired columns: the answers to the functional and the dysfunctional question of each
        attribute.
    attributes : list of str, optional
        Attribute names (default: the functional column names).
    codes : dict, optional
        Maps the data's answer codes to 1 like, 2 must-be, 3 neutral, 4 live with, 5 dislike
        (default: the data already uses 1-5 in that order).
    tie_break : str
        Priority of categories when two are equally frequent (default ``"MOAIRQ"``).
    weights : None, False, str or array
        Sampling weights (None: the survey's, False: none).
    by : str, list of str or Series, optional
        Analyse every segment separately (see :func:`csindex.segments.split_segments`);
        returns a :class:`~csindex.segments.SegmentResults` mapping segment -> KanoResult,
        each equal to running on that segment alone (``n_jobs=`` runs segments in parallel).

    Returns
    -------
    KanoResult

    Raises
    ------
    SurveyDataError
        Unpaired or unknown columns, or answers outside the five codes (column named).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"F1": [1, 2, 3], "D1": [3, 5, 5]})
    >>> kano(df, ["F1"], ["D1"]).respondents["F1"].tolist()
    ['A', 'M', 'M']
    """
    where = "kano"
    check_param("codes", codes, Instance((Mapping, type(None)), "a dict answer -> Kano answer code, or None"), where)
    f_names, d_names = as_names(functional), as_names(dysfunctional)
    if not f_names or not d_names:
        raise SurveyDataError(f"{where} needs functional= and dysfunctional= column lists (one pair per attribute).")
    if len(f_names) != len(d_names):
        raise SurveyDataError(f"{where} got {len(f_names)} functional and {len(d_names)} dysfunctional columns; "
                              "they must pair up.")
    if not isinstance(tie_break, str) or sorted(tie_break) != sorted(CATEGORIES):
        raise ParameterError(f"The 'tie_break' parameter of kano() must order all six categories "
                             f"{''.join(CATEGORIES)}. Got {tie_break!r} instead.")
    names = as_names(attributes) or f_names
    if len(names) != len(f_names):
        raise SurveyDataError(f"{where} needs one attribute name per pair.")
    survey = as_survey(data, None, where)
    check_items(survey, f_names, "functional columns", where)
    check_items(survey, d_names, "dysfunctional columns", where)
    w = sampling_weights(survey, weights, where)
    wv = np.ones(survey.n) if w is None else w

    fr = matrix(survey, f_names)
    dr = matrix(survey, d_names)
    m = len(names)
    totals = np.zeros((m, 7))
    n_valid = np.zeros(m, dtype=np.int64)
    n_used = 0
    for rows in row_chunks(survey.n, 2 * m):
        ww = wv[rows]
        cat = _categories(np.ascontiguousarray(fr[rows]), np.ascontiguousarray(dr[rows]), codes, f_names, d_names)
        idx = (np.arange(m, dtype=np.int64) * 7)[None, :] + cat
        totals += np.bincount(idx.ravel(), weights=np.broadcast_to(ww[:, None], cat.shape).ravel(),
                              minlength=7 * m).reshape(m, 7)
        n_valid += (cat < 6).sum(axis=0)
        n_used += int((cat < 6).any(axis=1).sum())
    totals = totals[:, :6]
    wsum = totals.sum(axis=1)
    empty = [nm for nm, v in zip(names, n_valid) if v == 0]
    if empty:
        raise SurveyDataError(f"Attributes {quote_list(empty)} have no respondent with both answers.")
    shares = totals / wsum[:, None]
    order = [_CODE[c] for c in tie_break]
    rank = np.empty(6)
    rank[order] = np.arange(6)
    # modal category: largest share, ties to the earliest in tie_break
    best = shares.max(axis=1, keepdims=True)
    ties = np.isclose(shares, best, rtol=1e-12, atol=0.0) & (best > 0)
    modal = np.where(ties, rank[None, :], 99).argmin(axis=1)
    a, o, mm, i = (totals[:, _CODE[c]] for c in "AOMI")
    denom = a + o + mm + i
    with np.errstate(invalid="ignore", divide="ignore"):
        better = np.where(denom > 0, (a + o) / denom, np.nan)
        worse = np.where(denom > 0, -(o + mm) / denom, np.nan)
    if (denom <= 0).any():
        bad = [nm for nm, v in zip(names, denom <= 0) if v]
        warnings.warn(f"Attributes {quote_list(bad)} have only reverse or questionable answers; Better and Worse "
                      "are undefined (NaN).", MissingDataWarning, stacklevel=2)
    table = pd.DataFrame({"n": n_valid}, index=pd.Index(names, name="attribute"))
    for j, c in enumerate(CATEGORIES):
        table[c] = shares[:, j]
    table["category"] = [CATEGORIES[k] for k in modal]
    table["category_name"] = [CATEGORY_NAMES[CATEGORIES[k]] for k in modal]
    table["better"] = better
    table["worse"] = worse
    settings = {"tie_break": tie_break, "weighted": w is not None, "n_missing": int(survey.n * m - n_valid.sum()),
                "n_used": n_used, "n_dropped": survey.n - n_used, "seed": None}
    return KanoResult(attributes=table, settings=settings,
                      _answers=(fr, dr, codes, f_names, d_names, survey.responses.index, names))


def _categories(f_raw: np.ndarray, d_raw: np.ndarray, codes: Mapping[Any, int] | None,
                f_names: list[str], d_names: list[str]) -> np.ndarray:
    """Category code 0..5 (A O M I R Q) per cell, 6 where an answer is missing."""
    def coded(raw: np.ndarray, cols: list[str]) -> np.ndarray:
        if codes is not None:
            out = np.full(raw.shape, np.nan)
            for k, v in codes.items():
                out[raw == float(k)] = float(v)
            unmapped = ~np.isnan(raw) & np.isnan(out)
        else:
            out = raw
            unmapped = np.zeros(raw.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            off = ~np.isnan(out) & ((out < 1) | (out > 5) | (out != np.round(out)))
        bad = unmapped | off
        if bad.any():
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            vals = sorted(set(raw[bad[:, j], j].tolist()))[:5]
            raise SurveyDataError(
                f"Column {cols[j]!r} has answers {quote_list(vals)} outside the Kano codes 1 like, 2 must-be, "
                "3 neutral, 4 live with, 5 dislike. Recode them or pass codes={...}."
            )
        return out

    f = coded(f_raw, f_names)
    d = coded(d_raw, d_names)
    valid = ~(np.isnan(f) | np.isnan(d))
    fi = np.where(valid, f, 1).astype(np.int64) - 1
    di = np.where(valid, d, 1).astype(np.int64) - 1
    return np.where(valid, _TABLE[fi, di], 6)
