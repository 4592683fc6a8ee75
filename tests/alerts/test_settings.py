"""HOMECOMING_EMAIL_URL parsed into Django's e-mail settings; bad ones refused by name; every
alert kind written in the code has its urgency in the one map."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import homecoming
from homecoming.alerts import mailconfig
from homecoming.alerts.urgency import URGENCY, Urgency, urgency_of

OUTBOX = Path("/data/outbox")


def parse(url):
    return mailconfig.parse(url, outbox=OUTBOX)


def test_unset_writes_files_to_the_outbox():
    assert parse("") == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/data/outbox",
    }


@pytest.mark.parametrize(
    "url, host, port, user, password, tls, ssl",
    [
        ("smtp://mail.center.example", "mail.center.example", 25, "", "", False, False),
        ("smtp://u:p@mail.center.example:587", "mail.center.example", 587, "u", "p", False, False),
        ("smtp+tls://a%40b.org:s%2Fcret@smtp.example.org", "smtp.example.org", 587, "a@b.org",
         "s/cret", True, False),
        ("smtp+ssl://u:p@smtp.example.org", "smtp.example.org", 465, "u", "p", False, True),
        ("SMTP+TLS://smtp.example.org:2525", "smtp.example.org", 2525, "", "", True, False),
    ],
)  # fmt: skip
def test_smtp_urls(url, host, port, user, password, tls, ssl):
    config = parse(url)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == (host, port)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == (user, password)
    assert (config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == (tls, ssl)


def test_file_console_and_anymail():
    assert parse("file:///var/mail/homecoming")["EMAIL_FILE_PATH"] == "/var/mail/homecoming"
    assert parse("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert parse("anymail+mailgun://?api_key=K&sender_domain=mg.example.org") == {
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL": {"MAILGUN_API_KEY": "K", "MAILGUN_SENDER_DOMAIN": "mg.example.org"},
    }
    assert parse("anymail+amazon-ses://")["EMAIL_BACKEND"] == (
        "anymail.backends.amazon_ses.EmailBackend"
    )


@pytest.mark.parametrize(
    "url, words",
    [
        ("smtps://u:secret@host", "unknown scheme 'smtps'"),
        ("smtp://u:secret@:587", "needs a host name"),
        ("smtp://host/inbox", "has no path"),
        ("smtp://host:notaport", "not a valid URL"),
        ("file://relative/path", "three slashes"),
        ("anymail+nosuchesp://?api_key=secret", "no provider 'nosuchesp'"),
        ("mailgun://key@api", "unknown scheme 'mailgun'"),
    ],
)
def test_bad_urls_are_refused_by_name_without_the_password(url, words):
    with pytest.raises(ImproperlyConfigured, match=re.escape(words)) as caught:
        parse(url)
    assert "HOMECOMING_EMAIL_URL" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_the_anymail_test_backend_really_sends(settings, mailoutbox):
    from django.core.mail import send_mail

    for name, value in parse("anymail+test://").items():
        setattr(settings, name, value)
    send_mail("[Homecoming] Test", "body", None, ["a@center.example"])
    assert [m.to for m in mailoutbox] == [["a@center.example"]]


def test_a_bad_url_stops_the_command_with_its_reason(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "homecoming.cli", "alerts", "status"],
        env={"HOMECOMING_DATA_DIR": str(tmp_path), "HOMECOMING_EMAIL_URL": "smtp://:25",
             "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "HOMECOMING_EMAIL_URL (smtp://): an SMTP URL needs a host name" in result.stderr


def test_bad_escalation_minutes_are_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "homecoming.cli", "alerts", "status"],
        env={"HOMECOMING_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
             "HOMECOMING_ALERT_ESCALATION_MINUTES": "60,30"},
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert "two increasing numbers of minutes" in result.stderr


def kinds_in_the_code() -> set[str]:
    """Every alert kind the code passes to notify: literal kind="..." arguments, and the module
    constants (SAFETY_ALERT = "safety", ALERT_KIND = ...) passed instead."""
    src = Path(homecoming.__file__).parent
    kinds = set()
    for path in src.rglob("*.py"):
        text = path.read_text()
        if "notify" not in text:
            continue
        for call in re.finditer(r"notify(?:_role|_care_team)?\((.*?)\n\s*\)", text, re.S):
            args = call.group(1)
            kinds.update(re.findall(r'kind="([^"]+)"', args))
            for name in re.findall(r"kind=([A-Z_]+)", args):
                kinds.update(re.findall(rf'^{name} = "([^"]+)"', text, re.M))
        kinds.update(re.findall(r'notify\w*\([^\n]*kind="([^"]+)"', text))
    return kinds


def test_every_kind_of_alert_has_its_urgency_in_the_map():
    found = kinds_in_the_code()
    assert {"safety", "break_glass", "note.cosign", "safety_signal", "ledger"} <= found
    assert found - set(URGENCY) == set(), "add these kinds to alerts/urgency.py"


def test_the_grave_kinds_are_critical_and_an_unknown_one_goes_at_once():
    for kind in ("safety", "break_glass", "medication_override", "dose_stopped", "ledger",
                 "safety_signal"):  # fmt: skip
        assert urgency_of(kind) == Urgency.CRITICAL
    assert urgency_of("something_new") == Urgency.HIGH
