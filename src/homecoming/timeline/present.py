"""Turning stored record versions back into words: field labels, values in the center's time
zone, names instead of ids, and a one-line summary of each change.

Versions are canonical JSON (see ledger.canonical): dates as ISO strings, foreign keys as ids.
Names are looked up for a whole page at once (`Names`), one query per kind of row referenced,
so a page of fifty events costs the same few queries as a page of five.
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst

from homecoming.core import dates
from homecoming.core.templatetags.ledger_words import action_words
from homecoming.safety.terms import name_of as term_name
from homecoming.vitals import words as vital_words

# Shown nowhere: the resident is whose record this is, and ids say nothing to a reader; a link's
# secret is kept only as its hash, which says nothing either.
HIDDEN_FIELDS = {"id", "resident_id", "secret_sha256"}

# What a referenced row's name reads through (an order is named by its medicine): fetched with it,
# so naming fifty doses costs one query, not fifty.
NAMED_THROUGH = {"medications.order": ("protocol",)}


@dataclass
class Version:
    """One stored state of a record row, parsed."""

    object_type: str
    object_id: str
    seq: int
    fields: dict

    @property
    def model(self):
        try:
            return apps.get_model(self.object_type)
        except (LookupError, ValueError):
            return None


def parse(object_type, object_id, seq, content: str) -> Version:
    return Version(object_type, object_id, seq, json.loads(content)["fields"])


def local_datetime(value: str) -> str:
    moment = parse_datetime(value)
    if moment is None:
        return value
    return f"{dates.weekday(moment)} {dates.moment(moment)}"


class Names:
    """The rows that versions point to, fetched in bulk: {model: {pk: row}}."""

    def __init__(self, versions):
        wanted: dict = {}
        for v in versions:
            model = v.model
            if model is None:
                continue
            for field in model._meta.concrete_fields:
                if field.attname in HIDDEN_FIELDS:
                    continue
                if field.is_relation and v.fields.get(field.attname) is not None:
                    wanted.setdefault(field.related_model, set()).add(v.fields[field.attname])
        self.rows = {
            m: m.objects.select_related(*NAMED_THROUGH.get(m._meta.label_lower, ())).in_bulk(ids)
            for m, ids in wanted.items()
        }
        self._by_label = {m._meta.label_lower: rows for m, rows in self.rows.items()}

    def row(self, label: str, pk):
        """A referenced row itself (None when not fetched)."""
        return self._by_label.get(label, {}).get(pk)

    def of(self, model, pk) -> str:
        row = self.rows.get(model, {}).get(pk)
        if row is None:
            return "a row no longer readable"
        label = model._meta.label_lower
        if label == "medications.order":  # "Ibuprofen 400 mg", not the order's number
            return str(row)
        if label == "encounters.note":  # a note is known by its kind and day, not its number
            kind = row.get_template_display().split(" ")[0]
            return f"{kind} note of {dates.day(row.created_at)}"
        starts_at = getattr(row, "starts_at", None)  # a session is known by its time
        if starts_at is not None:
            return f"{row} on {dates.weekday(starts_at)} {dates.moment(starts_at)}"
        return str(row)


def value_words(field, value, names: Names) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return names.of(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        return local_datetime(value)
    if isinstance(field, models.DateField):
        parsed = parse_date(value)
        return dates.day(parsed) if parsed else value
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_rows(version: Version, names: Names) -> list[tuple[str, str]]:
    """(label, value) for every field of the version, in the model's field order."""
    model = version.model
    if model is None:
        return [(k, str(v)) for k, v in version.fields.items()]
    rows = []
    for field in model._meta.concrete_fields:
        if field.attname in HIDDEN_FIELDS or field.attname not in version.fields:
            continue
        value = version.fields[field.attname]
        if isinstance(field, models.JSONField) and isinstance(value, dict):
            # A note's sections, a questionnaire's findings: one line each, readable.
            rows.extend(
                (f"{capfirst(field.verbose_name)}: {k}", str(v) or "—") for k, v in value.items()
            )
            continue
        rows.append((capfirst(field.verbose_name), value_words(field, value, names)))
    return rows


def _get(version, names, attname):
    model = version.model
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return value_words(field, version.fields.get(attname), names)


def _amount(value) -> str:
    """A stored decimal ("400.000") as a person writes it ("400")."""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _dose(v, n) -> str:
    """What happened to one dose, as the nurse would say it."""
    order, by, status = _get(v, n, "order_id"), _get(v, n, "recorded_by_id"), v.fields.get("status")
    if status == "given":
        words = f"{order} given by {by}"
        ordered = n.row("medications.order", v.fields.get("order_id"))
        amount = v.fields.get("dose_amount")
        as_ordered = (
            ordered is not None
            and amount is not None
            and (
                Decimal(str(amount)) == ordered.dose_amount
                and v.fields.get("dose_unit") == ordered.dose_unit
            )
        )
        if amount is not None and not as_ordered:  # "Ibuprofen 400 mg: 200 mg given by ..."
            words = (
                f"{order}: {_amount(v.fields['dose_amount'])} {v.fields.get('dose_unit')} "
                f"given by {by}"
            )
        if v.fields.get("witness_id"):
            words += f", witnessed by {_get(v, n, 'witness_id')}"
        if v.fields.get("override_cosigner_id"):
            words += f", past a stop co-signed by {_get(v, n, 'override_cosigner_id')}"
        return words
    if status == "held":
        return f"{order} held by {by}: {v.fields.get('reason')}"
    return f"{order}: {_get(v, n, 'status').lower()} (recorded by {by})"


def _stops(v) -> str:
    return " ".join(s.get("message", "") for s in v.fields.get("stops") or [])


# The few words that identify a row in a summary line, per kind of row.
IDENTIFY = {
    "residents.resident": lambda v, n: "intake record",
    "accounts.user": lambda v, n: f"portal log-in {v.fields.get('username')}",
    "residents.deployment": lambda v, n: f"deployment to {v.fields.get('location')}",
    "residents.stay": lambda v, n: (
        f"stay from {_get(v, n, 'admitted_on')} ({_get(v, n, 'status').lower()})"
    ),
    "residents.staycancellation": lambda v, n: (
        f"planned admission cancelled: {v.fields.get('reason')}"
    ),
    "residents.residentphoto": lambda v, n: f"photo taken by {_get(v, n, 'uploaded_by_id')}",
    "residents.bedassignment": lambda v, n: f"bed {_get(v, n, 'bed_id')}",
    "residents.careteammember": lambda v, n: (
        f"{_get(v, n, 'team_role').lower()}: {_get(v, n, 'user_id')}"
    ),
    "encounters.session": lambda v, n: (
        f"{_get(v, n, 'kind').lower()} on "
        f"{_get(v, n, 'starts_at')} ({_get(v, n, 'status').lower()})"
    ),
    "encounters.sessionmove": lambda v, n: (
        f"{_get(v, n, 'session_id')} moved from {_get(v, n, 'from_starts_at')} to "
        f"{_get(v, n, 'to_starts_at')}: {v.fields.get('reason')}"
    ),
    "encounters.sessionattendee": lambda v, n: (
        f"{_get(v, n, 'session_id')}: {_get(v, n, 'attendance').lower()}"
    ),
    "encounters.note": lambda v, n: (
        f"{v.fields.get('template', '').upper()} note"
        + (f" of the {_get(v, n, 'session_id')}" if v.fields.get("session_id") else "")
        + (" (signed)" if v.fields.get("signed_at") else " (draft)")
    ),
    "encounters.addendum": lambda v, n: (
        f"addendum to the {_get(v, n, 'note_id')}: {v.fields.get('reason')}"
    ),
    "encounters.cosignature": lambda v, n: f"co-signature of the {_get(v, n, 'note_id')}",
    "encounters.noterelease": lambda v, n: (
        f"the {_get(v, n, 'note_id')} "
        + (f"withheld ({_get(v, n, 'reason')})" if v.fields.get("withheld") else "released")
    ),
    "encounters.recording": lambda v, n: (
        f"recording {v.fields.get('original_name')} ({v.fields.get('content_type')})"
    ),
    "measures.questionnaire": lambda v, n: (
        f"{_get(v, n, 'instrument')}: total "
        f"{v.fields.get('total')}" + (f" ({v.fields['band']})" if v.fields.get("band") else "")
    ),
    "medications.allergy": lambda v, n: (
        f"{_get(v, n, 'kind').lower()} to {v.fields.get('substance')} "
        f"({_get(v, n, 'severity').lower()}: {v.fields.get('reaction')})"
        + ("" if v.fields.get("status") == "active" else f" ({_get(v, n, 'status').lower()})")
    ),
    "medications.noknownallergies": lambda v, n: "no known allergies",
    "vitals.vitalsigns": lambda v, n: (
        vital_words.summary(v.fields) + (" (entered in error)" if v.fields.get("error_at") else "")
    ),
    "medications.allergyoverride": lambda v, n: (
        f"order written despite an allergy, co-signed by {_get(v, n, 'cosigner_id')}"
    ),
    "medications.order": lambda v, n: (
        f"{_get(v, n, 'protocol_id')}: {_amount(v.fields.get('dose_amount'))} "
        f"{v.fields.get('dose_unit')} {_get(v, n, 'route').lower()}, "
        f"{_get(v, n, 'frequency').lower()}, prescribed by {_get(v, n, 'prescribed_by_id')}"
        + (
            f" (discontinued: {v.fields.get('discontinue_reason')})"
            if v.fields.get("discontinued_at")
            else ""
        )
    ),
    "medications.ordercheck": lambda v, n: (
        f"checks when {_get(v, n, 'order_id')} was ordered"
        + (
            f": an interaction overridden, co-signed by {_get(v, n, 'override_cosigner_id')}"
            if v.fields.get("override_cosigner_id")
            else ""
        )
    ),
    "medications.orderstop": lambda v, n: (
        f"{_get(v, n, 'protocol_id')} order stopped ({v.fields.get('ordered')}): {_stops(v)}"
    ),
    "medications.administration": _dose,
    "medications.dosestop": lambda v, n: (
        f"{_get(v, n, 'order_id')} stopped before it was given: {_stops(v)}"
    ),
    "safety.adverseevent": lambda v, n: (
        f"side effect reported: {term_name(v.fields.get('term', ''))} "
        f"({_get(v, n, 'seriousness').lower()}; {_get(v, n, 'outcome').lower()})"
    ),
    "safety.suspect": lambda v, n: f"medicine suspected: {v.fields.get('drug')}",
    "discharge.dischargeplan": lambda v, n: (
        f"discharge plan ({_get(v, n, 'status').lower()}): {_get(v, n, 'disposition').lower()}"
    ),
    "followup.contact": lambda v, n: (
        f"day-{v.fields.get('interval_days')} follow-up, due {_get(v, n, 'due_on')} "
        f"({_get(v, n, 'status').lower()})"
    ),
    "followup.attempt": lambda v, n: (
        f"follow-up attempt by {_get(v, n, 'method').lower()}: {_get(v, n, 'outcome').lower()}"
    ),
    "followup.checkinlink": lambda v, n: (
        f"check-in link sent to {v.fields.get('sent_to')}"
        + (" (used)" if v.fields.get("used_at") else "")
        + (" (revoked)" if v.fields.get("revoked_at") else "")
    ),
    "followup.checkin": lambda v, n: "check-in answered",
    "followup.lost": lambda v, n: (
        f"lost to follow-up ({_get(v, n, 'because').lower()})"
        + (f"; closed: {v.fields.get('closed_reason')}" if v.fields.get("closed_at") else "")
    ),
    "access.breakglass": lambda v, n: (
        f"break-glass access by {_get(v, n, 'actor_id')}: {v.fields.get('reason')}"
    ),
    "conversations.thread": lambda v, n: f"message thread “{v.fields.get('subject')}”",
    "conversations.message": lambda v, n: (
        f"message from {_get(v, n, 'author_id')}"
        + (" (the resident)" if v.fields.get("from_resident") else "")
    ),
    "conversations.receipt": lambda v, n: f"a message read by {_get(v, n, 'reader_id')}",
    "safetyplans.safetyplan": lambda v, n: f"safety plan, version {v.fields.get('number')}",
    "safetyplans.riskflag": lambda v, n: (
        f"risk flag: {v.fields.get('reason')}"
        + (f" (cleared: {v.fields['cleared_reason']})" if v.fields.get("cleared_at") else "")
    ),
    "corrections.correctionrequest": lambda v, n: (
        f"correction request about {v.fields.get('entry_label')}: {v.fields.get('what_is_wrong')}"
    ),
    "corrections.correctionanswer": lambda v, n: (
        f"correction request {_get(v, n, 'outcome').lower()}: {v.fields.get('statement')}"
    ),
    "corrections.disagreement": lambda v, n: f"statement of disagreement: {v.fields.get('text')}",
    "consents.consent": lambda v, n: (
        f"consent to {_get(v, n, 'document_id')}"
        + (" (revoked)" if v.fields.get("revoked_at") else "")
    ),
}


def identify(version: Version, names: Names) -> str:
    describe = IDENTIFY.get(version.object_type)
    if describe is None or version.model is None:
        # A row no kind names yet (tests/timeline/test_kinds.py fails until one does): its
        # model's own name, never the table's.
        model = version.model
        return str(model._meta.verbose_name) if model is not None else "a record row"
    return describe(version, names)


def summary(action: str, version: Version, names: Names) -> str:
    words = action_words(action)
    return f"{words[:1].upper()}{words[1:]}: {identify(version, names)}"
