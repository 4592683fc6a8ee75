"""The audit ledger's tables: entries (one per access, allowed or denied) and record versions.

Both are append-only: the code only ever inserts, and database triggers (see the migrations)
refuse UPDATE and DELETE, so even a mistaken or malicious query cannot rewrite history quietly.
An entry holds identifiers, codes and hashes only, never health information in clear, so that a
ledger export can be handed to an outsider.
"""

import functools
import json

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "allowed"
    DENIED = "denied", "denied"


class Head(models.Model):
    """The single row that serialises appends: locking it hands out gap-free sequence numbers."""

    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")
        ]

    def __str__(self):
        return f"ledger of {self.size} entries"


class Entry(models.Model):
    seq = models.PositiveBigIntegerField(primary_key=True)
    time = models.DateTimeField()
    # No index of their own for actor and resident: the (actor, seq) and (resident, seq) indexes
    # below serve every lookup by either, and each index is one more page every write commits.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_role = models.CharField(max_length=32)
    action = models.CharField(max_length=64)
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=32)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    version_sha256 = models.CharField(max_length=64, blank=True)
    # A look (issue 15): what one request disclosed, as canonical JSON codes and numbers only:
    # {"sections": ["chart", "notes", ...]} about one resident, {"residents": [ids]} for a list,
    # and "via" naming the break-glass or grant it was opened under. NULL on every other entry,
    # and then absent from the leaf, so entries written before this column hash as they did.
    detail = models.TextField(null=True, blank=True)
    # RFC 6962 leaf hash of this entry's canonical JSON, computed once at append: the tree,
    # its checkpoints and proofs are built from these.
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["resident", "seq"]),
            models.Index(fields=["actor", "seq"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.outcome}"

    def leaf(self) -> dict:
        """The entry as the ledger's leaf: this dict's canonical JSON is what gets hashed."""
        leaf = {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor_id,
            "role": self.actor_role,
            "action": self.action,
            "resident": self.resident_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "version": self.version_sha256 or None,
        }
        if self.detail is not None:
            leaf["detail"] = json.loads(self.detail)
        return leaf

    @functools.cached_property
    def details(self) -> dict:
        """The detail, parsed once (an entry never changes)."""
        return json.loads(self.detail) if self.detail else {}

    @property
    def sections(self) -> list[str]:
        return self.details.get("sections", [])

    @property
    def residents_named(self) -> list[int]:
        """The residents a list entry names (a list is one entry, not one per name)."""
        return self.details.get("residents", [])


class Mention(models.Model):
    """A resident named by a list entry: the index that finds that entry in the resident's own
    "who looked" and bundle. Derived from the entry's leaf (its detail), append-only like it."""

    seq = models.PositiveBigIntegerField()
    resident = models.ForeignKey(
        "residents.Resident",
        on_delete=models.PROTECT,
        related_name="ledger_mentions",
        db_index=False,  # the unique (resident, seq) serves
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resident", "seq"], name="ledger_mention_once")
        ]

    def __str__(self):
        return f"resident #{self.resident_id} named by #{self.seq}"


def about(resident_id) -> models.Q:
    """Entries about a resident: on their record, or a list that named them."""
    named = Mention.objects.filter(resident_id=resident_id).values("seq")
    return models.Q(resident_id=resident_id) | models.Q(seq__in=named)


class Node(models.Model):
    """A completed perfect subtree of the ledger's Merkle tree above the leaves (level >= 1):
    leaves [index * 2**level, (index + 1) * 2**level). Written when a checkpoint extends the
    tree, so a proof is a handful of lookups instead of a pass over every entry."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="ledger_node_unique")
        ]

    def __str__(self):
        return f"node {self.level}/{self.index}"


class Checkpoint(models.Model):
    """A signed statement of the tree's size and root, kept forever and sent to witnesses."""

    tree_size = models.PositiveBigIntegerField(unique=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField(help_text="The C2SP signed note, exactly as signed.")
    # The compact range at this size (hex hashes): lets the next checkpoint extend the tree
    # without reading old entries again.
    frontier = models.JSONField(default=list)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["tree_size"]

    def __str__(self):
        return f"checkpoint of {self.tree_size}"


class Witness(models.Model):
    """Somewhere outside the operator's control that keeps every checkpoint: an HTTPS endpoint
    speaking C2SP tlog-witness, or a folder that another system collects."""

    address = models.CharField(max_length=500, unique=True)
    # The largest tree size the witness has accepted from us: the next delivery proves
    # consistency from it.
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return self.address


class Delivery(models.Model):
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="deliveries")
    witness = models.ForeignKey(Witness, on_delete=models.PROTECT, related_name="deliveries")
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    # The witness's answer to an accepted checkpoint: its C2SP cosignature line(s), which every
    # bundle of this checkpoint carries. Forging one needs the witness's key, not the database.
    cosignature = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"])]

    def __str__(self):
        return f"{self.checkpoint} to {self.witness}"

    @property
    def refused(self) -> bool:
        """The witness refused this checkpoint at the last attempt (witnesses.py writes
        "REFUSED: …"), rather than being out of reach."""
        return self.last_error.startswith("REFUSED")


class Version(models.Model):
    """One saved state of a record row: its canonical content and that content's SHA-256."""

    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    # The ledger entry that wrote this version: versions are ordered by it, and each entry
    # writes at most one version.
    seq = models.PositiveBigIntegerField(unique=True)
    time = models.DateTimeField()
    # Not indexed: nothing looks versions up by who wrote them (what a person did is read from
    # the entries, by their (actor, seq) index), and accounts are never deleted (a trigger
    # refuses it), so no delete needs to find the versions an account wrote.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    # The resident whose record the row belongs to (the entry's, copied): a resident's history
    # is read from their versions alone, newest first by this index, so a page of it costs the
    # same however many reads the ledger holds (the entries about a resident are mostly reads).
    # Not part of what the ledger commits to: the entry's own resident is.
    resident = models.ForeignKey(
        "residents.Resident",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the (resident, seq) index below serves
    )

    class Meta:
        ordering = ["object_type", "object_id", "seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["resident", "seq"], name="ledger_version_resident_seq"),
        ]

    def __str__(self):
        return f"{self.object_type}#{self.object_id} at #{self.seq}"
