"""The round is walked as a nurse walks it: wing by wing, room by room, a page at a time.
Only the residents on the page are read (and recorded as read); bad wing or page values are a
400 naming every problem."""

import re

from homecoming.ledger.models import Entry
from homecoming.residents import setup

from .test_views import round_url


def _center(resident, admit, prescriber, add_protocol, consent_to, prescribe):
    """Walter in North (N101-A), Ester in East (E201-A), Nadia in no bed: each on the round."""
    east = setup.add_room(None, "E201", "East", "A", check_policy=False).beds.get()
    ester = admit(bed=east, clinician=prescriber, given_name="Ester", family_name="Zorn")
    nadia = admit(clinician=prescriber, given_name="Nadia", family_name="Abbot")
    protocol = add_protocol()
    for someone in (resident, ester, nadia):
        consent_to(someone, protocol)
        prescribe(someone, protocol)
    return ester, nadia


def _names(text):
    return re.findall(r'<h2 id="mar-\d+"><a [^>]*>([^<]+)</a>', text)


def test_every_wing_in_the_order_of_the_rooms_with_the_bed_shown(
    resident, admit, prescriber, add_protocol, consent_to, prescribe, nurse, client_for
):
    _center(resident, admit, prescriber, add_protocol, consent_to, prescribe)
    text = client_for(nurse).get(round_url()).text
    # East before North, by room; not in a bed last (though "Abbot" sorts first by name).
    assert _names(text) == ["Ester Zorn", "Walter Cruz", "Nadia Abbot"]
    assert "East, bed E201-A" in text and "North, bed N101-A" in text
    for wing in ("East (1)", "North (1)", "Not in a bed (1)"):
        assert wing in text


def test_one_wing_shows_and_reads_only_its_residents(
    resident, admit, prescriber, add_protocol, consent_to, prescribe, nurse, client_for
):
    ester, nadia = _center(resident, admit, prescriber, add_protocol, consent_to, prescribe)
    client = client_for(nurse)
    before = Entry.objects.count()
    response = client.get(round_url() + "&wing=East")
    assert response.status_code == 200
    assert _names(response.text) == ["Ester Zorn"]
    read = Entry.objects.filter(seq__gte=before, actor=nurse, action="medication.view")
    assert set(read.values_list("resident_id", flat=True)) == {ester.pk}
    # Those not in a bed are a "wing" of their own; the wing is kept across shifts.
    assert _names(client.get(round_url() + "&wing=").text) == ["Nadia Abbot"]
    assert "wing=East" in re.search(r'<a href="([^"]+)">[^<]*→</a>', response.text)[1]


def test_bad_wing_and_page_are_a_400_naming_both(resident, nurse, client_for):
    response = client_for(nurse).get(round_url() + "&wing=Atlantis&page=two")
    assert response.status_code == 400
    assert "“two” is not a page number" in response.text
    response = client_for(nurse).get(round_url() + "&wing=Atlantis")
    assert response.status_code == 400
    assert "There is no wing “Atlantis”" in response.text


def test_a_page_past_the_last_shows_the_last(
    resident, admit, prescriber, add_protocol, consent_to, prescribe, nurse, client_for
):
    _center(resident, admit, prescriber, add_protocol, consent_to, prescribe)
    response = client_for(nurse).get(round_url() + "&page=99")
    assert response.status_code == 200
    assert len(_names(response.text)) == 3
