"""The resident's photo: taken by their care team (or whoever may edit their record), shown in
the patient banner and on the medication round, so the person at the keyboard or the bedside
sees whose record it is. Accepted by what its bytes are (core/uploads.py), one row per upload,
the newest shown; every upload a version in the ledger, every look at one a read."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core import uploads
from homecoming.ledger import services as ledger

from .models import Resident, ResidentPhoto
from .selectors import existing

UPLOAD = str(Action.UPLOAD_PHOTO)
VIEW = str(Action.VIEW_BANNER)
SECTION = "photo"  # the part of the record a look names (the resident reads "photo")
ACCEPTED = {"jpg": "image/jpeg", "png": "image/png"}
ACCEPTED_NAMES = "JPEG or PNG"


def with_photo(residents):
    """Annotate a query of residents with their current photo's id (None: no photo), so a
    page showing many residents reads their photos with them, not one query each."""
    newest = ResidentPhoto.objects.filter(resident=OuterRef("pk")).order_by("-uploaded_at", "-id")
    return residents.annotate(photo_id=Subquery(newest.values("pk")[:1]))


def upload(actor, resident_id: int, uploaded_file) -> ResidentPhoto:
    """Keep a new photo of the resident (it becomes the one shown). Refused (on the ledger)
    for anyone the policy refuses; a file that is not a JPEG or PNG, or too large, is refused
    with every problem named, and nothing is kept."""
    resident = existing(actor, resident_id, Action.UPLOAD_PHOTO)
    decision = policy.require(actor, Action.UPLOAD_PHOTO, resident)
    if uploaded_file is None:
        raise ValidationError({"file": "Choose a photo (JPEG or PNG) to upload."})
    uploads.check_size(uploaded_file, settings.HOMECOMING_PHOTO_MAX_MB, "photos")
    extension, content_type = uploads.kind_of(uploaded_file, ACCEPTED, ACCEPTED_NAMES, "a photo")
    stored, reader = uploads.store(uploaded_file, "photos", extension)
    try:
        with transaction.atomic():
            Resident.objects.lock(resident.pk)  # two uploads at once: one is newest, in order
            photo = ResidentPhoto.objects.create(
                resident=resident,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                storage_name=stored,
                content_type=content_type,
                size=reader.bytes_read,
                sha256=reader.hexdigest,
            )
            ledger.record_write(
                actor, UPLOAD, photo, resident_id=resident.pk, purpose=decision.purpose
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return photo


def current(actor, resident_id: int) -> ResidentPhoto | None:
    """The photo shown of the resident, for the image itself: checked as the banner is (the
    chart's rule, the resident's own, and the medication round's two-identifier check), and
    recorded as a read of that photo's version. None when no photo was taken."""
    resident = existing(actor, resident_id, Action.VIEW_BANNER)
    decision = policy.require(actor, Action.VIEW_BANNER, resident)
    photo = resident.photos.order_by("-uploaded_at", "-id").first()
    if photo is not None:
        with transaction.atomic():
            ledger.record_reads(
                actor, VIEW, [photo], resident_of=lambda p: p.resident_id, purpose=decision.purpose
            )
    return photo
