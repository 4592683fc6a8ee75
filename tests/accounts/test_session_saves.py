"""Sessions are written only when they change (issue 15), and the idle timeout still holds: an
active session's expiry moves forward once a minute at most, an idle one ends."""

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from homecoming.accounts.middleware import ACTIVE_AT


def _session_writes(queries) -> int:
    return sum(
        1
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_an_active_session_is_not_written_on_every_request(staff, client_for):
    client = client_for(staff["caseworker"])
    assert client.get("/").status_code == 200  # the first request stamps the activity
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get("/").status_code == 200
    assert _session_writes(queries.captured_queries) == 0


def test_activity_after_a_minute_pushes_the_expiry_forward_once(staff, client_for):
    client = client_for(staff["caseworker"])
    client.get("/")
    key = client.session.session_key
    # The last stamp two minutes old, and the stored expiry as it was then.
    session = client.session
    session[ACTIVE_AT] -= 120
    session.save()
    old_expiry = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 120)
    Session.objects.filter(pk=key).update(expire_date=old_expiry)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
        client.get("/")
    assert _session_writes(queries.captured_queries) == 1
    assert Session.objects.get(pk=key).expire_date > old_expiry + dt.timedelta(seconds=100)


def test_an_idle_session_is_logged_out(staff, client_for):
    client = client_for(staff["caseworker"])
    assert client.get("/").status_code == 200
    key = client.session.session_key
    expiry = Session.objects.get(pk=key).expire_date
    # Saved less than a minute ago: the expiry is the idle limit from then.
    assert expiry > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # Nobody clicked for the idle limit: the stored session has expired, the next page is the
    # log-in page.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/")["Location"].startswith("/login/")
