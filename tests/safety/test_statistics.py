"""The disproportionality measures against worked examples: the published values of the
vigicaen and pvda R packages (pharmacovigilance tools of the Caen and Swedish pharmacovigilance
centres), tables worked by hand below, and scipy's own chi-square and Fisher tests."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from homecoming.safety import statistics as s


def one(x):
    return float(np.asarray(x).reshape(-1)[0])


# --- the information component (BCPNN) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "expected", "ic", "ic025"),
    [
        # vigicaen's published example (tests/testthat/_snaps/compute_interaction.md):
        # 18 observed against 7.88 expected gives IC 1.14, IC025 0.400; 12 against 0: 4.64, 3.71.
        (18, 7.88, 1.14, 0.40),
        (12, 0.0, 4.64, 3.71),
    ],
)
def test_information_component_matches_vigicaen(observed, expected, ic, ic025):
    got_ic, got_low = s.information_component([observed], [expected])
    assert round(one(got_ic), 2) == ic
    assert round(one(got_low), 2) == ic025


def test_information_component_matches_pvda():
    # pvda's test-disprop_analysis.R: ic(1, 1) is 0, with IC025 log2(qgamma(0.025, 1.5, 1.5)).
    ic, low = s.information_component([1], [1])
    assert one(ic) == 0.0
    assert math.isclose(one(low), math.log2(stats.gamma.ppf(0.025, 1.5, scale=1 / 1.5)))


def test_expected_count_is_the_margins_product_over_the_total():
    # 20 reports of the drug with the event among 100 of the drug, 120 of the event, 10,000 in
    # all: E = 100 * 120 / 10,000 = 1.2.
    assert one(s.expected(20, 80, 100, 9800)) == pytest.approx(1.2)


# --- PRR, chi-square, ROR -------------------------------------------------------------------


def test_prr_chi_square_and_ror_worked_by_hand():
    # a=20, b=80, c=100, d=9800 (N = 10,000).
    # PRR = (20/100) / (100/9900) = 0.2 / 0.0101... = 19.8
    # Yates: |ad - bc| = |196,000 - 8,000| = 188,000; minus N/2 = 183,000;
    #   chi2 = 10,000 * 183,000^2 / (100 * 9900 * 120 * 9880) = 285.32
    # ROR = ad / bc = 196,000 / 8,000 = 24.5; SE(ln) = sqrt(1/20 + 1/80 + 1/100 + 1/9800)
    #   = 0.2739; 95% CI = 24.5 * exp(-/+ 1.96 * 0.2739) = 14.32 .. 41.9 (to 2 figures: 14, 42)
    a, b, c, d = 20, 80, 100, 9800
    assert one(s.prr(a, b, c, d)) == pytest.approx(19.8)
    assert one(s.chi_square_yates(a, b, c, d)) == pytest.approx(285.3177, rel=1e-6)
    ror, low, high = s.ror_with_ci(a, b, c, d)
    assert one(ror) == pytest.approx(24.5)
    se = math.sqrt(1 / 20 + 1 / 80 + 1 / 100 + 1 / 9800)
    assert one(low) == pytest.approx(24.5 * math.exp(-1.959964 * se), rel=1e-5)
    assert one(high) == pytest.approx(24.5 * math.exp(1.959964 * se), rel=1e-5)
    assert round(one(low)) == 14 and round(one(high)) == 42


def test_evans_criteria_need_three_cases():
    # a=2 with a huge PRR is not a signal by Evans (at least 3 cases); a=3 is.
    two = s.measures([2], [0], [0], [98], [0], [0], [0], [10])
    three = s.measures([3], [0], [0], [97], [0], [0], [0], [10])
    assert not two.rule("evans")[0]
    assert three.rule("evans")[0]


def test_an_empty_cell_leaves_the_ror_undefined_and_raises_nothing():
    table = s.measures([5], [0], [10], [100], [0], [0], [0], [10])
    assert math.isnan(table.ror[0]) and not table.rule("ror")[0]
    assert math.isinf(table.prr[0]) or table.prr[0] > 1  # c/(c+d) > 0, a/(a+b) = 1


@given(
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_chi_square_agrees_with_scipy(a, b, c, d):
    table = [[a, b], [c, d]]
    if min(a + b, c + d, a + c, b + d) == 0:
        assert one(s.chi_square_yates(a, b, c, d)) == 0.0
        return
    expected = stats.chi2_contingency(table, correction=True)[0]
    assert one(s.chi_square_yates(a, b, c, d)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
)
def test_fisher_agrees_with_scipy(exposed_cases, exposed_not, unexposed_cases, unexposed_not):
    exposed = exposed_cases + exposed_not
    cases = exposed_cases + unexposed_cases
    total = exposed + unexposed_cases + unexposed_not
    if total == 0:
        return
    expected = stats.fisher_exact(
        [[exposed_cases, exposed_not], [unexposed_cases, unexposed_not]], alternative="greater"
    ).pvalue
    got = one(s.fisher_greater(exposed_cases, exposed, cases, total))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_fisher_worked_by_hand():
    # 40 residents, 5 given the drug, 6 with the event, 4 of them among the 5 given it.
    # P(X >= 4) = [C(5,4)C(35,2) + C(5,5)C(35,1)] / C(40,6) = (5*595 + 35) / 3,838,380 = 0.000784
    p = one(s.fisher_greater(4, 5, 6, 40))
    assert p == pytest.approx((5 * 595 + 35) / math.comb(40, 6))
    assert s.measures([4], [1], [2], [33], [4], [5], [6], [40]).rule("fisher")[0]


def test_the_rules_are_known_by_name():
    table = s.measures([3], [1], [1], [95], [3], [4], [3], [40])
    for name in s.RULES:
        table.rule(name)
    with pytest.raises(ValueError, match="unknown signal rule"):
        table.rule("gut feeling")


@given(
    st.integers(1, 3000),
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.integers(0, 400),
)
def test_fisher_agrees_with_scipy_at_the_scale_of_a_large_center(total, exposed, cases, k):
    exposed, cases = min(exposed, total), min(cases, total)
    k = min(k, exposed, cases)
    expected = stats.hypergeom.sf(k - 1, total, cases, exposed)
    got = one(s.fisher_greater(k, exposed, cases, total))
    assert got == pytest.approx(expected, rel=1e-8, abs=1e-12)


def test_fisher_takes_columns_and_keeps_their_shape():
    got = s.fisher_greater([4, 0, 5], [5, 5, 5], [6, 6, 6], [40, 40, 40])
    assert got.shape == (3,) and got[1] == 1.0
    assert got[0] == pytest.approx((5 * 595 + 35) / math.comb(40, 6))
