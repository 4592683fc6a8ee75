"""A small center with one of every record a page or an endpoint can open by its number, made
through the services (as the center makes them), for the tests that walk every URL.

Two residents with names found nowhere else on any page, so a page that names one is easy to
tell: Thaddeus Quillfeather (on staff['caseworker'] and staff['clinician']'s team, with a portal
log-in, a note, a session with its recording, a questionnaire, consents, an order and its dose,
an adverse event report, a complaint and an investigation whose grant covers him), and
Rosalind Vantongeren (on staff['caseworker_other'] and staff['clinician_other']'s team).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from homecoming.accounts import tokens
from homecoming.accounts.models import ApiToken, Role, User
from homecoming.alerts import services as alerts
from homecoming.consents import services as consents
from homecoming.consents.models import Consent, ConsentDocument
from homecoming.conversations import services as conversations
from homecoming.conversations.models import Thread
from homecoming.corrections import services as corrections
from homecoming.corrections.models import CorrectionRequest
from homecoming.discharge.models import DischargePlan
from homecoming.encounters import recordings
from homecoming.encounters.models import Note, Recording, Session
from homecoming.followup.models import Contact, Lost
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from homecoming.medications import administering, allergies, formulary, orders
from homecoming.medications.models import Allergy, Order, Protocol
from homecoming.medications.orders import Prescription
from homecoming.oversight import complaints, investigations
from homecoming.oversight.models import Attachment, Complaint, Grant, Investigation
from homecoming.residents import services as resident_services
from homecoming.residents import setup
from homecoming.residents.models import Program, Resident
from homecoming.safety import services as safety
from homecoming.safety import signals
from homecoming.safety.models import AdverseEvent, Signal
from homecoming.safetyplans import services as safetyplans
from homecoming.safetyplans.models import RiskFlag
from homecoming.vitals import services as vitals_services
from homecoming.vitals.models import VitalSigns
from tests.conftest import PASSWORD
from tests.consents.helpers import publish
from tests.encounters.test_recordings import audio_file, make_session
from tests.measures.answers import phq9
from tests.medications.conftest import SERTRALINE, consent_document
from tests.oversight.conftest import filing, picture
from tests.safetyplans.conftest import SECTIONS as SAFETY_PLAN
from tests.support.notes import draft, signed
from tests.support.photos import take_photo

# The residents' names: what the walk looks for in every response.
WALTER = {"given_name": "Thaddeus", "family_name": "Quillfeather"}
ROSA = {"given_name": "Rosalind", "family_name": "Vantongeren"}


@dataclass
class Center:
    staff: dict
    walter: Resident
    rosa: Resident
    walter_user: User
    medical_lead: User
    program: Program
    signed_note: Note
    draft_note: Note
    session: Session
    recording: Recording
    document: ConsentDocument
    consent: Consent
    protocol: Protocol
    order: Order
    event: AdverseEvent
    signal: Signal
    complaint: Complaint
    attachment: Attachment
    investigation: Investigation
    grant: Grant
    token: ApiToken
    allergy: Allergy | None = None
    vitals: VitalSigns | None = None
    follow_up: Contact | None = None  # a follow-up contact of Thaddeus (with its "lost")
    lost: Lost | None = None
    risk_flag: RiskFlag | None = None  # raised by Thaddeus's PHQ-9 item 9, with a plan signed
    thread: Thread | None = None  # Thaddeus's message to his care team, answered
    correction: CorrectionRequest | None = None  # Thaddeus asks to correct his signed note

    @property
    def residents(self) -> list[Resident]:
        return [self.walter, self.rosa]

    def alert_of(self, user):
        return user.alerts.order_by("id").first()

    def entry_about(self, resident) -> int:
        return Entry.objects.filter(resident_id=resident.pk).order_by("seq").first().seq


def build(staff, admit, make_user, beds) -> Center:
    director, supervisor = staff["program_director"], staff["supervisor"]
    clinician = staff["clinician"]
    # The team's clinician prescribes (with the account's new version, as the services do).
    clinician.is_prescriber = True
    clinician.save(update_fields=["is_prescriber"])
    ledger.record_write(None, "account.update", clinician, resident_id=None, purpose="operations")
    lead = make_user(Role.CLINICIAN, username="lead", is_prescriber=True, is_medical_lead=True)
    program = setup.add_program(None, "Sleep and recovery", check_policy=False)

    walter = admit(bed=beds[0], **WALTER)
    rosa = admit(
        bed=beds[1],
        caseworker=staff["caseworker_other"],
        clinician=staff["clinician_other"],
        **ROSA,
    )
    walter_user = resident_services.grant_portal_access(
        staff["caseworker"], walter, "thaddeus", "a long enough passphrase", False
    )
    walter.refresh_from_db()

    signed_note = signed(staff["caseworker"], walter)
    draft_note = draft(staff["caseworker"], walter)
    session = make_session(staff["caseworker"], [walter])
    # Consents in the portal, by the resident himself: no witness question arises.
    recording_document = publish(director)
    consent = consents.sign(walter_user, walter, recording_document)
    recording = recordings.upload(staff["caseworker"], session, audio_file())
    # Walter's photo: the banner shows it, and its image is walked like any other read.
    take_photo(staff["caseworker"], walter)
    measures.record(staff["caseworker"], walter, "phq9", phq9(item9=1))
    risk_flag = RiskFlag.objects.get(resident=walter)
    safetyplans.sign(staff["caseworker"], walter, SAFETY_PLAN, PASSWORD)

    consent_document(director, SERTRALINE["consent_code"])
    protocol = formulary.add_protocol(lead, dict(SERTRALINE))
    medication_document = ConsentDocument.objects.get(code=SERTRALINE["consent_code"])
    consents.sign(walter_user, walter, medication_document)
    order = orders.prescribe(
        clinician,
        walter,
        Prescription(
            protocol=protocol,
            dose_amount="50",
            dose_unit="mg",
            route="oral",
            frequency="as_needed",
            starts_at=timezone.now() - dt.timedelta(hours=20),
        ),
    )
    administering.give(clinician, order, dose_amount="50", dose_unit="mg")
    allergy = allergies.record(
        staff["caseworker"],
        walter,
        allergies.AllergyEntry("Penicillin", reaction="hives", severity="moderate"),
    )
    vitals = vitals_services.record(
        clinician, walter, vitals_services.Reading(systolic=128, diastolic=82, pulse=76)
    )
    event = safety.report(
        clinician,
        walter,
        safety.Report(
            term="insomnia",
            onset=timezone.localdate(),
            seriousness="not_serious",
            suspect_order_ids=[order.pk],
        ),
    )
    # Raised as a scan raises one, with the pair's real counts (one report is too few for a
    # rule to flag it: what the walk needs is the signal's pages).
    counts = signals.count_pairs()
    table = counts.table()
    pair = list(zip(counts.drugs, counts.terms, strict=True)).index((protocol.drug, "insomnia"))
    measures_now = signals.pair_measures(table, pair, counts)
    with transaction.atomic():
        signal = signals._raise(protocol.drug, "insomnia", measures_now, ["evans"], timezone.now())
    # An alert naming a resident and a drug, to the oversight body and the center's leads (as a
    # dose override or an investigational order raises one).
    alerts.notify(
        [staff["oversight"], supervisor, director],
        kind="medication_override",
        message=f"{walter.display_name}: an early dose of {protocol.drug} was given.",
        resident=walter,
    )

    complaint = complaints.file_own(
        walter_user, filing(named_staff=[supervisor], files=[picture()])
    )
    attachment = Attachment.objects.get(complaint=complaint)
    investigation = investigations.open_investigation(
        staff["oversight"], "Record steering", complaint=complaint
    )
    grant = investigations.grant_access(
        staff["oversight"],
        investigation,
        investigator=staff["investigator"],
        residents=[walter],
        staff=[supervisor],
        expires_at=timezone.now() + dt.timedelta(days=30),
        reason="Read the resident's notes and what the supervisor did with them.",
    )
    follow_up, lost = _follow_up(walter, staff["caseworker"])
    thread = conversations.start(walter_user, walter, "Night passes", "May I sign out Saturday?")
    conversations.reply(staff["caseworker"], thread, "Yes: sign the book at the desk.")
    correction = corrections.file_request(
        walter_user, walter, "note", signed_note.pk, "The date of the argument is wrong."
    )
    return Center(
        thread=thread,
        correction=correction,
        risk_flag=risk_flag,
        allergy=allergy,
        vitals=vitals,
        follow_up=follow_up,
        lost=lost,
        staff=staff,
        walter=walter,
        rosa=rosa,
        walter_user=walter_user,
        medical_lead=lead,
        program=program,
        signed_note=signed_note,
        draft_note=draft_note,
        session=session,
        recording=recording,
        document=recording_document,
        consent=consent,
        protocol=protocol,
        order=order,
        event=event,
        signal=signal,
        complaint=complaint,
        attachment=attachment,
        investigation=investigation,
        grant=grant,
        token=tokens.issue(staff["caseworker"], "Walk", by=staff["caseworker"])[0],
    )


def _follow_up(walter, caseworker):
    """A follow-up contact and a "lost" for Thaddeus, whose numbers the follow-up pages take. He
    stays in residence (every other walk expects it): they hang on a cancelled discharge plan,
    which takes no place from a real plan of his stay."""
    stay = walter.stays.get()
    plan = DischargePlan.objects.create(
        stay=stay,
        resident=walter,
        status="cancelled",
        cancel_reason="Walk: the follow-up pages need a contact.",
        disposition="home",
        planned_on=timezone.localdate(),
        plan="Home.",
        written_by=caseworker,
        written_at=timezone.now(),
    )
    ledger.record_write(caseworker, "discharge.plan", plan, resident_id=walter.pk, purpose="care")
    contact = Contact.objects.create(
        discharge=plan,
        resident=walter,
        interval_days=7,
        due_on=timezone.localdate(),
        owner=caseworker,
    )
    ledger.record_write(None, "followup.schedule", contact, resident_id=walter.pk, purpose="care")
    lost = Lost.objects.create(
        discharge=plan, resident=walter, because="Walk.", marked_at=timezone.now()
    )
    ledger.record_write(None, "followup.lost", lost, resident_id=walter.pk, purpose="care")
    return contact, lost


__all__ = ["PASSWORD", "Center", "ROSA", "WALTER", "build"]
