"""The :class:`Survey` (validated responses plus codebook) and its :class:`Validation` report.

A Survey is built by :func:`csindex.load_survey`; it never changes after construction.

Examples
--------
>>> import csindex
>>> survey = csindex.datasets.airline()
>>> survey.constructs["IMAG"]
['IMAG1', 'IMAG2', 'IMAG3']
>>> survey.scale("NPS")
(0.0, 10.0)
>>> survey.pairs("expectation")[:2]
[('CREW1', 'EXP_CREW1'), ('CREW2', 'EXP_CREW2')]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._summary import Summary, SummaryMixin
from ._validation import check_option, did_you_mean, quote_list
from .codebook import RATED_ROLES, ROLES, Codebook
from .exceptions import SurveyDataError

__all__ = ["Survey", "Validation", "RESPONSE_RATE_TARGET"]

#: default response-rate target (share of invited people who answered)
RESPONSE_RATE_TARGET = 0.70


@dataclass(frozen=True, repr=False)
class Validation(SummaryMixin):
    """What the loader found while validating a survey.

    Attributes
    ----------
    n : int
        Number of respondents (rows).
    items : pandas.DataFrame
        One row per rated item with columns ``n_valid`` (usable answers), ``n_missing``
        (empty cells and "cannot answer" codes), ``missing_share``, ``n_missing_code``
        (cells with a "cannot answer" code), ``n_out_of_range`` and ``n_non_numeric``
        (invalid cells; with ``on_invalid="nan"`` they became NaN and are included in
        ``n_missing``), ``scale_min``, ``scale_max``.
    straight_liners : pandas.Index
        Row labels of respondents who gave the same answer to every item they answered
        (at least 5) among the items of multi-item constructs on the survey's most common
        scale (answers before reverse coding).
    duplicated_ids : pandas.Index
        Respondent ids that occur more than once.
    n_invited : int or None
        Number of people invited, when given.
    response_rate : float or None
        ``n / n_invited``, when ``n_invited`` is given.
    response_rate_target : float
        Target response rate (default 0.70).
    notes : tuple of str
        What was inferred or changed while loading (inferred codebook, recoded cells, ...).
    likely_missing_codes : pandas.DataFrame or None
        Without a codebook: per construct, the values that stood apart from the battery's
        range (9 on a 1-7 battery, 99, 999, -1) and were set aside as likely "cannot answer"
        codes, with columns ``construct, items, codes, n_cells, scale_min, scale_max`` (the
        inferred scale). Any row makes :attr:`ok` False until a codebook declares the codes.

    Examples
    --------
    >>> import csindex
    >>> v = csindex.datasets.airline().validation
    >>> v.n, v.ok
    (1000, True)
    >>> print(v.summary().title)
    Survey validation
    """

    n: int
    items: pd.DataFrame
    straight_liners: pd.Index
    duplicated_ids: pd.Index
    n_invited: int | None = None
    response_rate: float | None = None
    response_rate_target: float = RESPONSE_RATE_TARGET
    notes: tuple[str, ...] = ()
    likely_missing_codes: pd.DataFrame | None = None

    @property
    def n_invalid(self) -> int:
        """Number of out-of-range plus non-numeric cells."""
        return int(self.items["n_out_of_range"].sum() + self.items["n_non_numeric"].sum())

    @property
    def ok(self) -> bool:
        """True when no cell was invalid, no id duplicated and the response rate (if known) met its target."""
        rate_ok = self.response_rate is None or self.response_rate >= self.response_rate_target
        guessed = self.likely_missing_codes is not None and len(self.likely_missing_codes) > 0
        return self.n_invalid == 0 and len(self.duplicated_ids) == 0 and rate_ok and not guessed

    def problems(self) -> list[str]:
        """One sentence per problem found (empty when :attr:`ok`)."""
        out = []
        for item, row in self.items.iterrows():
            k = int(row["n_out_of_range"])
            if k:
                out.append(f"Item {item!r} has {k} value{'s' * (k != 1)} outside the scale "
                           f"{row['scale_min']:g}-{row['scale_max']:g}.")
            k = int(row["n_non_numeric"])
            if k:
                out.append(f"Item {item!r} has {k} non-numeric value{'s' * (k != 1)}.")
        if self.likely_missing_codes is not None:
            for row in self.likely_missing_codes.itertuples():
                out.append(f"Construct {row.construct!r} ({row.items}): value(s) {row.codes} ({row.n_cells} cell{'s' * (row.n_cells != 1)}) "
                           f"stand apart from the inferred scale {row.scale_min:g}-{row.scale_max:g} and were "
                           "treated as likely missing codes; declare them as missing_codes in a codebook (or give "
                           "the scale) to confirm.")
        if len(self.duplicated_ids):
            out.append(f"{len(self.duplicated_ids)} duplicated respondent ids: {quote_list(list(self.duplicated_ids))}.")
        if self.response_rate is not None and self.response_rate < self.response_rate_target:
            out.append(f"Response rate {self.response_rate:.1%} is below the target {self.response_rate_target:.0%}.")
        return out

    def summary(self) -> Summary:
        """Facts (n, invalid cells, straight-liners, response rate) and the per-item table."""
        facts: dict[str, object] = {
            "respondents": self.n,
            "rated items": len(self.items),
            "missing share (all rated cells)": float(self.items["n_missing"].sum() / max(self.n * len(self.items), 1)),
            "out-of-range cells": int(self.items["n_out_of_range"].sum()),
            "non-numeric cells": int(self.items["n_non_numeric"].sum()),
            "straight-liners": len(self.straight_liners),
            "duplicated ids": len(self.duplicated_ids),
        }
        if self.likely_missing_codes is not None and len(self.likely_missing_codes):
            facts["likely missing codes"] = "; ".join(f"{r.construct}: {r.codes} (scale {r.scale_min:g}-{r.scale_max:g})"
                                                      for r in self.likely_missing_codes.itertuples())
        if self.response_rate is not None:
            verdict = "meets" if self.response_rate >= self.response_rate_target else "below"
            facts["response rate"] = (f"{self.response_rate:.1%} of {self.n_invited} invited "
                                      f"({verdict} the {self.response_rate_target:.0%} target)")
        facts["status"] = "valid" if self.ok else "problems found"
        return Summary("Survey validation", facts=facts, tables={"Items": self.items},
                       notes=tuple(self.notes) + tuple(self.problems()))


@dataclass(frozen=True, repr=False)
class Survey(SummaryMixin):
    """Validated survey responses with their codebook.

    Attributes
    ----------
    responses : pandas.DataFrame
        One row per respondent, all columns of the source. Rated items are float64 with
        "cannot answer" codes turned into NaN and reverse-coded items recoded
        (``min + max - x``); profile columns as read.
    codebook : Codebook
        Item metadata (see :class:`csindex.codebook.Codebook`).
    weights : pandas.Series or None
        Sampling weights aligned to ``responses``.
    validation : Validation
        What the loader found.
    source : str
        Where the data came from (path or "DataFrame").

    Examples
    --------
    >>> import pandas as pd, csindex
    >>> s = csindex.load_survey(pd.DataFrame({"A1": [1, 2, 5], "A2": [2, 2, 4]}))
    >>> s.constructs
    {'A': ['A1', 'A2']}
    >>> s.items(construct="A")
    ['A1', 'A2']
    """

    responses: pd.DataFrame
    codebook: Codebook
    weights: pd.Series | None
    validation: Validation
    source: str = "DataFrame"

    @property
    def constructs(self) -> dict[str, list[str]]:
        """Construct -> its rated items, in column order."""
        return self.codebook.constructs

    @property
    def n(self) -> int:
        """Number of respondents."""
        return len(self.responses)

    def items(self, role: str | None = None, construct: str | None = None) -> list[str]:
        """Rated item names, optionally filtered by role and/or construct.

        Parameters
        ----------
        role : str, optional
            One of ``perception, expectation, importance, overall_satisfaction, loyalty``
            (or ``profile, weight, id`` for those columns).
        construct : str, optional
            Construct name (a key of :attr:`constructs`).

        Examples
        --------
        >>> import csindex
        >>> csindex.datasets.airline().items(role="overall_satisfaction")
        ['SAT1', 'SAT2', 'SAT3']
        """
        table = self.codebook.items
        if role is None:
            mask = table["role"].isin(RATED_ROLES)
        else:
            check_option("role", role, ROLES, "Survey.items")
            mask = table["role"] == role
        if construct is not None:
            if construct not in set(table["construct"]):
                raise SurveyDataError(
                    f"The survey has no construct {construct!r}. Constructs: {quote_list(list(self.constructs))}."
                    f"{did_you_mean(construct, self.constructs)}"
                )
            mask &= table["construct"] == construct
        return [str(i) for i in table.index[mask]]

    def scale(self, item: str) -> tuple[float, float]:
        """(min, max) of the item's response scale.

        Examples
        --------
        >>> import csindex
        >>> csindex.datasets.airline().scale("SAT1")
        (1.0, 10.0)
        """
        table = self.codebook.items
        if item not in table.index:
            raise SurveyDataError(f"The survey has no item {item!r}.{did_you_mean(item, table.index)}")
        lo, hi = table.at[item, "scale_min"], table.at[item, "scale_max"]
        if np.isnan(lo) or np.isnan(hi):
            role = table.at[item, "role"]
            if role in RATED_ROLES:
                raise SurveyDataError(
                    f"Item {item!r} has no known response scale: the codebook gives none and the data has no "
                    "answers to infer it from. Give its scale in the codebook or pass scale= to load_survey."
                )
            raise SurveyDataError(f"Item {item!r} has no response scale (role {role!r}). Only rated items have one.")
        return float(lo), float(hi)

    def pairs(self, role: str = "expectation") -> list[tuple[str, str]]:
        """(perception item, other item) pairs linked through the codebook ``attribute`` field.

        ``role="expectation"`` gives the pairs for C = b/a, ``role="importance"`` those
        for dual evaluation.

        Examples
        --------
        >>> import csindex
        >>> csindex.datasets.airline().pairs("importance")[0]
        ('CREW1', 'IMP_CREW1')
        """
        check_option("role", role, ("expectation", "importance"), "Survey.pairs")
        table = self.codebook.items
        sel = table[(table["role"] == role) & (table["attribute"] != "")]
        return [(str(attr), str(item)) for item, attr in sel["attribute"].items() if attr in table.index]

    def summary(self) -> Summary:
        """Size, constructs and the validation facts."""
        rows = [{"construct": c, "n_items": len(its), "items": ", ".join(its)} for c, its in self.constructs.items()]
        facts = {"source": self.source, "respondents": self.n, "columns": self.responses.shape[1],
                 "weighted": self.weights is not None, "valid": self.validation.ok}
        return Summary("Survey", facts=facts, tables={"Constructs": pd.DataFrame(rows)},
                       notes=self.codebook.inferred)
