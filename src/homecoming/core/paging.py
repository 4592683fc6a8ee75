"""What an API list hands its paginator (core.schemas.Pages), so a page costs a page.

`Pages` cuts `items[offset : offset + limit]` and counts with `len(items)`. Handing it a plain
list of shaped rows works, but shapes every row for one page; these two make the cut first:

- `Shaped(rows, shape)`: a queryset or list, each row shaped only when its page is cut (the
  queryset sliced in the database);
- `Window(read, total)`: a list read a page at a time by a selector, for lists of many
  residents, whose selector then puts on the ledger only the residents the page shows.
"""

from collections.abc import Callable, Sequence
from typing import Any


class Shaped:
    def __init__(self, rows, shape: Callable[[Any], Any]):
        self.rows, self.shape = rows, shape

    def __len__(self) -> int:
        count = getattr(self.rows, "count", None)
        if callable(count) and not isinstance(self.rows, Sequence):
            return count()  # a queryset: counted in the database
        return len(self.rows)

    def __getitem__(self, cut: slice) -> list:
        return [self.shape(row) for row in self.rows[cut]]


class Window:
    def __init__(self, read: Callable[[int, int], list], total: Callable[[], int]):
        self.read, self.total = read, total

    def __len__(self) -> int:
        return self.total()

    def __getitem__(self, cut: slice) -> list:
        start = cut.start or 0
        return self.read(start, cut.stop - start)
