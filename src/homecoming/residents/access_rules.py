"""What the access policy asks of residents, care teams and stays: registered with it at start-up
(ResidentsConfig.ready), so that the policy, the layer below, imports nothing of this app."""

from .models import Resident, StayStatus


def on_care_team(user, resident) -> bool:
    return resident.care_team.filter(user=user, ended_at__isnull=True).exists()


def caseload(user, queryset):
    return queryset.filter(care_team__user=user, care_team__ended_at__isnull=True).distinct()


def in_residence(resident) -> bool:
    return resident.stays.filter(status=StayStatus.IN_RESIDENCE).exists()


def former_resident(resident) -> bool:
    statuses = set(resident.stays.values_list("status", flat=True))
    return StayStatus.DISCHARGED in statuses and not (
        statuses & {StayStatus.EXPECTED, StayStatus.IN_RESIDENCE}
    )


def residents():
    return Resident.objects.all()


def register() -> None:
    from homecoming.access import rules

    rules.register_care_team(
        on_care_team=on_care_team,
        caseload=caseload,
        in_residence=in_residence,
        former_resident=former_resident,
        residents=residents,
    )
