"""The result contract (docs/dev/results.md), checked on every result class the package defines.

Result classes are discovered by walking the package, so a new result class fails
``test_every_result_class_has_a_factory`` until it is added to ``FACTORIES`` below and meets the
contract.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex._results import INDEX_COLUMNS, REQUIRED_SETTINGS
from csindex._summary import Summary, SummaryMixin

# Objects that print like results but are not results of an analysis: inputs and containers.
NOT_RESULTS = {
    "Survey": "an input (the data with its codebook), not a result",
    "Validation": "part of a Survey: its data-quality report",
    "SegmentResults": "a mapping of per-segment results, each of which follows the contract",
    "PLSQuality": "a table bundle hanging off PLSResult.quality, not a result of its own",
    "ReportResult": "the list of files a report wrote",
    "FrequencyTable": "an input: answer counts to score (a cross-tab of item x scale point)",
    "InvarianceModel": "one fitted model inside MultiGroupSEMResult.models, checked through that result",
}
# Respondent-level tables keep the data's row index (they line up with the input rows).
RESPONDENT_TABLES = {"scores", "index_scores", "ratios", "differences", "respondents", "detail_rows"}
# Deprecated aliases that warn on access; skipped when walking attributes.
DEPRECATED_ATTRS = {("RatioIndexResult", "index")}


def _airline():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return csindex.datasets.airline()


def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _sem_data(n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.6 * x + rng.normal(scale=0.8, size=n)
    cols = {f"x{i}": 0.8 * x + rng.normal(scale=0.6, size=n) for i in (1, 2, 3)}
    cols.update({f"y{i}": 0.8 * y + rng.normal(scale=0.6, size=n) for i in (1, 2, 3)})
    return pd.DataFrame(cols).assign(g=np.where(np.arange(n) % 2 == 0, "a", "b"))


SEM_MODEL = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"
MGA_MODEL = "X =~ x1 + x2 + x3\nY =~ y1 + y2 + y3\nY ~ X"


def _tickets():
    ts = pd.to_datetime
    return pd.DataFrame({
        "ticket_id": ["T1", "T2", "T3", "T4"],
        "opened": ts(["2024-01-03 09:00", "2024-01-10 08:00", "2024-02-01 09:00", "2024-02-20 09:00"]),
        "first_response": ts(["2024-01-03 10:00", "2024-01-10 10:00", "2024-02-01 09:30", "2024-02-20 17:00"]),
        "resolved": ts(["2024-01-03 13:00", "2024-01-11 08:00", "2024-02-01 11:00", "2024-02-22 09:00"]),
        "channel": ["phone", "email", "phone", "email"],
        "complaint": [True, False, True, False],
        "contacts": [1, 2, 1, 3],
    })


def _followup():
    deliveries = pd.DataFrame({"customer_id": ["A", "B"], "delivery_date": pd.to_datetime(["2024-01-10", "2024-01-20"])})
    contacts = pd.DataFrame({"customer_id": ["A", "B"], "contact_date": pd.to_datetime(["2024-02-12", "2024-03-15"])})
    return csindex.kpi.followup_compliance(deliveries, contacts, as_of="2024-06-01")


def _wave2():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return csindex.datasets.airline_wave2()


FACTORIES: dict[str, Callable[[], Any]] = {
    "SimpleScoresResult": lambda: csindex.simple_scores(_airline()),
    "SatisfactionRateResult": lambda: csindex.satisfaction_rate(_airline(), threshold=8),
    "RatioIndexResult": lambda: csindex.ratio_index(_airline()),
    "DualEvaluationResult": lambda: csindex.dual_evaluation(_airline()),
    "AHPWeightsResult": lambda: csindex.scoring.dual.ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b"]),
    "IPAResult": lambda: csindex.ipa(_airline()),
    "DriverWeightsResult": lambda: csindex.driver_weights(_airline(), target="SAT", drivers=["CREW", "CABN", "PUNC"],
                                                          bootstrap=50, seed=1),
    "KanoResult": lambda: csindex.kano(pd.DataFrame({"F1": [1, 1, 2, 4], "D1": [5, 3, 5, 2]}), ["F1"], ["D1"]),
    "PriorityResult": lambda: csindex.improvement_priorities(_airline(), bootstrap=50, seed=1),
    "PLSPredictResult": lambda: csindex.plspredict(_sem_data(), SEM_MODEL, folds=5, repetitions=2, seed=1),
    "PLSResult": lambda: csindex.fit_pls(_airline(), "ccsi", bootstrap=30, seed=1, progress=False),
    "SEMResult": lambda: csindex.fit_sem(_sem_data(), SEM_MODEL),
    "MultiGroupSEMResult": lambda: csindex.fit_sem(_sem_data(), SEM_MODEL, group="g", equal=("loadings",)),
    "NPSResult": lambda: csindex.nps(np.arange(11).repeat(3)),
    "RateResult": lambda: csindex.kpi.recommendation_rate(np.arange(11).repeat(3)),
    "LoyaltyMatrixResult": lambda: csindex.kpi.loyalty_matrix([1, 5, 7, 9, 3, 8], [0, 2, 5, 1, 4, 3]),
    "TicketKPIResult": lambda: csindex.kpi.ticket_kpis(_tickets()),
    "ReturnRateResult": lambda: csindex.kpi.return_rate(80, 100),
    "FollowupResult": _followup,
    "SegmentComparisonResult": lambda: csindex.compare_segments(_airline(), "route", n_permutations=50, seed=0),
    "IndexComparisonResult": lambda: csindex.kpi.compare_indices(np.arange(11.0), np.arange(11.0) + 2, bootstrap=200,
                                                                 seed=1),
    "MICOMResult": lambda: csindex.micom(_sem_data(), MGA_MODEL, "g", n_permutations=50, seed=0),
    "MGAResult": lambda: csindex.pls_mga(_sem_data(), MGA_MODEL, "g", n_permutations=50, seed=0),
    "TrendResult": lambda: csindex.trend({"w1": _airline(), "w2": _wave2()}, n_permutations=50, seed=0),
}


def _result_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for mod in pkgutil.walk_packages(csindex.__path__, "csindex."):
        if mod.name.startswith(("csindex.report", "csindex.cli", "csindex.__main__")):
            continue
        module = importlib.import_module(mod.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, SummaryMixin)
                    and not name.startswith("_") and obj.__name__ not in ("ResultMixin", "SummaryMixin")):
                found[obj.__name__] = obj
    return found


def test_every_result_class_has_a_factory():
    classes = _result_classes()
    missing = sorted(set(classes) - set(FACTORIES) - set(NOT_RESULTS))
    assert not missing, f"result classes without a contract check: {missing}"
    stale = sorted(set(FACTORIES) - set(classes))
    assert not stale, f"factories for classes that no longer exist: {stale}"


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return {}


def _get(results: dict[str, Any], name: str) -> Any:
    if name not in results:
        results[name] = _quiet(FACTORIES[name])
    return results[name]


def _tables(res: Any) -> dict[str, pd.DataFrame]:
    out = {}
    for attr in dir(res):
        if attr.startswith("_") or (type(res).__name__, attr) in DEPRECATED_ATTRS:
            continue
        try:
            value = _quiet(lambda: getattr(res, attr))
        except Exception:  # noqa: BLE001 - an accessor that needs arguments or data it lacks
            continue
        if isinstance(value, pd.DataFrame):
            out[attr] = value
    return out


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_result_contract(results, name):
    res = _get(results, name)
    cls = type(res)
    assert cls.__name__ == name and name.endswith("Result"), f"{cls.__name__}: result names end in 'Result'"
    # settings: n_used, n_dropped, seed
    settings = res.settings
    for key in REQUIRED_SETTINGS:
        assert key in settings, f"{name}.settings lacks {key!r}"
    for key in ("n_used", "n_dropped"):
        v = settings[key]
        assert v is None or (isinstance(v, (int, np.integer)) and v >= 0), f"{name}.settings[{key!r}] = {v!r}"
    assert settings["seed"] is None or isinstance(settings["seed"], (int, np.integer)), \
        f"{name}.settings['seed'] must be the resolved int seed or None, got {settings['seed']!r}"
    # tables tidy: key as a column, RangeIndex
    for attr, table in _tables(res).items():
        if attr in RESPONDENT_TABLES:
            continue
        assert isinstance(table.index, pd.RangeIndex), \
            f"{name}.{attr} keeps its key only in the index ({table.index.names}); make it a column"
    # index is the standard 0-100 table; r_squared is a table
    if hasattr(type(res), "index") or "index" in getattr(res, "__dataclass_fields__", {}):
        if (name, "index") not in DEPRECATED_ATTRS:
            idx = _quiet(lambda: res.index)
            assert isinstance(idx, pd.DataFrame), f"{name}.index must be the 0-100 index table"
            cols = [c for c in idx.columns if c in INDEX_COLUMNS]
            assert tuple(cols) == INDEX_COLUMNS, f"{name}.index columns {list(idx.columns)}"
            lead = list(idx.columns[: list(idx.columns).index("construct")])
            assert set(lead) <= {"group", "wave", "segment"}, f"{name}.index: only a group key may precede 'construct'"
            finite = idx["index"].dropna()
            assert len(finite) and ((finite > -1e-9) & (finite < 100 + 1e-9)).all(), f"{name}.index leaves 0-100"
    if hasattr(res, "r_squared"):
        assert isinstance(_quiet(lambda: res.r_squared), pd.DataFrame), f"{name}.r_squared must be a table"
    # summary() and a plot helper
    summ = res.summary()
    assert isinstance(summ, Summary) and summ.to_text().strip()
    plotters = [a for a in dir(res) if a == "plot" or a.startswith("plot_")]
    assert plotters, f"{name} has no plot() helper"
    if "plot" in plotters:
        import matplotlib.pyplot as plt

        disp = _quiet(res.plot)
        fig = getattr(disp, "figure_", disp)
        assert fig is not None and len(fig.axes) >= 1, f"{name}.plot() drew nothing"
        plt.close(fig)


def test_random_results_record_the_seed_that_reproduces_them(results):
    a = _get(results, "DriverWeightsResult")
    b = _quiet(lambda: csindex.driver_weights(_airline(), target="SAT", drivers=["CREW", "CABN", "PUNC"],
                                              bootstrap=50, seed=a.settings["seed"]))
    pd.testing.assert_frame_equal(a.weights, b.weights)
    g = _quiet(lambda: csindex.driver_weights(_airline(), target="SAT", drivers=["CREW", "CABN", "PUNC"],
                                              bootstrap=50, seed=np.random.default_rng(4)))
    again = _quiet(lambda: csindex.driver_weights(_airline(), target="SAT", drivers=["CREW", "CABN", "PUNC"],
                                                  bootstrap=50, seed=g.settings["seed"]))
    pd.testing.assert_frame_equal(g.weights, again.weights)


def test_old_class_names_warn_and_still_work():
    from csindex.scoring import drivers, dual, ratio, simple

    for module, old, new in [(ratio, "RatioIndex", "RatioIndexResult"), (dual, "DualEvaluation", "DualEvaluationResult"),
                             (dual, "AHPWeights", "AHPWeightsResult"), (drivers, "DriverWeights", "DriverWeightsResult"),
                             (simple, "SimpleScores", "SimpleScoresResult"),
                             (simple, "SatisfactionRate", "SatisfactionRateResult")]:
        with pytest.warns(FutureWarning, match=new):
            assert getattr(module, old) is getattr(module, new)


def test_old_scalar_uses_warn_and_give_the_number(results):
    dual = _get(results, "DualEvaluationResult")
    with pytest.warns(FutureWarning, match="overall"):
        assert float(dual.index) == pytest.approx(dual.overall)
    with pytest.warns(FutureWarning):
        assert f"{dual.index:.3f}" == f"{dual.overall:.3f}"
    ratio = _get(results, "RatioIndexResult")
    with pytest.warns(FutureWarning, match="overall"):
        assert ratio.index == ratio.overall
    drv = _get(results, "DriverWeightsResult")
    with pytest.warns(FutureWarning):
        assert float(drv.r_squared) == pytest.approx(float(drv.r_squared["r_squared"].iloc[0]))


def test_plot_draws_the_bands_the_result_computed(results):
    import matplotlib.pyplot as plt

    ratio = _get(results, "RatioIndexResult")
    disp = ratio.plot()
    bands = ratio.bands[(ratio.bands["level"] == "overall") & (ratio.bands["measure"] == "ratio")
                        & (ratio.bands["share"] > 0)].set_index("band")["share"]
    for band, share in disp.shares.items():
        assert share == pytest.approx(bands[band], abs=1e-12)
    plt.close(disp.figure_)
