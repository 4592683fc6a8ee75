"""docs/api.md's Python example runs as written, against the center, with httpx.

The example talks to http://127.0.0.1:8000; here httpx's own WSGI transport carries its requests
to the center in this process (the test database), so what it prints is what an integrator
would see against the demo."""

import re
from pathlib import Path

import httpx
import pytest

from homecoming.accounts import tokens
from homecoming.vitals.models import VitalSigns

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.M | re.S)
    assert len(blocks) == 1, "docs/api.md shows one Python example"
    return blocks[0]


@pytest.fixture
def through_the_center(monkeypatch):
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    transport = httpx.WSGITransport(app=get_wsgi_application())
    real = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real(transport=transport, **kw))
    # As Django's test client does: a request in the test's own transaction must not close the
    # test's connection at its start or end (PostgreSQL keeps connections, CONN_MAX_AGE).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_example_pages_the_caseload_and_writes_once(
    resident, staff, through_the_center, monkeypatch, capsys
):
    _, clear = tokens.issue(staff["clinician"], "example")
    monkeypatch.setenv("TOKEN", clear)
    exec(compile(example(), str(DOC), "exec"), {"__name__": "__main__"})
    said = capsys.readouterr().out
    assert "1 residents on your caseload" in said
    first, second = re.findall(r"attempt (\d): vitals #(\d+), replayed: (\w+)", said)
    assert first[1] == second[1] and (first[2], second[2]) == ("False", "True")
    assert VitalSigns.objects.filter(resident=resident).count() == 1


def test_the_example_says_why_a_caseworker_is_refused(
    resident, staff, through_the_center, monkeypatch
):
    _, clear = tokens.issue(staff["caseworker"], "example")
    monkeypatch.setenv("TOKEN", clear)
    with pytest.raises(SystemExit, match="403 forbidden"):
        exec(compile(example(), str(DOC), "exec"), {"__name__": "__main__"})
    assert not VitalSigns.objects.exists()
