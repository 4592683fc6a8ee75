"""The audit ledger as AuditEvent: each entry about a resident (on their record, allowed or
refused) is one event, carrying its place in the ledger (sequence number, leaf hash) and the
first signed checkpoint whose tree holds it, so a reader can ask the ledger for the proof.

Entries that only name the resident in a list (a caseload, a bulk export: ledger Mention rows)
are not here: a Source is one table filtered by one resident field, and a list entry has none.
The resident reads those in "who looked" and in the copy of their record."""

from django.db.models import Exists, F, OuterRef, Q, Subquery

from homecoming.access.policy import Action
from homecoming.core.templatetags.ledger_words import ACTIONS, PURPOSES
from homecoming.ledger.looks import is_look
from homecoming.ledger.models import Checkpoint, Entry, Outcome, Version
from homecoming.ledger.selectors import OWN_READS_LISTED, RESIDENT_ROLE

from .resources import concept, instant, patient_ref, practitioner_ref, without_empty
from .sources import Source, register

DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
LEDGER_ACTION = "urn:homecoming:ledger-action"
LEDGER_PURPOSE = "urn:homecoming:ledger-purpose"
LEDGER_OBJECT = "urn:homecoming:ledger-object"
LEDGER_ENTRY = "urn:homecoming:ledger-entry"
OBSERVER = "Homecoming audit ledger"
# AuditEvent.outcome: 0 success; 4 minor failure (a request refused, nothing harmed).
OUTCOMES = {Outcome.ALLOWED: "0", Outcome.DENIED: "4"}


def rows():
    """Entries on a resident's record, each with the first checkpoint covering it (a tree of
    size n holds seq 0..n-1), whether it wrote a version, and whether its object had one before."""
    covering = Checkpoint.objects.filter(tree_size__gt=OuterRef("seq")).order_by("tree_size")
    earlier = Version.objects.filter(
        object_type=OuterRef("object_type"),
        object_id=OuterRef("object_id"),
        seq__lt=OuterRef("seq"),
    )
    return (
        Entry.objects.filter(resident__isnull=False)
        .select_related("actor", "resident")
        .annotate(
            checkpoint_size=Subquery(covering.values("tree_size")[:1]),
            checkpoint_root=Subquery(covering.values("root")[:1]),
            wrote=Exists(Version.objects.filter(seq=OuterRef("seq"))),
            versioned_before=Exists(earlier),
        )
    )


def own(qs):
    """What the resident's "who looked" lists: not their own reads (each page they open would
    bury everyone else's accesses), but their own changes and downloads."""
    wrote = Version.objects.filter(seq=OuterRef("seq"))
    return qs.exclude(
        Q(actor_id=F("resident__user_id")) & ~Exists(wrote) & ~Q(action__in=OWN_READS_LISTED)
    )


def event_action(entry: Entry) -> str:
    """C/U for an entry that wrote a version (C its object's first), R for a read shown on a
    page or in an answer, E for every other act (a recording played, a download, an export).
    A read names the version it read too: what was written is the Version row of its seq."""
    if entry.wrote:
        return "U" if entry.versioned_before else "C"
    return "R" if is_look(entry.action) else "E"


def agent(entry: Entry) -> dict:
    """Who acted, as the resident's "who looked" names them: staff by name, the resident as
    themself, the command line and the worker as the system, and any other resident without a
    name (their name is their own record, which this one's readers may not read)."""
    found = {"role": [concept(entry.actor_role)] if entry.actor_role else None, "requestor": True}
    actor = entry.actor
    if actor is None:
        return without_empty({**found, "who": {"display": "the system"}})
    own = actor.pk == entry.resident.user_id if entry.resident_id else False
    if own:
        who = {**patient_ref(entry.resident_id), "display": actor.full_name or actor.username}
    elif RESIDENT_ROLE in (entry.actor_role, actor.role):
        who = {"display": "another resident"}
    else:
        who = practitioner_ref(actor)
    return without_empty({**found, "who": who})


def ledger_entity(entry: Entry) -> dict:
    """The entry itself: its place in the ledger, and the signed checkpoint that covers it. An
    entry newer than every checkpoint says so, rather than name one that does not hold it."""
    details = [
        {"type": "seq", "valueString": str(entry.seq)},
        {"type": "leaf_hash", "valueString": bytes(entry.leaf_hash).hex()},
    ]
    covered = entry.checkpoint_size is not None
    if covered:
        root = bytes(entry.checkpoint_root).hex()
        details.append(
            {"type": "checkpoint", "valueString": f"tree_size={entry.checkpoint_size} root={root}"}
        )
    return without_empty(
        {
            "what": {"identifier": {"system": LEDGER_ENTRY, "value": str(entry.seq)}},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "description": None if covered else "Not yet covered by a signed checkpoint.",
            "detail": details,
        }
    )


def entities(entry: Entry) -> list[dict]:
    found = [
        {
            "what": patient_ref(entry.resident_id),
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        }
    ]
    if entry.object_type:
        touched = f"{entry.object_type}#{entry.object_id}" if entry.object_id else entry.object_type
        found.append(
            {
                "what": {"identifier": {"system": LEDGER_OBJECT, "value": touched}},
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            }
        )
    return [*found, ledger_entity(entry)]


def audit_event(entry: Entry) -> dict:
    purpose = entry.purpose
    return without_empty(
        {
            "type": {"system": DICOM, "code": "110110", "display": "Patient Record"},
            "subtype": [
                {
                    "system": LEDGER_ACTION,
                    "code": entry.action,
                    "display": ACTIONS.get(entry.action, entry.action),
                }
            ],
            "action": event_action(entry),
            "recorded": instant(entry.time),
            "outcome": OUTCOMES[entry.outcome],
            "outcomeDesc": "refused" if entry.outcome == Outcome.DENIED else None,
            "purposeOfEvent": (
                [concept(PURPOSES.get(purpose, purpose), LEDGER_PURPOSE, purpose)]
                if purpose and purpose != "none"
                else None
            ),
            "agent": [agent(entry)],
            "source": {"observer": {"display": OBSERVER}},
            "entity": entities(entry),
        }
    )


register(
    Source(
        type="AuditEvent",
        rows=rows,
        resource=audit_event,
        action=Action.VIEW_ACCESS_TRAIL,
        section="who looked",
        resident="resident_id",
        date="time",
        # Entries are never changed: an entry was last updated when it was written.
        updated="time",
        own=own,
    )
)
