"""Asking for the signatures a discharge plan still needs: an alert to each person who can give
one (the primary caseworker; the clinicians on the care team), closed by the last signature or
by cancelling the plan. Without it a plan would wait, unseen, until someone opened the chart.

Called inside the transaction of the write that changed what the plan needs."""

from homecoming.alerts import services as alerts
from homecoming.alerts.models import Alert
from homecoming.residents.models import TeamRole

KIND = "discharge_signature"


def _signers(plan) -> list:
    """Who may still sign: each empty line's people, never someone who signed already."""
    signed = {plan.caseworker_signed_by_id, plan.clinician_signed_by_id}
    team = plan.resident.care_team.filter(ended_at__isnull=True).select_related("user")
    people = []
    for place in team:
        line_empty = (
            not plan.caseworker_signed_at
            if place.team_role == TeamRole.PRIMARY_CASEWORKER
            else not plan.clinician_signed_at
        )
        if line_empty and place.user_id not in signed and place.user.is_active:
            people.append(place.user)
    return people


def ask(plan, actor):
    """Alert whoever can sign a line still empty (not the actor, not twice for one plan)."""
    asked = set(
        Alert.objects.filter(
            about_type=plan._meta.label_lower, about_id=str(plan.pk), kind=KIND
        ).values_list("recipient_id", flat=True)
    )
    recipients = [u for u in _signers(plan) if u.pk != actor.pk and u.pk not in asked]
    if recipients:
        alerts.notify(
            recipients,
            kind=KIND,
            message=(
                f"The discharge plan of {plan.resident.display_name} "
                f"({plan.disposition_text.lower()}) waits for your signature."
            ),
            resident=plan.resident,
            about=plan,
        )


def done(plan, actor, because: str, *, purpose):
    """Both lines signed, or the plan cancelled: the requests close."""
    alerts.close_for(plan, actor, because, purpose=purpose, kind=KIND)
