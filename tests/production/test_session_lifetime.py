"""A session ends HOMECOMING_SESSION_HOURS after its log-in however busy it is, besides ending
after HOMECOMING_IDLE_MINUTES without a request."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from homecoming.accounts.middleware import LOGGED_IN_AT

from ..conftest import PASSWORD
from ..consents.helpers import portal_login

START = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def resident_user(make_user, resident):
    return portal_login(make_user, resident).user


def log_in(username) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_a_busy_session_ends_after_twelve_hours(resident_user, settings):
    assert settings.HOMECOMING_SESSION_HOURS == 12
    with time_machine.travel(START, tick=False) as clock:
        client = log_in(resident_user.username)
        # A request every 20 minutes: the idle timeout (30 minutes) never ends it.
        for _ in range(35):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/my-record/").status_code == 200
        clock.shift(dt.timedelta(minutes=19))  # 11 h 59 min after the log-in
        assert client.get("/my-record/").status_code == 200
        clock.shift(dt.timedelta(minutes=2))  # 12 h 1 min
        response = client.get("/my-record/")
        assert response.status_code == 302 and response["Location"] == "/login/"
        page = client.get("/login/").content.decode()
        assert "a session lasts at most 12 hours" in page
        # Logged out for good: the next request is anonymous too.
        assert client.get("/my-record/")["Location"].startswith("/login/?next=")
        # A new log-in starts a new twelve hours.
        client = log_in(resident_user.username)
        assert client.get("/my-record/").status_code == 200


def test_a_new_log_in_in_the_same_browser_restarts_the_clock(resident_user):
    with time_machine.travel(START, tick=False) as clock:
        client = log_in(resident_user.username)
        for _ in range(33):  # busy for eleven hours
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/my-record/").status_code == 200
        client.post("/login/", {"username": resident_user.username, "password": PASSWORD})
        assert client.session[LOGGED_IN_AT] == START.timestamp() + 11 * 3600
        for _ in range(6):  # two more hours: thirteen since the first log-in
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/my-record/").status_code == 200


def test_the_lifetime_is_a_setting(resident_user, settings):
    settings.HOMECOMING_SESSION_HOURS = 1
    with time_machine.travel(START, tick=False) as clock:
        client = log_in(resident_user.username)
        clock.shift(dt.timedelta(minutes=61))
        assert client.get("/my-record/").status_code == 302


def test_the_api_answers_401_once_the_session_is_over(staff, client_for):
    with time_machine.travel(START, tick=False) as clock:
        client = client_for(staff["caseworker"])  # a full log-in, second factor included
        assert client.get("/api/v1/residents").status_code == 200
        clock.shift(dt.timedelta(hours=12, minutes=1))
        assert client.get("/api/v1/residents").status_code == 401


def test_a_session_from_before_the_rule_starts_its_clock_at_its_next_request(resident_user):
    with time_machine.travel(START, tick=False) as clock:
        client = log_in(resident_user.username)
        session = client.session
        del session[LOGGED_IN_AT]
        session.save()
        clock.shift(dt.timedelta(minutes=25))
        assert client.get("/my-record/").status_code == 200
        assert client.session[LOGGED_IN_AT] == START.timestamp() + 25 * 60
