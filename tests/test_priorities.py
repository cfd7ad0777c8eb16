"""csindex.improvement_priorities: attribute impact x performance ranking with a bootstrap."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import csindex
from csindex.exceptions import ParameterError, SurveyDataError
from csindex.priorities import attribute_constructs

matplotlib.use("Agg")


def _true_gains() -> pd.Series:
    """Population impact x (100 - performance) of each attribute from the generator's model.

    The attribute dimensions are ``P_d = rho_d * quality + noise`` and price measures ``value``;
    the true impact is the population regression of satisfaction on all attribute latents
    (every latent has the same spread on the 1-10 scale, so standardised = unstandardised),
    the true performance the block mean on 0-100.
    """
    truth = csindex.datasets.airline_truth()
    from csindex.datasets import _generate as g

    _, _, cov = g._latent_covariance()
    lat = list(g.LATENTS)
    rho = truth["driver_rho"]
    names = [*rho, "value"]

    def c(a: str, b: str) -> float:
        if a == b:
            return 1.0
        ra, rb = rho.get(a), rho.get(b)
        if ra is not None and rb is not None:
            return ra * rb
        if ra is not None:
            return ra * cov[lat.index("quality"), lat.index(b)]
        if rb is not None:
            return rb * cov[lat.index("quality"), lat.index(a)]
        return float(cov[lat.index(a), lat.index(b)])

    sxx = np.array([[c(a, b) for b in names] for a in names])
    sxy = np.array([c(a, "satisfaction") for a in names])
    impact = np.linalg.solve(sxx, sxy)
    perf = np.array([(g.BLOCKS["PRICE" if n == "value" else n][2] - 1) / 9 * 100 for n in names])
    return pd.Series(impact * (100 - perf), index=["PRICE" if n == "value" else n for n in names]).sort_values(
        ascending=False)


@pytest.fixture(scope="module")
def res():
    with pytest.warns(csindex.CsindexWarning):  # listwise drops respondents with "cannot answer"
        return csindex.improvement_priorities(csindex.datasets.airline(), bootstrap=400, seed=11)


def test_outcomes_of_satisfaction_are_no_attributes(reference_path):
    # mobi has no attribute links: the levers are the perception constructs, never complaints
    # (CUSCO) or loyalty (CUSL), which follow satisfaction in every index model
    assert attribute_constructs(csindex.load_survey(reference_path("mobi.csv"))) == ["CUEX", "IMAG", "PERQ", "PERV"]


def test_comp_of_a_survey_is_an_attribute_and_dummy_codes_are_none(reference_path):
    # the corporate-reputation data: comp is competence (beside likeability), not complaints, so
    # it is a lever as like is; cusl (loyalty) and cusa (satisfaction) are not; mga_1..4 hold
    # 1/2 group codes and are no attribute at all
    survey = csindex.load_survey(reference_path("corp_rep_data.csv"))
    got = attribute_constructs(survey)
    assert got == ["csor", "csor_global", "attr", "attr_global", "perf", "perf_global", "qual", "qual_global",
                   "like", "comp", "switch"]
    assert csindex.models.index_construct_of("comp") == "complaints"  # a template's COMP is complaints
    assert csindex.models.index_construct_of("COMP", strict=True) is None


def test_attribute_constructs_from_the_codebook():
    assert attribute_constructs(csindex.datasets.airline()) == ["CREW", "CABN", "CATR", "ENT", "SAFE", "PUNC", "PRICE"]


def test_true_strongest_low_performing_lever_comes_first(res):
    true = _true_gains()
    table = res.attributes
    assert table["attribute"].iloc[0] == true.index[0] == "PRICE"
    assert table["p_top_k"].iloc[0] > 0.95
    assert table["tier"].iloc[0] == 1 and (table["tier"].iloc[1:] > 1).all()
    # the generator's two weakest levers are the estimated last two and never recommended
    assert set(table["attribute"].iloc[-2:]) == set(true.index[-2:]) == {"ENT", "CATR"}
    assert (table.set_index("attribute").loc[["ENT", "CATR"], "p_top_k"] < 0.1).all()
    # punctuality (strong driver, low performance) is recommended
    assert "PUNC" in set(res.recommended["attribute"])


def test_impact_and_shapley_agree_in_direction(res):
    t = res.attributes
    assert res.agreement > 0.6
    strong = t[t["shapley_share"] > 0.05]
    assert (strong["impact"] > 0).all()


def test_intervals_and_probabilities_are_coherent(res):
    t = res.attributes
    for col in ("impact", "performance", "gain"):
        assert (t[f"{col}_ci_lower"] <= t[col]).all() and (t[col] <= t[f"{col}_ci_upper"]).all()
    assert t["p_top_k"].sum() == pytest.approx(res.k)  # each resample has exactly k in its top k
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    assert t["gain"].is_monotonic_decreasing
    np.testing.assert_allclose(t["gain"], t["impact"] * (100 - t["performance"]))
    assert res.settings["seed"] == 11 and res.settings["n_valid"] == 400
    assert res.settings["n_used"] + res.settings["n_dropped"] == 1000


def test_not_separable_pairs_overlap(res):
    t = res.attributes.set_index("attribute")
    pairs = res.not_separable()
    assert pairs  # on this sample the 2nd-4th attributes are within noise of each other
    for a, b in pairs:
        assert t.at[b, "gain_ci_upper"] >= t.at[a, "gain_ci_lower"]


def test_impact_is_the_unstandardised_pls_path():
    s = csindex.datasets.airline()
    with pytest.warns(csindex.CsindexWarning, match="replaced by the item means"):
        res = csindex.improvement_priorities(s, ["PUNC", "CREW"], bootstrap=0, missing="mean")
    with pytest.warns(csindex.CsindexWarning, match="replaced by the item means"):
        pls = csindex.fit_pls(s, "PUNC =~ PUNC1 + PUNC2 + PUNC3\nCREW =~ CREW1 + CREW2 + CREW3 + CREW4\n"
                                 "SAT =~ SAT1 + SAT2 + SAT3\nSAT ~ PUNC + CREW", missing="mean")
    ipma = pls.ipma("SAT").set_index("construct")
    t = res.attributes.set_index("attribute")
    np.testing.assert_allclose(t.loc[["PUNC", "CREW"], "impact"], ipma.loc[["PUNC", "CREW"], "importance"], rtol=1e-8)
    np.testing.assert_allclose(t.loc[["PUNC", "CREW"], "performance"], ipma.loc[["PUNC", "CREW"], "performance"],
                               rtol=1e-8)
    assert t["impact_ci_lower"].isna().all() and (t["p_top_k"] == 1.0).all()  # bootstrap=0, k=2


def test_summary_and_plot(res):
    import matplotlib.pyplot as plt

    assert "Improvement priorities" in res.summary().to_text()
    d = res.plot(labels={"PUNC": "Punctuality"})
    assert "Punctuality" in [a.get_text() for a in d.label_texts_]
    plt.close(d.figure_)


def test_bad_options():
    s = csindex.datasets.airline()
    with pytest.raises(ParameterError):
        csindex.improvement_priorities(s, k=0)
    with pytest.raises(ParameterError):
        csindex.improvement_priorities(s, missing="drop")
    with pytest.raises(SurveyDataError, match="at least two"):
        csindex.improvement_priorities(s, ["PUNC"])
    with pytest.raises(SurveyDataError, match="no construct 'SATT'"):
        csindex.improvement_priorities(s, target="SATT")


def test_a_one_item_construct_named_like_its_item(reference_path):
    # mobi (the ECSI mobile-phone data): complaints are one item, CUSCO, whose construct the
    # inferred codebook also calls CUSCO; a model cannot hold a construct named like an item,
    # so it is fitted under another name and reported under its own
    survey = csindex.load_survey(reference_path("mobi.csv"))
    res = csindex.improvement_priorities(survey, ["CUSCO", "PERQ", "CUEX"], target="CUSA", bootstrap=0,
                                         missing="listwise")
    assert set(res.attributes["attribute"]) == {"CUSCO", "PERQ", "CUEX"}
    # impact of a one-item block: the slope on that item's own scale rescaled to 0-100; the
    # same model written with a free construct name gives the same numbers
    pls = csindex.fit_pls(survey, "COMPL =~ CUSCO\nPERQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7\n"
                                  "CUEX =~ CUEX1 + CUEX2 + CUEX3\nCUSA =~ CUSA1 + CUSA2 + CUSA3\n"
                                  "CUSA ~ COMPL + PERQ + CUEX")
    ipma = pls.ipma("CUSA").set_index("construct").rename(index={"COMPL": "CUSCO"})
    t = res.attributes.set_index("attribute")
    np.testing.assert_allclose(t["impact"], ipma.loc[t.index, "importance"], rtol=1e-8)
    np.testing.assert_allclose(t["performance"], ipma.loc[t.index, "performance"], rtol=1e-8)


def test_a_one_item_target_named_like_its_item(reference_path):
    # corp_rep_data: overall satisfaction is one item, cusa, in construct cusa; the target was
    # fitted under another name and its R² then looked up under 'cusa' (KeyError in the report)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = csindex.load_survey(reference_path("corp_rep_data.csv"))
    res = csindex.improvement_priorities(survey, ["qual", "perf", "like"], target="cusa", bootstrap=0,
                                         missing="listwise")
    assert res.target == "cusa" and list(res.r_squared["construct"]) == ["cusa"]
    pls = csindex.fit_pls(survey, "QUAL =~ " + " + ".join(f"qual_{i}" for i in range(1, 9))
                          + "\nPERF =~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5\nLIKE =~ like_1 + like_2 + like_3"
                          + "\nSAT =~ cusa\nSAT ~ QUAL + PERF + LIKE", missing="listwise")
    r2 = float(pls.r_squared.set_index("construct").loc["SAT", "r_squared"])
    assert float(res.r_squared["r_squared"].iloc[0]) == pytest.approx(r2, rel=1e-8)


# --------------------------------------------------------------------------- the rows of one matrix question

EXPORT = Path(__file__).resolve().parent / "data" / "qualtrics_export.csv"


def _split(survey, constructs):
    """``survey`` loaded again with each of ``constructs``' items (item -> construct) its own construct."""
    table = survey.codebook.items
    items = {c: {"construct": constructs.get(c, table.at[c, "construct"]), "role": table.at[c, "role"],
                 "scale_min": float(table.at[c, "scale_min"]), "scale_max": float(table.at[c, "scale_max"])}
             for c in survey.codebook.rated_items()}
    return csindex.load_survey(survey.responses, {"items": items})


def test_matrix_rows_are_the_items_of_the_one_attribute_construct():
    from csindex.priorities import matrix_rows

    export = csindex.load_survey(EXPORT)
    assert attribute_constructs(export) == ["Q1"] and matrix_rows(export) == ["Q1_1", "Q1_2", "Q1_3"]
    assert matrix_rows(csindex.datasets.airline()) == []  # two or more attribute constructs: unchanged
    assert matrix_rows(export, ["Q1", "Q3"]) == [] and matrix_rows(export, []) == []
    # a one-item attribute construct is not split further
    one = _split(export, {"Q1_2": "SEAT", "Q1_3": "PUNC"})
    assert matrix_rows(one, ["Q1"]) == []


def test_rows_as_attributes_give_the_numbers_of_a_codebook_splitting_them():
    from csindex.priorities import matrix_rows

    export = csindex.load_survey(EXPORT)
    names = {"Q1_1": "CREW", "Q1_2": "SEAT", "Q1_3": "PUNC"}
    rows = csindex.improvement_priorities(export, matrix_rows(export), bootstrap=200, seed=4)
    split = csindex.improvement_priorities(_split(export, names), list(names.values()), bootstrap=200, seed=4)
    got, want = rows.attributes.assign(attribute=rows.attributes["attribute"].map(names)), split.attributes
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-10)
    assert rows.satisfaction_index == pytest.approx(split.satisfaction_index, abs=1e-10)
    assert rows.settings["n_valid"] == split.settings["n_valid"]


def test_singular_resamples_of_a_small_sample_are_left_out_of_the_bootstrap():
    # eight respondents: some resamples hold a row constant or the rows collinear; they used to
    # stop the whole run (LinAlgError), now they are left out and counted
    from csindex.priorities import matrix_rows

    export = csindex.load_survey(EXPORT)
    res = csindex.improvement_priorities(export, matrix_rows(export), bootstrap=300, seed=2)
    assert 0 < res.settings["n_valid"] < 300
    assert np.isfinite(res.attributes[["impact_ci_lower", "impact_ci_upper", "gain_ci_lower"]].to_numpy()).all()
    drivers = csindex.driver_weights(export, drivers=matrix_rows(export), bootstrap=300, seed=2)
    assert 0 < drivers.settings["bootstrap_used"] <= 300
    assert np.isfinite(drivers.weights[["share_ci_lower", "share_ci_upper"]].to_numpy()).all()

