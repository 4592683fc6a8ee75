"""Numbered pages of a list bounded by the building (a caseload, the medication round): page N
of M, where a person jumps to a page. Lists that grow with time page by keyset instead
(core/keyset.py). A page past the last shows the last: the list may have shrunk since the link
was drawn (a resident discharged, a dose given)."""

from dataclasses import dataclass


class BadPage(ValueError):
    pass


def page_asked(query) -> int:
    """The page a query string asks for (1 when it says none); BadPage says why not."""
    raw = query.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise BadPage(f"“{raw}” is not a page number: give 1, 2, 3…")
    return int(raw)


@dataclass(frozen=True)
class Place:
    page: int
    pages: int
    start: int  # the rows [start, stop) of the whole list are on this page
    stop: int


def place(total: int, page: int, size: int) -> Place:
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    return Place(page, pages, (page - 1) * size, page * size)
