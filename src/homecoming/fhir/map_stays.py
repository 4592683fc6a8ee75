"""A resident's stays, as EpisodeOfCare: one per stay, from the planned admission (or the
arrival) to the discharge."""

from django.db.models import Q

from homecoming.access.policy import Action
from homecoming.residents.models import Stay, StayStatus

from .resources import concept, patient_ref, period, without_empty
from .sources import Source, register

EPISODE_STATUS = {
    StayStatus.EXPECTED: "planned",
    StayStatus.IN_RESIDENCE: "active",
    StayStatus.DISCHARGED: "finished",
    StayStatus.CANCELLED: "cancelled",
}


def episode_of_care(stay: Stay) -> dict:
    end = stay.discharged_on
    return without_empty(
        {
            "status": EPISODE_STATUS[stay.status],
            "type": [concept(stay.program.name)] if stay.program else None,
            "patient": patient_ref(stay.resident_id),
            "period": period(stay.admitted_on, end),
        }
    )


register(
    Source(
        type="EpisodeOfCare",
        rows=lambda: Stay.objects.select_related("program"),
        resource=episode_of_care,
        action=Action.VIEW,
        section="stays",
        date="admitted_on",
        statuses={fhir: Q(status=ours) for ours, fhir in EPISODE_STATUS.items()},
    )
)
