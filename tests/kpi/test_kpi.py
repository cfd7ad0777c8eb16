"""Loyalty, service and survey-management KPIs (csindex.kpi).

Expected values are hand-computed on small tables (the arithmetic is written out in each
test); proportion intervals are cross-checked against statsmodels' independent
``proportion_confint(method="wilson")``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import csindex
from csindex import kpi
from csindex.exceptions import MissingDataWarning, SurveyDataError

Z95 = 1.959963984540054  # standard normal 97.5% quantile


def wilson_ref(k, n, alpha=0.05):
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(k, n, alpha=alpha, method="wilson")


# --------------------------------------------------------------------------- NPS


def test_public_names_resolve_lazily():
    assert csindex.nps is kpi.nps
    assert csindex.kpi is kpi


def test_nps_hand_computed():
    # promoters 10, 9, 9, 10 (4/8); passives 8, 7 (2/8); detractors 3, 6 (2/8)
    res = csindex.nps([10, 9, 9, 8, 7, 3, 10, 6])
    assert res.score == pytest.approx(25.0)
    assert (res.promoters, res.passives, res.detractors) == pytest.approx((0.5, 0.25, 0.25))
    assert res.n == 8 and res.n_missing == 0 and res.n_effective == pytest.approx(8)
    # Var(P - D) = [P + D - (P - D)^2] / n = (0.75 - 0.0625) / 8
    se = 100 * math.sqrt((0.75 - 0.0625) / 8)
    assert res.std_error == pytest.approx(se)
    assert res.ci == pytest.approx((25 - Z95 * se, 25 + Z95 * se))
    assert res.table["category"].tolist() == ["promoter", "passive", "detractor"]
    assert res.table["count"].tolist() == [4, 2, 2]
    assert res.table["share"].sum() == pytest.approx(1.0)
    lo, hi = wilson_ref(4, 8)
    assert_allclose(res.table.loc[0, ["ci_lower", "ci_upper"]].to_numpy(float), [lo, hi], rtol=1e-10)


def test_nps_no_detractors():
    # P = 2/4, D = 0: NPS = 50, Var = (0.5 - 0.25) / 4 = 0.0625 -> SE = 25 points
    res = kpi.nps(pd.Series([9, 10, 7, 8], name="NPS"))
    assert res.score == pytest.approx(50.0)
    assert res.detractors == 0.0
    assert res.std_error == pytest.approx(25.0)
    assert res.ci == pytest.approx((50 - Z95 * 25, 50 + Z95 * 25))


def test_nps_all_promoters_has_degenerate_wald_interval():
    res = kpi.nps([10, 10, 9])
    assert res.score == 100.0
    assert res.ci == (100.0, 100.0)


def test_nps_all_missing_is_a_clear_error():
    with pytest.raises(SurveyDataError, match=r"no valid values \(3 rows, all missing\)"):
        kpi.nps([np.nan, None, np.nan])


def test_nps_drops_missing_with_count_and_warning():
    with pytest.warns(MissingDataWarning, match="dropped 2 of 4"):
        res = kpi.nps(pd.Series([10, np.nan, 3, None]))
    assert res.n == 2 and res.n_missing == 2
    assert res.score == 0.0


def test_nps_off_scale_values_are_named():
    with pytest.raises(SurveyDataError) as err:
        kpi.nps(pd.Series([10, 11, 11, -1, 8.5], name="REC"))
    msg = str(err.value)
    assert "'REC'" in msg and "0-10" in msg
    assert "11 (2 rows)" in msg and "-1 (1 row)" in msg and "8.5 (1 row)" in msg


def test_nps_text_values_are_named():
    with pytest.raises(SurveyDataError, match="non-numeric values: 'ten' \\(1 row\\)"):
        kpi.nps(["10", "ten", 3])


def test_nps_weighted_uses_kish_effective_n():
    # weights 1, 1, 2, 4 on 10, 9, 7, 3: P = 2/8, D = 4/8 -> NPS = -25
    res = kpi.nps([10, 9, 7, 3], weights=[1, 1, 2, 4])
    assert res.score == pytest.approx(-25.0)
    n_eff = 8**2 / (1 + 1 + 4 + 16)
    assert res.n_effective == pytest.approx(n_eff)
    se = 100 * math.sqrt((0.25 + 0.5 - 0.25**2) / n_eff)
    assert res.std_error == pytest.approx(se)
    assert res.ci_lower == -100.0  # -25 - 1.96 * 48.6 is clipped to the NPS range
    assert res.ci_upper == pytest.approx(-25 + Z95 * se)
    assert res.table["weighted_count"].tolist() == [2.0, 2.0, 4.0]


def test_nps_equal_weights_equal_unweighted():
    values = [10, 9, 7, 3, 0, 6, 8]
    a, b = kpi.nps(values), kpi.nps(values, weights=[2.5] * 7)
    assert a.score == pytest.approx(b.score)
    assert a.ci == pytest.approx(b.ci)


def test_nps_bad_weights():
    with pytest.raises(SurveyDataError, match="3 entries but there are 2 respondents"):
        kpi.nps([10, 9], weights=[1, 2, 3])
    with pytest.raises(SurveyDataError, match="negative"):
        kpi.nps([10, 9], weights=[1, -2])


def test_nps_refuses_an_item_that_is_not_on_a_0_to_10_scale():
    # a 1-7 item read as 0-10 would score (0 promoters - 7 detractors of 9) = -77.8: refuse it
    values = [1, 2, 3, 4, 5, 6, 7, 7, 6]
    with pytest.raises(csindex.exceptions.CsindexError, match=r"no answer above 7.*scale=\(1, 7\)"):
        kpi.nps(values)
    with pytest.raises(SurveyDataError, match="on a 1-7 scale.*mapping='linear'"):
        kpi.nps(values, scale=(1, 7))
    # linear rescale (x - 1) * 10 / 6: 7 -> 10 promoter (2), 5 -> 6.7 and 6 -> 8.3 passive,
    # 1..4 -> 0, 1.7, 3.3, 5.0 detractors (4): NPS = 100 * (2 - 4) / 9
    res = kpi.nps(values, scale=(1, 7), mapping="linear")
    assert res.score == pytest.approx(100 * (2 - 4) / 9)
    assert (res.promoters, res.detractors) == pytest.approx((2 / 9, 4 / 9))
    # declared 0-10 items are taken as they are
    assert kpi.nps(values, scale="0-10").score == pytest.approx(-700 / 9)
    assert kpi.nps(values, scale=(0, 10)).score == pytest.approx(-700 / 9)
    with pytest.raises(SurveyDataError, match="outside the NPS scale 1-7"):
        kpi.nps([1, 8], scale=(1, 7), mapping="linear")


def test_nps_bootstrap_interval_hand_computed():
    # two respondents, a promoter (+100) and a detractor (-100): a resample's NPS is -100, 0 or +100
    # with probabilities 1/4, 1/2, 1/4, so the 95% percentile interval is exactly [-100, 100] and the
    # bootstrap SD is sqrt(0.25 * 100**2 * 2) = 70.71 (a scale other than 100 would show in both)
    res = kpi.nps([10, 0], method="bootstrap", bootstrap=4000, seed=1)
    assert res.score == 0.0 and res.ci == (-100.0, 100.0)
    assert res.std_error == pytest.approx(math.sqrt(5000), rel=0.03)
    # promoter and passive: resampled NPS is 0, 50 or 100 -> [0, 100], SD 35.36
    res = kpi.nps([10, 8], method="bootstrap", bootstrap=4000, seed=1)
    assert res.score == 50.0 and res.ci == (0.0, 100.0)
    assert res.std_error == pytest.approx(math.sqrt(1250), rel=0.03)
    assert res.settings["bootstrap"] == 4000 and res.settings["seed"] == 1


def test_nps_one_to_ten_mappings():
    values = [1, 6, 7, 8, 9, 10]
    # cut-offs: promoters 9-10 (2), detractors 1-6 (2) -> 0
    assert kpi.nps(values, scale="1-10").score == pytest.approx(0.0)
    # linear rescale (x - 1) * 10 / 9 without rounding: 9 -> 8.89 is passive, promoters = {10}
    res = kpi.nps(values, scale="1-10", mapping="linear")
    assert res.score == pytest.approx(100 * (1 / 6 - 2 / 6))
    assert res.settings["mapping"] == "linear"
    with pytest.raises(SurveyDataError, match="outside the NPS scale 1-10.*0 \\(1 row\\).*pass scale='0-10' if the item"):
        kpi.nps([0, 5, 10], scale="1-10")


def test_nps_bootstrap_reproducible_and_close_to_wald():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 11, size=400)
    a = kpi.nps(values, method="bootstrap", bootstrap=2000, seed=11)
    b = kpi.nps(values, method="bootstrap", bootstrap=2000, seed=11)
    wald = kpi.nps(values)
    assert a.ci == b.ci and a.settings["seed"] == 11
    assert a.score == wald.score
    assert a.ci_lower < a.score < a.ci_upper
    assert a.std_error == pytest.approx(wald.std_error, rel=0.1)


def test_nps_bad_options():
    with pytest.raises(ValueError, match="'method' parameter of nps\\(\\) must be one of"):
        kpi.nps([10], method="exact")
    with pytest.raises(ValueError, match="confidence"):
        kpi.nps([10], confidence=95)


def test_nps_does_not_mutate_input_and_summary_renders():
    s = pd.Series([10.0, np.nan, 3.0], name="NPS")
    before = s.copy()
    with pytest.warns(MissingDataWarning):
        res = kpi.nps(s)
    pd.testing.assert_series_equal(s, before)
    text = str(res.summary())
    assert "Net Promoter Score" in text and "promoter" in text
    assert "NPS" in repr(res)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_nps_property_range_and_definition(values):
    res = kpi.nps(values, scale="0-10")
    p = sum(v >= 9 for v in values) / len(values)
    d = sum(v <= 6 for v in values) / len(values)
    assert -100.0 <= res.score <= 100.0
    assert res.score == pytest.approx(100 * (p - d))
    assert -100.0 <= res.ci_lower <= res.score <= res.ci_upper <= 100.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10), st.floats(0.1, 10.0)), min_size=1, max_size=40),
)
def test_nps_property_weighted_range(pairs):
    values, weights = zip(*pairs)
    res = kpi.nps(list(values), weights=list(weights), scale="0-10")
    assert -100.0 <= res.score <= 100.0
    assert res.promoters + res.passives + res.detractors == pytest.approx(1.0)
    assert 1.0 - 1e-9 <= res.n_effective <= len(values) + 1e-9


# --------------------------------------------------------------------------- rates


def test_recommendation_rate_wilson_matches_statsmodels():
    res = kpi.recommendation_rate([10, 9, 8, 4, 9])  # 3 of 5 at or above 9
    assert res.rate == pytest.approx(0.6)
    assert_allclose(res.ci, wilson_ref(3, 5), rtol=1e-10)
    assert res.std_error == pytest.approx(math.sqrt(0.24 / 5))


@settings(max_examples=60, deadline=None)
@given(k=st.integers(0, 400), extra=st.integers(0, 400), confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_interval_equals_statsmodels_everywhere(k, extra, confidence):
    # csindex writes the Wilson closed form itself (statsmodels' proportion module imports
    # scipy.stats, too slow for the report's cold start): it must equal statsmodels anywhere
    n = k + extra
    if n == 0:
        return
    res = kpi.recommendation_rate([10] * k + [1] * extra, confidence=confidence)
    assert_allclose(res.ci, wilson_ref(k, n, alpha=1 - confidence), rtol=1e-12, atol=1e-15)


def test_recommendation_rate_wald_and_threshold():
    res = kpi.recommendation_rate([5, 4, 3, 2], threshold=4, method="wald")  # top-2 box of 1-5
    assert res.rate == 0.5
    half = Z95 * math.sqrt(0.25 / 4)
    assert res.ci == pytest.approx((0.5 - half, 0.5 + half))


def test_rate_weighted():
    # weights 3 and 1: rate 3/4, n_eff = 16 / 10
    res = kpi.recommendation_rate([10, 5], weights=[3, 1])
    assert res.rate == pytest.approx(0.75)
    assert res.n_effective == pytest.approx(1.6)
    assert res.count == pytest.approx(3.0)
    assert res.settings["weighted"] is True
    assert kpi.recommendation_rate([10, 5]).settings["weighted"] is False
    assert kpi.repurchase_rate([0, 2, 1], weights=[1, 2, 1]).settings["weighted"] is True


def test_repurchase_rate_purchases_and_base():
    res = kpi.repurchase_rate([0, 1, 2, 3, 1, 0])  # among 4 buyers, 2 bought twice or more
    assert res.rate == 0.5 and res.n == 4 and res.n_excluded == 2
    assert_allclose(res.ci, wilson_ref(2, 4), rtol=1e-10)
    stated = kpi.repurchase_rate([10, 7, 9, 3], threshold=9, base_min=None)
    assert stated.rate == 0.5 and stated.n_excluded == 0
    with pytest.raises(SurveyDataError, match="empty denominator"):
        kpi.repurchase_rate([0, 0, 0])


def test_rate_all_promoters_wilson_upper_is_one():
    res = kpi.recommendation_rate([10, 10, 9])
    assert res.rate == 1.0 and res.ci_upper == pytest.approx(1.0)
    assert_allclose(res.ci, wilson_ref(3, 3), rtol=1e-10)


# --------------------------------------------------------------------------- loyalty matrix


def test_loyalty_matrix_fixed_thresholds():
    res = kpi.loyalty_matrix([80, 90, 20, 30, 50], [5, 1, 6, 0, 3], attitude_threshold=50, patronage_threshold=3)
    # 50 >= 50 and 3 >= 3 count as high (ties go high)
    assert list(res.categories) == ["loyalty", "latent_loyalty", "spurious_loyalty", "no_loyalty", "loyalty"]
    table = res.shares.set_index("category")
    assert table["count"].tolist() == [2, 1, 1, 1]
    assert table["share"].tolist() == pytest.approx([0.4, 0.2, 0.2, 0.2])
    assert_allclose(table.loc["loyalty", ["ci_lower", "ci_upper"]].to_numpy(float), wilson_ref(2, 5), rtol=1e-10)


def test_loyalty_matrix_median_default():
    # medians 25 and 2.5: respondents 3 and 4 are high on both, 1 and 2 low on both
    res = kpi.loyalty_matrix(pd.Series([10, 20, 30, 40]), pd.Series([1, 2, 3, 4]))
    assert res.attitude_threshold == 25.0 and res.patronage_threshold == 2.5
    assert list(res.categories) == ["no_loyalty", "no_loyalty", "loyalty", "loyalty"]


def test_loyalty_matrix_weighted_median_and_missing():
    ra = pd.Series([1.0, 2.0, 3.0, np.nan], index=["a", "b", "c", "d"])
    rp = pd.Series([5.0, 5.0, 5.0, 5.0], index=["a", "b", "c", "d"])
    with pytest.warns(MissingDataWarning, match="dropped 1 of 4"):
        res = kpi.loyalty_matrix(ra, rp, weights=[1, 1, 10, 1])
    # weighted median of 1, 2, 3 with weights 1, 1, 10 is 3
    assert res.attitude_threshold == 3.0
    assert res.n == 3 and res.n_missing == 1
    assert res.categories.index.tolist() == ["a", "b", "c", "d"]
    assert res.categories.tolist()[:3] == ["spurious_loyalty", "spurious_loyalty", "loyalty"]
    assert pd.isna(res.categories["d"])
    table = res.shares.set_index("category")
    assert table["share"]["loyalty"] == pytest.approx(10 / 12)
    # counts are respondents, weighted counts the weight behind each segment
    assert table["count"].to_dict() == {"loyalty": 1, "latent_loyalty": 0, "spurious_loyalty": 2, "no_loyalty": 0}
    assert table["weighted_count"].to_dict() == pytest.approx(
        {"loyalty": 10.0, "latent_loyalty": 0.0, "spurious_loyalty": 2.0, "no_loyalty": 0.0})


def test_loyalty_matrix_errors():
    with pytest.raises(SurveyDataError, match="3 values but repeat_patronage has 2"):
        kpi.loyalty_matrix([1, 2, 3], [1, 2])
    with pytest.raises(SurveyDataError, match="No respondent has both"):
        kpi.loyalty_matrix([1, np.nan], [np.nan, 2])
    with pytest.raises(ValueError, match="'attitude_threshold' parameter"):
        kpi.loyalty_matrix([1, 2], [1, 2], attitude_threshold="mean")


# --------------------------------------------------------------------------- tickets


@pytest.fixture
def tickets():
    ts = pd.to_datetime
    return pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "opened": ts(["2024-01-03 09:00", "2024-01-10 08:00", "2024-01-20 12:00",
                          "2024-02-01 09:00", "2024-02-15 09:00", "2024-02-20 09:00"]),
            "first_response": ts(["2024-01-03 10:00", "2024-01-10 10:00", "2024-01-20 18:00",
                                  "2024-02-01 09:30", None, "2024-02-20 17:00"]),
            "resolved": ts(["2024-01-03 13:00", "2024-01-11 08:00", None,
                            "2024-02-01 11:00", None, "2024-02-22 09:00"]),
            "channel": ["phone", "email", "phone", "phone", "email", "email"],
            "complaint": [True, False, True, False, True, False],
            "contacts": [1, 2, 1, 1, np.nan, 3],
            "region": ["N", "N", "S", "S", "N", "S"],
        }
    )


def test_ticket_kpis_hand_computed(tickets):
    before = tickets.copy()
    res = kpi.ticket_kpis(tickets)
    pd.testing.assert_frame_equal(tickets, before)  # input untouched
    o = res.overall.iloc[0]
    assert o["n_tickets"] == 6 and o["n_complaints"] == 3
    assert o["complaint_rate"] == pytest.approx(0.5)
    # response hours 1, 2, 6, 0.5, 8 (T5 unanswered): median 2; p90 at position 3.6 -> 6 + 0.6 * 2
    assert o["n_responded"] == 5
    assert o["response_time_median_h"] == pytest.approx(2.0)
    assert o["response_time_p90_h"] == pytest.approx(7.2)
    # resolved T1, T2, T4, T6 (T3, T5 never resolved -> unresolved, not an error)
    assert o["n_resolved"] == 4 and o["resolution_rate"] == pytest.approx(4 / 6)
    assert_allclose([o["resolution_rate_ci_lower"], o["resolution_rate_ci_upper"]], wilson_ref(4, 6), rtol=1e-10)
    # FCR: resolved with one contact: T1, T4
    assert o["n_first_contact_resolved"] == 2 and o["fcr_rate"] == pytest.approx(2 / 6)
    # resolution hours 4, 24, 2, 48: median 14, mean 19.5, p90 at position 2.7 -> 24 + 0.7 * 24
    assert o["resolution_time_median_h"] == pytest.approx(14.0)
    assert o["resolution_time_mean_h"] == pytest.approx(19.5)
    assert o["resolution_time_p90_h"] == pytest.approx(40.8)


def test_ticket_kpis_per_period_and_channel(tickets):
    res = kpi.ticket_kpis(tickets, period="M")
    bp = res.by_period.assign(period=res.by_period["period"].astype(str)).set_index("period")
    assert bp.index.tolist() == ["2024-01", "2024-02"]
    assert bp["n_tickets"].tolist() == [3, 3]
    assert bp["complaint_rate"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert bp["response_time_median_h"].tolist() == pytest.approx([2.0, 4.25])
    assert bp["resolution_rate"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert bp["fcr_rate"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert bp["resolution_time_median_h"].tolist() == pytest.approx([14.0, 25.0])
    bc = res.by_channel.set_index("channel")
    assert bc.loc["phone", "complaint_rate"] == pytest.approx(2 / 3)
    assert bc.loc["phone", "response_time_median_h"] == pytest.approx(1.0)
    assert bc.loc["phone", "fcr_rate"] == pytest.approx(2 / 3)
    assert bc.loc["phone", "resolution_time_median_h"] == pytest.approx(3.0)
    assert bc.loc["email", "response_time_median_h"] == pytest.approx(5.0)
    assert bc.loc["email", "fcr_rate"] == 0.0
    assert bc.loc["email", "resolution_time_median_h"] == pytest.approx(36.0)
    assert len(res.by_period_channel) == 4
    assert res.by_period["n_tickets"].dtype == np.int64
    assert "Service-ticket KPIs" in str(res.summary())


def test_ticket_kpis_by_equals_subset(tickets):
    res = kpi.ticket_kpis(tickets, by="region")
    north = kpi.ticket_kpis(tickets[tickets["region"] == "N"])
    got = res.overall.set_index("region").loc["N"]
    for col in north.overall.columns:
        assert got[col] == pytest.approx(north.overall.iloc[0][col], nan_ok=True)


def test_ticket_never_resolved_period_has_nan_times_and_zero_counts():
    t = pd.DataFrame({"ticket_id": ["A"], "opened": ["2024-03-01 08:00"], "first_response": [None],
                      "resolved": [None], "channel": ["chat"], "complaint": [1], "contacts": [None]})
    o = kpi.ticket_kpis(t).overall.iloc[0]
    assert o["n_resolved"] == 0 and o["resolution_rate"] == 0.0 and o["fcr_rate"] == 0.0
    assert o["n_responded"] == 0 and math.isnan(o["response_time_median_h"])


def test_ticket_out_of_order_names_the_ticket(tickets):
    bad = tickets.copy()
    bad.loc[1, "resolved"] = pd.Timestamp("2024-01-09 08:00")  # T2 resolved before it was opened
    with pytest.raises(SurveyDataError, match=r"1 ticket has timestamps out of order: 'T2' \(resolved before opened\)"):
        kpi.ticket_kpis(bad)
    bad.loc[3, "first_response"] = pd.Timestamp("2024-01-31 09:00")  # T4 answered before opened
    with pytest.raises(SurveyDataError, match=r"2 tickets.*'T2'.*'T4' \(first_response before opened\)"):
        kpi.ticket_kpis(bad)


def test_ticket_errors(tickets):
    with pytest.raises(SurveyDataError, match="no column 'opened_at' \\(opened=\\)"):
        kpi.ticket_kpis(tickets, opened="opened_at")
    bad = tickets.copy()
    bad["opened"] = bad["opened"].astype(object)
    bad.loc[2, "opened"] = "yesterday"
    with pytest.raises(SurveyDataError, match="not timestamps for tickets 'T3'"):
        kpi.ticket_kpis(bad)
    bad = tickets.copy()
    bad.loc[0, "opened"] = pd.NaT
    with pytest.raises(SurveyDataError, match="Tickets 'T1' have no 'opened' time"):
        kpi.ticket_kpis(bad)
    bad = tickets.copy()
    bad["complaint"] = ["yes", False, True, False, True, False]
    with pytest.raises(SurveyDataError, match="tickets 'T1' have 'yes'"):
        kpi.ticket_kpis(bad)
    bad = tickets.copy()
    bad.loc[0, "contacts"] = 0
    with pytest.raises(SurveyDataError, match="'contacts' must be a whole number >= 1.*'T1'"):
        kpi.ticket_kpis(bad)


def test_ticket_optional_columns_and_index_ids(tickets):
    res = kpi.ticket_kpis(tickets.drop(columns=["ticket_id"]), ticket_id=None, channel=None, complaint=None,
                          contacts=None, period="Q")
    assert res.by_channel is None
    assert not any("complaint" in c or "fcr" in c for c in res.overall.columns)
    assert res.by_period["n_tickets"].tolist() == [6]
    bad = tickets.drop(columns=["ticket_id"])
    bad.loc[4, "first_response"] = pd.Timestamp("2024-01-01")
    with pytest.raises(SurveyDataError, match="out of order: 4 \\(first_response before opened\\)"):
        kpi.ticket_kpis(bad, ticket_id=None)


# --------------------------------------------------------------------------- survey management


def test_return_rate_against_target():
    res = kpi.return_rate(63, 100)
    assert res.rate == 0.63 and not res.target_met and res.target == 0.70
    assert_allclose(res.ci, wilson_ref(63, 100), rtol=1e-10)
    from scipy.stats import binom

    assert res.p_value_below_target == pytest.approx(binom.cdf(63, 100, 0.7))
    assert kpi.return_rate(70, 100).target_met  # exactly on target counts as met
    assert kpi.return_rate(9, 10, target=0.95).target_met is False
    assert "return rate" in str(res.summary())


def test_return_rate_errors():
    with pytest.raises(SurveyDataError, match="larger than invited"):
        kpi.return_rate(11, 10)
    with pytest.raises(SurveyDataError, match="invited is 0"):
        kpi.return_rate(0, 0)
    with pytest.raises(SurveyDataError, match="whole number"):
        kpi.return_rate(3.5, 10)
    with pytest.raises(ValueError, match="share in 0..1"):
        kpi.return_rate(5, 10, target=70)


@pytest.fixture
def deliveries():
    return pd.DataFrame({
        "customer_id": ["A", "B", "C"],
        "delivery_date": pd.to_datetime(["2024-01-10", "2024-01-20", "2024-05-01"]),
    })


@pytest.fixture
def contacts():
    return pd.DataFrame({
        "customer_id": ["A", "A", "B", "A"],
        "contact_date": pd.to_datetime(["2024-02-12", "2024-04-10", "2024-03-15", "2025-01-05"]),
    })


def test_followup_compliance_hand_computed(deliveries, contacts):
    res = kpi.followup_compliance(deliveries, contacts, as_of="2024-06-01")
    m = res.milestones.set_index("milestone")
    # A: 1M due 02-10 (contact 02-12 within 14 d: on time); 3M due 04-10 (contact that day: on time)
    # B: 1M due 02-20, window to 03-05, contact 03-15 before the 3M window (04-06): late; 3M due 04-20: overdue
    # C: 1M due 06-01, window still open on 06-01: pending; 3M pending; all 1Y milestones pending
    assert m.loc["1M", ["n_due", "n_on_time", "n_late", "n_overdue", "n_pending"]].tolist() == [2, 1, 1, 0, 1]
    assert m.loc["3M", ["n_due", "n_on_time", "n_late", "n_overdue", "n_pending"]].tolist() == [2, 1, 0, 1, 1]
    assert m.loc["1Y", ["n_due", "n_pending"]].tolist() == [0, 3]
    assert m.loc["1M", "on_time_rate"] == 0.5
    assert math.isnan(m.loc["1Y", "on_time_rate"])  # nothing due yet
    assert_allclose(m.loc["1M", ["ci_lower", "ci_upper"]].to_numpy(float), wilson_ref(1, 2), rtol=1e-10)
    od = res.overdue
    assert od[["customer", "milestone"]].values.tolist() == [["B", "3M"]]
    assert od.loc[0, "due_date"] == pd.Timestamp("2024-04-20")
    assert od.loc[0, "days_overdue"] == pytest.approx(28.0)  # 06-01 minus window end 05-04
    late = res.detail[(res.detail["customer"] == "B") & (res.detail["milestone"] == "1M")].iloc[0]
    assert late["status"] == "late" and late["contact_date"] == pd.Timestamp("2024-03-15")


def test_followup_one_year_and_as_of_default(deliveries, contacts):
    res = kpi.followup_compliance(deliveries, contacts)  # as_of = latest date = 2025-01-05
    assert res.as_of == pd.Timestamp("2025-01-05")
    d = res.detail.set_index(["customer", "milestone"])["status"]
    assert d[("A", "1Y")] == "on_time"  # due 2025-01-10, contact 2025-01-05 within 14 days
    assert d[("B", "1Y")] == "pending"  # due 2025-01-20, window open
    assert d[("C", "1M")] == "overdue" and d[("C", "3M")] == "overdue"


def test_followup_window_and_errors(deliveries, contacts):
    res = kpi.followup_compliance(deliveries, contacts, window="1D", schedule=("1M",), as_of="2024-12-31")
    # with a 1-day window A's contact 2 days after the due date is late
    assert res.milestones.loc[0, ["n_on_time", "n_late", "n_overdue"]].tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="'30D', '2W', '1M'"):
        kpi.followup_compliance(deliveries, contacts, schedule=("one month",))
    bad = deliveries.copy()
    bad.loc[1, "delivery_date"] = pd.NaT
    with pytest.raises(SurveyDataError, match="missing or unreadable dates in rows 1"):
        kpi.followup_compliance(bad, contacts)
    with pytest.raises(SurveyDataError, match="no column 'client'"):
        kpi.followup_compliance(deliveries, contacts, customer="client")


def test_followup_leap_day_one_year():
    d = pd.DataFrame({"customer_id": ["X"], "delivery_date": pd.to_datetime(["2024-02-29"])})
    c = pd.DataFrame({"customer_id": ["X"], "contact_date": pd.to_datetime(["2025-02-28"])})
    res = kpi.followup_compliance(d, c, schedule=("1Y",), window="0D", as_of="2025-06-01")
    assert res.detail.loc[0, "due_date"] == pd.Timestamp("2025-02-28")
    assert res.detail.loc[0, "status"] == "on_time"


def test_no_warnings_on_clean_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kpi.nps([10, 0, 5])
        kpi.recommendation_rate([10, 0])
        kpi.loyalty_matrix([1, 2], [1, 2])


def _response_times(hours):
    opened = pd.Timestamp("2024-01-01")
    return pd.DataFrame({"opened": [opened] * len(hours),
                         "first_response": [opened + pd.Timedelta(hours=h) for h in hours],
                         "resolved": [pd.NaT] * len(hours)})


def _median_ci(hours):
    o = kpi.ticket_kpis(_response_times(hours), ticket_id=None, channel=None, complaint=None,
                        contacts=None).overall.iloc[0]
    return o["response_time_median_ci_lower_h"], o["response_time_median_ci_upper_h"]


def test_median_ci_order_statistics():
    # n = 10: P(B <= 1) = 11/1024 = 0.0107 <= 0.025 < P(B <= 2) = 56/1024 -> ranks 2 and 9
    assert _median_ci(np.arange(1.0, 11.0)) == (2.0, 9.0)
    # n = 20: the textbook ranks 6 and 15 (P(B <= 5) = 0.0207)
    assert _median_ci(np.arange(1.0, 21.0)[::-1]) == (6.0, 15.0)
    # n = 5 cannot reach 95%: [min, max]
    assert _median_ci([3.0, 1.0, 2.0, 5.0, 4.0]) == (1.0, 5.0)


def test_compare_indices_still_importable_from_kpi():
    from csindex import comparisons

    assert kpi.compare_indices is comparisons.compare_indices
    assert kpi.IndexComparisonResult is comparisons.IndexComparisonResult
    assert {"compare_indices", "nps", "ticket_kpis", "return_rate"} <= set(kpi.__all__)


def test_ticket_median_ci_columns(tickets):
    o = kpi.ticket_kpis(tickets).overall.iloc[0]
    # 5 response times and 4 resolution times: too few for 95%, so [min, max]
    assert (o["response_time_median_ci_lower_h"], o["response_time_median_ci_upper_h"]) == (0.5, 8.0)
    assert (o["resolution_time_median_ci_lower_h"], o["resolution_time_median_ci_upper_h"]) == (2.0, 48.0)


def test_ticket_by_keeps_missing_group(tickets):
    t = tickets.copy()
    t.loc[0, "region"] = None
    res = kpi.ticket_kpis(t, by="region")
    assert res.overall["n_tickets"].sum() == 6  # the ticket without a region is not dropped


def test_missing_warning_wording():
    with pytest.warns(MissingDataWarning, match=r"dropped 1 of 2 rows with a missing value in NPS item 'REC'\."):
        kpi.nps(pd.Series([10, np.nan], name="REC"))
    with pytest.warns(MissingDataWarning, match=r"missing value in the values\."):
        kpi.recommendation_rate(np.array([10, np.nan]))


def test_nps_nullable_integer_series_and_series_weights():
    s = pd.Series([10, pd.NA, 0, 9], dtype="Int64", name="NPS")
    with pytest.warns(MissingDataWarning):
        res = kpi.nps(s, weights=pd.Series([1.0, 5.0, 1.0, 2.0]))
    # P = 3/4 of the weight, D = 1/4 -> 50
    assert res.score == pytest.approx(50.0) and res.n == 3


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 100), st.integers(0, 10), st.floats(0.1, 5.0)), min_size=1, max_size=30),
    st.floats(0, 100),
    st.integers(0, 10),
)
def test_loyalty_property_shares_partition(rows, t_a, t_p):
    ra, rp, w = map(list, zip(*rows))
    res = kpi.loyalty_matrix(ra, rp, attitude_threshold=t_a, patronage_threshold=t_p, weights=w)
    assert res.shares["share"].sum() == pytest.approx(1.0)
    assert res.shares["count"].sum() == len(rows)
    loyal = [a >= t_a and p >= t_p for a, p in zip(ra, rp)]
    assert (res.categories == "loyalty").tolist() == loyal


def test_missing_value_warnings_point_at_the_caller():
    with pytest.warns(MissingDataWarning) as rec:
        kpi.nps([10, None, 3])
        kpi.recommendation_rate([10, None, 3])
        kpi.compare_indices([1, None, 3], [2, 3], bootstrap=20, seed=1)
    assert {r.filename for r in rec} == {__file__}


def test_nps_statistic_of_compare_indices_is_in_nps_points():
    # a: 2 promoters, 1 passive, 1 detractor -> NPS 25; b: 3 promoters, 1 detractor -> NPS 50
    a = [10, 9, 8, 3]
    b = [10, 10, 9, 0]
    res = csindex.kpi.compare_indices(a, b, statistic="nps", bootstrap=200, seed=1)
    assert res.estimate_a == pytest.approx(25.0) and res.estimate_b == pytest.approx(50.0)
    assert res.difference == pytest.approx(25.0)


def test_repurchase_rate_uses_the_weights():
    # purchases 0, 1, 2, 3 (base: at least 1) -> among 1, 2, 3 the repeaters (>= 2) are 2 and 3
    values = [0, 1, 2, 3]
    plain = kpi.repurchase_rate(values)
    assert plain.rate == pytest.approx(2 / 3)
    weighted = kpi.repurchase_rate(values, weights=[1.0, 3.0, 1.0, 1.0])
    assert weighted.rate == pytest.approx(2 / 5)


def test_loyalty_matrix_share_table_flags_each_category():
    res = kpi.loyalty_matrix([9, 9, 2, 2], [9, 1, 9, 1], attitude_threshold=5, patronage_threshold=5)
    t = res.shares.set_index("category")
    assert t.at["loyalty", "high_attitude"] and t.at["loyalty", "high_patronage"]
    assert t.at["latent_loyalty", "high_attitude"] and not t.at["latent_loyalty", "high_patronage"]
    assert not t.at["spurious_loyalty", "high_attitude"] and t.at["spurious_loyalty", "high_patronage"]
    assert not t.at["no_loyalty", "high_attitude"] and not t.at["no_loyalty", "high_patronage"]


def test_nps_settings_and_table_columns():
    plain = kpi.nps([10, 9, 7, 3], scale="0-10")
    weighted = kpi.nps([10, 9, 7, 3], scale="0-10", weights=[1.0, 2.0, 1.0, 1.0])
    assert plain.settings["weighted"] is False and weighted.settings["weighted"] is True
    assert list(plain.table.columns) == ["category", "count", "weighted_count", "share", "ci_lower", "ci_upper"]
    assert weighted.table.set_index("category").at["promoter", "weighted_count"] == pytest.approx(3.0)


def test_loyalty_matrix_median_of_an_even_count_is_the_midpoint():
    res = kpi.loyalty_matrix([1, 3], [2, 8])
    assert res.attitude_threshold == pytest.approx(2.0) and res.patronage_threshold == pytest.approx(5.0)
