"""The headers every answer carries: a strict Content-Security-Policy (and pages that need no
exception to it), no caching of anything but static files, HSTS and the HTTPS redirect when
served over HTTPS, a Referrer-Policy and a Permissions-Policy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from homecoming.measures import services as measures
from tests.measures.answers import pcl5, phq9

SRC = Path(__file__).resolve().parents[2] / "src" / "homecoming"


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


def test_pages_carry_a_strict_policy(client, db):
    response = client.get("/login/")
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_answer_but_static_files_is_no_store(resident, staff, client_for, api_for):
    client = client_for(staff["caseworker"])
    for response in (
        client.get("/"),
        client.get(f"/residents/{resident.pk}/"),
        client.get("/residents/?q=Cruz"),
        client.get("/residents/999999/"),  # a 404 too
        api_for(staff["caseworker"]).get("/api/v1/residents"),
        client.get("/healthz"),
    ):
        assert "no-store" in response["Cache-Control"], response
        assert "private" in response["Cache-Control"]
    static = client.get("/static/homecoming/site.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    b"".join(static.streaming_content)


def test_no_template_holds_inline_style_or_script():
    offending = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text()
        for pattern in (r"\sstyle=", r"<style", r"<script(?![^>]*\ssrc=)", r"\son[a-z]+="):
            for match in re.finditer(pattern, text):
                line = text.count("\n", 0, match.start()) + 1
                offending.append(f"{template.relative_to(SRC)}:{line}: {pattern}")
    assert offending == []


def test_no_python_code_writes_a_style_attribute():
    offending = [
        f"{path.relative_to(SRC)}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "settings.py"
        and re.search(r"""["']style["']\s*:|\sstyle=\\?["']""", path.read_text())
    ]
    assert offending == []


def test_the_chart_page_renders_without_a_style_attribute(resident, staff, client_for):
    measures.record(staff["caseworker"], resident, "pcl5", pcl5(50))
    measures.record(staff["clinician"], resident, "phq9", phq9(item9=1))
    page = (
        client_for(staff["caseworker"])
        .get(f"/residents/{resident.pk}/questionnaires/")
        .content.decode()
    )
    assert page.count("<svg") == 2 * 2  # each chart wide, and narrow for a phone
    assert 'class="trend-chart"' in page and 'class="trend-chart-narrow"' in page
    assert " style=" not in page and "<style" not in page


def test_the_api_docs_load_nothing_from_elsewhere(staff, client_for):
    page = client_for(staff["caseworker"]).get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "//" not in page.replace("http://www.w3.org", "")


# --- over HTTPS ---------------------------------------------------------------------------------


@pytest.fixture
def https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True


def test_over_https_browsers_are_told_to_stay_on_https(client, db, https):
    response = client.get("/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_over_https_plain_http_is_redirected_but_the_health_checks_answer(client, db, https):
    response = client.get("/login/?next=/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/?next=/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)  # answered, not redirected


def test_without_https_no_hsts(client, db):
    assert "Strict-Transport-Security" not in client.get("/login/", secure=True)


def _settings_with(env: dict) -> list[str]:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"DJANGO_SETTINGS_MODULE": "homecoming.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def test_homecoming_https_turns_on_every_https_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env["HOMECOMING_DATA_DIR"] = str(tmp_path)
    assert _settings_with(env) == ["False", "0", "False", "False", "False"]
    assert _settings_with(env | {"HOMECOMING_HTTPS": "1"}) == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
    ]
