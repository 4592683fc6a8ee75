"""The home page's worklists: what this person must do, each a short list linking straight to
the thing (core/worklist.py: the first few, oldest first, and how many).

One line per list: its context key and the selector that reads it for the user. A selector
answers None to those the list is not for (a caseworker co-signs nothing), and each narrows
its rows by the access policy, as every list does. Adding a list is one line here and one
include in core/home.html (its template under core/worklists/)."""

from homecoming.encounters import notes_selectors
from homecoming.followup import selectors as followup

WORKLISTS = {
    "unsigned_notes": notes_selectors.unsigned_drafts,
    "cosignatures_due": notes_selectors.cosignatures_due,
    "questionnaires_overdue": followup.questionnaires_overdue,
    "follow_ups": followup.due_list,
}


def worklists(user) -> dict:
    return {key: read(user) for key, read in WORKLISTS.items()}
