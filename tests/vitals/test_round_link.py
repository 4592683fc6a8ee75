"""The round: each resident's card links to their vital signs, at no query's cost (the round's
budget is tests/medications/test_round_queries.py)."""

from tests.medications.test_views import round_url


def test_each_card_on_the_round_links_to_record_vitals(
    resident, add_protocol, consent_to, prescribe, nurse, client_for
):
    protocol = add_protocol()
    consent_to(resident, protocol)
    prescribe(resident, protocol)
    text = client_for(nurse).get(round_url()).content.decode()
    assert resident.display_name in text
    assert (
        f'<a href="/residents/{resident.pk}/vitals/" '
        f'aria-label="Record vitals of {resident.display_name}">Record vitals</a>'
    ) in text
