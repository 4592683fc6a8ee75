"""De-identified exports under consent: only residents whose consent counts at the moment of
export are in the file, nothing in it names or dates anyone, each resident included is on the
ledger, and only the program director may export. Pages and API refuse what the service does."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from homecoming.access.policy import AccessDenied
from homecoming.consents import services as consents
from homecoming.consents.models import ConsentPurpose
from homecoming.ledger.models import Entry
from homecoming.measures import services as measures
from homecoming.residents.models import Resident
from homecoming.sharing import exports
from tests.consents.helpers import (
    lapsed_research_document,
    publish,
    publish_research,
    witnessed_by,
)

SPONSOR = "sponsor-outcomes"


@pytest.fixture
def director(staff):
    return staff["program_director"]


@pytest.fixture
def sponsor_document(director):
    return publish(
        director,
        purpose=ConsentPurpose.SPONSOR_SHARING,
        code=SPONSOR,
        title="Sharing de-identified scores with the sponsor",
        body="My scores, without my name, may be shared with the sponsor.",
    )


@pytest.fixture
def three(admit, beds, staff):
    """Three residents, each with a PHQ-9: Walter (born 1991), Ana (1960) and Lee (1999)."""
    people = [
        admit(bed=beds[0]),
        admit(
            bed=beds[1], given_name="Ana", family_name="Ortiz", date_of_birth=dt.date(1960, 1, 2)
        ),
        admit(bed=beds[2], given_name="Lee", family_name="Park", date_of_birth=dt.date(1999, 7, 7)),
    ]
    for person in people:
        measures.record(staff["caseworker"], person, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])
    return people


def lines(export):
    return [json.loads(line) for line in export.ndjson().splitlines()]


def of_type(export, kind):
    return [line for line in lines(export) if line["type"] == kind]


def test_only_residents_whose_consent_counts_now_are_exported(
    three, sponsor_document, director, staff
):
    walter, ana, lee = three
    consents.sign(
        staff["caseworker"], walter, sponsor_document, **witnessed_by(staff["supervisor"])
    )
    given = consents.sign(
        staff["caseworker"], ana, sponsor_document, **witnessed_by(staff["supervisor"])
    )
    consents.revoke(staff["caseworker"], given, "Ana told me she no longer agrees.")
    result = exports.export(director, SPONSOR)
    assert result.participants == 1 and result.not_included == 2
    header = lines(result)[0]
    assert header["type"] == "export" and header["participants"] == 1
    assert header["residents_not_included"] == 2
    participants = of_type(result, "participant")
    assert [p["pseudonym"] for p in participants] == [exports.pseudonym(SPONSOR, walter.pk)]
    # One participant is a group of one: their branch and age band are withheld.
    assert participants[0]["age_band_at_admission"] is None
    assert participants[0]["service_branch"] is None and header["groups_withheld"] == 1
    questionnaires = of_type(result, "questionnaire")
    assert len(questionnaires) == 1
    assert questionnaires[0]["answers"] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert questionnaires[0]["total"] == 8 and questionnaires[0]["band"] == "mild"
    assert questionnaires[0]["day"] == 3  # admitted three days ago, filled in today


def test_nothing_in_the_file_names_or_dates_a_resident(three, sponsor_document, director, staff):
    for person in three:
        consents.sign(
            staff["caseworker"], person, sponsor_document, **witnessed_by(staff["supervisor"])
        )
    raw = exports.export(director, SPONSOR).ndjson().decode()
    for person in Resident.objects.all():
        for word in (
            person.given_name,
            person.family_name,
            person.emergency_contact_name,
            person.emergency_contact_phone,
            person.date_of_birth.isoformat(),
            str(person.date_of_birth.year),
        ):
            assert word not in raw
    admitted = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert admitted not in raw
    assert all(
        set(line)
        <= {
            "type",
            "pseudonym",
            "service_branch",
            "age_band_at_admission",
            "consent_version",
            "consented_on_day",
            "instrument",
            "day",
            "answers",
            "total",
            "band",
            "format",
            "document",
            "exported_on",
            "participants",
            "residents_not_included",
            "groups_withheld",
        }
        for line in map(json.loads, raw.splitlines())
    )


def test_each_resident_included_is_on_the_ledger_and_nobody_else(
    three, sponsor_document, director, staff
):
    walter, ana, _ = three
    walters = consents.sign(
        staff["caseworker"], walter, sponsor_document, **witnessed_by(staff["supervisor"])
    )
    exports.export(director, SPONSOR)
    entries = Entry.objects.filter(action="data.export", outcome="allowed")
    assert set(entries.values_list("resident_id", flat=True)) == {None, walter.pk}
    mine = entries.get(resident_id=walter.pk)
    assert (mine.object_type, mine.object_id) == ("consents.consent", str(walters.pk))
    assert mine.purpose == "sponsor_sharing" and mine.actor == director and mine.version_sha256
    whole = entries.get(resident_id=None)
    assert whole.object_type == "consents.consentdocument" and whole.purpose == "operations"
    assert not Entry.objects.filter(action="data.export", resident_id=ana.pk).exists()


def test_pseudonyms_link_exports_of_one_document_and_not_of_two(three, sponsor_document, director):
    walter = three[0]
    assert exports.pseudonym(SPONSOR, walter.pk) == exports.pseudonym(SPONSOR, walter.pk)
    assert exports.pseudonym(SPONSOR, walter.pk) != exports.pseudonym("sleep-study", walter.pk)
    assert exports.pseudonym(SPONSOR, walter.pk) != exports.pseudonym(SPONSOR, three[1].pk)


def test_a_research_protocol_counts_until_its_ethics_approval_expires(three, director, staff):
    study = publish_research(director)
    consents.sign(staff["caseworker"], three[2], study, **witnessed_by(staff["supervisor"]))
    result = exports.export(director, "sleep-study")
    assert result.participants == 1
    assert lines(result)[0]["document"]["ethics_approval_ref"] == "IRB-2026-014"
    assert of_type(result, "participant")[0]["age_band_at_admission"] is None  # a group of one
    lapsed = lapsed_research_document(director)
    with pytest.raises(ValidationError) as refused:
        exports.export(director, lapsed.code)
    message = " ".join(refused.value.messages)
    assert "ethics approval of Old sleep study (IRB-2025-001) expired on" in message
    assert "nothing can be exported" in message


def test_documents_that_share_nothing_and_unknown_codes_are_refused(director):
    publish(director, purpose=ConsentPurpose.RECORDING, code="session-recording")
    with pytest.raises(ValidationError, match="not to sharing data"):
        exports.export(director, "session-recording")
    with pytest.raises(ValidationError, match="No consent document is called “nope”"):
        exports.export(director, "nope")
    assert not Entry.objects.filter(action="data.export", outcome="allowed").exists()


@pytest.mark.parametrize(
    "who",
    [
        "caseworker",
        "clinician",
        "supervisor",
        "contractor",
        "oversight",
        "investigator",
        "sysadmin",
    ],
)
def test_only_the_program_director_exports(sponsor_document, staff, who):
    with pytest.raises(AccessDenied):
        exports.export(staff[who], SPONSOR)
    assert Entry.objects.filter(actor=staff[who], action="data.export", outcome="denied").exists()


def test_a_resident_may_not_export(resident, sponsor_document, make_user):
    from tests.consents.helpers import portal_login

    own = portal_login(make_user, resident)
    with pytest.raises(AccessDenied):
        exports.export(own.user, SPONSOR)


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (dt.date(1991, 3, 14), dt.date(2026, 3, 13), "30-34"),  # the day before the birthday
        (dt.date(1991, 3, 14), dt.date(2026, 3, 14), "35-39"),
        (dt.date(2000, 1, 1), dt.date(2018, 6, 1), "15-19"),
        (dt.date(1930, 1, 1), dt.date(2026, 1, 1), "90+"),
    ],
)
def test_age_bands(born, on, band):
    assert exports.age_band(born, on) == band


# --- the page and the API -------------------------------------------------------------------


def test_the_director_downloads_the_export_from_the_documents_page(
    three, sponsor_document, director, staff, client_for
):
    consents.sign(
        staff["caseworker"], three[0], sponsor_document, **witnessed_by(staff["supervisor"])
    )
    client = client_for(director)
    page = client.get("/consents/documents/").content.decode()
    assert f'action="/consents/documents/{SPONSOR}/export/"' in page
    response = client.post(f"/consents/documents/{SPONSOR}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert f'filename="{SPONSOR}-' in response["Content-Disposition"]
    assert json.loads(response.content.splitlines()[0])["participants"] == 1
    assert client.get(f"/consents/documents/{SPONSOR}/export/").status_code == 405


def test_the_page_refuses_with_a_message(director, staff, client_for):
    lapsed = lapsed_research_document(director)
    response = client_for(director).post(f"/consents/documents/{lapsed.code}/export/")
    assert response.status_code == 400 and "expired on" in response.content.decode()
    response = client_for(staff["supervisor"]).post(f"/consents/documents/{lapsed.code}/export/")
    assert response.status_code == 403


def test_the_api_exports_for_the_directors_token(three, sponsor_document, director, staff, api_for):
    consents.sign(
        staff["caseworker"], three[1], sponsor_document, **witnessed_by(staff["supervisor"])
    )
    response = api_for(director).post(f"/api/v1/sharing/{SPONSOR}/export")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    assert len(response.content.splitlines()) == 3  # header, participant, questionnaire
    assert api_for(staff["caseworker"]).post(f"/api/v1/sharing/{SPONSOR}/export").status_code == 403
    refused = api_for(director).post("/api/v1/sharing/nope/export")
    assert refused.status_code == 400 and "nope" in refused.json()["detail"]


def test_the_resident_reads_that_their_scores_were_exported(
    resident, sponsor_document, director, staff, make_user, client_for
):
    from tests.consents.helpers import portal_login

    own = portal_login(make_user, resident)
    consents.sign(own.user, own, sponsor_document)
    exports.export(director, SPONSOR)
    page = client_for(own.user).get("/my-record/").content.decode()
    assert "included your scores, without your name, in a data export" in page
    assert "sharing with the sponsor, as you consented" in page


def test_a_branch_and_age_band_shared_by_five_is_kept(admit, sponsor_document, director, staff):
    people = [
        admit(given_name=f"P{i}", family_name="Same", date_of_birth=dt.date(1990, 6, 1))
        for i in range(5)
    ] + [admit(given_name="Odd", family_name="One", date_of_birth=dt.date(1960, 6, 1))]
    for person in people:
        consents.sign(
            staff["caseworker"], person, sponsor_document, **witnessed_by(staff["supervisor"])
        )
    result = exports.export(director, SPONSOR)
    bands = [p["age_band_at_admission"] for p in of_type(result, "participant")]
    assert sorted(bands, key=str) == ["35-39"] * 5 + [None]
    assert lines(result)[0]["groups_withheld"] == 1
