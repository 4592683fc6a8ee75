"""Complaints and investigations through the services, as the center files and handles them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from homecoming.accounts.models import Role
from homecoming.oversight import complaints
from tests.consents.helpers import portal_login

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def picture(name="photo.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def stored_files(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def own(resident, make_user):
    """Walter, with a portal log-in."""
    return portal_login(make_user, resident)


@pytest.fixture
def investigator(make_user):
    return make_user(Role.INVESTIGATOR, username="inv")


def filing(subject="Records changed after my session", body=None, **fields):
    body = body or "My caseworker's note was changed by the supervisor after I read it."
    return complaints.Filing(subject=subject, body=body, **fields)
