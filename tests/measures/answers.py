"""Answer sheets for the tests: complete questionnaires with a chosen total or item 9."""


def phq9(item9=0, rest=1):
    """A complete PHQ-9: items 1-8 answered `rest`, item 9 answered `item9`."""
    return [rest] * 8 + [item9]


def pcl5(total):
    """A complete PCL-5 with the given total, filled from item 1 at 4 points an item."""
    answers = []
    for _ in range(20):
        answers.append(min(4, total))
        total -= answers[-1]
    assert total == 0, "a PCL-5 total is at most 80"
    return answers
