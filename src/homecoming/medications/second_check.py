"""The second check on a dose is a person of its own: not the nurse who gives it (the service
refuses that before anything else) and not the prescriber who ordered it.

A prescriber standing in as the "second nurse" for their own order checks nothing: the one who
chose the drug and the dose would be confirming that it was given as they chose. So a dose whose
witness is the order's prescriber is stopped like any other hard stop: kept as a DoseStop, on the
ledger as refused, and shown in the resident's medication record.
"""

from .guard import Rule, Stop


def stops(order, witness) -> list[Stop]:
    """The stop a dose breaks because its witness is no independent check, if it does."""
    if witness is None or witness.pk != order.prescribed_by_id:
        return []
    return [
        Stop(
            Rule.NO_WITNESS,
            f"{witness} prescribed this order, so cannot be its second check: the witness is "
            "someone who neither gives the dose nor prescribed it.",
        )
    ]
