"""What a correction request may point at: an entry of the resident's record that the resident
can read in the portal. Every id a request carries is looked up here against the resident's own
record (never trusted): a note signed and released to them, their questionnaires, vital signs
and medication orders, and the details the center holds about them."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from homecoming.core import dates
from homecoming.encounters.models import Note
from homecoming.encounters.notes import is_withheld
from homecoming.measures.models import Questionnaire
from homecoming.medications.models import Order
from homecoming.vitals.models import VitalSigns

from .models import Kind


@dataclass(frozen=True)
class Entry:
    """One entry as the request names it."""

    kind: str
    id: int
    label: str
    author: object  # who wrote it (a user), or None


class NotYours(LookupError):
    """No such entry among those the resident may read."""


def _day(moment) -> str:
    return f"{dates.day(moment)}"


def _note(resident, entry_id):
    note = Note.objects.filter(pk=entry_id, resident=resident, signed_at__isnull=False).first()
    if note is None or is_withheld(note):
        return None
    if note.needs_cosignature:
        try:
            note.cosignature  # noqa: B018 -- a trainee's note reaches the resident co-signed
        except ObjectDoesNotExist:
            return None
    return Entry(
        Kind.NOTE,
        note.pk,
        f"the {note.get_template_display().split(' ')[0]} note of {_day(note.signed_at)}",
        note.author,
    )


def _questionnaire(resident, entry_id):
    q = Questionnaire.objects.filter(pk=entry_id, resident=resident).first()
    if q is None:
        return None
    label = f"the {q.get_instrument_display()} of {_day(q.completed_at)} (total {q.total})"
    return Entry(Kind.QUESTIONNAIRE, q.pk, label[:200], q.completed_by)


def _vitals(resident, entry_id):
    v = VitalSigns.objects.filter(pk=entry_id, resident=resident).first()
    if v is None:
        return None
    label = f"the vital signs taken {dates.moment(v.taken_at)}"
    return Entry(Kind.VITALS, v.pk, label, v.recorded_by)


def _medication(resident, entry_id):
    order = Order.objects.filter(pk=entry_id, resident=resident).select_related("protocol").first()
    if order is None:
        return None
    label = f"the order of {order} from {_day(order.starts_at)}"
    return Entry(Kind.MEDICATION, order.pk, label[:200], order.prescribed_by)


def _details(resident, entry_id):
    if entry_id != resident.pk:
        return None
    return Entry(Kind.DETAILS, resident.pk, "the details we hold about you", None)


FINDERS = {
    Kind.NOTE: _note,
    Kind.QUESTIONNAIRE: _questionnaire,
    Kind.VITALS: _vitals,
    Kind.MEDICATION: _medication,
    Kind.DETAILS: _details,
}


def parse(kind, entry_id) -> tuple[str, int]:
    """(kind, id) from what a link or an API call carried; NotYours for anything else."""
    if kind not in Kind.values:
        raise NotYours(f"A correction request cannot point at {kind!r}.")
    try:
        number = int(entry_id)
    except (TypeError, ValueError) as exc:
        raise NotYours("An entry is named by its number.") from exc
    if number < 1:
        raise NotYours("An entry is named by its number.")
    return kind, number


def find(resident, kind, entry_id) -> Entry:
    """The entry of this resident's own record the resident may read, or NotYours."""
    kind, number = parse(kind, entry_id)
    entry = FINDERS[kind](resident, number)
    if entry is None:
        raise NotYours("There is no such entry in your record.")
    return entry
