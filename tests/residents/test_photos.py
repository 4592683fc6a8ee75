"""Residents' photos (issue 16): taken by the care team or whoever may edit the record, JPEG or
PNG by their bytes, size-limited; every upload a version on the ledger, every look at one a read;
refused (on the ledger) for anyone else; the resident sees their own and no one else's."""

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from homecoming.access.policy import AccessDenied
from homecoming.ledger.models import Entry, Version
from homecoming.residents import photos, services
from homecoming.residents.models import ResidentPhoto
from tests.support.photos import image_bytes, photo_storage, take_photo, upload_file  # noqa: F401

# Uploaded photos go to the test's own folder.
pytestmark = pytest.mark.usefixtures("photo_storage")


def _last_seq() -> int:
    return Entry.objects.order_by("-seq").first().seq


def _post(client, resident, content, name="photo.png"):
    return client.post(
        f"/residents/{resident.pk}/photo/new/",
        {"file": upload_file(content, name=name)},
    )


def test_the_care_team_takes_a_photo_from_the_chart(resident, staff, client_for):
    caseworker = staff["caseworker"]
    client = client_for(caseworker)
    assert f"/residents/{resident.pk}/photo/new/" in client.get(f"/residents/{resident.pk}/").text
    page = client.get(f"/residents/{resident.pk}/photo/new/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    content = image_bytes("JPEG")
    response = _post(client, resident, content, name="face.jpg")
    assert response.status_code == 302
    photo = ResidentPhoto.objects.get(resident=resident)
    assert photo.content_type == "image/jpeg" and photo.size == len(content)
    assert photo.uploaded_by == caseworker
    assert default_storage.open(photo.storage_name).read() == content
    # The write: an entry and the version of the row it commits to.
    entry = Entry.objects.get(action="photo.upload", object_id=str(photo.pk))
    assert entry.outcome == "allowed" and entry.resident_id == resident.pk
    assert Version.objects.filter(object_type="residents.residentphoto", object_id=str(photo.pk))


def test_the_newest_photo_is_shown_and_the_older_one_kept(resident, staff):
    first = take_photo(staff["caseworker"], resident)
    second = take_photo(staff["clinician"], resident)
    assert photos.current(staff["caseworker"], resident.pk) == second
    assert ResidentPhoto.objects.filter(pk=first.pk).exists()


def test_whoever_may_edit_the_record_takes_one_too(resident, staff):
    assert take_photo(staff["supervisor"], resident).uploaded_by == staff["supervisor"]


@pytest.mark.parametrize(
    ("content", "name", "said"),
    [
        (b"%PDF-1.4 not a picture at all" * 40, "face.png", "is not a photo we accept"),
        (image_bytes("GIF"), "face.gif", "JPEG or PNG"),
        (b"just some words, named like a picture", "face.jpg", "is not a photo we accept"),
        (b"", "empty.png", "The file is empty"),
    ],
)
def test_a_file_that_is_not_a_jpeg_or_png_is_refused(
    content, name, said, resident, staff, client_for
):
    before = ResidentPhoto.objects.count()
    response = _post(client_for(staff["caseworker"]), resident, content, name=name)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert ResidentPhoto.objects.count() == before


def test_an_oversize_photo_is_refused(resident, staff, client_for, settings):
    settings.HOMECOMING_PHOTO_MAX_MB = 1
    big = image_bytes("PNG") + b"\0" * (1024 * 1024 + 1)
    response = _post(client_for(staff["caseworker"]), resident, big)
    assert response.status_code == 400
    assert "photos may be at most 1 MB" in response.content.decode()
    assert not ResidentPhoto.objects.exists()


def test_a_post_without_a_file_names_it(resident, staff, client_for):
    response = client_for(staff["caseworker"]).post(f"/residents/{resident.pk}/photo/new/", {})
    assert response.status_code == 400
    assert "Choose a photo" in response.content.decode() or "required" in response.content.decode()


@pytest.mark.parametrize("who", ["caseworker_other", "clinician_other", "contractor"])
def test_someone_outside_the_care_team_may_not_take_one(who, resident, staff, client_for):
    before = _last_seq()
    response = _post(client_for(staff[who]), resident, image_bytes())
    assert response.status_code in (403, 404)
    assert not ResidentPhoto.objects.exists()
    assert Entry.objects.filter(
        seq__gt=before, actor=staff[who], outcome="denied", action="photo.upload"
    ).exists()


def test_a_discharged_resident_s_photo_is_not_taken(resident, staff):
    """Follow-up keeps the record open to read, not to change: no photo after discharge."""
    stay = resident.stays.get()
    stay.status = "discharged"
    stay.save(update_fields=["status"])
    with pytest.raises(AccessDenied):
        take_photo(staff["caseworker"], resident)


def test_the_photo_is_served_privately_and_each_look_is_read(resident, staff, client_for):
    photo = take_photo(staff["caseworker"], resident)
    client = client_for(staff["clinician"])
    before = _last_seq()
    response = client.get(f"/residents/{resident.pk}/photo/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == default_storage.open(photo.storage_name).read()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    read = Entry.objects.filter(seq__gt=before, resident_id=resident.pk, outcome="allowed")
    assert read.count() == 1 and "photo" in read.get().detail


@pytest.mark.parametrize("who", ["caseworker_other", "contractor", "sysadmin", "oversight"])
def test_others_may_not_see_the_photo(who, resident, staff, client_for):
    take_photo(staff["caseworker"], resident)
    before = _last_seq()
    response = client_for(staff[who]).get(f"/residents/{resident.pk}/photo/")
    assert response.status_code in (403, 404)
    assert Entry.objects.filter(seq__gt=before, actor=staff[who], outcome="denied").exists()


def test_the_nurse_on_the_round_sees_the_photo(resident, staff, client_for):
    """The two-identifier check: any clinician sees a resident in residence's photo."""
    take_photo(staff["caseworker"], resident)
    response = client_for(staff["clinician_other"]).get(f"/residents/{resident.pk}/photo/")
    assert response.status_code == 200
    entry = Entry.objects.filter(actor=staff["clinician_other"]).order_by("-seq").first()
    assert entry.purpose == "medication_round"


def test_no_photo_taken_is_a_404_after_the_check(resident, staff, client_for):
    assert (
        client_for(staff["caseworker"]).get(f"/residents/{resident.pk}/photo/").status_code == 404
    )


def test_the_resident_sees_their_own_photo_only(admit, beds, staff, client_for, make_user):
    walter = admit(bed=beds[0])
    rosa = admit(bed=beds[1], given_name="Rosa", family_name="Diaz")
    services.grant_portal_access(
        staff["caseworker"], walter, "walter", "correct horse battery", must_change_password=False
    )
    walter.refresh_from_db()
    take_photo(staff["caseworker"], walter)
    take_photo(staff["caseworker"], rosa)
    client = client_for(walter.user)
    assert client.get(f"/residents/{walter.pk}/photo/").status_code == 200
    before = _last_seq()
    assert client.get(f"/residents/{rosa.pk}/photo/").status_code in (403, 404)
    assert Entry.objects.filter(seq__gt=before, actor=walter.user, outcome="denied").exists()


def test_the_database_refuses_to_delete_or_change_a_photo(resident, staff):
    photo = take_photo(staff["caseworker"], resident)
    # DatabaseError: SQLite's trigger raises an IntegrityError, PostgreSQL's a ProgrammingError.
    with pytest.raises(DatabaseError), transaction.atomic():
        ResidentPhoto.objects.filter(pk=photo.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ResidentPhoto.objects.filter(pk=photo.pk).update(size=1)
    assert ResidentPhoto.objects.get(pk=photo.pk).size == photo.size
