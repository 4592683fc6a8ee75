"""Acknowledging alerts in bulk from the home page (issue 16): the chosen ones, or all those
shown, each through the same service with its own ledger entry, in one transaction; an alert not
the user's refuses the batch with every such number named; nothing chosen is a 400."""

import pytest

from homecoming.alerts import services
from homecoming.alerts.models import Alert
from homecoming.ledger.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(staff):
    for i in range(3):
        services.notify([staff["supervisor"]], kind="note.cosign", message=f"Note {i} to co-sign")
    services.notify([staff["supervisor"]], kind="safety", message="Item 9 answered")
    services.notify([staff["program_director"]], kind="break_glass", message="Director's own")
    return list(Alert.objects.filter(recipient=staff["supervisor"]).order_by("pk"))


def _acknowledged(user):
    return set(Alert.objects.filter(acknowledged_by=user).values_list("pk", flat=True))


def test_the_home_page_offers_a_checkbox_per_alert_and_both_buttons(four, staff, client_for):
    page = client_for(staff["supervisor"]).get("/").content.decode()
    assert page.count('type="checkbox" form="home-ack" name="alert"') == 4
    assert "Acknowledge selected" in page and "Acknowledge all 4 shown" in page
    assert "Director's own" not in page


def test_acknowledge_selected_from_home_says_how_many(four, staff, client_for):
    client = client_for(staff["supervisor"])
    chosen = [four[0].pk, four[3].pk]
    shown = [a.pk for a in four]
    response = client.post(
        "/alerts/acknowledge", {"alert": chosen, "shown": shown, "next": "/"}, follow=True
    )
    assert response.redirect_chain[-1] == ("/", 302)
    assert "2 alerts acknowledged." in response.content.decode()
    assert _acknowledged(staff["supervisor"]) == set(chosen)
    entries = Entry.objects.filter(action="alert.acknowledge", outcome="allowed")
    assert sorted(int(e.object_id) for e in entries) == sorted(chosen)  # one entry each


def test_acknowledge_all_shown_takes_only_what_was_on_the_page(four, staff, client_for):
    client = client_for(staff["supervisor"])
    shown = [a.pk for a in four]
    # An alert arriving after the page was drawn is not acknowledged unseen.
    services.notify([staff["supervisor"]], kind="note.cosign", message="Arrived meanwhile")
    response = client.post("/alerts/acknowledge", {"all_shown": "1", "shown": shown, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _acknowledged(staff["supervisor"]) == set(shown)
    assert Alert.objects.get(message="Arrived meanwhile").read_at is None
    assert Entry.objects.filter(action="alert.acknowledge", outcome="allowed").count() == 4


def test_one_not_yours_refuses_the_batch_naming_each(four, staff, client_for):
    theirs = Alert.objects.get(recipient=staff["program_director"])
    response = client_for(staff["supervisor"]).post(
        "/alerts/acknowledge", {"alert": [four[0].pk, theirs.pk, 987654], "next": "/"}
    )
    assert response.status_code == 403
    text = response.content.decode()
    assert f"#{theirs.pk}" in text and "#987654" in text and "nothing was acknowledged" in text
    assert not Alert.objects.filter(read_at__isnull=False).exists()
    denied = Entry.objects.filter(action="alert.acknowledge", outcome="denied")
    assert sorted(e.object_id for e in denied) == sorted([str(theirs.pk), "987654"])


@pytest.mark.parametrize("posted", [{"next": "/"}, {"all_shown": "1", "next": "/"}])
def test_nothing_chosen_is_a_400_that_says_so(posted, four, staff, client_for):
    response = client_for(staff["supervisor"]).post("/alerts/acknowledge", posted)
    assert response.status_code == 400
    assert "Choose at least one alert to acknowledge." in response.content.decode()
    assert not Alert.objects.filter(read_at__isnull=False).exists()


def test_the_single_acknowledge_button_still_takes_one(four, staff, client_for):
    client = client_for(staff["supervisor"])
    # The row's button posts the whole form to its own address: the ticked boxes do not ride along.
    response = client.post(
        f"/alerts/{four[1].pk}/read", {"alert": [four[0].pk], "shown": [a.pk for a in four]}
    )
    assert response.status_code == 302
    assert _acknowledged(staff["supervisor"]) == {four[1].pk}


def test_the_api_acknowledges_in_bulk_with_an_entry_each_and_names_every_refusal(
    four, staff, api_for
):
    api = api_for(staff["supervisor"])
    theirs = Alert.objects.get(recipient=staff["program_director"])
    refused = api.post(
        "/api/v1/alerts/acknowledge",
        {"ids": [four[0].pk, theirs.pk, 987654]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert f"#{theirs.pk}" in refused.json()["detail"] and "#987654" in refused.json()["detail"]
    done = api.post(
        "/api/v1/alerts/acknowledge",
        {"ids": [a.pk for a in four]},
        content_type="application/json",
    )
    assert done.status_code == 200 and sorted(done.json()["acknowledged"]) == [a.pk for a in four]
    allowed = Entry.objects.filter(action="alert.acknowledge", outcome="allowed")
    assert sorted(int(e.object_id) for e in allowed) == [a.pk for a in four]
    none = api.post("/api/v1/alerts/acknowledge", {"ids": []}, content_type="application/json")
    assert none.status_code == 400 and "Choose at least one" in none.json()["detail"]
