"""The reads issue 13 found unwritten, replayed one by one: each page names the resident and
now leaves its entry on the resident's record, with the purpose the resident reads."""

from homecoming.ledger.models import Entry, about

from .walk import last_seq


def _entries(before, actor, resident):
    return list(
        Entry.objects.filter(about(resident.pk), seq__gt=before, actor=actor).values_list(
            "action", "purpose", "outcome"
        )
    )


def test_the_oversight_home_page_records_the_alert_it_shows(center, client_for):
    oversight = center.staff["oversight"]
    before = last_seq()
    page = client_for(oversight).get("/").content.decode()
    assert "Quillfeather" in page and center.protocol.drug in page
    assert _entries(before, oversight, center.walter) == [("alert.view", "alert", "allowed")]


def test_the_alerts_api_records_each_alert_about_a_resident(center, client_for):
    supervisor = center.staff["supervisor"]
    before = last_seq()
    shown = client_for(supervisor).get("/api/v1/alerts?limit=500").json()["items"]
    about = [a for a in shown if a["resident_id"] == center.walter.pk]
    assert about and len(_entries(before, supervisor, center.walter)) == len(about)


def test_the_new_note_form_is_a_read_of_the_record(center, client_for):
    caseworker = center.staff["caseworker"]
    before = last_seq()
    page = client_for(caseworker).get(f"/residents/{center.walter.pk}/notes/new")
    assert page.status_code == 200 and "Quillfeather" in page.content.decode()
    assert _entries(before, caseworker, center.walter) == [("resident.view", "care", "allowed")]


def test_the_investigators_pages_record_the_residents_they_name(center, client_for):
    investigator = center.staff["investigator"]
    client = client_for(investigator)
    for url in (
        "/",
        f"/oversight/investigations/{center.investigation.pk}/",
        f"/oversight/grants/{center.grant.pk}/actions/",
    ):
        before = last_seq()
        assert "Quillfeather" in client.get(url).content.decode(), url
        assert _entries(before, investigator, center.walter) == [
            ("resident.list", "investigation", "allowed")
        ], url


def test_the_oversight_body_sees_residents_of_an_investigation_by_number_only(center, client_for):
    oversight = center.staff["oversight"]
    before = last_seq()
    url = f"/oversight/investigations/{center.investigation.pk}/"
    page = client_for(oversight).get(url).content.decode()
    assert f"Resident #{center.walter.pk}" in page and "Quillfeather" not in page
    assert _entries(before, oversight, center.walter) == []
