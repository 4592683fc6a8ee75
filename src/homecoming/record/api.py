"""The resident's own record over JSON: what the portal's /my-record/ page shows them, and its
"who looked at your record", from the same composition (record/pages.py), so the API shows
neither more nor less than the portal. The resident only, with their own log-in or token."""

import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from homecoming.core.own_record import own_resident
from homecoming.core.schemas import Error, Pages
from homecoming.core.templatetags.ledger_words import statement

from . import own_copy, pages

router = Router(tags=["my record"])


class OwnContactOut(Schema):
    name: str
    relationship: str
    phone: str


class DetailsOut(Schema):
    """What the portal's "What we hold about you" shows."""

    name: str
    legal_name: str
    date_of_birth: dt.date
    service_branch: str
    service_start: dt.date
    service_end: dt.date | None
    emergency_contact: OwnContactOut


class OwnStayOut(Schema):
    admitted_on: dt.date
    expected_length_days: int
    bed: str | None = Field(description="Room and bed; null: not yet assigned.")


class TeamMemberOut(Schema):
    role: str
    name: str


class OwnSessionOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    kind: str
    title: str
    with_: str = Field(alias="with", description="The caseworker who holds it.")
    location: str


class ComingSessionOut(OwnSessionOut):
    checked_in: bool
    moved_from: dt.datetime | None
    move_reason: str


class CancelledSessionOut(OwnSessionOut):
    cancellation_reason: str


class SessionsOut(Schema):
    upcoming: list[ComingSessionOut]
    cancelled: list[CancelledSessionOut]


class OwnNoteOut(Schema):
    id: int
    kind: str
    signed_at: dt.datetime | None
    signed_by: str
    addenda: int = Field(description="How many addenda the note has.")


class OwnConsentOut(Schema):
    document: str
    since: dt.datetime


class OwnAllergyOut(Schema):
    kind: str
    substance: str
    reaction: str
    severity: str
    confirmed: bool


class OwnAllergiesOut(Schema):
    active: list[OwnAllergyOut]
    none_known_since: dt.datetime | None
    recorded: bool


class MyRecordOut(Schema):
    details: DetailsOut
    stay: OwnStayOut | None = Field(description="The open stay; null: none.")
    left_on: dt.date | None = Field(
        description="With no open stay: the day of the latest discharge, if any."
    )
    care_team: list[TeamMemberOut]
    sessions: SessionsOut
    latest_notes: list[OwnNoteOut] = Field(
        description="The latest notes released to you (at most three, as the portal's page)."
    )
    questionnaires: list[str] = Field(
        description="One line per questionnaire you completed: its trend, in words."
    )
    consents_in_force: list[OwnConsentOut]
    allergies: OwnAllergiesOut


class LookOut(Schema):
    """One line of "who looked at your record": what one person did in one go."""

    at: dt.datetime
    who: str = Field(
        description="Staff by name; you by your name; 'another resident'; 'the system'."
    )
    role: str = Field(description="The role code of who acted (staff, resident or system).")
    statement: str = Field(description="The line as the portal words it.")
    action: str = Field(description="The ledger's code for what was done.")
    sections: list[str] = Field(description="The parts of the record shown.")
    purpose: str
    times: int = Field(description="How many ledger entries this line stands for.")
    refused: bool
    break_glass: bool
    reason: str = Field(description="For a break-glass look: the reason its opener gave.")
    grant_id: int | None = Field(
        description="For an investigator's look: the oversight grant it went through."
    )


def _name(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _record(context) -> dict:
    chart = context["chart"]
    stay, left = chart.stay, chart.last_discharge
    return {
        "details": own_copy._details(chart),
        "stay": (
            {
                "admitted_on": stay.admitted_on,
                "expected_length_days": stay.expected_length_days,
                "bed": str(chart.bed) if chart.bed else None,
            }
            if stay
            else None
        ),
        "left_on": left.discharged_on if left and not stay else None,
        "care_team": [
            {"role": m.get_team_role_display(), "name": _name(m.user)} for m in chart.care_team
        ],
        "sessions": own_copy.sessions_in_words(context["upcoming"], context["cancelled"]),
        "latest_notes": [
            {
                "id": v.note.pk,
                "kind": v.note.get_template_display(),
                "signed_at": v.note.signed_at,
                "signed_by": _name(v.note.author),
                "addenda": len(v.addenda),
            }
            for v in context["my_notes"].notes
            if v.released_to_resident
        ],
        "questionnaires": [t.summary for t in context["measures"].instruments if t.points],
        "consents_in_force": [
            {"document": c.document.title, "since": c.signed_at}
            for c in context["consents_in_force"]
        ],
        "allergies": own_copy._allergies(context["allergies"]),
    }


def _grant(entry) -> int | None:
    via = entry.details.get("via", "") if entry.detail else ""
    return int(via.split("#")[1]) if via.startswith("oversight.grant#") else None


def _look(entry) -> dict:
    return {
        "at": entry.time,
        "who": entry.who,
        "role": entry.who_role or "",
        "statement": statement(entry),
        "action": entry.action,
        "sections": entry.shown,
        "purpose": entry.purpose,
        "times": entry.times,
        "refused": entry.outcome == "denied",
        "break_glass": entry.purpose == "break_glass",
        "reason": getattr(entry, "because", ""),
        "grant_id": _grant(entry),
    }


@router.get("/my-record", response={200: MyRecordOut, 403: Error, 404: Error}, by_alias=True)
def my_record(request):
    """Read the resident's own record, as the portal's My record page shows it. The resident only,
    with their own log-in or token: an account linked to no resident record (every member of
    staff) gets 404, as at the portal's address. Reading it is one ledger entry, as the page
    is (the resident's own reads are not listed in their "who looked"). Each section's whole
    list is on its own page of the portal, and the whole record in `GET
    /api/v1/my-record/download`; who looked is `GET /api/v1/my-record/looks`."""
    resident = own_resident(request)
    return _record(pages.own_record(request.auth, resident))


@router.get("/my-record/looks", response={200: list[LookOut], 403: Error, 404: Error})
@paginate(Pages)
def my_looks(request):
    """List who looked at the resident's own record. Newest first, as the portal lists it. The
    resident only: an account linked to no resident record (every member of staff) gets 404.
    The resident's own visits are left out (their changes and downloads are listed); staff are
    named with their role, other residents are not named, a break-glass look carries the reason
    given, and an investigator's look the grant it went through. What one person did in one go
    is one line (`times` entries). Reading it is one ledger entry."""
    resident = own_resident(request)
    return [_look(e) for e in pages.who_looked(request.auth, resident)]
