"""Medication pages: the round, giving a dose (and the stops, witness and override), a resident's
medication record with order entry, the resident's own page, and the formulary. Each page is
refused (403, on the ledger) to those who may not see it; refused input comes back with a 400
and what was typed."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry
from homecoming.medications import administering
from homecoming.medications.models import Administration, DoseStop, Order, Protocol
from tests.conftest import PASSWORD
from tests.consents.helpers import portal_login

from .conftest import LORAZEPAM_LIQUID


@pytest.fixture
def protocol(add_protocol):
    return add_protocol()  # Sertraline 50 mg tablet: 100 mg a dose, 200 mg a day, 6 h apart


@pytest.fixture
def consented(resident, protocol, consent_to):
    """The resident's consent to the protocol, signed four days ago."""
    return consent_to(resident, protocol, days_ago=4)


@pytest.fixture
def prn(resident, protocol, consented, prescribe):
    """Sertraline 50 mg as needed, written three days ago (so it runs in yesterday's shifts)."""
    then = timezone.now() - dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=then):
        return prescribe(resident, protocol, frequency="as_needed")


@pytest.fixture
def twice_daily(resident, protocol, consented, prescribe):
    """Sertraline 50 mg at 08:00 and 20:00, written three days ago (an order starts a day back
    at most), so the round has past slots."""
    then = timezone.now() - dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=then):
        return prescribe(resident, protocol, frequency="twice_daily")


@pytest.fixture
def small_prn(resident, protocol, twice_daily, prescribe):
    """Sertraline 25 mg as needed beside the twice-daily order: at most 100 mg a day each, so
    together within sertraline's 200 mg in 24 hours (a 50 mg one would pass that ceiling)."""
    then = timezone.now() - dt.timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=then):
        return prescribe(
            resident, protocol, dose="25", frequency="as_needed", acknowledge_duplicates=True
        )


def round_url(day=None, shift="day"):
    day = day or timezone.localdate()
    return f"/medications/round/?day={day.isoformat()}&shift={shift}"


def give_url(order, **query):
    from urllib.parse import urlencode

    return f"/medications/orders/{order.pk}/give/" + (f"?{urlencode(query)}" if query else "")


def record_url(resident):
    return f"/residents/{resident.pk}/medications/"


def denied(actor, **fields):
    return Entry.objects.filter(actor=actor, outcome="denied", **fields).exists()


def page(response) -> str:
    return response.content.decode()


# --- the round -----------------------------------------------------------------------------


def test_the_round_shows_each_dose_time_and_a_way_to_record_it(small_prn, nurse, client_for):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    text = page(client_for(nurse).get(round_url(yesterday)))
    assert "Walter Cruz" in text and "Sertraline" in text
    assert "08:00" in text and "overdue" in text  # yesterday's 08:00, never recorded
    assert "Record the 08:00 dose of Sertraline for Walter Cruz" in text
    assert "Give Sertraline to Walter Cruz" in text  # the as-needed order
    assert "No dose in the last 24 hours" in text
    # The shifts around it are a click away.
    assert f"day={yesterday.isoformat()}&amp;shift=evening" in text
    previous = yesterday - dt.timedelta(days=1)
    assert f"day={previous.isoformat()}&amp;shift=night" in text


def test_the_round_shows_what_was_recorded(twice_daily, small_prn, nurse, staff, client_for):
    due = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8)))
    yesterday = due - dt.timedelta(days=1)
    administering.not_given(
        nurse, twice_daily, status="held", scheduled_for=yesterday, reason="Vomiting at 07:40."
    )
    administering.give(nurse, small_prn, dose_amount="25", dose_unit="mg")
    text = page(client_for(staff["clinician"]).get(round_url(yesterday.date())))
    assert "held" in text and "Vomiting at 07:40." in text
    assert "Last dose 25 mg" in text and "next dose allowed from" in text
    assert "In the last 24 hours: 25 mg" in text


def test_an_as_needed_dose_is_listed_in_the_shift_it_was_given(prn, nurse, client_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    text = page(client_for(nurse).get("/medications/round/"))  # the current shift
    assert "given</span> 50 mg at" in text
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    earlier = page(client_for(nurse).get(round_url(yesterday)))
    assert "given</span> 50 mg at" not in earlier  # given now, not in yesterday's day shift
    assert "Last dose 50 mg" in earlier  # but where things stand now is shown on any shift


def test_the_current_shift_is_the_default(twice_daily, nurse, client_for):
    response = client_for(nurse).get("/medications/round/")
    assert response.status_code == 200 and 'badge ok">now' in page(response)


def test_a_round_for_a_day_that_is_not_a_date_is_a_400(nurse, client_for):
    client = client_for(nurse)
    assert client.get("/medications/round/?day=yesterday").status_code == 400
    assert client.get("/medications/round/?shift=afternoon").status_code == 400
    assert client.get("/medications/round/?day=0001-01-01").status_code == 400


@pytest.mark.parametrize(
    "who", ["caseworker", "caseworker_other", "contractor", "oversight", "sysadmin", "supervisor"]
)
def test_the_round_is_for_clinicians_only(twice_daily, staff, client_for, who):
    response = client_for(staff[who]).get(round_url())
    assert response.status_code == 403 and "Cruz" not in page(response)
    assert denied(staff[who], action="center.mar")


def test_a_resident_cannot_open_the_round(twice_daily, resident, make_user, client_for):
    walter = portal_login(make_user, resident)
    assert client_for(walter.user).get(round_url()).status_code == 403
    assert denied(walter.user, action="center.mar")


# --- giving a dose -------------------------------------------------------------------------


def test_a_nurse_gives_a_dose_and_returns_to_the_round(prn, nurse, client_for):
    client = client_for(nurse)
    form = page(client.get(give_url(prn, next=round_url())))
    assert 'value="50"' in form and "Record the dose given" in form
    assert "Witness" not in form  # not a controlled drug
    response = client.post(
        give_url(prn), {"do": "give", "dose_amount": "50", "dose_unit": "mg", "next": round_url()}
    )
    assert response.status_code == 302 and response.url == round_url()
    row = Administration.objects.get(order=prn)
    assert (row.status, row.recorded_by, row.dose_unit) == ("given", nurse, "mg")
    assert "Sertraline 50 mg for Walter Cruz" in page(client.get(response.url))


def test_next_never_leads_off_the_site(prn, nurse, client_for):
    response = client_for(nurse).post(
        give_url(prn),
        {"do": "give", "dose_amount": "50", "dose_unit": "mg", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.url == "/medications/round/"


def test_a_dose_charted_late_keeps_its_time(prn, nurse, client_for):
    when = timezone.localtime() - dt.timedelta(hours=2)
    response = client_for(nurse).post(
        give_url(prn),
        {
            "do": "give",
            "dose_amount": "50",
            "dose_unit": "mg",
            "at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    row = Administration.objects.get(order=prn)
    assert row.at == when.replace(second=0, microsecond=0)


def test_a_dose_in_the_future_is_refused_with_what_was_typed(prn, nurse, client_for):
    later = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(nurse).post(
        give_url(prn), {"do": "give", "dose_amount": "25", "dose_unit": "mg", "at": later}
    )
    text = page(response)
    assert response.status_code == 400 and "cannot be recorded before it happens" in text
    assert 'value="25"' in text and later in text
    assert not Administration.objects.exists()


def test_a_stopped_dose_shows_every_reason_and_keeps_the_input(prn, nurse, client_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    response = client_for(nurse).post(
        give_url(prn), {"do": "give", "dose_amount": "45", "dose_unit": "mg"}
    )
    text = page(response)
    assert response.status_code == 400
    assert 'role="alert" id="stopped"' in text and "The dose was not given" in text
    assert "doses must be at least 6 hours apart" in text
    assert 'value="45"' in text
    # Only the interval broke: the override is offered.
    assert "Override the minimum interval" in text
    assert Administration.objects.filter(order=prn).count() == 1
    assert DoseStop.objects.get().attempted_by == nurse


def test_a_ceiling_is_shown_and_no_override_is_offered(prn, nurse, client_for):
    response = client_for(nurse).post(
        give_url(prn), {"do": "give", "dose_amount": "0.15", "dose_unit": "g"}
    )
    text = page(response)
    assert response.status_code == 400
    assert "150 mg is more than the ordered dose of 50 mg" in text
    assert "maximum single dose" in text
    assert "cannot be overridden" in text and "Override the minimum interval" not in text
    assert 'value="0.15"' in text


def test_a_co_signed_override_gives_the_dose_and_alerts_the_director_and_oversight(
    prn, nurse, staff, client_for
):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    response = client_for(nurse).post(
        give_url(prn),
        {
            "do": "override",
            "dose_amount": "50",
            "dose_unit": "mg",
            "override_reason": "Severe agitation; the prescriber agreed by phone.",
            "cosigner": staff["clinician"].username,
            "cosigner_secret": PASSWORD,
        },
    )
    assert response.status_code == 302
    row = Administration.objects.filter(order=prn).latest("at")
    assert row.override_cosigner == staff["clinician"]
    for role in ("program_director", "oversight"):
        alert = Alert.objects.get(recipient=staff[role], kind="medication_override")
        assert "Severe agitation" in alert.message


def test_an_override_needs_its_fields_a_known_cosigner_and_their_secret(
    prn, nurse, staff, client_for
):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    client = client_for(nurse)
    fields = {"do": "override", "dose_amount": "50", "dose_unit": "mg"}

    response = client.post(give_url(prn), fields)
    assert response.status_code == 400 and "Override the minimum interval" in page(response)
    assert "This field is required." in page(response)

    fields |= {"override_reason": "Cannot wait.", "cosigner": "nobody-here", "cosigner_secret": "x"}
    response = client.post(give_url(prn), fields)
    # A log-in that matches nobody and a wrong secret get the same words (issue 13).
    nobody = "That log-in and password (or authenticator code) do not match an active member"
    assert response.status_code == 400 and nobody in page(response)

    fields |= {"cosigner": staff["clinician"].username, "cosigner_secret": "not the password"}
    response = client.post(give_url(prn), fields)
    assert response.status_code == 400 and nobody in page(response)
    # ...said beside the co-signer's password, not the nurse's own
    said = page(response)
    assert said.index(nobody) > said.index("Co-signer&#x27;s password or authenticator code")
    assert "Cannot wait." in page(response)  # the reason typed is kept
    assert Administration.objects.filter(order=prn).count() == 1
    assert not Alert.objects.filter(kind="medication_override").exists()


def test_a_controlled_drug_asks_for_a_witness_by_log_in_and_secret(
    resident, add_protocol, consent_to, prescribe, nurse, staff, client_for
):
    protocol = add_protocol(LORAZEPAM_LIQUID)
    consent_to(resident, protocol)
    order = prescribe(resident, protocol, dose="1", unit="mg", frequency="as_needed")
    client = client_for(nurse)
    form = page(client.get(give_url(order)))
    assert "Witness (their log-in name)" in form and 'aria-required="true"' in form

    fields = {"do": "give", "dose_amount": "0.5", "dose_unit": "mL", "witness": "ghost"}
    response = client.post(give_url(order), fields | {"witness_secret": PASSWORD})
    # A log-in that matches nobody is refused in the words of a wrong secret (issue 13).
    nobody = "That log-in and password (or authenticator code) do not match an active member"
    assert response.status_code == 400 and nobody in page(response)

    # No witness at all: the service stops the dose, and the attempt is kept.
    response = client.post(give_url(order), {"do": "give", "dose_amount": "0.5", "dose_unit": "mL"})
    assert response.status_code == 400 and "a witness signs" in page(response)

    fields["witness"] = staff["clinician"].username
    response = client.post(give_url(order), fields | {"witness_secret": "wrong secret"})
    assert response.status_code == 400 and nobody in page(response)

    response = client.post(give_url(order), fields | {"witness_secret": PASSWORD})
    assert response.status_code == 302
    assert Administration.objects.get(order=order).witness == staff["clinician"]


def test_a_scheduled_dose_is_recorded_held_with_its_reason(twice_daily, nurse, client_for):
    due = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(20))
    )
    client = client_for(nurse)
    url = give_url(twice_daily, scheduled_for=due.isoformat())
    form = page(client.get(url))
    assert "the 20:00 dose was not given" in form
    fields = {"do": "not_given", "status": "held", "reason": "", "scheduled_for": due.isoformat()}
    response = client.post(url, fields)
    assert response.status_code == 400 and "Say why the dose is held." in page(response)
    response = client.post(url, fields | {"reason": "Asleep; the prescriber said let him rest."})
    assert response.status_code == 302
    row = Administration.objects.get(order=twice_daily)
    assert (row.status, row.scheduled_for) == ("held", due)


def test_a_scheduled_dose_given_from_its_slot(twice_daily, nurse, client_for):
    due = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(20))
    )
    now = timezone.localtime()
    late = now - due > administering.LATEST_CHARTING
    at = now - dt.timedelta(hours=1) if late else due
    response = client_for(nurse).post(
        give_url(twice_daily),
        {
            "do": "give",
            "dose_amount": "50",
            "dose_unit": "mg",
            "at": timezone.localtime(at).strftime("%Y-%m-%dT%H:%M"),
            "scheduled_for": due.isoformat(),
        },
    )
    assert response.status_code == 302
    assert Administration.objects.get(order=twice_daily).scheduled_for == due


def test_a_dose_time_that_is_not_on_the_order_is_refused(twice_daily, nurse, client_for):
    odd = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    response = client_for(nurse).post(
        give_url(twice_daily),
        {"do": "give", "dose_amount": "50", "dose_unit": "mg", "scheduled_for": odd.isoformat()},
    )
    assert response.status_code == 400 and "not a dose time of this order" in page(response)
    assert client_for(nurse).get(give_url(twice_daily, scheduled_for="soon")).status_code == 400


def test_an_unknown_order_is_a_404_and_the_probe_is_recorded(nurse, client_for, db):
    assert client_for(nurse).get("/medications/orders/999999/give/").status_code == 404
    assert denied(nurse, object_id="999999", action="medication.administer")


@pytest.mark.parametrize("who", ["caseworker", "caseworker_other", "contractor", "sysadmin"])
def test_giving_is_refused_to_anyone_but_a_clinician(prn, resident, staff, client_for, who):
    client = client_for(staff[who])
    assert client.get(give_url(prn)).status_code == 403
    response = client.post(give_url(prn), {"do": "give", "dose_amount": "50", "dose_unit": "mg"})
    assert response.status_code == 403
    assert denied(staff[who], action="medication.administer", resident=resident)
    assert not Administration.objects.exists()


# --- a resident's medication record ---------------------------------------------------------


@pytest.mark.parametrize("who", ["caseworker", "clinician", "supervisor", "program_director"])
def test_the_record_shows_orders_doses_and_stops(prn, nurse, staff, client_for, who):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    with pytest.raises(administering.DoseStopped):
        administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    text = page(client_for(staff[who]).get(record_url(prn.resident)))
    assert "Current orders" in text and "Sertraline" in text and "as needed" in text
    assert str(prn.prescribed_by) in text
    assert "given</span> 50 mg" in text
    assert "doses must be at least 6 hours apart" in text  # the stopped attempt
    # Links lead only where the reader may go: staff['clinician'] is off this resident's care
    # team (the prescriber took their place) and reads the record for the round.
    on_the_round = who == "clinician"
    assert (f"/residents/{prn.resident.pk}/consents/" in text) is not on_the_round
    assert ("← The medication round" in text) is on_the_round
    assert ('href="/medications/formulary/"' in text.split("<main")[1]) is (who != "caseworker")


def test_the_nurse_on_the_round_reads_the_record_but_writes_no_order(prn, nurse, client_for):
    text = page(client_for(nurse).get(record_url(prn.resident)))
    assert "Give Sertraline" in text and "Write an order" not in text
    entry = Entry.objects.filter(actor=nurse, action="medication.view").latest("seq")
    assert (entry.purpose, entry.outcome) == ("medication_round", "allowed")


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "oversight", "sysadmin"])
def test_the_record_is_refused_off_the_care_team(prn, staff, client_for, who):
    response = client_for(staff[who]).get(record_url(prn.resident))
    assert response.status_code == 403 and "Sertraline" not in page(response)
    assert denied(staff[who], action="medication.view", resident=prn.resident)


def test_a_resident_cannot_read_another_residents_medications(prn, admit, make_user, client_for):
    dana = portal_login(make_user, admit(given_name="Dana", family_name="Reyes"))
    response = client_for(dana.user).get(record_url(prn.resident))
    assert response.status_code == 403
    assert denied(dana.user, action="medication.view", resident=prn.resident)


def test_a_resident_on_their_own_record_is_sent_to_their_page(prn, make_user, client_for):
    walter = portal_login(make_user, prn.resident)
    response = client_for(walter.user).get(record_url(walter))
    assert response.status_code == 302 and response.url == "/my-record/medications/"


def test_an_unknown_resident_is_a_404(staff, client_for, db):
    assert client_for(staff["supervisor"]).get("/residents/999999/medications/").status_code == 404


def test_the_prescriber_writes_an_order(resident, protocol, consent_to, prescriber, client_for):
    consent_to(resident, protocol)
    client = client_for(prescriber)
    assert "Write an order" in page(client.get(record_url(resident)))
    response = client.post(
        f"{record_url(resident)}orders/",
        {
            "protocol": protocol.pk,
            "dose_amount": "50",
            "dose_unit": "mg",
            "route": "oral",
            "frequency": "daily",
            "instructions": "With breakfast.",
        },
    )
    assert response.status_code == 302 and response.url == record_url(resident)
    order = Order.objects.get(resident=resident)
    assert (order.prescribed_by, order.frequency, order.instructions) == (
        prescriber,
        "daily",
        "With breakfast.",
    )
    assert "Ordered: Sertraline 50 mg" in page(client.get(response.url))


def test_an_order_beyond_the_protocol_is_refused_with_the_input_kept(
    resident, protocol, consent_to, prescriber, client_for
):
    consent_to(resident, protocol)
    response = client_for(prescriber).post(
        f"{record_url(resident)}orders/",
        {
            "protocol": protocol.pk,
            "dose_amount": "150",
            "dose_unit": "mg",
            "route": "oral",
            "frequency": "daily",
            "instructions": "Keep this text.",
        },
    )
    text = page(response)
    assert response.status_code == 400
    assert "maximum single dose of 100 mg" in text
    assert 'value="150"' in text and "Keep this text." in text
    assert not Order.objects.exists()


def test_an_order_without_consent_is_refused(resident, protocol, prescriber, client_for):
    response = client_for(prescriber).post(
        f"{record_url(resident)}orders/",
        {
            "protocol": protocol.pk,
            "dose_amount": "50",
            "dose_unit": "mg",
            "route": "oral",
            "frequency": "daily",
        },
    )
    assert response.status_code == 400 and "consent" in page(response).lower()
    assert not Order.objects.exists()


@pytest.mark.parametrize("who", ["nurse", "caseworker", "supervisor"])
def test_only_a_prescriber_writes_orders(resident, protocol, consent_to, staff, client_for, who):
    consent_to(resident, protocol)
    actor = staff["clinician_other"] if who == "nurse" else staff[who]
    response = client_for(actor).post(
        f"{record_url(resident)}orders/",
        {
            "protocol": protocol.pk,
            "dose_amount": "50",
            "dose_unit": "mg",
            "route": "oral",
            "frequency": "daily",
        },
    )
    assert response.status_code == 403
    assert denied(actor, action="medication.prescribe", resident=resident)
    assert not Order.objects.exists()


def test_the_prescriber_discontinues_an_order_with_a_reason(prn, prescriber, client_for):
    client = client_for(prescriber)
    url = f"{record_url(prn.resident)}orders/{prn.pk}/discontinue/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Say why the order is stopped." in page(response)
    response = client.post(url, {"reason": "No longer needed."})
    assert response.status_code == 302
    prn.refresh_from_db()
    assert prn.discontinued_by == prescriber and prn.discontinue_reason == "No longer needed."
    text = page(client.get(record_url(prn.resident)))
    assert "Past orders" in text and "No longer needed." in text


def test_an_order_is_discontinued_only_on_its_own_residents_page(
    prn, admit, prescriber, client_for
):
    other = admit(given_name="Dana", family_name="Reyes")
    url = f"{record_url(other)}orders/{prn.pk}/discontinue/"
    assert client_for(prescriber).post(url, {"reason": "Wrong page."}).status_code == 404
    prn.refresh_from_db()
    assert prn.discontinued_at is None


def test_a_nurse_cannot_discontinue(prn, nurse, client_for):
    url = f"{record_url(prn.resident)}orders/{prn.pk}/discontinue/"
    assert client_for(nurse).post(url, {"reason": "Not mine to stop."}).status_code == 403
    assert denied(nurse, action="medication.prescribe", resident=prn.resident)


# --- the resident's own page ---------------------------------------------------------------


def test_the_resident_reads_their_own_medications(prn, nurse, make_user, client_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    walter = portal_login(make_user, prn.resident)
    response = client_for(walter.user).get("/my-record/medications/")
    text = page(response)
    assert response.status_code == 200
    assert "What you take now" in text and "Sertraline" in text
    assert "You were given 50 mg." in text
    entry = Entry.objects.filter(actor=walter.user, action="medication.view").latest("seq")
    assert entry.purpose == "self"


def test_staff_have_no_own_medications_page(staff, client_for):
    assert client_for(staff["clinician"]).get("/my-record/medications/").status_code == 404


# --- the formulary -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician", "supervisor", "program_director", "oversight"])
def test_the_formulary_is_listed(protocol, staff, client_for, who):
    text = page(client_for(staff[who]).get("/medications/formulary/"))
    assert "Sertraline" in text and "medication-sertraline" in text
    assert "at most 100 mg a dose and 200 mg in any 24 hours" in text and "6 hours apart" in text
    assert "Add a protocol" not in text and "Retire" not in text


@pytest.mark.parametrize("who", ["caseworker", "contractor", "sysadmin"])
def test_the_formulary_is_refused_to_others(protocol, staff, client_for, who):
    assert client_for(staff[who]).get("/medications/formulary/").status_code == 403
    assert denied(staff[who], action="medication.formulary")


def test_the_medical_lead_adds_a_protocol(add_protocol, medical_lead, staff, client_for):
    add_protocol()  # publishes medication-sertraline too
    from .conftest import consent_document

    consent_document(staff["program_director"], "medication-melatonin")
    client = client_for(medical_lead)
    assert "Add a protocol" in page(client.get("/medications/formulary/"))
    fields = {
        "drug": "Melatonin",
        "form": "tablet",
        "strength_amount": "3",
        "strength_unit": "mg",
        "limit_unit": "mg",
        "max_single_dose": "3",
        "max_daily_dose": "6",
        "min_interval_minutes": "360",
        "consent_code": "medication-nothing",
    }
    response = client.post("/medications/formulary/", fields)
    assert response.status_code == 400 and "No consent document has the code" in page(response)
    assert 'value="Melatonin"' in page(response)
    response = client.post(
        "/medications/formulary/", fields | {"consent_code": "medication-melatonin"}
    )
    assert response.status_code == 302
    assert Protocol.objects.get(drug="Melatonin").added_by == medical_lead


def test_only_the_medical_lead_adds_or_retires(protocol, staff, client_for):
    client = client_for(staff["clinician"])
    assert client.post("/medications/formulary/", {"drug": "Anything"}).status_code == 403
    assert client.post(f"/medications/formulary/{protocol.pk}/retire/").status_code == 403
    assert denied(staff["clinician"], action="medication.manage_formulary")
    protocol.refresh_from_db()
    assert protocol.retired_at is None


def test_the_medical_lead_retires_a_protocol(protocol, medical_lead, client_for):
    client = client_for(medical_lead)
    response = client.post(f"/medications/formulary/{protocol.pk}/retire/")
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.retired_by == medical_lead
    text = page(client.get("/medications/formulary/"))
    assert "Retired" in text
    response = client.post(f"/medications/formulary/{protocol.pk}/retire/")
    assert response.status_code == 400 and "already retired" in page(response)
    assert client.post("/medications/formulary/999999/retire/").status_code == 404


def test_the_round_offers_no_dose_that_would_be_stopped(
    small_prn, nurse, staff, consented, client_for, prescriber
):
    prn = small_prn
    from homecoming.consents import services as consents
    from homecoming.medications import orders

    client = client_for(nurse)
    text = page(client.get("/medications/round/"))
    assert "Give Sertraline to Walter Cruz" in text
    consents.revoke(staff["caseworker"], consented, "Walter told me he wants to stop.")
    text = page(client.get("/medications/round/"))
    assert "Give Sertraline to Walter Cruz" not in text
    assert "no active consent: a dose would be stopped" in text
    give_page = page(client.get(give_url(prn)))
    assert "Walter Cruz has no active consent to Sertraline: a dose would be stopped." in give_page
    orders.discontinue(prescriber, prn, "No longer needed.")
    text = page(client.get("/medications/round/"))
    assert "discontinued" in text and "Give Sertraline to Walter Cruz" not in text
    assert "This order is not running now: it was discontinued." in page(client.get(give_url(prn)))


def test_a_dose_in_another_unit_reads_in_the_orders_unit_too(prn, nurse, client_for):
    administering.give(nurse, prn, dose_amount="50000", dose_unit="mcg")
    text = page(client_for(nurse).get(record_url(prn.resident)))
    assert "50000 mcg (50 mg)" in text


def test_the_give_page_says_where_the_order_stands(prn, nurse, client_for):
    administering.give(nurse, prn, dose_amount="50", dose_unit="mg")
    text = page(client_for(nurse).get(give_url(prn)))
    assert "Last dose of Sertraline 50 mg at" in text and "next dose allowed from" in text
    entry = Entry.objects.filter(actor=nurse, action="medication.view").latest("seq")
    assert entry.resident_id == prn.resident_id  # reading it is a recorded read
