"""Ceilings per active ingredient and resident, across every order (issue 13, part 3).

The replay: the prescriber writes a second ibuprofen protocol's order beside the first, so the
resident could be given 4,800 mg in 24 hours while each order stays inside its own protocol.
Refused now, through the service, the API and the page, with a refused entry on the ledger and
the medical lead told. At giving, every dose of the ingredient in 24 hours counts, whatever the
order. Duplicate therapy warns and is acknowledged on the ledger; an interacting pair stops an
order unless a second clinician co-signs."""

import datetime as dt
import json
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry, Version
from homecoming.medications import administering, ingredient_limits, orders
from homecoming.medications.guard import Rule
from homecoming.medications.ingredient_limits import InteractionOverride, OrderStopped
from homecoming.medications.models import (
    Ingredient,
    Order,
    OrderCheck,
    Protocol,
    ProtocolIngredient,
)
from homecoming.medications.orders import Prescription
from tests.conftest import PASSWORD

from .conftest import SERTRALINE

IBUPROFEN_400 = {
    "drug": "Ibuprofen",
    "form": "tablet",
    "strength_amount": "400",
    "strength_unit": "mg",
    "limit_unit": "mg",
    "max_single_dose": "800",
    "max_daily_dose": "2400",
    "min_interval_minutes": "360",
    "consent_code": "medication-ibuprofen",
    "drug_class": "NSAID",
}
# The second ibuprofen protocol: its own limits are the same, so each order passes its own.
IBUPROFEN_200 = {
    **IBUPROFEN_400,
    "strength_amount": "200",
    "min_interval_minutes": "240",
    "drug_class": "",
}
NAPROXEN = {
    **IBUPROFEN_400,
    "drug": "Naproxen",
    "strength_amount": "250",
    "max_single_dose": "500",
    "max_daily_dose": "1000",
    "min_interval_minutes": "480",
    "consent_code": "medication-naproxen",
}
TRAZODONE = {
    **SERTRALINE,
    "drug": "Trazodone",
    "min_interval_minutes": "480",
    "consent_code": "medication-trazodone",
}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def ibuprofen(resident, add_protocol, consent_to):
    """Both ibuprofen protocols in the formulary, and the resident's consent to ibuprofen."""
    first = add_protocol(IBUPROFEN_400)
    second = add_protocol(IBUPROFEN_200)
    consent_to(resident, first)
    return first, second


@pytest.fixture
def first_order(resident, ibuprofen, prescribe):
    """800 mg three times a day: 2,400 mg a day, the whole of the first protocol's maximum."""
    return prescribe(resident, ibuprofen[0], dose="800", frequency="three_times_daily")


def second_prescription(protocol, **fields):
    """400 mg as needed, 4 hours apart: up to 2,400 mg in 24 hours under the second protocol."""
    return Prescription(
        protocol=protocol,
        dose_amount="400",
        dose_unit="mg",
        route="oral",
        frequency="as_needed",
        acknowledge_duplicates=True,  # the warning seen: what stops it is the ceiling
        **fields,
    )


def refused_entry(actor, resident):
    return Entry.objects.filter(
        actor=actor, action="medication.prescribe", outcome="denied", resident_id=resident.pk
    ).exists()


# --- the replay ---------------------------------------------------------------------------


def test_replay_a_second_ibuprofen_protocol_cannot_double_the_daily_dose(
    resident, ibuprofen, first_order, prescriber, medical_lead
):
    with pytest.raises(OrderStopped) as stopped:
        orders.prescribe(prescriber, resident, second_prescription(ibuprofen[1]))
    message = " ".join(stopped.value.message_dict["frequency"])
    assert "Ibuprofen could reach 4800 mg in 24 hours" in message
    assert "ceiling of 2400 mg in any 24 hours across every order" in message
    assert Order.objects.filter(resident=resident).count() == 1
    assert refused_entry(prescriber, resident)
    alert = Alert.objects.get(recipient=medical_lead, kind="order_stopped")
    assert "4800 mg" in alert.message and alert.resident_id == resident.pk


def test_replay_through_the_api_is_refused(
    resident, ibuprofen, first_order, prescriber, medical_lead, api_for
):
    body = {
        "protocol_id": ibuprofen[1].pk,
        "dose_amount": "400",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "as_needed",
        "acknowledge_duplicates": True,
    }
    response = post(api_for(prescriber), f"/api/v1/residents/{resident.pk}/orders", body)
    assert response.status_code == 400, response.content
    assert "ceiling of 2400 mg" in response.json()["detail"]
    assert Order.objects.filter(resident=resident).count() == 1
    assert refused_entry(prescriber, resident)
    assert Alert.objects.filter(recipient=medical_lead, kind="order_stopped").exists()


def test_replay_through_the_page_is_refused(
    resident, ibuprofen, first_order, prescriber, client_for
):
    fields = {
        "protocol": ibuprofen[1].pk,
        "dose_amount": "400",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "as_needed",
        "acknowledge_duplicates": "on",
    }
    url = f"/residents/{resident.pk}/medications/orders/"
    response = client_for(prescriber).post(url, fields)
    assert response.status_code == 400
    assert "across every order" in response.content.decode()
    assert Order.objects.filter(resident=resident).count() == 1
    assert refused_entry(prescriber, resident)


def test_replay_at_giving_every_dose_of_the_ingredient_counts_whatever_the_order(
    resident, ibuprofen, prescribe, prescriber, nurse, medical_lead
):
    """The orders never run together, so ordering allows them; but 2,400 mg given under the
    first in the morning and a dose under the second at noon make 3,200 mg in 24 hours."""
    now = timezone.now()
    first = prescribe(
        resident,
        ibuprofen[0],
        dose="800",
        frequency="as_needed",
        starts_at=now - dt.timedelta(hours=21),
    )
    for hours_ago in (20, 14, 8):
        at = now - dt.timedelta(hours=hours_ago)
        with mock.patch("django.utils.timezone.now", return_value=at):
            administering.give(nurse, first, dose_amount="800", dose_unit="mg")
    orders.discontinue(prescriber, first, "Changed to the other tablets.")
    second = orders.prescribe(
        prescriber,
        resident,
        Prescription(
            protocol=ibuprofen[1],
            dose_amount="800",
            dose_unit="mg",
            route="oral",
            frequency="as_needed",
        ),
    )
    with pytest.raises(administering.DoseStopped) as stopped:
        administering.give(nurse, second, dose_amount="800", dose_unit="mg")
    assert [s.rule for s in stopped.value.stops] == [Rule.ABOVE_INGREDIENT_DAILY]
    assert "3200 mg of Ibuprofen" in stopped.value.stops[0].message
    assert not stopped.value.overridable
    # A co-signed override does not pass a ceiling either.
    with pytest.raises(administering.DoseStopped):
        administering.give(
            nurse,
            second,
            dose_amount="800",
            dose_unit="mg",
            override=administering.Override(prescriber, PASSWORD, "In pain"),
        )
    assert not second.administrations.exists()
    assert Alert.objects.filter(recipient=medical_lead, kind="dose_stopped").exists()


def test_a_protocol_cannot_allow_more_than_its_ingredient(add_protocol, resident):
    add_protocol(IBUPROFEN_400)
    with pytest.raises(ValidationError) as refused:
        add_protocol(IBUPROFEN_200, max_daily_dose="4800", max_single_dose="1200")
    assert "Ibuprofen's ceiling is 2400 mg in any 24 hours" in " ".join(
        refused.value.message_dict["max_daily_dose"]
    )
    assert "max_single_dose" in refused.value.message_dict
    assert Protocol.objects.count() == 1


def test_a_protocol_names_its_ingredient_and_the_class_is_the_ingredients(add_protocol):
    first = add_protocol(IBUPROFEN_400)
    brand = add_protocol(IBUPROFEN_200, drug="Brufen", ingredient="ibuprofen")
    assert ingredient_limits.ceiling_of(brand).key == ingredient_limits.ceiling_of(first).key
    assert Ingredient.objects.get().drug_class == "NSAID"
    assert ProtocolIngredient.objects.count() == 2
    with pytest.raises(ValidationError) as refused:
        add_protocol(IBUPROFEN_200, drug_class="Analgesic")
    assert "in the formulary as NSAID" in refused.value.message_dict["drug_class"][0]


def test_an_order_above_the_ingredients_single_ceiling_is_refused(
    resident, add_protocol, consent_to, prescriber
):
    add_protocol(IBUPROFEN_400, max_single_dose="600", max_daily_dose="1800")
    # A protocol added before ingredients existed: its own, looser limits.
    loose = Protocol.objects.create(
        **{
            k: v
            for k, v in IBUPROFEN_400.items()
            if k not in ("drug_class", "min_interval_minutes")
        },
        min_interval_minutes=360,
        added_at=timezone.now(),
        added_by=prescriber,
    )
    consent_to(resident, loose)
    prescription = Prescription(
        protocol=loose,
        dose_amount="800",
        dose_unit="mg",
        route="oral",
        frequency="daily",
    )
    with pytest.raises(OrderStopped) as stopped:
        orders.prescribe(prescriber, resident, prescription)
    assert "ceiling of 600 mg in one dose" in stopped.value.message_dict["dose_amount"][0]


def test_old_protocols_of_one_drug_share_the_tightest_limits(prescriber):
    common = {
        k: v
        for k, v in IBUPROFEN_400.items()
        if k not in ("drug_class", "min_interval_minutes", "max_daily_dose")
    }
    now = timezone.now()
    a = Protocol.objects.create(
        **common, max_daily_dose="2400", min_interval_minutes=360, added_at=now, added_by=prescriber
    )
    b = Protocol.objects.create(
        **{**common, "drug": " ibuprofen "},
        max_daily_dose="3200",
        min_interval_minutes=360,
        added_at=now,
        added_by=prescriber,
    )
    ceiling = ingredient_limits.ceiling_of(b)
    assert ceiling.key == ingredient_limits.ceiling_of(a).key == "ibuprofen"
    assert ceiling.max_daily == 2400 and ceiling.ingredient is None


# --- duplicate therapy --------------------------------------------------------------------


def test_duplicate_therapy_warns_and_the_acknowledgement_is_on_the_ledger(
    resident, ibuprofen, prescribe, prescriber
):
    prescribe(resident, ibuprofen[0], dose="400", frequency="twice_daily")
    prescription = Prescription(
        protocol=ibuprofen[1],
        dose_amount="200",
        dose_unit="mg",
        route="oral",
        frequency="daily",
    )
    with pytest.raises(ValidationError) as warned:
        orders.prescribe(prescriber, resident, prescription)
    assert not isinstance(warned.value, OrderStopped)
    warning = " ".join(warned.value.message_dict["acknowledge_duplicates"])
    assert "Duplicate therapy: Ibuprofen is already ordered: Ibuprofen 400 mg twice" in warning
    assert Order.objects.count() == 1
    prescription.acknowledge_duplicates = True
    order = orders.prescribe(prescriber, resident, prescription)
    check = OrderCheck.objects.get(order=order)
    assert check.duplicates and check.override_cosigner is None
    entry = Entry.objects.get(
        action="medication.order_check", object_id=str(check.pk), resident_id=resident.pk
    )
    assert entry.actor == prescriber
    version = Version.objects.get(seq=entry.seq)
    assert "Ibuprofen is already ordered" in version.content


def test_two_orders_of_one_class_warn(resident, add_protocol, consent_to, prescribe):
    ibuprofen = add_protocol(IBUPROFEN_400)
    naproxen = add_protocol(NAPROXEN)
    consent_to(resident, ibuprofen)
    consent_to(resident, naproxen)
    prescribe(resident, ibuprofen, dose="400", frequency="twice_daily")
    with pytest.raises(ValidationError, match="Naproxen is also a NSAID|Ibuprofen is also a NSAID"):
        prescribe(resident, naproxen, dose="250", frequency="twice_daily")
    prescribe(resident, naproxen, dose="250", frequency="twice_daily", acknowledge_duplicates=True)


def test_the_page_shows_the_warning_and_takes_the_acknowledgement(
    resident, ibuprofen, prescribe, prescriber, client_for
):
    prescribe(resident, ibuprofen[0], dose="400", frequency="twice_daily")
    client = client_for(prescriber)
    url = f"/residents/{resident.pk}/medications/orders/"
    fields = {
        "protocol": ibuprofen[1].pk,
        "dose_amount": "200",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "daily",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Duplicate therapy" in text and 'value="200"' in text
    response = client.post(url, {**fields, "acknowledge_duplicates": "on"})
    assert response.status_code == 302
    assert OrderCheck.objects.filter(order__resident=resident).count() == 1


# --- interacting pairs --------------------------------------------------------------------


@pytest.fixture
def interacting(resident, add_protocol, consent_to, prescribe, medical_lead):
    """Sertraline running; trazodone listed as interacting with it; consent to both."""
    sertraline = add_protocol()
    trazodone = add_protocol(TRAZODONE)
    consent_to(resident, sertraline)
    consent_to(resident, trazodone)
    ingredient_limits.add_interaction(
        medical_lead, "sertraline", "Trazodone", "Serotonin syndrome."
    )
    prescribe(resident, sertraline, frequency="twice_daily")
    return trazodone


def trazodone_order(protocol, override=None):
    return Prescription(
        protocol=protocol,
        dose_amount="50",
        dose_unit="mg",
        route="oral",
        frequency="at_bedtime",
        interaction_override=override,
    )


def test_an_interacting_pair_stops_the_order(resident, interacting, prescriber, medical_lead):
    with pytest.raises(OrderStopped) as stopped:
        orders.prescribe(prescriber, resident, trazodone_order(interacting))
    message = stopped.value.message_dict["interaction"][0]
    assert "Trazodone interacts with Sertraline 50 mg twice a day" in message
    assert "Serotonin syndrome." in message
    assert refused_entry(prescriber, resident)
    assert Alert.objects.filter(recipient=medical_lead, kind="order_stopped").exists()
    assert Order.objects.filter(protocol=interacting).count() == 0


def test_a_second_clinician_overrides_an_interaction_and_oversight_is_told(
    resident, interacting, prescriber, staff
):
    override = InteractionOverride(staff["clinician"], PASSWORD, "Cannot sleep; low dose.")
    order = orders.prescribe(prescriber, resident, trazodone_order(interacting, override))
    check = OrderCheck.objects.get(order=order)
    assert check.override_cosigner == staff["clinician"] and check.interactions
    assert Entry.objects.filter(
        actor=staff["clinician"], action="medication.interaction_override", object_id=str(check.pk)
    ).exists()
    for role in ("program_director", "oversight"):
        alert = Alert.objects.get(recipient=staff[role], kind="interaction_override")
        assert "despite an interaction" in alert.message


@pytest.mark.parametrize("who", ["prescriber", "caseworker", "wrong_password"])
def test_an_interaction_override_needs_another_clinician_who_confirms(
    resident, interacting, prescriber, staff, who
):
    cosigner = {"prescriber": prescriber, "caseworker": staff["caseworker"]}.get(
        who, staff["clinician"]
    )
    secret = "not the password" if who == "wrong_password" else PASSWORD
    override = InteractionOverride(cosigner, secret, "Cannot sleep.")
    with pytest.raises(ValidationError):
        orders.prescribe(prescriber, resident, trazodone_order(interacting, override))
    assert Order.objects.filter(protocol=interacting).count() == 0
    if who == "wrong_password":
        # Refused at the prescriber's keyboard, where it was typed: the co-signer's own log-in
        # is never charged for someone else's guesses.
        refused = Entry.objects.filter(action="medication.interaction_override", outcome="denied")
        assert list(refused.values_list("actor", flat=True)) == [prescriber.pk]


@pytest.mark.parametrize("who", ["clinician", "supervisor", "program_director"])
def test_only_the_medical_lead_lists_interactions(add_protocol, staff, who, client_for):
    add_protocol()
    add_protocol(TRAZODONE)
    with pytest.raises(Exception, match="medical lead"):
        ingredient_limits.add_interaction(staff[who], "Sertraline", "Trazodone", "Serotonin.")
    response = client_for(staff[who]).post(
        "/medications/formulary/interactions/",
        {"first": "Sertraline", "second": "Trazodone", "description": "Serotonin."},
    )
    assert response.status_code == 403
    assert Entry.objects.filter(
        actor=staff[who], action="medication.manage_formulary", outcome="denied"
    ).exists()


def test_the_medical_lead_lists_an_interaction_on_the_page_and_the_api(
    add_protocol, medical_lead, client_for, api_for
):
    add_protocol()
    add_protocol(TRAZODONE)
    add_protocol(IBUPROFEN_400)
    client = client_for(medical_lead)
    url = "/medications/formulary/interactions/"
    fields = {"first": "Sertraline", "second": "Aspirin", "description": "Bleeding."}
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "No ingredient &#x27;Aspirin&#x27; in the formulary." in response.content.decode()
    fields = {"first": "Sertraline", "second": "Trazodone", "description": "Serotonin syndrome."}
    assert client.post(url, fields).status_code == 302
    text = client.get("/medications/formulary/").content.decode()
    assert "Serotonin syndrome." in text and "Ingredients and their ceilings" in text
    api = api_for(medical_lead)
    body = {"first": "ibuprofen", "second": "sertraline", "description": "Bleeding."}
    response = post(api, "/api/v1/formulary/interactions", body)
    assert response.status_code == 201, response.content
    listed = api.get("/api/v1/formulary/ingredients").json()
    assert {i["name"] for i in listed["ingredients"]} == {"Sertraline", "Trazodone", "Ibuprofen"}
    assert len(listed["interactions"]) == 2
    again = post(api, "/api/v1/formulary/interactions", body)
    assert again.status_code == 400 and "already listed" in again.json()["detail"]


def test_formulary_rows_are_final_in_the_database(add_protocol):
    from django.db import IntegrityError, InternalError, connection, transaction

    add_protocol(IBUPROFEN_400)
    for sql in (
        "UPDATE medications_ingredient SET max_daily_dose = 9000",
        "DELETE FROM medications_protocolingredient",
    ):
        with (
            pytest.raises((IntegrityError, InternalError, Exception)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Ingredient.objects.get().max_daily_dose == 2400


def test_the_api_shows_each_protocols_ingredient(add_protocol, medical_lead, api_for):
    add_protocol(IBUPROFEN_400)
    add_protocol(IBUPROFEN_200, drug="Brufen", ingredient="Ibuprofen")
    listed = api_for(medical_lead).get("/api/v1/formulary").json()["items"]
    assert {p["ingredient"] for p in listed} == {"Ibuprofen"}


def test_formulary_page_adds_a_protocol_of_a_named_ingredient(
    add_protocol, medical_lead, client_for
):
    add_protocol(IBUPROFEN_400)
    fields = {**IBUPROFEN_200, "drug": "Brufen", "ingredient": "Ibuprofen"}
    fields["max_daily_dose"] = "3000"
    response = client_for(medical_lead).post("/medications/formulary/", fields)
    assert response.status_code == 400
    assert "ceiling is 2400 mg in any 24 hours" in response.content.decode()
    fields["max_daily_dose"] = "2000"
    assert client_for(medical_lead).post("/medications/formulary/", fields).status_code == 302
    assert ProtocolIngredient.objects.filter(ingredient__key="ibuprofen").count() == 2


def test_doses_under_two_orders_close_together_are_one_dose_for_the_single_ceiling(
    resident, add_protocol, consent_to, prescribe, nurse
):
    first = add_protocol(IBUPROFEN_400)
    small = add_protocol(IBUPROFEN_200, max_daily_dose="1200")
    consent_to(resident, first)
    daily = prescribe(resident, first, dose="800", frequency="daily")
    prn = prescribe(resident, small, dose="400", frequency="as_needed", acknowledge_duplicates=True)
    administering.give(
        nurse, daily, dose_amount="800", dose_unit="mg", at=timezone.now() - dt.timedelta(hours=1)
    )
    with pytest.raises(administering.DoseStopped) as stopped:
        administering.give(nurse, prn, dose_amount="400", dose_unit="mg")
    assert [s.rule for s in stopped.value.stops] == [Rule.ABOVE_INGREDIENT_SINGLE]
    assert "400 mg with 800 mg given under another order less than 4 hours" in (
        stopped.value.stops[0].message
    )
    later = timezone.now() + dt.timedelta(hours=4)
    with mock.patch("django.utils.timezone.now", return_value=later):
        administering.give(nurse, prn, dose_amount="400", dose_unit="mg")


def test_the_page_stops_an_interaction_and_takes_the_co_signed_override(
    resident, interacting, prescriber, staff, client_for
):
    client = client_for(prescriber)
    url = f"/residents/{resident.pk}/medications/orders/"
    fields = {
        "protocol": interacting.pk,
        "dose_amount": "50",
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "at_bedtime",
    }
    response = client.post(url, fields)
    assert response.status_code == 400
    assert "Trazodone interacts with Sertraline" in response.content.decode()
    override = {"cosigner": "clinician", "cosigner_secret": "wrong", "override_reason": "Sleep."}
    response = client.post(url, {**fields, **override})
    assert response.status_code == 400
    assert "That is not" in response.content.decode()
    override["cosigner_secret"] = PASSWORD
    assert client.post(url, {**fields, **override}).status_code == 302
    check = OrderCheck.objects.get(order__protocol=interacting)
    assert check.override_cosigner == staff["clinician"] and check.override_reason == "Sleep."
