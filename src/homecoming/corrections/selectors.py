"""Reading correction requests: the resident's own, a resident's for their care team, one for
answering, and the open ones of the staff member's residents (their home page's worklist). Every
read checked by the policy and named on the ledger."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.ledger import services as ledger
from homecoming.residents.models import Resident

from .models import CorrectionAnswer, CorrectionRequest, Disagreement
from .services import ANSWER_WITHIN, entry_of

SECTION = "correction requests"


def _requests():
    return CorrectionRequest.objects.select_related(
        "resident",
        "filed_by",
        "entry_author",
        "answer",
        "answer__answered_by",
        "answer__addendum",
        "disagreement",
    )


def answer_of(request) -> CorrectionAnswer | None:
    """The request's answer, or None (a reverse one-to-one raises when there is none)."""
    try:
        return request.answer
    except CorrectionAnswer.DoesNotExist:
        return None


def disagreement_of(request) -> Disagreement | None:
    try:
        return request.disagreement
    except Disagreement.DoesNotExist:
        return None


@dataclass
class Shown:
    """A request as a page shows it."""

    request: CorrectionRequest

    @property
    def answer(self):
        return answer_of(self.request)

    @property
    def disagreement(self):
        return disagreement_of(self.request)

    @property
    def status(self) -> str:
        given = self.answer
        if given is None:
            return "waiting for an answer"
        if given.outcome == "amended":
            return "amended"
        return "declined, your disagreement kept" if self.disagreement else "declined"

    @property
    def answer_due(self):
        return self.request.filed_at + ANSWER_WITHIN

    @property
    def overdue(self) -> bool:
        return self.answer is None and timezone.now() > self.answer_due


def _record(actor, resident, rows, purpose):
    """Each request shown, with its answer and disagreement: one look at the resident."""
    shown = []
    for row in rows:
        shown.append(row)
        shown.extend(r for r in (answer_of(row), disagreement_of(row)) if r is not None)
    if not shown:
        ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=purpose)
        return
    for model_rows in _by_type(shown):
        ledger.record_reads(
            actor, str(Action.VIEW), model_rows, resident_of=lambda _: resident.pk, purpose=purpose
        )


def _by_type(rows):
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row._meta.label_lower, []).append(row)
    return groups.values()


def requests_of(actor, resident: Resident) -> list[Shown]:
    """A resident's requests, newest first: the resident's own (portal) or their care team's."""
    decision = policy.require(actor, Action.VIEW, resident)
    rows = list(_requests().filter(resident=resident).order_by("-filed_at", "-id"))
    _record(actor, resident, rows, decision.purpose)
    return [Shown(r) for r in rows]


def request_for(actor, request_id: int, action=Action.VIEW) -> CorrectionRequest:
    """One request, for reading or acting on it: the policy decides on its resident (a probe
    for one that does not exist is recorded like one for a resident)."""
    request = _requests().filter(pk=request_id).first()
    if request is None:
        error = CorrectionRequest.DoesNotExist(f"No correction request #{request_id}.")
        policy.refuse_unknown(actor, action, "corrections.correctionrequest", request_id, error)
    decision = policy.require(actor, action, request.resident)
    if action == Action.VIEW:
        _record(actor, request.resident, [request], decision.purpose)
    return request


def unanswered():
    return CorrectionRequest.objects.filter(answer__isnull=True)


def _open_of(actor):
    return unanswered().filter(resident__in=Resident.objects.visible_to(actor))


def open_requests(actor, offset: int = 0, count: int | None = None) -> list[Shown]:
    """The unanswered requests of the actor's residents (their caseload; a supervisor's, the
    center), oldest first, in one query: a list naming residents, so a LIST entry. A page of
    `count` from `offset` when asked (the API): only the residents it shows are on the entry."""
    stop = None if count is None else offset + count
    rows = list(_open_of(actor).select_related("resident").order_by("filed_at", "id")[offset:stop])
    if rows:
        ledger.record_reads(
            actor,
            str(Action.LIST),
            [r.resident for r in rows],
            resident_of=lambda r: r.pk,
            purpose=policy.standing_purpose(actor),
        )
    return [Shown(r) for r in rows]


def open_count(actor) -> int:
    """How many unanswered requests `open_requests` holds in all (the total of the API's pages)."""
    return _open_of(actor).count()


def with_open_count(residents):
    """Annotation for a query of residents (the chart's one resident query): how many of their
    correction requests wait for an answer."""
    waiting = (
        unanswered()
        .filter(resident=OuterRef("pk"))
        .order_by()
        .values("resident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return residents.annotate(open_corrections=Coalesce(Subquery(waiting[:1]), 0))


def pointed_at(actor, resident: Resident, kind, entry_id):
    """The entry a resident asks to correct, named as the form shows it: one of their own that
    they may read, or the attempt is refused on the ledger (services._entry_of)."""
    decision = policy.require(actor, Action.REQUEST_CORRECTION, resident)
    entry = entry_of(actor, resident, kind, entry_id)
    ledger.record_resident_read(actor, str(Action.VIEW), resident, purpose=decision.purpose)
    return entry
