"""`dial`: the phone numbers a resident reads are links a phone dials; nothing else is."""

from homecoming.core.templatetags.phone_numbers import dial
from homecoming.measures.views import CRISIS_RESOURCES


def test_the_crisis_numbers_are_links_the_phone_dials_or_texts():
    html = dial(CRISIS_RESOURCES)
    assert '<a class="dial" href="tel:988">988</a> and press 1' in html
    assert 'text <a class="dial" href="sms:838255">838255</a>' in html
    assert '<a class="dial" href="tel:911">911</a>' in dial("In danger now? Call 911.")


def test_a_full_phone_number_is_a_link_to_it():
    html = dial("The center, day and night: (555) 010-0100.")
    assert '<a class="dial" href="tel:+15550100100">(555) 010-0100</a>.' in html


def test_other_numbers_are_left_alone():
    # A count, a dose, a date, a longer number that contains a crisis number.
    for text in ("9880 entries", "dose 911.5 mg", "on 2026-09-11", "ref 19881", "v1.988"):
        assert "<a" not in dial(text), text


def test_the_text_is_escaped_before_any_link_is_added():
    html = dial('<script>alert("x")</script> call 988')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="tel:988"' in html
