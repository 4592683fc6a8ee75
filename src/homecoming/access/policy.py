"""Who may do what to which resident: the one place that decides. Deny by default.

Every rule is a line in the tables below; docs/access.md is the same matrix in prose. Callers use
`require` (records a denial in the ledger and raises) or `decide` (only answers), and narrow every
list of residents with `visible_residents` (also reachable as `Resident.objects.visible_to`).

The policy is the bottom layer above the ledger: it imports no app above it. The facts it needs
from them (care teams, stays, investigators' grants) are registered in access/rules.py by the apps
that own them; a fact nobody registered is refused, never allowed.
"""

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from homecoming.accounts.models import Role
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Outcome

from . import rules


class Action(StrEnum):
    # On one resident's record
    VIEW = "resident.view"
    LIST = "resident.list"  # the resident's name and bed shown in a list, search or board
    EDIT = "resident.edit"
    OPEN_STAY = "stay.open"
    ASSIGN_BED = "bed.assign"
    ASSIGN_CARE_TEAM = "careteam.assign"
    GRANT_PORTAL = "resident.portal_access"
    # The patient banner and the photo: whose record this is (name, date of birth, photo, bed,
    # allergies, an active risk flag), shown on every page about the resident
    VIEW_BANNER = "banner.view"
    UPLOAD_PHOTO = "photo.upload"  # take the resident's photo, for the banner and the round
    BREAK_GLASS = "resident.break_glass"
    VIEW_HISTORY = "resident.view_history"  # the record "as of" a past moment, drafts included
    SCHEDULE_SESSION = "session.schedule"
    UPDATE_SESSION = "session.update"  # check-in, attendance, no-show, cancellation
    WRITE_NOTE = "note.write"  # start, save and sign one's own notes
    COSIGN_NOTE = "note.cosign"
    ADD_ADDENDUM = "note.addendum"
    RELEASE_NOTE = "note.release"  # withhold a signed note from the resident, or release it
    UPLOAD_RECORDING = "recording.upload"
    PLAY_RECORDING = "recording.play"
    RECORD_MEASURE = "measure.record"  # a questionnaire, by staff or self-completed
    RECORD_CONSENT = "consent.record"  # the resident signs (in the portal, or before a witness)
    REVOKE_CONSENT = "consent.revoke"
    VIEW_MEDICATIONS = "medication.view"  # orders, administrations and stopped doses
    PRESCRIBE = "medication.prescribe"  # write and discontinue orders (prescribers only)
    ADMINISTER = "medication.administer"  # give a dose, or record it refused, held or missed
    # Record an allergy or intolerance, or that the resident has none anyone knows of
    RECORD_ALLERGY = "allergy.record"
    # Confirm an allergy, or rule one out with the reason (a clinician's judgement)
    REVIEW_ALLERGY = "allergy.review"
    VIEW_VITALS = "vitals.view"  # blood pressure, pulse, temperature, ... and their charts
    # Record a set of vital signs, or mark one entered in error with the reason
    RECORD_VITALS = "vitals.record"
    # Write the resident's safety plan with them and sign it (each change a new signed version)
    WRITE_SAFETY_PLAN = "safetyplan.write"
    # Clear a risk flag (a positive PHQ-9 item 9), with the reason: a clinician on the care team
    # only, and the supervisors are told
    CLEAR_RISK_FLAG = "riskflag.clear"
    REPORT_ADVERSE_EVENT = "safety.report"  # report a suspected harm, and follow its outcome
    VIEW_ADVERSE_EVENTS = "safety.view"  # the resident's adverse event reports
    FILE_COMPLAINT = "complaint.file"  # a resident's own complaint, in the portal
    # A copy of everything the portal shows the resident, as a PDF or a data file: the resident
    # themself only (a copy that leaves the center is the resident's to take, nobody else's)
    DOWNLOAD_RECORD = "record.download"
    # Ask for a correction of an entry of one's own record (HIPAA's right to amend), and file a
    # statement of disagreement when it is declined: the resident only
    REQUEST_CORRECTION = "correction.request"
    # Answer a correction request: amend the record, or decline with the reason (services refuse
    # a decline by the entry's own author)
    ANSWER_CORRECTION = "correction.answer"
    # Write, sign and carry out a discharge plan (services check who signs what); record that a
    # resident left against advice; cancel a plan with a reason.
    PLAN_DISCHARGE = "discharge.plan"
    SIGN_DISCHARGE = "discharge.sign"
    ACKNOWLEDGE_DISCHARGE = "discharge.acknowledge"  # the resident signs their return to duty
    RECORD_FOLLOW_UP = "followup.record"  # contact attempts and check-in links after discharge
    CLOSE_LOST = "followup.close_lost"  # close "lost to follow-up", always with a reason
    # Messages between the resident and their care team (conversations/): read the threads, and
    # write in them (start one, or reply). Staff write as themselves; the resident as the resident.
    VIEW_MESSAGES = "message.view"
    SEND_MESSAGE = "message.send"
    # On the center as a whole
    REGISTER = "resident.register"
    VIEW_BED_BOARD = "center.bed_board"
    VIEW_AGGREGATES = "center.aggregates"
    MANAGE_ACCOUNTS = "accounts.manage"
    MANAGE_CENTER = "center.manage"  # the center's details, programs, rooms and beds
    VIEW_LEDGER = "ledger.view"  # checkpoints, proofs, leaf entries: ids and hashes only
    # One resident's trail in the ledger, who looked at their record and what was done to it (as
    # FHIR AuditEvent): the resident, and those who watch the watchers, never those it watches.
    # A ".view": one look per request, like every page's reads.
    VIEW_ACCESS_TRAIL = "ledger.trail.view"
    VIEW_CALENDAR = "center.calendar"  # a caseworker's week of sessions
    PUBLISH_CONSENT_DOCUMENT = "consent.publish"
    VIEW_MAR = "center.mar"  # the shift's medication round: due doses of everyone in residence
    VIEW_FORMULARY = "medication.formulary"
    MANAGE_FORMULARY = "medication.manage_formulary"  # add and retire protocols (medical lead)
    # De-identified data of the residents who consented, for a research protocol or the sponsor
    EXPORT_SHARED_DATA = "data.export"
    # Identified records leaving the center in FHIR (Bulk Data $export): every resident's record
    # the exporter may read, each export one entry naming them, and the oversight body told
    EXPORT_RECORDS = "record.export"
    VIEW_SAFETY = "safety.dashboard"  # signals with their counts and measures (no resident)
    REVIEW_SIGNAL = "safety.review_signal"  # conclude a signal's review (the medical lead)
    # Monitor, restrict or suspend a signal's medicine (the medical lead; alerts oversight)
    DECIDE_SIGNAL = "safety.decide_signal"
    FILE_STAFF_COMPLAINT = "complaint.file_staff"  # a complaint by a member of staff
    HANDLE_COMPLAINTS = "complaint.handle"  # read, assign, answer and move complaints on
    VIEW_FOLLOW_UPS = "center.follow_ups"  # the follow-up worklist (staff: their own contacts)
    # The program's outcomes: counts, rates and charts, never a resident (the contractor's are
    # suppressed under 11)
    VIEW_OUTCOMES = "center.outcomes"
    INVESTIGATE = "oversight.investigate"  # open investigations, grant and revoke access, close
    VIEW_INVESTIGATIONS = "investigation.view"  # investigations (an investigator: their own)


class Purpose(StrEnum):
    CARE = "care"  # member of the resident's care team
    SUPERVISION = "supervision"  # supervisor or program director, whole center
    SELF = "self"  # the resident, on their own record
    BREAK_GLASS = "break_glass"
    MEDICATION_ROUND = "medication_round"  # a nurse giving the shift's doses
    SAFETY_REVIEW = "safety_review"  # the medical lead reviewing the center's adverse events
    INVESTIGATION = "investigation"  # an investigator, under a current grant of the oversight body
    COMPLAINT = "complaint"  # a complaint being filed, handled or followed up
    # The care team of a former resident: the record stays open to them for follow-up only
    FOLLOW_UP = "follow_up"
    OPERATIONS = "operations"  # running the center: intake, beds, aggregates, accounts
    ALERT = "alert"  # an alert about the resident, read by the one it was sent to
    # De-identified data leaving the center, under the resident's consent to a research protocol,
    # or to sharing with the sponsor
    RESEARCH = "research"
    SPONSOR_SHARING = "sponsor_sharing"
    NONE = "none"  # a denied attempt has no valid purpose


# Actions a care-team member may take on the residents of their own caseload.
# The clinical record: what both caseworkers and clinicians on the team do.
CLINICAL_WORK = {
    Action.VIEW_HISTORY,
    Action.REPORT_ADVERSE_EVENT,
    Action.VIEW_ADVERSE_EVENTS,
    Action.WRITE_NOTE,
    Action.ADD_ADDENDUM,
    Action.UPLOAD_RECORDING,
    Action.PLAY_RECORDING,
    Action.RECORD_MEASURE,
    Action.RECORD_CONSENT,
    Action.REVOKE_CONSENT,
    Action.RECORD_ALLERGY,
    Action.WRITE_SAFETY_PLAN,
    Action.VIEW_MESSAGES,
    Action.SEND_MESSAGE,
    Action.ANSWER_CORRECTION,
}
CARE_TEAM = {
    Role.CASEWORKER: {
        Action.VIEW,
        Action.VIEW_BANNER,
        Action.LIST,
        Action.EDIT,
        Action.UPLOAD_PHOTO,
        Action.OPEN_STAY,
        Action.ASSIGN_BED,
        Action.GRANT_PORTAL,
        Action.SCHEDULE_SESSION,
        Action.UPDATE_SESSION,
        Action.PLAN_DISCHARGE,
        Action.SIGN_DISCHARGE,
        Action.RECORD_FOLLOW_UP,
        Action.VIEW_VITALS,
        *CLINICAL_WORK,
    },
    # Only a clinician judges that reading a note would harm the resident, gives medication,
    # and (a prescriber) orders it.
    Role.CLINICIAN: {
        Action.VIEW,
        Action.VIEW_BANNER,
        Action.LIST,
        Action.UPLOAD_PHOTO,
        Action.RELEASE_NOTE,
        Action.VIEW_MEDICATIONS,
        Action.PRESCRIBE,
        Action.ADMINISTER,
        Action.REVIEW_ALLERGY,
        Action.VIEW_VITALS,
        Action.RECORD_VITALS,
        Action.CLEAR_RISK_FLAG,
        Action.PLAN_DISCHARGE,
        Action.SIGN_DISCHARGE,
        Action.RECORD_FOLLOW_UP,
        *CLINICAL_WORK,
    },
}
CARE_TEAM[Role.CASEWORKER].add(Action.VIEW_MEDICATIONS)
# A former resident (discharged, no open stay): their care team keeps only what following them
# up needs, under the purpose "follow-up". No orders, doses, sessions, edits or consents: those
# belong to a stay, and reopening one (a readmission) opens the rest again.
FOLLOW_UP_WORK = {
    Action.VIEW,
    Action.VIEW_BANNER,
    Action.LIST,
    Action.VIEW_HISTORY,
    Action.VIEW_MEDICATIONS,
    Action.VIEW_VITALS,
    Action.VIEW_ADVERSE_EVENTS,
    Action.REPORT_ADVERSE_EVENT,
    Action.RECORD_MEASURE,
    Action.WRITE_NOTE,
    Action.ADD_ADDENDUM,
    Action.SIGN_DISCHARGE,  # left against advice: the signatures follow the discharge
    Action.RECORD_FOLLOW_UP,
    Action.OPEN_STAY,
    # A risk raised after discharge is met with a safety plan, and cleared, all the same.
    Action.WRITE_SAFETY_PLAN,
    Action.CLEAR_RISK_FLAG,
    # The care team answers a former resident's messages through the year of follow-up.
    Action.VIEW_MESSAGES,
    Action.SEND_MESSAGE,
    # The right to amend outlives the stay: a former resident's request is answered all the same.
    Action.ANSWER_CORRECTION,
}
# Actions these roles may take on any resident of the center.
WHOLE_CENTER = {
    role: {
        Action.VIEW,
        Action.VIEW_BANNER,
        Action.LIST,
        Action.EDIT,
        Action.UPLOAD_PHOTO,
        Action.OPEN_STAY,
        Action.ASSIGN_BED,
        Action.ASSIGN_CARE_TEAM,
        Action.GRANT_PORTAL,
        Action.SCHEDULE_SESSION,
        Action.UPDATE_SESSION,
        Action.COSIGN_NOTE,
        Action.RELEASE_NOTE,
        Action.VIEW_MEDICATIONS,
        Action.VIEW_VITALS,  # read, not record: a supervisor is not at the bedside
        Action.PLAN_DISCHARGE,
        Action.RECORD_FOLLOW_UP,
        Action.CLOSE_LOST,
        *CLINICAL_WORK,
    }
    for role in (Role.SUPERVISOR, Role.PROGRAM_DIRECTOR)
}
# What a resident may do with their own record: read it (minus withheld notes and drafts),
# fill in their questionnaires, and give or revoke their consents.
OWN_RECORD = {
    Action.VIEW,
    Action.VIEW_BANNER,  # their own photo, as staff see it
    Action.LIST,
    Action.RECORD_MEASURE,
    Action.RECORD_CONSENT,
    Action.REVOKE_CONSENT,
    Action.VIEW_MEDICATIONS,
    Action.VIEW_VITALS,
    Action.REPORT_ADVERSE_EVENT,
    Action.VIEW_ADVERSE_EVENTS,
    Action.FILE_COMPLAINT,
    Action.ACKNOWLEDGE_DISCHARGE,
    # Write to their care team and read the answers; after discharge, writing stays open only
    # through the year of follow-up (conversations/services.py decides, the follow-up app knows).
    Action.VIEW_MESSAGES,
    Action.SEND_MESSAGE,
    Action.REQUEST_CORRECTION,
    Action.DOWNLOAD_RECORD,
    Action.VIEW_ACCESS_TRAIL,  # "who looked at my record", as the portal shows it
}
# What only the resident may do with their record, whoever else may read it: staff read the
# record in the center, where every look is accounted for; a copy leaving it is the resident's.
RESIDENT_ONLY = {
    Action.DOWNLOAD_RECORD: "Only the resident downloads a copy of their record, logged in "
    "with their own account.",
}
# The medication round: any clinician (the nurse on shift) may read the medication record of a
# resident in residence and record their doses, without being on their care team. Nothing else
# of the record opens this way, and a discharged or expected resident is not on the round.
# A reaction seen on the round is recorded there, and the nurse may confirm or rule out an allergy.
# Vital signs are taken on the round too (before a dose that needs them), and read there.
# The banner and the photo are the two-identifier check before a dose: whose card this is.
MEDICATION_ROUND = {
    Action.VIEW_BANNER,
    Action.VIEW_VITALS,
    Action.RECORD_VITALS,
    Action.VIEW_MEDICATIONS,
    Action.ADMINISTER,
    Action.REPORT_ADVERSE_EVENT,
    Action.RECORD_ALLERGY,
    Action.REVIEW_ALLERGY,
}
# The medical lead reads every resident's adverse event reports, to review the center's signals.
SAFETY_REVIEW = {Action.VIEW_ADVERSE_EVENTS}
# What an investigator may read of a resident named in a current grant. Reads only: nothing an
# investigator does changes the record.
INVESTIGATION_READS = {
    Action.VIEW,
    Action.VIEW_BANNER,
    Action.LIST,
    Action.VIEW_HISTORY,
    Action.VIEW_MEDICATIONS,
    Action.VIEW_VITALS,
    Action.VIEW_ADVERSE_EVENTS,
    Action.PLAY_RECORDING,
    Action.VIEW_ACCESS_TRAIL,  # the ledger's leaves about the resident (may_read_leaf's rule)
}
# What the oversight body reads of any resident: the ledger's entries about them, as it reads
# every leaf of the ledger (VIEW_LEDGER, may_read_leaf), and nothing of the record itself. The
# care team, the supervisors, the director and the sysadmin never read it: the trail of who
# looked is not for those it watches.
OVERSIGHT_READS = {Action.VIEW_ACCESS_TRAIL}
# Actions that need more than a role: a flag on the account, and the words of the refusal.
NEEDS_FLAG = {
    Action.PRESCRIBE: ("is_prescriber", "Only a prescriber may order or stop medication."),
    Action.MANAGE_FORMULARY: ("is_medical_lead", "Only the medical lead keeps the formulary."),
    Action.REVIEW_SIGNAL: ("is_medical_lead", "Only the medical lead concludes a signal's review."),
    Action.DECIDE_SIGNAL: (
        "is_medical_lead",
        "Only the medical lead decides what is done about a signal's medicine.",
    ),
}
# Actions that concern no single resident, and who may take them.
CENTER = {
    Action.REGISTER: {Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAM_DIRECTOR},
    Action.VIEW_BED_BOARD: {
        Role.CASEWORKER,
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
    },
    Action.VIEW_AGGREGATES: {
        Role.CONTRACTOR,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
        Role.OVERSIGHT,
    },
    # The sysadmin runs the accounts (never the center's rooms nor resident data); the program
    # director also staffs the center and sets its care-team defaults.
    Action.MANAGE_ACCOUNTS: {Role.SYSADMIN, Role.PROGRAM_DIRECTOR},
    Action.MANAGE_CENTER: {Role.PROGRAM_DIRECTOR},
    Action.VIEW_LEDGER: {Role.OVERSIGHT, Role.INVESTIGATOR},
    # Caseworkers see their own week (services narrow it); supervisors anyone's.
    Action.VIEW_CALENDAR: {Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAM_DIRECTOR},
    Action.PUBLISH_CONSENT_DOCUMENT: {Role.PROGRAM_DIRECTOR},
    Action.VIEW_MAR: {Role.CLINICIAN},
    Action.VIEW_FORMULARY: {
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
        Role.OVERSIGHT,
    },
    Action.MANAGE_FORMULARY: {Role.CLINICIAN},
    # The program director is the center's data custodian: what leaves the center, leaves by them.
    Action.EXPORT_SHARED_DATA: {Role.PROGRAM_DIRECTOR},
    Action.EXPORT_RECORDS: {Role.PROGRAM_DIRECTOR},
    # Counts and measures only; the cases behind them open per resident (VIEW_ADVERSE_EVENTS).
    Action.VIEW_SAFETY: {
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
        Role.OVERSIGHT,
    },
    Action.REVIEW_SIGNAL: {Role.CLINICIAN},
    Action.DECIDE_SIGNAL: {Role.CLINICIAN},
    Action.FILE_STAFF_COMPLAINT: {
        Role.CASEWORKER,
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
        Role.CONTRACTOR,
        Role.SYSADMIN,
    },
    # The center's complaints officers, and the oversight body, which sees every complaint.
    Action.HANDLE_COMPLAINTS: {Role.SUPERVISOR, Role.PROGRAM_DIRECTOR, Role.OVERSIGHT},
    Action.VIEW_FOLLOW_UPS: {
        Role.CASEWORKER,
        Role.CLINICIAN,
        Role.SUPERVISOR,
        Role.PROGRAM_DIRECTOR,
    },
    # The contractor sees them too, with every count under 11 suppressed (outcomes/suppression).
    Action.VIEW_OUTCOMES: {Role.PROGRAM_DIRECTOR, Role.OVERSIGHT, Role.CONTRACTOR},
    Action.INVESTIGATE: {Role.OVERSIGHT},
    Action.VIEW_INVESTIGATIONS: {Role.OVERSIGHT, Role.INVESTIGATOR},
}
# Out-of-caseload reads a clinician may open by giving a reason.
BREAK_GLASS_ROLES = {Role.CLINICIAN}
BREAK_GLASS_ACTIONS = {Action.VIEW, Action.VIEW_BANNER}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    purpose: Purpose
    reason: str


class AccessDenied(PermissionDenied):
    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


def _a(user) -> str:
    """'A caseworker', 'An oversight officer', 'An investigator': the role, for a sentence."""
    role = user.get_role_display().lower()
    return f"{'An' if role[:1] in 'aeiou' else 'A'} {role}"


# A fact the decision needs and no app registered (access/rules.py): refused, never allowed.
UNREGISTERED = "The center's access rules are not all in place; this is refused."


def _deny(reason: str) -> Decision:
    return Decision(False, Purpose.NONE, reason)


def on_care_team(user, resident) -> bool:
    return rules.ask("on_care_team", user, resident)


def active_break_glass(user, resident):
    from .models import BreakGlass

    return (
        BreakGlass.objects.filter(actor=user, resident=resident, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def investigation_covers(user, resident) -> bool:
    return rules.ask("investigation_covers", user, resident)


def may_read_leaf(user, entry) -> bool:
    """One ledger leaf in full: the oversight body reads any; an investigator only those their
    current grants cover (about a named resident, or by a named member of staff). Checkpoints,
    proofs and leaf hashes reveal nothing and stay open to both."""
    if not decide(user, Action.VIEW_LEDGER).allowed:
        return False
    if user.role == Role.INVESTIGATOR:
        try:
            return rules.ask("covers_entry", user, entry)
        except rules.Unregistered:
            return False
    return True


def in_residence(resident) -> bool:
    return rules.ask("in_residence", resident)


def former_resident(resident) -> bool:
    """Discharged, with no stay open (expected or in residence): followed up, no longer cared for
    in the center. Asked only of care-team members, whose access it narrows."""
    return rules.ask("former_resident", resident)


def _standing(statuses: set) -> tuple[bool, bool]:
    """(in residence, former resident) from every status of a resident's stays."""
    return rules.ask("stay_standing", statuses)


def decide(user, action: Action, resident=None, *, member=None) -> Decision:
    """`member`: whether the user is on the resident's care team, when the caller already
    knows (decide_many asks once for a page's many decisions)."""
    refusal = _refused_outright(user, action)
    if refusal is not None:
        return refusal
    facts = None if resident is None else _OneResident(user, resident, member)
    return _ruled(user, action, resident, facts)


def _ruled(user, action, resident, facts) -> Decision:
    """The rules' answer; a fact no app registered (access/rules.py) refuses, never allows."""
    try:
        return _decide(user, user.role, action, resident, facts)
    except rules.Unregistered:
        return _deny(UNREGISTERED)


def decide_many(user, actions, resident, *, member=None, stay_statuses=None) -> dict:
    """Several decisions on one resident (what a page offers), each fact about the resident
    (care team, stays, break-glass) asked once for all of them. A page that has loaded the care
    team (`member`) or the stays (`stay_statuses`, every one of the resident's) passes them."""
    facts = _OneResident(user, resident, member)
    if stay_statuses is not None:
        # Unregistered: each decision asks again, and is refused.
        with contextlib.suppress(rules.Unregistered):
            facts.knows_stays(set(stay_statuses))
    decisions = {}
    for action in actions:
        refusal = _refused_outright(user, action)
        decisions[action] = refusal or _ruled(user, action, resident, facts)
    return decisions


def decide_for_residents(user, action: Action, residents) -> dict:
    """One action on many residents (the round, a worklist): {resident id: Decision}, the same
    answers as `decide` on each, in a bounded number of queries whatever the number of residents:
    each fact a rule needs (care team, stays, break-glass, grants) is asked once for all of them,
    and only if some rule asks it."""
    residents = list(residents)
    refusal = _refused_outright(user, action)
    if refusal is not None:
        return {r.pk: refusal for r in residents}
    known = _ManyResidents(user, [r.pk for r in residents])
    return {r.pk: _ruled(user, action, r, _AmongMany(known, r.pk)) for r in residents}


def _refused_outright(user, action) -> Decision | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return _deny("You must be logged in.")
    if action in NEEDS_FLAG:
        flag, refusal = NEEDS_FLAG[action]
        if not getattr(user, flag, False):
            return _deny(refusal)
    return None


class _OneResident:
    """What the rules may need to know about one resident, each asked only when a rule does,
    and once (a page deciding several actions asks each fact once)."""

    def __init__(self, user, resident, member=None):
        self.user, self.resident = user, resident
        self._known = {} if member is None else {"member": member}

    def _ask(self, fact, question):
        if fact not in self._known:
            self._known[fact] = question()
        return self._known[fact]

    def knows_stays(self, statuses: set):
        self._known["in_residence"], self._known["former"] = _standing(statuses)

    def member(self) -> bool:
        return self._ask("member", lambda: on_care_team(self.user, self.resident))

    def in_residence(self) -> bool:
        return self._ask("in_residence", lambda: in_residence(self.resident))

    def former(self) -> bool:
        return self._ask("former", lambda: former_resident(self.resident))

    def break_glass(self) -> bool:
        return self._ask(
            "break_glass", lambda: active_break_glass(self.user, self.resident) is not None
        )

    def covered(self) -> bool:
        return self._ask("covered", lambda: investigation_covers(self.user, self.resident))


class _ManyResidents:
    """The same facts for many residents: one query per fact for all of them, on first need."""

    def __init__(self, user, resident_ids):
        self.user, self.ids = user, resident_ids

    @cached_property
    def members(self) -> set:
        teams = rules.ask("care_teams_of", self.user).filter(resident_id__in=self.ids)
        return {row["resident_id"] for row in teams}

    @cached_property
    def _standings(self) -> dict:
        statuses = rules.ask("stay_statuses", self.ids)
        return {r: _standing(s) for r, s in statuses.items()}

    @cached_property
    def residing(self) -> set:
        return {r for r, (residing, _) in self._standings.items() if residing}

    @cached_property
    def former(self) -> set:
        return {r for r, (_, former) in self._standings.items() if former}

    @cached_property
    def glass(self) -> set:
        from .models import BreakGlass

        return set(
            BreakGlass.objects.filter(
                actor=self.user, resident_id__in=self.ids, expires_at__gt=timezone.now()
            ).values_list("resident_id", flat=True)
        )

    @cached_property
    def covered(self) -> set:
        return {row["resident_id"] for row in rules.ask("covered_residents", self.user)}


class _AmongMany:
    def __init__(self, known: _ManyResidents, resident_id):
        self.known, self.id = known, resident_id

    def member(self) -> bool:
        return self.id in self.known.members

    def in_residence(self) -> bool:
        return self.id in self.known.residing

    def former(self) -> bool:
        return self.id in self.known.former

    def break_glass(self) -> bool:
        return self.id in self.known.glass

    def covered(self) -> bool:
        return self.id in self.known.covered


def _decide(user, role, action: Action, resident, facts) -> Decision:
    if action in RESIDENT_ONLY and role != Role.RESIDENT:
        return _deny(RESIDENT_ONLY[action])
    if resident is None:
        if action in CENTER and role in CENTER[action]:
            return Decision(True, Purpose.OPERATIONS, "")
        return _deny(f"{_a(user)} may not do this.")

    if role == Role.RESIDENT:
        if action in OWN_RECORD and resident.user_id == user.pk:
            return Decision(True, Purpose.SELF, "")
        return _deny("Residents may only see their own record.")
    if role == Role.INVESTIGATOR:
        if action in INVESTIGATION_READS and facts.covered():
            return Decision(True, Purpose.INVESTIGATION, "")
        if action in INVESTIGATION_READS:
            return _deny("No current grant of yours covers this resident's record.")
        return _deny("An investigator reads; nothing an investigator does changes a record.")
    if role == Role.OVERSIGHT and action in OVERSIGHT_READS:
        # The oversight body's own purpose on the ledger: it looks into the center's accesses.
        return Decision(True, Purpose.INVESTIGATION, "")
    if action in WHOLE_CENTER.get(role, ()):
        return Decision(True, Purpose.SUPERVISION, "")
    if role in CARE_TEAM:
        member = facts.member()
        if member and action in CARE_TEAM[role] and facts.former():
            if action in FOLLOW_UP_WORK:
                return Decision(True, Purpose.FOLLOW_UP, "")
            return _deny(
                "This resident has been discharged: their record stays open to the care team "
                "for follow-up only."
            )
        if member and action in CARE_TEAM[role]:
            return Decision(True, Purpose.CARE, "")
        if role == Role.CLINICIAN and action in SAFETY_REVIEW and user.is_medical_lead:
            return Decision(True, Purpose.SAFETY_REVIEW, "")
        if role == Role.CLINICIAN and action in MEDICATION_ROUND and not member:
            if facts.in_residence():
                return Decision(True, Purpose.MEDICATION_ROUND, "")
            return _deny("This resident is not on your care team, nor in residence.")
        if role in BREAK_GLASS_ROLES and not member:
            if action == Action.BREAK_GLASS:
                return Decision(True, Purpose.BREAK_GLASS, "")
            if action in BREAK_GLASS_ACTIONS and facts.break_glass():
                return Decision(True, Purpose.BREAK_GLASS, "")
            if action in BREAK_GLASS_ACTIONS:
                return _deny(
                    "This resident is not on your care team. Open it with break-glass "
                    "and a reason if you must."
                )
        if not member:
            return _deny("This resident is not on your care team.")
        return _deny(f"{_a(user)} may not do this on a resident's record.")
    return _deny(f"{_a(user)} does not see resident records.")


def require(user, action: Action, resident=None) -> Decision:
    """Allow, or write the denied attempt to the ledger and raise AccessDenied.

    Call it before the service opens its transaction, so the denial entry is committed even
    though the attempted work is not."""
    decision = decide(user, action, resident)
    if not decision.allowed:
        refuse(user, action, resident, decision)
    return decision


def record_denial(user, action, target=None, *, purpose=Purpose.NONE) -> None:
    """Write a denied attempt to the ledger. `target`: a ledger.Target, a resident, or None (an
    act on the center). A denial is an attempt on the record: write it outside the attempted
    work's transaction, so it is committed even though the work is not."""
    if target is None:
        target = ledger.Target()
    elif not isinstance(target, ledger.Target):
        target = ledger.Target.of(target, resident_id=target.pk)
    ledger.append(user, str(action), target, purpose=purpose, outcome=Outcome.DENIED)


def refuse(user, action, target=None, decision=None, *, reason="", error=None) -> NoReturn:
    """The one way every layer refuses: write the denied attempt (record_denial) and raise
    `error`, or AccessDenied (403) with the decision, or with `reason` for a rule the tables
    above cannot express (whose note, whose calendar, who signs which line)."""
    if decision is None:
        decision = Decision(False, Purpose.NONE, reason)
    record_denial(user, action, target, purpose=decision.purpose)
    raise error if error is not None else AccessDenied(decision)


def refuse_unknown(user, action, object_type: str, object_id, error, resident_id=None) -> NoReturn:
    """Asking for a row that does not exist (`object_type` its label, e.g. "medications.order")
    is accounted for like any refused access: written down, then `error` (a 404's)."""
    target = ledger.Target(
        resident_id=resident_id, object_type=object_type, object_id=str(object_id)
    )
    refuse(user, action, target, error=error)


def standing_purpose(user) -> Purpose:
    """Why this user looks at the residents they may list: the purpose their entries carry."""
    role = getattr(user, "role", None)
    if role in WHOLE_CENTER:
        return Purpose.SUPERVISION
    if role in CARE_TEAM:
        return Purpose.CARE
    if role == Role.RESIDENT:
        return Purpose.SELF
    if role == Role.INVESTIGATOR:
        return Purpose.INVESTIGATION
    return Purpose.NONE


def visible_residents(user, queryset=None):
    """The residents this user may see in lists: their caseload, the center, or nobody."""
    # Without the residents app's registration there is no list to narrow: Unregistered raises.
    qs = rules.ask("residents") if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    role = user.role
    try:
        if Action.LIST in WHOLE_CENTER.get(role, ()):
            return qs
        if role in CARE_TEAM:
            return qs.filter(pk__in=rules.ask("care_teams_of", user))
        if role == Role.RESIDENT:
            return qs.filter(user=user)
        if role == Role.INVESTIGATOR:
            return qs.filter(pk__in=rules.ask("covered_residents", user))
    except rules.Unregistered:
        pass
    return qs.none()
