"""What holds for every operation of the JSON API (docs/api.md): one error shape with a code,
and writes done once per Idempotency-Key, even when a retry races the first request."""

import datetime as dt
import json

import time_machine
from django.test import Client

from homecoming.accounts import tokens
from homecoming.core import idempotency
from homecoming.core.models import IdempotentRequest
from homecoming.ledger.models import Entry
from homecoming.residents.models import Resident
from tests.api.test_api import admission_body


def post(client, url, body, key=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_every_error_has_a_detail_and_a_code(resident, staff, api_for):
    nobody = Client().get("/api/v1/residents")
    assert nobody.status_code == 401
    assert nobody.json()["code"] == "not_authenticated" and "Bearer" in nobody.json()["detail"]

    other = api_for(staff["caseworker_other"]).get(f"/api/v1/residents/{resident.pk}")
    assert other.status_code == 403 and other.json()["code"] == "forbidden"

    missing = api_for(staff["supervisor"]).get("/api/v1/residents/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    _, clear = tokens.issue(staff["supervisor"], "read", scope="read")
    read_only = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    refused = post(read_only, f"/api/v1/residents/{resident.pk}/stays", {})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_an_unknown_id_is_a_404_from_every_list_of_a_resident(resident, staff, api_for):
    """A selector's DoesNotExist is a 404 wherever it escapes (schemathesis found a 500 at
    /residents/0/sessions); the probe is on the ledger, refused."""
    api = api_for(staff["supervisor"])
    for path in ("sessions", "notes", "questionnaires", "vitals", "stays", "adverse-events"):
        answer = api.get(f"/api/v1/residents/999999/{path}")
        assert answer.status_code == 404, (path, answer.content)
        assert answer.json()["code"] == "not_found"


def test_a_request_not_as_described_names_every_field_at_once(staff, beds, api_for):
    body = admission_body(staff, beds[0], date_of_birth="yesterday", expected_length_days=0)
    del body["family_name"]
    answer = post(api_for(staff["supervisor"]), "/api/v1/residents", body)
    assert answer.status_code == 422
    said = answer.json()
    assert said["code"] == "invalid_request"
    assert set(said["errors"]) == {"date_of_birth", "expected_length_days", "family_name"}
    assert "family_name" in said["detail"]


def test_a_body_that_is_not_json_is_a_400_that_says_so(staff, api_for):
    api = api_for(staff["supervisor"])
    answer = api.post("/api/v1/residents", b"\x15{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_body"


def test_a_date_is_written_as_a_date_never_a_number(staff, beds, api_for):
    """pydantic would read 0 as 1 January 1970; the description says YYYY-MM-DD (schemathesis
    found `?day=0` answered as that day's medication round)."""
    api = api_for(staff["supervisor"])
    for body in (
        admission_body(staff, beds[0], date_of_birth=0),
        admission_body(staff, beds[0], admitted_on="20261203"),
    ):
        answer = post(api, "/api/v1/residents", body)
        assert answer.status_code == 422, body
        assert answer.json()["code"] == "invalid_request"
    assert api_for(staff["clinician"]).get("/api/v1/medication-round?day=0").status_code == 422


def test_refused_values_are_a_400_by_field(staff, beds, api_for):
    body = admission_body(staff, beds[0], service_start="1980-01-01", date_of_birth="1990-05-02")
    answer = post(api_for(staff["supervisor"]), "/api/v1/residents", body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and answer.json()["errors"]


def test_a_retried_write_with_its_key_is_done_once(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    body = admission_body(staff, beds[0])
    first = post(api, "/api/v1/residents", body, key="intake-7f3a")
    entries = Entry.objects.count()
    again = post(api, "/api/v1/residents", body, key="intake-7f3a")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Resident.objects.filter(family_name="Reyes").count() == 1
    assert Entry.objects.count() == entries  # nothing written, not even a read of the answer


def test_without_a_key_a_retry_writes_again(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    post(api, "/api/v1/residents", admission_body(staff, beds[0]))
    second = post(api, "/api/v1/residents", admission_body(staff, beds[1]))
    assert second.status_code == 409  # the center's duplicate check, not the key
    assert second.json()["code"] == "possible_duplicate"


def test_a_key_reused_for_another_request_is_refused_and_writes_nothing(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    post(api, "/api/v1/residents", admission_body(staff, beds[0]), key="k-1")
    other = admission_body(staff, beds[1], given_name="Ana", family_name="Lind")
    reused = post(api, "/api/v1/residents", other, key="k-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert not Resident.objects.filter(family_name="Lind").exists()


def test_keys_are_the_callers_own(staff, beds, api_for, make_user):
    post(api_for(staff["supervisor"]), "/api/v1/residents", admission_body(staff, beds[0]), "k")
    director = api_for(staff["program_director"])
    other = admission_body(staff, beds[1], given_name="Ana", family_name="Lind")
    mine = post(director, "/api/v1/residents", other, key="k")
    assert mine.status_code == 201 and mine.json()["family_name"] == "Lind"


def test_an_error_is_not_kept_so_the_corrected_retry_runs(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    bad = admission_body(staff, beds[0], service_start="1980-01-01")
    assert post(api, "/api/v1/residents", bad, key="k-2").status_code == 400
    assert not IdempotentRequest.objects.exists()
    good = post(api, "/api/v1/residents", admission_body(staff, beds[0]), key="k-3")
    assert good.status_code == 201


def test_a_revoked_token_gets_no_answer_back(staff, beds):
    token, clear = tokens.issue(staff["supervisor"], "integration")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    assert post(api, "/api/v1/residents", admission_body(staff, beds[0]), "k").status_code == 201
    tokens.revoke(token)
    replay = post(api, "/api/v1/residents", admission_body(staff, beds[0]), "k")
    assert replay.status_code == 401 and "family_name" not in replay.json()


def test_a_key_that_is_not_as_described_is_a_422(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    for key in (" padded", "x" * 201, "naïve"):
        answer = post(api, "/api/v1/residents", admission_body(staff, beds[0]), key=key)
        assert answer.status_code == 422, key
        assert answer.json()["code"] == "invalid_request"
        assert list(answer.json()["errors"]) == ["Idempotency-Key"]
    assert not Resident.objects.filter(family_name="Reyes").exists()


def test_a_key_is_forgotten_after_24_hours(staff, beds, api_for):
    api = api_for(staff["supervisor"])
    post(api, "/api/v1/residents", admission_body(staff, beds[0]), key="k-old")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        other = admission_body(staff, beds[1], given_name="Ana", family_name="Lind")
        again = post(api, "/api/v1/residents", other, key="k-old")
        assert again.status_code == 201  # a new request, not the old answer
        assert idempotency.forget_old() == 0  # the expired row was replaced by the new one
    with time_machine.travel(later + dt.timedelta(hours=25), tick=False):
        assert idempotency.forget_old() == 1
    assert not IdempotentRequest.objects.exists()


def test_a_retry_racing_the_first_is_rolled_back_and_answered_with_its_answer(
    staff, beds, api_for, monkeypatch
):
    """Two requests with one key at once: both find no answer kept and both write; the second
    to keep its answer is refused by the unique key, its write is rolled back, and it answers
    with the first's answer. (Replayed by making the lookup miss, as a race would.)"""
    api = api_for(staff["supervisor"])
    # No bed, and a second person of that name confirmed: done twice, it would admit twice.
    body = admission_body(staff, beds[0], bed_id=None, different_person_confirmed=True)
    first = post(api, "/api/v1/residents", body, key="race")
    entries = Entry.objects.count()
    monkeypatch.setattr(idempotency, "_live", _miss_once(idempotency._live))
    second = post(api, "/api/v1/residents", body, key="race")
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Resident.objects.filter(family_name="Reyes").count() == 1
    assert Entry.objects.count() == entries  # the second write and its entries rolled back


def _miss_once(lookup):
    calls = []

    def live(caller, key):
        calls.append(key)
        return None if len(calls) == 1 else lookup(caller, key)

    return live


def _schemas(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _schemas(sub)


def test_no_two_schemas_share_a_name():
    """The description names each body and answer by its class's name, and django-ninja keeps
    one definition per name: two classes called `FlagOut` would describe one operation's answer
    with the other's fields (schemathesis found exactly that: vitals' flags checked against the
    risk flag's schema)."""
    from ninja import Schema

    import homecoming.api  # noqa: F401 (every router imported, every schema defined)

    by_name = {}
    for cls in _schemas(Schema):
        if cls.__module__.startswith("homecoming.") and "[" not in cls.__name__:
            by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, f"schemas sharing a name: {shared}"
