"""Adverse event terms and signal measures in the words and figures the pages show."""

from django import template

from .. import terms

register = template.Library()


@register.filter
def term_name(code: str) -> str:
    return terms.name_of(code)


@register.filter
def figure(value, places=2) -> str:
    """A stored measure: '12.35', '∞' for an unbounded ratio, '—' where it is undefined."""
    if value is None:
        return "—"
    if value == "inf":
        return "∞"
    return f"{float(value):.{int(places)}f}"


@register.filter
def rule_words(rules) -> str:
    from ..signals import RULE_WORDS

    return " and ".join(RULE_WORDS.get(r, r) for r in rules or [])


@register.filter
def p_value(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
