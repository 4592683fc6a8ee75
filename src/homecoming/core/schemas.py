"""The API's one error body, shared by every router so clients parse a single shape."""

from ninja import Schema


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None  # field name -> messages, for refused input
