"""Ledger codes in words a resident reads: "viewed your record", not "resident.view"."""

from django import template

register = template.Library()

ACTIONS = {
    "resident.view": "viewed the record",
    "resident.list": "saw your name in a list or search",
    "resident.edit": "corrected the intake record",
    "resident.register": "registered the resident at intake",
    "resident.portal_access": "gave portal access",
    "resident.break_glass": "opened the record in an emergency",
    "stay.open": "opened a stay",
    "stay.arrive": "recorded the arrival",
    "stay.cancel": "cancelled the planned admission",
    "bed.assign": "changed the bed",
    "careteam.assign": "changed the care team",
    "resident.view_history": "read the record's history",
    "record.download": "downloaded a copy of the record",
    "record.export": "exported records from the center in FHIR (bulk export)",
    "account.create": "created a log-in",
    "session.schedule": "scheduled a session",
    "session.check_in": "checked the resident in to a session",
    "session.no_show": "marked a session missed (no-show)",
    "session.held": "recorded a session as held",
    "session.cancel": "cancelled a session",
    "session.reschedule": "moved a session to another time",
    "calendar.feed_make": "made a calendar link of their sessions",
    "calendar.feed_stop": "stopped their calendar link",
    "note.start": "started a note",
    "note.draft": "saved a draft note",
    "note.sign": "signed a note",
    "note.cosign": "co-signed a note",
    "note.addendum": "added an addendum to a note",
    "note.withhold": "withheld a note from the resident",
    "note.release": "released a note to the resident",
    "note.view": "read a note",
    "recording.upload": "uploaded a session recording",
    "recording.play": "played a session recording",
    "measure.record": "recorded a questionnaire",
    "consent.publish": "published a consent document",
    "consent.sign": "recorded a consent",
    "consent.record": "recorded a consent",
    "consent.revoke": "withdrew a consent",
    "consent.witness": "witnessed a consent",
    "consent.confirm": "confirmed a consent",
    "medication.view": "viewed the medication record",
    "medication.prescribe": "ordered a medication",
    "medication.discontinue": "stopped a medication order",
    "medication.administer": "recorded a dose",
    "medication.witness": "witnessed a dose",
    "medication.override": "co-signed a dose given early or despite an allergy",
    "medication.formulary": "read the formulary",
    "medication.protocol_add": "added a protocol to the formulary",
    "medication.protocol_retire": "retired a protocol",
    "medication.ingredient_add": "added an ingredient to the formulary",
    "medication.interaction_add": "listed two interacting ingredients",
    "medication.order_check": "acknowledged a warning when ordering a medication",
    "medication.interaction_override": "co-signed an order despite an interaction or an allergy",
    "allergy.record": "recorded an allergy",
    "allergy.none_known": "recorded that there are no known allergies",
    "allergy.verify": "confirmed an allergy",
    "allergy.rule_out": "ruled out an allergy",
    "allergy.override": "ordered a medication despite an allergy",
    "vitals.view": "viewed the vital signs",
    "banner.view": "saw your name, photo, bed and allergies at the top of a page",
    "photo.upload": "took your photo (the one staff see at the top of your record)",
    "vitals.record": "recorded vital signs",
    "vitals.entered_in_error": "marked vital signs entered in error",
    "safetyplan.write": "wrote your safety plan",
    "safetyplan.sign": "signed a version of your safety plan",
    "correction.request": "asked for a correction of your record",
    "correction.answer": "answered your request for a correction",
    "correction.decline": "tried to decline a correction request about an entry they wrote",
    "correction.disagree": "filed a statement of disagreement with a declined correction",
    "riskflag.raise": "flagged a risk from your answer to a questionnaire",
    "riskflag.clear": "cleared a risk flag, with the reason",
    "message.view": "read your messages",
    "message.start": "started a message thread",
    "message.send": "sent a message",
    "message.read": "read a message (a read receipt)",
    "center.mar": "saw the name on the medication round",
    "data.export": "included your scores, without your name, in a data export",
    "safety.report": "reported an adverse event (a side effect or other harm)",
    "safety.outcome": "updated how an adverse event turned out",
    "safety.view": "read the adverse event reports",
    "complaint.file": "filed a complaint",
    "complaint.update": "worked on a complaint",
    "complaint.view": "read a complaint",
    "complaint.follow_up": "followed a complaint up with its receipt",
    "investigation.grant": "gave an investigator of the oversight body read-only access to "
    "your record, for a fixed period",
    "investigation.evidence": "exported your record in an investigation's evidence bundle",
    "investigation.open": "opened an investigation",
    "investigation.revoke": "ended an investigator's access",
    "investigation.close": "closed an investigation",
    "investigation.read_entries": "read the ledger entries of staff under investigation",
    "investigation.view": "read an investigation",
    "oversight.investigate": "acted for the oversight body",
    "complaint.handle": "handled complaints",
    "complaint.file_staff": "filed a complaint as staff",
    "safety.dashboard": "read the safety dashboard",
    "safety.signal": "raised a safety signal",
    "safety.signal_update": "updated a safety signal's counts",
    "safety.review_signal": "concluded a safety signal's review",
    "ledger.view": "read the audit ledger",
    "ledger.trail.view": "read who looked at the record",
    "alert.acknowledge": "acknowledged an alert about you",
    "alert.view": "read an alert about you",
    "alert.close": "closed an alert about you by doing the work it asked",
    "alert.escalate": "escalated an alert about you that nobody had acknowledged in time",
    "alert.preferences": "changed how their alerts are e-mailed",
    "account.change_email": "changed their e-mail address",
    "discharge.plan": "wrote a discharge plan",
    "discharge.edit": "changed the discharge plan",
    "discharge.cancel": "cancelled the discharge plan",
    "discharge.sign": "signed the discharge plan",
    "discharge.fitness": "assessed fitness for duty",
    "discharge.acknowledge": "acknowledged the return-to-duty plan",
    "discharge.carry_out": "discharged the resident",
    "discharge.against_advice": "recorded that the resident left against advice",
    "discharge.view": "read the discharge plan",
    "discharge.summary": "read the discharge summary",
    "stay.discharge": "ended the stay",
    "followup.schedule": "planned a follow-up contact after your discharge",
    "followup.attempt": "tried to reach you for your follow-up",
    "followup.made": "recorded your follow-up contact as made",
    "followup.escalate": "told the supervisors your follow-up contact was overdue",
    "followup.missed": "recorded your follow-up contact as missed",
    "followup.lost": "recorded that the center lost touch with you after discharge",
    "followup.close_lost": 'closed "lost to follow-up" on your record, with a reason',
    "followup.send_link": "sent you a self check-in link",
    "followup.revoke_link": "replaced your earlier check-in link",
    "followup.link_used": "used your check-in link",
    "followup.check_in": "checked in after discharge",
    "followup.view": "opened your follow-up contact",
    "followup.list": "saw your name on the follow-up worklist",
    "followup.program_days": "set a program's follow-up days",
    "outcomes.view": "looked at the program's outcomes (counts only)",
    "outcomes.export": "exported the program's outcomes (counts only)",
}
PURPOSES = {
    "care": "care team",
    "supervision": "supervision",
    "self": "your own",
    "break_glass": "emergency (break-glass)",
    "operations": "center operations",
    "medication_round": "medication round",
    "research": "a research protocol you consented to",
    "sponsor_sharing": "sharing with the sponsor, as you consented",
    "safety_review": "the medical lead's safety review",
    "investigation": "an investigation by the oversight body",
    "complaint": "a complaint",
    "alert": "an alert sent to them about you",
    "follow_up": "follow-up after discharge",
    "none": "no valid purpose",
}


# A refused confirmation is entered in the name of the person whose password or code was wrong
# (so their own lock-out counts it), though someone else may have typed it: say what happened.
REFUSED_CONFIRMATIONS = {
    "note.sign": "signature not given: a wrong password or code was entered for it",
    "note.cosign": "co-signature not given: a wrong password or code was entered for it",
    "note.addendum_sign": "addendum not added: a wrong password or code was entered for it",
    "medication.witness": "witness signature not given: a wrong password or code was entered",
    "medication.override": "co-signature of a dose past a hard stop not given: a wrong password "
    "or code was entered",
    "consent.witness": "witness signature on a consent not given: a wrong password or code was "
    "entered",
    "consent.confirm": "consent not confirmed: a wrong password was entered for it",
    "medication.interaction_override": "co-signature of an order despite an interaction or an "
    "allergy not given: a wrong password or code was entered",
    "safetyplan.sign": "safety plan not signed: a wrong password or code was entered for it",
}


@register.filter
def action_words(code: str) -> str:
    return ACTIONS.get(code, code)


@register.filter
def entry_words(entry) -> str:
    """What an entry records, in words (the page says beside it whether it was refused)."""
    if entry.outcome == "denied" and entry.action in REFUSED_CONFIRMATIONS:
        return REFUSED_CONFIRMATIONS[entry.action]
    return action_words(entry.action)


@register.filter
def role_words(code: str) -> str:
    from homecoming.accounts.models import Role

    try:
        return Role(code).label.lower()
    except ValueError:
        return code or "no role"


@register.filter
def purpose_words(code: str) -> str:
    return PURPOSES.get(code, code)


# "for your care": why someone looked, as the end of the resident's sentence.
PURPOSE_PHRASES = {
    "care": "for your care",
    "supervision": "supervising the center",
    "self": "yourself",
    "break_glass": "in an emergency (break-glass), outside your care team",
    "operations": "running the center",
    "medication_round": "on the medication round",
    "research": "for a research protocol you consented to",
    "sponsor_sharing": "for sharing with the sponsor, as you consented",
    "safety_review": "for the medical lead's safety review",
    "investigation": "for an investigation by the oversight body",
    "complaint": "for a complaint",
    "alert": "because an alert about you was sent to them",
    "follow_up": "for your follow-up after discharge",
}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# The formats a copy of the record is downloaded in, as the resident's sentence names them.
DOWNLOAD_FORMATS = {
    "pdf": "a PDF",
    "json": "a data file (JSON)",
    "fhir": "a FHIR file, for another provider",
}


def look_words(entry) -> str:
    """What a look showed: "opened your chart: notes and questionnaires"."""
    if entry.action == "record.download":
        form = DOWNLOAD_FORMATS.get(entry.details.get("format"), "a file")
        return f"downloaded a copy of your record as {form}"
    if entry.residents_named:
        return ACTIONS.get(entry.action, "saw your name in a list")
    sections = list(getattr(entry, "shown", entry.sections))
    if "chart" in sections:
        rest = [s for s in sections if s != "chart"]
        return "opened your chart" + (f": {_and(rest)}" if rest else "")
    if sections:
        return f"looked at your {_and(sections)}"
    return entry_words(entry)


@register.filter
def statement(entry) -> str:
    """One line of "who looked at my record", as a sentence: "Heidi Bergman, caseworker,
    opened your chart: notes and questionnaires, for your care"."""
    what = look_words(entry) if entry.outcome != "denied" else entry_words(entry)
    # Staff by name and role; the resident, another resident and the system by name alone.
    if entry.who_role in ("resident", "system", "anonymous", ""):
        sentence = f"{entry.who[:1].upper()}{entry.who[1:]} {what}"
    else:
        sentence = f"{entry.who}, {role_words(entry.who_role)}, {what}"
    if entry.outcome == "denied":
        return f"{sentence}: refused"
    why = PURPOSE_PHRASES.get(entry.purpose, "")
    if why and entry.purpose != "self":
        sentence = f"{sentence}, {why}"
    via = entry.details.get("via", "")
    if via.startswith("oversight.grant#"):
        sentence = f"{sentence}, under grant #{via.split('#')[1]}"
    if getattr(entry, "because", ""):
        sentence = f"{sentence}. Reason given: {entry.because}"
    return sentence
