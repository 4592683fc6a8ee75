"""The shape of a home-page worklist: the first few rows, oldest first, and how many there are.

A list on the home page names residents, so it is short: the page costs the same whether a
person has three drafts waiting or three hundred (one query for the rows and their count).
The rest opens on the list's own page, where there is one."""

from dataclasses import dataclass, field

from django.db.models import Count, Window

# How many rows a home-page list shows before it says "and N more".
SHOWN = 10


@dataclass
class Short:
    rows: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)

    def __bool__(self) -> bool:
        return self.total > 0


def of(queryset, limit: int = SHOWN) -> Short:
    """The first `limit` rows of an ordered queryset and the count of all of them, in one query
    however many there are: the count is a window over the whole list, computed before LIMIT."""
    rows = list(queryset.annotate(listed_total=Window(Count("pk")))[:limit])
    return Short(rows=rows, total=rows[0].listed_total if rows else 0)
