"""The API's description made complete in one place: short stable operation ids, summaries from
the docstrings, and the error answers every operation may give (docs/api.md).

A router states what is particular to its operation (its 400, 404, 409...); what holds for every
operation is added here, so the description cannot forget it: 401 where a log-in is needed, 403
on every write (a read-only token), 422 where there is input to check."""

import re
from collections import defaultdict

from .idempotency import PATTERN

DESCRIPTION = """The center's record over JSON, with the same access rules, services and
audit ledger as the pages: every read and write is on the ledger in the caller's name.

Authenticate with a bearer token (`Authorization: Bearer hc_...`: `homecoming token create`, or
the Tokens page of the account it acts for); a token is read-only or read-write and expires. A
browser session that is fully logged in works too.

Every list is paged with `limit` and `offset` and answers `{items, count, limit, offset}`. Every
error answers `{detail, code, errors?}`. A write sent with an `Idempotency-Key` header is done
once: a retry with the same key and body gets the first answer back. See docs/api.md."""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
WRITES = {"post", "put", "patch", "delete"}

ALWAYS = {
    400: (
        lambda op, method, path: "requestBody" in op,
        "The body is not JSON (code `malformed_body`); or the operation's own refusal, named in "
        "its description.",
    ),
    401: (
        lambda op, method, path: "security" in op,
        "No log-in and no valid token (code `not_authenticated`).",
    ),
    403: (
        lambda op, method, path: method in WRITES and "security" in op,
        "Refused: a read-only token on a write, or the access rules do not let you "
        "(code `forbidden`; the refusal is on the ledger).",
    ),
    409: (
        lambda op, method, path: method in WRITES,
        "The Idempotency-Key was used in the last 24 hours with another request (code "
        "`idempotency_key_reused`).",
    ),
    404: (
        lambda op, method, path: "{" in path,
        "Nothing with that id, or nothing you may know exists (code `not_found`).",
    ),
    422: (
        lambda op, method, path: bool(op.get("parameters") or op.get("requestBody")),
        "The request does not match this description (code `invalid_request`, every problem "
        "by field in `errors`).",
    ),
}


def operation_id(operation) -> str:
    """`<app>_<function>`: `residents_admit`, `alerts_acknowledge`."""
    app = operation.view_func.__module__.split(".")[1]
    return f"{app}_{operation.view_func.__name__}"


def _generated(op: dict) -> bool:
    """ninja's own summary, made from the function's name ("Get Resident")."""
    name = op["operationId"].split("_", 1)[1]
    return op.get("summary") == name.replace("_", " ").title()


def first_sentence(text: str) -> str:
    """The summary: the docstring's first sentence, up to its first full stop."""
    text = " ".join(text.split())
    match = re.search(r"\.(\s|$)", text)
    return text[: match.start()] if match else text


def complete(schema: dict) -> dict:
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            description = op.get("description", "")
            if description and _generated(op):
                op["summary"] = first_sentence(description)
            if method in WRITES:
                op.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            for status, (applies, said) in ALWAYS.items():
                if applies(op, method, path):
                    _declare(op["responses"], status, said)
    return schema


def _declare(responses: dict, status: int, said: str):
    """The answer every such operation may give, beside the operation's own for that status
    (a plan not ready is a 409 with what is missing; a reused key is a 409 Error)."""
    if status not in responses:
        responses[status] = {
            "description": said,
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        return
    answer = responses[status]
    content = answer.setdefault("content", {}).setdefault("application/json", {})
    own = content.get("schema")
    if own != ERROR_REF and said not in answer.get("description", ""):
        content["schema"] = {"anyOf": [own, ERROR_REF]} if own else ERROR_REF
        answer["description"] = f"{answer.get('description', '')} Or: {said}".strip()


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Any unique string of 1-200 printable ASCII characters (a UUID): the write "
    "is done once; the same key with the same request again gets the first answer back, with the "
    "header `Idempotent-Replayed: true`. Keys are kept 24 hours, per caller.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": PATTERN},
}


def errors_by_field(errors: list[dict]) -> dict[str, list[str]]:
    """ninja's validation errors, by the field a client sent: `given_name`, `limit`, `body`."""
    found = defaultdict(list)
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "given_name") -> "given_name"; ("query", "limit") -> "limit"
        field = ".".join(loc[2:]) if loc[:1] == ["body"] else ".".join(loc[1:])
        found[field or (loc[0] if loc else "request")].append(str(error.get("msg", "")))
    return dict(found)
