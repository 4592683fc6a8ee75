"""The API's description holds every operation to the house conventions (docs/api.md): short
stable operation ids, a summary and a description written for an integrator, an example of
every request body, every list paged, every error in the one shape, and the docs page served
from the center itself. The walk is generic: an operation added later is held to it too.

Each test gathers every offender before failing, so one run names them all."""

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from homecoming.api import api

OPERATION_ID = re.compile(r"^[a-z]+_[a-z0-9_]+$")
PAGE_FIELDS = {"items", "count", "limit", "offset"}


@pytest.fixture(scope="module")
def schema():
    return api.get_openapi_schema()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def resolve(schema, node):
    """A schema with its $ref followed into components (as often as it takes)."""
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def json_schema(schema, content):
    return resolve(schema, (content or {}).get("application/json", {}).get("schema"))


def failed(what, offenders):
    return f"{len(offenders)} operation(s) {what}:\n  " + "\n  ".join(offenders)


def test_operation_ids_are_short_unique_and_stable(schema):
    seen, offenders = {}, []
    for where, op in operations(schema):
        op_id = op.get("operationId", "")
        if not OPERATION_ID.match(op_id) or len(op_id) > 40:
            offenders.append(f"{where}: {op_id!r} (want <app>_<function>, at most 40 chars)")
        if op_id in seen:
            offenders.append(f"{where}: {op_id!r} is also {seen[op_id]}")
        seen[op_id] = where
    assert not offenders, failed("with a bad operation id", offenders)


def test_every_operation_has_a_summary_and_a_description(schema):
    offenders = []
    for where, op in operations(schema):
        summary = op.get("summary") or ""
        function = op.get("operationId", "").split("_", 1)[-1]
        generated = function.replace("_", " ").title()
        if not summary or summary == generated:
            offenders.append(f"{where}: no summary of its own ({summary!r}): write a docstring")
        elif len(summary) > 80:
            offenders.append(f"{where}: summary of {len(summary)} chars: {summary!r}")
        description = op.get("description") or ""
        if len(description) <= len(summary):
            offenders.append(f"{where}: no description beyond the summary ({description!r})")
    assert not offenders, failed("without a proper summary or description", offenders)


def test_every_request_body_has_an_example(schema):
    offenders = []
    for where, op in operations(schema):
        body = op.get("requestBody")
        if not body:
            continue
        for media, content in body.get("content", {}).items():
            found = resolve(schema, content.get("schema"))
            if not (found or {}).get("examples") and not content.get("examples"):
                offenders.append(f"{where} ({media}): {content.get('schema')}")
    assert not offenders, failed("with a request body and no example", offenders)


def test_no_list_is_answered_unpaged(schema):
    offenders = []
    for where, op in operations(schema):
        answer = op["responses"].get("200") or op["responses"].get(200)
        if answer is None:
            continue
        found = json_schema(schema, answer.get("content"))
        if found is None:
            continue
        if found.get("type") == "array":
            offenders.append(f"{where}: a bare array (use @paginate(Pages))")
            continue
        # A page has every field of Pages (a questionnaire's `items` are its questions).
        properties = set(found.get("properties", {}))
        if {"items", "count"} <= properties and PAGE_FIELDS - properties:
            offenders.append(f"{where}: a page without {sorted(PAGE_FIELDS - properties)}")
    assert not offenders, failed("answering a list that is not paged", offenders)


def test_every_error_answer_is_the_one_error_shape(schema):
    offenders = []
    for where, op in operations(schema):
        for status, answer in op["responses"].items():
            if not str(status).startswith("4"):
                continue
            found = json_schema(schema, answer.get("content"))
            if found is None:
                offenders.append(f"{where} {status}: no JSON schema")
                continue
            # An operation's own error beside the one every operation may give: each an Error.
            for each in [resolve(schema, s) for s in found.get("anyOf", [found])]:
                properties = each.get("properties", {})
                if not {"detail", "code"} <= set(properties) or "code" not in each.get(
                    "required", []
                ):
                    offenders.append(f"{where} {status}: {each.get('title', each)} is not an Error")
    assert not offenders, failed("with an error answer not in the one shape", offenders)


def test_both_ways_to_authenticate_are_declared(schema):
    schemes = schema.get("components", {}).get("securitySchemes", {}).values()
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes), schemes
    assert any(s.get("type") == "apiKey" and s.get("in") == "cookie" for s in schemes), schemes


class _Loads(HTMLParser):
    """Every script and stylesheet a page loads."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_the_docs_page_loads_nothing_from_another_host(staff, client_for):
    response = client_for(staff["caseworker"]).get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    loads = _Loads()
    loads.feed(page)
    assert loads.urls, "the docs page loads no script: is it Swagger UI?"
    elsewhere = [u for u in loads.urls if urlparse(u).netloc or u.startswith("//")]
    assert not elsewhere, f"loaded from another host: {elsewhere}"
    # Nor does its own script fetch one (a CDN named in the page's inline code).
    assert not re.search(r"https?://(cdn|unpkg|cdnjs)\.", page), page
