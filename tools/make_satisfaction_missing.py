"""Write ``tests/reference/satisfaction_missing.csv``: the ECSI satisfaction data with a
deterministic missing-at-random pattern, the input of the lavaan MLR + FIML reference
(``tools/lavaan_mlr_fiml.R``).

One item per construct loses answers (imag3, expe2, qual4, val2, sat3, loy3). The chance that
a cell is missing is logistic in a *fully observed* item of another construct (MAR, not MCAR),
calibrated to 10% at the driver mean (12-16% of that item's cells in this data); the draw
uses ``numpy.random.default_rng(20261207)`` so the file is reproducible. Run from the repository root::

    python tools/make_satisfaction_missing.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
# item that loses answers -> fully observed item driving its missingness
MECHANISM = {"imag3": "loy1", "expe2": "sat1", "qual4": "imag1", "val2": "expe1", "sat3": "qual1",
             "loy3": "val1"}
SEED = 20261207
RATE = 0.10


def with_missing(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with the MAR holes punched (a copy; items as nullable integers)."""
    rng = np.random.default_rng(SEED)
    out = data.copy()
    for item, driver in MECHANISM.items():
        z = (data[driver] - data[driver].mean()) / data[driver].std()
        # lower scores on the driver -> more likely to skip; intercept set for a RATE share at the mean
        logit = np.log(RATE / (1 - RATE)) - 1.0 * z.to_numpy()
        prob = 1.0 / (1.0 + np.exp(-logit))
        out.loc[rng.random(len(data)) < prob, item] = np.nan
    items = [c for c in data.columns if c != "gender"]
    out[items] = out[items].astype("Int64")
    return out


def main() -> None:
    out = with_missing(pd.read_csv(REF / "satisfaction.csv"))
    out.to_csv(REF / "satisfaction_missing.csv", index=False, na_rep="NA", lineterminator="\n")


if __name__ == "__main__":
    main()
