"""The resident's own copy of their record (issue 16): everything the portal shows them, as a PDF
or a data file they download from /my-record/.

Every section is read through the very selectors the portal's pages call, under the same policy
(purpose "self"), so the copy can show neither more nor less than the portal: a trainee's note
awaiting co-signature, a note withheld from the resident, a questionnaire's clinical flags or an
order the hard stops refused are not on any portal page, and not in the copy. The sections are
built here once, as plain values (`sections`), and every format is written from them: the PDF's
template, the JSON bundle below, and (issue 17) a FHIR writer.

The reads are one act: the download is one ledger entry ("record.download", with its format and
the sections it held), which the resident reads in "who looked at your record", not a look per
page. Only the resident, logged in with their own account, may download it (access.policy
RESIDENT_ONLY); anyone else's attempt is refused and on the ledger.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.access.services import give_break_glass_reasons
from homecoming.consents import selectors as consents_selectors
from homecoming.core import keyset
from homecoming.core.templatetags.ledger_words import statement
from homecoming.discharge import selectors as discharge_selectors
from homecoming.encounters import notes_selectors, scheduling
from homecoming.fhir import reads as fhir_reads
from homecoming.fhir import resources as fhir_resources
from homecoming.ledger import looks
from homecoming.ledger.selectors import every_disclosure
from homecoming.measures import selectors as measures_selectors
from homecoming.medications import selectors as medications_selectors
from homecoming.medications.templatetags.medication_words import dose
from homecoming.residents import selectors as residents_selectors
from homecoming.safety import selectors as safety_selectors
from homecoming.safety import terms
from homecoming.safetyplans import selectors as safetyplans
from homecoming.vitals import selectors as vitals_selectors

FORMAT = "homecoming-record"
VERSION = 1
FORMATS = {
    "pdf": "application/pdf",
    "json": "application/json",
    # FHIR R4 (fhir/): the same record as resources another provider's system reads.
    "fhir": "application/fhir+json",
}
EXTENSIONS = {"pdf": "pdf", "json": "json", "fhir": "fhir.json"}
DOWNLOAD = str(Action.DOWNLOAD_RECORD)
# Read by the PDF's renderer from the package (no template holds inline CSS).
STYLESHEET = Path(__file__).resolve().parents[1] / "core" / "static" / "homecoming" / "own_copy.css"


class UnknownFormat(ValueError):
    pass


@dataclass
class OwnCopy:
    resident_id: int
    made_at: dt.datetime
    format: str
    sections: dict  # each section's name -> its plain values, in the order the copy shows them
    fhir: dict | None = None  # the FHIR Bundle, for a copy in that format

    @property
    def made_on(self) -> dt.date:
        """The day on the center's clock (its time zone), which names the file."""
        return timezone.localdate(self.made_at)

    @property
    def filename(self) -> str:
        return f"my-record-{self.made_on.isoformat()}.{EXTENSIONS[self.format]}"

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]

    def bundle(self) -> dict:
        """The JSON bundle's shape, version 1 (docs/using.md describes every field)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "made_at": self.made_at,
            "made_on": self.made_on,
            **self.sections,
        }

    def json(self) -> bytes:
        return json.dumps(self.bundle(), default=_plain, indent=2, ensure_ascii=False).encode()

    def pdf(self) -> bytes:
        """WeasyPrint, fetching nothing (as the discharge summary's PDF: discharge/pdf.py): the
        stylesheet is read from the package and the fetcher allows only data: URLs, so a link
        someone typed into a note can never make the server reach another host."""
        import weasyprint
        from weasyprint.urls import URLFetcher

        html = render_to_string("record/own_copy_pdf.html", {"copy": self, **self.sections})
        fetcher = URLFetcher(allowed_protocols={"data"})
        css = weasyprint.CSS(string=STYLESHEET.read_text(), url_fetcher=fetcher)
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css])

    def content(self) -> bytes:
        if self.format == "fhir":
            return json.dumps(self.fhir, indent=2, ensure_ascii=False).encode()
        return self.pdf() if self.format == "pdf" else self.json()


def _plain(value):
    """JSON for what the sections hold besides strings and numbers: times in the center's zone
    (with their offset), days, exact amounts as the strings they were typed as."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not part of a copy of the record")


def download(actor, resident, fmt: str, fhir_base: str = "") -> OwnCopy:
    """The resident's copy of their own record in `fmt` ("pdf", "json" or "fhir"; `fhir_base`
    is the server's /fhir/R4/ address, which the FHIR copy's references resolve against).
    AccessDenied (on the ledger) for anyone but the resident themself; `resident` None (an
    account linked to no record, a member of staff) is refused the same way."""
    if fmt not in FORMATS:
        raise UnknownFormat(f"A copy of the record comes as {' or '.join(FORMATS)}, not {fmt!r}.")
    policy.require(actor, Action.DOWNLOAD_RECORD, resident)
    made_at = timezone.now()
    if fmt == "fhir":
        # Patient/$everything as the resident reads it: each type narrowed by the portal's
        # rules (fhir/sources.py, `own`), so the copy shows what the portal shows.
        with looks.as_one(DOWNLOAD, format=fmt):
            found = fhir_reads.whole_record(actor, resident.pk)
        bundle = fhir_resources.collection(found, fhir_base)
        return OwnCopy(resident.pk, made_at, fmt, sections={}, fhir=bundle)
    with looks.as_one(DOWNLOAD, format=fmt):
        built = sections(actor, resident)
    return OwnCopy(resident_id=resident.pk, made_at=made_at, format=fmt, sections=built)


def _name(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def sections(actor, resident) -> dict:
    """Every section the portal shows the resident, as plain values, each read through the
    portal's own selector (a section a page shows a window of, the doses of two weeks, the
    latest sixty vital signs, a page of notes, is read whole)."""
    chart = residents_selectors.chart(actor, resident.pk)
    medications = medications_selectors.medication_record(actor, resident.pk, days=None)
    built = {
        "resident": _details(chart),
        "stays": _stays(chart),
        "care_team": [
            {"role": m.get_team_role_display(), "name": _name(m.user)} for m in chart.care_team
        ],
        "sessions": _sessions(resident),
        "notes": _notes(actor, resident),
        "questionnaires": _questionnaires(actor, resident),
        "medications": _medications(medications),
        "allergies": _allergies(medications.allergies),
        "vital_signs": _vitals(actor, resident),
        "safety_plan": _safety_plan(actor, resident),
        "consents": _consents(actor, resident),
        "side_effects": _side_effects(actor, resident),
        "discharge": _discharge(actor, resident),
        "who_looked": _who_looked(resident),
    }
    return built


def _details(chart) -> dict:
    """What the portal's "What we hold about you" shows."""
    r = chart.resident
    return {
        "name": r.display_name,
        "legal_name": r.legal_name,
        "date_of_birth": r.date_of_birth,
        "service_branch": r.get_service_branch_display(),
        "service_start": r.service_start,
        "service_end": r.service_end,
        "emergency_contact": {
            "name": r.emergency_contact_name,
            "relationship": r.emergency_contact_relationship,
            "phone": r.emergency_contact_phone,
        },
    }


def _stays(chart) -> list[dict]:
    stays = ([chart.stay] if chart.stay else []) + list(chart.past_stays)
    return [
        {
            "admitted_on": s.admitted_on,
            "expected_length_days": s.expected_length_days,
            "status": s.get_status_display(),
            "discharged_on": s.discharged_on,
            "bed": str(chart.bed) if s is chart.stay and chart.bed else None,
        }
        for s in stays
    ]


def _session(s) -> dict:
    return {
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "kind": "group" if s.kind == "group" else "individual",
        "title": s.title if s.kind == "group" else "",
        "with": _name(s.caseworker),
        "location": s.location,
    }


def _sessions(resident) -> dict:
    # Shown on the portal's own record after its chart read, like these (scheduling's rule).
    return sessions_in_words(
        scheduling.upcoming_for_resident(resident), scheduling.cancelled_for_resident(resident)
    )


def sessions_in_words(upcoming, cancelled) -> dict:
    """The coming and the cancelled sessions as the portal shows the resident them."""
    return {
        "upcoming": [
            _session(s)
            | {
                "checked_in": s.mine.attendance == "checked_in",
                "moved_from": s.moved_from,
                "move_reason": s.move_reason or "",
            }
            for s in upcoming
        ],
        "cancelled": [
            _session(s) | {"cancellation_reason": s.cancellation_reason} for s in cancelled
        ],
    }


def _notes(actor, resident) -> list[dict]:
    """Every note released to the resident (notes_selectors leaves out, for the resident, the
    drafts, the withheld and a trainee's awaiting co-signature), newest first."""
    listing = notes_selectors.notes_for(actor, resident.pk)
    return [
        {
            "kind": v.note.get_template_display(),
            "signed_at": v.note.signed_at,
            "signed_by": _name(v.note.author),
            "session": str(v.note.session) if v.note.session else "",
            "cosigned_by": _name(v.cosignature.cosigner) if v.cosignature else "",
            "sections": [
                {"heading": label, "text": text} for _, label, text in v.note.section_texts()
            ],
            "addenda": [
                {
                    "written_at": a.written_at,
                    "written_by": _name(a.author),
                    "reason": a.reason,
                    "text": a.text,
                }
                for a in v.addenda
            ],
        }
        for v in listing.notes
        if v.released_to_resident
    ]


def _questionnaires(actor, resident) -> dict:
    """Every questionnaire, newest first, page after page of the portal's list, with the
    answers in words and without the clinical flags (the resident's page shows none)."""
    history = measures_selectors.history(actor, resident.pk)
    administrations = list(history.administrations)
    while history.older is not None:
        history = measures_selectors.history(
            actor, resident.pk, keyset.Cursor(before=history.older)
        )
        administrations += history.administrations
    return {
        "trends": [t.summary for t in history.trends.instruments if t.points],
        "completed": [
            {
                "completed_at": a.questionnaire.completed_at,
                "instrument": a.definition.name,
                "title": a.definition.title,
                "total": a.questionnaire.total,
                "max_total": a.definition.max_total,
                "band": a.questionnaire.band,
                "how": a.questionnaire.get_mode_display(),
                "completed_by": _name(a.questionnaire.completed_by),
                "answers": [
                    {"item": item.number, "text": item.text, "value": o.value, "words": o.words}
                    for item, o in a.answers
                ],
                "difficulty": a.difficulty.words if a.difficulty else None,
            }
            for a in administrations
        ],
    }


def _medications(record) -> dict:
    """The orders, every dose recorded and every dose the hard stops refused, as the portal's
    medications page shows them (the orders the stops refused are the prescribers' page's)."""
    return {
        "orders": [
            {
                "medicine": line.order.protocol.drug,
                "investigational": line.order.protocol.investigational,
                "dose": dose(line.order),
                "route": line.order.get_route_display(),
                "frequency": line.order.get_frequency_display(),
                "instructions": line.order.instructions,
                "prescribed_by": _name(line.order.prescribed_by),
                "prescribed_at": line.order.prescribed_at,
                "starts_at": line.order.starts_at,
                "ends_at": line.order.ends_at,
                "active": line.active,
                "given_while_consent_stands": line.consented,
                "stopped_at": line.order.discontinued_at,
                "stopped_by": _name(line.order.discontinued_by),
                "stop_reason": line.order.discontinue_reason,
            }
            for line in record.orders
        ],
        "doses": [
            {
                "at": a.at,
                "medicine": a.order.protocol.drug,
                "status": a.get_status_display(),
                "dose": dose(a) if a.status == "given" else "",
                "reason": a.reason,
                "recorded_by": _name(a.recorded_by),
                "witnessed_by": _name(a.witness),
                "early_approved_by": _name(a.override_cosigner),
                "early_reason": a.override_reason,
            }
            for a in record.administrations
        ],
        "stopped_doses": [
            {
                "at": s.attempted_at,
                "medicine": s.order.protocol.drug,
                "dose": dose(s),
                "by": _name(s.attempted_by),
                "why": [stop["message"] for stop in s.stops],
            }
            for s in record.stops
        ],
    }


def _allergies(standing) -> dict:
    return {
        "active": [
            {
                "kind": a.get_kind_display(),
                "substance": a.substance,
                "reaction": a.reaction,
                "severity": a.get_severity_display(),
                "confirmed": a.verified_at is not None,
            }
            for a in standing.active
        ],
        "none_known_since": standing.none_known.recorded_at if standing.none_known else None,
        "recorded": standing.recorded,
    }


def _vitals(actor, resident) -> list[dict]:
    record = vitals_selectors.vitals_record(actor, resident.pk, shown=None)
    return [
        {
            "taken_at": s.taken_at,
            "readings": [
                {"measure": m.label, "value": value, "unit": m.unit, "flag": flag}
                for m, value, flag in s.readings()
            ],
            "recorded_by": _name(s.recorded_by),
            "entered_in_error": s.in_error,
            "error_reason": s.error_reason if s.in_error else "",
        }
        for s in record.sets
    ]


def _safety_plan(actor, resident) -> dict | None:
    plan = safetyplans.own_plan(actor, resident)
    if plan is None:
        return None
    return {
        "version": plan.number,
        "signed_at": plan.signed_at,
        "signed_by": _name(plan.signed_by),
        "sections": [{"heading": label, "text": text} for label, text in plan.sections()],
    }


def _consents(actor, resident) -> list[dict]:
    record = consents_selectors.consents_of(actor, resident.pk)
    lines = []
    for line in record.lines:
        c = line.consent
        if line.counts:
            standing = "in force"
        elif line.waiting:
            standing = "waiting for confirmation"
        elif line.revoked:
            standing = "withdrawn"
        else:
            standing = "no longer counts"
        lines.append(
            {
                "document": c.document.title,
                "version": c.document.version,
                "signed_at": c.signed_at,
                "signed_via": c.get_signed_via_display(),
                "witness": _name(c.witness),
                "standing": standing,
                "withdrawn_at": c.revoked_at,
                "withdrawal_reason": c.revocation_reason,
                "approval_expired_on": line.approval_expired_on,
            }
        )
    return lines


def _side_effects(actor, resident) -> list[dict]:
    record = safety_selectors.events_of(actor, resident.pk)
    return [
        {
            "onset": e.onset,
            "what": terms.name_of(e.term),
            "description": e.description,
            "seriousness": e.get_seriousness_display(),
            "outcome": e.get_outcome_display(),
            "reported_by": _name(e.reported_by),
            "reported_at": e.reported_at,
            "suspected_medicines": [s.order.protocol.drug for s in e.suspects.all()],
        }
        for e in record.events
    ]


def _plan(plan) -> dict:
    return {
        "disposition": plan.disposition_text,
        "status": plan.get_status_display(),
        "planned_on": plan.planned_on,
        "plan": plan.plan,
        "who_to_call": plan.contacts,
        "fitness_for_duty": (
            plan.fitness_assessment if plan.returns_to_duty and plan.fitness_assessed_at else ""
        ),
        "acknowledged_at": plan.resident_acknowledged_at,
    }


def _discharge(actor, resident) -> dict:
    """The discharge plan in progress or done, and the summary of each discharge (the portal
    links to each)."""
    page = discharge_selectors.page(actor, resident.pk)
    summaries = []
    for plan in [p for p in [page.plan, *page.earlier] if p and p.status == "discharged"]:
        s = discharge_selectors.summary(actor, plan.pk)
        summaries.append(
            {
                "discharged_on": plan.stay.discharged_on,
                "disposition": plan.disposition_text,
                "length_of_stay_days": s.length_days,
                "last_bed": s.bed,
                "findings": s.findings,
                "questionnaire_changes": s.changes,
                "medications_ended": [str(o) for o in s.at_discharge],
                "adverse_events": [
                    {"onset": e["onset"], "what": e["term"], "outcome": e["outcome"]}
                    for e in s.events
                ],
                "follow_up_on": [c.due_on for c in s.contacts],
            }
        )
    return {
        "plan": _plan(page.plan) if page.plan else None,
        "summaries": summaries,
    }


def _who_looked(resident) -> list[dict]:
    """The whole of "who looked at your record", page after page, in the portal's words."""
    entries = give_break_glass_reasons(every_disclosure(resident))
    return [
        {
            "at": e.time,
            "who": e.who,
            "what": statement(e),
            "times": e.times,
            "refused": e.outcome == "denied",
            "break_glass": e.purpose == "break_glass",
        }
        for e in entries
    ]
