"""What the access policy asks of residents, care teams and stays: registered with it at start-up
(ResidentsConfig.ready), so that the policy, the layer below, imports nothing of this app."""

from .models import CareTeamMember, Resident, Stay, StayStatus


def on_care_team(user, resident) -> bool:
    return resident.care_team.filter(user=user, ended_at__isnull=True).exists()


def care_teams_of(user):
    """The residents whose current care team has the user, as a subquery for lists (and for
    deciding on many residents at once)."""
    return CareTeamMember.objects.filter(user=user, ended_at__isnull=True).values("resident_id")


def in_residence(resident) -> bool:
    return resident.stays.filter(status=StayStatus.IN_RESIDENCE).exists()


def former_resident(resident) -> bool:
    return stay_standing(set(resident.stays.values_list("status", flat=True)))[1]


def stay_statuses(resident_ids) -> dict[int, set]:
    statuses = {}
    rows = Stay.objects.filter(resident_id__in=resident_ids).values_list("resident_id", "status")
    for resident_id, status in rows:
        statuses.setdefault(resident_id, set()).add(status)
    return statuses


def stay_standing(statuses: set) -> tuple[bool, bool]:
    """(in residence, former resident: discharged with no stay open, expected or in residence)."""
    residing = StayStatus.IN_RESIDENCE in statuses
    former = StayStatus.DISCHARGED in statuses and not (
        statuses & {StayStatus.EXPECTED, StayStatus.IN_RESIDENCE}
    )
    return residing, former


def residents():
    return Resident.objects.all()


def register() -> None:
    from homecoming.access import rules

    rules.register_care_team(
        on_care_team=on_care_team,
        care_teams_of=care_teams_of,
        in_residence=in_residence,
        former_resident=former_resident,
        residents=residents,
        stay_statuses=stay_statuses,
        stay_standing=stay_standing,
    )
