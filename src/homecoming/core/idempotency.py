"""Idempotency-Key on the API's writes: a retried request does not write twice (docs/api.md).

A client that sends a write with `Idempotency-Key: <unique string>` and does not hear back (a
dropped connection, a timeout) sends it again with the same key: the first write's answer comes
back, with `Idempotent-Replayed: true`, and nothing is written again. The same key with another
request is refused (409, `idempotency_key_reused`): it is a client's mistake, not a retry. (The
IETF draft suggests 422; here 422 means only "the request does not match the description", and
a key bound to another request conflicts with the server's state, which is what 409 says.)

Written here rather than taken from a package: the ones on PyPI key by a header alone (not by
the caller, so one client could replay another's answer), keep answers in the cache (lost on a
restart, when a retry is most likely) or are unmaintained. This keeps them in the database,
in the same transaction as the write, so a write and its answer are kept together or not at all.

Two parts, because ninja authenticates inside the operation:
- `once_per_key` wraps the whole operation (before the log-in is checked): it runs a keyed write
  in one transaction and keeps a 2xx answer in it. If another request with the same key won the
  race, this one's write is rolled back and the winner's answer is given instead.
- `replay_if_done` runs after the log-in is checked and before the function: a key this caller
  already used gets its answer back, or the refusal if the request differs. An error answer is
  not kept: the retry runs again (nothing was written)."""

import datetime as dt
import functools
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from homecoming.ledger import looks

from .models import IdempotentRequest

HEADER = "HTTP_IDEMPOTENCY_KEY"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
KEPT = dt.timedelta(hours=24)
MAX_LENGTH = 200
# Printable ASCII (what an HTTP header carries safely), no space at either end; the description
# states the same pattern (core/openapi.py), so a key the description allows is never refused.
PATTERN = r"^[!-~]([ -~]{0,198}[!-~])?$"


class _Raced(Exception):
    """Another request with the same key and caller was kept first: roll this one back."""


def _key(request) -> str | None:
    if request.method not in WRITES:
        return None
    return request.META.get(HEADER)


def _problem(status: int, detail: str, code: str, **extra) -> HttpResponse:
    body = {"detail": detail, "code": code, **extra}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def key_problem(key: str) -> str | None:
    if not re.fullmatch(PATTERN, key):
        return (
            f"The Idempotency-Key header must be 1-{MAX_LENGTH} printable ASCII characters with "
            "no space at either end (a UUID is a good key)."
        )
    return None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path()):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _live(caller, key):
    return IdempotentRequest.objects.filter(
        caller=caller, key=key, created_at__gt=timezone.now() - KEPT
    ).first()


def _replay(kept: IdempotentRequest, fingerprint: str) -> HttpResponse:
    if kept.fingerprint != fingerprint:
        return _problem(
            409,
            "This Idempotency-Key was used with another request in the last 24 hours: "
            "use a new key for a new request.",
            "idempotency_key_reused",
        )
    response = HttpResponse(bytes(kept.body), status=kept.status, content_type=kept.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def once_per_key(run):
    @functools.wraps(run)
    def keyed(request, *args, **kwargs):
        key = _key(request)
        if key is None:
            return run(request, *args, **kwargs)
        problem = key_problem(key)
        if problem:  # not as described: the same answer as any other such request
            said = f"The request does not match the API's description. Idempotency-Key: {problem}"
            errors = {"Idempotency-Key": [problem]}
            return _problem(422, said, "invalid_request", errors=errors)
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                _keep(request, response)
        except _Raced:
            looks.forget()  # what this request read was rolled back with it, never shown
            return _replay(_live(request.auth, key), request._idempotency_fingerprint)
        return response

    return keyed


def _keep(request, response):
    fingerprint = getattr(request, "_idempotency_fingerprint", None)
    if fingerprint is None or response.get("Idempotent-Replayed"):
        return  # not authenticated, or an answer given again
    if not 200 <= response.status_code < 300 or getattr(response, "streaming", False):
        return
    # A key kept longer than 24 hours is forgotten even before the worker deletes it.
    IdempotentRequest.objects.filter(
        caller=request.auth, key=_key(request), created_at__lte=timezone.now() - KEPT
    ).delete()
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                caller=request.auth,
                key=_key(request),
                fingerprint=fingerprint,
                status=response.status_code,
                content_type=response.get("Content-Type", "application/json"),
                body=response.content,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise _Raced from exc


def replay_if_done(view):
    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        key = _key(request)
        # An operation open to anyone (auth=None) sets no request.auth: nothing to key by.
        if key is None or getattr(request, "auth", None) is None:
            return view(request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        kept = _live(request.auth, key)
        if kept is not None:
            return _replay(kept, fingerprint)
        request._idempotency_fingerprint = fingerprint
        return view(request, *args, **kwargs)

    return checked


def forget_old() -> int:
    """The worker's hourly turn: keys older than 24 hours are forgotten, with their answers."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lte=timezone.now() - KEPT).delete()
    return deleted
