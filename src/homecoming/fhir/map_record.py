"""The record's signed and safety parts: consents (Consent), adverse event reports (AdverseEvent),
risk flags (Flag), signed notes and discharge summaries (DocumentReference), and who signed,
co-signed and added to a note (Provenance).

What a resident reads of their own follows the portal (record/own_copy.py reads the same
selectors): every consent and adverse event report, no risk flag (the flags are the staff's),
and only the notes released to them, with the signatures and addenda of those notes alone."""

import base64
from html import escape

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Now, TruncDate
from django.utils import timezone

from homecoming.access.policy import Action
from homecoming.accounts.models import Role
from homecoming.consents.models import PENDING, Consent, ConsentPurpose
from homecoming.consents.selectors import _line as consent_line
from homecoming.core import dates
from homecoming.discharge.models import DischargePlan, PlanStatus
from homecoming.encounters.models import (
    Addendum,
    CoSignature,
    Note,
    NoteRelease,
    SessionAttendee,
)
from homecoming.safety import terms
from homecoming.safety.models import AdverseEvent, EventOutcome, Suspect
from homecoming.safetyplans.models import RiskFlag

from .resources import (
    concept,
    instant,
    patient_ref,
    period,
    practitioner_ref,
    ref,
    when,
    without_empty,
)
from .sources import Source, register

LOINC = "http://loinc.org"
TERM_SYSTEM = "urn:homecoming:adverse-event-term"
CONSENT_PURPOSE_SYSTEM = "urn:homecoming:consent-purpose"


def _narrative(*paragraphs: str) -> dict | None:
    """Words the structured elements have no place for (a flag's clearing, the reporter's own
    description), as the resource's narrative: "additional" says it holds more than they do."""
    shown = "".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)
    if not shown:
        return None
    return {
        "status": "additional",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{shown}</div>',
    }


def _text_attachment(text: str, title: str, created=None) -> dict:
    return without_empty(
        {
            "contentType": "text/plain; charset=utf-8",
            "data": base64.b64encode(text.encode()).decode(),
            "title": title,
            "creation": when(created),
        }
    )


def _person_ref(user, resident_id: int) -> dict | None:
    """Whoever did it: the resident themself (from the portal) as the Patient, staff as a
    Practitioner."""
    if user is not None and user.role == Role.RESIDENT:
        return patient_ref(resident_id)
    return practitioner_ref(user)


# --- Consent ----------------------------------------------------------------------------------

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
SCOPES = {
    ConsentPurpose.TREATMENT: ("treatment", "Treatment"),
    ConsentPurpose.MEDICATION: ("treatment", "Treatment"),
    # The resident agrees to be given the investigational medicine: consent to a treatment.
    ConsentPurpose.INVESTIGATIONAL: ("treatment", "Treatment"),
    ConsentPurpose.RESEARCH: ("research", "Research"),
    # Recording sessions and sharing data are about who holds what of the resident's record.
    ConsentPurpose.RECORDING: ("patient-privacy", "Privacy Consent"),
    ConsentPurpose.SPONSOR_SHARING: ("patient-privacy", "Privacy Consent"),
}
# The statuses as the consent pages decide them (consents/selectors.py `_line`), in the
# database at the moment of the search: in force, waiting for the resident or a witness, ended.
_REVOKED = Q(revoked_at__isnull=False, revoked_at__lte=Now())
_LAPSED = Q(document__ethics_approval_expires__lt=TruncDate(Now()))
CONSENT_PROPOSED = PENDING & Q(revoked_at__isnull=True)
CONSENT_ACTIVE = ~PENDING & Q(signed_at__lte=Now()) & ~_REVOKED & ~_LAPSED
CONSENT_STATUSES = {
    "active": CONSENT_ACTIVE,
    "proposed": CONSENT_PROPOSED,
    "inactive": ~CONSENT_ACTIVE & ~CONSENT_PROPOSED,
}


def _consent_status(row: Consent) -> str:
    now = timezone.now()
    line = consent_line(row, now, timezone.localdate(now))  # as the consent pages say it
    if line.counts:
        return "active"
    return "proposed" if line.waiting else "inactive"


def consent(row: Consent) -> dict:
    document = row.document
    scope, scope_display = SCOPES[document.purpose]
    ends = row.revoked_at or document.ethics_approval_expires
    return without_empty(
        {
            "status": _consent_status(row),
            "scope": concept(scope_display, CONSENT_SCOPE, scope, scope_display),
            "category": [concept("Consent document", LOINC, "59284-0")],
            "patient": patient_ref(row.resident_id),
            "dateTime": instant(row.signed_at),
            "performer": [patient_ref(row.resident_id)],
            # The document the resident signed, by its title and version, with its text.
            "sourceAttachment": _text_attachment(
                document.body, f"{document.title} (version {document.version})"
            ),
            # Signing is opting in to what the document describes.
            "policyRule": concept(
                "Opt in", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"
            ),
            "provision": without_empty(
                {
                    "type": "permit",
                    "period": period(row.signed_at, ends),
                    "purpose": [
                        {
                            "system": CONSENT_PURPOSE_SYSTEM,
                            "code": document.purpose,
                            "display": document.get_purpose_display(),
                        }
                    ],
                }
            ),
            "text": _narrative(
                row.revocation_reason and f"Withdrawn: {row.revocation_reason}",
            ),
        }
    )


# --- AdverseEvent -----------------------------------------------------------------------------

SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
OUTCOMES = {
    EventOutcome.RECOVERED: ("resolved", "Resolved"),
    EventOutcome.RECOVERING: ("recovering", "Recovering"),
    EventOutcome.NOT_RECOVERED: ("ongoing", "Ongoing"),
    EventOutcome.RECOVERED_WITH_SEQUELAE: ("resolvedWithSequelae", "Resolved with Sequelae"),
    EventOutcome.FATAL: ("fatal", "Fatal"),
    EventOutcome.UNKNOWN: ("unknown", "Unknown"),
}


def _seriousness(event: AdverseEvent) -> dict:
    code, display = ("serious", "Serious") if event.serious else ("non-serious", "Non-serious")
    return concept(event.get_seriousness_display(), SERIOUSNESS, code, display)


def adverse_event(row: AdverseEvent) -> dict:
    code, display = OUTCOMES[row.outcome]
    return without_empty(
        {
            "actuality": "actual",
            "event": concept(terms.name_of(row.term), TERM_SYSTEM, row.term),
            "subject": patient_ref(row.resident_id),
            "date": row.onset.isoformat(),
            "recordedDate": instant(row.reported_at),
            "recorder": _person_ref(row.reported_by, row.resident_id),
            "seriousness": _seriousness(row),
            "outcome": concept(row.get_outcome_display(), OUTCOME, code, display),
            # Suspects are chosen from the resident's orders: the medicine is the order's
            # protocol, which the formulary serves as a Medication.
            "suspectEntity": [
                {"instance": ref("Medication", s.order.protocol_id, display=s.drug)}
                for s in row.suspects.all()
            ],
            "text": _narrative(row.description and f"In the reporter's words: {row.description}"),
        }
    )


# --- Flag -------------------------------------------------------------------------------------

FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


def flag(row: RiskFlag) -> dict:
    cleared = None
    if row.cleared_at:
        who = row.cleared_by.full_name or row.cleared_by.username
        cleared = f"Cleared on {dates.moment(row.cleared_at)} by {who}: {row.cleared_reason}"
    answered_by = row.source.completed_by if row.source else None
    return without_empty(
        {
            "status": "active" if row.active else "inactive",
            "category": [concept("Clinical", FLAG_CATEGORY, "clinical", "Clinical")],
            "code": concept(row.reason),
            "subject": patient_ref(row.resident_id),
            "period": period(row.raised_at, row.cleared_at),
            # Raised by an answer: whoever recorded the questionnaire that gave it.
            "author": _person_ref(answered_by, row.resident_id),
            "text": _narrative(cleared),
        }
    )


# --- what a resident reads of their notes (encounters/notes_selectors.py) ---------------------


def released(qs, note: str = ""):
    """The rows of `qs` (notes, or rows of a note reached through `note`) whose note the
    resident may read, as `NoteView.released_to_resident` decides: signed, not withheld by the
    latest decision about it, and not a trainee's note awaiting its co-signature."""
    path = f"{note}__" if note else ""
    latest = NoteRelease.objects.filter(note=OuterRef(note or "pk")).order_by("-decided_at", "-id")
    return (
        qs.annotate(fhir_withheld=Subquery(latest.values("withheld")[:1]))
        .filter(**{f"{path}signed_at__isnull": False})
        .filter(Q(fhir_withheld__isnull=True) | Q(fhir_withheld=False))
        .filter(
            Q(**{f"{path}needs_cosignature": False}) | Q(**{f"{path}cosignature__isnull": False})
        )
    )


def _released_addenda(qs):
    return released(qs, "note")


# --- DocumentReference ------------------------------------------------------------------------


def _note_text(note: Note) -> str:
    return "\n\n".join(f"{label}\n{text}" for _, label, text in note.section_texts())


def _addendum_attachment(addendum: Addendum) -> dict:
    who = addendum.author.full_name or addendum.author.username
    return _text_attachment(
        addendum.text, f"Addendum by {who}: {addendum.reason}", addendum.written_at
    )


def note_document(row: Note) -> dict:
    addenda = list(row.addenda.all())
    cosigned = getattr(row, "cosignature", None)  # None when there is none
    kind = row.get_template_display()
    return without_empty(
        {
            "status": "current",
            "docStatus": "amended" if addenda else "final",
            "type": concept(f"Progress note, {kind}", LOINC, "11506-3", "Progress note"),
            "subject": patient_ref(row.resident_id),
            "date": instant(row.signed_at),
            "author": [practitioner_ref(row.author)],
            "authenticator": practitioner_ref(cosigned.cosigner) if cosigned else None,
            # The note as signed, then each addendum, in the order written.
            "content": [
                {"attachment": _text_attachment(_note_text(row), str(row), row.signed_at)},
                *({"attachment": _addendum_attachment(a)} for a in addenda),
            ],
            "context": (
                {"encounter": [ref("Encounter", row.fhir_encounter, display=str(row.session))]}
                if row.fhir_encounter
                else None
            ),
        }
    )


def _notes():
    # An Encounter is one resident at a session (map_care.py): the note's session, for its
    # resident, is their attendance row.
    attended = SessionAttendee.objects.filter(
        session=OuterRef("session"), resident=OuterRef("resident")
    )
    return (
        Note.objects.filter(signed_at__isnull=False)
        .annotate(fhir_encounter=Subquery(attended.values("pk")[:1]))
        .select_related("author", "session", "cosignature__cosigner")
        .prefetch_related(Prefetch("addenda", queryset=Addendum.objects.select_related("author")))
    )


def _discharge_text(plan: DischargePlan) -> str:
    lines = [
        f"Discharged on {dates.day(plan.discharged_at)}: {plan.disposition_text}.",
        f"Plan: {plan.plan}",
    ]
    if plan.contacts:
        lines.append(f"Who to call: {plan.contacts}")
    if plan.returns_to_duty and plan.fitness_assessed_at:
        lines.append(f"Fitness for duty: {plan.fitness_assessment}")
    return "\n\n".join(lines)


def discharge_summary(row: DischargePlan) -> dict:
    signers = [u for u in (row.caseworker_signed_by, row.clinician_signed_by) if u is not None]
    # A discharge against advice is recorded at once and signed after: until both have signed,
    # the summary is preliminary.
    both = len(signers) == 2
    return without_empty(
        {
            "status": "current",
            "docStatus": "final" if both else "preliminary",
            "type": concept("Discharge summary", LOINC, "18842-5", "Discharge summary"),
            "subject": patient_ref(row.resident_id),
            "date": instant(row.discharged_at),
            "author": [practitioner_ref(u) for u in signers] or [practitioner_ref(row.written_by)],
            "authenticator": practitioner_ref(row.clinician_signed_by),
            "content": [
                {
                    "attachment": _text_attachment(
                        _discharge_text(row), "Discharge summary", row.discharged_at
                    )
                }
            ],
            "context": {
                "encounter": [ref("EpisodeOfCare", row.stay_id)],
                "period": period(row.stay.admitted_on, row.stay.discharged_on),
            },
        }
    )


# --- Provenance -------------------------------------------------------------------------------

PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _agent(code: str, display: str, user) -> dict:
    return {"type": concept(display, PARTICIPANT, code, display), "who": practitioner_ref(user)}


def _note_ref(note_id: int) -> dict:
    return ref("DocumentReference", note_id, prefix="note")


def signed_provenance(row: Note) -> dict:
    return {
        "target": [_note_ref(row.pk)],
        "recorded": instant(row.signed_at),
        "activity": concept("signed"),
        "agent": [_agent("author", "Author", row.author)],
    }


def cosigned_provenance(row: CoSignature) -> dict:
    return {
        "target": [_note_ref(row.note_id)],
        "recorded": instant(row.cosigned_at),
        "activity": concept("co-signed"),
        "agent": [_agent("verifier", "Verifier", row.cosigner)],
    }


def addendum_provenance(row: Addendum) -> dict:
    """Who added to the note, when and why. The addendum's text is in the note's
    DocumentReference (an attachment of its own), where a reader of the note finds it."""
    return {
        "target": [_note_ref(row.note_id)],
        "recorded": instant(row.written_at),
        "reason": [concept(row.reason)],
        "activity": concept("addendum"),
        "agent": [_agent("author", "Author", row.author)],
    }


register(
    Source(
        type="Consent",
        rows=lambda: Consent.objects.select_related("document"),
        resource=consent,
        action=Action.VIEW,
        section="consents",
        date="signed_at",
        statuses=CONSENT_STATUSES,
    ),
    Source(
        type="AdverseEvent",
        rows=lambda: AdverseEvent.objects.select_related("reported_by").prefetch_related(
            Prefetch("suspects", queryset=Suspect.objects.select_related("order"))
        ),
        resource=adverse_event,
        action=Action.VIEW_ADVERSE_EVENTS,
        section="adverse events",
        date="onset",
    ),
    Source(
        type="Flag",
        rows=lambda: RiskFlag.objects.select_related("cleared_by", "source__completed_by"),
        resource=flag,
        action=Action.VIEW,
        section="risk flags",
        date="raised_at",
        statuses={"active": Q(cleared_at__isnull=True), "inactive": Q(cleared_at__isnull=False)},
        # The portal shows the resident their safety plan, never the flags (the staff's).
        own=lambda qs: qs.none(),
    ),
    Source(
        type="DocumentReference",
        prefix="note",
        rows=_notes,
        resource=note_document,
        action=Action.VIEW,
        section="notes",
        date="signed_at",
        statuses={"current": Q()},
        own=released,
    ),
    Source(
        type="DocumentReference",
        prefix="discharge",
        rows=lambda: DischargePlan.objects.filter(status=PlanStatus.DISCHARGED).select_related(
            "stay", "written_by", "caseworker_signed_by", "clinician_signed_by"
        ),
        resource=discharge_summary,
        action=Action.VIEW,
        section="discharge summary",
        date="discharged_at",
        statuses={"current": Q()},
    ),
    Source(
        type="Provenance",
        prefix="signed",
        rows=lambda: Note.objects.filter(signed_at__isnull=False).select_related("author"),
        resource=signed_provenance,
        action=Action.VIEW,
        section="note signatures",
        own=released,
    ),
    Source(
        type="Provenance",
        prefix="cosigned",
        rows=lambda: CoSignature.objects.select_related("cosigner"),
        resource=cosigned_provenance,
        action=Action.VIEW,
        section="co-signatures",
        resident="note__resident",
        own=_released_addenda,
    ),
    Source(
        type="Provenance",
        prefix="addendum",
        rows=lambda: Addendum.objects.select_related("author"),
        resource=addendum_provenance,
        action=Action.VIEW,
        section="addenda",
        resident="note__resident",
        own=_released_addenda,
    ),
)
