"""Canonical JSON: the one byte form in which entries and record versions are hashed.

Sorted keys, UTF-8, no insignificant whitespace. The same rules are written down in
docs/ledger.md so that an outside verifier can reproduce every hash byte for byte.
"""

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal


def _plain(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be made canonical")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Exact, and independent of how many trailing zeros the database returned.
        return format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


# What json.dumps(obj, sort_keys=True, ...) builds on every call, built once: this encodes
# every ledger entry and record version, inside the writes it audits.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
)


def canonical_json(obj) -> bytes:
    return _ENCODER.encode(obj).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(instance, exclude=()) -> dict:
    """The content of one row as a plain dict: every concrete field, foreign keys by id."""
    fields = {}
    for field in instance._meta.concrete_fields:
        if field.attname in exclude or field.name in exclude:
            continue
        fields[field.attname] = field.value_from_object(instance)
    return {"type": instance._meta.label_lower, "id": instance.pk, "fields": fields}
