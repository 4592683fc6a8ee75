"""Writing to the ledger: every access to resident data ends here, inside the caller's transaction.

`append` must be called inside the same transaction as the work it records (services open one);
because the head row is locked until that transaction ends, sequence numbers are handed out in
commit order and a rolled-back write takes its entry with it: no gaps, no orphans.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from .canonical import canonical_json, sha256_hex, snapshot
from .models import Entry, Head, Outcome, Version
from .verify import leaf_hash


@dataclass(frozen=True)
class Target:
    """What an entry is about: a resident (or none) and the record object touched."""

    resident_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    version_sha256: str = ""

    @classmethod
    def of(cls, instance, resident_id=None, version_sha256=""):
        return cls(
            resident_id=resident_id,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            version_sha256=version_sha256,
        )


def role_of(actor) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"
    return actor.role


def append_many(actor, action, targets, *, purpose, outcome=Outcome.ALLOWED) -> list[Entry]:
    """Append one entry per target, all with the same actor, action and purpose."""
    targets = list(targets)
    if not targets:
        return []
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    role = role_of(actor)
    with transaction.atomic():
        # The UPDATE takes the row lock that serialises appenders until our transaction ends.
        Head.objects.filter(pk=1).update(size=F("size") + len(targets))
        size = Head.objects.values_list("size", flat=True).get(pk=1)
        first = size - len(targets)
        now = timezone.now()
        entries = [
            Entry(
                seq=first + i,
                time=now,
                actor_id=actor_id,
                actor_role=role,
                action=action,
                resident_id=t.resident_id,
                object_type=t.object_type,
                object_id=t.object_id,
                purpose=purpose,
                outcome=outcome,
                version_sha256=t.version_sha256,
            )
            for i, t in enumerate(targets)
        ]
        for entry in entries:
            entry.leaf_hash = leaf_hash(canonical_json(entry.leaf()))
        Entry.objects.bulk_create(entries)
    return entries


def append(actor, action, target=Target(), *, purpose, outcome=Outcome.ALLOWED) -> Entry:
    return append_many(actor, action, [target], purpose=purpose, outcome=outcome)[0]


def save_version(actor, instance) -> Version:
    """Store the row's current content as its next version (call right after saving it)."""
    content = canonical_json(snapshot(instance, exclude=getattr(instance, "ledger_exclude", ())))
    object_type, object_id = instance._meta.label_lower, str(instance.pk)
    last = Version.objects.filter(object_type=object_type, object_id=object_id).aggregate(
        n=Max("number")
    )["n"]
    return Version.objects.create(
        object_type=object_type,
        object_id=object_id,
        number=(last or 0) + 1,
        time=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        content=content.decode("utf-8"),
        sha256=sha256_hex(content),
    )


def record_write(actor, action, instance, *, resident_id, purpose) -> Entry:
    """A write of a record row: its new version, and an entry that commits to that version."""
    with transaction.atomic():
        version = save_version(actor, instance)
        return append(
            actor,
            action,
            Target.of(instance, resident_id=resident_id, version_sha256=version.sha256),
            purpose=purpose,
        )


def current_version_hashes(object_type: str, object_ids) -> dict[str, str]:
    """The latest version hash of each row, in one query: what a read commits to."""
    ids = [str(i) for i in object_ids]
    latest = {}
    rows = (
        Version.objects.filter(object_type=object_type, object_id__in=ids)
        .order_by("object_id", "number")
        .values_list("object_id", "sha256")
    )
    for object_id, sha in rows:
        latest[object_id] = sha  # ordered by number, so the last one wins
    return latest


def record_reads(actor, action, instances, *, resident_of, purpose) -> list[Entry]:
    """Reads of record rows: one entry each, committing to the version that was read."""
    instances = list(instances)
    if not instances:
        return []
    object_type = instances[0]._meta.label_lower
    hashes = current_version_hashes(object_type, [i.pk for i in instances])
    targets = [
        Target.of(i, resident_id=resident_of(i), version_sha256=hashes.get(str(i.pk), ""))
        for i in instances
    ]
    return append_many(actor, action, targets, purpose=purpose)
