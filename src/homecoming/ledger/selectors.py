"""Reading the ledger: a resident's own disclosure history, and the entries staff may review."""

from .models import Entry


def entries_for_resident(resident_id, limit=200):
    return (
        Entry.objects.filter(resident_id=resident_id)
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
