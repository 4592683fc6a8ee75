"""The instruments are the published ones: item counts, scales, time frames and wording."""

import pytest

from homecoming.measures import instruments
from homecoming.measures.instruments import GAD7, PCL5, PHQ9

PCL5_SCALE = ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"]
TWO_WEEKS_SCALE = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


@pytest.mark.parametrize(
    "definition, items, scale, time_frame",
    [
        (PCL5, 20, PCL5_SCALE, "past month"),
        (PHQ9, 9, TWO_WEEKS_SCALE, "last 2 weeks"),
        (GAD7, 7, TWO_WEEKS_SCALE, "last 2 weeks"),
    ],
)
def test_items_scale_and_time_frame(definition, items, scale, time_frame):
    assert [i.number for i in definition.items] == list(range(1, items + 1))
    assert [o.words for o in definition.options] == scale
    assert [o.value for o in definition.options] == list(range(len(scale)))
    assert time_frame in definition.stem and time_frame in definition.instructions
    assert definition.max_total == items * (len(scale) - 1)


def test_phq9_and_gad7_share_one_answer_scale_and_one_difficulty_scale():
    assert PHQ9.options is GAD7.options
    assert PHQ9.follow_up.options is GAD7.follow_up.options
    assert [o.words for o in PHQ9.follow_up.options] == [
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    ]
    assert PCL5.follow_up is None


def test_published_wording():
    assert PCL5.stem == "In the past month, how much were you bothered by:"
    assert PCL5.items[0].text == (
        "Repeated, disturbing, and unwanted memories of the stressful experience?"
    )
    assert PCL5.items[16].text == 'Being "superalert" or watchful or on guard?'
    assert PCL5.items[19].text == "Trouble falling or staying asleep?"
    assert PHQ9.stem == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert PHQ9.items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert GAD7.items[0].text == "Feeling nervous, anxious or on edge"
    assert GAD7.items[6].text == "Feeling afraid as if something awful might happen"
    assert "National Center for PTSD" in PCL5.source and "Public domain" in PCL5.source
    assert "No permission required" in PHQ9.source


def test_every_item_is_distinct_and_instruments_are_found_by_code():
    for definition in instruments.ALL:
        texts = [i.text for i in definition.items]
        assert len(set(texts)) == len(texts)
        assert instruments.get(definition.code) is definition
    assert instruments.get("bdi2") is None
