"""The API's one error body and its one page of a list, shared by every router so clients parse
a single shape (docs/api.md)."""

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.responses import Status
from pydantic import BeforeValidator

# The machine-readable code of an error, when the router names none: one per status.
CODE_OF_STATUS = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "unprocessable",
    429: "too_many_requests",
    503: "unavailable",
}


class Error(Schema):
    """Every error the API answers: a sentence for people, a code for programs, and for refused
    input the messages field by field."""

    detail: str = Field(description="What went wrong, in a sentence a person can act on.")
    code: str = Field(
        description="Stable and machine-readable: `invalid`, `not_authenticated`, `forbidden`, "
        "`not_found`, `conflict`, `unprocessable`, `unavailable`, or a more precise one named "
        "in the operation's description (docs/api.md lists them all)."
    )
    errors: dict[str, list[str]] | None = Field(
        None, description="For refused input: field name -> every message about it."
    )


def problem(status: int, detail: str, *, code: str | None = None, **extra: Any) -> Status:
    """An error answer in the one shape: `return problem(403, str(exc))`."""
    return Status(status, {"detail": detail, "code": code or CODE_OF_STATUS[status], **extra})


class Pages(LimitOffsetPagination):
    """Every list of the API, paged the same way: `?limit=` (1-500, default 50) and `?offset=`;
    the answer is `{"items": [...], "count": total, "limit": n, "offset": n}`.

    Use it as ninja's paginator on an operation whose 200 answer is a list:
    `@router.get(..., response={200: list[Out], ...})` then `@paginate(Pages)`. A page is cut
    from what the selector returns (a queryset is sliced in the database)."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500, description="How many items at most (1-500).")
        offset: int = Field(0, ge=0, description="How many items to skip from the start.")

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="How many items the whole list holds.")
        limit: int
        offset: int

    def paginate_queryset(self, queryset, pagination, request, **params):
        offset, limit = pagination.offset, pagination.limit
        return {
            "items": queryset[offset : offset + limit],
            "count": self._items_count(queryset),
            "limit": limit,
            "offset": offset,
        }


def _written(kind: str, pattern: str):
    """pydantic reads a number as a date or time (seconds since 1970: `0` is 1 January 1970);
    the description says a date is written `YYYY-MM-DD`, so a number is refused, as described."""

    def check(value):
        if isinstance(value, (bool, int, float)) or (
            isinstance(value, (str, bytes)) and not re.match(pattern, str(value))
        ):
            raise ValueError(f"a {kind} is written {pattern_words[kind]}")
        return value

    return BeforeValidator(check)


pattern_words = {
    "date": "YYYY-MM-DD",
    "time": "YYYY-MM-DDTHH:MM[:SS][offset], ISO 8601",
}
# Use these, not dt.date and dt.datetime, for what a client sends (bodies and query strings).
Day = Annotated[dt.date, _written("date", r"^\d{4}-\d{2}-\d{2}$")]
Moment = Annotated[dt.datetime, _written("time", r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")]
