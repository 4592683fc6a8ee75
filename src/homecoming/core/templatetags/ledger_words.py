"""Ledger codes in words a resident reads: "viewed your record", not "resident.view"."""

from django import template

register = template.Library()

ACTIONS = {
    "resident.view": "viewed the record",
    "resident.list": "saw the name in a list or search",
    "resident.edit": "corrected the intake record",
    "resident.register": "registered the resident at intake",
    "resident.portal_access": "gave portal access",
    "resident.break_glass": "opened the record in an emergency",
    "stay.open": "opened a stay",
    "bed.assign": "changed the bed",
    "careteam.assign": "changed the care team",
}
PURPOSES = {
    "care": "care team",
    "supervision": "supervision",
    "self": "the resident",
    "break_glass": "emergency (break-glass)",
    "operations": "center operations",
    "none": "no valid purpose",
}


@register.filter
def action_words(code: str) -> str:
    return ACTIONS.get(code, code)


@register.filter
def purpose_words(code: str) -> str:
    return PURPOSES.get(code, code)
