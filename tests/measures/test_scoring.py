"""Scoring, against hand-worked examples for every rule and band boundary, and properties."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from homecoming.measures import instruments, scoring
from homecoming.measures.scoring import score


def errors_of(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return {k: [m for e in v for m in e.messages] for k, v in exc.value.error_dict.items()}


# --- PHQ-9 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, total, band",
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "none-minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "none-minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild"),
        ([2, 1, 1, 1, 1, 1, 1, 1, 1], 10, "moderate"),
        ([2, 2, 2, 2, 2, 1, 1, 1, 1], 14, "moderate"),
        ([2, 2, 2, 2, 2, 2, 1, 1, 1], 15, "moderately severe"),
        ([3, 3, 3, 2, 2, 2, 2, 1, 1], 19, "moderately severe"),
        ([3, 3, 3, 3, 2, 2, 2, 1, 1], 20, "severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_phq9_total_and_band_at_every_boundary(answers, total, band):
    result = score("phq9", answers)
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize("item9, positive", [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_above_zero_is_flagged(item9, positive):
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, item9])
    assert result.findings["item9"] == item9
    assert result.findings["item9_positive"] is positive


def test_phq9_item9_is_flagged_even_when_the_total_is_minimal():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.band == "none-minimal" and result.findings["item9_positive"] is True


def test_the_difficulty_question_is_kept_in_findings_and_not_counted():
    result = score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], difficulty=2)
    assert result.total == 5 and result.findings["difficulty"] == 2
    unanswered = score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0])
    assert "difficulty" not in unanswered.findings


# --- GAD-7 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, total, band",
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 1, 1, 1, 0], 9, "mild"),
        ([2, 2, 2, 1, 1, 1, 1], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
        ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    ],
)
def test_gad7_total_and_band_at_every_boundary(answers, total, band):
    result = score("gad7", answers)
    assert (result.total, result.band) == (total, band)


def test_gad7_difficulty_is_kept():
    assert score("gad7", [0] * 7, difficulty=0).findings == {"difficulty": 0}


# --- PCL-5 ---------------------------------------------------------------------------------

# The smallest answer sheet meeting the DSM-5 rule: exactly one B, one C, two D and two E items
# rated 2 ("Moderately"), everything else 0. Total 12: far below the cut-point.
DSM5_MINIMUM = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]


def with_item(answers, number, value):
    changed = list(answers)
    changed[number - 1] = value
    return changed


def test_pcl5_clusters_by_hand():
    answers = [0, 1, 2, 3, 4] * 4
    result = score("pcl5", answers)
    assert result.total == 40
    # B = 1..5: 0+1+2+3+4; C = 6..7: 0+1; D = 8..14: 2+3+4+0+1+2+3; E = 15..20: 4+0+1+2+3+4
    assert {k: result.findings[f"cluster_{k}"] for k in "bcde"} == {
        "b": 10,
        "c": 1,
        "d": 15,
        "e": 14,
    }


@pytest.mark.parametrize(
    "answers, total, above",
    [
        ([2] * 16 + [0, 0, 0, 0], 32, False),
        ([2] * 16 + [1, 0, 0, 0], 33, True),
        ([2] * 17 + [0, 0, 0], 34, True),
    ],
)
def test_pcl5_cutpoint_33(answers, total, above):
    result = score("pcl5", answers)
    assert result.total == total
    assert result.findings["provisional_ptsd_cutpoint"] is above
    assert result.findings["cutpoint"] == 33
    assert result.band == ("at or above cut-point" if above else "below cut-point")


def test_pcl5_cutpoint_is_configurable():
    thirty_two = [2] * 16 + [0, 0, 0, 0]
    lower = score("pcl5", thirty_two, cutpoint=31)
    assert lower.findings["provisional_ptsd_cutpoint"] is True
    assert lower.band == "at or above cut-point" and lower.findings["cutpoint"] == 31
    higher = score("pcl5", [2] * 17 + [0, 0, 0], cutpoint=38)
    assert higher.findings["provisional_ptsd_cutpoint"] is False
    assert higher.band == "below cut-point"


def test_pcl5_cutpoint_outside_the_scale_is_a_configuration_error():
    with pytest.raises(ValueError, match="between 1 and 80"):
        score("pcl5", [0] * 20, cutpoint=0)


def test_pcl5_dsm5_rule_met_with_the_fewest_symptoms():
    result = score("pcl5", DSM5_MINIMUM)
    assert result.findings["provisional_ptsd_dsm5"] is True
    # The two rules are separate: the DSM-5 rule is met far below the cut-point.
    assert result.total == 12 and result.findings["provisional_ptsd_cutpoint"] is False


@pytest.mark.parametrize(
    "cluster, item",
    [
        ("B: no item rated 2", 1),
        ("C: no item rated 2", 6),
        ("D: one item rated 2, two needed", 9),
        ("E: one item rated 2, two needed", 16),
    ],
)
def test_pcl5_dsm5_rule_just_missed_in_each_cluster(cluster, item):
    """Lowering one symptom from 2 ("Moderately") to 1 ("A little bit") misses the rule: a 1 is
    not a symptom."""
    result = score("pcl5", with_item(DSM5_MINIMUM, item, 1))
    assert result.findings["provisional_ptsd_dsm5"] is False, cluster


def test_pcl5_dsm5_rule_counts_symptoms_not_points():
    """Every C item at 1 gives cluster C points but no symptom: a high total without the rule."""
    answers = [4, 4, 4, 4, 4, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    result = score("pcl5", answers)
    assert result.total == 74 and result.findings["cluster_c"] == 2
    assert result.findings["provisional_ptsd_dsm5"] is False
    assert result.findings["provisional_ptsd_cutpoint"] is True


def test_pcl5_first_administration_has_no_change():
    findings = score("pcl5", DSM5_MINIMUM).findings
    for key in ("previous_total", "change", "meaningful_change", "change_direction"):
        assert key not in findings


@pytest.mark.parametrize(
    "previous, now_total, change, meaningful, direction",
    [
        (40, 31, -9, False, "improvement"),
        (40, 49, 9, False, "worsening"),
        (40, 30, -10, True, "improvement"),
        (30, 40, 10, True, "worsening"),
        (60, 20, -40, True, "improvement"),
        (33, 33, 0, False, "no change"),
    ],
)
def test_pcl5_change_of_ten_or_more_is_meaningful(
    previous, now_total, change, meaningful, direction
):
    answers = [4] * (now_total // 4) + [now_total % 4] + [0] * (19 - now_total // 4)
    findings = score("pcl5", answers, previous_total=previous).findings
    assert findings["previous_total"] == previous
    assert findings["change"] == change
    assert findings["meaningful_change"] is meaningful
    assert findings["change_direction"] == direction


def test_previous_total_is_a_pcl5_rule_only():
    assert "change" not in score("phq9", [1] * 9, previous_total=20).findings


# --- refusing what cannot be scored ----------------------------------------------------------


def test_one_missing_item_is_named():
    answers = [1, 1, 1, None, 1, 1, 1, 1, 1]
    assert errors_of(lambda: scoring.validate("phq9", answers)) == {
        "answers": ["Item 4 is not answered."],
        "item_4": ["Item 4 is not answered."],
    }


def test_two_missing_items_are_named():
    answers = [1, 1, None, 1, 1, 1, 1, 1, None]
    errors = errors_of(lambda: scoring.validate("phq9", answers))
    assert errors["answers"] == ["Items 3 and 9 are not answered."]
    assert set(errors) == {"answers", "item_3", "item_9"}


def test_a_short_list_names_every_item_after_it():
    errors = errors_of(lambda: scoring.validate("gad7", [0, None, 0, 0]))
    assert errors["answers"] == ["Items 2, 5, 6 and 7 are not answered."]


def test_an_incomplete_questionnaire_is_never_scored():
    with pytest.raises(ValidationError, match="Item 20 is not answered"):
        score("pcl5", [0] * 19)


@pytest.mark.parametrize("value", [4, -1, True, "2", 1.0])
def test_an_answer_outside_the_scale_is_refused(value):
    answers = [0, 0, 0, value, 0, 0, 0, 0, 0]
    errors = errors_of(lambda: scoring.validate("phq9", answers))
    assert errors["answers"] == [f"Item 4: {value!r} is not one of the answers (0 to 3)."]
    assert "item_4" in errors


def test_pcl5_answers_go_up_to_four():
    scoring.validate("pcl5", [4] * 20)
    errors = errors_of(lambda: scoring.validate("pcl5", [5] + [0] * 19))
    assert errors["answers"] == ["Item 1: 5 is not one of the answers (0 to 4)."]


def test_too_many_answers_are_refused():
    errors = errors_of(lambda: scoring.validate("gad7", [0] * 8))
    assert errors == {"answers": ["The GAD-7 has 7 items; 8 answers were given."]}


def test_an_unknown_instrument_is_refused():
    errors = errors_of(lambda: scoring.validate("bdi2", [0] * 21))
    assert errors == {"instrument": ["There is no questionnaire called 'bdi2'."]}


def test_difficulty_must_be_one_of_its_answers_and_exists_only_on_phq9_and_gad7():
    errors = errors_of(lambda: scoring.validate("phq9", [0] * 9, difficulty=4))
    assert errors == {"difficulty": ["4 is not one of the answers (0 to 3)."]}
    errors = errors_of(lambda: scoring.validate("pcl5", [0] * 20, difficulty=1))
    assert errors == {"difficulty": ["The PCL-5 has no closing question."]}


# --- properties ------------------------------------------------------------------------------


@st.composite
def questionnaires(draw):
    definition = draw(st.sampled_from(instruments.ALL))
    answers = draw(
        st.lists(
            st.integers(definition.lowest, definition.highest),
            min_size=definition.item_count,
            max_size=definition.item_count,
        )
    )
    return definition, answers


@given(questionnaires(), st.integers(1, 80))
def test_total_is_the_sum_of_the_answers(sheet, cutpoint):
    definition, answers = sheet
    result = score(definition.code, answers, cutpoint=cutpoint)
    assert result.total == sum(answers)
    assert 0 <= result.total <= definition.max_total


@given(st.sampled_from(instruments.ALL), st.data(), st.integers(1, 80))
def test_band_is_monotone_in_the_total(definition, data, cutpoint):
    low = data.draw(st.integers(0, definition.max_total))
    high = data.draw(st.integers(low, definition.max_total))
    assert scoring.band_index(definition.code, low, cutpoint) <= scoring.band_index(
        definition.code, high, cutpoint
    )


@given(st.sampled_from(instruments.ALL), st.integers(1, 80))
def test_bands_cover_the_whole_scale_without_gaps(definition, cutpoint):
    bands = scoring.bands(definition.code, cutpoint)
    assert bands[0].low == 0 and bands[-1].high == definition.max_total
    for below, above in zip(bands, bands[1:], strict=False):
        assert above.low == below.high + 1


@given(st.lists(st.integers(0, 4), min_size=20, max_size=20), st.integers(1, 80))
def test_pcl5_clusters_sum_to_the_total(answers, cutpoint):
    result = score("pcl5", answers, cutpoint=cutpoint)
    clusters = sum(result.findings[f"cluster_{c}"] for c in "bcde")
    assert clusters == result.total
    assert result.findings["provisional_ptsd_cutpoint"] is (result.total >= cutpoint)


@given(
    st.lists(st.integers(0, 4), min_size=20, max_size=20),
    st.integers(0, 80),
)
def test_pcl5_change_is_flagged_exactly_at_ten_points(answers, previous):
    findings = score("pcl5", answers, previous_total=previous).findings
    assert findings["change"] == sum(answers) - previous
    assert findings["meaningful_change"] is (abs(sum(answers) - previous) >= 10)
