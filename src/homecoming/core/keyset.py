"""Keyset pages of a list that grows (a resident's notes, their questionnaires): newest first,
a page at a time, continued from the id of the last row shown rather than from an offset, so
page N costs what page 1 costs and a row written meanwhile neither repeats nor goes missing.

`?before=<id>` is the next page of older rows; `?after=<id>` the page of newer ones."""

from dataclasses import dataclass

PAGE = 25


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    before: int | None = None
    after: int | None = None

    @classmethod
    def from_query(cls, query) -> "Cursor":
        """From a page's query string; a 400 names every value that is not a row number."""
        values, problems, given = {}, [], 0
        for name in ("before", "after"):
            raw = query.get(name)
            if raw in (None, ""):
                continue
            given += 1
            if not raw.isdigit():
                problems.append(f"“{name}” must be a row number, not {raw!r}.")
                continue
            values[name] = int(raw)
        if given == 2:
            problems.append("Give “before” or “after”, not both.")
        if problems:
            raise BadCursor(" ".join(problems))
        return cls(**values)


@dataclass
class Page:
    rows: list
    older: int | None = None  # the `before` of the next older page, when there is one
    newer: int | None = None  # the `after` of the next newer page, when there is one


def page_of(queryset, cursor: Cursor, *, key=lambda row: row.pk, fetch=None, size=PAGE) -> Page:
    """One page of `queryset` (any order: it is ordered here by id), newest first. `fetch`
    turns an ordered queryset and a row count into the rows to show (for lists that leave some
    rows out after loading them); `key` gives a shown row's id."""
    fetch = fetch or (lambda qs, n: list(qs[:n]))
    if cursor.after is not None:
        rows = fetch(queryset.filter(pk__gt=cursor.after).order_by("pk"), size + 1)
        more = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            older=key(rows[-1]) if rows else cursor.after + 1,
            newer=key(rows[0]) if more else None,
        )
    qs = queryset.order_by("-pk")
    if cursor.before is not None:
        qs = qs.filter(pk__lt=cursor.before)
    rows = fetch(qs, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    newer = key(rows[0]) if cursor.before is not None and rows else None
    return Page(rows, older=key(rows[-1]) if more else None, newer=newer)
