"""`{{ text|dial }}`: the phone numbers in a sentence a resident reads, as links a phone dials.

The crisis numbers below become links (a tap on "988" calls the Veterans Crisis Line; "text
838255" opens a message to it), and so does a number written in full as "(555) 010-0100" (the
center's own, a caseworker's, on the discharge plan). No other number is touched, so a date, a
dose or a count is never mistaken for a phone number."""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Each crisis number and the link a phone follows for it.
NUMBERS = {
    "988": "tel:988",  # the Veterans Crisis Line: call and press 1
    "911": "tel:911",  # emergency services
    "838255": "sms:838255",  # the Veterans Crisis Line by text message
}
_NUMBER = re.compile(
    r"(?<![\w.])(" + "|".join(NUMBERS) + r")(?!\w|\.\d)|(\(\d{3}\) ?\d{3}-\d{4})(?!\d)"
)


def _link(match) -> str:
    number = match[1] or match[2]
    href = NUMBERS.get(number) or "tel:+1" + re.sub(r"\D", "", number)
    return format_html('<a class="dial" href="{}">{}</a>', href, number)


@register.filter
def dial(text) -> str:
    """`text`, escaped, with each crisis number and each full phone number a link."""
    return mark_safe(_NUMBER.sub(_link, escape(text)))
