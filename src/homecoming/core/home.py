"""The home page's worklists: what this person must do, each a short list linking straight to
the thing (core/worklist.py: the first few, oldest first, and how many).

One line per list: its context key and the selector that reads it for the user. A selector
answers None to those the list is not for (a caseworker co-signs nothing), and each narrows
its rows by the access policy, as every list does. Adding a list is one line here and one
include in core/home.html (its template under core/worklists/)."""

from homecoming.accounts.models import Role
from homecoming.conversations import selectors as conversations
from homecoming.corrections import selectors as corrections
from homecoming.encounters import notes_selectors
from homecoming.followup import selectors as followup
from homecoming.safetyplans import selectors as safetyplans

# Those who care for residents: their caseload's lists (a supervisor's, the center's).
CARE = (Role.CASEWORKER, Role.CLINICIAN, Role.SUPERVISOR, Role.PROGRAM_DIRECTOR)


def _for_care(read):
    """A list only those who care for residents work through (None for everyone else)."""
    return lambda user: read(user) if user.role in CARE else None


WORKLISTS = {
    "unsigned_notes": notes_selectors.unsigned_drafts,
    "cosignatures_due": notes_selectors.cosignatures_due,
    # A positive PHQ-9 item 9: the safety plan is reviewed within the day (safetyplans).
    "safety_reviews": _for_care(safetyplans.reviews_due),
    # Residents' messages nobody on the team has answered yet (conversations).
    "messages_waiting": _for_care(conversations.waiting),
    # Residents' requests to correct their record, answered within 60 days (corrections).
    "correction_requests": _for_care(corrections.open_requests),
    "questionnaires_overdue": followup.questionnaires_overdue,
    "follow_ups": followup.due_list,
}


def worklists(user) -> dict:
    return {key: read(user) for key, read in WORKLISTS.items()}
