"""Small-cell suppression: what the contractor sees, and what goes to the sponsor.

A count from 1 to 10 could point at a person (two returns to duty this spring), so it is shown
as "<11". Zero is shown as 0: "nobody" points at no one, and hiding it would hide most of a
small center's figures for nothing. Where a table shows its total, one hidden cell could be
worked out as the total minus the cells shown; so a second cell is hidden with it (the next
smallest, a zero included), and the rule is applied again until no hidden cell is alone. A
hidden zero then also reads "<11": the mark means "fewer than 11", never "from 1 to 10".
A total from 1 to 10 is hidden like any count (then nothing can be subtracted from it).
A percentage, rate or median computed from a hidden count is hidden too.

Pure functions on numbers: tested with random tables (tests/outcomes/test_suppression.py)."""

from collections.abc import Sequence

THRESHOLD = 11  # the smallest count shown as itself
MARK = "<11"


def small(count: int | None) -> bool:
    """A count that is hidden on its own: 1 to 10."""
    return count is not None and 0 < count < THRESHOLD


def hidden_cells(cells: Sequence[int], total_shown: bool = True) -> list[bool]:
    """Which cells of a table are hidden: the small ones, then (when the table's total is
    shown, and is not itself hidden) complementary cells until at least two are hidden, so no
    hidden cell is the total minus the visible ones."""
    hidden = [small(c) for c in cells]
    total = sum(cells)
    if not total_shown or small(total):
        return hidden
    while sum(hidden) == 1 and not all(hidden):
        # The next smallest cell still shown (the first such, when several are equal).
        _, index = min((c, i) for i, c in enumerate(cells) if not hidden[i])
        hidden[index] = True
    return hidden


def show(count: int | None, hidden: bool) -> int | str | None:
    """A count as it is shown: the number, or the mark."""
    return MARK if hidden else count


def table(cells: Sequence[int], *, suppress: bool, total_shown: bool = True):
    """(shown cells, shown total, hidden flags): the table as a reader sees it."""
    if not suppress:
        return list(cells), sum(cells), [False] * len(cells)
    hidden = hidden_cells(cells, total_shown)
    total = sum(cells)
    return (
        [show(c, h) for c, h in zip(cells, hidden, strict=True)],
        show(total, small(total)),
        hidden,
    )


def recoverable(shown: Sequence[int | str], total: int | str) -> list[int]:
    """The hidden cells a reader could work out as the total minus the visible cells (the
    attack the property test replays): their indexes."""
    if total == MARK:
        return []
    missing = [i for i, c in enumerate(shown) if c == MARK]
    return missing if len(missing) == 1 else []
