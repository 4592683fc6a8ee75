"""Issue 13, part 8: the log-in lock-out cannot be turned against a colleague, and no answer of
the log-in tells whether a username exists.

Replays: wrong passwords typed for a colleague's username from another machine (directly, or
through the TLS proxy) must not lock the colleague out at their own workstation; a made-up
username, a wrong password and a deactivated account get the same answer, at the same cost."""

import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from homecoming.core.client_ip import client_ip
from tests.conftest import PASSWORD

ELSEWHERE = "198.51.100.7"  # someone at another machine
WORKSTATION = "10.20.0.15"  # the colleague at their own
PROXY = "10.0.0.2"  # the TLS proxy in front of the application


def attempt(username, password, *, addr=WORKSTATION, forwarded=None):
    extra = {"REMOTE_ADDR": addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post("/login/", {"username": username, "password": password}, **extra)


def lock(username, **where):
    for _ in range(5):
        attempt(username, "not the password", **where)


def passed_password_step(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/login/second-factor/"


def test_wrong_passwords_typed_elsewhere_do_not_lock_a_colleague_out(staff):
    lock("caseworker", addr=ELSEWHERE)
    # Where the wrong passwords came from, the username is locked, right password or not...
    refused = attempt("caseworker", PASSWORD, addr=ELSEWHERE)
    assert refused.status_code == 429 and "Account locked" in refused.content.decode()
    # ...but the colleague at their own workstation logs in as ever.
    assert passed_password_step(attempt("caseworker", PASSWORD, addr=WORKSTATION))


def test_through_the_proxy_the_forwarded_address_counts(staff, settings):
    settings.HOMECOMING_TRUSTED_PROXIES = f"127.0.0.1,{PROXY}"
    lock("caseworker", addr=PROXY, forwarded=ELSEWHERE)
    assert attempt("caseworker", PASSWORD, addr=PROXY, forwarded=ELSEWHERE).status_code == 429
    # The same proxy, another client: not locked.
    assert passed_password_step(attempt("caseworker", PASSWORD, addr=PROXY, forwarded=WORKSTATION))


def test_a_client_cannot_choose_its_address_to_dodge_the_lock_out(staff, settings):
    settings.HOMECOMING_TRUSTED_PROXIES = f"127.0.0.1,{PROXY}"
    # Straight to the application (not through the proxy), each try claiming another address.
    for n in range(5):
        attempt("caseworker", "not the password", addr=ELSEWHERE, forwarded=f"192.0.2.{n}")
    assert (
        attempt("caseworker", PASSWORD, addr=ELSEWHERE, forwarded="192.0.2.99").status_code == 429
    )
    # Through the proxy, what the client wrote left of the proxy's own entry is not believed.
    for n in range(5):
        attempt("supervisor", "not the password", addr=PROXY, forwarded=f"192.0.2.{n}, {ELSEWHERE}")
    assert attempt("supervisor", PASSWORD, addr=PROXY, forwarded=ELSEWHERE).status_code == 429


@pytest.mark.parametrize(
    "trusted, addr, forwarded, seen",
    [
        ("127.0.0.1", "203.0.113.5", "192.0.2.1", "203.0.113.5"),  # untrusted peer: its own
        ("127.0.0.1", "127.0.0.1", "192.0.2.1", "192.0.2.1"),
        ("10.0.0.0/8", "10.0.0.2", "192.0.2.1, 10.0.0.3", "192.0.2.1"),  # a chain of proxies
        ("10.0.0.0/8", "10.0.0.2", "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # left part: the client's
        ("*", "172.18.0.4", "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # "*": one hop only
        ("127.0.0.1", "127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1", "not an address", "127.0.0.1"),
    ],
)
def test_the_client_address_is_read_through_trusted_proxies_only(
    rf, settings, trusted, addr, forwarded, seen
):
    settings.HOMECOMING_TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=addr, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == seen


@contextmanager
def counting_hashes():
    calls = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counted(real):
        def run(self, *args, **kwargs):
            calls.append(real.__name__)
            return real(self, *args, **kwargs)

        return run

    with (
        mock.patch.object(Argon2PasswordHasher, "encode", counted(encode)),
        mock.patch.object(Argon2PasswordHasher, "verify", counted(verify)),
    ):
        yield calls


def answer(response, typed: str) -> tuple[int, str]:
    """The status and the page, less the CSRF tokens (which differ on every page) and the
    username typed (which the form keeps)."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    page = re.sub(r'"X-CSRFToken": "[^"]+"', "", page)
    return response.status_code, page.replace(typed, "USERNAME")


def test_the_log_in_does_not_tell_whether_a_username_exists(staff, make_user):
    make_user("caseworker", username="gone", is_active=False)
    answers = {}
    for username in ("caseworker", "nobody-here", "gone"):
        with counting_hashes() as hashed:
            answers[username] = answer(attempt(username, "not the password"), username)
        assert hashed, f"{username}: no password hash was computed"  # comparable work
    assert answers["caseworker"][0] == 400
    assert "Wrong username or password." in answers["caseworker"][1]
    assert answers["caseworker"] == answers["nobody-here"] == answers["gone"]
    # Locked out, a made-up username looks exactly like a real one.
    lock("caseworker", addr=ELSEWHERE)
    lock("nobody-here", addr=ELSEWHERE)
    assert answer(attempt("caseworker", PASSWORD, addr=ELSEWHERE), "caseworker") == answer(
        attempt("nobody-here", PASSWORD, addr=ELSEWHERE), "nobody-here"
    )


def test_a_bad_api_token_gets_one_answer_whatever_it_names(staff, api_for):
    """The API has no password log-in; a token that is wrong, revoked, or of a deactivated
    account is the same 401."""
    answers = set()
    for token in ("hc_deadbeef_made-up", "not even a token", ""):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/residents")
        answers.add((response.status_code, response.content))
    assert len(answers) == 1 and answers.pop()[0] == 401
