"""Strings of many rows joined in one column, on SQLite and PostgreSQL alike.

Django 5.2 has StringAgg only for PostgreSQL (django.contrib.postgres); the round needs the same
on the embedded SQLite database, so a page of residents reads their allergies inside the query
that lists them instead of in a query of its own (the round's query budget, issue 15).
"""

from django.db.models import Aggregate, CharField, Value

# Between the joined values: a character no one types (ASCII unit separator).
SEPARATOR = "\x1f"


class Joined(Aggregate):
    """The group's values joined by SEPARATOR, in no particular order; split and sort them."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(SEPARATOR), **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra)


def split(joined: str | None) -> list[str]:
    return sorted(joined.split(SEPARATOR), key=str.casefold) if joined else []
