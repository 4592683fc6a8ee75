"""The demo's messages between residents and their care teams: Walter asks his care team about
a weekend pass and his caseworker answers the next morning; Dana, a former resident in her year
of follow-up, writes on the last evening and nobody has answered yet, so her caseworker's home
page lists it under "Messages waiting"."""

import datetime as dt

from django.utils import timezone

from homecoming.conversations import services as conversations
from homecoming.residents.models import Resident


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _caseworker(resident):
    return resident.care_team.get(team_role="primary_caseworker", ended_at__isnull=True).user


def story(until: dt.datetime):
    today = timezone.localdate(until)
    yield _at(today - dt.timedelta(days=2), 19, 40)
    walter = Resident.objects.select_related("user").get(user__username="walter")
    thread = conversations.start(
        walter.user,
        walter,
        "A pass for my daughter's birthday",
        "My daughter turns six on Saturday. Could I have a day pass to be at her party? "
        "I'd be back by 8 pm.",
    )
    yield _at(today - dt.timedelta(days=1), 9, 15)
    conversations.reply(
        _caseworker(walter),
        thread,
        "Happy early birthday to her. Yes: a day pass from 10 am to 8 pm is fine. Sign out at "
        "the front desk, and take your evening medication with you.",
    )
    yield min(_at(today - dt.timedelta(days=1), 20, 5), until - dt.timedelta(minutes=2))
    dana = Resident.objects.select_related("user").filter(user__username="dana").first()
    if dana is None:
        return
    conversations.start(
        dana.user,
        dana,
        "Sleep is slipping again",
        "I'm back to waking at 3 am most nights, like before I came in. Could I talk to someone "
        "about it this week? Afternoons are best, after my shift.",
    )
